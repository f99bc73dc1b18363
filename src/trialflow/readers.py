"""Read tabular exports exactly as written, keeping where every row came from.

pandas guesses too much for audit work (it shifts columns when a row has an extra field,
drops leading zeros, turns sentinels into NaN), so tables are read as text, cell by cell,
and every cell is converted later by a rule that can name the file, line, column and value
when it refuses it. :func:`read` returns a :class:`Table`; :func:`read_table` is the short
form that returns ``(frame, problems)``.

Reading rules
-------------
Text files (CSV, "Unicode text", semicolon CSV):

* **Encoding.** A byte-order mark decides (UTF-8, UTF-16, UTF-32). Without one, UTF-16 is
  recognised by its NUL bytes, then the file must be valid UTF-8, else Windows-1252. A
  file that is partly UTF-8 and partly something else, or that has bytes no encoding above
  allows, is refused with the line of the first bad byte (decoding it anyway would corrupt
  some cells without a trace). NUL characters in a text file refuse it too.
* **Delimiter.** An Excel ``sep=;`` first line names it. Otherwise it is taken from the header
  line: whichever of comma, semicolon and tab splits it into the most fields (comma on a tie).
* **Decimal comma.** In a file separated by ``;`` or tab, a number may be written with a
  decimal comma: ``12,5`` is 12.5 (this is how Excel writes CSV and "Unicode text" where the
  comma is the decimal mark). A point is a decimal point in every file, so ``12.5`` is 12.5
  there too. A number with a thousands separator (``1.234,5``, ``1,234.5``, ``1,234,567``) is
  an error, never a guess; so is a decimal comma in a comma-separated file or a workbook.
* **Quotes** must pair up; a line where they do not, or a quote that is never closed, is an
  error naming the line where it starts.

Workbooks (``.xlsx``/``.xlsm``, recognised by their content, not their name):

* The first *visible* sheet is read, or the sheet named by the caller. Other sheets that
  hold anything are named in a warning: nothing is skipped silently.
* Cells are turned into the text a person sees in Excel: an integer stays an integer (``7``
  → ``'7'``, never ``'7.0'``), other numbers get at most 15 significant digits, as Excel shows
  and exports them (a stored ``163.19999999999999`` is ``'163.2'``), text stays text (``'007'``
  keeps its zeros), TRUE/FALSE as such, dates as ISO 8601 (``2020-01-31``, with a time
  ``2020-01-31 12:30:00``; both Excel date systems, 1900 and 1904, are read from the workbook).
* A formula without a saved result (a workbook written by a program that does not calculate)
  and a cell holding an Excel error (``#DIV/0!``) are errors.
* Hidden rows and columns are data like any other and are read.
* ``_line`` is the sheet's row number (an int, like a text file's line, so ``source_line`` stays
  a number); problems name the cell (``Sheet1!C5``) or, for a whole row, the sheet and row
  (``Sheet1!5``). :meth:`Table.locate` renames the bare row numbers of later problems the same way.

Both:

* The first non-blank row is the header. Header names are trimmed; a blank, duplicated or
  unprintable header name refuses the file (columns could not be told apart). Trailing empty
  header columns are ignored.
* Blank rows are skipped. A row with a value beyond the last header column, or (text) fewer
  fields than the header, is an error: reading on would shift every column after it.
* A file with a header and no data rows is an error.
* Columns whose name is a direct identifier (name, e-mail, date of birth ... see
  :mod:`trialflow.identifiers`) are dropped with a warning and their values are never read
  into the frame or quoted in a problem.
* Cells are trimmed of surrounding white space and otherwise kept exactly as written.
* Plate-reader marks (``OVER``, ``****``, ``Range?``, ``<LLOQ``, ``n.d.``, ``N/A`` ...) are not
  numbers: :func:`classify_sentinel` names the flag, :func:`check_number` refuses them with it.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from trialflow.identifiers import find_direct_identifiers, identifier_warning
from trialflow.problems import Problem, errors_in

LINE = "_line"  # name of the column that carries the row's line (text) or row number (sheet)
DELIMITERS = [",", ";", "\t"]
DECIMAL_COMMA_DELIMITERS = (";", "\t")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and password-protected .xlsx
MAX_WORKBOOK_BYTES = 256 * 2**20  # uncompressed size of all parts; refuses zip bombs
EXCEL_ERRORS = (
    "#NULL!",
    "#DIV/0!",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#N/A",
    "#GETTING_DATA",
    "#SPILL!",
    "#CALC!",
    "#FIELD!",
    "#BLOCKED!",
    "#UNKNOWN!",
)
_DELIMITER_NAMES = {",": "','", ";": "';'", "\t": "tab"}


# --------------------------------------------------------------------------------------------
# Numbers and instrument marks


SENTINELS: dict[str, str] = {
    # saturated: the signal overflowed the reader
    "over": "saturated",
    "overflow": "saturated",
    "ovrflw": "saturated",
    "ovfl": "saturated",
    "sat": "saturated",
    "saturated": "saturated",
    # out_of_range: outside the standard curve (or above it)
    "range?": "out_of_range",
    "range": "out_of_range",
    "out of range": "out_of_range",
    "oor": "out_of_range",
    "oor >": "out_of_range",
    ">uloq": "out_of_range",
    "above uloq": "out_of_range",
    "above range": "out_of_range",
    "high": "out_of_range",
    # below_lloq: under the lower limit of quantification (or detection)
    "<lloq": "below_lloq",
    "<loq": "below_lloq",
    "<lod": "below_lloq",
    "<llod": "below_lloq",
    "blq": "below_lloq",
    "bql": "below_lloq",
    "bloq": "below_lloq",
    "oor <": "below_lloq",
    "below lloq": "below_lloq",
    "below range": "below_lloq",
    "low": "below_lloq",
    # not_determined
    "n.d.": "not_determined",
    "n.d": "not_determined",
    "nd": "not_determined",
    "n/d": "not_determined",
    "not determined": "not_determined",
    "not done": "not_determined",
    "n/a": "not_determined",
    "na": "not_determined",
    "n.a.": "not_determined",
    "#n/a": "not_determined",
    "nan": "not_determined",
    "null": "not_determined",
    "no result": "not_determined",
}
FLAG_WORDS = {
    "saturated": "the signal saturated the reader",
    "out_of_range": "the reading is outside the range of the standard curve",
    "below_lloq": "the value is below the lower limit of quantification",
    "not_determined": "no value was determined",
}

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_COMMA_NUMBER = re.compile(r"[+-]?[0-9]*,[0-9]+(?:[eE][+-]?[0-9]+)?")
_GROUPED = re.compile(r"[+-]?[0-9][0-9.,]*[0-9]")


def classify_sentinel(text: str) -> str | None:
    """The flag an instrument mark stands for, else None (numbers and empty cells are not marks).

    Flags: ``saturated`` (``OVER``, ``OVRFLW``, ``****``), ``out_of_range`` (``Range?``,
    ``OOR >``, ``>ULOQ``, ``????``, ``>2000``), ``below_lloq`` (``<LLOQ``, ``<LOD``, ``BLQ``,
    ``OOR <``, ``<15.6``), ``not_determined`` (``n.d.``, ``N/A``, ``#N/A``, ``NaN``).
    Case and spacing do not matter.
    """
    t = " ".join(str(text).strip().casefold().split())
    if not t:
        return None
    t = re.sub(r"^([<>])\s+", r"\1", t)
    if t in SENTINELS:
        return SENTINELS[t]
    if re.fullmatch(r"\*{2,}", t):
        return "saturated"
    if re.fullmatch(r"\?{2,}", t):
        return "out_of_range"
    if t[0] in "<>" and (_NUMBER.fullmatch(t[1:]) or _COMMA_NUMBER.fullmatch(t[1:])):
        return "below_lloq" if t[0] == "<" else "out_of_range"
    return None


def parse_number(text: str, decimal_comma: bool = False) -> float | None:
    """A number as written (``'12.5'``; ``'12,5'`` when decimal commas are allowed), else None.

    Only ASCII digits, an optional sign, one decimal mark and an exponent are read: no
    thousands separators, no ``nan``/``inf``, no ``1_000`` or non-ASCII digits.
    """
    s = str(text).strip()
    if _NUMBER.fullmatch(s):
        value = float(s)
    elif decimal_comma and _COMMA_NUMBER.fullmatch(s):
        value = float(s.replace(",", "."))
    else:
        return None
    return value if math.isfinite(value) else None


def check_number(
    text: str, column: str, decimal_comma: bool = False, workbook: bool = False
) -> tuple[float | None, str, str]:
    """Read a number for ``column``: ``(value, '', '')``, or ``(None, rule, message)`` saying why not.

    Rules: ``number`` (empty, not a number, a spreadsheet error), ``sentinel`` (an instrument
    mark, named with its flag), ``number_format`` (a thousands separator, or a decimal comma
    where decimal commas are not read).
    """
    s = str(text).strip()
    value = parse_number(s, decimal_comma)
    if value is not None:
        return value, "", ""
    hint = "write a plain number such as 57.3"
    if s == "":
        return None, "number", f"{column} is empty; {hint}"
    flag = classify_sentinel(s)
    if flag:
        why = f"{FLAG_WORDS[flag]} ({flag}); a mark is never turned into a number, so enter the value or remove the row"
        return None, "sentinel", f"{column} is an instrument mark, not a number: {why}"
    if s.upper() in EXCEL_ERRORS:
        return None, "number", f"{column} is the spreadsheet error {s.upper()}: the formula that made it failed; {hint}"
    if _GROUPED.fullmatch(s) and (("." in s and "," in s) or s.count(",") > 1 or s.count(".") > 1):
        why = "which mark is the decimal one is never guessed, so write the number without separators, such as 1234.5"
        return None, "number_format", f"{column} has a thousands separator or more than one decimal mark; {why}"
    if _COMMA_NUMBER.fullmatch(s):
        where = "a workbook" if workbook else "a comma-separated file"
        why = f"which is read only in text files separated by ';' or tab, not in {where}; write {s.replace(',', '.')}"
        return None, "number_format", f"{column} has a decimal comma, {why}"
    return None, "number", f"{column} is not a number; {hint}"


# --------------------------------------------------------------------------------------------
# The result of reading a file


@dataclass
class Table:
    """A file read as text: the rows, the problems, and how the file was read.

    ``frame`` has one row per accepted data row, every column as ``str`` plus ``_line``
    (int: the line a text editor shows, or the sheet's row number). ``row_lines`` lists the
    line of every non-blank data row read, accepted or refused, so callers can check that
    rows read = rows accepted + rows rejected (:func:`row_balance`).
    """

    frame: pd.DataFrame
    problems: list[Problem]
    name: str
    kind: str = "text"  # "text" or "workbook"
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    header_line: int = 1
    positions: dict[str, int] = field(default_factory=dict)  # header name -> 1-based column
    row_lines: list[int] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # direct-identifier columns dropped
    refused: bool = False  # the file or its header could not be read: no columns, no rows

    @property
    def decimal_comma(self) -> bool:
        """Whether ``12,5`` is read as 12.5: text files separated by ';' or tab."""
        return self.kind == "text" and self.delimiter in DECIMAL_COMMA_DELIMITERS

    @property
    def rows_read(self) -> int:
        return len(self.row_lines)

    def number(self, text: str) -> float | None:
        return parse_number(text, self.decimal_comma)

    def check_number(self, text: str, column: str) -> tuple[float | None, str, str]:
        """:func:`check_number` with this file's decimal-comma rule."""
        return check_number(text, column, self.decimal_comma, self.kind == "workbook")

    def place(self, line: int | str, column: str = "") -> str:
        """Where a row or cell is, as a problem names it: ``'5'`` or ``'Sheet1!C5'``/``'Sheet1!5'``."""
        if self.kind != "workbook":
            return str(line)
        return cell_name(self.sheet, int(line), self.positions.get(column))

    def locate(self, problems: Iterable[Problem]) -> list[Problem]:
        """Problems of this file with a bare row number, renamed to the sheet's cell (workbooks)."""
        out = []
        for p in problems:
            if self.kind == "workbook" and p.file == self.name and p.line.isdigit():
                p = replace(p, line=self.place(int(p.line), p.column))
            out.append(p)
        return out


def cell_name(sheet: str, row: int, column: int | None = None) -> str:
    """``Sheet1!C5`` (a cell) or ``Sheet1!5`` (a row); sheet names with spaces are quoted."""
    from openpyxl.utils import get_column_letter

    ref = sheet if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", sheet) else "'" + sheet.replace("'", "''") + "'"
    return f"{ref}!{get_column_letter(column)}{row}" if column else f"{ref}!{row}"


@dataclass(frozen=True)
class RowBalance:
    read: int
    accepted: int
    rejected: int

    @property
    def ok(self) -> bool:
        return self.read == self.accepted + self.rejected


def row_balance(table: Table, accepted: pd.DataFrame | int, problems: Iterable[Problem]) -> RowBalance:
    """Rows read, accepted and rejected for one file: nothing may be lost.

    ``rejected`` counts the distinct data rows named by an error of this file. An error that
    names no data row (the header, a missing column, the file itself) refuses the whole file,
    so then every row read counts as rejected (and none may have been accepted).
    """
    rows = set(table.row_lines)
    rejected: set[int] = set()
    errors = errors_in(list(problems))
    whole_file = table.refused and bool(errors)
    for p in errors:
        if p.file not in (table.name, ""):
            continue
        row = _row_of(p.line)
        if row in rows:
            rejected.add(row)
        else:
            whole_file = True
    n_accepted = accepted if isinstance(accepted, int) else len(accepted)
    return RowBalance(table.rows_read, n_accepted, table.rows_read if whole_file else len(rejected))


def _row_of(line: str) -> int | None:
    m = re.fullmatch(r"(?:.*!)?\$?[A-Z]{0,3}\$?([0-9]+)", line)
    return int(m.group(1)) if m else None


# --------------------------------------------------------------------------------------------
# Reading


def read(path: str | Path, name: str | None = None, sheet: str | None = None) -> Table:
    """Read a delimited text file or an .xlsx workbook (``sheet``: its name; default the first
    visible one). Never raises for what is in the file: every fault is a :class:`Problem`."""
    path = Path(path)
    name = name or path.name
    try:
        raw = path.read_bytes()
    except OSError as err:
        return _refused(name, "file_readable", f"the file cannot be read: {err.strerror or err}")
    if raw.startswith(ZIP_MAGIC):
        return _read_workbook(raw, name, sheet)
    if raw.startswith(OLE_MAGIC):
        return _refused(
            name,
            "file_format",
            "this is an old-style Excel .xls workbook or a password-protected one; "
            "save it as .xlsx without a password, or as CSV",
        )
    if path.suffix.lower() in WORKBOOK_SUFFIXES and raw:
        return _count_refused(
            _refused(name, "file_format", f"the file is named {path.suffix} but is not an Excel workbook"), raw
        )
    if sheet:
        return _refused(name, "file_format", f"a sheet ({sheet!r}) is configured but the file is not an Excel workbook")
    return _read_text(raw, name)


def read_table(
    path: str | Path, name: str | None = None, sheet: str | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a delimited text file or workbook into a frame of strings plus a ``_line`` column.

    Parameters
    ----------
    path : file to read (never written).
    name : how the file is named in messages (default: the file name).
    sheet : for a workbook, the sheet to read (default: the first visible one).

    Returns
    -------
    frame : one row per non-blank data row that could be read; every column as ``str`` (empty
        string when the cell is empty), plus ``_line`` (int), the line a text editor shows (or
        the sheet's row number). Direct-identifier columns are not in it.
    problems : rows or headers that could not be read (duplicate or blank headers, a row with
        more or fewer fields than the header, bad quotes, unreadable bytes, formulas without
        a result); warnings for dropped identifier columns and unread sheets.
        Rows named by an error are not in ``frame``. See the module docstring for the rules.
    """
    table = read(path, name, sheet)
    return table.frame, table.problems


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


def _empty(columns: Iterable[str] = ()) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=str) for c in columns})
    frame[LINE] = pd.Series(dtype="int64")
    return frame


def _refused(name: str, rule: str, message: str, line: str = "", **kw) -> Table:
    return Table(_empty(), [Problem(name, line, "", "", rule, "error", message)], name, refused=True, **kw)


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


def _count_refused(table: Table, raw: bytes) -> Table:
    """A file refused before its rows could be parsed: count its non-blank lines after the
    first as the rows read (all of them rejected), so the row balance shows what was refused."""
    lines = _physical_lines(raw.decode("latin-1"))
    filled = [i for i, line in enumerate(lines, start=1) if line.strip("\x00 \t\ufeff")]
    table.row_lines = filled[1:]
    return table


def _physical_lines(text: str) -> list[str]:
    return re.split(r"\r\n|\r|\n", text)


def _read_text(raw: bytes, name: str) -> Table:
    text, encoding, bad_line, message = _decode(raw)
    if text is None:
        return _count_refused(_refused(name, "encoding", message, bad_line), raw)
    if "\x00" in text:
        nul_line = str(text[: text.index("\x00")].count("\n") + 1)
        return _count_refused(
            _refused(
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
        return _refused(name, "file_not_empty", "the file has no header row", encoding=encoding)
    sep_line = None
    m = re.fullmatch(r'"?sep=(.)"?', lines[first].strip(), flags=re.IGNORECASE)
    if m:  # Excel's "sep=;" line names the delimiter; the header follows it
        sep_line, delimiter = first + 1, m.group(1)
    else:
        delimiter = sniff_delimiter(lines[first])

    records = _records(text, delimiter)
    table = Table(_empty(), [], name, "text", encoding, delimiter)
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
            header, problems = _clean_header(record, name, lambda i, s=start: str(s))
            table.header_line = start
            if problems:  # columns cannot be told apart: reading on would guess
                table.problems += problems
                table.refused = True
                table.row_lines = [s for s, _, r, e in records if s > start and (e or _filled(r))]
                return table
            table.positions = {c: i for i, c in enumerate(header, start=1)}
            table.dropped = find_direct_identifiers(header)
            identifier_at = [i for i, c in enumerate(header) if c in table.dropped]
            table.problems += [identifier_warning(name, str(start), c) for c in table.dropped]
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
        return _refused(name, "file_not_empty", "the file has no header row", encoding=encoding)
    return _finish(table, header, rows, lines_kept)


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


def _clean_header(record: list, name: str, where) -> tuple[list[str], list[Problem]]:
    """Header names trimmed (and a stray BOM removed); blank, duplicate or unprintable names."""
    header = [str(cell).strip().lstrip("\ufeff").strip() for cell in record]
    while header and header[-1] == "":  # trailing empty columns from spreadsheets
        header.pop()
    problems = []
    seen: set[str] = set()
    for i, column in enumerate(header, start=1):
        if column == "":
            problems.append(
                Problem(name, where(i), f"#{i}", "", "header_named", "error", f"column {i} of the header has no name")
            )
        elif any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in column):
            problems.append(
                Problem(
                    name,
                    where(i),
                    f"#{i}",
                    column,
                    "header_text",
                    "error",
                    f"the name of column {i} of the header contains an invisible or control character",
                )
            )
        elif column in seen:
            problems.append(
                Problem(
                    name,
                    where(i),
                    column,
                    column,
                    "header_unique",
                    "error",
                    "this column name appears twice in the header",
                )
            )
        seen.add(column)
    return header, problems


def _finish(table: Table, header: list[str], rows: list[list[str]], lines: list[int]) -> Table:
    kept = [c for c in header if c not in table.dropped]
    frame = pd.DataFrame(rows, columns=kept, dtype=str) if rows else _empty(kept)
    frame[LINE] = pd.Series(lines, dtype="int64")
    table.frame = frame
    if not table.row_lines:
        table.problems.append(
            Problem(
                table.name,
                table.place(table.header_line),
                "",
                "",
                "rows_present",
                "error",
                "the file has a header row but no data rows",
            )
        )
    return table


# --------------------------------------------------------------------------------------------
# Workbooks


def _cell_text(value) -> str:
    """A cell's value as the text a person sees (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):  # as Excel shows it: at most 15 significant digits
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.15g}"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


def _read_workbook(raw: bytes, name: str, sheet: str | None) -> Table:
    import openpyxl

    def refuse(message: str, line: str = "") -> Table:
        return _refused(name, "file_format", message, line, kind="workbook")

    try:
        size = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(raw)).infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as err:
        return refuse(f"the file is not a readable .xlsx workbook ({err})")
    if size > MAX_WORKBOOK_BYTES:
        return refuse(
            f"the workbook unpacks to {size // 2**20} MB, more than the "
            f"{MAX_WORKBOOK_BYTES // 2**20} MB allowed; export the sheet as CSV"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about extensions it does not read
            values_wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
            formulas_wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
    except Exception as err:  # noqa: BLE001 - any failure to open is an answer, not a traceback
        return refuse(f"the file is not a readable .xlsx workbook ({_reason(err)})")
    try:
        return _read_sheet(values_wb, formulas_wb, name, sheet, refuse)
    except Exception as err:  # noqa: BLE001 - a malformed sheet part
        return refuse(f"the workbook could not be read ({_reason(err)})")
    finally:
        values_wb.close()
        formulas_wb.close()


def _reason(err: Exception) -> str:
    """The error in a few words, without the parser's byte positions."""
    text = re.sub(r":? line \d+, column \d+$", "", str(err)).strip()
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _read_sheet(values_wb, formulas_wb, name: str, sheet: str | None, refuse) -> Table:
    data_sheets = {ws.title: ws for ws in values_wb.worksheets}
    if sheet is not None:
        if sheet not in data_sheets:
            listed = ", ".join(repr(s) for s in values_wb.sheetnames) or "none"
            return refuse(f"the workbook has no sheet named {sheet!r} (sheets: {listed})")
        ws = data_sheets[sheet]
    else:
        ws = next((w for w in values_wb.worksheets if w.sheet_state == "visible"), None)
        if ws is None:
            return refuse("the workbook has no visible sheet to read")
    fws = formulas_wb[ws.title]
    table = Table(_empty(), [], name, "workbook", sheet=ws.title)
    for other in values_wb.worksheets:
        if other is not ws and _has_content(other):
            state = "" if other.sheet_state == "visible" else f" ({other.sheet_state})"
            table.problems.append(
                Problem(
                    name,
                    "",
                    "",
                    "",
                    "sheet_unread",
                    "warning",
                    f"sheet {other.title!r}{state} was not read: one sheet is read per file, here {ws.title!r}",
                )
            )
    ws.reset_dimensions()  # the stored dimensions may be wrong; read every row there is
    fws.reset_dimensions()
    header: list[str] | None = None
    skip: set[int] = set()
    rows: list[list[str]] = []
    lines: list[int] = []
    pairs = zip(ws.iter_rows(), fws.iter_rows(), strict=False)
    for row_no, (cells, formula_cells) in enumerate(pairs, start=1):
        texts, faults = [], []
        for col, cell in enumerate(cells, start=1):
            if col - 1 in skip:
                texts.append("")
                continue
            texts.append(_cell_text(cell.value))
            fault = _cell_fault(cell, formula_cells[col - 1] if col - 1 < len(formula_cells) else None)
            if fault:
                faults.append((col, *fault))
        if header is None:
            if not any(texts):
                continue
            table.header_line = row_no
            if faults:
                col, value, rule, message = faults[0]
                table.problems.append(
                    Problem(
                        name,
                        cell_name(ws.title, row_no, col),
                        f"#{col}",
                        value,
                        rule,
                        "error",
                        f"the header cannot be read: {message}",
                    )
                )
                table.refused = True
                table.row_lines = _remaining_rows(ws, row_no)
                return table
            header, problems = _clean_header(texts, name, lambda i, r=row_no: cell_name(ws.title, r, i))
            if problems:
                table.problems += problems
                table.refused = True
                table.row_lines = _remaining_rows(ws, row_no)
                return table
            table.positions = {c: i for i, c in enumerate(header, start=1)}
            table.dropped = find_direct_identifiers(header)
            skip = {i for i, c in enumerate(header) if c in table.dropped}
            table.problems += [
                identifier_warning(name, cell_name(ws.title, row_no, i + 1), header[i]) for i in sorted(skip)
            ]
            continue
        if not any(texts) and not faults:
            continue
        table.row_lines.append(row_no)
        width = len(header)
        extra = [(c, t) for c, t in enumerate(texts[width:], start=width + 1) if t]
        if extra:
            col, text = extra[0]
            table.problems.append(
                Problem(
                    name,
                    cell_name(ws.title, row_no, col),
                    "",
                    "" if skip else text,
                    "row_width",
                    "error",
                    f"this row has a value in a column beyond the header's {width}; "
                    "a shifted row would put values under the wrong names",
                )
            )
            continue
        faults = [f for f in faults if f[0] <= width]
        if faults:
            for col, value, rule, message in faults:
                table.problems.append(
                    Problem(name, cell_name(ws.title, row_no, col), header[col - 1], value, rule, "error", message)
                )
            continue
        texts = (texts + [""] * width)[:width]
        rows.append([t for i, t in enumerate(texts) if i not in skip])
        lines.append(row_no)
    if header is None:
        table.problems.append(
            Problem(name, "", "", "", "file_not_empty", "error", f"sheet {ws.title!r} has no header row")
        )
        table.refused = True
        return table
    return _finish(table, header, rows, lines)


def _cell_fault(cell, formula_cell) -> tuple[str, str, str] | None:
    """(value, rule, message) for a cell that cannot be read: an Excel error, a formula
    without a saved result (told from an empty cell by opening the workbook for formulas)."""
    if cell.data_type == "e":
        return (
            str(cell.value),
            "cell_error",
            (f"this cell holds the Excel error {cell.value}: the formula that made it failed"),
        )
    if cell.value is None and formula_cell is not None:
        formula = formula_cell.value
        text = getattr(formula, "text", formula)  # array formulas are objects
        if formula_cell.data_type == "f" or (isinstance(text, str) and text.startswith("=")):
            return (
                str(text),
                "formula_result",
                (
                    "this cell holds a formula without a saved result (the workbook was written by "
                    "a program that does not calculate); open and save it in Excel, or paste the values"
                ),
            )
    return None


def _has_content(ws) -> bool:
    ws.reset_dimensions()
    return any(v is not None for row in ws.iter_rows(values_only=True) for v in row)


def _remaining_rows(ws, header_row: int) -> list[int]:
    """Row numbers after the header that hold anything (they are refused with the header)."""
    return [
        i
        for i, row in enumerate(ws.iter_rows(values_only=True), start=1)
        if i > header_row and any(v is not None for v in row)
    ]
