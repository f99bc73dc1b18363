"""The result of reading a file (:class:`Table`), the row balance, and what text and workbooks share.

A :class:`Table` is a file read as text, with the problems found and how it was read;
:func:`row_balance` checks that rows read = rows accepted + rows rejected;
:func:`column_problems` checks the header against the columns a reader needs. The helpers
below them (:func:`clean_header`, :func:`finish_table` ...) are the steps that
:mod:`trialflow.readers.text` and :mod:`trialflow.readers.workbook` have in common.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import pandas as pd

from trialflow.problems import Problem, errors_in
from trialflow.readers.numbers import check_number, parse_number

LINE = "_line"  # name of the column that carries the row's line (text) or row number (sheet)
DECIMAL_COMMA_DELIMITERS = (";", "\t")


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
    from openpyxl.utils import get_column_letter  # openpyxl takes ~0.1 s to import; config checks import this module

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


def column_problems(table: Table, required: Iterable[str]) -> list[Problem]:
    """A missing required column is an error; a column that is not read is a warning (never a silent drop)."""
    frame, name, header = table.frame, table.name, str(table.header_line)
    found = ", ".join(c for c in frame.columns if c != LINE) or "none"
    problems = [
        Problem(
            name, header, c, "", "column_present", "error", f"required column {c!r} is missing (columns found: {found})"
        )
        for c in required
        if c not in frame.columns
    ]
    problems += [
        Problem(
            name, header, c, "", "column_unused", "warning", "this column is not one trialflow reads; it was ignored"
        )
        for c in frame.columns
        if c != LINE and c not in required
    ]
    return problems


def empty_frame(columns: Iterable[str] = ()) -> pd.DataFrame:
    """A frame of ``columns`` (text) and ``_line`` with no rows."""
    frame = pd.DataFrame({c: pd.Series(dtype=str) for c in columns})
    frame[LINE] = pd.Series(dtype="int64")
    return frame


def refused_table(name: str, rule: str, message: str, line: str = "", **kw) -> Table:
    """A file that could not be read at all: no columns, no rows, one error."""
    return Table(empty_frame(), [Problem(name, line, "", "", rule, "error", message)], name, refused=True, **kw)


def clean_header(record: list, name: str, where) -> tuple[list[str], list[Problem]]:
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


def finish_table(table: Table, header: list[str], rows: list[list[str]], lines: list[int]) -> Table:
    """The accepted rows as the table's frame (whether a file may have none is the caller's
    rule: :func:`trialflow.readers.read`, ``rows_required``)."""
    kept = [c for c in header if c not in table.dropped]
    frame = pd.DataFrame(rows, columns=kept, dtype=str) if rows else empty_frame(kept)
    frame[LINE] = pd.Series(lines, dtype="int64")
    table.frame = frame
    return table


def rows_problem(table: Table) -> Problem:
    """A file with a header and no data row, where data rows are required."""
    return Problem(
        table.name,
        table.place(table.header_line),
        "",
        "",
        "rows_present",
        "error",
        "the file has a header row but no data rows",
    )
