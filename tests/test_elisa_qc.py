"""Acceptance rules: each rule with a plate built to break it (trialflow.elisa.qc)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trialflow.elisa import (
    AcceptanceRules,
    ConcentrationsSchema,
    PlateMapError,
    PlateQCSchema,
    quantify_plates,
)
from trialflow.elisa.curve import four_pl
from trialflow.elisa.qc import evaluate_standards, quantitation_limits

TRUE = {"a": 0.02, "b": 1.1, "c": 800.0, "d": 3.0}
LEVELS = [2000.0, 1000.0, 500.0, 250.0, 125.0, 62.5, 31.25]
BLANK = 0.05
ROWS = "ABCDEFGH"


def od_for(conc_in_well: float) -> float:
    """Exact OD of a well holding ``conc_in_well`` pg/mL (true curve + blank)."""
    return float(four_pl(conc_in_well, **TRUE)) + BLANK


class Plate:
    """A 96-well plate written as a plain grid CSV with exact (unrounded) ODs.

    Standards A-G × columns 1-2 (2000 … 31.25 pg/mL), blanks H1-H2, controls
    A3/A4 (150 pg/mL) and B3/B4 (750 pg/mL); samples anywhere else.
    """

    def __init__(self, plate_id: str = "P1", levels=LEVELS) -> None:
        self.plate_id = plate_id
        self.od: dict[str, object] = {f"{r}{c}": BLANK for r in ROWS for c in range(1, 13)}
        self.map = ["well,role,participant_id,time,nominal_conc,dilution,replicate_group"]
        for i, lv in enumerate(levels):
            for c in (1, 2):
                self.od[f"{ROWS[i]}{c}"] = od_for(lv)
                self.map.append(f"{ROWS[i]}{c},standard,,,{lv!r},,STD{i + 1}")
        for w in ("H1", "H2"):
            self.map.append(f"{w},blank,,,,,")
        for name, nominal, wells in (("CTRL_LOW", 150.0, ("A3", "A4")), ("CTRL_HIGH", 750.0, ("B3", "B4"))):
            for w in wells:
                self.od[w] = od_for(nominal)
                self.map.append(f"{w},control,,,{nominal!r},,{name}")

    def standard(self, level: float, conc_as_if: float) -> Plate:
        """Make the wells of standard ``level`` read like ``conc_as_if``."""
        row = ROWS[LEVELS.index(level)]
        for c in (1, 2):
            self.od[f"{row}{c}"] = od_for(conc_as_if)
        return self

    def sample(self, wells, pid, time, concs, dilution=1.0) -> Plate:
        """Sample replicates in ``wells`` with final concentrations ``concs`` (pg/mL)."""
        for w, conc in zip(wells, concs, strict=True):
            self.od[w] = conc if isinstance(conc, str) else od_for(conc / dilution)
            self.map.append(f"{w},sample,{pid},{time},,{dilution!r},")
        return self

    def write(self, folder: Path) -> tuple[str, str]:
        lines = [",".join([""] + [str(c) for c in range(1, 13)])]
        for r in ROWS:
            vals = [self.od[f"{r}{c}"] for c in range(1, 13)]
            lines.append(",".join([r] + [v if isinstance(v, str) else repr(v) for v in vals]))
        export = folder / f"{self.plate_id}.csv"
        export.write_text("\n".join(lines) + "\n")
        mp = folder / f"{self.plate_id}_map.csv"
        mp.write_text("\n".join(self.map) + "\n")
        return export.name, mp.name


def run(tmp_path: Path, *plates: Plate, rules=None, **kw):
    rows = ["plate_id,analyte,unit,kit_lot,export_file,map_file,reference_nm"]
    for p in plates:
        e, m = p.write(tmp_path)
        rows.append(f"{p.plate_id},BDNF,pg/mL,LOT1,{e},{m},")
    (tmp_path / "plates.csv").write_text("\n".join(rows) + "\n")
    res = quantify_plates(tmp_path / "plates.csv", rules or AcceptanceRules(), **kw)
    ConcentrationsSchema.validate(res.concentrations)
    PlateQCSchema.validate(res.plate_qc)
    return res


def conc_row(res, pid, time="t0"):
    c = res.concentrations
    return c[(c["participant_id"] == pid) & (c["time"] == time)].iloc[0]


def test_clean_plate_passes_and_reproduces_concentrations(tmp_path):
    plate = Plate().sample(("C3", "C4"), "P01", "t0", (200.0, 210.0))
    plate.sample(("D3", "D4"), "P02", "t0", (800.0, 820.0), dilution=4.0)
    res = run(tmp_path, plate)
    qc = res.plate_qc.iloc[0]
    assert qc["verdict"] == "pass" and qc["reasons"] == ""
    assert (qc["n_standards"], qc["n_standards_pass"]) == (7, 7)
    assert qc["lloq"] == 31.25 and qc["uloq"] == 2000.0 and bool(qc["controls_pass"])
    for k, v in TRUE.items():
        assert qc[k] == pytest.approx(v, rel=1e-6)
    assert math.isnan(qc["g"]) and qc["blank_od"] == pytest.approx(BLANK)
    np.testing.assert_allclose(res.standards["recovery_pct"], 100.0, rtol=1e-6)
    r1, r2 = conc_row(res, "P01"), conc_row(res, "P02")
    assert r1["flag"] == "" and r1["concentration"] == pytest.approx(205.0, rel=1e-8)
    assert r1["n_replicates"] == 2 and r1["wells"] == "C3;C4"
    assert r1["cv_pct"] == pytest.approx(np.std([200, 210], ddof=1) / 205 * 100, rel=1e-6)
    assert r2["flag"] == "" and r2["concentration"] == pytest.approx(810.0, rel=1e-8)
    assert r2["dilution"] == 4.0
    wells = res.wells.set_index("well")
    assert wells.loc["D3", "backcalc_conc"] == pytest.approx(800.0, rel=1e-8)
    assert len(res.wells) == 96 and (wells.loc["H5", "role"] == "unused")
    assert set(res.curves["plate_id"]) == {"P1"} and len(res.curves) == 200


def test_one_standard_with_bad_recovery_is_excluded_and_curve_refitted(tmp_path):
    res = run(tmp_path, Plate().standard(500.0, 300.0))
    std = res.standards.set_index("nominal_conc")
    assert not std.loc[500.0, "passed"] and std.loc[500.0, "excluded"]
    assert std.loc[500.0, "recovery_pct"] == pytest.approx(60.0, rel=1e-6)
    np.testing.assert_allclose(std.loc[std.index != 500.0, "recovery_pct"], 100.0, rtol=1e-6)
    qc = res.plate_qc.iloc[0]
    assert qc["n_standards_pass"] == 6 and qc["verdict"] == "pass"  # 6/7 = 86 % >= 75 %
    assert qc["c"] == pytest.approx(TRUE["c"], rel=1e-6)  # refit without the bad level
    wells = res.wells.set_index("well")
    assert wells.loc["C1", "flag"] == "excluded" and wells.loc["D1", "flag"] == ""
    # without the refit rule the distorted first fit stands and the plate fails
    res2 = run(tmp_path, Plate().standard(500.0, 300.0), rules=AcceptanceRules(refit_without_failed_standards=False))
    assert res2.plate_qc.iloc[0]["verdict"] == "fail"
    assert not res2.standards["excluded"].any()


def test_too_many_failing_standards_fail_the_plate(tmp_path):
    plate = Plate().standard(500.0, 250.0).standard(125.0, 300.0)
    plate.sample(("C3", "C4"), "P01", "t0", (200.0, 200.0))
    res = run(tmp_path, plate)
    qc = res.plate_qc.iloc[0]
    assert qc["verdict"] == "fail" and qc["n_standards_pass"] < 6
    assert "standard levels pass" in qc["reasons"] and "< 75%" in qc["reasons"]
    row = conc_row(res, "P01")
    assert row["flag"] == "plate_failed" and math.isnan(row["concentration"])


def _std_frame(recoveries: dict[float, float]) -> pd.DataFrame:
    rows = []
    for lv in LEVELS:
        for w in ("x", "y"):
            rows.append(
                dict(
                    plate_id="P",
                    analyte="A",
                    well=w,
                    role="standard",
                    replicate_group=f"S{lv}",
                    nominal_conc=lv,
                    od_corrected=1.0,
                    backcalc_conc=lv * recoveries.get(lv, 100.0) / 100,
                    flag="",
                )
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("recovery", "lowest_passes", "middle_passes"),
    [
        (122.0, True, False),
        (78.0, True, False),
        (119.9, True, True),
        (126.0, False, False),
        (74.0, False, False),
        (80.0, True, True),
        (120.0, True, True),
    ],
)
def test_recovery_limits_lowest_level_is_wider(recovery, lowest_passes, middle_passes):
    std = evaluate_standards(_std_frame({31.25: recovery, 250.0: recovery}), AcceptanceRules())
    s = std.set_index("nominal_conc")
    assert bool(s.loc[31.25, "passed"]) is lowest_passes
    assert bool(s.loc[250.0, "passed"]) is middle_passes
    assert s.loc[31.25, "is_lowest_level"] and (s.loc[31.25, "recovery_low"] == 75.0)


def test_quantitation_limits_are_lowest_and_highest_passing_levels():
    std = pd.DataFrame({"nominal_conc": LEVELS, "passed": [False, True, True, False, True, True, False]})
    assert quantitation_limits(std) == (62.5, 1000.0)
    std["passed"] = False
    assert all(math.isnan(v) for v in quantitation_limits(std))


def test_lloq_is_lowest_passing_standard_and_samples_below_are_censored(tmp_path):
    plate = Plate()
    plate.od["G1"] = plate.od["G2"] = "n.d."  # lowest level (31.25) unreadable: fails
    plate.sample(("C3", "C4"), "P01", "t0", (45.0, 45.0))
    plate.sample(("D3", "D4"), "P02", "t0", (70.0, 72.0))
    res = run(tmp_path, plate)
    qc = res.plate_qc.iloc[0]
    assert qc["verdict"] == "pass" and qc["lloq"] == 62.5 and qc["uloq"] == 2000.0
    below = conc_row(res, "P01")
    assert below["flag"] == "< LLOQ" and math.isnan(below["concentration"])
    assert math.isnan(below["sd"]) and math.isnan(below["cv_pct"])
    assert conc_row(res, "P02")["flag"] == ""


def test_high_cv_and_the_near_lloq_allowance(tmp_path):
    plate = Plate()
    plate.sample(("C3", "C4"), "HIGH", "t0", (100.0, 140.0))  # CV 23.6 %
    plate.sample(("D3", "D4"), "NEAR", "t0", (40.0, 50.0))  # mean 45 <= 1.5*31.25, CV 15.7 %
    plate.sample(("E3", "E4"), "MID", "t0", (400.0, 500.0))  # same CV, mid range
    plate.sample(("F3", "F4"), "NEAR_BAD", "t0", (36.0, 56.0))  # mean 46, CV 30.7 %
    plate.sample(("G3", "G4"), "ABOVE_NEAR", "t0", (43.0, 53.0))  # mean 48 > 46.875, CV 14.7 %
    res = run(tmp_path, plate)
    high = conc_row(res, "HIGH")
    assert high["flag"] == "high_cv" and high["concentration"] == pytest.approx(120.0, rel=1e-8)
    assert high["cv_pct"] == pytest.approx(40 / math.sqrt(2) / 120 * 100, rel=1e-6)
    assert conc_row(res, "NEAR")["flag"] == ""
    assert conc_row(res, "MID")["flag"] == "high_cv"
    assert conc_row(res, "NEAR_BAD")["flag"] == "high_cv"
    assert conc_row(res, "ABOVE_NEAR")["flag"] == ""
    # a looser rule set accepts the high-CV sample
    res2 = run(tmp_path, plate, rules=AcceptanceRules(max_cv_pct=25.0))
    assert conc_row(res2, "HIGH")["flag"] == "" and conc_row(res2, "MID")["flag"] == ""


def test_out_of_range_samples_are_censored_not_extrapolated(tmp_path):
    plate = Plate()
    plate.sample(("C3", "C4"), "LOW", "t0", (10.0, 11.0))
    plate.sample(("D3", "D4"), "HIGH", "t0", (3000.0, 3100.0))
    plate.sample(("E3", "E4"), "ABOVE_D", "t0", (repr(TRUE["d"] + BLANK + 0.2),) * 2)
    plate.sample(("F3", "F4"), "BELOW_A", "t0", (repr(BLANK - 0.01),) * 2)
    plate.sample(("G3", "G4"), "DILUTED", "t0", (3000.0, 3100.0), dilution=2.0)
    res = run(tmp_path, plate)
    assert conc_row(res, "LOW")["flag"] == "< LLOQ"
    assert conc_row(res, "HIGH")["flag"] == "> ULOQ"
    assert conc_row(res, "ABOVE_D")["flag"] == "> ULOQ"
    assert conc_row(res, "BELOW_A")["flag"] == "< LLOQ"
    for pid in ("LOW", "HIGH", "ABOVE_D", "BELOW_A"):
        assert math.isnan(conc_row(res, pid)["concentration"])
    # at dilution 2 the reportable range is 62.5 .. 4000 pg/mL
    dil = conc_row(res, "DILUTED")
    assert dil["flag"] == "" and dil["concentration"] == pytest.approx(3050.0, rel=1e-8)
    wells = res.wells.set_index("well")
    assert wells.loc["E3", "flag"] == "above_curve" and wells.loc["F3", "flag"] == "below_curve"
    assert math.isnan(wells.loc["E3", "backcalc_conc"])


def test_failed_control_fails_plate_and_excludes_samples(tmp_path):
    plate = Plate().sample(("C3", "C4"), "P01", "t0", (200.0, 200.0))
    plate.od["A3"] = plate.od["A4"] = od_for(100.0)  # CTRL_LOW (150) recovers 66.7 %
    res = run(tmp_path, plate)
    qc = res.plate_qc.iloc[0]
    assert qc["verdict"] == "fail" and not qc["controls_pass"]
    assert "control CTRL_LOW: recovery 66.7% outside 100 ± 20%" in qc["reasons"]
    assert qc["n_controls"] == 2 and qc["n_controls_pass"] == 1
    row = conc_row(res, "P01")
    assert row["flag"] == "plate_failed" and math.isnan(row["concentration"])
    ctl = res.controls.set_index("replicate_group")
    assert ctl.loc["CTRL_LOW", "recovery_pct"] == pytest.approx(100 / 150 * 100, rel=1e-6)
    # a control inside ±20 % passes
    plate.od["A3"] = plate.od["A4"] = od_for(125.0)
    assert run(tmp_path, plate).plate_qc.iloc[0]["verdict"] == "pass"


def test_missing_standards(tmp_path):
    # fewer than 5 levels in the map: rejected before any fitting
    with pytest.raises(PlateMapError, match="4 concentration level"):
        run(tmp_path, Plate(levels=LEVELS[:4]))
    # standards present in the map but unreadable in the export: those levels fail
    plate = Plate()
    for w in ("C1", "C2", "D1", "D2", "E1", "E2"):
        plate.od[w] = "n.d."
    res = run(tmp_path, plate)
    qc = res.plate_qc.iloc[0]
    assert qc["verdict"] == "fail" and qc["n_standards_pass"] == 4
    std = res.standards.set_index("nominal_conc")
    assert std.loc[500.0, "n_used"] == 0 and not std.loc[500.0, "passed"]


def test_saturated_wells_are_flagged(tmp_path):
    plate = Plate()
    plate.od["A1"] = plate.od["A2"] = "OVER"  # top standard saturated
    plate.sample(("C3", "C4"), "SAT", "t0", ("OVER", 1500.0))
    plate.sample(("D3", "D4"), "HI", "t0", (1500.0, 1500.0))
    res = run(tmp_path, plate)
    qc = res.plate_qc.iloc[0]
    assert qc["verdict"] == "pass" and qc["uloq"] == 1000.0  # 6/7 levels pass
    sat = conc_row(res, "SAT")
    assert sat["flag"] == "saturated" and math.isnan(sat["concentration"])
    assert conc_row(res, "HI")["flag"] == "> ULOQ"
    wells = res.wells.set_index("well")
    assert wells.loc["A1", "flag"] == "saturated" and wells.loc["C3", "flag"] == "saturated"
    assert wells.loc["C3", "source"] == "P1.csv:line 4, col 4"


def test_no_usable_blank_fails_plate(tmp_path):
    plate = Plate()
    plate.od["H1"] = plate.od["H2"] = "n.d."
    qc = run(tmp_path, plate).plate_qc.iloc[0]
    assert qc["verdict"] == "fail" and "no usable blank wells" in qc["reasons"]


def test_masked_replicate_is_excluded(tmp_path):
    plate = Plate().sample(("C3", "C4"), "P01", "t0", (200.0, 300.0))
    plate.od["C4"] = f"*{plate.od['C4']!r}*"
    row = conc_row(run(tmp_path, plate), "P01")
    assert row["flag"] == "" and row["n_replicates"] == 1
    assert row["concentration"] == pytest.approx(200.0, rel=1e-8) and math.isnan(row["cv_pct"])


def test_no_controls(tmp_path):
    plate = Plate()
    plate.map = [m for m in plate.map if ",control," not in m]
    qc = run(tmp_path, plate).plate_qc.iloc[0]
    assert qc["verdict"] == "fail" and qc["reasons"] == "no control wells"
    qc = run(tmp_path, plate, rules=AcceptanceRules(require_controls=False)).plate_qc.iloc[0]
    assert qc["verdict"] == "pass"


def test_reassay_prefers_usable_result_and_rejects_two_usable(tmp_path):
    failed = Plate("P1").sample(("C3", "C4"), "P01", "t0", (200.0, 200.0))
    failed.od["A3"] = failed.od["A4"] = od_for(60.0)
    rerun = Plate("P2").sample(("C3", "C4"), "P01", "t0", (210.0, 210.0))
    res = run(tmp_path, failed, rerun)
    row = conc_row(res, "P01")
    assert row["plate_id"] == "P2" and row["concentration"] == pytest.approx(210.0, rel=1e-8)
    assert len(res.concentrations) == 1
    with pytest.raises(PlateMapError, match="usable results on several plates"):
        run(tmp_path, Plate("P1").sample(("C3", "C4"), "P01", "t0", (200.0, 200.0)), rerun)


def test_5pl_and_weightings_run(tmp_path):
    plate = Plate().sample(("C3", "C4"), "P01", "t0", (200.0, 210.0))
    for model in ("4PL", "5PL"):
        for weighting in ("none", "1/y", "1/y^2"):
            res = run(tmp_path, plate, model=model, weighting=weighting)
            qc = res.plate_qc.iloc[0]
            assert qc["verdict"] == "pass" and qc["model"] == model
            assert qc["weighting"] == weighting
            assert conc_row(res, "P01")["concentration"] == pytest.approx(205.0, rel=1e-5)
            assert math.isnan(qc["g"]) == (model == "4PL")


def test_rules_are_validated():
    with pytest.raises(ValueError):
        AcceptanceRules(standard_recovery=(120.0, 80.0))
    with pytest.raises(ValueError):
        AcceptanceRules(min_standards_pass_fraction=0.0)
    with pytest.raises(ValueError):
        AcceptanceRules(near_lloq_factor=0.5)
    r = AcceptanceRules()
    assert (r.standard_recovery, r.lowest_standard_recovery) == ((80.0, 120.0), (75.0, 125.0))
    assert (r.max_cv_pct, r.max_cv_pct_near_lloq, r.near_lloq_factor) == (15.0, 20.0, 1.5)
    assert r.min_standards_pass_fraction == 0.75 and r.control_tolerance_pct == 20.0
