"""Read delimited text exports exactly as written, keeping the line each row came from.

pandas guesses too much for audit work (it shifts columns when a row has an extra field,
drops leading zeros, turns sentinels into NaN), so tables are read with the ``csv`` module
as strings and every cell is converted later by a rule that can name the file, line,
column and value when it refuses it.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pandas as pd

from trialflow.problems import Problem

LINE = "_line"  # name of the column that carries the 1-based line number in the source file
DELIMITERS = [",", ";", "\t"]


def decode(raw: bytes) -> tuple[str, str]:
    """Decode bytes as UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    if raw.startswith(codecs.BOM_UTF16_LE) or raw.startswith(codecs.BOM_UTF16_BE):
        return raw.decode("utf-16"), "utf-16"
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252"), "cp1252"


def sniff_delimiter(header_line: str) -> str:
    """The delimiter that splits the header into the most fields (comma on a tie)."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def read_table(path: str | Path, name: str | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a delimited file into a frame of strings plus a ``_line`` column.

    Parameters
    ----------
    path : file to read (never written).
    name : how the file is named in messages (default: the file name).

    Returns
    -------
    frame : one row per non-blank data row; every column as ``str`` (empty string when the
        cell is empty), plus ``_line`` (int), the line number a text editor shows.
    problems : rows or headers that could not be read (duplicate or blank headers, a row with
        more or fewer fields than the header). Such rows are not in ``frame``.
    """
    path = Path(path)
    name = name or path.name
    text, _ = decode(path.read_bytes())
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return pd.DataFrame(columns=[LINE]), [
            Problem(name, "", "", "", "file_not_empty", "error", "the file has no header row")
        ]
    delimiter = sniff_delimiter(lines[first])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    problems: list[Problem] = []
    header: list[str] | None = None
    rows: list[list[str]] = []
    line_numbers: list[int] = []
    line_no = 1  # csv's line_num counts physical lines consumed, so a row starts after the last
    for record in reader:
        start, line_no = line_no, reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue  # blank or all-delimiter row: nothing to lose
        if header is None:
            header, problems = _clean_header(record, name, start)
            if problems:  # columns cannot be told apart: reading on would guess
                return pd.DataFrame(columns=[LINE]), problems
            continue
        width = len(header)
        extra = record[width:]
        if any(cell.strip() for cell in extra):
            problems.append(
                Problem(name, str(start), "", delimiter.join(record), "row_width", "error",
                        f"this row has {len(record)} fields but the header has {width}; "
                        "a stray delimiter would shift every column after it")
            )
            continue
        record = record[:width]
        if len(record) < width:
            problems.append(
                Problem(name, str(start), header[len(record)], delimiter.join(record),
                        "row_width", "error",
                        f"this row has {len(record)} fields but the header has {width}")
            )
            continue
        rows.append([cell.strip() for cell in record])
        line_numbers.append(start)
    if header is None:
        header = []
    frame = pd.DataFrame(rows, columns=header, dtype=str)
    frame[LINE] = pd.Series(line_numbers, dtype="int64")
    return frame, problems


def _clean_header(record: list[str], name: str, line: int) -> tuple[list[str], list[Problem]]:
    header = [cell.strip() for cell in record]
    while header and header[-1] == "":  # trailing empty columns from spreadsheets
        header.pop()
    problems = []
    seen: set[str] = set()
    for i, column in enumerate(header, start=1):
        if column == "":
            problems.append(Problem(name, str(line), f"#{i}", "", "header_named", "error",
                                    f"column {i} of the header has no name"))
        elif column in seen:
            problems.append(Problem(name, str(line), column, column, "header_unique", "error",
                                    "this column name appears twice in the header"))
        seen.add(column)
    return header, problems


def parse_number(text: str, decimal_comma: bool = False) -> float | None:
    """A number as written (``'12.5'``; ``'12,5'`` when decimal commas are allowed), else None."""
    s = text.strip()
    if decimal_comma and s.count(",") == 1 and "." not in s:
        s = s.replace(",", ".")
    try:
        value = float(s)
    except ValueError:
        return None
    return value if s.lower() not in {"nan", "inf", "-inf", "+inf", "infinity"} else None
