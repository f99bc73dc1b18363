"""Tecan exports: Magellan (XLSX, legacy XLS, text) and i-control (XLSX, text), grid and well-list layouts.

**Magellan** writes the data first, then its metadata lines in the first column::

    Date of measurement: 2021-07-08/Time of measurement: 14:34:46
    210325_384ELISA.mth                     (method; then its full path)
    08072021-005.wsp                        (workspace; then its full path)
    485nm                                   (one line per label's wavelength)
    Unknown user
    ULTRA                                   (instrument)
    Instrument serial number: 12901000069
    Measurement 1:                          (per measurement, when there are several)
    Measurement mode: Absorbance
    Measurement wavelength: 485 nm
    Number of flashes: 1
    Plate definition file: COS384ft.pdf
    Unit: OD
    Meas. temperature: Label1: 24.8 °C      (the label of each measurement, in order)
    Date: 2021-07-08, Time: 14:34:46

The data are a *well list* - a header row with ``Well positions`` and one column per data set
(``Raw data``, ``Label1`` …), optional lines of times (``0s``) and temperatures (``24.8 °C``)
under it, an optional ``Plate`` column, then one line per well - or *grids*: a ``<>`` corner,
columns ``1`` … ``12`` (``24``), rows ``A`` … ``H`` (``P``), named by the line above. A data set
named in a ``Meas. temperature`` line is a raw read of that measurement; any other (blank
reduced, concentrations …) is derived.

**i-control** opens with ``Application: Tecan i-control`` (German: ``Programm:``), then
``Device:``, ``Date:``, ``Time:``, ``Plate`` lines, and one section per ``Label: <name>`` with its
settings (``Mode``, ``Measurement Wavelength``, ``Emission Wavelength`` …, value in a later column),
``Start Time:``, ``Temperature: 23.1 °C`` and a ``<>`` grid, or for a kinetic label a ``Cycle Nr.`` /
``Time [s]`` / ``Temp. [°C]`` table with one line per well (or one line per cycle). Each label is
one read step; each sheet holding an export is one plate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from trialflow.elisa.errors import GRID_SHAPE, PlateFormatError
from trialflow.elisa.readers.reads import PLATE_SHAPES, Cell, Export, Parsed, Read

NAME = "magellan"

ROWS = "ABCDEFGHIJKLMNOP"
WELL = re.compile(r"^([A-P])0?(\d{1,2})$")
ICONTROL = re.compile(r"^(Application|Programm):\s*Tecan i-control", re.IGNORECASE)
MAGELLAN_END = re.compile(r"^Date of measurement:", re.IGNORECASE)
MEAS_TEMPERATURE = re.compile(r"^Meas\. temperature:\s*(.+?):\s*([-\d.,]+)\s*°?C", re.IGNORECASE)
NM = re.compile(r"(\d+(?:\.\d+)?)\s*nm", re.IGNORECASE)
MODES = {
    "absorbance": "absorbance",
    "fluorescence": "fluorescence",
    "fluorescence top reading": "fluorescence",
    "fluorescence bottom reading": "fluorescence",
    "luminescence": "luminescence",
    "lumineszenz": "luminescence",
    "fluoreszenz": "fluorescence",
}


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass
class _Sheet:
    export: Export
    title: str
    cells: list[list[Cell]]
    texts: list[list[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.texts = [[_text(v) for v, _ in row] for row in self.cells]

    def first(self, r: int) -> str:
        """The row's first non-empty text (``''`` for an empty row)."""
        return next((t for t in self.texts[r] if t), "")

    def at(self, r: int) -> str:
        if self.export.container == "text":
            return f"line {r + 1}"
        return f"{self.title}!A{r + 1}"

    def place(self, r: int) -> str:
        return str(r + 1) if self.export.container == "text" else f"{self.title}!A{r + 1}"

    def fail(self, r: int, message: str) -> PlateFormatError:
        return PlateFormatError(self.export.path, f"{self.at(r)}: {message}", line=self.place(r), rule=GRID_SHAPE)


def _sheets(export: Export) -> list[_Sheet]:
    if export.container not in ("text", "xlsx", "xls"):
        return []
    return [_Sheet(export, title, rows) for title, rows in export.sheets]


def _is_icontrol(s: _Sheet) -> bool:
    return any(ICONTROL.match(s.first(r)) for r in range(min(3, len(s.texts))))


def _is_magellan(s: _Sheet) -> bool:
    """Magellan's ``Date of measurement: …`` line, or its method (``.mth``) below a well list or grid."""
    firsts = [s.first(r) for r in range(len(s.texts))]
    if any(MAGELLAN_END.match(t) for t in firsts):
        return True
    top = any("Well positions" in s.texts[r] for r in range(min(5, len(s.texts))))
    return any(t.lower().endswith(".mth") for t in firsts) and (top or bool(_grid_rows(s)))


def recognises(export: Export) -> bool:
    """A sheet opens with ``Application: Tecan i-control``, or holds Magellan's metadata lines
    (``Date of measurement: …``, the ``.mth`` method) below a well list or ``<>`` grid."""
    return any(_is_icontrol(s) or _is_magellan(s) for s in _sheets(export))


def reads(export: Export) -> Parsed:
    """Every read of every Tecan export sheet of the file."""
    found: list[Read] = []
    metadata: dict[str, str] = {}
    kinds: list[str] = []
    for s in _sheets(export):
        plate = len({r.plate for r in found}) + 1
        if _is_icontrol(s):
            sheet_reads, meta, layout = _icontrol(s, plate)
            kinds.append(f"icontrol-{layout}")
        elif _is_magellan(s):
            sheet_reads, meta, layout = _magellan(s, plate)
            kinds.append(f"magellan-{layout}")
        else:
            continue
        found.extend(sheet_reads)
        for k, v in meta.items():
            metadata.setdefault(k, v)
    if len(set(kinds)) > 1:
        metadata["Sheets"] = ", ".join(kinds)
    return Parsed(f"{kinds[0]}-{export.container}", found, metadata)


# --- Magellan -------------------------------------------------------------------------------


@dataclass
class _Measurement:
    mode: str = "unknown"
    nm: int | None = None
    reference: int | None = None
    label: str = ""
    plate_definition: str = ""


def _magellan_metadata(s: _Sheet, start: int) -> tuple[dict[str, str], list[_Measurement]]:
    meta: dict[str, str] = {}
    measurements: list[_Measurement] = []
    labels: list[str] = []
    plain: list[str] = []
    current: _Measurement | None = None
    for r in range(start, len(s.texts)):
        line = s.first(r)
        if not line:
            continue
        if m := MEAS_TEMPERATURE.match(line):
            labels.append(m.group(1).strip())
            continue
        if MAGELLAN_END.match(line):
            for part in line.split("/"):
                key, _, value = part.partition(":")
                meta[key.strip()] = value.strip()
            continue
        if re.match(r"^Measurement \d+:?$", line):
            current = _Measurement()
            measurements.append(current)
            continue
        key, sep, value = line.partition(":")
        key, value = key.strip(), value.strip()
        low = key.lower()
        if low == "measurement mode":
            if current is None or current.mode != "unknown":
                current = _Measurement()
                measurements.append(current)
            current.mode = MODES.get(value.lower(), "unknown")
            meta.setdefault("Measurement mode", value)
        elif low in ("measurement wavelength", "emission wavelength") and current is not None:
            if m := re.match(r"\s*(\d+)", value):
                current.nm = int(m.group(1))
        elif low == "reference wavelength" and current is not None:
            if m := re.match(r"\s*(\d+)", value):
                current.reference = int(m.group(1))
        elif low == "plate definition file" and current is not None:
            current.plate_definition = value
            meta.setdefault("Plate definition file", value)
        elif sep and low == "date":  # 'Date: 2021-07-08, Time: 14:34:46'
            for part in line.split(","):
                k, _, v = part.partition(":")
                meta.setdefault(k.strip(), v.strip())
        elif sep and low == "instrument serial number":
            meta.setdefault(key, value)
        elif not sep or re.match(r"^[A-Za-z]:\\", line):
            if line.lower().endswith(".mth"):
                meta.setdefault("Method", line)
            elif line.lower().endswith(".wsp"):
                meta.setdefault("Workspace", line)
            elif not NM.fullmatch(line) and not re.match(r"^[A-Za-z]:\\", line):
                plain.append(line)
    if len(plain) >= 2:
        meta.setdefault("User", plain[0])
        meta.setdefault("Instrument", plain[1])
    for measurement, label in zip(measurements, labels, strict=False):
        measurement.label = label
    return meta, measurements


def _wells_of(names: list[str], definition: str) -> int:
    big = any(WELL.match(n) and (WELL.match(n).group(1) > "H" or int(WELL.match(n).group(2)) > 12) for n in names)
    return 384 if big or "384" in definition else 96


def _magellan(s: _Sheet, first_plate: int) -> tuple[list[Read], dict[str, str], str]:
    end = next(r for r in range(len(s.texts)) if MAGELLAN_END.match(s.first(r)) or s.first(r).lower().endswith(".mth"))
    meta, measurements = _magellan_metadata(s, end)
    by_label = {m.label: m for m in measurements if m.label}
    if len(measurements) == 1 and not by_label:
        by_label = {"": measurements[0]}
    head = next((r for r in range(min(5, end)) if "Well positions" in s.texts[r]), None)
    if head is not None:
        return _magellan_list(s, head, end, by_label, measurements, first_plate), meta, "list"
    return _magellan_grids(s, end, by_label, measurements, first_plate), meta, "grid"


def _measurement_for(label: str, by_label: dict[str, _Measurement], measurements: list[_Measurement]):
    if label in by_label:
        return by_label[label], False
    if len(measurements) == 1 and label.lower() == "raw data" and "" in by_label:
        return measurements[0], False
    return None, True


def _magellan_list(
    s: _Sheet,
    head: int,
    end: int,
    by_label: dict[str, _Measurement],
    measurements: list[_Measurement],
    first_plate: int,
) -> list[Read]:
    header = s.texts[head]
    wcol = header.index("Well positions")
    pcol = header.index("Plate") if "Plate" in header else None
    rows = [r for r in range(head + 1, end) if len(s.texts[r]) > wcol and WELL.match(s.texts[r][wcol])]
    if not rows:
        raise s.fail(head, "the 'Well positions' column lists no well (A1, B1 …)")
    sub = range(head + 1, rows[0])  # the lines of times and temperatures under the header
    columns: list[tuple[int, str, str]] = []  # (index, data set, time)
    label = ""
    for c in range(len(header)):
        if c in (wcol, pcol):
            continue
        name = header[c]
        time = next(
            (s.texts[r][c] for r in sub if c < len(s.texts[r]) and re.fullmatch(r"[\d.]+\s*s", s.texts[r][c])), ""
        )
        if name:
            label = name
        elif not time:
            label = ""
            continue
        if not any(c < len(s.texts[r]) and s.texts[r][c] for r in rows):
            continue  # a header without values (a note such as 'Label1=535')
        columns.append((c, label, time))
    listed = set(rows)
    for r in range(rows[0], end):
        if r not in listed and any(c < len(s.texts[r]) and s.texts[r][c] for c, _, _ in columns):
            found = s.texts[r][wcol] if wcol < len(s.texts[r]) else ""
            raise s.fail(r, f"a line of values whose well position is {found!r}, not a well (A1, B1 …)")
    counts: dict[str, int] = {}
    for _, label, _ in columns:
        counts[label] = counts.get(label, 0) + 1
    definition = next((m.plate_definition for m in measurements if m.plate_definition), "")
    wells = _wells_of([s.texts[r][wcol] for r in rows], definition)
    n_rows, n_cols = PLATE_SHAPES[wells]
    plates: dict[str, list[int]] = {}
    names = [s.texts[r][pcol] if pcol is not None and pcol < len(s.texts[r]) else "" for r in rows]
    distinct = [n for n in dict.fromkeys(names) if n]
    for r, n in zip(rows, names, strict=True):
        key = n if len(distinct) > 1 else (distinct[0] if distinct else "")
        if len(distinct) > 1 and not n:
            raise s.fail(r, f"well {s.texts[r][s.texts[head].index('Well positions')]} has no plate among {distinct}")
        plates.setdefault(key, []).append(r)
    out: list[Read] = []
    for k, (plate_name, plate_rows) in enumerate(plates.items()):
        seen: dict[str, int] = {}
        for r in plate_rows:
            m = WELL.match(s.texts[r][wcol])
            well = f"{m.group(1)}{int(m.group(2))}"
            if m.group(1) not in ROWS[:n_rows] or not 1 <= int(m.group(2)) <= n_cols:
                raise s.fail(r, f"well {well} is not a well of a {wells}-well plate")
            if well in seen:
                raise s.fail(r, f"well {well} is listed twice (first at {s.at(seen[well])})")
            seen[well] = r
        for c, label, time in columns:
            measurement, derived = _measurement_for(label, by_label, measurements)
            kinetic = counts[label] > 1
            cells = {}
            for r in plate_rows:
                m = WELL.match(s.texts[r][wcol])
                row = s.cells[r]
                if c < len(row):
                    cells[f"{m.group(1)}{int(m.group(2))}"] = row[c]
            text = f"{label} at {time}" if kinetic else label
            if measurement is not None and measurement.reference:
                text += f" (reference {measurement.reference} nm in the settings)"
            out.append(
                Read(
                    cells=cells,
                    wells=wells,
                    nm=measurement.nm if measurement else None,
                    label=text,
                    step=label,
                    plate=first_plate + k,
                    plate_name=plate_name,
                    measurement=measurement.mode if measurement else "unknown",
                    mode="kinetic" if kinetic else "endpoint",
                    derived=derived,
                    where=s.at(head),
                )
            )
    return out


def _grid_rows(s: _Sheet) -> list[int]:
    """The rows with a ``<>`` corner followed by the column numbers 1, 2, 3 …."""
    out = []
    for r, texts in enumerate(s.texts):
        if "<>" in texts:
            c = texts.index("<>")
            if texts[c + 1 : c + 4] == ["1", "2", "3"]:
                out.append(r)
    return out


def _grid(s: _Sheet, head: int, what: str) -> tuple[dict[str, Cell], int]:
    """The cells of the ``<>`` grid at ``head`` and its number of wells; an error when cut short."""
    texts = s.texts[head]
    c0 = texts.index("<>")
    cols = []
    for c in range(c0 + 1, len(texts)):
        if not texts[c]:
            break
        cols.append((c, texts[c]))
    numbers = [t for _, t in cols]
    if numbers not in (["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"], [str(i) for i in range(1, 25)]):
        raise s.fail(head, f"{what}: columns {', '.join(numbers)}, expected 1 … 12 (96 wells) or 1 … 24 (384 wells)")
    wells = 96 if len(cols) == 12 else 384
    n_rows = PLATE_SHAPES[wells][0]
    cells: dict[str, Cell] = {}
    for k in range(n_rows):
        r = head + 1 + k
        letter = s.texts[r][c0] if r < len(s.texts) and c0 < len(s.texts[r]) else ""
        if letter != ROWS[k]:
            found = f"{letter!r}" if letter else "nothing"
            raise s.fail(
                r if r < len(s.texts) else head,
                f"{what}: row {ROWS[k]} expected, found {found}: the grid is cut short or a row is repeated",
            )
        row = s.cells[r]
        for c, number in cols:
            if c < len(row):
                cells[f"{ROWS[k]}{number}"] = row[c]
    return cells, wells


def _magellan_grids(
    s: _Sheet, end: int, by_label: dict[str, _Measurement], measurements: list[_Measurement], first_plate: int
) -> list[Read]:
    out = []
    heads = [r for r in _grid_rows(s) if r < end]
    if not heads:
        raise s.fail(0, "no well list ('Well positions') and no '<>' grid above Magellan's metadata lines")
    for k, head in enumerate(heads):
        above = s.first(head - 1) if head else ""
        label = above if above and not WELL.match(above) else (measurements[k].label if k < len(measurements) else "")
        measurement, derived = _measurement_for(label, by_label, measurements)
        if measurement is None and len(heads) == len(measurements) and not label:
            measurement, derived = measurements[k], False
        cells, wells = _grid(s, head, f"grid {label!r}")
        out.append(
            Read(
                cells=cells,
                wells=wells,
                nm=measurement.nm if measurement else None,
                label=label or f"grid {k + 1}",
                step=label,
                plate=first_plate,
                measurement=measurement.mode if measurement else "unknown",
                derived=derived,
                where=s.at(head),
            )
        )
    return out


# --- i-control ------------------------------------------------------------------------------


def _value(texts: list[str]) -> str:
    """The value of an i-control settings line: the first non-empty cell after the key."""
    return next((t for t in texts[1:] if t), "")


def _icontrol(s: _Sheet, plate: int) -> tuple[list[Read], dict[str, str], str]:
    meta: dict[str, str] = {}
    labels = [r for r in range(len(s.texts)) if s.first(r).startswith("Label:")]
    top = labels[0] if labels else len(s.texts)
    for r in range(top):
        texts = [t for t in s.texts[r] if t]
        for t in texts:
            if " , " in t and "i-control" in t:
                meta.setdefault("Software Version", t.split(" , ")[-1].strip())
        if not texts:
            continue
        key, sep, value = texts[0].partition(":")
        if sep and value.strip():
            meta.setdefault(key.strip(), value.strip())
            for extra in texts[1:]:
                k2, sep2, v2 = extra.partition(":")
                if sep2 and v2.strip() and k2.strip():
                    meta.setdefault(k2.strip(), v2.strip())
        elif len(texts) > 1:
            meta.setdefault(key.strip(), texts[1])
    plate_name = meta.get("Plate-ID (Stacker)", "")
    definition = meta.get("Plate", meta.get("Platte", ""))
    out: list[Read] = []
    if not labels:
        raise s.fail(0, "an i-control export without a 'Label:' section: no read to describe")
    for i, r0 in enumerate(labels):
        r1 = labels[i + 1] if i + 1 < len(labels) else len(s.texts)
        name = s.first(r0).removeprefix("Label:").strip()
        settings: dict[str, str] = {}
        kinetic = False
        for r in range(r0 + 1, r1):
            texts = s.texts[r]
            first = s.first(r)
            if first in ("<>", "Cycle Nr.", "Zyklus Nr.") or first.startswith("Temperature:"):
                break
            if first.startswith(("Kinetic", "Kinetik")):
                kinetic = True
            settings.setdefault(first.rstrip(":").strip(), _value([t for t in texts if t] or [""]))
        mode = MODES.get((settings.get("Mode") or settings.get("Modus") or "").lower(), "unknown")
        if mode == "unknown" and "Measurement Wavelength" in settings:
            mode = "absorbance"
        wl = (
            settings.get("Emission Wavelength") or settings.get("Measurement Wavelength") or settings.get("Wellenlänge")
        )
        nm = int(float(wl)) if wl and re.fullmatch(r"\d+(\.\d+)?", wl) else None
        label = name
        if settings.get("Reference Wavelength"):
            label += f" (reference {settings['Reference Wavelength']} nm in the settings)"
        common = {
            "nm": nm,
            "step": name,
            "plate": plate,
            "plate_name": plate_name,
            "measurement": mode,
        }
        grids = [r for r in _grid_rows(s) if r0 < r < r1]
        cycles = [r for r in range(r0, r1) if s.first(r) in ("Cycle Nr.", "Zyklus Nr.")]
        for head in grids:
            cells, wells = _grid(s, head, f"label {name!r}")
            out.append(Read(cells=cells, wells=wells, label=label, mode="endpoint", where=s.at(head), **common))
        for head in cycles:
            out.extend(_cycles(s, head, r1, label, definition, common))
        if not grids and not cycles:
            raise s.fail(
                r0,
                f"label {name!r} has no '<>' grid and no 'Cycle Nr.' table"
                + (" (kinetic)" if kinetic else "")
                + ": lists of several reads per well (Well/Mean/StDev, Cycles / Well) are not read",
            )
    return out, meta, "kinetic" if any(r.mode == "kinetic" for r in out) else "grid"


def _cycles(s: _Sheet, head: int, end: int, label: str, definition: str, common: dict) -> list[Read]:
    """A kinetic table: ``Cycle Nr.`` then ``Time [s]``, ``Temp. [°C]`` and one line per well (or
    the transposed table: a header of wells and one line per cycle). One read per cycle."""
    texts = s.texts[head]
    c0 = texts.index(s.first(head))
    per_cycle: dict[str, dict[str, Cell]] = {}
    if any(WELL.match(t) for t in texts[c0 + 1 :]):  # one line per cycle
        wells_at = [(c, t) for c, t in enumerate(texts) if c > c0 and WELL.match(t)]
        r = head + 1
        while r < end and s.first(r) and re.fullmatch(r"\d+", s.texts[r][c0] if c0 < len(s.texts[r]) else ""):
            row = s.cells[r]
            per_cycle[s.texts[r][c0]] = {w: row[c] for c, w in wells_at if c < len(row)}
            r += 1
    else:  # one line per well, cycles across
        cycles = [(c, t) for c, t in enumerate(texts) if c > c0 and t]
        r = head + 1
        while r < end and s.first(r):
            well = s.texts[r][c0] if c0 < len(s.texts[r]) else ""
            if WELL.match(well):
                m = WELL.match(well)
                for c, cycle in cycles:
                    if c < len(s.cells[r]):
                        per_cycle.setdefault(cycle, {})[f"{m.group(1)}{int(m.group(2))}"] = s.cells[r][c]
            r += 1
    names = [w for cells in per_cycle.values() for w in cells]
    wells = _wells_of(names, definition)
    return [
        Read(cells=cells, wells=wells, label=f"{label} cycle {cycle}", mode="kinetic", where=s.at(head), **common)
        for cycle, cells in per_cycle.items()
    ]
