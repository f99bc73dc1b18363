"""Regenerate the plain grid fixtures in this folder (deterministic: every value comes from the seed).

Run from the repository root:  python tests/data/plates/grid/make_fixtures.py

The tests import :func:`values` to know every cell the files hold. Files:
  grid_450.csv          one unlabelled 96-well grid (OVRFLW, ?????, *0.356* among the cells)
  grid_450_570.csv      a '450' grid and a 'Wavelength: 570' grid below it
  grid_blank.csv        a '450' grid and a derived 'Blank 450' grid
  grid_384.csv          one 384-well grid (1..24, rows A-P) labelled 'Wavelength: 450'
  grid_two_plates.csv   'Plate Number' blocks 'Plate A' and 'Plate B', each one '450' grid
  grid_sheets.xlsx      worksheets '450' and '570' with one unlabelled grid each, and 'Notes'
                        without a grid
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from openpyxl import Workbook

HERE = Path(__file__).parent
SHAPES = {96: ("ABCDEFGH", 12), 384: ("ABCDEFGHIJKLMNOP", 24)}
MARKS = {"B3": "OVRFLW", "C4": "?????", "D5": "*0.356*"}


def values(seed: int, wells: int = 96, *, low: float = 0.04, high: float = 3.2, marks: bool = False) -> dict[str, str]:
    """The cell text of every well, ``A1`` … in row order, drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    letters, ncols = SHAPES[wells]
    out = {f"{r}{c}": f"{rng.uniform(low, high):.3f}" for r in letters for c in range(1, ncols + 1)}
    if marks:
        out.update(MARKS)
    return out


def grid_lines(vals: dict[str, str], wells: int = 96, sep: str = ",") -> list[str]:
    letters, ncols = SHAPES[wells]
    lines = [sep.join([""] + [str(c) for c in range(1, ncols + 1)])]
    lines += [sep.join([r] + [vals[f"{r}{c}"] for c in range(1, ncols + 1)]) for r in letters]
    return lines


def write_sheet(ws, vals: dict[str, str], wells: int = 96, top: int = 1) -> None:
    letters, ncols = SHAPES[wells]
    for c in range(1, ncols + 1):
        ws.cell(top, c + 1, c)
    for i, r in enumerate(letters, start=1):
        ws.cell(top + i, 1, r)
        for c in range(1, ncols + 1):
            text = vals[f"{r}{c}"]
            ws.cell(top + i, c + 1, float(text) if text.replace(".", "", 1).isdigit() else text)


def main() -> None:
    write = lambda name, lines: (HERE / name).write_text("\n".join(lines) + "\n")  # noqa: E731
    write("grid_450.csv", grid_lines(values(1, marks=True)))
    write(
        "grid_450_570.csv",
        ["450"] + grid_lines(values(2)) + ["", "Wavelength: 570"] + grid_lines(values(3, low=0.03, high=0.06)),
    )
    write("grid_blank.csv", ["450"] + grid_lines(values(4)) + ["", "Blank 450"] + grid_lines(values(5)))
    write("grid_384.csv", ["Wavelength: 450"] + grid_lines(values(6, 384), 384))
    write(
        "grid_two_plates.csv",
        ["Plate Number,Plate A", "", "450"]
        + grid_lines(values(7))
        + ["", "Plate Number,Plate B", "", "450"]
        + grid_lines(values(8)),
    )
    wb = Workbook()
    ws = wb.active
    ws.title = "450"
    write_sheet(ws, values(9))
    write_sheet(wb.create_sheet("570"), values(10, low=0.03, high=0.06))
    wb.create_sheet("Notes").cell(1, 1, "operator: JD; kit lot 42")
    wb.save(HERE / "grid_sheets.xlsx")


if __name__ == "__main__":
    main()
