"""Regenerate the BioTek/Agilent Gen5 fixtures in this folder (deterministic: every value comes
from a seed). The layouts mimic real Gen5 3.x text exports line by line (header block, Procedure
Details, Layout / Results / per-read sections, tab separated, CRLF line ends); the numbers are ours.

Run from the repository root:  python tests/data/plates/gen5/make_fixtures.py

The tests import :func:`values` to know every cell the files hold. Files:
  sections_450_570.txt   one read step, 'Wavelengths:  450, 570', a '450' and a '570' section
  two_plates.txt         two plates ('Plate Number' Plate 1, Plate 2), each with '450' and '570' sections
  results_layout.txt     step 'ELISA' (450, 570); a Layout block whose Conc/Dil lines are empty for
                         the sample rows; the Results matrix with continuation rows ELISA:450,
                         ELISA:570, Blank ELISA:450, [Concentration]; the StdCurve Fitting Results
  results_layout.xlsx    the same lines saved as a one-sheet workbook (numbers as numbers)
  two_steps.txt          two unnamed read steps: Read 1 (450, 570) and Read 2 (418), in one
                         Results matrix (Read 1:450, Read 1:570, Read 2:418)
  read_modes.txt         steps 'od' (absorbance 600), 'fluor' (485/20 -> 528/20), 'lum' (Full light)
  kinetic.txt            one plate, a kinetic read 'Kin' at 450 nm: the Time table (5 time points,
                         a temperature column) and the Results matrix of Max V [Kin:450]
  column_list.txt        the column (list) layout: Well, Well ID, Conc/Dil, ELISA:450, ELISA:570,
                         Blank ELISA:450 - one row per well
  row_list.txt           the row (list) layout: Well A1 … H12, then a row per data set
  plate_384.txt          a 384-well plate: the '450' section with columns 1..24 and rows A-P
  partial_plate.txt      a plate read in part (Well Selection): rows A, C, E, G of columns 1..12
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from openpyxl import Workbook

HERE = Path(__file__).parent
SHAPES = {96: ("ABCDEFGH", 12), 384: ("ABCDEFGHIJKLMNOP", 24)}
MARKS = {"A5": "OVRFLW", "B6": "?????", "C7": "*0.356*"}


def values(seed: int, wells: int = 96, *, low: float = 0.04, high: float = 3.2, fmt: str = "{:.3f}", marks=False):
    """The cell text of every well, ``A1`` … in row order, drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    letters, ncols = SHAPES[wells]
    out = {f"{r}{c}": fmt.format(rng.uniform(low, high)) for r in letters for c in range(1, ncols + 1)}
    if marks:
        out.update(MARKS)
    return out


def header(plate: str = "Plate 1", software: str = "3.12.08") -> list[str]:
    return [
        "",
        "",
        f"Software Version\t{software}",
        "",
        "",
        "",
        "Experiment File Path:\tC:\\Users\\Public\\Documents\\Experiments\\ELISA_run12.xpt",
        "Protocol File Path:\tC:\\Users\\Public\\Documents\\Protocols\\ELISA_450_570.prt",
        "",
        "",
        "",
        f"Plate Number\t{plate}",
        "Date\t3/14/2025",
        "Time\t10:22:31 AM",
        "Reader Type:\tSynergy H1",
        "Reader Serial Number:\t21031512",
        "Reading Type\tReader",
        "",
    ]


def procedure(*steps: list[str], plate_type: str = "96 WELL PLATE (Use plate lid)") -> list[str]:
    lines = ["Procedure Details", "", f"Plate Type\t{plate_type}", "Eject plate on completion\t"]
    for step in steps:
        lines += step
    return lines + [""]


def absorbance_step(name: str | None, wavelengths: str) -> list[str]:
    head = [f"Read\t{name}", "\tAbsorbance Endpoint"] if name else ["Read\tAbsorbance Endpoint"]
    return head + [
        "\tFull Plate",
        f"\tWavelengths:  {wavelengths}",
        "\tRead Speed: Normal,  Delay: 100 msec,  Measurements/Data Point: 8",
    ]


def section(label: str, vals: dict[str, str], wells: int = 96) -> list[str]:
    """A per-read section: the label line, the '1..12' header, rows ending with the label."""
    letters, ncols = SHAPES[wells]
    lines = [label, "\t" + "\t".join(str(c) for c in range(1, ncols + 1))]
    lines += [r + "\t" + "\t".join(vals[f"{r}{c}"] for c in range(1, ncols + 1)) + f"\t{label}" for r in letters]
    return lines + [""]


def results(labels: list[tuple[str, dict[str, str]]], wells: int = 96, rows: str | None = None) -> list[str]:
    """The Results matrix: each plate row, then one continuation row per further data set."""
    letters, ncols = SHAPES[wells]
    lines = ["Results", "\t" + "\t".join(str(c) for c in range(1, ncols + 1))]
    for r in rows or letters:
        for k, (label, vals) in enumerate(labels):
            lines.append(
                ("" if k else r) + "\t" + "\t".join(vals[f"{r}{c}"] for c in range(1, ncols + 1)) + f"\t{label}"
            )
    return lines + [""]


def layout(conc: dict[str, str]) -> list[str]:
    """The Layout block: Well ID rows, and Conc/Dil continuation rows (empty where no well has one)."""
    lines = ["Layout", "\t" + "\t".join(str(c) for c in range(1, 13))]
    for n, r in enumerate("ABCDEFGH"):
        ids = [f"STD{n + 1}" if c <= 2 else f"SPL{n * 10 + c - 2}" for c in range(1, 13)]
        lines.append(r + "\t" + "\t".join(ids) + "\tWell ID")
        lines.append("\t" + "\t".join(conc.get(f"{r}{c}", "") for c in range(1, 13)) + "\tConc/Dil")
    return lines + [""]


def write(name: str, lines: list[str]) -> None:
    (HERE / name).write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))  # Gen5 writes Windows-1252 (T\u00b0)


def number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def main() -> None:
    one = absorbance_step(None, "450, 570")
    write(
        "sections_450_570.txt",
        header()
        + procedure(one)
        + section("450", values(1, marks=True))
        + section("570", values(2, low=0.03, high=0.06)),
    )
    plates = []
    for n, seed in ((1, 3), (2, 5)):
        plates += header(f"Plate {n}") + procedure(one)
        plates += section("450", values(seed)) + section("570", values(seed + 1, low=0.03, high=0.06))
    write("two_plates.txt", plates)

    elisa = absorbance_step("ELISA", "450, 570")
    conc = {f"{r}{c}": f"{2000 / 2**n:g}" for n, r in enumerate("ABCDEFG") for c in (1, 2)}
    matrix = [
        ("ELISA:450", values(11, marks=True)),
        ("ELISA:570", values(12, low=0.03, high=0.06)),
        ("Blank ELISA:450", values(13, low=0.0, high=3.0)),
        ("[Concentration]", values(14, low=1, high=2000, fmt="{:.2f}")),
    ]
    curve = [
        "StdCurve Fitting Results",
        "",
        "Curve Name\tCurve Formula\tA\tB\tC\tD\tR2",
        "StdCurve\t4P\t0.05\t1.1\t420\t3.3\t0.999",
    ]
    lines = (
        header() + procedure(elisa) + layout(conc) + ["", "", "Actual Temperature:\t22.8", ""] + results(matrix) + curve
    )
    write("results_layout.txt", lines)
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    for line in lines:
        ws.append([number(t) if t else None for t in line.split("\t")] if line else [None])
    wb.save(HERE / "results_layout.xlsx")

    steps = [absorbance_step(None, "450, 570"), absorbance_step(None, "418")]
    matrix = [
        ("Read 1:450", values(21)),
        ("Read 1:570", values(22, low=0.03, high=0.06)),
        ("Read 2:418", values(23)),
    ]
    write("two_steps.txt", header() + procedure(*steps) + results(matrix))

    fluor = [
        "Read\tfluor",
        "\tFluorescence Endpoint",
        "\tFull Plate",
        "\tFilter Set 1",
        "\t    Excitation: 485/20,  Emission: 528/20",
        "\t    Optics: Top,  Gain: 60",
        "\tRead Speed: Normal,  Delay: 100 msec,  Measurements/Data Point: 10",
    ]
    lum = [
        "Read\tlum",
        "\tLuminescence Endpoint",
        "\tFull Plate",
        "\tIntegration Time: 0:01.00 (MM:SS.ss)",
        "\tFilter Set 1",
        "\t    Emission: Full light",
        "\t    Optics: Top,  Gain: 135",
    ]
    matrix = [
        ("od:600", values(31)),
        ("fluor:485/20,528/20", values(32, low=100, high=60000, fmt="{:.0f}")),
        ("lum:Lum", values(33, low=100, high=900000, fmt="{:.0f}")),
    ]
    write("read_modes.txt", header() + procedure(absorbance_step("od", "600"), fluor, lum) + results(matrix))

    kin = ["Start Kinetic\tRuntime 0:04:00 (HH:MM:SS), Interval 0:01:00, 5 Reads"]
    kin += ["    " + line if line.startswith("Read") else line for line in absorbance_step("Kin", "450")]
    kin += ["End Kinetic\t"]
    wells = [f"{r}{c}" for r in "ABCDEFGH" for c in range(1, 13)]
    table = ["Kin:450", "", "Time\tT\u00b0 Kin:450\t" + "\t".join(wells)]
    for t in range(5):
        vals = values(40 + t)
        table.append(f"0:0{t}:00\t25.0\t" + "\t".join(vals[w] for w in wells))
    table.append("")
    maxv = [("Max V [Kin:450]", values(46, low=1, high=200, fmt="{:.3f}"))]
    write("kinetic.txt", header() + procedure(kin) + table + results(maxv))

    listed = [("ELISA:450", values(51, marks=True)), ("ELISA:570", values(52, low=0.03, high=0.06))]
    listed.append(("Blank ELISA:450", values(53, low=0.0, high=3.0)))
    col = ["Well\tWell ID\tConc/Dil\t" + "\t".join(label for label, _ in listed)]
    for n, w in enumerate(wells):
        col.append(f"{w}\tSPL{n + 1}\t\t" + "\t".join(vals[w] for _, vals in listed))
    write("column_list.txt", header() + procedure(elisa) + col + [""])
    row = ["Well\t" + "\t".join(wells), "Well ID\t" + "\t".join(f"SPL{n + 1}" for n in range(96))]
    row += [label + "\t" + "\t".join(vals[w] for w in wells) for label, vals in listed]
    write("row_list.txt", header() + procedure(elisa) + row + [""])

    write(
        "plate_384.txt",
        header()
        + procedure(absorbance_step(None, "450"), plate_type="384 WELL PLATE")
        + section("450", values(61, 384), 384),
    )
    partial = procedure(absorbance_step("ELISA", "450")).copy()
    partial.insert(3, "Well Selection\tRuntime")
    write("partial_plate.txt", header() + partial + results([("ELISA:450", values(71))], rows="ACEG"))


if __name__ == "__main__":
    main()
