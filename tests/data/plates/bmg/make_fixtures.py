"""Write the BMG LABTECH fixtures of tests/test_readers_bmg.py (seeded: rerun to get the same
files): MARS CSV exports as PHERAstar/CLARIOstar write them (BMG's header lines, the measurement's
kind, titled grids) and a SMART Control XLSX workbook. The numbers are our own.

Run: ``python tests/data/plates/bmg/make_fixtures.py``.
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


def wells(n: int) -> list[str]:
    rows, cols = ("ABCDEFGH", 12) if n == 96 else ("ABCDEFGHIJKLMNOP", 24)
    return [f"{r}{c}" for r in rows for c in range(1, cols + 1)]


def values(seed: int, n: int = 96, low: float = 0.04, high: float = 3.2) -> dict[str, float]:
    """Absorbance to 3 decimals, as MARS writes it."""
    rng = random.Random(seed)
    return {w: round(rng.uniform(low, high), 3) for w in wells(n)}


def counts(seed: int, n: int = 384) -> dict[str, int]:
    rng = random.Random(seed)
    return {w: rng.randrange(50, 70000) for w in wells(n)}


PHERASTAR = 8450
DUAL = {450: 8451, 620: 8620}
FI_384 = 8485
SMART = 8452
FI_EMPTY = {f"{r}{c}" for r in "OP" for c in range(13, 25)}  # wells the 384 run did not read


def _num(v: float | int) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _header(test: str, run: int, id1: str, kind: str, width: int, machine: str = "PHERAstar") -> list[str]:
    pad = "," * width
    return [
        f"User: USER,Path: C:\\Program Files (x86)\\BMG\\{machine}\\User\\Data,Test run no.: {run}{pad}",
        f"Test name: {test},Date: 3/14/2025,Time: 9:41:07 AM{pad}",
        "," * (width + 2),
        f"ID1: {id1},ID2: ,ID3: {pad}",
        f"{kind}{',' * (width + 2)}",
        "," * (width + 2),
    ]


def _grid(title: str, cells: dict[str, float | int], n: int, *, trim: bool = False) -> list[str]:
    cols = 12 if n == 96 else 24
    rows = "ABCDEFGH" if n == 96 else "ABCDEFGHIJKLMNOP"
    out = [title, "", "," + ",".join(str(c) for c in range(1, cols + 1)) + ("," if n == 96 else "")]
    for r in rows:
        fields = [_num(cells[f"{r}{c}"]) if f"{r}{c}" in cells else "" for c in range(1, cols + 1)]
        if trim:  # MARS 3.40 leaves out the separators of empty trailing fields
            while fields and fields[-1] == "":
                fields.pop()
        out.append(",".join([r, *fields]))
    return out


def _write(path: Path, lines: list[str], end: str = "\r\n") -> None:
    path.write_bytes((end.join(lines) + end).encode("ascii"))


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
    _write(
        HERE / "bmg_pherastar_450.csv",
        [*_header("IL-6 ELISA", 65, "IL6 plate 01", "Absorbance", 0)[:2], "", "ID1: IL6 plate 01,", "Absorbance", "",
         *_grid("Raw Data  (450)", values(PHERASTAR), 96)],
    )  # fmt: skip
    raw450 = values(DUAL[450])
    dual = [
        *_header("ELISA 450-620", 12, "Plate A", "Absorbance", 0, "CLARIOstar")[:2],
        "",
        "ID1: Plate A,ID2: ,ID3: ",
        "Absorbance",
        "",
        *_grid("Raw Data (450 1)", raw450, 96),
        "",
        *_grid("Raw Data (620 2)", values(DUAL[620], 96, 0.03, 0.09), 96),
        "",
        *_grid("Blank corrected based on Raw Data (450 1)", {w: round(v - 0.045, 3) for w, v in raw450.items()}, 96),
    ]
    _write(HERE / "bmg_clariostar_dual.csv", dual)
    fi = {w: v for w, v in counts(FI_384).items() if w not in FI_EMPTY}
    _write(
        HERE / "bmg_pherastar_fi_384.csv",
        [*_header("Transcreener FI", 4, "black 384w", "Fluorescence (FI)", 0)[:2], "", "ID1: black 384w",
         "Fluorescence (FI)", "", *_grid("Raw Data (485/520)", fi, 384, trim=True)],
        end="\n",
    )  # fmt: skip
    cut = dual[: dual.index("F," + ",".join(_num(raw450[f"F{c}"]) for c in range(1, 13)))]
    (HERE / "bmg_truncated.csv").write_bytes(("\r\n".join(cut) + "\r\nF,0.123,0.4").encode("ascii"))
    wide = ",".join(str(c) for c in range(1, 49))
    _write(HERE / "bmg_1536.csv", [*_header("HrpElisa1536", 412, "92A_4", "Luminescence", 0)[:2], "",
                                   "ID1: 92A_4", "Luminescence", "", "Raw Data (No filter)", "", "," + wide,
                                   "A," + ",".join("985" for _ in range(48))])  # fmt: skip
    write_smart_control(HERE / "bmg_smart_control.xlsx")


def write_smart_control(path: Path) -> None:
    """A SMART Control workbook: header lines, the plate-map grids (layout, standard
    concentrations), the raw 450 nm grid, its blank-corrected grid, a table sheet, a protocol sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Microplate End point"
    head = [
        "User: user",
        "Path: C:\\Program Files (x86)\\BMG\\SMART Control\\user\\Data",
        "Test ID: 11",
        "Test Name: IL-6 ELISA",
        "Date: 3/14/2025",
        "Time: 9:41:07 AM",
        "ID1: IL6 plate 02",
        "ID2: 3/14/2025,9:41:07 AM",
        "ID3: Plate 2",
        "Absorbance",
    ]
    ws.append([])
    ws.append([])
    for line in head:
        ws.append([line])
    ws.append([])
    ws.append([])
    ws.append([])
    raw = values(SMART)
    grids = [
        ("1. Layout", {w: ("S1" if w[1:] == "1" else "X1") for w in wells(96)}),
        ("2. Standard Concentrations in pg/mL", {f"{r}1": 500 / 2**k for k, r in enumerate("ABCDEFGH")}),
        ("3. Raw Data (450)", raw),
        ("4. Blank corrected based on Raw Data (450)", {w: round(v - 0.05, 3) for w, v in raw.items()}),
    ]
    for title, cells in grids:
        ws.append([None, title])
        ws.append([None, *range(1, 13), None, "Plate: NUNC 96"])
        for r in "ABCDEFGH":
            ws.append([r, *[cells.get(f"{r}{c}") for c in range(1, 13)]])
        ws.append([])
    table = wb.create_sheet("Table End point")
    for line in head:
        table.append([line])
    table.append([])
    table.append(["Well", *[f"{w[0]}{int(w[1:]):02d}" for w in wells(96)]])
    table.append([" Raw Data (450)", *[raw[w] for w in wells(96)]])
    protocol = wb.create_sheet("Protocol Information")
    for line in head:
        protocol.append([line])
    protocol.append(["Basic settings"])
    protocol.append(["Measurement type", "Absorbance"])
    save(wb, path)


if __name__ == "__main__":
    main()
