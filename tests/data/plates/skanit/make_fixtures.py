"""Write the Thermo SkanIt fixture workbooks of tests/test_readers_skanit.py (seeded: rerun to get
the same files). The layout follows SkanIt Software 7.0 reports: step sheets beginning
``Measurement results``, information sheets after them. The numbers are our own.

Run: ``python tests/data/plates/skanit/make_fixtures.py``.
"""

from __future__ import annotations

import datetime
import io
import random
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
FIXED = datetime.datetime(2025, 3, 14, 9, 0, 0)
ROWS = "ABCDEFGH"
WELLS = [f"{r}{c}" for r in ROWS for c in range(1, 13)]


def values(seed: int, low: float = 0.04, high: float = 3.2, digits: int = 4) -> dict[str, float]:
    """The value of every well A1 … H12, from ``seed``."""
    rng = random.Random(seed)
    return {well: round(rng.uniform(low, high), digits) for well in WELLS}


# seeds of the grids, which the tests use to know every value written
ELISA_450 = 1450
ELISA_620 = 1620
LUMINESCENCE = 2000
MULTI = {(plate, nm): 3000 + 10 * plate + nm for plate in (1, 2) for nm in (450, 620)}
REFERENCE = (0.03, 0.09)  # the range of the reference wavelength's values
PARTIAL_WELLS = [f"{r}{c}" for r in "ABCDEF" for c in (1, 2, 3, 4)]  # the wells plate 2 measured


def _head(ws, session: str, step: str) -> None:
    ws.append(["Measurement results"])
    ws.append([session])
    ws.append(["6/5/2025 10:15:30 AM"])
    ws.append([" "])
    ws.append([step])


def _grid(ws, corner: str, cells: dict[str, object], side: dict[int, list[object]] | None = None) -> None:
    """A grid: header row then A … H; ``side`` puts a table's cells right of some rows (columns Q …)."""
    ws.append([corner, *range(1, 13)])
    for k, r in enumerate(ROWS):
        row: list[object] = [r, *[cells.get(f"{r}{c}") for c in range(1, 13)]]
        if side and k in side:
            row += [None, None, None, *side[k]]
        ws.append(row)


def _samples(ws) -> None:
    ws.append([])
    _grid(ws, "Sample", {w: f"Un{i + 1:04d}" for i, w in enumerate(WELLS)})


def _info_sheets(wb: Workbook, session: str, steps: list[tuple[str, int]]) -> None:
    ws = wb.create_sheet("General information")
    ws.append(["General information"])
    ws.append([])
    ws.append([None, "Report generated with SW version", None, None, "SkanIt Software 7.0.2 RE, ver. 7.0.2.5"])
    ws = wb.create_sheet("Session information")
    ws.append(["Session information"])
    ws.append([])
    ws.append([None, "Session name", None, None, session])
    ws.append([None, "Executed with", None, None, "SkanIt Software for Microplate Readers  RE, ver 7.0.2.5"])
    ws = wb.create_sheet("Instrument information")
    ws.append(["Instrument information"])
    ws.append([])
    ws.append([None, "Name", None, None, "Multiskan SkyHigh"])
    ws.append([None, "Serial number", None, None, "1550-00042"])
    ws.append([])
    ws.append([None, "Instrument modules"])
    for name, nm in (("492/10", 492), ("405/10", 405)):  # the filter list: not wavelengths the run read
        ws.append([None, "Filter"])
        ws.append([None, None, "Name", None, name])
        ws.append([None, None, "Wavelength", None, str(nm)])
    ws = wb.create_sheet("Protocol parameters")
    ws.append(["Protocol parameters"])
    for step, nm in steps:
        ws.append([])
        ws.append([step])
        ws.append([None, "Wavelength [nm]", None, None, str(nm)])
    ws = wb.create_sheet("Run log")
    ws.append(["Run log"])
    ws.append([None, "Time", "Event", "Information"])
    ws.append([None, "6/5/2025 10:15:30 AM", "Temperature", "22.8°C"])
    ws = wb.create_sheet("Layout definitions")
    ws.append(["Name", "Plate 1"])
    ws.append(["Plate template", "ANSI/SBS Standard, 96-well"])
    ws.append([])
    ws.append([None, *range(1, 13)])
    for r in ROWS:  # a layout: group names and, below them, concentrations as numbers
        ws.append([r, *["Group 1"] * 12])
        ws.append([None, *[0.5] * 12])


def write_elisa(path: Path) -> None:
    """An ELISA session: 'Absorbance 1' at 450 and 620 nm, blank subtraction, a standard curve
    (a fit table, then Signal and concentration grids), a dilution step with a side table whose
    numbers sit right of the grid rows and on rows of their own."""
    session = "ELISA IL-6 run 12.skax"
    wb = Workbook()
    ws = wb.active
    ws.title = "Absorbance 1_01"
    _head(ws, session, "Absorbance 1")
    for nm, seed in ((450, ELISA_450), (620, ELISA_620)):  # the 620 nm reference reads low
        ws.append([f"Wavelength: {nm} nm"])
        ws.append([" "])
        ws.append(["Plate 1"])
        ws.append([" "])
        _grid(ws, "Abs", values(seed, *REFERENCE) if nm == 620 else values(seed))
        ws.append([])
    _samples(ws)
    ws.append([])
    ws.append(["Autoloading range A1 - M40"])

    raw = values(ELISA_450)
    ws = wb.create_sheet("Blank Subtraction 1_02")
    _head(ws, session, "Blank Subtraction 1")
    ws.append([])
    ws.append([])
    ws.append([])
    ws.append(["Wavelength: 450 nm"])
    ws.append([" "])
    ws.append(["Plate 1"])
    ws.append([" "])
    _grid(ws, "Blank subtracted", {w: round(v - 0.05, 4) for w, v in raw.items()})

    ws = wb.create_sheet("Standard Curve 1_03")
    _head(ws, session, "Standard Curve 1")
    ws.append([])
    ws.append(["Fit type: 4PL"])
    ws.append(["Wavelength: 450 nm"])
    ws.append([" "])
    ws.append(["Well", "Sample", "Conc. [pg/ml]", "Original signal", "CV%", "Fitted signal", "Residual"])
    ws.append(["Average", "Std0001", 500, 2.91, 1.2, 2.9, 0.01])
    ws.append(["A01", "Std0001", 500, 2.93, None, 2.9, 0.03])
    ws.append([])
    ws.append(["Plate 1"])
    ws.append([" "])
    _grid(ws, "Signal", {w: round(v - 0.05, 4) for w, v in raw.items()})
    ws.append([])
    _grid(ws, "Conc. [pg/ml]", {w: round(v * 100, 2) for w, v in raw.items()})

    ws = wb.create_sheet("Dilution Factor 1_04")
    _head(ws, session, "Dilution Factor 1")
    ws.append([None] * 15 + ["Group", "Dilution", "Mean"])
    ws.append([None] * 15 + ["UT", 7, 1.585])
    ws.append(["Wavelength: 450 nm"])
    ws.append([" "])
    ws.append(["Plate 1"])
    ws.append([" "])
    side = {k: [f"MOI {k}", 2 + k, round(0.5 + k / 10, 3)] for k in range(8)}
    _grid(ws, "Value", {w: round(v * 10, 3) for w, v in raw.items()}, side)
    ws.append([None] * 15 + ["2% FBS", 3, 0.35])
    ws.append([None] * 16 + [4, 12.5])
    _grid(ws, "Dilution factor", dict.fromkeys(WELLS, 10))
    _info_sheets(wb, session, [("Absorbance 1", 450)])
    save(wb, path)


def write_luminescence(path: Path) -> None:
    """A luciferase session: one 'Luminescence 1' step, 'Wavelength: 0 nm', an RLU grid."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Luminescence 1_01"
    _head(ws, "luciferase.skax", "Luminescence 1")
    ws.append(["Wavelength: 0 nm"])
    ws.append([" "])
    ws.append(["Plate 1"])
    ws.append([" "])
    _grid(ws, "RLU", values(LUMINESCENCE, 40, 700000, 1))
    save(wb, path)


def write_multiplate(path: Path, *, truncated: bool = False) -> None:
    """Two plates read at 450 and 620 nm in one step; plate 2 measured in part (empty cells).
    ``truncated``: the workbook stops after row F of plate 2's 620 nm grid."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Absorbance 1_01"
    _head(ws, "two plates.skax", "Absorbance 1")
    for plate in (1, 2):
        for nm in (450, 620):
            ws.append([f"Wavelength: {nm} nm"])
            ws.append([" "])
            ws.append([f"Plate {plate}"])
            ws.append([" "])
            cells = values(MULTI[(plate, nm)], *REFERENCE) if nm == 620 else values(MULTI[(plate, nm)])
            if plate == 2:
                cells = {w: v for w, v in cells.items() if w in PARTIAL_WELLS}
            if truncated and plate == 2 and nm == 620:
                ws.append(["Abs", *range(1, 13)])
                for r in "ABCDEF":
                    ws.append([r, *[cells.get(f"{r}{c}") for c in range(1, 13)]])
                break
            _grid(ws, "Abs", cells)
            ws.append([])
            _samples(ws)
            ws.append([])
    if not truncated:
        _info_sheets(wb, "two plates.skax", [("Absorbance 1", 450)])
    save(wb, path)


def save(wb: Workbook, path: Path) -> None:
    """Save with fixed timestamps (openpyxl stamps the save time), so that rerunning gives the same bytes."""
    buffer = io.BytesIO()
    wb.properties.created = FIXED
    wb.save(buffer)
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2025-03-14T09:00:00Z", data)
            out.writestr(zipfile.ZipInfo(item.filename, date_time=(2025, 3, 14, 9, 0, 0)), data, zipfile.ZIP_DEFLATED)


def main() -> None:
    write_elisa(HERE / "skanit_elisa.xlsx")
    write_luminescence(HERE / "skanit_luminescence.xlsx")
    write_multiplate(HERE / "skanit_multiplate.xlsx")
    write_multiplate(HERE / "skanit_truncated.xlsx", truncated=True)


if __name__ == "__main__":
    main()
