"""End to end: exports + maps + manifest → QuantResult (trialflow.elisa.quantify).

``tests/data/elisa/study`` holds four plates written by ``write_demo_plates`` (plain grid
CSV with and without a 570 nm grid, Gen5 text, Gen5-style XLSX) from ``target.csv``.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trialflow.elisa import (
    AcceptanceRules,
    ConcentrationsSchema,
    PlateFormatError,
    PlateMapError,
    PlateQCSchema,
    QuantResult,
    quantify_plates,
)

STUDY = Path(__file__).parent / "data" / "elisa" / "study"
KEY = ["participant_id", "time", "analyte"]
PERTURBED = {
    ("S03", "week8", "BDNF"): "high_cv",
    ("S04", "baseline", "GDNF"): "< LLOQ",
    ("S21", "week8", "GDNF"): "saturated",
}


@pytest.fixture(scope="module")
def study() -> QuantResult:
    return quantify_plates(STUDY / "plates.csv", AcceptanceRules())


def test_output_tables_and_schemas(study):
    ConcentrationsSchema.validate(study.concentrations)
    PlateQCSchema.validate(study.plate_qc)
    assert list(study.concentrations.columns) == [
        "participant_id",
        "time",
        "analyte",
        "concentration",
        "n_replicates",
        "sd",
        "cv_pct",
        "flag",
        "plate_id",
        "wells",
        "dilution",
    ]
    assert list(study.plate_qc.columns[:19]) == [
        "plate_id",
        "analyte",
        "unit",
        "kit_lot",
        "model",
        "weighting",
        "a",
        "b",
        "c",
        "d",
        "g",
        "r2",
        "n_standards",
        "n_standards_pass",
        "controls_pass",
        "lloq",
        "uloq",
        "verdict",
        "reasons",
    ]
    assert len(study.wells) == 4 * 96
    assert {"backcalc_conc", "od_corrected", "source", "flag"} <= set(study.wells.columns)
    assert len(study.standards) == 4 * 7 and len(study.controls) == 4 * 2
    assert set(study.curves.columns) == {"plate_id", "analyte", "conc", "od_fit"}


def test_all_formats_and_plates_pass(study):
    qc = study.plate_qc.set_index("plate_id")
    assert sorted(qc["export_format"]) == ["gen5-text", "gen5-xlsx", "grid-text", "grid-text"]
    assert (qc["verdict"] == "pass").all() and (qc["n_standards_pass"] == 7).all()
    assert qc.loc["BDNF_P01", "lloq"] == 31.25 and qc.loc["BDNF_P01", "uloq"] == 2000.0
    assert qc.loc["GDNF_P01", "lloq"] == 15.625 and qc.loc["GDNF_P01", "uloq"] == 1000.0
    assert (qc["r2"] > 0.999).all() and (qc["model"] == "4PL").all()
    assert (qc["weighting"] == "1/y^2").all() and qc["g"].isna().all()


def test_perturbed_samples_are_flagged(study):
    c = study.concentrations.set_index(KEY)
    flagged = {k: f for k, f in c["flag"].items() if f}
    assert flagged == PERTURBED
    assert math.isnan(c.loc[("S04", "baseline", "GDNF"), "concentration"])
    assert math.isnan(c.loc[("S21", "week8", "GDNF"), "concentration"])
    assert c.loc[("S03", "week8", "BDNF"), "cv_pct"] > 20


def test_group_means_and_sds_reproduce_targets(study):
    target = pd.read_csv(STUDY / "target.csv", dtype={"participant_id": str, "time": str})
    got = study.concentrations[study.concentrations["flag"].isin(["", "high_cv"])]  # high-CV results are analysed
    m = got.merge(target, on=KEY, suffixes=("", "_target"), validate="one_to_one")
    assert len(m) == len(target) - 1  # the censored target is not usable; the high-CV one is
    assert (m["concentration"] - m["concentration_target"]).abs().max() < 0.5
    g = m.groupby(["analyte", "time", "arm"]).agg(
        mean=("concentration", "mean"),
        sd=("concentration", "std"),
        mean_t=("concentration_target", "mean"),
        sd_t=("concentration_target", "std"),
    )
    # far inside the ±0.005 that rounding to 2 decimals allows (a target statistic that
    # sits exactly on a rounding boundary, like 214.875, can still round either way)
    assert (g["mean"] - g["mean_t"]).abs().max() < 1e-4
    assert (g["sd"] - g["sd_t"]).abs().max() < 1e-4


def test_wells_trace_back_to_the_export_cells(study):
    w = study.wells.set_index(["plate_id", "well"])
    assert w.loc[("BDNF_P01", "A1"), "source"] == "BDNF_P01.csv:line 2, col 2"
    assert w.loc[("GDNF_P01", "A1"), "source"].startswith("GDNF_P01.xlsx:Sheet1!B")
    smp = study.wells[study.wells["role"] == "sample"]
    ok = smp["flag"] == ""
    assert smp.loc[ok, "backcalc_conc"].notna().all()
    np.testing.assert_array_equal(
        study.wells["od_corrected"],
        study.wells["od"] - study.wells["plate_id"].map(study.plate_qc.set_index("plate_id")["blank_od"]),
    )


def test_broken_export_raises_plate_format_error(tmp_path):
    work = tmp_path / "study"
    shutil.copytree(STUDY, work)
    (work / "exports" / "BDNF_P02.txt").write_text("Software Version\t3.11\n\nno data\n")
    with pytest.raises(PlateFormatError) as exc:
        quantify_plates(work / "plates.csv")
    assert "BDNF_P02.txt" in str(exc.value) and "no 96-well grid" in str(exc.value)


def test_map_problems_of_all_plates_are_collected(tmp_path):
    work = tmp_path / "study"
    shutil.copytree(STUDY, work)
    for name, old, new in (("BDNF_P01.csv", "A1,standard", "A1,standrd"), ("GDNF_P02.csv", "H1,blank", "H13,blank")):
        p = work / "maps" / name
        p.write_text(p.read_text().replace(old, new, 1))
    with pytest.raises(PlateMapError) as exc:
        quantify_plates(work / "plates.csv")
    cols = {(Path(p.file).name, p.line, p.column) for p in exc.value.problems}
    assert cols == {("BDNF_P01.csv", "2", "role"), ("GDNF_P02.csv", "16", "well")}


def test_other_model_and_weighting_on_study(study):
    res = quantify_plates(STUDY / "plates.csv", AcceptanceRules(), model="5PL", weighting="1/y")
    PlateQCSchema.validate(res.plate_qc)
    assert (res.plate_qc["model"] == "5PL").all() and res.plate_qc["g"].notna().all()
    both = res.concentrations.merge(study.concentrations, on=KEY, suffixes=("", "_4pl"))
    ok = (both["flag"] == "") & (both["flag_4pl"] == "")
    rel = (both.loc[ok, "concentration"] / both.loc[ok, "concentration_4pl"] - 1).abs()
    assert rel.max() < 0.05  # a different but close model


ELISA_TABLES = ["wells", "standards", "controls", "plate_qc", "curves", "concentrations"]


def _combine_in_batches(tmp_path, batches: list[list[int]]) -> Path:
    """Quantify the study's plates in the given batches of manifest rows (by index, in any
    order), as the workflow's quantify_batch jobs do, and put them together with combine_plates."""
    from trialflow.elisa.plate_map import manifest_rows
    from trialflow.steps import elisa

    manifest = STUDY / "plates.csv"
    _, rows = manifest_rows(manifest)
    paths = []
    for i, batch in enumerate(batches):
        paths.append(str(tmp_path / f"batch-{i}.pickle"))
        plates = [{"line": rows[j][0], "row": rows[j][1]} for j in batch]
        units = {"BDNF": "pg/mL", "GDNF": "pg/mL"}
        elisa.quantify_batch(str(manifest), "plates.csv", plates, {}, "4PL", "1/y^2", units, {}, paths[-1])
    out = tmp_path / "combined"
    target = pd.read_csv(STUDY / "target.csv")
    target.drop_duplicates("participant_id")[["participant_id", "arm"]].to_csv(tmp_path / "people.csv", index=False)
    elisa.combine_plates(
        str(manifest),
        "plates.csv",
        paths,
        participants=str(tmp_path / "people.csv"),
        time_points=sorted(set(target["time"])),
        units={"BDNF": "pg/mL", "GDNF": "pg/mL"},
        out={name: str(out / f"{name}.csv") for name in ELISA_TABLES}
        | {name: str(out / f"rows_{name}.csv") for name in ("table", "missing", "row_problems")}
        | {
            "problems": str(out / "problems.csv"),
            "plates_by_analyte": str(out / "plates_by_analyte.csv"),
            "measurements": str(out / "measurements.csv"),
        },
    )
    return out


@pytest.mark.parametrize("join_rows", [True, False], ids=["rows joined as text", "whole tables formatted"])
def test_batches_combine_to_the_tables_of_one_pass(study, tmp_path, monkeypatch, join_rows):
    """Batches that mix analytes and come out of manifest order give, byte for byte, the CSV
    files of quantifying all plates at once: whether combine_plates joins the batches' CSV rows
    per plate or (rows that cannot be joined) formats the whole tables."""
    from trialflow.outputs import csv_text
    from trialflow.steps import elisa

    if not join_rows:
        monkeypatch.setattr(elisa, "csv_rows_by", lambda frame, column: None)
    out = _combine_in_batches(tmp_path, [[1, 2], [3, 0]])
    for name in ELISA_TABLES:
        assert (out / f"{name}.csv").read_text(encoding="utf-8") == csv_text(getattr(study, name)), name
    # and the usable results became analysis rows, traced to the export line of their first well
    rows = pd.read_csv(out / "rows_table.csv", dtype=str)
    usable = study.concentrations[study.concentrations["flag"].isin(["", "high_cv"])]
    assert len(rows) == len(usable) and rows["source_line"].str.contains(r"\S \(well [A-H]\d{1,2}\)$").all()


def test_rows_are_joined_only_when_they_format_as_the_whole_table():
    """Rows are joined in manifest order; not when a column's dtype differs between batches (an
    integer column with a gap is float in the whole table: 1 would print as 1.0) or a plate is
    not in the manifest."""
    from trialflow.elisa import read_manifest
    from trialflow.outputs import csv_rows_by, joined_csv_rows

    order = list(read_manifest(STUDY / "plates.csv")["plate_id"])

    def join(*parts) -> str | None:
        frames = [pd.DataFrame({"plate_id": [plate], "n": [n]}) for plate, n in parts]
        return joined_csv_rows(frames, [csv_rows_by(f, "plate_id") for f in frames], order)

    assert join(("GDNF_P01", 2), ("BDNF_P01", 1)) == "plate_id,n\nBDNF_P01,1\nGDNF_P01,2\n"
    assert join(("BDNF_P01", 1), ("GDNF_P01", np.nan)) is None
    assert join(("BDNF_P01", 1), ("XXX_P09", 2)) is None


def test_typed_frame_is_from_records_then_astype():
    """The plate tables are built with trialflow.outputs.typed_frame instead of
    ``DataFrame.from_records(...).astype(...)``: the same columns, dtypes, index and values."""
    from trialflow.outputs import typed_frame

    dtypes = {"group": "str", "conc": float, "n": "int64", "passed": bool, "wells": "str"}
    cases = [
        [("STD_1", 1.5, 2, True, "A1;A2"), ("STD_2", math.nan, 0, False, "")],
        [("S01|week8|x1", None, np.int64(3), np.True_, "B1")],  # None and NumPy scalars as the loops make them
        [],  # a plate without controls
    ]
    for rows in cases:
        expected = pd.DataFrame.from_records(rows, columns=list(dtypes)).astype(dtypes)
        pd.testing.assert_frame_equal(typed_frame(rows, dtypes), expected, check_exact=True)
    # Where they differ, as documented: a number in a text column is not made a float first.
    assert typed_frame([(1, 0.0, 0, True, ""), (None, 0.0, 0, True, "")], dtypes)["group"].tolist()[0] == "1"
    with pytest.raises(ValueError, match="rows of 4 values for 5 columns"):
        typed_frame([("x", 1.0, 1, True)], dtypes)


def test_the_map_is_joined_to_the_wells_as_a_left_merge_on_well():
    """_merge_map joins by position; it must equal the pandas merge it replaced, also for a map that
    leaves wells out (role 'unused', empty text, NaN numbers) and lists them in another order."""
    from trialflow.elisa.plate_map import read_plate_map
    from trialflow.elisa.quantify import _merge_map
    from trialflow.elisa.readers import read_plate_export
    from trialflow.elisa.readers.choose import ReadChoice

    manifest = pd.read_csv(STUDY / "plates.csv", dtype=str, keep_default_na=False)
    raw = read_plate_export(STUDY / manifest.loc[0, "export_file"], choice=ReadChoice(reference_nm=570))
    plate_map = read_plate_map(STUDY / manifest.loc[0, "map_file"])
    for subset in (plate_map, plate_map.iloc[7:50], plate_map.iloc[::-1].reset_index(drop=True)):
        expected = raw.merge(subset.drop(columns="map_line"), on="well", how="left", validate="one_to_one")
        expected["role"] = expected["role"].fillna("unused")
        for col in ("replicate_group", "participant_id", "time"):
            expected[col] = expected[col].fillna("").astype(str)
        got = _merge_map(raw, subset)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
        assert got.attrs == {}  # as merge gives: the export's attrs stay on the export
    assert (_merge_map(raw, plate_map.iloc[7:50])["role"] == "unused").sum() == len(raw) - 43
