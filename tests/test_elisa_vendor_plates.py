"""Plates from vendor exports quantified end to end: a SoftMax Pro file holding two 384-well plates
(addressed by the manifest's plate column), a 405 nm assay chosen by the config, and refusals that
name the key to set. Concentrations are checked against the closed-form inverse of the 4PL the ODs
were written from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trialflow.elisa import quantify_plates
from trialflow.elisa.errors import PlateFormatError
from trialflow.elisa.plate_map import read_manifest
from trialflow.elisa.quantify import quantify_batch

A, B, C, D = 0.0, 1.3, 150.0, 2.8  # the 4PL the ODs are written from: od = D + (A - D) / (1 + (x / C) ** B)
BLANK = 0.045
STANDARDS = (1000.0, 500.0, 250.0, 125.0, 62.5, 31.25, 15.625)
ROWS = "ABCDEFGHIJKLMNOP"


def od(x: float) -> float:
    return D + (A - D) / (1 + (x / C) ** B) + BLANK


def plate_layout(samples: dict[str, float]) -> tuple[dict[str, float], list[str]]:
    """ODs of a 384-well plate (standards and blanks in rows I-P, columns 13-24) and its map lines."""
    ods = {f"{r}{c}": 0.05 for r in ROWS for c in range(1, 25)}
    lines = ["well,role,participant_id,time,nominal_conc,dilution,replicate_group"]
    for level, (row, conc) in enumerate(zip("IJKLMNO", STANDARDS, strict=True)):
        for col in (23, 24):
            ods[f"{row}{col}"] = od(conc)
            lines.append(f"{row}{col},standard,,,{conc},,STD{level + 1}")
    for col in (23, 24):
        ods[f"P{col}"] = BLANK
        lines.append(f"P{col},blank,,,,,")
    for well, conc in (("P13", 40.0), ("P14", 40.0), ("P15", 400.0), ("P16", 400.0)):
        ods[well] = od(conc)
        lines.append(f"{well},control,,,{conc},,CTRL_{int(conc)}")
    for i, (pid, conc) in enumerate(samples.items()):
        for col in (1, 2):  # duplicate wells, row A and row M (beyond a 96-well plate)
            well = f"{'AM'[i % 2]}{col + 2 * (i // 2)}"
            ods[well] = od(conc / 2)  # diluted 1:2
            lines.append(f"{well},sample,{pid},pre,,2,")
    return ods, lines


def softmax_two_plates(ods: list[dict[str, float]]) -> bytes:
    """SoftMax Pro plate-format text, UTF-16 with BOM: two 384-well sections, both named 'Plate1'."""
    lines = [f"##BLOCKS= {len(ods)}"]
    for values in ods:
        settings = ["Plate:", "Plate1", "1.3", "PlateFormat", "Endpoint", "Absorbance", "Raw", "FALSE", "1"]
        settings += ["", "", "", "", "", "1", "450 ", "1", "24", "384", "1", "16", "", ""]
        lines += ["\t".join(settings), "\t".join(["", "Temperature(¡C)", *map(str, range(1, 25)), ""])]
        for i, r in enumerate(ROWS):
            lines.append(
                "\t".join(["", "23.0" if i == 0 else "", *(f"{values[f'{r}{c}']:.4f}" for c in range(1, 25)), ""])
            )
        lines += ["", "~End"]
    return b"\xff\xfe" + ("\r\n".join(lines) + "\r\n").encode("utf-16-le")


@pytest.fixture
def trial(tmp_path: Path) -> Path:
    first, map1 = plate_layout({"P01": 120.0, "P02": 480.0})
    second, map2 = plate_layout({"P03": 60.0, "P04": 240.0})
    (tmp_path / "run.txt").write_bytes(softmax_two_plates([first, second]))
    (tmp_path / "map1.csv").write_text("\n".join(map1) + "\n")
    (tmp_path / "map2.csv").write_text("\n".join(map2) + "\n")
    (tmp_path / "plates.csv").write_text(
        "plate_id,analyte,unit,kit_lot,export_file,map_file,plate\n"
        "R1,IL6,pg/mL,L1,run.txt,map1.csv,1\n"
        "R2,IL6,pg/mL,L1,run.txt,map2.csv,2\n"
    )
    return tmp_path


def test_two_384_well_plates_of_one_softmax_file_are_quantified(trial):
    res = quantify_plates(trial / "plates.csv", reads={"IL6": {"wavelength_nm": 450}})
    conc = res.concentrations.set_index("participant_id")["concentration"]
    # ODs written from the 4PL without noise: the fit recovers it and the inverse gives back the
    # concentrations (x 2 dilution) to the optimiser's tolerance
    expected = pd.Series({"P01": 120.0, "P02": 480.0, "P03": 60.0, "P04": 240.0})
    np.testing.assert_allclose(conc[expected.index], expected, rtol=1e-4)
    qc = res.plate_qc.set_index("plate_id")
    assert qc.loc["R1", "wells"] == 384 and qc.loc["R2", "export_plate"] == "2 Plate1"
    assert qc.loc["R1", "export_format"] == "softmax-plate-text" and qc.loc["R1", "primary_nm"] == 450
    assert (qc["verdict"] == "pass").all()
    wells = res.wells[res.wells["plate_id"] == "R2"]
    assert len(wells) == 384 and wells["well"].iloc[-1] == "P24"
    assert wells.set_index("well").loc["M3", "source"].startswith("run.txt:line ")


def test_one_file_of_two_plates_without_the_plate_named_is_refused(trial):
    (trial / "plates.csv").write_text(
        "plate_id,analyte,unit,kit_lot,export_file,map_file\nR1,IL6,pg/mL,L1,run.txt,map1.csv\n"
    )
    with pytest.raises(PlateFormatError, match=r"holds 2 plates \(1 'Plate1', 2 'Plate1'\).*plate column"):
        quantify_plates(trial / "plates.csv", reads={"IL6": {"wavelength_nm": 450}})


def test_the_wavelength_comes_from_the_config_and_its_absence_names_the_key(trial):
    manifest = read_manifest(trial / "plates.csv")
    _, _, problems = quantify_batch(manifest, reads={"IL6": {"wavelength_nm": 405}})
    assert len(problems) == 2
    assert "no 405 nm read" in problems[0].message and "elisa.reads.IL6.wavelength_nm" in problems[0].message
    _, _, problems = quantify_batch(manifest, reads={})
    assert "no wavelength is named" in problems[0].message


def test_the_manifest_overrides_the_config_per_plate(trial):
    text = (trial / "plates.csv").read_text().replace(",plate\n", ",plate,wavelength_nm\n")
    text = text.replace("map1.csv,1\n", "map1.csv,1,450\n").replace("map2.csv,2\n", "map2.csv,2,\n")
    (trial / "plates.csv").write_text(text)
    tables, _, problems = quantify_batch(read_manifest(trial / "plates.csv"), reads={"IL6": {"wavelength_nm": 405}})
    assert len(problems) == 1 and "no 405 nm read" in problems[0].message and "plate R2" in problems[0].message
    assert list(tables["plate_qc"]["plate_id"]) == ["R1"]  # R1 read at the manifest's 450 nm; R2 at 405: refused


def test_a_384_well_map_position_on_a_96_well_export_is_refused(tmp_path):
    ods, lines = plate_layout({"P01": 120.0})
    (tmp_path / "map.csv").write_text("\n".join(lines) + "\n")
    grid = [",1,2,3,4,5,6,7,8,9,10,11,12"] + [r + "," + ",".join("0.100" for _ in range(12)) for r in "ABCDEFGH"]
    (tmp_path / "p.csv").write_text("\n".join(grid) + "\n")
    (tmp_path / "plates.csv").write_text(
        "plate_id,analyte,unit,kit_lot,export_file,map_file\nR1,IL6,pg/mL,L1,p.csv,map.csv\n"
    )
    _, _, problems = quantify_batch(read_manifest(tmp_path / "plates.csv"), reads={"IL6": {"wavelength_nm": 450}})
    assert problems and all(p.column == "well" for p in problems)
    assert "well I23 is not on plate R1's export, a 96-well plate" in problems[0].message
