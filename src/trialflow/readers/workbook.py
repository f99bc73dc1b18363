"""Excel workbooks (``.xlsx``/``.xlsm``, recognised by their content): one sheet read as text.

The rules are those of :mod:`trialflow.readers` (its docstring, "Workbooks"): the first
visible sheet or the named one, other sheets with content named in a warning; cells as the
text a person sees in Excel (:func:`cell_text`); formulas without a saved result and Excel
errors refused; problems named by cell (``Sheet1!C5``).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
import zipfile
from collections.abc import Collection

from trialflow.identifiers import screen_header
from trialflow.problems import Problem
from trialflow.readers.table import Table, cell_name, clean_header, empty_frame, finish_table, refused_table

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and password-protected .xlsx
MAX_WORKBOOK_BYTES = 256 * 2**20  # uncompressed size of all parts; refuses zip bombs


def cell_text(value) -> str:
    """A cell's value as the text a person sees (the rules: :mod:`trialflow.readers`, "Workbooks")."""
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


def read_workbook(raw: bytes, name: str, sheet: str | None, keep: Collection[str] = ()) -> Table:
    """The bytes of a workbook, one sheet read by the rules of :mod:`trialflow.readers`
    (``keep``: columns never dropped as identifiers)."""
    import openpyxl  # ~0.1 s; every Snakemake start imports this module (the config's REDCap checks)

    def refuse(message: str, line: str = "") -> Table:
        return refused_table(name, "file_format", message, line, kind="workbook")

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
        return _read_sheet(values_wb, formulas_wb, name, sheet, refuse, keep)
    except Exception as err:  # noqa: BLE001 - a malformed sheet part
        return refuse(f"the workbook could not be read ({_reason(err)})")
    finally:
        values_wb.close()
        formulas_wb.close()


def _reason(err: Exception) -> str:
    """The error in a few words, without the parser's byte positions."""
    text = re.sub(r":? line \d+, column \d+$", "", str(err)).strip()
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _read_sheet(values_wb, formulas_wb, name: str, sheet: str | None, refuse, keep: Collection[str]) -> Table:
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
    table = Table(empty_frame(), [], name, "workbook", sheet=ws.title)
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
            texts.append(cell_text(cell.value))
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
            header, problems = clean_header(texts, name, lambda i, r=row_no: cell_name(ws.title, r, i))
            if problems:
                table.problems += problems
                table.refused = True
                table.row_lines = _remaining_rows(ws, row_no)
                return table
            table.positions = {c: i for i, c in enumerate(header, start=1)}
            table.dropped, found = screen_header(header, name, lambda i, r=row_no: cell_name(ws.title, r, i + 1), keep)
            skip = {i for i, c in enumerate(header) if c in table.dropped}
            table.problems += found
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
    return finish_table(table, header, rows, lines)


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
