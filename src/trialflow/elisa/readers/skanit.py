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

Its grids are read by :mod:`~trialflow.elisa.readers.lettergrid`, shared with EnVision, Kaleido
and BMG.
"""

from __future__ import annotations

import re

from trialflow.elisa.readers.lettergrid import header_columns, letter_grid, letters, refuse_1536
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
