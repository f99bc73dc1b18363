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

No ``.xls`` writer (xlwt, LibreOffice) is installed here, so the legacy ``.xls`` fixture is written by
the minimal BIFF8 writer below (text and number cells in an OLE2 compound file, as xlrd reads them);
Excel and Magellan write text through a shared-string table instead, which xlrd reads the same way.

Run: ``python tests/data/plates/magellan/make_fixtures.py``.
"""

from __future__ import annotations

import random
import struct
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


def _rec(code: int, data: bytes) -> bytes:
    """One BIFF record: code, length, data."""
    return struct.pack("<HH", code, len(data)) + data


def _ustr(text: str, lenlen: int) -> bytes:
    """A BIFF8 Unicode string (UTF-16LE, flag 1) with a 1- or 2-byte character count."""
    raw = text.encode("utf-16-le")
    n = len(text)
    return (struct.pack("<B", n) if lenlen == 1 else struct.pack("<H", n)) + b"\x01" + raw


def biff8(sheets: list[tuple[str, list[list[object]]]]) -> bytes:
    """The BIFF8 workbook stream: globals (BOF, codepage, a font, 16 XFs, one BOUNDSHEET per sheet, EOF),
    then per sheet BOF, DIMENSIONS, LABEL/NUMBER cells and EOF. Rows hold str, int, float or None."""
    bof_globals = _rec(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06))
    font = _rec(0x0031, struct.pack("<HHHHHBBBB", 200, 0, 0x7FFF, 400, 0, 0, 0, 0, 0) + _ustr("Arial", 1))
    xf_style = _rec(0x00E0, struct.pack("<HHHBBBBIIH", 0, 0, 0xFFF5, 0x20, 0, 0, 0, 0, 0, 0x20C0))
    xf_cell = _rec(0x00E0, struct.pack("<HHHBBBBIIH", 0, 0, 0x0001, 0x20, 0, 0, 0, 0, 0, 0x20C0))
    xfs = xf_style * 15 + xf_cell  # XF 0-14 style, XF 15 the cells'
    codepage = _rec(0x0042, struct.pack("<H", 1200))
    eof = _rec(0x000A, b"")
    bodies = []
    for _, rows in sheets:
        body = _rec(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 0x06))
        ncols = max((len(r) for r in rows), default=0)
        body += _rec(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, ncols, 0))
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is None or v == "":
                    continue
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    body += _rec(0x0203, struct.pack("<HHHd", r, c, 15, float(v)))
                else:
                    body += _rec(0x0204, struct.pack("<HHH", r, c, 15) + _ustr(str(v), 2))
        body += eof
        bodies.append(body)
    sheet_recs_len = sum(len(_rec(0x0085, b"\0" * 6 + _ustr(n, 1))) for n, _ in sheets)
    offset = len(bof_globals) + len(codepage) + len(font) + len(xfs) + sheet_recs_len + len(eof)
    bounds = b""
    for (name, _), body in zip(sheets, bodies, strict=True):
        bounds += _rec(0x0085, struct.pack("<IBB", offset, 0, 0) + _ustr(name, 1))
        offset += len(body)
    return bof_globals + codepage + font + xfs + bounds + eof + b"".join(bodies)


def compound(stream: bytes, name: str = "Workbook") -> bytes:
    """The OLE2 compound file holding one stream (padded to at least 4096 bytes: no mini stream)."""
    sector = 512
    data = stream + b"\0" * (max(4096, -(-len(stream) // sector) * sector) - len(stream))
    n_data = len(data) // sector
    n_fat = 1
    while n_fat * 128 < n_fat + n_data + 1:
        n_fat += 1
    first_data = n_fat
    dir_sector = n_fat + n_data
    fat = [0xFFFFFFFD] * n_fat
    fat += [first_data + k + 1 for k in range(n_data - 1)] + [0xFFFFFFFE]
    fat += [0xFFFFFFFE]  # the directory
    fat += [0xFFFFFFFF] * (n_fat * 128 - len(fat))
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
    header += struct.pack("<IIIIIIIII", 0, n_fat, dir_sector, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    difat = list(range(n_fat)) + [0xFFFFFFFF] * (109 - n_fat)
    header += struct.pack("<109I", *difat)

    def entry(entry_name, kind, child, start, size):
        raw = entry_name.encode("utf-16-le") + b"\0\0"
        return (
            raw.ljust(64, b"\0")
            + struct.pack("<HBBIII", len(raw), kind, 1, 0xFFFFFFFF, 0xFFFFFFFF, child)
            + b"\0" * 16
            + struct.pack("<I", 0)
            + b"\0" * 16
            + struct.pack("<IQ", start, size)
        )

    directory = entry("Root Entry", 5, 1, 0xFFFFFFFE, 0) + entry(name, 2, 0xFFFFFFFF, first_data, len(data))
    directory += b"\0" * (sector - len(directory))
    return header + struct.pack(f"<{n_fat * 128}I", *fat) + data + directory


def save_xls(rows: list[list[object]], name: str, title: str = "Magellan Sheet 1") -> None:
    (HERE / name).write_bytes(compound(biff8([(title, rows)])))


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
    save_xls(rows, "magellan_list_od.xls")  # and as a legacy .xls workbook

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
