"""Thermo Scientific SkanIt (Multiskan, Varioskan) XLSX reports: one worksheet per step.

SkanIt Software (written for 7.0 and 7.0.2, ``Report generated with SW version`` on the
``General information`` sheet) writes a workbook whose step sheets (``Absorbance 1_01``,
``Blank Subtraction 1_02``, ``Standard Curve 1_03`` …, also ``Luminescence 1_01``,
``Fluorescence 1_01``) begin with ``Measurement results``, the session file (``….skax``), the
execution time and the step's name. Below it, per wavelength and plate: ``Wavelength: 450 nm``,
the plate's name (``Plate 1``, ``Blank plate``), and a grid whose corner says what it holds
(``Abs``, ``RLU``, ``RFU`` for a measurement step; ``Blank subtracted``, ``Conc. …``, ``AVG``,
``Value`` … for a calculation step), followed by the ``Sample`` grid of sample names (the
layout, not values: not described). Information sheets (``General information``, ``Session
information``, ``Instrument information``, ``Protocol parameters``, ``Run log``, ``Layout
definitions``) hold no reads.

A measurement step's grids are raw reads (``step`` = the step's name, ``label`` = the sheet's
name, ``nm`` from its ``Wavelength:`` line; ``0 nm``, written for luminescence, is no
wavelength); every calculation step's grids are ``derived``. Tables beside a grid (a user's
side table on the sheet) are never read: only the 12 (24) cells right of the row letters are.

This module also holds the reading of letter-labelled grids (:func:`header_columns`,
:func:`letter_grid`) that the EnVision, Kaleido and BMG layouts share.
"""

from __future__ import annotations

import re

from openpyxl.utils import get_column_letter

from trialflow.elisa.errors import GRID_SHAPE, PlateFormatError
from trialflow.elisa.readers.plate import cell_text
from trialflow.elisa.readers.reads import Cell, Export, Parsed, Read

NAME = "skanit"

_INFO_SHEETS = {
    "general information",
    "session information",
    "instrument information",
    "protocol parameters",
    "run log",
    "layout definitions",
}
# The step's name (or a grid's corner) -> measurement, for SkanIt's measurement steps; the older
# 'Photometric1' / 'Fluorometric1' / 'Luminometric1' step names are mapped too.
_MEASUREMENT_WORDS = (
    ("absorbance", "absorbance"),
    ("photometric", "absorbance"),
    ("fluorescence", "fluorescence"),
    ("fluorometric", "fluorescence"),
    ("luminescence", "luminescence"),
    ("luminometric", "luminescence"),
)
_RAW_CORNERS = {"abs": "absorbance", "od": "absorbance", "rfu": "fluorescence", "rlu": "luminescence"}
_WAVELENGTH = re.compile(r"^wavelength:\s*(\d+(?:\.\d+)?)\s*nm", re.IGNORECASE)


# --- letter-labelled grids, shared by the vendor layouts ---------------------------------------


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
                line=_place(row[label_col][1]),
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
            line=_place(cell_source(export, title, r - 1, label_col)),
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


def _place(src: str) -> str:
    m = re.search(r":line (\d+), col \d+$", src)
    if m:
        return m.group(1)
    return src.rsplit(":", 1)[-1] if ":" in src else ""


def refuse_1536(export: Export, row: list[Cell], j: int, columns: int) -> PlateFormatError:
    """The error for a grid header with more than 24 columns (a 1536-well plate)."""
    return PlateFormatError(
        export.path,
        f"grid header at {row[j][1]} has {columns} columns: a {columns * 32 if columns == 48 else '?'}-well plate; "
        "only 96- and 384-well plates are read",
        line=_place(row[j][1]),
        rule=GRID_SHAPE,
    )


# --- SkanIt ------------------------------------------------------------------------------------


def _first_text(rows: list[list[Cell]], n: int = 1) -> list[str]:
    """The first ``n`` non-empty texts of a sheet, row by row."""
    out = []
    for row in rows:
        for v, _ in row:
            t = cell_text(v)
            if t:
                out.append(t)
                break
        if len(out) == n:
            break
    return out


def _is_step_sheet(rows: list[list[Cell]]) -> bool:
    return _first_text(rows)[:1] == ["Measurement results"]


def recognises(export: Export) -> bool:
    """A workbook with a step sheet that begins ``Measurement results`` and names a SkanIt session
    file (``….skax``/``….skas``) or whose information sheets name SkanIt."""
    if export.container not in ("xlsx", "xls"):
        return False
    steps = [rows for _, rows in export.sheets if _is_step_sheet(rows)]
    if not steps:
        return False
    if any(t.lower().endswith((".skax", ".skas", ".ska")) for rows in steps for t in _first_text(rows, 2)[1:]):
        return True
    return any(
        "skanit" in cell_text(v).lower()
        for title, rows in export.sheets
        if title.lower() in _INFO_SHEETS
        for row in rows[:20]
        for v, _ in row
    )


def _measurement(step: str) -> str | None:
    low = step.lower()
    return next((m for word, m in _MEASUREMENT_WORDS if low.startswith(word)), None)


def _mode(step: str) -> str:
    low = step.lower()
    if "kinetic" in low:
        return "kinetic"
    if "spectr" in low or "scan" in low:
        return "spectrum"
    return "endpoint"


_INSTRUMENT_KEYS = {"Name", "Serial number", "ESW version"}  # not its filter list ('Wavelength 492 …')


def _metadata(export: Export) -> dict[str, str]:
    """The software (``Report generated with SW version``), session and instrument lines."""
    meta: dict[str, str] = {}
    for title, rows in export.sheets:
        if title.lower() not in ("general information", "session information", "instrument information"):
            continue
        for row in rows:
            texts = [cell_text(v) for v, _ in row if cell_text(v)]
            if len(texts) >= 2 and (title.lower() != "instrument information" or texts[0] in _INSTRUMENT_KEYS):
                meta.setdefault(texts[0], " ".join(texts[1:]))
    return meta


def reads(export: Export) -> Parsed:
    """Every grid of every step sheet: raw reads of measurement steps, derived grids of the
    calculation steps; plates numbered by first appearance of their names."""
    found: list[Read] = []
    positions: dict[str, int] = {}
    for title, rows in export.sheets:
        if not _is_step_sheet(rows):
            continue
        texts = _first_text(rows, 4)
        step = texts[3] if len(texts) > 3 else title
        measurement = _measurement(step)
        nm: int | None = None
        plate_name = ""
        i = 0
        while i < len(rows):
            row = rows[i]
            header = header_columns(row)
            if header is None:
                first = next((cell_text(v) for v, _ in row if cell_text(v)), "")
                m = _WAVELENGTH.match(first)
                if m:
                    value = float(m.group(1))
                    nm = int(value) if value > 0 else None
                elif first and len(row) and cell_text(row[0][0]) == first and first != step and i > 4:
                    plate_name = first if not first.startswith(("Autoloading", "Variable:", "Source step:")) else ""
                i += 1
                continue
            j, columns = header
            if columns > 24:
                raise refuse_1536(export, row, j, columns)
            corner = cell_text(row[j - 1][0]) if j > 0 else ""
            cells, end = letter_grid(export, title, rows, i, j, columns)
            if corner.lower() != "sample" and cells:
                derived = measurement is None
                kind = "unknown" if derived else _RAW_CORNERS.get(corner.lower(), measurement or "unknown")
                name = plate_name  # "" when the sheet names no plate: the file states none
                plate = positions.setdefault(name, len(positions) + 1)
                found.append(
                    Read(
                        cells=cells,
                        wells=columns * len(letters(columns)),
                        nm=nm,
                        label=title if not derived else f"{title}: {corner}",
                        step=step,
                        plate=plate,
                        plate_name=name,
                        measurement=kind,
                        mode=_mode(step),
                        derived=derived,
                        where=row[j - 1][1] if j > 0 else row[j][1],
                    )
                )
            i = max(end, i + 1)
    return Parsed("skanit-xlsx", found, _metadata(export))
