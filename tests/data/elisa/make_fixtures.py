"""Regenerate the ELISA test fixtures in this folder (deterministic).

Run from the repository root:  PYTHONPATH=src python tests/data/elisa/make_fixtures.py

Files (see docs/elisa.md for the formats):
  grid_plain.csv           plain grid, 450 nm only, OVER and n.d. cells
  grid_ref.csv             plain grid + 'Wavelength: 570' reference grid
  gen5_sections.txt        Gen5 text: metadata, '450' and '570' sections, sentinels
                           OVER, ****, Range?, n.d., <LLOQ and a masked well *0.356*
  gen5_results_matrix.txt  Gen5 text: Layout grid + 'Results' matrix with continuation
                           rows (450nm:450, 450nm:570, Blank 450nm:450), OVRFLW, ?????
  gen5_export.xlsx         Gen5-style workbook ('Results' matrix), a sentinel in a 570 row
  formula_no_cache.xlsx    plain grid workbook with a formula cell lacking a cached value
  not_a_plate.csv          text without any plate grid
  truncated_grid.csv       grid with rows A-D only
  study/                   write_demo_plates output (4 plates, all formats) + target.csv
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook

from trialflow.demo.plates import write_demo_plates
from trialflow.elisa.curve import four_pl

HERE = Path(__file__).parent
COLS = range(1, 13)
ROWS = "ABCDEFGH"


def grid(vals: dict, label: str | None = None, sep: str = ",") -> list[str]:
    out = [sep.join([""] + [str(c) for c in COLS])]
    for r in ROWS:
        cells = [r] + [vals[f"{r}{c}"] for c in COLS] + ([label] if label else [])
        out.append(sep.join(cells))
    return out


def main() -> None:
    rng = np.random.default_rng(42)
    p = {"a": 0.004, "b": 1.02, "c": 1250.0, "d": 3.35}
    levels = [2000 / 2**i for i in range(7)]
    opt = {f"{r}{c}": 0.041 + rng.normal(0, 0.002) for r in ROWS for c in COLS}
    raw = {}
    for i, lv in enumerate(levels):
        for c in (1, 2):
            raw[f"{ROWS[i]}{c}"] = four_pl(lv, **p) * (1 + rng.normal(0, 0.01))
    for c in (1, 2):
        raw[f"H{c}"] = rng.normal(0, 0.001)
    for r in ROWS:
        for c in range(3, 13):
            raw[f"{r}{c}"] = four_pl(rng.uniform(40, 1500), **p)
    bg = 0.048
    k450 = {w: f"{opt[w] + bg + v:.3f}" for w, v in raw.items()}
    kref = {w: f"{v:.3f}" for w, v in opt.items()}

    v = dict(k450)
    v["C7"], v["D8"] = "OVER", "n.d."
    (HERE / "grid_plain.csv").write_text("\n".join(grid(v)) + "\n")
    (HERE / "grid_ref.csv").write_text("\n".join(grid(k450) + ["", "Wavelength: 570"] + grid(kref)) + "\n")

    meta = [
        "",
        "",
        "Software Version\t3.11.19",
        "",
        "",
        "",
        "Experiment File Path:\tC:\\Users\\lab\\Documents\\Experiments\\BDNF_run7.xpt",
        "Protocol File Path:\tC:\\Users\\lab\\Documents\\Protocols\\ELISA_450_570.prt",
        "",
        "",
        "",
        "Plate Number\tPlate 1",
        "Reading Date\t2025-03-14",
        "Reading Time\t10:22:31",
        "Reader Type:\tSynergy H1",
        "Reader Serial Number:\t1804091",
        "Reading Type\tReader",
        "",
        "Procedure Details",
        "",
        "Plate Type\t96 WELL PLATE (Use plate lid)",
        "Eject plate on completion\t",
        "Read\tAbsorbance Endpoint",
        "\tFull Plate",
        "\tWavelengths:  450, 570",
        "\tRead Speed: Normal,  Delay: 100 msec,  Measurements/Data Point: 8",
        "",
    ]
    v = dict(k450)
    v.update({"C5": "OVER", "C6": "****", "D5": "Range?", "D6": "n.d.", "E5": "<LLOQ", "E6": "*0.356*"})
    lines = meta + ["450"] + grid(v, "450", "\t") + ["", "570"] + grid(kref, "570", "\t") + [""]
    (HERE / "gen5_sections.txt").write_text("\n".join(lines))

    layout = ["Layout", "\t" + "\t".join(str(c) for c in COLS)]
    for r in ROWS:
        ids = [f"SPL{ROWS.index(r) * 12 + c}" for c in COLS]
        layout.append(r + "\t" + "\t".join(ids) + "\tWell ID")
    v = dict(k450)
    v["A5"], v["B5"] = "OVRFLW", "?????"
    res = ["Results", "\t" + "\t".join(str(c) for c in COLS)]
    for r in ROWS:
        res.append(r + "\t" + "\t".join(v[f"{r}{c}"] for c in COLS) + "\t450nm:450")
        res.append("\t" + "\t".join(kref[f"{r}{c}"] for c in COLS) + "\t450nm:570")
        blank = [f"{float(k450[f'{r}{c}']) - 0.089:.3f}" for c in COLS]
        res.append("\t" + "\t".join(blank) + "\tBlank 450nm:450")
    meta2 = [m.replace("Reading Date", "Date").replace("Reading Time", "Time") for m in meta]
    (HERE / "gen5_results_matrix.txt").write_text("\n".join(meta2 + layout + [""] + res + [""]) + "\n")

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    for m in meta2:
        ws.append(m.split("\t") if m else [None])
    ws.append(["Results"])
    ws.append([None] + list(COLS))
    for r in ROWS:
        ws.append([r] + [float(k450[f"{r}{c}"]) for c in COLS] + ["450"])
        ws.append([None] + [float(kref[f"{r}{c}"]) for c in COLS] + ["570"])
    ws["F31"] = "OVER"  # in the 570 nm row of plate row A (well A5)
    wb.save(HERE / "gen5_export.xlsx")

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append([None] + list(COLS))
    for r in ROWS:
        ws.append([r] + [float(k450[f"{r}{c}"]) for c in COLS])
    ws["D4"] = "=C4*1.01"  # openpyxl stores no cached value
    wb.save(HERE / "formula_no_cache.xlsx")

    (HERE / "not_a_plate.csv").write_text("Instrument log\nstatus,ok\nlamp hours,1234\n")
    (HERE / "truncated_grid.csv").write_text("\n".join(grid(k450)[:5]) + "\n")

    rows = []
    rng = np.random.default_rng(3)
    for i in range(20):
        for t in ("baseline", "week8"):
            for an in ("BDNF", "GDNF"):
                rows.append(
                    {
                        "participant_id": f"S{i + 1:02d}",
                        "time": t,
                        "analyte": an,
                        "arm": "active" if i % 2 == 0 else "placebo",
                        "concentration": round(float(rng.uniform(80, 500)), 2),
                    }
                )
    target = pd.DataFrame(rows)
    study = HERE / "study"
    if study.exists():
        shutil.rmtree(study)
    write_demo_plates(
        target,
        study,
        seed=11,
        perturb=[
            ("S03", "week8", "BDNF", "high_cv"),
            ("S04", "baseline", "GDNF", "below_lloq"),
            ("S21", "week8", "GDNF", "saturated"),
        ],
    )
    target.to_csv(study / "target.csv", index=False)


if __name__ == "__main__":
    main()
