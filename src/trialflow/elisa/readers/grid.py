"""The plain grid layout, and the grid reading that the other grid-shaped layouts share.

A **grid** is a header row holding ``1 2 … 12`` in consecutive cells, preceded by one cell
(empty, ``<>`` or a label), followed by the rows ``A`` … ``H`` with 12 values each; a plain
grid CSV is one such grid, optionally followed by a second one for the reference wavelength
preceded by a label line such as ``570`` or ``Wavelength: 570``. :func:`find_grids` also reads
the features of Gen5 exports in any grid file (a label after column 12, continuation rows, the
``Results`` matrix; :mod:`trialflow.elisa.readers.gen5`), and :func:`read_grids` picks the
primary and reference reads from the grids' labels (rules: ``docs/elisa.md``, section 1).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from trialflow.elisa.errors import GRID_SHAPE, WAVELENGTH, PlateFormatError
from trialflow.elisa.readers.plate import NUMBER, ROWS, Cell, cell_text, place, wells_frame

NAME = "grid"

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


def find_header(row: list[Cell]) -> int | None:
    """Index of the cell holding '1' in a '1..12' header row, or None."""
    texts = [cell_text(v) for v, _ in row]
    for j in range(1, len(texts) - 11):
        if texts[j] == "1" and all(texts[j + m] == str(m + 1) for m in range(12)):
            corner = texts[j - 1]
            if corner and NUMBER.match(corner):
                continue
            return j
    return None


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
    ``H`` of 12 cells each, and ``end``, the index of the first row after it."""

    def __init__(self, label: str, kind: str, nm: int | None, line_desc: str) -> None:
        self.label = label
        self.kind = kind
        self.nm = nm
        self.where = line_desc
        self.line = place(line_desc)
        self.rows: dict[str, list[Cell]] = {}
        self.end = 0


def _row_place(header_src: str, index: int) -> str:
    """Where row ``index`` (0-based) of the file is, in the form of the header's place: the line
    of a text export, ``Sheet!A<row>`` of a workbook."""
    here = place(header_src)
    return f"{here.split('!')[0]}!A{index + 1}" if "!" in here else str(index + 1)


def _shape_error(path: Path, message: str, where: str, value: str = "") -> PlateFormatError:
    return PlateFormatError(path, message, line=where, value=value, rule=GRID_SHAPE)


def find_grids(path: Path, rows: list[list[Cell]]) -> tuple[list[Grid], int]:
    """Find all 96-well grids; return them and the index of the first header row.

    Strict about the shape (rule ``plate_grid_shape``, each error naming its line): rows ``A`` to
    ``H`` in order, no row after ``H`` (``I`` …), none missing or twice, 12 values in each row
    (fewer: a truncated row; a number after column 12: an extra column or a decimal comma in a
    comma-separated file), no text after column 12 other than a wavelength label (a note).
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
        hdr_src = rows[i][j][1]
        after, after_src = cell_text(_cell(rows[i], j + 12)[0]), _cell(rows[i], j + 12)[1]
        if after and NUMBER.match(after):
            raise _shape_error(
                path,
                f"grid header at {hdr_src} runs past 12 columns ({after!r} after 12); only 96-well plates "
                "(rows A-H, columns 1-12) are supported",
                place(after_src),
                after,
            )
        corner = cell_text(_cell(rows[i], j - 1)[0])
        section = _label_above(rows, i, floor) or corner
        by_label: dict[str, Grid] = {}
        expected = iter(ROWS)
        want = next(expected)
        letter = None
        r = i + 1
        while r < len(rows):
            row = rows[r]
            lab = cell_text(_cell(row, j - 1)[0])
            vals = [_cell(row, j + m) for m in range(12)]
            has_values = any(cell_text(v) for v, _ in vals)
            if len(lab) == 1 and lab.isalpha() and (lab.upper() in ROWS or (letter is not None and has_values)):
                if lab.upper() != want:
                    expected_text = f"row {want!r} was expected" if want else "row H was the last (96-well plates)"
                    raise _shape_error(
                        path,
                        f"grid starting at {hdr_src}: row {lab!r} at {_cell(row, j - 1)[1]} where {expected_text} "
                        "(rows must run A to H)",
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
                    f"row {letter} at {_cell(row, j - 1)[1] or _row_place(hdr_src, r)} has {absent[0]} of 12 values: "
                    "the row is cut short (a truncated file?)",
                    _row_place(hdr_src, r),
                )
            beyond = [(v, src) for v, src in row[j + 12 :] if cell_text(v)]
            trailing_cell = beyond[0] if beyond else (None, "")
            trailing = cell_text(trailing_cell[0])
            if len(beyond) > 1 or (trailing and NUMBER.match(trailing) and _label_kind(trailing)[0] != "raw"):
                raise _shape_error(
                    path,
                    f"row {letter} at {trailing_cell[1]} has a value after column 12 ({trailing!r}): an extra "
                    "column, or a decimal comma in a comma-separated export (write 0.123, or separate with ';')",
                    place(trailing_cell[1]),
                    trailing,
                )
            if trailing and _label_kind(trailing)[0] == "unknown":
                raise _shape_error(
                    path,
                    f"text {trailing!r} after column 12 of row {letter} at {trailing_cell[1]}: a note inside the "
                    "grid (only a wavelength label may follow column 12); move notes below the grids",
                    place(trailing_cell[1]),
                    trailing,
                )
            label = trailing or section
            g = by_label.get(label)
            if g is None:
                kind, nm = _label_kind(label)
                g = by_label[label] = Grid(label, kind, nm, hdr_src)
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
        if letter != "H":
            got = letter or "none"
            at = _row_place(hdr_src, r)
            found = "the file ends there (a truncated file?)" if r >= len(rows) else "something else is there"
            at_text = at if "!" in at else f"line {at}"
            raise _shape_error(
                path,
                f"grid starting at {hdr_src} is incomplete: expected rows A-H after the '1..12' header, "
                f"last row found: {got}; row {want} was expected at {at_text} and {found}",
                at,
            )
        for g in by_label.values():
            missing = [x for x in ROWS if x not in g.rows]
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


def read_grids(
    path: Path,
    rows: list[list[Cell]],
    export_format: str,
    primary_nm: int,
    reference_nm: int | None,
    decimal_comma: bool,
) -> pd.DataFrame:
    """The wells of the primary read (and the reference read) among the grids of ``rows``.

    ``export_format`` is what ``df.attrs["format"]`` says, e.g. ``'grid-text'``.
    """
    grids, first = find_grids(path, rows)
    if not grids:
        raise PlateFormatError(
            path,
            "no 96-well grid found: expected a header row with the column numbers "
            "1..12 (e.g. ',1,2,...,12') followed by rows A-H (see docs/elisa.md)",
            rule=GRID_SHAPE,
        )
    meta = metadata(rows, first)
    plate_numbers = [row for row in rows if row and cell_text(row[0][0]).lower().startswith("plate number")]
    if len(plate_numbers) > 1:
        raise PlateFormatError(
            path,
            f"contains {len(plate_numbers)} plates ('Plate Number' blocks); export one plate per file",
            line=place(plate_numbers[1][0][1]),
            rule=GRID_SHAPE,
        )
    _check_nothing_announced_after(path, rows, max(g.end for g in grids))
    declared = declared_wavelengths(meta)

    def wavelength_error(message: str, line: str = "", value: str = "") -> PlateFormatError:
        return PlateFormatError(path, message, line=line, value=value, rule=WAVELENGTH)

    raw: dict[int, Grid] = {}
    unlabelled: list[Grid] = []
    for g in grids:
        if g.kind == "raw":
            if g.nm in raw:
                raise wavelength_error(
                    f"two grids labelled {g.nm} nm (at {raw[g.nm].where} and {g.where}): a grid is duplicated "
                    "or mislabelled; export one plate per file, each read labelled with its wavelength",
                    g.line,
                    g.label,
                )
            raw[g.nm] = g
        elif g.kind in ("unknown", "container"):
            if g.kind == "container" and len(declared) == 1:
                g.nm = declared[0]
                if g.nm in raw:
                    raise wavelength_error(f"two grids for {g.nm} nm", g.line, g.label)
                raw[g.nm] = g
            else:
                unlabelled.append(g)

    if primary_nm in raw and unlabelled:
        raise wavelength_error(
            f"the grid at {unlabelled[0].where} has no wavelength label while the grid at "
            f"{raw[primary_nm].where} is labelled {primary_nm}: which one is the {primary_nm} nm read is "
            "ambiguous; label every grid",
            unlabelled[0].line,
        )
    if primary_nm in raw:
        primary = raw[primary_nm]
    elif unlabelled:
        primary = unlabelled.pop(0)
    else:
        found = ", ".join(g.label or "(unlabelled)" for g in grids)
        raise wavelength_error(
            f"no {primary_nm} nm grid found (grids found: {found}); label the grid "
            f"'{primary_nm}' or make it the first, unlabelled grid",
        )
    if unlabelled:
        raise wavelength_error(
            f"grid at {unlabelled[0].where} has no wavelength label; put a line such "
            "as '570' or 'Wavelength: 570' above it",
            unlabelled[0].line,
        )

    if reference_nm is not None:
        if reference_nm not in raw:
            found = ", ".join(g.label or "(unlabelled)" for g in grids)
            raise wavelength_error(
                f"no grid for the reference wavelength {reference_nm} nm (the manifest's reference_nm; grids found: "
                f"{found}): a reference grid that is missing or cut off (a truncated file?)",
            )
        reference = raw[reference_nm]
        if reference is primary:
            raise wavelength_error(f"the reference wavelength {reference_nm} nm is the primary one", primary.line)
        others = sorted(nm for nm in raw if nm not in (primary_nm, reference_nm) and raw[nm] is not primary)
        if others:
            raise wavelength_error(
                f"grids for {', '.join(map(str, others))} nm besides {primary_nm} and {reference_nm} nm; export the "
                "two configured reads only",
                raw[others[0]].line,
            )
    else:
        others = sorted(nm for nm in raw if nm != primary_nm and raw[nm] is not primary)
        if len(others) > 1:
            raise wavelength_error(
                f"several non-{primary_nm} nm grids ({', '.join(map(str, others))}); "
                "state the reference wavelength (the manifest's reference_nm)",
                raw[others[1]].line,
            )
        reference = raw[others[0]] if others else None
    missing = [nm for nm in declared if nm not in raw and nm != primary_nm and nm != primary.nm]
    if missing:
        raise wavelength_error(
            f"the export declares wavelength(s) {', '.join(map(str, declared))} "
            f"but has no grid for {', '.join(map(str, missing))} (a truncated file?)",
        )

    def cells(g: Grid) -> dict[str, Cell]:
        return {f"{r}{c}": g.rows[r][c - 1] for r in ROWS for c in range(1, 13)}

    df = wells_frame(path, cells(primary), cells(reference) if reference is not None else None, decimal_comma)
    df.attrs["format"] = export_format
    df.attrs["metadata"] = meta
    df.attrs["primary_nm"] = primary.nm if primary.nm is not None else primary_nm
    df.attrs["reference_nm"] = reference.nm if reference is not None else None
    return df


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


def recognises(rows: list[list[Cell]]) -> bool:
    """Every export: the plain grid is the layout tried last."""
    return True


def read(
    path: Path,
    rows: list[list[Cell]],
    container: str,
    *,
    primary_nm: int,
    reference_nm: int | None,
    decimal_comma: bool,
) -> pd.DataFrame:
    """A plain grid export (``container``: ``'text'`` or ``'xlsx'``) as the tidy per-well frame."""
    return read_grids(path, rows, f"{NAME}-{container}", primary_nm, reference_nm, decimal_comma)
