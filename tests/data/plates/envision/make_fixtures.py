"""Write the PerkinElmer EnVision fixture CSVs of tests/test_readers_envision.py (seeded: rerun to
get the same files). The layout follows EnVision Workstation 1.14 exports (CRLF lines, result
blocks, then 'Basic assay information', 'Protocol information', 'Labels:', 'Filters:' and the
'Exported with' line). The numbers are our own.

Run: ``python tests/data/plates/envision/make_fixtures.py``.
"""

from __future__ import annotations

import random
from pathlib import Path

HERE = Path(__file__).resolve().parent


def wells(n: int) -> list[str]:
    rows, cols = ("ABCDEFGH", 12) if n == 96 else ("ABCDEFGHIJKLMNOP", 24)
    return [f"{r}{c}" for r in rows for c in range(1, cols + 1)]


def values(seed: int, n: int = 96, low: float = 0.04, high: float = 3.2) -> dict[str, str]:
    """The text written for every well (4 decimals, as EnVision writes absorbance)."""
    rng = random.Random(seed)
    return {w: f"{rng.uniform(low, high):.4f}" for w in wells(n)}


def counts(seed: int, n: int = 384) -> dict[str, str]:
    """Luminescence counts (integers)."""
    rng = random.Random(seed)
    return {w: str(rng.randrange(0, 90000)) for w in wells(n)}


A450 = {1: 5101, 2: 5102}
BCA_562 = 5562
ALPHA = 5800
LUM = {1: 5701, 2: 5702}
LUM_ROWS = "AEIM"  # the rows a 1-in-4 pattern measured

PLATE_HEAD = (
    "Plate,Repeat,Barcode,Measured height,Chamber temperature at start,Chamber temperature at end,"
    "Humidity at start,Humidity at end,Ambient temperature at start,Ambient temperature at end,Group,Label,"
    "ScanX,ScanY,Measinfo,Kinetics,Measurement date,"
)
CALC_HEAD = (
    "Plate,Repeat,Barcode,Measured height,Chamber temperature at start,Chamber temperature at end,"
    "Humidity at start,Humidity at end,Ambient temperature at start,Ambient temperature at end,Formula,"
    "Measurement date,"
)


def _plate_info(plate: int, barcode: str, label: str, measinfo: str) -> list[str]:
    return [
        "Plate information",
        PLATE_HEAD,
        f'{plate},1,"=""{barcode}""",14.35,22.00,22.10,42.0,41.5,22.5,22.6,1,{label},0,0,{measinfo},0,'
        f"3/14/2025 10:{30 + plate}:00 AM,",
        "",
        "Background information",
        "Plate,Label,Result,Signal,Flashes/Time,Meastime,MeasInfo,",
        f"{plate},{label.rsplit('(', 1)[0]},0,295000,300,00:00:00.000,{measinfo},",
        "",
    ]


def _grid(cells: dict[str, str], n: int, rows: str | None = None) -> list[str]:
    cols = 12 if n == 96 else 24
    out = ["," + ",".join(f"{c:02d}" for c in range(1, cols + 1)) + ","]
    for r in rows or ("ABCDEFGH" if n == 96 else "ABCDEFGHIJKLMNOP"):
        out.append(r + "," + ",".join(cells[f"{r}{c}"] for c in range(1, cols + 1)) + ",")
    return out


def _bare(cells: dict[str, str], n: int) -> list[str]:
    cols = 12 if n == 96 else 24
    return [",".join(cells[f"{r}{c}"] for c in range(1, cols + 1)) + "," for r in "ABCDEFGHIJKLMNOP"[: n // cols]]


def _tail(wells_n: int, labels: list[str], filters: list[str]) -> list[str]:
    return [
        "",
        "Basic assay information ",
        "Assay ID: ,,,,4711",
        "Assay Started: ,,,,3/14/2025 10:28:00 AM",
        "Protocol ID: ,,,,100250",
        "Protocol Name: ,,,,ELISA test protocol",
        'Serial#: ,,,,="1050242"',
        "",
        "Protocol information",
        "Protocol:",
        "Protocol name,,,,ELISA test protocol",
        "Number of plate repeats,,,,1",
        "",
        "Plate type:",
        f"Name of the plate type,,,,{wells_n} General",
        f"Number of rows,,,,{8 if wells_n == 96 else 16}",
        f"Number of columns,,,,{12 if wells_n == 96 else 24}",
        f"Number of the wells in the plate,,,,{wells_n}",
        "",
        "Labels:",
        *labels,
        "",
        "Filters:",
        *filters,
        "",
        "Instrument:",
        "Serial number,,,,1050242",
        "Nickname,,,,EnVision",
        "",
        "",
        "Exported with EnVision Workstation version 1.14.3049.1642",
    ]


def _write(path: Path, lines: list[str]) -> None:
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("ascii"))


ABS_MEASINFO = "De=1st Ex=Btm Em=N/A Wdw=N/A (8)"
A450_LABELS = [
    "A450,,,,2000014",
    "Exc. filter,,,,BFP 450",
    "Measurement height,,,,13 mm",
    "Number of flashes,,,,300",
]
A450_FILTERS = [
    "BFP 450,,,,216",
    "Filter type,,,,Emission",
    "Description,,,,M450 CWL=450nm BW=10nm Tmin=60%",
]


def write_a450(path: Path) -> list[str]:
    """Two plates read at 450 nm, 'Plate2' export format (grids with columns 01 … 12)."""
    lines: list[str] = []
    for plate in (1, 2):
        lines += _plate_info(plate, "", "A450(1)", ABS_MEASINFO)
        lines += ["Results for A450(1) - channel 1 (A)", *_grid(values(A450[plate]), 96), ""]
    lines += _tail(96, A450_LABELS, A450_FILTERS)
    _write(path, lines)
    return lines


def write_bare_384(path: Path) -> None:
    """'Plate1' export format: bare matrices. Plate 1 read for BCA at 562 nm (the wavelength on
    the label's 'Excitation wavelength' line); plate 2 read by an AlphaScreen label, with the
    'Calculated results' of a crosstalk correction first."""
    lines = _plate_info(1, "BCA-0001", "BCA Absorbance @ 562(1)", ABS_MEASINFO)
    lines += [*_bare(values(BCA_562, 384), 384), ""]
    lines += [
        "Plate information",
        CALC_HEAD,
        '2,1,"=""ALPHA-0002""",N/A,N/A,N/A,N/A,N/A,N/A,N/A,Calc 1: Crosstalk = Crosstalk correction where Label : '
        "Screen 384 OptiPlate(1) channel 1,3/14/2025 10:59:11 AM,",
        "",
        "Background information",
        "",
        *_bare({w: str(int(v) + 1) for w, v in counts(ALPHA).items()}, 384),
        "",
    ]
    lines += _plate_info(2, "ALPHA-0002", "Screen 384 OptiPlate(1)", "De=1st Ex=N/A Em=Top Wdw=N/A (14)")
    lines += [*_bare(counts(ALPHA), 384), ""]
    labels = [
        "BCA Absorbance @ 562,,,,2000014",
        "Exc. filter,,,,Monochromator cutoff 360",
        "Excitation wavelength,,,,562 nm",
        "",
        "Screen 384 OptiPlate,,,,8000002",
        "Excitation time,,,,0.035 s",
    ]
    filters = ["Monochromator cutoff 360,,,,141", "Filter type,,,,Excitation", "Description,,,,X360co Longpass=360nm"]
    _write(path, lines + _tail(384, labels, filters))


def write_luminescence(path: Path) -> None:
    """Ultra-sensitive luminescence on two 384-well plates, rows A, E, I and M measured."""
    lines: list[str] = []
    for plate in (1, 2):
        lines += _plate_info(plate, f"LUM-{plate}", "0_1 US LUM 384(1)", "De=USLum Ex=N/A Em=N/A Wdw=N/A (12)")
        lines += ["Results for 0_1 US LUM 384(1) - channel 0 (CPS)", *_grid(counts(LUM[plate]), 384, LUM_ROWS), ""]
    labels = ["0_1 US LUM 384,,,,7000007", "Measurement height,,,,0 mm", "Measurement time,,,,0.1 s"]
    _write(path, lines + _tail(384, labels, []))


def main() -> None:
    lines = write_a450(HERE / "envision_a450.csv")
    write_bare_384(HERE / "envision_bare_384.csv")
    write_luminescence(HERE / "envision_luminescence.csv")
    # cut inside row F of plate 2's grid
    cut = lines.index("F," + ",".join(values(A450[2])[f"F{c}"] for c in range(1, 13)) + ",")
    (HERE / "envision_truncated.csv").write_bytes(("\r\n".join(lines[:cut]) + "\r\n" + lines[cut][:40]).encode())
    # the second block's 'Plate information' lines removed
    second = [i for i, line in enumerate(lines) if line == "Plate information"][1]
    _write(HERE / "envision_missing_header.csv", lines[:second] + lines[second + 8 :])


if __name__ == "__main__":
    main()
