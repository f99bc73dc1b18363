"""Molecular Devices SoftMax Pro text exports (``File > Export``, ``.txt``), plate and time format.

The export is a list of blocks announced by ``##BLOCKS= n``; each block ends with ``~End``:

``Plate:``
    one *plate section* (one read of one plate). Its first line holds the settings, tab
    separated: name, export version (``1.3``), export format ``PlateFormat`` | ``TimeFormat``,
    read type ``Endpoint`` | ``Kinetic`` | ``Spectrum`` | ``Well Scan``, read mode
    ``Absorbance`` | ``Fluorescence`` | ``Luminescence`` | ``Time Resolved`` …, (fluorescence only:
    a top/bottom read flag), data type ``Raw`` | ``Reduced`` | ``Both``, pre-read, kinetic points
    (number of time points, scan points, or wavelengths of a spectrum), read time, interval, start,
    end and step of a spectrum, number of wavelengths, the wavelengths (``450 650``), first column,
    number of columns, number of wells (96, 384 …), and for fluorescence the excitation wavelengths.

    *Plate format*: a header row ``<time>, Temperature(°C), 1 … 12, '', 1 … 12 …`` - one group of
    column numbers per wavelength, side by side - then 8 (16) rows per grid, the row letters not
    written. A kinetic read writes one such row block per time point, a spectrum one per
    wavelength, a well scan one per scan point. *Time format*: a header row naming the wells
    ``A1 … H12`` and one line per wavelength (per time point, per wavelength of a spectrum).
    After the raw data, a second header row with an empty second column introduces the
    *reduced* grid (the plate section's reduction: blank-subtracted, ``Lm1-Lm2``, Vmax …):
    ``derived``. With data type ``Reduced`` the reduced grid is all the section holds.
``Group:``
    a group table (standards, unknowns …) computed by SoftMax Pro from the plate sections: one
    derived read per column holding numbers (``OD``, ``BackCalcConc``, ``Result``, ``MeanValue`` …),
    addressed to the plate named in its ``WellPlateName`` column (else to the plate section before
    it, or the file's only plate).
``Note:``
    free text, not read.

A plate section is a plate of the file: :attr:`Read.plate` is its position among the sections
(names may repeat), :attr:`Read.step` its name, and its wavelengths are labelled as SoftMax Pro
names them, ``Lm1``, ``Lm2`` …. Cells are kept as written (``''`` for a well the section does not
read, ``Range?``, ``Masked``, ``NaN``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from trialflow.elisa.errors import GRID_SHAPE, PlateFormatError
from trialflow.elisa.readers.reads import PLATE_SHAPES, Cell, Export, Parsed, Read

NAME = "softmax"

BLOCKS = re.compile(r"^##BLOCKS=\s*(\d+)\s*$")
DATA_TYPES = ("Raw", "Reduced", "Both")
FORMATS = {"PlateFormat": "plate", "TimeFormat": "time"}
READ_TYPES = {"Endpoint": "endpoint", "Kinetic": "kinetic", "Spectrum": "spectrum", "Well Scan": "well scan"}
READ_MODES = {
    "absorbance": "absorbance",
    "fluorescence": "fluorescence",
    "time resolved": "fluorescence",
    "fret": "fluorescence",
    "fluorescence polarization": "fluorescence",
    "luminescence": "luminescence",
}
WELL = re.compile(r"^([A-Z])(\d{1,2})$")
GROUP_KEYS = {"sample", "well", "wells", "wellplatename"}
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _text(cell: Cell) -> str:
    value = cell[0]
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass
class _Rows:
    """The sheet's rows as stripped texts, with the place of each row for messages."""

    export: Export
    title: str
    cells: list[list[Cell]]
    texts: list[list[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.texts = [[_text(c).strip() for c in row] for row in self.cells]

    def place(self, r: int) -> str:
        """``'12'`` (a text line) or ``'Sheet!A12'`` (a workbook row)."""
        return str(r + 1) if self.export.container == "text" else f"{self.title}!A{r + 1}"

    def at(self, r: int) -> str:
        """How a message names row ``r``: ``'line 12'`` or ``'Sheet!A12'``."""
        return f"line {r + 1}" if self.export.container == "text" else f"{self.title}!A{r + 1}"

    def blank(self, r: int) -> bool:
        return not any(self.texts[r])

    def fail(self, r: int, message: str) -> PlateFormatError:
        return PlateFormatError(self.export.path, f"{self.at(r)}: {message}", line=self.place(r), rule=GRID_SHAPE)


def recognises(export: Export) -> bool:
    """Whether the file opens with SoftMax Pro's ``##BLOCKS= n`` line (text, or a sheet holding it), or is
    SoftMax Pro's XML export (``<Experiment><PlateSections>``)."""
    if export.container == "xml":
        return _xml_root(export) is not None
    if export.container not in ("text", "xlsx", "xls") or not export.sheets:
        return False
    for row in export.rows:
        texts = [_text(c).strip() for c in row]
        if any(texts):
            return bool(BLOCKS.match(texts[0].lstrip("\ufeff")))
    return False


def reads(export: Export) -> Parsed:
    """Every grid of every plate section and group table of a SoftMax Pro export."""
    if export.container == "xml":
        return _xml_reads(export)
    rows = _Rows(export, export.sheets[0][0], export.rows)
    start = next(r for r, t in enumerate(rows.texts) if any(t))
    announced = int(BLOCKS.match(rows.texts[start][0].lstrip("\ufeff")).group(1))
    blocks: list[tuple[int, int]] = []
    metadata: dict[str, str] = {}
    r = start + 1
    n = len(rows.texts)
    while r < n:
        first = rows.texts[r][0] if rows.texts[r] else ""
        if rows.blank(r):
            r += 1
            continue
        if first.startswith("Original Filename:") or first.startswith("Date Last Saved:"):
            line = "\t".join(t for t in rows.texts[r] if t)
            for part in line.split(";"):
                key, _, value = part.partition(":")
                metadata.setdefault(key.strip(), value.strip())
            r += 1
            continue
        if not first.startswith(("Plate:", "Group:", "Note:")):
            raise rows.fail(r, f"expected a block starting with Plate:, Group: or Note:, found {first[:40]!r}")
        end = next((e for e in range(r + 1, n) if rows.texts[e] and rows.texts[e][0].startswith("~End")), None)
        if end is None:
            raise rows.fail(r, f"the block {first[:40]!r} has no ~End line: the file is truncated")
        blocks.append((r, end))
        r = end + 1
    if len(blocks) < announced:
        raise rows.fail(
            start, f"##BLOCKS= {announced} announces {announced} blocks, the file holds {len(blocks)}: it is truncated"
        )
    # SoftMax Pro sometimes announces fewer blocks than it writes (a time-format export of three plate
    # sections with their group tables says ##BLOCKS= 3 and holds 12): every block written is read.
    metadata["Blocks"] = f"{len(blocks)}" + (f" (##BLOCKS= {announced})" if len(blocks) != announced else "")

    found: list[Read] = []
    sections: list[tuple[int, str, Read]] = []  # (row of the block, plate name, first read) per plate section
    formats = set()
    groups = []
    for b0, b1 in blocks:
        kind = rows.texts[b0][0]
        if kind.startswith("Plate:"):
            position = len(sections) + 1
            section, fmt = _plate_section(rows, b0, b1, position)
            formats.add(fmt)
            sections.append((b0, section[0].plate_name, section[0]))
            found.extend(section)
        elif kind.startswith("Group:"):
            groups.append((b0, b1))
    if not sections:
        raise rows.fail(start, "no Plate: section: the export holds no plate data")
    for b0, b1 in groups:
        found.extend(_group(rows, b0, b1, sections))
    fmt = formats.pop() if len(formats) == 1 else "mixed"
    metadata["Export Format"] = {"plate": "PlateFormat", "time": "TimeFormat"}.get(fmt, "PlateFormat and TimeFormat")
    metadata["Export Version"] = rows.texts[sections[0][0]][2] if len(rows.texts[sections[0][0]]) > 2 else ""
    return Parsed(f"softmax-{fmt}-{export.container}", found, metadata)


@dataclass
class _Header:
    name: str
    fmt: str
    mode: str
    measurement: str
    data_type: str
    points: int
    wavelengths: list[int | None]
    excitation: list[str]
    wells: int


def _header(rows: _Rows, r: int) -> _Header:
    f = rows.texts[r] + [""] * 40
    name = f[1]
    if f[3] not in FORMATS:
        raise rows.fail(r, f"plate section {name!r}: export format {f[3]!r}, expected PlateFormat or TimeFormat")
    if f[4] not in READ_TYPES:
        raise rows.fail(r, f"plate section {name!r}: read type {f[4]!r}, expected one of {', '.join(READ_TYPES)}")
    dt = 6 if f[6] in DATA_TYPES else 7 if f[7] in DATA_TYPES else None
    if dt is None:
        raise rows.fail(r, f"plate section {name!r}: no data type (Raw, Reduced or Both) in the 7th or 8th field")
    mode = READ_TYPES[f[4]]

    def integer(i: int, what: str, default: int | None = None) -> int:
        if not f[i] and default is not None:
            return default
        try:
            return int(float(f[i]))
        except ValueError:
            raise rows.fail(r, f"plate section {name!r}: {what} {f[i]!r} is not a number") from None

    points = integer(dt + 2, "the number of kinetic points", 1)
    if mode == "spectrum":
        first, last, step = (integer(dt + k, "the spectrum's start, end or step") for k in (5, 6, 7))
        wavelengths: list[int | None] = list(range(first, last + 1, step or 1))
    else:
        wavelengths = []
        for w in f[dt + 9].split():
            try:
                nm = int(float(w))
            except ValueError:
                raise rows.fail(r, f"plate section {name!r}: wavelength {w!r} is not a number") from None
            wavelengths.append(nm if nm > 0 else None)  # luminescence without a filter: 0
        count = integer(dt + 8, "the number of wavelengths", len(wavelengths))
        if count != len(wavelengths):
            raise rows.fail(r, f"plate section {name!r}: {count} wavelengths announced, {len(wavelengths)} listed")
    wells = integer(dt + 12, "the number of wells")
    if wells not in PLATE_SHAPES:
        raise rows.fail(r, f"plate section {name!r} is a {wells}-well plate; only 96- and 384-well plates are read")
    return _Header(
        name=name,
        fmt=FORMATS[f[3]],
        mode=mode,
        measurement=READ_MODES.get(f[5].lower(), "unknown"),
        data_type=f[dt],
        points=points,
        wavelengths=wavelengths,
        excitation=f[dt + 13].split() if READ_MODES.get(f[5].lower()) == "fluorescence" else [],
        wells=wells,
    )


def _labels(h: _Header) -> list[str]:
    """``Lm1``, ``Lm2`` … per wavelength, as SoftMax Pro names them (with the excitation for fluorescence)."""
    out = []
    for i, nm in enumerate(h.wavelengths, start=1):
        label = f"Lm{i}" if h.mode != "spectrum" else f"{nm}"
        if h.excitation and i <= len(h.excitation) and h.mode != "spectrum":
            label += f" (Ex {h.excitation[i - 1]} / Em {nm})"
        out.append(label)
    return out


def _plate_section(rows: _Rows, b0: int, b1: int, position: int) -> tuple[list[Read], str]:
    h = _header(rows, b0)
    body = [r for r in range(b0 + 1, b1)]
    read = _plate_format if h.fmt == "plate" else _time_format
    return read(rows, h, body, position), h.fmt


def _is_header(texts: list[str]) -> bool:
    return len(texts) > 2 and any(texts[2:])


def _next_content(rows: _Rows, body: list[int], i: int) -> int:
    """The index in ``body`` of the next row that is not empty."""
    while i < len(body) and rows.blank(body[i]):
        i += 1
    return i


def _make(
    rows: _Rows, h: _Header, position: int, cells: dict[str, Cell], r: int, **kw: object
) -> Read:  # one Read of a plate section
    return Read(
        cells=cells,
        wells=h.wells,
        plate=position,
        plate_name=h.name,
        step=h.name,
        measurement=h.measurement,
        mode=h.mode,
        where=rows.at(r),
        **kw,  # type: ignore[arg-type]
    )


def _column_groups(rows: _Rows, r: int, h: _Header) -> list[list[tuple[int, int]]]:
    """The groups of column numbers of a plate-format header row: [[(index in row, column number)]]."""
    n_rows, n_cols = PLATE_SHAPES[h.wells]
    groups: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for i, t in enumerate(rows.texts[r][2:], start=2):
        if t.isdigit():
            current.append((i, int(t)))
        else:
            if current:
                groups.append(current)
            current = []
            if t:
                raise rows.fail(r, f"plate section {h.name!r}: column header {t!r}, expected column numbers")
    if current:
        groups.append(current)
    for g in groups:
        if [c for _, c in g] != list(range(1, len(g) + 1)) or len(g) > n_cols:
            raise rows.fail(
                r, f"plate section {h.name!r}: columns {[c for _, c in g]}, expected 1 … {n_cols} for {h.wells} wells"
            )
    return groups


def _grid_rows(rows: _Rows, h: _Header, body: list[int], i: int, what: str) -> list[int]:
    """The 8 (16) rows of one grid starting at ``body[i]``, taken as they come: a row of a partial
    plate that reads no well is an empty line. An error when the section ends first, or a header
    row comes in place of a grid row (the grid was cut short)."""
    n_rows, n_cols = PLATE_SHAPES[h.wells]
    got = body[i : i + n_rows]
    for k, r in enumerate(got):
        if _is_column_header(rows.texts[r]):
            got = got[:k]
            while got and rows.blank(got[-1]):  # the blank line before the next header
                got.pop()
            break
    if len(got) < n_rows:
        last = got[-1] if got else body[i - 1] if i else body[0]
        raise rows.fail(
            last,
            f"plate section {h.name!r}: the {what} grid ends after {len(got)} of {n_rows} rows "
            f"(row {'ABCDEFGHIJKLMNOP'[len(got)]} missing): the file is truncated",
        )
    return got


def _is_column_header(texts: list[str]) -> bool:
    """A plate-format header row: ``'', '', 1, 2, 3 …`` (reduced) or ``'', Temperature, 1, 2 …``."""
    return len(texts) > 4 and not texts[0] and texts[2:5] == ["1", "2", "3"]


def _grid_cells(rows: _Rows, grid: list[int], group: list[tuple[int, int]]) -> dict[str, Cell]:
    cells: dict[str, Cell] = {}
    for k, r in enumerate(grid):
        row = rows.cells[r]
        for idx, col in group:
            if idx < len(row):
                cells[f"{'ABCDEFGHIJKLMNOP'[k]}{col}"] = row[idx]
    return cells


def _identity(h: _Header, labels: list[str], w: int, p: int, first: str) -> tuple[int | None, str]:
    """The wavelength and label of the grid of wavelength ``w`` at time (scan) point ``p``; ``first``
    is the grid's first cell: its time (kinetic), scan point (well scan) or wavelength (spectrum)."""
    if h.mode == "spectrum":
        return (int(float(first)), first) if NUMBER.match(first) else (h.wavelengths[w], labels[w])
    if h.mode == "kinetic":
        return h.wavelengths[w], f"{labels[w]} at {first or p + 1}"
    if h.mode == "well scan":
        return h.wavelengths[w], f"{labels[w]} point {first or p + 1}"
    return h.wavelengths[w], labels[w]


def _plate_format(rows: _Rows, h: _Header, body: list[int], position: int) -> list[Read]:
    out: list[Read] = []
    i = _next_content(rows, body, 0)
    labels = _labels(h)
    if h.data_type != "Reduced":
        if i >= len(body) or not _is_header(rows.texts[body[i]]):
            where = body[i] if i < len(body) else body[-1] if body else 0
            raise rows.fail(where, f"plate section {h.name!r}: no column header row with the raw data")
        head = body[i]
        groups = _column_groups(rows, head, h)
        blocks = h.points if h.mode in ("kinetic", "well scan") else len(h.wavelengths) if h.mode == "spectrum" else 1
        per_block = 1 if h.mode == "spectrum" else len(h.wavelengths)
        if len(groups) != per_block:
            raise rows.fail(
                head,
                f"plate section {h.name!r}: {len(groups)} groups of columns, expected {per_block} (one per wavelength)",
            )
        i += 1
        for b in range(blocks):
            if b:
                i = _next_content(rows, body, i)
            if i >= len(body):
                raise rows.fail(
                    body[-1],
                    f"plate section {h.name!r}: {b} of {blocks} grids of raw data found: the file is truncated",
                )
            grid = _grid_rows(rows, h, body, i, "raw data")
            first = rows.texts[grid[0]][0] if rows.texts[grid[0]] else ""
            for g, group in enumerate(groups):
                nm, label = _identity(h, labels, b if h.mode == "spectrum" else g, b, first)
                out.append(_make(rows, h, position, _grid_cells(rows, grid, group), grid[0], nm=nm, label=label))
            i += len(grid)
    i = _next_content(rows, body, i)
    if i < len(body):
        head = body[i]
        if not _is_header(rows.texts[head]) or (len(rows.texts[head]) > 1 and rows.texts[head][1]):
            raise rows.fail(
                head, f"plate section {h.name!r}: unexpected row after the raw data, expected the reduced grid's header"
            )
        groups = _column_groups(rows, head, h)
        grid = _grid_rows(rows, h, body, i + 1, "reduced")
        out.append(
            _make(
                rows, h, position, _grid_cells(rows, grid, groups[0]), grid[0], nm=None, label="Reduced", derived=True
            )
        )
        i = _next_content(rows, body, i + 1 + len(grid))
        if i < len(body):
            raise rows.fail(body[i], f"plate section {h.name!r}: unexpected row after the reduced grid")
    elif h.data_type == "Reduced":
        raise rows.fail(body[-1] if body else 0, f"plate section {h.name!r}: data type Reduced but no reduced grid")
    return out


def _well_columns(rows: _Rows, r: int, h: _Header) -> list[tuple[int, str]]:
    """The wells of a time-format header row: [(index in row, well)]."""
    n_rows, n_cols = PLATE_SHAPES[h.wells]
    seen: set[str] = set()
    out = []
    for i, t in enumerate(rows.texts[r][2:], start=2):
        if not t:
            continue
        m = WELL.match(t)
        if not m or m.group(1) not in "ABCDEFGHIJKLMNOP"[:n_rows] or not 1 <= int(m.group(2)) <= n_cols:
            raise rows.fail(
                r, f"plate section {h.name!r}: {t!r} in the header row is not a well of a {h.wells}-well plate"
            )
        if t in seen:
            raise rows.fail(r, f"plate section {h.name!r}: well {t} twice in the header row")
        seen.add(t)
        out.append((i, t))
    return out


def _line_cells(rows: _Rows, r: int, wells: list[tuple[int, str]]) -> dict[str, Cell]:
    row = rows.cells[r]
    return {w: row[i] for i, w in wells if i < len(row)}


def _time_format(rows: _Rows, h: _Header, body: list[int], position: int) -> list[Read]:
    out: list[Read] = []
    content = [r for r in body if not rows.blank(r)]
    labels = _labels(h)
    k = 0
    if h.data_type != "Reduced":
        if not content or not _is_header(rows.texts[content[0]]):
            raise rows.fail(
                content[0] if content else body[-1] if body else 0,
                f"plate section {h.name!r}: no header row naming the wells",
            )
        wells = _well_columns(rows, content[0], h)
        k = 1
        per_wl = h.points if h.mode in ("kinetic", "well scan") else 1
        expected = len(h.wavelengths) * per_wl
        data = content[k : k + expected]
        bad = next(
            (
                j
                for j, r in enumerate(data)
                if _is_header(rows.texts[r]) and not rows.texts[r][1] and WELL.match(rows.texts[r][2] or "-")
            ),
            None,
        )
        if bad is not None:
            data = data[:bad]
        if 0 < len(data) < expected:
            raise rows.fail(
                data[-1],
                f"plate section {h.name!r}: {len(data)} lines of raw data, expected {expected} "
                f"({len(h.wavelengths)} wavelength(s) x {per_wl}): the file is truncated",
            )
        # A section exported with its raw lines empty (seen in real exports) holds reads without values:
        # described with no wells, so choosing one says the wells are missing.
        empty = not data
        for j, r in enumerate(data or [content[0]] * expected):
            w, p = divmod(j, per_wl)
            nm, label = _identity(h, labels, w, p, "" if empty else rows.texts[r][0] if rows.texts[r] else "")
            out.append(_make(rows, h, position, {} if empty else _line_cells(rows, r, wells), r, nm=nm, label=label))
        k += len(data)
    rest = content[k:]
    if rest:
        head = rest[0]
        if not _is_header(rows.texts[head]) or rows.texts[head][1]:
            raise rows.fail(
                head,
                f"plate section {h.name!r}: unexpected line after the raw data, expected the reduced data's header",
            )
        wells = _well_columns(rows, head, h)
        if len(rest) < 2:
            raise rows.fail(head, f"plate section {h.name!r}: the reduced data's header has no line of values")
        out.append(
            _make(rows, h, position, _line_cells(rows, rest[1], wells), rest[1], nm=None, label="Reduced", derived=True)
        )
        if len(rest) > 2:
            raise rows.fail(rest[2], f"plate section {h.name!r}: unexpected line after the reduced data")
    elif h.data_type == "Reduced":
        raise rows.fail(body[-1] if body else 0, f"plate section {h.name!r}: data type Reduced but no reduced data")
    return out


def _group(rows: _Rows, b0: int, b1: int, sections: list[tuple[int, str, Read]]) -> list[Read]:
    """One derived read per numeric column of a group table, per plate it names."""
    first = rows.texts[b0]
    name = first[0].removeprefix("Group:").strip() or (first[1] if len(first) > 1 else "")
    r = b0 + 1
    while r < b1 and rows.blank(r):
        r += 1
    if r >= b1:
        return []
    head = rows.texts[r]
    keys = [t.lower() for t in head]
    well_col = next((i for i, k in enumerate(keys) if k in ("well", "wells")), None)
    if well_col is None:
        return []
    plate_col = next((i for i, k in enumerate(keys) if k == "wellplatename"), None)
    before = [s for s in sections if s[0] < b0]
    default = before[-1][2] if before else sections[0][2]
    by_name: dict[str, Read] = {}
    for _, pname, read in sections:
        by_name.setdefault(pname, read)
    table: dict[tuple[int, str], dict[str, Cell]] = {}
    plates: dict[int, Read] = {}
    rr = r + 1
    while rr < b1 and not rows.blank(rr):
        texts = rows.texts[rr]
        well = texts[well_col] if well_col < len(texts) else ""
        if WELL.match(well):
            plate = default
            if plate_col is not None and plate_col < len(texts) and texts[plate_col]:
                plate = by_name.get(texts[plate_col], default)
            plates[plate.plate] = plate
            for c, key in enumerate(head):
                if c < len(texts) and key and key.lower() not in GROUP_KEYS and texts[c]:
                    table.setdefault((plate.plate, key), {}).setdefault(well, rows.cells[rr][c])
        rr += 1
    out = []
    for (pos, key), cells in table.items():
        if not any(NUMBER.match(_text(cell).strip()) for cell in cells.values()):
            continue
        p = plates[pos]
        out.append(
            Read(
                cells=cells,
                wells=p.wells,
                nm=None,
                label=f"Group {name}: {key}",
                step=f"Group {name}",
                plate=pos,
                plate_name=p.plate_name,
                measurement=p.measurement,
                mode=p.mode,
                derived=True,
                where=rows.at(r),
            )
        )
    return out


# --- XML export (SoftMax Pro 6 and 7: File > Export, output format XML) -------------------------


def _xml_tree(export: Export):
    """The parsed XML document with its line numbers; the encoding declaration is dropped (the text
    is already decoded), keeping the lines where they are."""
    from lxml import etree  # only XML exports need it

    text = re.sub(r"^\ufeff?(\s*)<\?xml[^>]*\?>", r"\1", export.text)
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.fromstring(text.encode("utf-8"), parser)


def _xml_root(export: Export):
    """The ``<Experiment>`` root of a SoftMax Pro 6/7 XML export, else None."""
    from lxml import etree

    if "<PlateSections" not in export.text[:4000]:
        return None
    try:
        root = _xml_tree(export)
    except etree.XMLSyntaxError:
        return etree.Element("Experiment")  # truncated or broken: reads() says where
    return root if root.tag == "Experiment" else None


def _xml_reads(export: Export) -> Parsed:
    from lxml import etree

    name = export.path.name
    try:
        root = _xml_tree(export)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 0
        raise PlateFormatError(
            export.path,
            f"line {line}: not well-formed XML ({exc.msg}): the file is truncated or edited",
            line=str(line),
        ) from None
    found: list[Read] = []
    for position, section in enumerate(root.iter("PlateSection"), start=1):
        plate_name = section.get("Name", "")
        settings = section.find("InstrumentSettings")
        settings_attrs = settings.attrib if settings is not None else {}
        measurement = READ_MODES.get(settings_attrs.get("ReadMode", "").lower(), "unknown")
        mode = READ_TYPES.get(settings_attrs.get("ReadType", ""), "unknown")
        nms: dict[str, int | None] = {}
        for w in section.iterfind("InstrumentSettings/WavelengthSettings/Wavelength"):
            text = (w.text or "").strip()
            nms[w.get("Index", "")] = int(float(text)) if NUMBER.match(text) and float(text) > 0 else None
        match = re.match(r"\s*(\d+)", settings_attrs.get("PlateType", ""))
        for wave in section.iterfind("Wavelengths/Wavelength"):
            index = wave.get("WavelengthIndex", "")
            per_point: dict[int, dict[str, Cell]] = {}
            times: dict[int, str] = {}
            seen: dict[str, int] = {}
            for well in wave.iterfind("Wells/Well"):
                well_name = well.get("Name", "")
                if well_name in seen:
                    raise PlateFormatError(
                        export.path,
                        f"line {well.sourceline}: plate section {plate_name!r}, wavelength {index}: well {well_name} "
                        f"twice (first at line {seen[well_name]})",
                        line=str(well.sourceline),
                        rule=GRID_SHAPE,
                    )
                seen[well_name] = well.sourceline
                raw = well.find("RawData")
                if raw is None:
                    continue
                tokens = (raw.text or "").split()
                for k, token in enumerate(tokens or [""]):
                    per_point.setdefault(k, {})[well_name] = (token, f"{name}:line {raw.sourceline}")
                time = well.find("TimeData")
                for k, t in enumerate((time.text or "").split() if time is not None else []):
                    times.setdefault(k, t)
            wells = int(match.group(1)) if match and int(match.group(1)) in PLATE_SHAPES else 0
            if not wells:
                big = any(WELL.match(w) and (w[0] > "H" or int(w[1:]) > 12) for w in seen)
                wells = 384 if big else 96
            first = wave.find("Wells/Well")
            where = f"line {first.sourceline if first is not None else wave.sourceline}"
            for k, cells in per_point.items():
                label = f"Lm{index}"
                if len(per_point) > 1:
                    label += f" at {times[k]} s" if k in times else f" point {k + 1}"
                found.append(
                    Read(
                        cells=cells,
                        wells=wells,
                        nm=nms.get(index),
                        label=label,
                        step=plate_name,
                        plate=position,
                        plate_name=plate_name,
                        measurement=measurement,
                        mode=mode,
                        where=where,
                    )
                )
    instrument = next((s.get("InstrumentInfo", "") for s in root.iter("PlateSection")), "")
    metadata = {"Instrument": " ".join(instrument.split())}
    return Parsed("softmax-xml", found, metadata)
