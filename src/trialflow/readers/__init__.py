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
  into the frame or quoted in a problem, unless the caller reads them (``keep``: a configured
  field wins, with a warning that names it).
* Cells are trimmed of surrounding white space and otherwise kept exactly as written.
* Plate-reader marks (``OVER``, ``****``, ``Range?``, ``<LLOQ``, ``n.d.``, ``N/A`` ...) are not
  numbers: :func:`classify_sentinel` names the flag, :func:`check_number` refuses them with it.

Modules
-------
:mod:`~trialflow.readers.table`
    :class:`Table`, :func:`row_balance`, :func:`column_problems`, and the steps both kinds of
    file share (header names, the frame of accepted rows).
:mod:`~trialflow.readers.text`
    delimited text: :func:`decode`, :func:`sniff_delimiter`, quotes and row widths.
:mod:`~trialflow.readers.workbook`
    ``.xlsx``/``.xlsm`` workbooks (openpyxl).
:mod:`~trialflow.readers.numbers`
    :func:`parse_number`, :func:`check_number`, :func:`classify_sentinel`.

:func:`read` (here) tells a workbook from a text file by its first bytes and hands it to one of
them; every public name of the modules is offered here too.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import pandas as pd

from trialflow.problems import Problem
from trialflow.rawpaths import inside_raw
from trialflow.readers.numbers import EXCEL_ERRORS, FLAG_WORDS, SENTINELS, check_number, classify_sentinel, parse_number
from trialflow.readers.table import (
    DECIMAL_COMMA_DELIMITERS,
    LINE,
    RowBalance,
    Table,
    cell_name,
    column_problems,
    refused_table,
    row_balance,
    rows_problem,
)
from trialflow.readers.text import DELIMITERS, count_refused, decode, read_text, sniff_delimiter
from trialflow.readers.workbook import MAX_WORKBOOK_BYTES, OLE_MAGIC, WORKBOOK_SUFFIXES, ZIP_MAGIC, read_workbook

__all__ = [
    "DECIMAL_COMMA_DELIMITERS",
    "DELIMITERS",
    "EXCEL_ERRORS",
    "FLAG_WORDS",
    "LINE",
    "MAX_WORKBOOK_BYTES",
    "OLE_MAGIC",
    "SENTINELS",
    "WORKBOOK_SUFFIXES",
    "ZIP_MAGIC",
    "RowBalance",
    "Table",
    "cell_name",
    "check_number",
    "classify_sentinel",
    "column_problems",
    "decode",
    "inside_raw",
    "parse_number",
    "read",
    "read_table",
    "row_balance",
    "sniff_delimiter",
]


def read(
    path: str | Path,
    name: str | None = None,
    sheet: str | None = None,
    keep: Collection[str] = (),
    rows_required: bool = True,
) -> Table:
    """Read a delimited text file or an .xlsx workbook (``sheet``: its name; default the first
    visible one; ``keep``: columns the caller reads, never dropped as direct identifiers).
    Never raises for what is in the file: every fault is a :class:`Problem`.

    ``rows_required``: a header without data rows is an error (``rows_present``); without it such
    a file is read as holding nothing (an adverse-events file of a trial without events)."""
    table = _read(Path(path), name or Path(path).name, sheet, keep)
    if rows_required and not table.refused and not table.row_lines:
        table.problems.append(rows_problem(table))
    return table


def _read(path: Path, name: str, sheet: str | None, keep: Collection[str]) -> Table:
    try:
        raw = path.read_bytes()
    except OSError as err:
        return refused_table(name, "file_readable", f"the file cannot be read: {err.strerror or err}")
    if raw.startswith(ZIP_MAGIC):
        return read_workbook(raw, name, sheet, keep)
    if raw.startswith(OLE_MAGIC):
        return refused_table(
            name,
            "file_format",
            "this is an old-style Excel .xls workbook or a password-protected one; "
            "save it as .xlsx without a password, or as CSV",
        )
    if path.suffix.lower() in WORKBOOK_SUFFIXES and raw:
        return count_refused(
            refused_table(name, "file_format", f"the file is named {path.suffix} but is not an Excel workbook"), raw
        )
    if sheet:
        return refused_table(
            name, "file_format", f"a sheet ({sheet!r}) is configured but the file is not an Excel workbook"
        )
    return read_text(raw, name, keep)


def read_table(
    path: str | Path,
    name: str | None = None,
    sheet: str | None = None,
    keep: Collection[str] = (),
    rows_required: bool = True,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a delimited text file or workbook into a frame of strings plus a ``_line`` column.

    Parameters
    ----------
    path : file to read (never written).
    name : how the file is named in messages (default: the file name).
    sheet : for a workbook, the sheet to read (default: the first visible one).
    keep : columns the caller reads (configured fields): never dropped as direct identifiers,
        whatever their name; a warning names each such column that looks like one.
    rows_required : a header without data rows is an error (see :func:`read`).

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
    table = read(path, name, sheet, keep, rows_required)
    return table.frame, table.problems
