"""Letter-labelled grids in vendor reports (SkanIt, EnVision, Kaleido, BMG): a header of column
numbers (``1`` … ``12`` or ``01`` … ``24``) and rows labelled ``A`` … ``H`` (… ``P``).

Unlike the strict plain-grid reading (:func:`trialflow.elisa.readers.grid.find_grids`), which
treats any text after column 12 as a note inside the grid, these reports put side tables and
sample-name grids beside and below their grids: only the 12 (24) cells right of the row letters
are read, and a partial plate (rows of a read pattern) keeps the wells it lists.
"""

from __future__ import annotations

from openpyxl.utils import get_column_letter

from trialflow.elisa.errors import GRID_SHAPE, PlateFormatError
from trialflow.elisa.readers.plate import cell_text, place
from trialflow.elisa.readers.reads import Cell, Export


def header_columns(row: list[Cell]) -> tuple[int, int] | None:
    """``(j, columns)`` when ``row`` holds the column numbers ``1 … 12`` or ``1 … 24`` (also
    written ``01`` …) from index ``j``, else ``None``. A run longer than 24 (1536-well plates:
    48) is returned with its length, for the caller to refuse."""
    texts = [cell_text(v) for v, _ in row]
    for j, text in enumerate(texts):
        if text.lstrip("0") != "1":
            continue
        n = 1
        while j + n < len(texts) and texts[j + n].isdigit() and int(texts[j + n]) == n + 1:
            n += 1
        if n in (12, 24) or n > 24:
            return j, n
    return None


def letters(columns: int) -> str:
    """The row letters of a plate with ``columns`` columns: ``A``-``H`` or ``A``-``P``."""
    return "ABCDEFGHIJKLMNOP"[: 8 if columns == 12 else 16]


def cell_source(export: Export, title: str, r: int, c: int) -> str:
    """Where row ``r``, column ``c`` (0-based) of a sheet is, in the form the loader writes."""
    if export.container == "text":
        return f"{export.path.name}:line {r + 1}, col {c + 1}"
    return f"{export.path.name}:{title}!{get_column_letter(c + 1)}{r + 1}"


def letter_grid(
    export: Export, title: str, rows: list[list[Cell]], i: int, j: int, columns: int, *, label_col: int | None = None
) -> tuple[dict[str, Cell], int]:
    """The cells of the grid whose column-number header is row ``i`` (``1`` at index ``j``),
    keyed by well, and the index of the first row after it.

    Rows are the lines below the header whose cell at ``label_col`` (default ``j - 1``) is a row
    letter, in plate order (a reader may measure some rows only: EnVision writes ``A, E, I, M``
    for a pattern; the rows left out are wells the file leaves out); the grid ends at the first
    line that is not. A workbook's empty cell is kept as ``(None, place)``; a text line that stops
    before the last column leaves those wells out. Refused (:class:`PlateFormatError`, rule
    ``plate_grid_shape``): a row letter out of order or twice, and a grid the file ends inside
    before its last row (a truncated file).
    """
    label_col = j - 1 if label_col is None else label_col
    plate_rows = letters(columns)
    cells: dict[str, Cell] = {}
    header_at = rows[i][j][1]
    r = i + 1
    k = 0
    while r < len(rows):
        row = rows[r]
        lab = cell_text(row[label_col][0]) if label_col < len(row) else ""
        if len(lab) != 1 or lab not in plate_rows:
            break
        if plate_rows.index(lab) < k:
            want = f"a row after {plate_rows[k - 1]!r}" if k < len(plate_rows) else "no more rows"
            raise PlateFormatError(
                export.path,
                f"grid starting at {header_at}: row {lab!r} at {row[label_col][1]} where {want} was expected "
                f"(rows run A to {plate_rows[-1]}, each once)",
                line=place(row[label_col][1]),
                value=lab,
                rule=GRID_SHAPE,
            )
        for m in range(columns):
            c = j + m
            well = f"{lab}{m + 1}"
            if c < len(row):
                cells[well] = row[c]
            elif export.container != "text":
                cells[well] = (None, cell_source(export, title, r, c))
        k = plate_rows.index(lab) + 1
        r += 1
    rest = any(cell_text(v) for row in rows[r:] for v, _ in row)
    short = export.container == "text" and r > i + 1 and len(rows[r - 1]) < j + columns and _cut_mid_line(export)
    if (k < len(plate_rows) or short) and not rest:
        got = plate_rows[k - 1] if k else "none"
        raise PlateFormatError(
            export.path,
            f"grid starting at {header_at} is cut short: rows A-{plate_rows[-1]} of {columns} values expected, "
            f"last row found: {got}" + (f" with {len(rows[r - 1]) - j} values" if short else "") + "; "
            "the file ends there (a truncated file?)",
            line=place(cell_source(export, title, r - 1, label_col)),
            rule=GRID_SHAPE,
        )
    return cells, r


def _cut_mid_line(export: Export) -> bool:
    """Whether a text export stops inside a line (no line break at its end): a short last row is
    then a cut row, not a row whose empty trailing fields were left out (BMG MARS writes such)."""
    try:
        data = export.path.read_bytes().rstrip(b"\x00")
    except OSError:
        return False
    return not data.endswith((b"\n", b"\r"))


def refuse_1536(export: Export, row: list[Cell], j: int, columns: int) -> PlateFormatError:
    """The error for a grid header with more than 24 columns (a 1536-well plate)."""
    return PlateFormatError(
        export.path,
        f"grid header at {row[j][1]} has {columns} columns: a {columns * 32 if columns == 48 else '?'}-well plate; "
        "only 96- and 384-well plates are read",
        line=place(row[j][1]),
        rule=GRID_SHAPE,
    )
