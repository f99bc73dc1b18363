"""PerkinElmer / Revvity EnVision CSV exports (EnVision Workstation/Manager).

Written for the exports of EnVision Workstation 1.13 and 1.14 (``Exported with EnVision
Workstation version 1.14.3049.1642`` on the last line). The file is a series of result blocks,
then the assay's description:

* ``Plate information``: a header line (``Plate,Repeat,Barcode,…,Label,…,MeasInfo,…``) and one
  line of values: the plate's number and barcode, the measurement ``Label`` (``A450(1)``) - or a
  ``Formula`` (``Calc 1: …``) for a calculated result;
* ``Background information`` (optional): header and lines until an empty line;
* the values: either ``Results for A450(1) - channel 1 (A)`` or ``Calculated results: Calc 1: …``
  above a grid whose columns are written ``01`` … ``12`` (``Plate2`` export format), or a bare
  matrix of 8 (16) lines of 12 (24) values without row letters or column numbers (``Plate1``);
* ``Basic assay information``, ``Protocol information`` (``Number of the wells in the plate``),
  ``Labels:`` (per label: its technology code, ``Exc. filter``, ``Excitation wavelength``) and
  ``Filters:`` (``Description,,,,M450 CWL=450nm BW=10nm``).

Each block is one :class:`Read`: ``step`` is the measurement label (``A450(1)``), ``label`` the
result's title; calculated results are ``derived``. The measurement is taken from the label's
name (``Absorbance``/``ABS``/``A450`` …, ``LUM``/``Luminescence``, ``Alpha``, ``Fluorescence``/
``FI``/``HTRF``/``TRF``/``FP``), then from its technology code in ``Labels:`` (as seen in EnVision
exports: 2… absorbance, 4…/5…/6… fluorescence, 7… luminescence, 8… AlphaScreen), then from the
block's ``MeasInfo`` (``Ex=Btm Em=N/A``: absorbance; ``De=USLum``: luminescence); AlphaScreen
(light emitted by the acceptor bead) is described as ``luminescence``. An absorbance label's
wavelength is its ``Excitation wavelength``, else its excitation filter's ``CWL``, else the number
in its name (``A450``, ``… @ 562``).
"""

from __future__ import annotations

import re

from trialflow.elisa.errors import GRID_SHAPE, PlateFormatError
from trialflow.elisa.readers.lettergrid import header_columns, letter_grid, letters, refuse_1536
from trialflow.elisa.readers.plate import cell_text
from trialflow.elisa.readers.reads import Cell, Export, Parsed, Read

NAME = "envision"

_BLOCK_ENDS = ("plate information", "basic assay information", "protocol information")
_NAME_WORDS = (
    (re.compile(r"absorbance|\babs\b|^a\d{3}\b", re.IGNORECASE), "absorbance"),
    (re.compile(r"lum|alpha", re.IGNORECASE), "luminescence"),
    (re.compile(r"fluorescence|\bfi\b|htrf|trf|\bfp\b|lance|delfia|fitc|alexa", re.IGNORECASE), "fluorescence"),
)
_CODES = {"2": "absorbance", "4": "fluorescence", "5": "fluorescence", "6": "fluorescence", "7": "luminescence"}
_CODES["8"] = "luminescence"  # AlphaScreen / AlphaLISA


def _first(row: list[Cell]) -> str:
    return cell_text(row[0][0]) if row else ""


def _texts(row: list[Cell]) -> list[str]:
    return [cell_text(v) for v, _ in row]


def recognises(export: Export) -> bool:
    """A text export with ``Plate information`` blocks that EnVision wrote (its closing
    ``Exported with EnVision`` line, or a ``Background information`` block)."""
    if export.container != "text":
        return False
    firsts = [_first(row) for row in export.rows]
    if not any(f.lower() == "plate information" for f in firsts):
        return False
    return any(f.startswith("Exported with EnVision") or f.lower() == "background information" for f in firsts)


def _is_blank(row: list[Cell]) -> bool:
    return not any(_texts(row))


def _sections(rows: list[list[Cell]]) -> dict[str, list[tuple[str, str]]]:
    """The ``key,,,,value`` lines under ``Labels:`` and ``Filters:``, per entry (the entry's first
    line names it): {entry name: [(key, value), …]}."""
    out: dict[str, list[tuple[str, str]]] = {}
    section = ""
    entry = ""
    for row in rows:
        texts = [t for t in _texts(row) if t]
        if not texts:
            entry = ""
            continue
        if len(texts) == 1 and texts[0].endswith(":"):
            section = texts[0].rstrip(":").lower()
            entry = ""
            continue
        if section not in ("labels", "filters"):
            continue
        if not entry:
            entry = texts[0]
            out[entry] = [("", texts[-1])]
        else:
            out[entry].append((texts[0], texts[-1] if len(texts) > 1 else ""))
    return out


def _label_name(label: str) -> str:
    return re.sub(r"\(\d+\)$", "", label.strip()).strip()


def _measurement(name: str, entries: dict[str, list[tuple[str, str]]], measinfo: str) -> str:
    for pattern, measurement in _NAME_WORDS:
        if pattern.search(name):
            return measurement
    entry = entries.get(name)
    if entry and entry[0][1][:1] in _CODES and len(entry[0][1]) == 7:
        return _CODES[entry[0][1][0]]
    if "Em=N/A" in measinfo and "Ex=N/A" not in measinfo:
        return "absorbance"
    if "De=USLum" in measinfo:
        return "luminescence"
    return "unknown"


def _nm(name: str, entries: dict[str, list[tuple[str, str]]]) -> int | None:
    entry = dict(entries.get(name, [])[1:])
    m = re.match(r"(\d{3})\s*nm", entry.get("Excitation wavelength", ""))
    if m:
        return int(m.group(1))
    flt = entries.get(entry.get("Exc. filter", ""))
    if flt:
        m = re.search(r"CWL=(\d{3})\s*nm", dict(flt[1:]).get("Description", ""))
        if m:
            return int(m.group(1))
    m = re.search(r"(?<!\d)(\d{3})(?!\d)", name)
    return int(m.group(1)) if m and 200 <= int(m.group(1)) <= 1000 else None


def _metadata(rows: list[list[Cell]]) -> dict[str, str]:
    """The ``key,,,,value`` lines from ``Basic assay information`` on, and the software version."""
    meta: dict[str, str] = {}
    assay = False
    for row in rows:
        texts = [t for t in _texts(row) if t]
        assay = assay or (_first(row).lower() == "basic assay information")
        if len(texts) == 1 and texts[0].startswith("Exported with EnVision"):
            meta.setdefault("Software Version", texts[0].removeprefix("Exported with ").strip())
        elif assay and len(texts) >= 2 and len(row) >= 5:
            meta.setdefault(texts[0].rstrip(": ").strip(), texts[-1])
    return meta


def _ends_with_line_break(export: Export) -> bool:
    """Whether the file ends with a line break (a file cut inside its last line does not)."""
    return export.path.read_bytes().rstrip(b"\x00").endswith((b"\n", b"\r"))


def _bare_matrix(export: Export, rows: list[list[Cell]], i: int, wells: int) -> tuple[dict[str, Cell], int, int]:
    """A matrix of values without row letters or column numbers from row ``i``: its cells, the
    plate's wells (from the line count, else the protocol's ``Number of the wells``) and the end.
    Refused: a line count that is no plate's, a file cut inside the matrix's last line."""
    r = i
    while r < len(rows) and rows[r] and _first(rows[r]).lower() not in _BLOCK_ENDS:
        r += 1  # a line of empty fields (',,,,') is a row of wells not read; an empty line ends the matrix
    lines = rows[i:r]
    size = {8: 96, 16: 384}.get(len(lines), wells)
    columns = 12 if size == 96 else 24
    ends = r >= len(rows) and not _ends_with_line_break(export)
    if len(lines) != len(letters(columns)) or ends:
        found = "its last line is cut" if len(lines) == len(letters(columns)) else f"it has {len(lines)} lines"
        raise PlateFormatError(
            export.path,
            f"the matrix of values at {rows[i][0][1]}: {found} where {len(letters(columns))} rows of a "
            f"{size}-well plate were expected"
            + (" and the file ends there (a truncated file?)" if r >= len(rows) else ""),
            line=str(i + 1),
            rule=GRID_SHAPE,
        )
    cells: dict[str, Cell] = {}
    for letter, row in zip(letters(columns), lines, strict=True):
        for m in range(min(columns, len(row))):
            cells[f"{letter}{m + 1}"] = row[m]
    return cells, size, r


def reads(export: Export) -> Parsed:
    """One read per result block, in file order; plates numbered by first appearance."""
    rows = export.rows
    meta = _metadata(rows)
    entries = _sections(rows)
    try:
        wells = int(meta.get("Number of the wells in the plate", "96"))
    except ValueError:
        wells = 96
    found: list[Read] = []
    positions: dict[str, int] = {}
    repeats: set[str] = set()
    titled: set[int] = set()  # the lines of the 'Results for' titles read inside a block
    i = 0
    while i < len(rows):
        if _first(rows[i]).lower() != "plate information":
            i += 1
            continue
        head = _texts(rows[i + 1]) if i + 1 < len(rows) else []
        values = rows[i + 2] if i + 2 < len(rows) else []
        info = {h: cell_text(v) for h, (v, _) in zip(head, values, strict=False) if h}
        if "Plate" not in info:
            raise PlateFormatError(
                export.path,
                f"'Plate information' at line {i + 1} is not followed by its header and values lines",
                line=str(i + 1),
                rule=GRID_SHAPE,
            )
        r = i + 3
        title = ""
        while r < len(rows) and _is_blank(rows[r]):
            r += 1
        if r < len(rows) and _first(rows[r]).lower() == "background information":
            while r < len(rows) and not _is_blank(rows[r]):
                r += 1
            while r < len(rows) and _is_blank(rows[r]):
                r += 1
        if r < len(rows) and _first(rows[r]).startswith(("Results for", "Calculated results")):
            title = _first(rows[r])
            titled.add(r)
            r += 1
        if r >= len(rows) or _first(rows[r]).lower() in _BLOCK_ENDS:
            raise PlateFormatError(
                export.path,
                f"the result block at line {i + 1} holds no values (the file ends, or another block begins, "
                f"at line {min(r, len(rows))})",
                line=str(i + 1),
                rule=GRID_SHAPE,
            )
        header = header_columns(rows[r])
        if header is not None:
            j, columns = header
            if columns > 24:
                raise refuse_1536(export, rows[r], j, columns)
            cells, end = letter_grid(export, "", rows, r, j, columns)
            size, where = columns * len(letters(columns)), rows[r][0][1]
        else:
            cells, size, end = _bare_matrix(export, rows, r, wells)
            where = rows[r][0][1]
        formula = info.get("Formula", "")
        label = info.get("Label", "")
        name = _label_name(label or re.sub(r"^Results for\s*|\s*-\s*channel.*$", "", title))
        derived = bool(formula) or title.startswith("Calculated results")
        measinfo = info.get("Measinfo", info.get("MeasInfo", ""))
        measurement = "unknown" if derived else _measurement(name, entries, measinfo)
        barcode = info.get("Barcode", "").removeprefix("=").strip('"')
        plate_key = info["Plate"]
        plate = positions.setdefault(plate_key, len(positions) + 1)
        repeat = info.get("Repeat", "1")
        repeats.add(repeat)
        kinetic = info.get("Kinetics", "0") not in ("", "0")
        found.append(
            Read(
                cells=cells,
                wells=size,
                nm=_nm(name, entries) if measurement == "absorbance" else None,
                label=title or formula or label,
                step=label or formula,
                plate=plate,
                plate_name=barcode or f"Plate {plate_key}",
                measurement=measurement,
                mode="kinetic" if kinetic else "endpoint",
                derived=derived,
                where=where,
            )
        )
        i = end
    for k, row in enumerate(rows):
        if _first(row).startswith(("Results for", "Calculated results")) and k not in titled:
            raise PlateFormatError(
                export.path,
                f"{_first(row)[:60]!r} at line {k + 1} is not inside a result block: its 'Plate information' "
                "lines are missing (an edited or truncated export?)",
                line=str(k + 1),
                rule=GRID_SHAPE,
            )
    if len(repeats) > 1:  # plate repeats: the same plate read again over time
        for read in found:
            read.mode = "kinetic"
    return Parsed("envision-text", found, meta)
