"""BMG LABTECH exports: MARS data analysis (PHERAstar, CLARIOstar, FLUOstar, SPECTROstar, Omega)
CSV and SMART Control XLSX.

Both begin with BMG's header lines - ``User: …``, ``Path: …``, ``Test name: …``, ``Test run no.:
…`` (MARS) or ``Test ID: …`` (SMART Control), ``Date: …``, ``Time: …``, ``ID1: …`` (the plate's
identification), ``ID2``, ``ID3`` - then the measurement's kind on a line of its own
(``Absorbance``, ``Fluorescence (FI)``, ``Luminescence``, ``Time-resolved fluorescence`` …), then
titled grids ``,1,2,…,12`` (or ``…,24``) with rows ``A`` … ``H`` (``P``):

* ``Raw Data (450)``, ``Raw Data (450 1)`` (chromatic 1), ``Raw Data (485/520)`` (excitation /
  emission), ``Raw Data (No filter)``: raw reads, one per wavelength;
* ``Blank corrected based on Raw Data (450)``, ratios, averages, concentrations …: ``derived``;
* SMART Control's numbered plate-map grids (``1. Layout``, ``2. Standard Concentrations``,
  ``3. Dilutions``) describe the plate, hold no reads, and are not described; nor is its
  ``Table End point`` sheet, which repeats the grids as a list.

An absorbance grid's wavelength is the first number in its title's parentheses.
"""

from __future__ import annotations

import re

from trialflow.elisa.readers.lettergrid import header_columns, letter_grid, letters, refuse_1536
from trialflow.elisa.readers.plate import cell_text
from trialflow.elisa.readers.reads import Cell, Export, Parsed, Read

NAME = "bmg"

_KINDS = (
    ("absorbance", "absorbance"),
    ("luminescence", "luminescence"),
    ("alpha", "luminescence"),
    ("fluorescence", "fluorescence"),
    ("time-resolved", "fluorescence"),
    ("tr-fret", "fluorescence"),
    ("htrf", "fluorescence"),
)
_PLATE_MAP = re.compile(r"^(layout|standard concentrations?|dilutions?|content|sample ids?)\b", re.IGNORECASE)
_NUMBERED = re.compile(r"^\d+\.\s*")


def _texts(row: list[Cell]) -> list[str]:
    return [t for t in (cell_text(v) for v, _ in row) if t]


def _header_texts(export: Export) -> list[str]:
    """The texts of the first 15 lines of every sheet."""
    return [t for _, rows in export.sheets for row in rows[:15] for t in _texts(row)]


def recognises(export: Export) -> bool:
    """BMG's header lines: ``User:``, ``Test name:`` and ``Test run no.:`` / ``Test ID:``."""
    if export.container not in ("text", "xlsx", "xls"):
        return False
    texts = [t.lower() for t in _header_texts(export)]
    wanted = ("user:", "test name:", ("test run no.:", "test id:"))
    return all(any(t.startswith(keys) for t in texts) for keys in wanted)


def _measurement(texts: list[str]) -> tuple[str, str]:
    """(measurement, the line naming it) from the header lines."""
    for text in texts:
        low = text.lower()
        if ":" in text:
            continue
        for word, kind in _KINDS:
            if low.startswith(word):
                return kind, text
    return "unknown", ""


def _metadata(texts: list[str]) -> dict[str, str]:
    meta: dict[str, str] = {}
    for text in texts:
        key, sep, value = text.partition(":")
        if sep and key.strip() and len(key) < 40:
            meta.setdefault(key.strip(), value.strip())
    return meta


def _title_above(rows: list[list[Cell]], i: int) -> str:
    """The grid's title: the nearest line above the header that holds a single text."""
    for k in range(i - 1, max(-1, i - 4), -1):
        texts = _texts(rows[k])
        if len(texts) == 1:
            return _NUMBERED.sub("", texts[0]).strip()
        if texts:
            return ""
    return ""


def _nm(title: str) -> int | None:
    m = re.search(r"\(\s*(\d{3})(?:\.\d+)?(?:[\s/-]|\))", title)
    return int(m.group(1)) if m and 200 <= int(m.group(1)) <= 1000 else None


def reads(export: Export) -> Parsed:
    """Every titled grid of every sheet (raw reads, derived grids), one plate per file."""
    texts = _header_texts(export)
    measurement, kind_line = _measurement(texts)
    meta = _metadata(texts)
    if kind_line:
        meta.setdefault("Measurement", kind_line)
    plate_name = meta.get("ID1", "")
    mode = "spectrum" if "spectrum" in kind_line.lower() else "endpoint"
    found: list[Read] = []
    for title, rows in export.sheets:
        i = 0
        while i < len(rows):
            header = header_columns(rows[i])
            if header is None:
                i += 1
                continue
            j, columns = header
            if columns > 24:
                raise refuse_1536(export, rows[i], j, columns)
            cells, end = letter_grid(export, title, rows, i, j, columns)
            label = _title_above(rows, i)
            if not _PLATE_MAP.match(label):
                raw = label.lower().startswith("raw data") or not label
                found.append(
                    Read(
                        cells=cells,
                        wells=columns * len(letters(columns)),
                        nm=_nm(label) if measurement == "absorbance" else None,
                        label=label,
                        step=kind_line,
                        plate=1,
                        plate_name=plate_name,
                        measurement=measurement if raw else "unknown",
                        mode=mode,
                        derived=not raw,
                        where=rows[i][j - 1][1] if j > 0 else rows[i][j][1],
                    )
                )
            i = max(end, i + 1)
    fmt = "bmg-text" if export.container == "text" else f"bmg-{export.container}"
    return Parsed(fmt, found, meta)
