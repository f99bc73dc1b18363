"""Regenerate the BioTek/Agilent Gen5 fixtures in this folder (deterministic: every value comes
from a seed). The layouts mimic real Gen5 3.x text exports line by line (header block, Procedure
Details, Layout / Results / per-read sections, tab separated, CRLF line ends); the numbers are ours.

Run from the repository root:  python tests/data/plates/gen5/make_fixtures.py

The tests import :func:`values` to know every cell the files hold. Files:
  sections_450_570.txt   one read step, 'Wavelengths:  450, 570', a '450' and a '570' section
  two_plates.txt         two plates ('Plate Number' Plate 1, Plate 2), each with '450' and '570' sections
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

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


def write(name: str, lines: list[str]) -> None:
    (HERE / name).write_bytes(("\r\n".join(lines) + "\r\n").encode("ascii"))


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


if __name__ == "__main__":
    main()
