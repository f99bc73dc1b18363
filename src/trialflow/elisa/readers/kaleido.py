"""Revvity (PerkinElmer) Kaleido CSV exports (EnSight, VICTOR Nivo and other Kaleido readers).

Written for Kaleido 2.0 (``Software version:,,Kaleido 2.0.3058.126``) and Kaleido 3.0/3.5
(``Software Version,,Kaleido 3.5.3082.227``) plate exports (``Export Format CSV_PLATE``).
The results come first, one grid per measurement and plate repeat:

* Kaleido 2: ``Results for ABS mono 1``, then ``Barcode: …, PlateRepeat: 1, WellRepeat: 1`` and a
  grid ``,1,2,…,12`` with rows ``A`` … ``H``; image analysis adds ``Analysis Result``, ``Results for
  Image Analysis ( IMG 1 )`` and one grid per ``AnalysisParameter``;
* Kaleido 3: ``EnSight Results from``, ``Result for Luminescence 1``, a ``Barcode,Repeat,Loop
  no,…`` header and its values line, then the grid.

Below come ``Measurement Basic Information`` / ``Measurement Information`` (software version,
barcode), the ``Platemap`` (a layout: not described) and the measurement settings: ``Tech,,,,ABS
mono 1`` (Kaleido 2) or ``Operation,,,Fluorescence intensity 1`` (Kaleido 3) followed by
``Excitation wavelength [nm]``. A result's measurement is told by its name (``ABS`` /
``Absorbance``, ``Luminescence`` / ``LUM`` / ``Alpha``, ``Fluorescence`` / ``FI`` / ``TRF`` /
``FP``; an image ``IMG`` measurement, whose grid names an image file per well, is ``unknown``
and described as a ``well scan``); an absorbance read's wavelength is its ``Excitation
wavelength``. Image-analysis grids are ``derived``.
"""

from __future__ import annotations

import re

from trialflow.elisa.errors import GRID_SHAPE, PlateFormatError
from trialflow.elisa.readers.lettergrid import header_columns, letter_grid, letters, refuse_1536
from trialflow.elisa.readers.plate import cell_text
from trialflow.elisa.readers.reads import Cell, Export, Parsed, Read

NAME = "kaleido"

_RESULTS_END = ("measurement basic information", "measurement information")
_KINDS = (
    (re.compile(r"^abs|absorbance", re.IGNORECASE), "absorbance"),
    (re.compile(r"lum|alpha", re.IGNORECASE), "luminescence"),
    (re.compile(r"fluorescence|^fi\b|trf|^fp\b|polari", re.IGNORECASE), "fluorescence"),
)


def _texts(row: list[Cell]) -> list[str]:
    """The row's non-empty texts; Kaleido 2 writes no-break spaces (U+00A0) between words."""
    return [t for t in (cell_text(v).replace("\xa0", " ") for v, _ in row) if t]


def _first(row: list[Cell]) -> str:
    texts = _texts(row)
    return texts[0] if texts else ""


def recognises(export: Export) -> bool:
    """A text export with a ``Results for`` / ``Result for`` section that names Kaleido as its
    software (``Exported with Kaleido``, a ``Software version`` of ``Kaleido …``) or opens as
    Kaleido's exports do (``… Results from`` first; a ``Barcode: …, PlateRepeat: …`` line), so that
    a cut export is recognised too, for :func:`reads` to say where it breaks."""
    if export.container != "text":
        return False
    texts = [t for t in (_texts(row) for row in export.rows) if t]
    if not any(t[0].startswith(("Results for ", "Result for ")) for t in texts):
        return False
    head = [" ".join(t) for t in texts[:12]]
    named = any(
        t[0].startswith("Exported with Kaleido") or (len(t) > 1 and t[-1].startswith("Kaleido ")) for t in texts
    )
    opens = head[0].endswith(" Results from") or any(h.startswith("Barcode:") and "PlateRepeat:" in h for h in head)
    return named or opens


def _settings(rows: list[list[Cell]]) -> dict[str, int]:
    """{measurement name: excitation wavelength} from the ``Tech``/``Operation`` settings."""
    out: dict[str, int] = {}
    current = ""
    for row in rows:
        texts = _texts(row)
        if len(texts) < 2:
            continue
        key = texts[0].lower()
        if key in ("tech", "operation"):
            current = texts[-1]
        elif key.startswith("excitation wavelength") and current and current not in out:
            m = re.match(r"(\d{3})", texts[1])
            if m:
                out[current] = int(m.group(1))
    return out


def _metadata(rows: list[list[Cell]]) -> dict[str, str]:
    meta: dict[str, str] = {}
    for row in rows:
        texts = _texts(row)
        if len(texts) >= 2 and len(row) >= 3 and cell_text(row[1][0]) == "":
            meta.setdefault(texts[0].rstrip(":").strip(), texts[-1])
        elif len(texts) == 1 and texts[0].startswith("Exported with Kaleido"):
            meta.setdefault("Exported with", texts[0].removeprefix("Exported with ").strip())
    for key in ("Software version", "Software Version"):
        if key in meta:
            meta.setdefault("Software Version", meta[key])
    return meta


def _measurement(name: str) -> str:
    return next((kind for pattern, kind in _KINDS if pattern.search(name)), "unknown")


def reads(export: Export) -> Parsed:
    """Every result grid above the measurement information, in file order."""
    rows = export.rows
    settings = _settings(rows)
    found: list[Read] = []
    positions: dict[str, int] = {}
    title = ""
    analysis = False
    info: dict[str, str] = {}
    i = 0
    while i < len(rows):
        row = rows[i]
        first = _first(row)
        if first.lower().rstrip(":") in _RESULTS_END:
            break
        if first.startswith("Analysis Result"):
            analysis = True
        if first.startswith(("Results for ", "Result for ")):
            title = first.split(" for ", 1)[1].strip()
            info = {}
        elif first.startswith("Barcode:"):  # Kaleido 2: 'Barcode: X, PlateRepeat: 1, WellRepeat: 1'
            joined = ", ".join(_texts(row))
            info = {k.strip(): v.strip() for k, v in re.findall(r"([A-Za-z ]+):\s*([^,]*)", joined)}
        elif first == "Barcode" and i + 1 < len(rows):  # Kaleido 3: a header line and its values
            info = {h: cell_text(v) for h, (v, _) in zip(_texts(row), rows[i + 1], strict=False)}
            info["PlateRepeat"] = info.get("Repeat", "1")
            info["AnalysisParameter"] = info.get("Analysis Parameter", "")
            i += 2
            continue
        header = header_columns(row)
        if header is None:
            i += 1
            continue
        j, columns = header
        if columns > 24:
            raise refuse_1536(export, row, j, columns)
        if not title:
            raise PlateFormatError(
                export.path,
                f"grid at {row[j][1]} has no 'Results for' title above it",
                line=str(i + 1),
                rule=GRID_SHAPE,
            )
        cells, end = letter_grid(export, "", rows, i, j, columns)
        parameter = info.get("AnalysisParameter", "")
        inner = re.search(r"\(\s*(.+?)\s*\)$", title) if analysis else None
        tech = inner.group(1) if inner else title
        derived = analysis or bool(parameter)
        measurement = "unknown" if derived else _measurement(tech)
        repeat = info.get("PlateRepeat", "1") or "1"
        barcode = info.get("Barcode", "")
        plate = positions.setdefault(barcode, len(positions) + 1)
        found.append(
            Read(
                cells=cells,
                wells=columns * len(letters(columns)),
                nm=settings.get(tech) if measurement == "absorbance" else None,
                label=title + (f": {parameter}" if parameter else "") + (f" (repeat {repeat})" * (repeat != "1")),
                step=tech,
                plate=plate,
                plate_name=barcode,
                measurement=measurement,
                mode="kinetic" if repeat != "1" else ("well scan" if tech.upper().startswith("IMG") else "endpoint"),
                derived=derived,
                where=row[j - 1][1] if j > 0 else row[j][1],
            )
        )
        i = max(end, i + 1)
    if any(read.mode == "kinetic" for read in found):
        for read in found:
            read.mode = "kinetic"
    return Parsed("kaleido-text", found, _metadata(rows))
