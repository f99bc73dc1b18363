"""The plain grid layout, and the grid finding that the other grid-shaped layouts share.

A **grid** is a header row holding ``1 2 … 12`` (``1 … 24`` for a 384-well plate) in consecutive
cells, preceded by one cell (empty, ``<>`` or a label), followed by the rows ``A`` … ``H``
(``A`` … ``P``) with one value per column. A plain grid CSV or workbook holds one such grid per
read, each optionally preceded by a label line such as ``570`` or ``Wavelength: 570``.
:func:`find_grids` also reads the features of Gen5 exports in any grid file (a label after the
last column, continuation rows, the ``Results`` matrix; :mod:`trialflow.elisa.readers.gen5`).

:func:`reads` describes every grid as a :class:`~trialflow.elisa.readers.reads.Read` (its label,
the wavelength the label states, the read step, whether the label names a derived grid); which
read is taken is chosen later (:mod:`trialflow.elisa.readers.choose`).
"""

from __future__ import annotations

import re
from pathlib import Path

from trialflow.elisa.errors import GRID_SHAPE, PlateFormatError
from trialflow.elisa.readers.plate import NUMBER, Cell, cell_text, place
from trialflow.elisa.readers.reads import PLATE_SHAPES, Export, Parsed, Read

NAME = "grid"

ROW_LETTERS = "ABCDEFGHIJKLMNOP"  # the rows of the largest plate read (384 wells)
_DERIVED_WORDS = (
    "blank",
    "corrected",
    "ratio",
    "conc",
    "delta",
    "[",
    "well id",
    "layout",
    "pathlength",
    "mean",
    "std",
    "cv",
    "count",
    "dil",
    "curve",
    "fit",
    "temperature",
    "time",
    "sample",
)
_LABEL_KEYS = {"wavelength", "wavelengths", "read", "label", "measurement", "filter"}


def _cell(row: list[Cell], j: int) -> Cell:
    return row[j] if 0 <= j < len(row) else (None, "")


def _runs_from_one(texts: list[str], j: int, n: int) -> bool:
    return j + n <= len(texts) and all(texts[j + m] == str(m + 1) for m in range(n))


def find_header(row: list[Cell]) -> int | None:
    """Index of the cell holding '1' in a '1..12' (or '1..24') header row, or None."""
    texts = [cell_text(v) for v, _ in row]
    for j in range(1, len(texts) - 11):
        if _runs_from_one(texts, j, 12):
            corner = texts[j - 1]
            if corner and NUMBER.match(corner):
                continue
            return j
    return None


def header_columns(row: list[Cell], j: int) -> int:
    """The number of plate columns of the header row whose '1' is at index ``j``: 24 when the
    header runs to 24, else 12."""
    texts = [cell_text(v) for v, _ in row]
    return 24 if _runs_from_one(texts, j, 24) else 12


def first_header(rows: list[list[Cell]]) -> int:
    """Index of the first grid header row (``len(rows)`` without one): the metadata ends there."""
    return next((i for i, row in enumerate(rows) if find_header(row) is not None), len(rows))


def _label_kind(text: str) -> tuple[str, int | None]:
    """Classify a grid label: ('raw', nm) | ('derived', None) | ('container', None) |
    ('unknown', None)."""
    t = text.strip().lower()
    if t == "":
        return ("unknown", None)
    if t.rstrip(":") == "results":
        return ("container", None)
    if any(w in t for w in _DERIVED_WORDS):
        return ("derived", None)
    nums = [int(n) for n in re.findall(r"(?<!\d)(\d{3})(?!\d)", t) if 200 <= int(n) <= 1000]
    if nums:
        return ("raw", nums[-1])
    return ("unknown", None)


def label_step(label: str) -> str:
    """The read step a label names before its wavelength: ``'Read 1:450'`` -> ``'Read 1'``;
    ``''`` for ``'450'`` or ``'Wavelength: 570'``."""
    if ":" not in label:
        return ""
    step = label.rsplit(":", 1)[0].strip()
    return "" if step.lower() in _LABEL_KEYS else step


def _label_above(rows: list[list[Cell]], i: int, floor: int) -> str:
    """Text of the label line above header row ``i`` (not above row ``floor``)."""
    k = i - 1
    while k >= floor and not any(cell_text(v) for v, _ in rows[k]):
        k -= 1
    if k < floor:
        return ""
    cells = [cell_text(v) for v, _ in rows[k] if cell_text(v)]
    if len(cells) == 1:
        return cells[0]
    if len(cells) == 2 and cells[0].lower().rstrip(":").strip() in _LABEL_KEYS:
        return f"{cells[0]} {cells[1]}"
    return ""


class Grid:
    """One grid found in an export: its label, what the label says (``kind``, ``nm``), where its
    header is (``where``: file and cell; ``line``: the line or ``Sheet!cell``), its rows ``A`` …
    ``H`` (``A`` … ``P``) of 12 (24) cells each, ``wells`` (96 or 384), ``header`` (the index of
    its header row) and ``end``, the index of the first row after it."""

    def __init__(self, label: str, kind: str, nm: int | None, line_desc: str, wells: int = 96) -> None:
        self.label = label
        self.kind = kind
        self.nm = nm
        self.where = line_desc
        self.line = place(line_desc)
        self.wells = wells
        self.rows: dict[str, list[Cell]] = {}
        self.header = 0
        self.end = 0

    def cells(self) -> dict[str, Cell]:
        """Well (``A1`` …) -> its cell, for every well the grid holds."""
        return {f"{r}{m + 1}": cell for r, cells in self.rows.items() for m, cell in enumerate(cells)}


def _row_place(header_src: str, index: int) -> str:
    """Where row ``index`` (0-based) of the file is, in the form of the header's place: the line
    of a text export, ``Sheet!A<row>`` of a workbook."""
    here = place(header_src)
    return f"{here.split('!')[0]}!A{index + 1}" if "!" in here else str(index + 1)


def where_text(src: str) -> str:
    """A cell's place as a message names it: ``'line 5'`` of a text export, ``'Sheet1!B5'``."""
    here = place(src)
    return f"line {here}" if here.isdigit() else here


def _shape_error(path: Path, message: str, where: str, value: str = "") -> PlateFormatError:
    return PlateFormatError(path, message, line=where, value=value, rule=GRID_SHAPE)


def find_grids(path: Path, rows: list[list[Cell]]) -> tuple[list[Grid], int]:
    """Find all 96- and 384-well grids; return them and the index of the first header row.

    Strict about the shape (rule ``plate_grid_shape``, each error naming its line): rows ``A`` to
    ``H`` (``P``) in order, no row after the last (``I`` …), none missing or twice, one value per
    column in each row (fewer: a truncated row; a number after the last column: an extra column or
    a decimal comma in a comma-separated file), no text after the last column other than a
    wavelength label (a note).
    """
    grids: list[Grid] = []
    first = len(rows)
    floor = 0
    i = 0
    while i < len(rows):
        j = find_header(rows[i])
        if j is None:
            i += 1
            continue
        first = min(first, i)
        ncols = header_columns(rows[i], j)
        wells = 384 if ncols == 24 else 96
        letters = ROW_LETTERS[: PLATE_SHAPES[wells][0]]
        hdr_src = rows[i][j][1]
        after, after_src = cell_text(_cell(rows[i], j + ncols)[0]), _cell(rows[i], j + ncols)[1]
        if after and NUMBER.match(after):
            raise _shape_error(
                path,
                f"grid header at {hdr_src} runs past {ncols} columns ({after!r} after {ncols}); only 96-well "
                "(rows A-H, columns 1-12) and 384-well plates (rows A-P, columns 1-24) are supported",
                place(after_src),
                after,
            )
        corner = cell_text(_cell(rows[i], j - 1)[0])
        section = _label_above(rows, i, floor) or corner
        by_label: dict[str, Grid] = {}
        expected = iter(letters)
        want = next(expected)
        letter = None
        r = i + 1
        while r < len(rows):
            row = rows[r]
            lab = cell_text(_cell(row, j - 1)[0])
            vals = [_cell(row, j + m) for m in range(ncols)]
            has_values = any(cell_text(v) for v, _ in vals)
            if len(lab) == 1 and lab.isalpha() and (lab.upper() in letters or (letter is not None and has_values)):
                if lab.upper() != want:
                    last = letters[-1]
                    expected_text = f"row {want!r} was expected" if want else f"row {last} was the last ({wells} wells)"
                    raise _shape_error(
                        path,
                        f"grid starting at {hdr_src}: row {lab!r} at {_cell(row, j - 1)[1]} where {expected_text} "
                        f"(rows must run A to {last})",
                        place(_cell(row, j - 1)[1]),
                        lab,
                    )
                letter = lab.upper()
                want = next(expected, None)
            elif lab == "" and letter is not None and has_values:
                pass  # Gen5 continuation row (another read of the same plate row)
            else:
                break
            absent = [m for m, (_, src) in enumerate(vals) if not src]
            if absent:
                raise _shape_error(
                    path,
                    f"row {letter} at {_cell(row, j - 1)[1] or _row_place(hdr_src, r)} has {absent[0]} of {ncols} "
                    "values: the row is cut short (a truncated file?)",
                    _row_place(hdr_src, r),
                )
            beyond = [(v, src) for v, src in row[j + ncols :] if cell_text(v)]
            trailing_cell = beyond[0] if beyond else (None, "")
            trailing = cell_text(trailing_cell[0])
            if len(beyond) > 1 or (trailing and NUMBER.match(trailing) and _label_kind(trailing)[0] != "raw"):
                raise _shape_error(
                    path,
                    f"row {letter} at {trailing_cell[1]} has a value after column {ncols} ({trailing!r}): an extra "
                    "column, or a decimal comma in a comma-separated export (write 0.123, or separate with ';')",
                    place(trailing_cell[1]),
                    trailing,
                )
            if trailing and _label_kind(trailing)[0] == "unknown":
                raise _shape_error(
                    path,
                    f"text {trailing!r} after column {ncols} of row {letter} at {trailing_cell[1]}: a note inside "
                    f"the grid (only a wavelength label may follow column {ncols}); move notes below the grids",
                    place(trailing_cell[1]),
                    trailing,
                )
            label = trailing or section
            g = by_label.get(label)
            if g is None:
                kind, nm = _label_kind(label)
                g = by_label[label] = Grid(label, kind, nm, hdr_src, wells)
                g.header = i
            if letter in g.rows:
                raise _shape_error(
                    path,
                    f"grid starting at {hdr_src}: row {letter} appears twice for label {label!r} "
                    f"(at {_cell(row, j - 1)[1] or _row_place(hdr_src, r)})",
                    _row_place(hdr_src, r),
                    letter,
                )
            g.rows[letter] = vals
            r += 1
        if letter != letters[-1]:
            got = letter or "none"
            at = _row_place(hdr_src, r)
            found = "the file ends there (a truncated file?)" if r >= len(rows) else "something else is there"
            at_text = at if "!" in at else f"line {at}"
            raise _shape_error(
                path,
                f"grid starting at {hdr_src} is incomplete: expected rows A-{letters[-1]} after the "
                f"'1..{ncols}' header, last row found: {got}; row {want} was expected at {at_text} and {found}",
                at,
            )
        for g in by_label.values():
            missing = [x for x in letters if x not in g.rows]
            if missing:
                raise _shape_error(
                    path,
                    f"grid {g.label or '(unlabelled)'} starting at {hdr_src} lacks row(s) {', '.join(missing)}",
                    g.line,
                )
            g.end = r
            grids.append(g)
        floor = r
        i = r
    return grids, first


def metadata(rows: list[list[Cell]], stop: int) -> dict[str, str]:
    """The key/value lines above row ``stop`` (the first grid header), first value of a key kept."""
    meta: dict[str, str] = {}
    for row in rows[:stop]:
        cells = [cell_text(v) for v, _ in row if cell_text(v)]
        if not cells:
            continue
        if len(cells) >= 2:
            key, value = cells[0].rstrip(":").strip(), " ".join(cells[1:])
        elif ":" in cells[0]:
            key, value = (p.strip() for p in cells[0].split(":", 1))
        else:
            continue
        meta.setdefault(key, value)
    return meta


def declared_wavelengths(meta: dict[str, str]) -> list[int]:
    """The wavelengths a ``Wavelengths:`` metadata line declares (none without one)."""
    for key, value in meta.items():
        if key.lower() in ("wavelengths", "wavelength"):
            return [int(n) for n in re.findall(r"(?<!\d)(\d{3})(?!\d)", value)]
    return []


def _check_nothing_announced_after(path: Path, rows: list[list[Cell]], end: int) -> None:
    """After the last grid, a wavelength label (``570``, ``Wavelength: 570``) announces a grid
    that is not there: the file was cut after the label."""
    for k in range(end, len(rows)):
        cells = [(cell_text(v), src) for v, src in rows[k] if cell_text(v)]
        if not cells:
            continue
        label = _label_above(rows, k + 1, k)
        if label and _label_kind(label)[0] == "raw":
            raise PlateFormatError(
                path,
                f"the label {label!r} at {cells[0][1]} announces a grid that is not in the file (a truncated file?)",
                line=place(cells[0][1]),
                value=label,
                rule=GRID_SHAPE,
            )


def plate_blocks(rows: list[list[Cell]]) -> list[tuple[int, str]]:
    """Where each plate of a multi-plate export starts: ``(row index, plate name)`` of every
    ``Plate Number`` line, in file order (none in a one-plate grid file)."""
    blocks = []
    for k, row in enumerate(rows):
        cells = [cell_text(v) for v, _ in row if cell_text(v)]
        if cells and cells[0].lower().rstrip(":").strip() == "plate number":
            blocks.append((k, " ".join(cells[1:])))
    return blocks


def plate_of(blocks: list[tuple[int, str]], index: int) -> tuple[int, str]:
    """The plate (1-based position, name) that row ``index`` belongs to."""
    position, name = 1, ""
    for n, (start, block_name) in enumerate(blocks, start=1):
        if start <= index:
            position, name = n, block_name
    return position, name


def grid_read(
    grid: Grid, *, plate: int = 1, plate_name: str = "", label: str | None = None, declared: list[int] | None = None
) -> Read:
    """The :class:`Read` describing one grid of a plain grid export: the wavelength its label
    states, ``derived`` for the labels of computed grids (``Blank 450``, ``Corrected``, ``Conc`` …).
    A ``Results`` grid without labels of its own reads the one wavelength the metadata declares
    (``declared``), if it declares exactly one."""
    text = grid.label if label is None else label
    kind, nm = _label_kind(text)
    if kind == "container" and declared is not None and len(declared) == 1:
        nm = declared[0]
    return Read(
        cells=grid.cells(),
        wells=grid.wells,
        nm=nm,
        label=text,
        step=label_step(text) if kind == "raw" else "",
        plate=plate,
        plate_name=plate_name,
        measurement="absorbance",
        mode="endpoint",
        derived=kind == "derived",
        where=where_text(grid.where),
    )


def no_grid_error(path: Path) -> PlateFormatError:
    """The file holds no grid at all."""
    return PlateFormatError(
        path,
        "no 96-well grid found (nor a 384-well one): expected a header row with the column numbers "
        "1..12 (e.g. ',1,2,...,12') followed by rows A-H, or 1..24 followed by rows A-P (see docs/elisa.md)",
        rule=GRID_SHAPE,
    )


def recognises(export: Export) -> bool:
    """Every export made of rows of cells (text, XLSX, XLS): the plain grid is the layout tried last."""
    return export.container in ("text", "xlsx", "xls")


def reads(export: Export) -> Parsed:
    """Every grid of a plain grid export, on every worksheet, as a :class:`Read`
    (:func:`describe_grids`)."""
    return describe_grids(export, f"{NAME}-{export.container}")


def describe_grids(export: Export, format_name: str) -> Parsed:
    """Every grid of ``export``, on every worksheet, as a :class:`Read`; ``format_name`` is what
    :attr:`Parsed.format` says (``'grid-text'``, ``'gen5-xlsx'`` …).

    A grid without a label of its own, on a workbook whose grids are on several worksheets, is
    labelled with its worksheet's title. Plates: one, unless ``Plate Number`` lines split the
    file (each grid belongs to the last such line above it).
    """
    path = export.path
    found: list[tuple[str, list[list[Cell]], list[Grid], int]] = []
    for title, rows in export.sheets:
        grids, first = find_grids(path, rows)
        if grids:
            _check_nothing_announced_after(path, rows, max(g.end for g in grids))
            found.append((title, rows, grids, first))
    if not found:
        raise no_grid_error(path)
    several_sheets = len(found) > 1
    out: list[Read] = []
    for title, rows, grids, first in found:
        blocks = plate_blocks(rows)
        declared = declared_wavelengths(metadata(rows, first))
        for g in grids:
            position, name = plate_of(blocks, g.header)
            label = title if several_sheets and not g.label else None
            out.append(grid_read(g, plate=position, plate_name=name, label=label, declared=declared))
    _, rows, _, first = found[0]
    return Parsed(format_name, out, metadata(rows, first))
