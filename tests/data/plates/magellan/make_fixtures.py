"""Write the Tecan Magellan and i-control fixtures of tests/test_readers_magellan.py (seeded: rerun to get the same bytes
of the text files and the same cells of the workbooks).

Magellan well lists follow the real Magellan XLSX exports in the allotropy project's test data (sheet
``Magellan Sheet 1``, ``Well positions`` column, one column per data set, time and temperature lines
under the header for a multi-label read, the metadata lines below the data). The ``<>`` grid and the
i-control layouts follow the i-control exports described in public readers of them (``Application:
Tecan i-control``, ``Label:`` sections with their settings, ``<>`` grids, ``Cycle Nr.`` tables); no real
i-control or Magellan grid export was at hand to copy the exact column spacing.

Every OD is ``round(uniform(0.04, 3.2), 4)`` from ``random.Random(SEED + k)``; :func:`values` gives the
same numbers to the tests.

A legacy ``.xls`` fixture is not written: no ``.xls`` writer (xlwt, LibreOffice) is installed here.

Run: ``python tests/data/plates/magellan/make_fixtures.py``.
"""

from __future__ import annotations

import random
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent
SEED = 1700
ROWS = "ABCDEFGHIJKLMNOP"
SHAPES = {96: (8, 12), 384: (16, 24)}


def values(k: int, wells: int = 96) -> dict[str, float]:
    """The k-th data set: well -> OD."""
    rng = random.Random(SEED + k)
    n_rows, n_cols = SHAPES[wells]
    return {f"{ROWS[r]}{c}": round(rng.uniform(0.04, 3.2), 4) for r in range(n_rows) for c in range(1, n_cols + 1)}


def column_order(wells: int = 96) -> list[str]:
    """A1, B1 … H1, A2 …: the order of the single-label Magellan list."""
    n_rows, n_cols = SHAPES[wells]
    return [f"{ROWS[r]}{c}" for c in range(1, n_cols + 1) for r in range(n_rows)]


def row_order(wells: int = 96) -> list[str]:
    n_rows, n_cols = SHAPES[wells]
    return [f"{ROWS[r]}{c}" for r in range(n_rows) for c in range(1, n_cols + 1)]


def magellan_footer(measurements: list[tuple[str, int, float]], method: str, when: str, definition: str) -> list[str]:
    """Magellan's metadata lines: (label, wavelength, temperature) per measurement."""
    date, time = when.split(" ")
    lines = [
        f"Date of measurement: {date}/Time of measurement: {time}",
        f"{method}.mth",
        f"C:\\Users\\Public\\Documents\\Tecan\\Magellan\\mth\\{method}.mth",
        "02032026-001.wsp",
        "C:\\Users\\Public\\Documents\\Tecan\\Magellan\\wsp\\02032026-001.wsp",
        *[f"{nm}nm" for _, nm, _ in measurements],
        "Unknown user",
        "SUNRISE",
        "Instrument serial number: 1010004567",
    ]
    several = len(measurements) > 1
    for k, (_, nm, _) in enumerate(measurements, start=1):
        if several:
            lines.append(f"Measurement {k}:")
        lines += [
            "Measurement mode: Absorbance",
            f"Measurement wavelength: {nm} nm",
            "Number of flashes: 10",
            f"Plate definition file: {definition}",
            "Unit: OD",
        ]
    lines += [f"Meas. temperature: {label}: {t} °C" for label, _, t in measurements]
    lines.append(f"Date: {date}, Time: {time}")
    return lines


def save(rows: list[list[object]], name: str, title: str = "Magellan Sheet 1") -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    wb.save(HERE / name)


def write_text(rows: list[list[object]], name: str) -> None:
    lines = ["\t".join("" if v is None else str(v) for v in row).rstrip("\t") for row in rows]
    (HERE / name).write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))


def magellan_list_od() -> list[list[object]]:
    """One measurement at 450 nm, 96 wells listed column by column, the plate id on part of the rows (as
    in the real export), an 'OVER' well."""
    od = values(1)
    od_cells: dict[str, object] = dict(od)
    od_cells["D7"] = "OVER"
    rows: list[list[object]] = [["Raw data", "Well positions", "Plate"]]
    for k, well in enumerate(column_order()):
        rows.append([od_cells[well], well, "96WEL017" if k < 46 else None])
    rows += [
        [line] for line in magellan_footer([("Raw data", 450, 22.9)], "ELISA_IL6", "2026-03-02 09:41:12", "GRE96ft.pdf")
    ]
    return rows


def main() -> None:
    rows = magellan_list_od()
    save(rows, "magellan_list_od.xlsx")
    write_text(rows, "magellan_list_od.txt")  # the same list written as tab-separated text

    # Two measurements (450 and 620 nm) of a 384-well plate, wells row by row, with the time and
    # temperature lines under the header, and Magellan's note columns beside the data.
    a, b = values(2, 384), values(3, 384)
    rows = [
        ["Well positions", "Label1", "Label2", None, "Label1=450"],
        [None, "0s", "0s", None, "Label2=620"],
        [None, "23.1 °C", "23.4 °C", "384 well"],
    ]
    rows += [[w, a[w], b[w]] for w in row_order(384)]
    rows += [
        [line]
        for line in magellan_footer(
            [("Label1", 450, 23.1), ("Label2", 620, 23.4)], "ELISA_384", "2026-03-02 10:05:40", "COS384ft.pdf"
        )
    ]
    save(rows, "magellan_list_two_labels_384.xlsx")

    # The grid (matrix) arrangement: each data set a '<>' grid named by the line above; a blank-reduced
    # data set that no measurement names (derived).
    raw, reduced = values(4), values(5)
    rows = []
    for name, grid in (("Raw data", raw), ("Blank reduced", reduced)):
        rows.append([name])
        rows.append(["<>", *range(1, 13)])
        rows += [[ROWS[r], *[grid[f"{ROWS[r]}{c}"] for c in range(1, 13)]] for r in range(8)]
        rows.append([])
    rows += [
        [line]
        for line in magellan_footer([("Raw data", 450, 22.5)], "ELISA_grid", "2026-03-02 11:00:00", "GRE96ft.pdf")
    ]
    save(rows, "magellan_grid.xlsx")

    # Broken: a well listed twice.
    rows = magellan_list_od()
    rows[9][1] = "A1"  # the ninth well (A2) written as A1
    save(rows, "magellan_duplicate_well.xlsx")

    # i-control: two absorbance labels (450, 620 nm), each a '<>' grid; then a kinetic label.
    g450, g620 = values(10), values(11)
    rows = [
        ["Application: Tecan i-control", None, None, None, "Tecan i-control , 2.0.10.0"],
        ["Device: infinite 200Pro", None, None, None, "Serial number: 1309001234"],
        ["Firmware: V_3.37_07/12_Infinite (Jul 16 2012/14.28.18)"],
        ["Date:", "3/2/2026"],
        ["Time:", "9:12:05 AM"],
        ["System", "LABPC01"],
        ["User", "LABPC01\\analyst"],
        ["Plate", "Greiner 96 Flat Bottom Transparent Polystyrene Cat. No.: 655101 [GRE96ft.pdf]"],
        ["Plate-ID (Stacker)", "IL6-P3"],
        [],
    ]
    for label, nm, grid in (("OD450", 450, g450), ("OD620", 620, g620)):
        rows += [
            [f"Label: {label}"],
            ["Mode", None, None, None, "Absorbance"],
            ["Measurement Wavelength", None, None, None, nm, "nm"],
            ["Bandwidth", None, None, None, 9, "nm"],
            ["Number of Flashes", None, None, None, 25],
            ["Settle Time", None, None, None, 0, "ms"],
            ["Start Time:", "3/2/2026 9:12:31 AM"],
            [],
            ["Temperature: 23.6 °C"],
            ["<>", *range(1, 13)],
            *[[ROWS[r], *[grid[f"{ROWS[r]}{c}"] for c in range(1, 13)]] for r in range(8)],
            [],
        ]
    rows += [["End Time:", "3/2/2026 9:13:40 AM"]]
    save(rows, "icontrol_two_labels.xlsx", title="Sheet1")

    # i-control kinetic: three cycles at 600 nm, one line per well (cycles across).
    cycles = [values(20 + k) for k in range(3)]
    rows = [
        ["Application: Tecan i-control", None, None, None, "Tecan i-control , 2.0.10.0"],
        ["Device: infinite 200Pro", None, None, None, "Serial number: 1309001234"],
        ["Date:", "3/2/2026"],
        ["Plate", "Greiner 96 Flat Bottom Transparent Polystyrene [GRE96ft.pdf]"],
        [],
        ["Label: OD600"],
        ["Kinetic Measurement"],
        ["Kinetic Cycles", None, None, None, 3],
        ["Mode", None, None, None, "Absorbance"],
        ["Measurement Wavelength", None, None, None, 600, "nm"],
        ["Start Time:", "3/2/2026 9:20:00 AM"],
        [],
        ["Cycle Nr.", 1, 2, 3],
        ["Time [s]", 0, 600.1, 1200.3],
        ["Temp. [°C]", 37.0, 37.1, 37.0],
        *[[w, *[c[w] for c in cycles]] for w in row_order()],
        [],
        ["End Time:", "3/2/2026 9:40:10 AM"],
    ]
    save(rows, "icontrol_kinetic.xlsx", title="Sheet1")

    # i-control as text: a fluorescence label (Ex 485 / Em 535), tab-separated.
    fl = {w: int(v * 10000) for w, v in values(30).items()}
    rows = [
        ["Application: Tecan i-control", "", "", "", "Tecan i-control , 1.11.1.0"],
        ["Device: infinite M200Pro", "", "", "", "Serial number: 1409002252"],
        ["Date:", "2026-03-02"],
        ["Plate", "Greiner 96 Flat Bottom Black Polystyrene [GRE96fb_chimney.pdf]"],
        [],
        ["Label: FITC"],
        ["Mode", "", "", "", "Fluorescence Top Reading"],
        ["Excitation Wavelength", "", "", "", 485, "nm"],
        ["Emission Wavelength", "", "", "", 535, "nm"],
        ["Gain", "", "", "", 60, "Manual"],
        ["Start Time:", "2026-03-02 10:00:00"],
        [],
        ["Temperature: 24.0 °C"],
        ["<>", *range(1, 13)],
        *[[ROWS[r], *[fl[f"{ROWS[r]}{c}"] for c in range(1, 13)]] for r in range(8)],
        [],
        ["End Time:", "2026-03-02 10:00:40"],
    ]
    write_text(rows, "icontrol_fluorescence.txt")

    # Broken: an i-control grid cut after row F.
    rows = [
        ["Application: Tecan i-control", None, None, None, "Tecan i-control , 2.0.10.0"],
        ["Date:", "3/2/2026"],
        [],
        ["Label: OD450"],
        ["Mode", None, None, None, "Absorbance"],
        ["Measurement Wavelength", None, None, None, 450, "nm"],
        ["<>", *range(1, 13)],
        *[[ROWS[r], *[g450[f"{ROWS[r]}{c}"] for c in range(1, 13)]] for r in range(6)],
        [],
        ["End Time:", "3/2/2026 9:13:40 AM"],
    ]
    save(rows, "icontrol_truncated.xlsx", title="Sheet1")


if __name__ == "__main__":
    main()
