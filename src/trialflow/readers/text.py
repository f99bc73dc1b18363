"""Delimited text files (CSV, "Unicode text", semicolon CSV): encoding, delimiter, quotes, rows.

The rules are those of :mod:`trialflow.readers` (its docstring, "Text files"): the encoding
from a byte-order mark, NUL bytes, UTF-8 or Windows-1252 (:func:`decode`); the delimiter from
an Excel ``sep=`` line or the header (:func:`sniff_delimiter`); quotes that must pair up; every
row as wide as the header.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Collection

from trialflow.identifiers import screen_header
from trialflow.problems import Problem
from trialflow.readers.table import Table, clean_header, empty_frame, finish_table, refused_table

DELIMITERS = [",", ";", "\t"]
_DELIMITER_NAMES = {",": "','", ";": "';'", "\t": "tab"}


def decode(raw: bytes) -> tuple[str, str]:
    """Decode bytes by the rules of :func:`read` (BOM, UTF-16 by NULs, UTF-8, Windows-1252).

    Raises ValueError with the reason when no rule applies.
    """
    text, encoding, _, message = _decode(raw)
    if text is None:
        raise ValueError(message)
    return text, encoding


def sniff_delimiter(header_line: str) -> str:
    """The delimiter that splits the header into the most fields (comma on a tie)."""

    def fields(d: str) -> int:
        return len(next(csv.reader([header_line], delimiter=d), []))

    best = max(DELIMITERS, key=fields)  # max keeps the first of equals: comma, then ';'
    return best if fields(best) > 1 else ","


def _line_of_offset(raw: bytes, offset: int) -> int:
    newline = b"\n" if b"\n" in raw else b"\r"
    return raw.count(newline, 0, offset) + 1


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _decode(raw: bytes) -> tuple[str | None, str, str, str]:
    """``(text, encoding, '', '')``, or ``(None, '', line, message)`` when no rule applies."""
    boms = [
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ]
    encoding = next((enc for bom, enc in boms if raw.startswith(bom)), None)
    if encoding is None and len(raw) >= 4 and raw.count(0) * 4 >= len(raw):
        even, odd = raw[0::2].count(0), raw[1::2].count(0)  # ASCII in UTF-16: every other byte is 0
        if odd > 3 * even:
            encoding = "utf-16-le"
        elif even > 3 * odd:
            encoding = "utf-16-be"
    if encoding is not None:
        shown = encoding.removesuffix("-sig")
        try:
            return raw.decode(encoding), shown, "", ""
        except UnicodeDecodeError as err:
            return None, "", "", f"the file starts as {shown.upper()} but byte {err.start} is not valid in it"
    try:
        return raw.decode("utf-8"), "utf-8", "", ""
    except UnicodeDecodeError as err:
        utf8_error = err
    if _UTF8_MULTIBYTE.search(raw):  # decoding either way would corrupt some cells
        bad = raw[utf8_error.start]
        message = (
            f"the file mixes encodings: it has UTF-8 characters, but byte 0x{bad:02X} on this line "
            "is not UTF-8; save the whole file as UTF-8"
        )
        return None, "", str(_line_of_offset(raw, utf8_error.start)), message
    try:
        return raw.decode("cp1252"), "cp1252", "", ""
    except UnicodeDecodeError as err:
        message = (
            f"byte 0x{raw[err.start]:02X} on this line is not a character in UTF-8, UTF-16 or "
            "Windows-1252; save the file as UTF-8"
        )
        return None, "", str(_line_of_offset(raw, err.start)), message


def count_refused(table: Table, raw: bytes) -> Table:
    """A file refused before its rows could be parsed: count its non-blank lines after the
    first as the rows read (all of them rejected), so the row balance shows what was refused."""
    lines = _physical_lines(raw.decode("latin-1"))
    filled = [i for i, line in enumerate(lines, start=1) if line.strip("\x00 \t\ufeff")]
    table.row_lines = filled[1:]
    return table


def _physical_lines(text: str) -> list[str]:
    return re.split(r"\r\n|\r|\n", text)


def read_text(raw: bytes, name: str, keep: Collection[str] = ()) -> Table:
    """The bytes of a delimited text file read by the rules of :mod:`trialflow.readers`
    (``keep``: columns never dropped as identifiers)."""
    text, encoding, bad_line, message = _decode(raw)
    if text is None:
        return count_refused(refused_table(name, "encoding", message, bad_line), raw)
    if "\x00" in text:
        nul_line = str(text[: text.index("\x00")].count("\n") + 1)
        return count_refused(
            refused_table(
                name,
                "file_format",
                "the file contains NUL characters, so it is not a text export "
                "(a workbook or database file under a text name?)",
                nul_line,
                encoding=encoding,
            ),
            raw,
        )
    lines = _physical_lines(text)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return refused_table(name, "file_not_empty", "the file has no header row", encoding=encoding)
    sep_line = None
    m = re.fullmatch(r'"?sep=(.)"?', lines[first].strip(), flags=re.IGNORECASE)
    if m:  # Excel's "sep=;" line names the delimiter; the header follows it
        sep_line, delimiter = first + 1, m.group(1)
    else:
        delimiter = sniff_delimiter(lines[first])

    records = _records(text, delimiter)
    table = Table(empty_frame(), [], name, "text", encoding, delimiter)
    header: list[str] | None = None
    identifier_at: list[int] = []
    rows: list[list[str]] = []
    lines_kept: list[int] = []
    shown = _DELIMITER_NAMES.get(delimiter, repr(delimiter))
    for start, _end, record, error in records:
        if start == sep_line:
            continue
        if header is None:
            if error:
                table.problems.append(
                    Problem(name, str(start), "", "", "quotes", "error", f"the header cannot be read: {error}")
                )
                table.refused = True
                table.row_lines = [s for s, _, r, e in records if s > start and (e or _filled(r))]
                return table
            if not _filled(record):
                continue
            header, problems = clean_header(record, name, lambda i, s=start: str(s))
            table.header_line = start
            if problems:  # columns cannot be told apart: reading on would guess
                table.problems += problems
                table.refused = True
                table.row_lines = [s for s, _, r, e in records if s > start and (e or _filled(r))]
                return table
            table.positions = {c: i for i, c in enumerate(header, start=1)}
            table.dropped, found = screen_header(header, name, lambda i, s=start: str(s), keep)
            identifier_at = [i for i, c in enumerate(header) if c in table.dropped]
            table.problems += found
            continue
        if error:
            table.row_lines.append(start)
            table.problems.append(Problem(name, str(start), "", "", "quotes", "error", error))
            continue
        if not _filled(record):
            continue  # blank or all-delimiter row: nothing to lose
        table.row_lines.append(start)
        width = len(header)
        value = "" if identifier_at else delimiter.join(record)
        if any(cell.strip() for cell in record[width:]):
            table.problems.append(
                Problem(
                    name,
                    str(start),
                    "",
                    value,
                    "row_width",
                    "error",
                    f"this row has {len(record)} fields but the header has {width}; "
                    "a stray delimiter would shift every column after it",
                )
            )
            continue
        record = record[:width]
        if len(record) < width:
            hint = _other_delimiter(record, delimiter, width)
            table.problems.append(
                Problem(
                    name,
                    str(start),
                    header[len(record)],
                    value,
                    "row_width",
                    "error",
                    f"this row has {len(record)} field{'s' * (len(record) != 1)} but the header "
                    f"has {width}; a missing value or delimiter would shift every column after it"
                    + (f" (this row seems to be separated by {hint}, the header by {shown})" if hint else ""),
                )
            )
            continue
        rows.append([cell.strip() for i, cell in enumerate(record) if i not in identifier_at])
        lines_kept.append(start)
    if header is None:  # only a sep= line or blank rows
        return refused_table(name, "file_not_empty", "the file has no header row", encoding=encoding)
    return finish_table(table, header, rows, lines_kept)


def _filled(record: list[str]) -> bool:
    return any(cell.strip() for cell in record)


def _records(text: str, delimiter: str) -> list[tuple[int, int, list[str], str]]:
    """(first line, last line, fields, error) per CSV record; quote errors do not stop reading."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    out = []
    line_no = 1  # csv's line_num counts physical lines consumed, so a record starts after the last
    while True:
        start = line_no
        try:
            record = next(reader)
            error = ""
        except StopIteration:
            break
        except csv.Error as err:
            record, error = [], _quote_message(str(err), start, reader.line_num)
        line_no = reader.line_num + 1
        out.append((start, reader.line_num, record, error))
    return out


def _quote_message(err: str, start: int, end: int) -> str:
    if "unexpected end of data" in err or "EOF" in err:
        span = f"line {start}" if end == start else f"lines {start} to {end}"
        return f"a quote opened on this line is never closed, so {span} could not be read; close the quote or remove it"
    if "field larger than field limit" in err:
        return f"a cell here is longer than {csv.field_size_limit()} characters"
    return (
        "the quotes on this line do not pair up (a closing quote must be followed by the "
        "delimiter); put the whole cell in quotes and double any quote inside it"
    )


def _other_delimiter(record: list[str], delimiter: str, width: int) -> str:
    joined = delimiter.join(record)
    for d in DELIMITERS:
        if d != delimiter and len(next(csv.reader([joined], delimiter=d), [])) == width:
            return _DELIMITER_NAMES[d]
    return ""
