"""Loading an export by what its bytes are, not by its name: XLSX (a zip), legacy XLS (an OLE2
compound file, through xlrd), XML, JSON, or delimited text (:mod:`~trialflow.elisa.readers.text`).
"""

from __future__ import annotations

from pathlib import Path

from trialflow.elisa.errors import PlateFormatError
from trialflow.elisa.readers.reads import Cell, Export
from trialflow.elisa.readers.text import decode, text_rows
from trialflow.elisa.readers.xlsx import xlsx_sheets

ZIP = b"PK\x03\x04"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound-file header of .xls workbooks


def load_export(path: str | Path) -> Export:
    """The export as rows of cells per sheet (text, XLSX, XLS) or as text (XML, JSON)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PlateFormatError(path, "file not found") from None
    except OSError as exc:
        raise PlateFormatError(path, f"cannot read file ({exc.strerror})") from None
    if not data.strip():
        raise PlateFormatError(path, "the file is empty")
    if data.startswith(ZIP):
        return Export(path, "xlsx", sheets=xlsx_sheets(path))
    if data.startswith(OLE2):
        return Export(path, "xls", sheets=xls_sheets(path, data))
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        raise PlateFormatError(
            path, f"the name says {path.suffix} but the file is not an Excel workbook (XLSX or XLS): a damaged copy?"
        )
    text = decode(path, data)
    head = text.lstrip("\ufeff \t\r\n")[:200]
    if head.startswith("<"):
        return Export(path, "xml", text=text)
    if head.startswith(("{", "[")):
        return Export(path, "json", text=text)
    rows, decimal_comma = text_rows(path, text)
    return Export(path, "text", sheets=[("", rows)], decimal_comma=decimal_comma)


def xls_sheets(path: Path, data: bytes) -> list[tuple[str, list[list[Cell]]]]:
    """Per worksheet of a legacy .xls workbook: rows of (value, 'file:Sheet!C5') cells."""
    import xlrd  # only .xls exports need it
    from openpyxl.utils import get_column_letter

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except xlrd.XLRDError as exc:
        raise PlateFormatError(path, f"not a readable .xls workbook ({exc})") from None
    sheets = []
    for sheet in book.sheets():
        rows: list[list[Cell]] = []
        for r in range(sheet.nrows):
            cells: list[Cell] = []
            for c in range(sheet.ncols):
                cell = sheet.cell(r, c)
                value = None if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK) else cell.value
                if cell.ctype == xlrd.XL_CELL_ERROR:
                    value = xlrd.error_text_from_code.get(cell.value, "#ERR")
                cells.append((value, f"{path.name}:{sheet.name}!{get_column_letter(c + 1)}{r + 1}"))
            rows.append(cells)
        sheets.append((sheet.name, rows))
    return sheets
