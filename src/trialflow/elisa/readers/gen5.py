"""BioTek/Agilent Gen5 exports, as text (tab- or comma-separated) or saved as XLSX/XLS.

Each plate of the file is one block: a header (``Software Version``, ``Experiment File Path``,
``Plate Number``, ``Date``, ``Reader Type`` …), the ``Procedure Details`` (the read steps: ``Read
<name>`` then ``Absorbance Endpoint`` / ``Fluorescence Endpoint`` / ``Luminescence Endpoint`` /
``Alpha Endpoint`` / ``… Spectrum`` / ``… Area Scan``, with their ``Wavelengths:``, filter sets or
emission, inside ``Start Kinetic`` … ``End Kinetic`` for a kinetic read), then the data:

- **matrix** (plate) sections: a ``Layout`` grid (``Well ID`` and ``Conc/Dil`` rows, not a read),
  and either one section per data set (label line ``450`` / ``Read 1:450`` above a ``1..12``
  header) or the combined ``Results`` matrix in which every row ends with its data set's name and
  the data sets of a plate row follow each other on continuation rows;
- **well tables**: a header naming the wells (``A1  A2 …``): the ``Time`` table of a kinetic read
  (one row per time point), the ``Wavelength`` table of a spectrum (one row per wavelength), or a
  row-layout list (``Well  A1  A2 …`` then one row per data set); a column-layout list
  (``Well  Well ID  450  570 …`` then one row per well).

A data set's name says what it is: ``[<step>:]<wavelengths>`` is a raw read of that step
(``450``, ``630nmAbsRead:630``, ``Read 2:418``, ``DAPI/GFP:360/40,460/40``, ``Lum``, ``Alpha``;
``[Test]``/``[Ref]`` pathlength and ``[Parallel]``/``[Perpendicular]`` polarisation channels are
raw too); anything else was computed by Gen5 (``Blank 450``, ``Corrected […]``,
``[Concentration]``, ``Max V […]``, ``Ratio``, user formulas) and is described ``derived``. The
step's measurement (absorbance, fluorescence, luminescence - ``Alpha`` counts as luminescence) and
mode (endpoint, kinetic, spectrum, well scan) come from the procedure.

How an export is recognised: a header block naming the ``Software Version`` and one of Gen5's
other header keys (``Experiment File Path``, ``Protocol File Path``, ``Plate Number``, ``Reader
Type``, ``Procedure Details``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from trialflow.elisa.errors import GRID_SHAPE, PlateFormatError
from trialflow.elisa.readers.grid import (
    find_grids,
    first_header,
    label_above,
    metadata,
    where_text,
)
from trialflow.elisa.readers.plate import Cell, cell_text, place
from trialflow.elisa.readers.reads import Export, Parsed, Read

NAME = "gen5"

_GEN5_KEYS = {"experiment file path", "protocol file path", "plate number", "reader type", "procedure details"}
_KIND = re.compile(r"^(absorbance|fluorescence|luminescence|alpha)\b\s*(.*)$", re.IGNORECASE)
_MODES = {"endpoint": "endpoint", "spectrum": "spectrum", "area scan": "well scan", "kinetic": "kinetic"}
_TOKEN = r"\d{3}(?:/\d+)?(?:,\d{3}(?:/\d+)?)?|Lum|Alpha"
_RAW_LABEL = re.compile(
    rf"^(?:(?P<step>[^\[\]]+?):)?(?P<token>{_TOKEN})(?: \[(?P<channel>Test|Ref|Parallel|Perpendicular)\])?$"
)
_WELL = re.compile(r"^([A-P])([1-9]|1\d|2[0-4])$")
_DERIVED_STEP_WORDS = {"blank", "corrected", "mean", "max", "min", "delta", "ratio", "log", "conc", "std", "cv", "norm"}
_LAYOUT_KEYS = {"well id", "conc/dil", "name", "sample", "sample id", "well position"}  # plate map, not data


@dataclass
class Step:
    """One ``Read`` step of the procedure: its name (``''`` when Gen5 calls it ``Read <number>``),
    what it measures, in which mode, and the names Gen5 gives its data sets (``tokens``)."""

    number: int
    name: str = ""
    measurement: str = "unknown"
    mode: str = "endpoint"
    tokens: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.name or f"Read {self.number}"


def _texts(row: list[Cell]) -> list[str]:
    return [cell_text(v) for v, _ in row]


def _first(row: list[Cell]) -> str:
    texts = [t for t in _texts(row) if t]
    return texts[0] if texts else ""


def _keys(rows: list[list[Cell]]) -> set[str]:
    """The texts of the first column, as header keys (``Reader Type:`` -> ``reader type``)."""
    return {cell_text(row[0][0]).rstrip(":").strip().lower() for row in rows if row}


def recognises(export: Export) -> bool:
    """Whether a worksheet's header block names the ``Software Version`` and another Gen5 header key."""
    for _, rows in export.sheets:
        keys = _keys(rows)
        if "software version" in keys and keys & _GEN5_KEYS:
            return True
    return False


def _centres(token: str) -> tuple[str, ...]:
    """``'360/40,460/40'`` -> ``('360', '460')``: a filter's centre wavelengths."""
    return tuple(part.split("/")[0].strip() for part in token.split(","))


def procedure_end(rows: list[list[Cell]]) -> int:
    """The index of the row after the ``Procedure Details`` block (the first blank line after its
    lines); ``len(rows)`` without one."""
    start = next((k for k, row in enumerate(rows) if _first(row) == "Procedure Details"), None)
    if start is None:
        return len(rows)
    seen = False
    for k in range(start + 1, len(rows)):
        if not _first(rows[k]):
            if seen:
                return k
            continue
        seen = True
    return len(rows)


def procedure_steps(rows: list[list[Cell]]) -> tuple[list[Step], int | None]:
    """The read steps of the ``Procedure Details`` block of ``rows`` (one plate's), and the wells
    of its ``Plate Type`` (96, 384, or None when it does not say)."""
    start = next((k for k, row in enumerate(rows) if _first(row) == "Procedure Details"), None)
    if start is None:
        return [], None
    steps: list[Step] = []
    step: Step | None = None
    kinetic = False
    wells = None
    seen = False
    for row in rows[start + 1 :]:
        texts = [t.strip() for t in _texts(row)]
        if not any(texts):
            if seen:
                break
            continue
        seen = True
        key = texts[0]
        rest = " ".join(t for t in texts[1:] if t)
        if key == "Plate Type":
            wells = 384 if "384" in rest else 96 if "96" in rest else None
        if key == "Start Kinetic":
            kinetic = True
        elif key == "End Kinetic":
            kinetic = False
        if key == "Read":
            step = Step(len(steps) + 1, mode="kinetic" if kinetic else "endpoint")
            steps.append(step)
            if not _describe_step(step, rest, kinetic):
                step.name = rest
            continue
        if key:
            step = None  # another procedure line (Shake, Set Temperature, Dispense …)
            continue
        if step is not None:
            _step_detail(step, rest, kinetic)
    return steps, wells


def _describe_step(step: Step, text: str, kinetic: bool) -> bool:
    """Read ``Absorbance Endpoint`` and the like into ``step``; False for another text (its name)."""
    m = _KIND.match(text)
    if not m:
        return False
    kind = m.group(1).lower()
    step.measurement = {"alpha": "luminescence"}.get(kind, kind)
    if kind == "alpha":
        step.tokens.append("Alpha")
    mode = m.group(2).strip().lower()
    step.mode = "kinetic" if kinetic else _MODES.get(mode, "unknown" if mode else "endpoint")
    return True


def _step_detail(step: Step, text: str, kinetic: bool) -> None:
    """One indented line of a read step: its kind, wavelengths, filters, pathlength, emission."""
    if step.measurement == "unknown" and _describe_step(step, text, kinetic):
        return
    if text.startswith("Wavelengths:"):
        step.tokens += re.findall(r"\d{3}", text)
    elif text.startswith("Pathlength Correction:"):
        step.tokens += re.findall(r"\d{3}", text)
    elif text.startswith("Excitation:") and "Emission:" in text:
        ex = text.split("Excitation:", 1)[1].split(",")[0].strip()
        em = text.split("Emission:", 1)[1].split(",")[0].strip()
        step.tokens.append(f"{ex},{em}")
    elif text.startswith("Emission:"):
        em = text.split("Emission:", 1)[1].split(",")[0].strip()
        step.tokens.append("Lum" if not re.match(r"\d", em) else em)


def _step_for(token: str, steps: list[Step]) -> Step | None:
    """The step whose data sets carry ``token`` (``'450'``, ``'485,528'``, ``'Lum'`` …)."""
    for step in steps:
        if token in step.tokens or any(_centres(token) == _centres(t) for t in step.tokens):
            return step
    return steps[0] if len(steps) == 1 else None


def _nm(token: str) -> int | None:
    """The wavelength a data set reads: the absorbance wavelength, the emission of a filter pair."""
    centres = _centres(token)
    return int(centres[-1]) if centres[-1].isdigit() else None


def _shape_measurement(token: str) -> str:
    if token in ("Lum", "Alpha"):
        return "luminescence"
    return "fluorescence" if "," in token else "absorbance" if token.isdigit() else "unknown"


@dataclass
class _Kind:
    nm: int | None
    step: str
    measurement: str
    mode: str
    derived: bool


def _names_derived(step_text: str) -> bool:
    """Whether the text before ``:`` names a computation (``Blank 450nm``, ``Mean V [Read 1``) rather
    than a read step the procedure does not name the same way."""
    words = step_text.lower().replace("[", " [ ").split()
    return any(word.strip("[]") in _DERIVED_STEP_WORDS or word == "[" for word in words)


def classify(label: str, steps: list[Step]) -> _Kind:
    """What a data set's name says: its wavelength, step, measurement, mode, and whether Gen5
    computed it (``derived``)."""
    by_name = {s.label: s for s in steps} | {f"Read {s.number}": s for s in steps}
    m = _RAW_LABEL.match(label.strip())
    unnamed = label.strip().rstrip(":").lower() in ("", "results")  # a grid without a data set name
    if unnamed and len(steps) == 1 and len(steps[0].tokens) == 1:
        m = _RAW_LABEL.match(steps[0].tokens[0])  # the one data set of the one read step
    if m and (m["step"] is None or m["step"] in by_name or not _names_derived(m["step"])):
        token = m["token"]
        step = by_name.get(m["step"]) or _step_for(token, steps)
        if m["step"]:
            step_text = m["step"]
        else:
            step_text = step.label if step is not None and len(steps) > 1 else ""
        measurement = step.measurement if step is not None else _shape_measurement(token)
        return _Kind(_nm(token), step_text, measurement, step.mode if step else "endpoint", False)
    step = next((s for name, s in by_name.items() if f"{name}:" in label), None)
    if step is None and len(steps) == 1:
        step = steps[0]
    nm = re.findall(r":(\d{3})(?!\d)", label)
    return _Kind(
        int(nm[-1]) if nm else None,
        step.label if step is not None and len(steps) > 1 else "",
        step.measurement if step is not None else "unknown",
        step.mode if step is not None else "endpoint",
        not unnamed,
    )


def _blocks(rows: list[list[Cell]]) -> list[tuple[int, str]]:
    """Where each plate starts (row index) and its name: at every ``Software Version`` line, and
    at a second ``Plate Number`` line of one block."""
    starts: list[tuple[int, str]] = []
    named = False
    for k, row in enumerate(rows):
        key = _first(row)
        if key == "Software Version":
            starts.append((k, ""))
            named = False
        elif key == "Plate Number":
            name = " ".join(t for t in _texts(row)[1:] if t)
            if named or not starts:
                starts.append((k, name))
            else:
                starts[-1] = (starts[-1][0], name)
            named = True
    return starts or [(0, "")]


def _is_well(text: str) -> bool:
    return bool(_WELL.match(text))


def _cut_short(path: Path, what: str, src: str, got: int, wanted: int) -> PlateFormatError:
    return PlateFormatError(
        path,
        f"{what} at {src} has {got} of {wanted} values: the row is cut short (a truncated file?)",
        line=place(src),
        rule=GRID_SHAPE,
    )


@dataclass
class _Table:
    header: int  # row index of the header
    label: str  # the section label above it ('' for none)
    key: str  # 'Time', 'Wavelength', 'Well' …
    wells: dict[str, int]  # well -> column index (tables across) | column label -> index (down)
    rows: list[tuple[str, int, list[Cell]]]  # (row key, row index, cells)
    across: bool  # wells across the header (True) or down the first column (False)
    head: list[Cell] = field(default_factory=list)  # the header row's cells


def well_tables(path: Path, rows: list[list[Cell]]) -> list[_Table]:
    """Every table of the sheet keyed by well: wells across a header row (``Time``/``Wavelength``/
    ``Well`` then ``A1 A2 …``), or down the first column under a ``Well`` header."""
    tables: list[_Table] = []
    floor = 0
    i = 0
    while i < len(rows):
        texts = _texts(rows[i])
        cols = [c for c, t in enumerate(texts) if _is_well(t)]
        if len(cols) >= 2 and texts[0] and not _is_well(texts[0]):
            wells = {texts[c]: c for c in cols}
            if len(wells) < len(cols):
                dup = next(texts[c] for c in cols if sum(texts[d] == texts[c] for d in cols) > 1)
                raise PlateFormatError(
                    path,
                    f"the well table at {where_text(rows[i][0][1])} names well {dup} twice in its header",
                    line=place(rows[i][0][1]),
                    value=dup,
                    rule=GRID_SHAPE,
                )
            table = _Table(i, label_above(rows, i, floor), texts[0], wells, [], True, rows[i])
            r = i + 1
            while r < len(rows) and cell_text(_cell0(rows[r])[0]):
                cells = rows[r]
                got = [c for c in cols if c < len(cells) and cells[c][1]]
                filled = [c for c in got if cell_text(cells[c][0])]
                if filled and len(got) < len(cols):
                    raise _cut_short(path, f"row {cell_text(cells[0][0])!r}", cells[0][1], len(got), len(cols))
                if filled:
                    table.rows.append((cell_text(cells[0][0]), r, cells))
                r += 1
            tables.append(table)
            floor = i = r
            continue
        if texts and texts[0].lower() == "well" and len(texts) > 1 and not _is_well(texts[1]):
            below = _texts(rows[i + 1]) if i + 1 < len(rows) else []
            if below and _is_well(below[0]):
                columns = {t: c for c, t in enumerate(texts) if c > 0 and t and t.lower() not in _LAYOUT_KEYS}
                table = _Table(i, label_above(rows, i, floor), "Well", columns, [], False, rows[i])
                r = i + 1
                while r < len(rows) and _is_well(cell_text(_cell0(rows[r])[0])):
                    cells = rows[r]
                    width = max(columns.values(), default=0) + 1
                    if len(cells) < width and r + 1 >= len(rows):
                        raise _cut_short(path, f"well {cell_text(cells[0][0])}", cells[0][1], len(cells) - 1, width - 1)
                    table.rows.append((cell_text(cells[0][0]), r, cells))
                    r += 1
                tables.append(table)
                floor = i = r
                continue
        i += 1
    return tables


def _cell0(row: list[Cell]) -> Cell:
    return row[0] if row else (None, "")


def _table_reads(table: _Table, steps: list[Step], wells_hint: int | None) -> list[tuple[int, Read]]:
    """The reads of one well table, each with the row index it starts at."""
    out: list[tuple[int, Read]] = []

    def plate_wells(names) -> int:
        big = any(not (_WELL.match(w)[1] <= "H" and int(_WELL.match(w)[2]) <= 12) for w in names)
        return 384 if big or wells_hint == 384 else 96

    if table.across:
        size = plate_wells(table.wells)
        key = table.key.lower()
        series = classify(table.label, steps)
        scan = next((s for s in steps if s.mode in ("spectrum", "well scan")), None)
        for row_key, r, cells in table.rows:
            values = {w: cells[c] for w, c in table.wells.items() if c < len(cells)}
            if key == "time":  # a kinetic read: one row per time point
                kind, label, nm, mode = series, f"{table.label} at {row_key}", series.nm, "kinetic"
            elif key == "wavelength":  # a spectrum: one row per wavelength
                kind = series if scan is None else _Kind(None, series.step, scan.measurement, "spectrum", False)
                nm = int(row_key) if row_key.isdigit() else None
                label, mode = f"{table.label} at {row_key} nm", "spectrum"
            elif key.startswith("x read"):  # an area scan: one row per point of each well
                point = f"X{row_key},Y{cell_text(cells[1][0]) if len(cells) > 1 else ''}"
                kind, label, nm, mode = series, f"{table.label} at {point}", series.nm, "well scan"
            else:  # a row-layout list: one row per data set
                if row_key.lower() in _LAYOUT_KEYS:
                    continue
                kind = classify(row_key, steps)
                label, nm, mode = row_key, kind.nm, kind.mode
            read = Read(values, size, nm, label, kind.step, measurement=kind.measurement, mode=mode, where="")
            read.derived, read.where = kind.derived, where_text(cells[0][1])
            out.append((r, read))
        return out
    size = plate_wells([w for w, _, _ in table.rows])
    for label, c in table.wells.items():
        kind = classify(label, steps)
        cells = {w: row[c] for w, _, row in table.rows if c < len(row)}
        read = Read(cells, size, kind.nm, label, kind.step, measurement=kind.measurement, mode=kind.mode)
        read.derived, read.where = kind.derived, where_text(table.head[c][1])
        out.append((table.header, read))
    return out


def _plan_of(plans: list[tuple], index: int) -> tuple:
    """The plate block (start, stop, name, steps, wells) that row ``index`` lies in."""
    return next(p for p in plans if p[0] <= index < p[1])


def reads(export: Export) -> Parsed:
    """Every data set of every plate of a Gen5 export as a :class:`~trialflow.elisa.readers.reads.Read`.

    Plates are numbered 1 … n in file order (worksheet by worksheet), counting the plate blocks
    that hold data."""
    path = export.path
    found: list[tuple[int, int, int, Read]] = []  # (sheet, block start, row index, read)
    meta: dict[str, str] = {}
    for n, (_, rows) in enumerate(export.sheets):
        blocks = _blocks(rows)
        bounds = [start for start, _ in blocks[1:]] + [len(rows)]
        if not meta:  # the first plate's header and procedure lines
            first = blocks[0][0]
            meta = metadata(rows, min(first_header(rows), bounds[0], first + procedure_end(rows[first:])))
        plans = []
        for (start, name), stop in zip(blocks, bounds, strict=True):
            steps, wells = procedure_steps(rows[start:stop])
            plans.append((start, stop, name, steps, wells))
        hint = next((wells for *_, wells in plans if wells), None)
        for g in find_grids(path, rows, gen5=True, wells_hint=hint)[0]:
            if g.section.strip().rstrip(":").lower() == "layout":
                continue  # the plate map (Well ID, Conc/Dil), not data
            start, _, name, steps, _ = _plan_of(plans, g.header)
            kind = classify(g.label, steps)
            read = Read(g.cells(), g.wells, kind.nm, g.label, kind.step, 0, name, kind.measurement, kind.mode)
            read.derived, read.where = kind.derived, where_text(g.where)
            found.append((n, start, g.header, read))
        for t in well_tables(path, rows):
            start, _, name, steps, wells = _plan_of(plans, t.header)
            for index, read in _table_reads(t, steps, wells or hint):
                read.plate_name = name
                found.append((n, start, index, read))
    if not found:
        raise PlateFormatError(
            path,
            "a Gen5 export without any data: expected a 'Results' matrix, a section per read (a label such as "
            "'450' above a '1..12' header) or a well table after the Procedure Details; export the plate's data, "
            "not only its protocol",
            rule=GRID_SHAPE,
        )
    found.sort(key=lambda item: item[:3])
    positions: dict[tuple[int, int], int] = {}
    for n, start, _, read in found:
        read.plate = positions.setdefault((n, start), len(positions) + 1)
    return Parsed(f"{NAME}-{export.container}", [read for *_, read in found], meta)
