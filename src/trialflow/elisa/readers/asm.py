"""Allotrope Simple Model (ASM) JSON documents of plate readers, as ``allotropy`` and instrument
software (Benchling Connect, vendor ASM exports) write them.

Written for the plate-reader manifests ``http://purl.allotrope.org/manifests/plate-reader/…``
``REC/2025/03``, ``REC/2024/06`` and ``BENCHLING/2023/09``. The document holds ``plate reader
aggregate document`` → ``plate reader document`` [] → ``measurement aggregate document``
(``plate well count``) → ``measurement document`` []: one value of one well, with

* ``sample document``: ``location identifier`` (``A1``, ``A01``) and ``well plate identifier``;
* the value under the key that names the measurement: ``absorbance`` (``mAU``),
  ``fluorescence`` (``RFU``) or ``luminescence`` (``RLU``); a spectrum or a kinetic profile
  (``absorption spectrum data cube``, ``absorption profile data cube``, ``fluorescence emission
  … data cube``) instead of a value;
* ``device control aggregate document`` → ``device control document`` []: ``detector
  wavelength setting`` (nm), ``excitation wavelength setting``;
* ``error aggregate document`` → ``error document`` []: ``error`` (``OVRFLW``, ``nan`` …) for a
  ``error feature``: the well's raw cell is then the error text, as the instrument wrote it.

Measurements are grouped into reads by plate, measurement, detector and excitation wavelengths
and mode; a well met a second time in one group opens another read (two read steps at one
wavelength). ASM records no read step, so ``step`` is the measurement (``absorbance``): a
reference wavelength is accepted among the absorbance reads of the plate.

``calculated data aggregate document`` entries computed from exactly one measurement are
``derived`` grids named by their ``calculated data name``; the others (group means, curve fits)
belong to no well and are counted in the metadata, not described as grids.
A cell's place is ``<file>:plate reader document N, measurement document M``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from trialflow.elisa.errors import GRID_SHAPE, PlateFormatError
from trialflow.elisa.readers.reads import Cell, Export, Parsed, Read

NAME = "asm"

_TOP = "plate reader aggregate document"
_VALUE_KEYS = ("absorbance", "fluorescence", "luminescence")
_CUBES = {
    "absorption spectrum data cube": ("absorbance", "spectrum"),
    "absorption profile data cube": ("absorbance", "kinetic"),
    "fluorescence emission spectrum data cube": ("fluorescence", "spectrum"),
    "fluorescence excitation spectrum data cube": ("fluorescence", "spectrum"),
    "fluorescence emission profile data cube": ("fluorescence", "kinetic"),
    "luminescence profile data cube": ("luminescence", "kinetic"),
    "luminescence spectrum data cube": ("luminescence", "spectrum"),
}
_WELL = re.compile(r"^([A-Pa-p])0*(\d{1,2})$")


def _document(export: Export) -> dict[str, Any]:
    """The parsed document; a JSON syntax error (a cut file) names its line and column."""
    try:
        doc = json.loads(export.text)
    except json.JSONDecodeError as exc:
        raise PlateFormatError(
            export.path,
            f"not a complete JSON document: {exc.msg} at line {exc.lineno}, column {exc.colno} (a truncated file?)",
            line=str(exc.lineno),
            rule=GRID_SHAPE,
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get(_TOP), dict):
        raise PlateFormatError(export.path, f"the JSON document holds no {_TOP!r} object", rule=GRID_SHAPE)
    return doc


def recognises(export: Export) -> bool:
    """A JSON document that opens a ``plate reader aggregate document`` (an ASM plate-reader
    manifest); a cut document is recognised too, for :func:`reads` to say where it breaks."""
    return export.container == "json" and f'"{_TOP}"' in export.text[:5000]


def _number(quantity: Any) -> float | None:
    if isinstance(quantity, dict):
        quantity = quantity.get("value")
    return float(quantity) if isinstance(quantity, (int, float)) and not isinstance(quantity, bool) else None


def _nm(quantity: Any) -> int | None:
    """A wavelength setting in nm; ``None`` when absent or not a light wavelength (200-1000 nm: a
    converter has been seen to write a BMG chromatic number, ``(450 1)``, as a wavelength of 1)."""
    value = _number(quantity)
    return int(round(value)) if value is not None and 200 <= value <= 1000 else None


def _software(top: dict[str, Any]) -> dict[str, str]:
    meta: dict[str, str] = {}
    system = top.get("data system document", {})
    if isinstance(system, dict):
        for key in ("software name", "software version", "ASM converter name", "ASM converter version", "file name"):
            if isinstance(system.get(key), str):
                meta[key] = system[key]
    device = top.get("device system document", {})
    if isinstance(device, dict):
        for key in ("model number", "product manufacturer", "equipment serial number", "device identifier"):
            if isinstance(device.get(key), str):
                meta[key] = device[key]
    return meta


def reads(export: Export) -> Parsed:
    """One read per (plate, measurement, wavelengths, mode) group of measurement documents, and
    the derived grids of per-well calculated data."""
    doc = _document(export)
    top = doc[_TOP]
    name = export.path.name
    meta = {"manifest": str(doc.get("$asm.manifest", ""))} | _software(top)
    groups: dict[tuple, list[Read]] = {}
    found: list[Read] = []
    positions: dict[str, int] = {}
    by_id: dict[str, tuple[Read, str]] = {}
    documents = top.get("plate reader document", [])
    for i, prd in enumerate(documents if isinstance(documents, list) else []):
        agg = prd.get("measurement aggregate document", {})
        count = _number(agg.get("plate well count"))
        for k, md in enumerate(agg.get("measurement document", [])):
            src = f"{name}:plate reader document {i + 1}, measurement document {k + 1}"
            sample = md.get("sample document", {})
            location = str(sample.get("location identifier", ""))
            m = _WELL.match(location)
            if not m:
                raise PlateFormatError(
                    export.path,
                    f"{src}: location identifier {location!r} is not a well (A1 … P24)",
                    line=src.split(":", 1)[1],
                    value=location,
                    rule=GRID_SHAPE,
                )
            well = f"{m.group(1).upper()}{int(m.group(2))}"
            if not 1 <= int(m.group(2)) <= 24:
                raise PlateFormatError(
                    export.path,
                    f"{src}: well {location!r} lies beyond column 24; only 96- and 384-well plates are read",
                    line=src.split(":", 1)[1],
                    value=location,
                    rule=GRID_SHAPE,
                )
            # 'plate well count' is the plate's size in most documents, the count of wells read in others
            wells = int(count) if count in (96, 384) else 96
            plate_name = str(sample.get("well plate identifier", ""))
            plate = positions.setdefault(plate_name, len(positions) + 1)
            controls = md.get("device control aggregate document", {}).get("device control document", [])
            control = controls[0] if controls else {}
            nm = _nm(control.get("detector wavelength setting"))
            excitation = _nm(control.get("excitation wavelength setting"))
            kind = next((key for key in _VALUE_KEYS if key in md), None)
            mode = "endpoint"
            if kind is not None:
                value: Any = md[kind].get("value") if isinstance(md[kind], dict) else md[kind]
            else:
                cube = next((key for key in _CUBES if key in md), None)
                if cube is None:  # imaging (Gen5 Image, ImmunoSpot): images and features, no value
                    kind, value = "unknown", None
                    mode = "well scan" if any("image" in k or "processed" in k for k in (*md, *agg)) else "unknown"
                else:
                    (kind, mode), value = _CUBES[cube], md[cube]
            errors = md.get("error aggregate document", {}).get("error document", [])
            for error in errors:
                if str(error.get("error feature", kind)).lower() == kind:
                    value = error.get("error", value)
            key = (plate, kind, nm, excitation, mode)
            group = groups.setdefault(key, [])
            read = next((r for r in group if well not in r.cells), None)
            if read is None:
                label = f"{kind} {nm} nm" if nm else kind
                if excitation:
                    label += f" (excitation {excitation} nm)"
                if group:
                    label += f" #{len(group) + 1}"
                read = Read(
                    cells={},
                    wells=wells,
                    nm=nm,
                    label=label,
                    step=kind,  # ASM records no read step: the reads of one measurement type are one step
                    plate=plate,
                    plate_name=plate_name,
                    measurement=kind,
                    mode=mode,
                    where=src,
                )
                group.append(read)
                found.append(read)
            cell: Cell = (value, src)
            read.cells[well] = cell
            if "measurement identifier" in md:
                by_id[str(md["measurement identifier"])] = (read, well)
    for read in found:  # a well beyond H12 makes the plate a 384-well plate, whatever the count says
        if read.wells == 96 and any(w[0] > "H" or int(w[1:]) > 12 for w in read.cells):
            read.wells = 384
    found.extend(_calculated(top, by_id, meta, name))
    return Parsed("asm-json", found, meta)


def _calculated(top: dict[str, Any], by_id: dict[str, tuple[Read, str]], meta: dict[str, str], name: str) -> list[Read]:
    """Derived grids: calculated data computed from one measurement, by calculated data name."""
    out: dict[tuple[str, int], Read] = {}
    skipped = 0
    docs = top.get("calculated data aggregate document", {}).get("calculated data document", [])
    for n, calc in enumerate(docs):
        sources = calc.get("data source aggregate document", {}).get("data source document", [])
        ids = [str(s.get("data source identifier", "")) for s in sources]
        if len(ids) != 1 or ids[0] not in by_id:
            skipped += 1
            continue
        read, well = by_id[ids[0]]
        title = str(calc.get("calculated data name", "calculated"))
        derived = out.get((title, read.plate))
        if derived is None or well in derived.cells:
            derived = out[(title, read.plate)] = Read(
                cells={},
                wells=read.wells,
                nm=read.nm,
                label=title,
                step=read.step,
                plate=read.plate,
                plate_name=read.plate_name,
                measurement="unknown",
                mode=read.mode,
                derived=True,
                where=f"{name}:calculated data document {n + 1}",
            )
        result = calc.get("calculated result")
        derived.cells[well] = (result.get("value") if isinstance(result, dict) else result, derived.where)
    if skipped:
        meta["calculated data not per well"] = str(skipped)
    return list(out.values())
