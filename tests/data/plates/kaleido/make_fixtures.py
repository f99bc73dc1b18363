"""Write the Revvity Kaleido fixture CSVs of tests/test_readers_kaleido.py (seeded: rerun to get
the same files). Two layouts: Kaleido 2.0 (no-break spaces in 'Results for ABS mono 1', the
'Barcode: …, PlateRepeat: 1, WellRepeat: 1' line, settings under 'Measurements:') and Kaleido 3.x
('EnSight Results from', 'Result for …', a Barcode header line, settings under 'Details of
Measurement Sequence'; 3.5 pads every line with commas). The numbers are our own.

Run: ``python tests/data/plates/kaleido/make_fixtures.py``.
"""

from __future__ import annotations

import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
NBSP = "\u00a0"


def wells(n: int) -> list[str]:
    rows, cols = ("ABCDEFGH", 12) if n == 96 else ("ABCDEFGHIJKLMNOP", 24)
    return [f"{r}{c}" for r in rows for c in range(1, cols + 1)]


def values(seed: int, n: int = 96, low: float = 0.04, high: float = 3.2) -> dict[str, str]:
    """Absorbance as Kaleido writes it: full double precision."""
    rng = random.Random(seed)
    return {w: repr(rng.uniform(low, high)) for w in wells(n)}


def counts(seed: int, n: int = 384) -> dict[str, str]:
    rng = random.Random(seed)
    return {w: str(rng.randrange(100, 400000)) for w in wells(n)}


ABS_450 = 6450
ABS_V3 = {450: 7450, 630: 7630}
LUM = 7900


def _grid(cells: dict[str, str], n: int, pad: int = 0) -> list[str]:
    cols = 12 if n == 96 else 24
    rows = "ABCDEFGH" if n == 96 else "ABCDEFGHIJKLMNOP"
    out = ["," + ",".join(str(c) for c in range(1, cols + 1))]
    out += [r + "," + ",".join(cells[f"{r}{c}"] for c in range(1, cols + 1)) for r in rows]
    return [line + "," * pad for line in out]


def _write(path: Path, lines: list[str], *, end: str = "\r\n") -> None:
    path.write_bytes((end.join(lines) + end).encode("utf-8"))


def kaleido2(seed: int = ABS_450, *, cut_after: str = "") -> list[str]:
    lines = [
        "",
        "",
        f"Results for{NBSP}ABS mono 1",
        "",
        f"Barcode:{NBSP}V-2025-03-14 09:12:44,{NBSP}PlateRepeat:{NBSP}1,{NBSP}WellRepeat:{NBSP}1",
        *_grid(values(seed), 96),
        "",
        "Analysis Result  ",
        "",
        "Measurement Basic Information",
        "Software version:,,Kaleido 2.0.3058.126",
        "",
        "Barcode:,,V-2025-03-14 09:12:44",
        "Instrument Serial Number:,,7654321",
        "Protocol Name:,,IL-6 ELISA",
        "",
        "Number of plate repeats,,1",
        "",
        "Plate Type",
        "Plate Type Name:,,96 General",
        "Number of rows:,,8",
        "Number of columns:,,12",
        "Platemap",
        "Plate",
        *_grid(dict.fromkeys(wells(96), "-"), 96),
        "",
        "Operations:",
        "",
        "Measurements:",
        "",
        "Meas,,,,",
        "Tech,,,,ABS mono 1",
        "Exc. filter [nm],,,,",
        "Excitation wavelength [nm],,,,450",
        "Measurement mode,,,,Single",
        "Number of flashes,,,,100",
        "",
        "Analysis:",
        "",
        "Exported with Kaleido 2.0.3058.126 and xslt version 2.0.0",
    ]
    if cut_after:
        stop = next(i for i, line in enumerate(lines) if line.startswith(f"{cut_after},"))
        return lines[: stop + 1]
    return lines


def kaleido3(results: list[tuple[str, dict[str, str], int]], settings: list[list[str]], pad: int) -> list[str]:
    lines = ["EnSight Results from", "Protocol Name,IL-6 ELISA", "Measurement Date,3/14/2025 09:20", "", ""]
    for name, cells, n in results:
        lines += [
            f"Result for {name}",
            "Barcode,Repeat,Loop no,Well scan x,Well scan y,Exc wl / filter,Ems wl,TRF Window,Analysis Parameter,"
            "Label-free Parameter,",
            "PLATE-0042 09:20:01,1,,,,,,,,,",
            "",
            *_grid(cells, n),
            "",
            "",
        ]
    lines += [
        "Measurement Information",
        "Measurement Started,,3/14/2025 09:20",
        "Barcode,,PLATE-0042 09:20:01",
        "",
        "Instrument Information",
        "Instrument Serial Number,,1712111",
        "Software Version,,Kaleido 3.5.3082.227",
        "",
        "Platemap",
        ",1,2,3,4,5,6,7,8,9,10,11,12",
        "",
        "Details of Measurement Sequence",
        "",
    ]
    for block in settings:
        lines += [*block, ""]
    lines += ["Exported with Kaleido 3.5.3082.227"]
    width = 13 if pad else 0
    return [line + "," * max(0, width - 1 - line.count(",")) for line in lines]


def main() -> None:
    _write(HERE / "kaleido2_absorbance.csv", kaleido2())
    _write(HERE / "kaleido2_truncated.csv", kaleido2(cut_after="D"))
    two = kaleido3(
        [("Absorbance 1", values(ABS_V3[450]), 96), ("Absorbance 2", values(ABS_V3[630], 96, 0.03, 0.09), 96)],
        [
            ["Operation,,,Absorbance 1", "Measurement Mode,,,Single", "Excitation Wavelength [nm],,,450"],
            ["Operation,,,Absorbance 2", "Measurement Mode,,,Single", "Excitation Wavelength [nm],,,630"],
        ],
        pad=0,
    )
    _write(HERE / "kaleido3_absorbance_two.csv", two)
    lum = kaleido3(
        [("Luminescence 1", counts(LUM), 384)],
        [["Operation,,,Luminescence 1", "Measurement Mode,,,Single", "Measurement Time [s],,,0.1"]],
        pad=1,
    )
    _write(HERE / "kaleido35_luminescence_384.csv", lum, end="\n")


if __name__ == "__main__":
    main()
