"""Plate maps and manifests (trialflow.elisa.plate_map)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from trialflow.elisa import PlateMapError, read_manifest, read_plate_map
from trialflow.outputs import csv_text
from trialflow.problems import Problem, problems_frame
from trialflow.steps.elisa import relative_problem

DATA = Path(__file__).parent / "data" / "elisa"
HEADER = "well,role,participant_id,time,nominal_conc,dilution,replicate_group"
STANDARDS = [
    f"{r}{c},standard,,,{conc},,S{i}"
    for i, (r, conc) in enumerate(zip("ABCDEFG", [1000, 500, 250, 125, 62.5, 31.25, 15.625], strict=True))
    for c in (1, 2)
]
GOOD = [
    HEADER,
    *STANDARDS,
    "H1,blank,,,,,",
    "H2,blank,,,,,",
    "A3,control,,,100,1,CTRL",
    "A4,control,,,100,1,CTRL",
    "B3,sample,P01,week0,,2,",
    "B4,sample,P01,week0,,2,",
    "c3,sample,P02,week0,,1,",
    "C04,sample,P02,week0,,1,",
]


def _write(tmp_path, lines, name="map.csv"):
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


def test_valid_map_with_derived_groups(tmp_path):
    df = read_plate_map(_write(tmp_path, GOOD))
    assert list(df.columns) == [
        "well",
        "role",
        "participant_id",
        "time",
        "nominal_conc",
        "dilution",
        "replicate_group",
        "map_line",
    ]
    w = df.set_index("well")
    assert w.loc["C3", "replicate_group"] == "P02|week0|x1"  # 'c3' normalised, group derived
    assert w.loc["C4", "map_line"] == 23
    assert w.loc["B3", "replicate_group"] == "P01|week0|x2" and w.loc["B3", "dilution"] == 2.0
    assert w.loc["H1", "replicate_group"] == "BLANK" and pd.isna(w.loc["H1", "nominal_conc"])
    assert w.loc["A1", "nominal_conc"] == 1000.0 and w.loc["A1", "dilution"] == 1.0
    assert w.loc["A3", "participant_id"] == "" and w.loc["B3", "time"] == "week0"


def test_study_maps_are_valid():
    for p in sorted((DATA / "study" / "maps").glob("*.csv")):
        df = read_plate_map(p)
        assert df["role"].value_counts()["standard"] == 14
        assert df.loc[df["role"] == "standard", "nominal_conc"].nunique() == 7


def test_every_problem_is_reported_with_file_line_column_value(tmp_path):
    lines = [
        HEADER,
        *STANDARDS,
        "H1,blank,,,,,",
        "H1,blank,,,,,",  # 17 duplicate well
        "Q1,sample,P01,w0,,1,",  # 18 bad well (no plate has a row Q)
        "A5,standrd,,,10,,",  # 19 bad role
        "A6,control,,,,,",  # 20 control without nominal
        "A7,sample,,w0,,1,",  # 21 sample without participant
        "A8,sample,P02,w0,,0.5,",  # 22 dilution < 1
        "A9,sample,P03,w0,,two,",  # 23 not a number
        "A10,sample,P04,w0,5,1,",  # 24 nominal on a sample
        "A11,standard,,,2000,2,",
    ]  # 25 dilution on a standard
    with pytest.raises(PlateMapError) as exc:
        read_plate_map(_write(tmp_path, lines))
    got = {(p.line, p.column, p.value) for p in exc.value.problems}
    assert got == {
        ("17", "well", "H1"),
        ("18", "well", "Q1"),
        ("19", "role", "standrd"),
        ("20", "nominal_conc", ""),
        ("21", "participant_id", ""),
        ("22", "dilution", "0.5"),
        ("23", "dilution", "two"),
        ("24", "nominal_conc", "5"),
        ("25", "dilution", "2"),
    }
    assert all(p.file.endswith("map.csv") for p in exc.value.problems)
    assert {(p.rule, p.severity) for p in exc.value.problems} == {("plate_input", "error")}
    msg = str(exc.value)
    assert (
        "map.csv, line 19, column 'role': role must be one of blank, standard, control, sample "
        "(value 'standrd') [plate_input]"
    ) in msg
    frame = exc.value.as_frame()
    assert list(frame.columns) == ["file", "line", "column", "value", "rule", "severity", "message"]


def test_plate_problems_are_the_validation_rows_with_files_named_inside_the_raw_folder(tmp_path):
    # the rows results/qc/validation.csv holds for plate-map problems, exactly (an auditor compares them)
    maps = tmp_path / "raw" / "elisa" / "maps"
    maps.mkdir(parents=True)
    _write(maps, [HEADER, *STANDARDS, "H1,blank,,,,,", "A5,standrd,,,10,,"], "P1.csv")
    _write(maps, [HEADER, *STANDARDS[:8]], "P2.csv")  # 4 levels, no blank: the map as a whole
    found = []
    for name in ("P1.csv", "P2.csv"):
        with pytest.raises(PlateMapError) as exc:
            read_plate_map(maps / name)
        found += [relative_problem(p, str(tmp_path / "raw")) for p in exc.value.problems]
    role = "role must be one of blank, standard, control, sample"
    levels = "standard series has 4 concentration level(s); at least 5 are required"
    assert found == [
        Problem("elisa/maps/P1.csv", "17", "role", "standrd", "plate_input", "error", role),
        Problem("elisa/maps/P2.csv", "", "nominal_conc", "4", "plate_input", "error", levels),
        Problem("elisa/maps/P2.csv", "", "role", "", "plate_input", "error", "no blank wells"),
    ]
    assert csv_text(problems_frame(found)) == (
        "file,line,column,value,rule,severity,message\n"
        f'elisa/maps/P1.csv,17,role,standrd,plate_input,error,"{role}"\n'
        f"elisa/maps/P2.csv,,nominal_conc,4,plate_input,error,{levels}\n"
        "elisa/maps/P2.csv,,role,,plate_input,error,no blank wells\n"
    )


def test_missing_standards_and_blanks(tmp_path):
    lines = [HEADER, *STANDARDS[:8], "A3,sample,P01,w0,,1,"]  # 4 levels, no blank
    with pytest.raises(PlateMapError) as exc:
        read_plate_map(_write(tmp_path, lines))
    problems = [p.message for p in exc.value.problems]
    assert any("4 concentration level(s); at least 5" in p for p in problems)
    assert any("no blank wells" in p for p in problems)
    assert {p.line for p in exc.value.problems} == {""}  # about the map as a whole: no line
    # the minimum is configurable
    lines = [HEADER, *STANDARDS[:8], "H1,blank,,,,,"]
    assert len(read_plate_map(_write(tmp_path, lines), min_standard_levels=4)) == 9


def test_inconsistent_replicate_group_and_split_sample(tmp_path):
    lines = [
        *GOOD,
        "D3,sample,P03,week0,,1,G1",
        "D4,sample,P03,week4,,1,G1",
        "E3,sample,P05,week0,,1,X",
        "E4,sample,P05,week0,,1,Y",
    ]
    with pytest.raises(PlateMapError) as exc:
        read_plate_map(_write(tmp_path, lines))
    msgs = {(p.line, p.column): p.message for p in exc.value.problems}
    assert "mixes wells with different time" in msgs[("25", "time")]
    assert "split over several replicate groups" in msgs[("26", "replicate_group")]


def test_a_sample_or_standard_level_split_over_groups_is_named_on_each_group(tmp_path):
    lines = [
        *GOOD,
        "D5,standard,,,1000,,S_HI_A",  # the same level as the series' top standard, another group
        "E5,sample,P05,week0,,1,X",
        "E6,sample,P05,week0,,1,Y",
        "F5,sample,P05,week0,,2,Z",  # another dilution: a group of its own, not split
    ]
    with pytest.raises(PlateMapError) as exc:
        read_plate_map(_write(tmp_path, lines))
    found = [(p.line, p.value, p.message) for p in exc.value.problems]
    assert [(line, value) for line, value, _ in found] == [
        ("25", "X"),
        ("26", "Y"),
        ("2", "S0"),
        ("24", "S_HI_A"),
    ]
    assert found[0][2] == (
        "participant 'P05' time 'week0' at dilution 1 is split over several replicate groups; use one group"
    )
    assert found[2][2] == "standard level 1000 is split over several replicate groups; use one group per level"


def test_unknown_and_missing_columns(tmp_path):
    with pytest.raises(PlateMapError, match="unknown column"):
        read_plate_map(_write(tmp_path, [HEADER + ",dilutoin", "A1,blank,,,,,,"]))
    with pytest.raises(PlateMapError, match="required column missing"):
        read_plate_map(_write(tmp_path, ["well,participant_id", "A1,P1"]))
    with pytest.raises(PlateMapError, match="file not found"):
        read_plate_map(tmp_path / "absent.csv")


def test_manifest(tmp_path):
    m = read_manifest(DATA / "study" / "plates.csv")
    assert list(m.columns) == [
        "plate_id",
        "analyte",
        "unit",
        "kit_lot",
        "export_file",
        "map_file",
        "wavelength_nm",
        "reference_nm",
        "read",
        "plate",
        "export_path",
        "map_path",
        "manifest_line",
    ]
    assert m["plate_id"].is_unique and len(m) == 4
    assert all(Path(p).is_file() for p in m["export_path"])
    (tmp_path / "e.csv").write_text("x")
    (tmp_path / "m.csv").write_text("x")
    bad = _write(
        tmp_path,
        [
            "plate_id,analyte,unit,kit_lot,export_file,map_file,reference_nm",
            "P1,BDNF,pg/mL,L1,e.csv,m.csv,",
            "P1,BDNF,pg/mL,,e.csv,missing.csv,",
        ],
        "plates.csv",
    )
    with pytest.raises(PlateMapError) as exc:
        read_manifest(bad)
    got = {(p.line, p.column) for p in exc.value.problems}
    assert got == {("3", "kit_lot"), ("3", "plate_id"), ("3", "map_file"), ("3", "export_file")}
