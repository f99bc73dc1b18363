"""XLSX workbooks holding a plate grid on a worksheet (openpyxl, ``read_only``, ``data_only``).

A formula cell without a cached value is an error (the workbook was written by a program that
does not compute formulas; open and save it in Excel). The first worksheet with a grid is
read; grids on several worksheets are an error.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from trialflow.elisa.errors import GRID_SHAPE, PlateFormatError
from trialflow.elisa.readers.grid import find_grids
from trialflow.elisa.readers.plate import Cell


def xlsx_sheets(path: Path) -> list[tuple[str, list[list[Cell]]]]:
    """Per worksheet: rows of (value, 'file:Sheet!C5') cells."""
    if not path.exists():
        raise PlateFormatError(path, "file not found")
    try:
        data = path.read_bytes()  # by content: openpyxl refuses a workbook whose name is not .xlsx
        wb_val = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        wb_f = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:  # TypeError: a damaged style
        raise PlateFormatError(path, f"not a readable XLSX workbook ({exc})") from None
    sheets = []
    try:
        for ws_val, ws_f in zip(wb_val.worksheets, wb_f.worksheets, strict=True):
            title = ws_val.title
            ws_val.reset_dimensions()
            ws_f.reset_dimensions()
            formulas: dict[tuple[int, int], str] = {}
            for r, row in enumerate(ws_f.iter_rows(values_only=True), start=1):
                for c, v in enumerate(row, start=1):
                    if isinstance(v, str) and v.startswith("="):
                        formulas[(r, c)] = v
                    elif v is not None and type(v).__name__ in ("ArrayFormula", "DataTableFormula"):
                        formulas[(r, c)] = str(getattr(v, "text", v))
            rows: list[list[Cell]] = []
            bad: list[str] = []
            first_bad = ""
            for r, row in enumerate(ws_val.iter_rows(values_only=True), start=1):
                cells: list[Cell] = []
                for c, v in enumerate(row, start=1):
                    ref = f"{title}!{get_column_letter(c)}{r}"
                    if v is None and (r, c) in formulas:
                        first_bad = first_bad or ref
                        bad.append(f"{ref} ({formulas[(r, c)]})")
                    cells.append((v, f"{path.name}:{ref}"))
                rows.append(cells)
            if bad:
                shown = ", ".join(bad[:5]) + (" …" if len(bad) > 5 else "")
                raise PlateFormatError(
                    path,
                    f"formula cell(s) without a cached value: {shown}; the workbook was saved "
                    "by a program that does not calculate formulas - open and save it in "
                    "Excel/LibreOffice, or export values",
                    line=first_bad,
                )
            sheets.append((title, rows))
    finally:
        wb_val.close()
        wb_f.close()
    return sheets


def grid_sheet(path: Path) -> list[list[Cell]]:
    """The rows of the one worksheet that holds a 96-well grid."""
    found = []
    for title, rows in xlsx_sheets(path):
        grids, _ = find_grids(path, rows)
        if grids:
            found.append((title, rows))
    if not found:
        raise PlateFormatError(
            path,
            "no 96-well grid found on any worksheet: expected a header row with the "
            "column numbers 1..12 followed by rows A-H (see docs/elisa.md)",
            rule=GRID_SHAPE,
        )
    if len(found) > 1:
        raise PlateFormatError(
            path,
            f"plate grids on several worksheets ({', '.join(t for t, _ in found)}); keep one plate per workbook",
        )
    return found[0][1]
