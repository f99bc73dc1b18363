"""The bundled demo trial reproduces the published study at its printed precision."""

import filecmp

import pytest

from tests.conftest import ROOT
from trialflow.demo.trial import write_demo_trial
from trialflow.report.formatting import fixed

BASELINE_KEYS = {"age_years": "age_years", "height_cm": "height_cm", "weight_kg": "weight_kg"}


def test_committed_demo_files_are_what_the_seeded_script_writes(tmp_path):
    write_demo_trial(tmp_path)
    committed = ROOT / "raw" / "demo"
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    generated = {
        "participants.csv",
        "concentrations.csv",
        "functional_redcap.csv",
        "disposition.csv",
        "adverse_events.csv",
    }
    assert generated <= {p.as_posix() for p in written}
    assert any(p.parts[0] == "elisa" for p in written)
    for rel in written:
        assert filecmp.cmp(tmp_path / rel, committed / rel, shallow=False), rel


def test_table3_mean_sd_as_printed(demo_analysis, published):
    desc = demo_analysis["descriptives"].set_index(["outcome", "arm", "time"])
    for outcome, arms in published["table3_outcomes"].items():
        for arm, times in arms.items():
            for time, (mean, sd) in times.items():
                row = desc.loc[(outcome, arm, time)]
                assert row["n"] == 15
                assert fixed(row["mean"], 2) == f"{mean:.2f}", (outcome, arm, time)
                assert fixed(row["sd"], 2) == f"{sd:.2f}", (outcome, arm, time)


def test_table2_mean_sd_as_printed(demo_analysis, published):
    base = demo_analysis["baseline"].set_index(["variable", "arm"])
    for arm in ["control", "training"]:
        printed = published["table2_baseline"][arm]
        for variable in BASELINE_KEYS:
            mean, sd = printed[variable]
            row = base.loc[(variable, arm)]
            assert fixed(row["mean"], 1) == f"{mean:.1f}", (variable, arm)
            assert fixed(row["sd"], 1) == f"{sd:.1f}", (variable, arm)


def test_bmi_is_derived_and_as_close_as_the_printed_heights_and_weights_allow(demo_analysis, published):
    people = demo_analysis["participants"]
    assert people["bmi_kg_m2"].tolist() == pytest.approx(
        (people["weight_kg"] / (people["height_cm"] / 100) ** 2).tolist(), rel=1e-12
    )
    base = demo_analysis["baseline"].set_index(["variable", "arm"])
    for arm in ["control", "training"]:
        mean, sd = published["table2_baseline"][arm]["bmi_kg_m2"]
        # Control's printed 22.4 is below what its own mean weight and height allow (about 22.6).
        assert abs(base.loc[("bmi_kg_m2", arm), "mean"] - mean) < 0.3
        assert abs(base.loc[("bmi_kg_m2", arm), "sd"] - sd) < 0.1


@pytest.mark.parametrize("outcome", ["BDNF", "GDNF"])
@pytest.mark.parametrize("effect", ["time", "interaction"])
def test_time_and_interaction_F_within_half_a_percent(demo_analysis, published, outcome, effect):
    anova = demo_analysis["anova"].set_index(["outcome", "effect"])
    assert anova.loc[(outcome, effect), "F"] == pytest.approx(published["anova"][outcome][effect]["F"], rel=0.005)
    assert (anova.loc[(outcome, effect), "df1"], anova.loc[(outcome, effect), "df2"]) == (1, 28)


def test_gdnf_group_F_within_half_a_percent(demo_analysis, published):
    anova = demo_analysis["anova"].set_index(["outcome", "effect"])
    assert anova.loc[("GDNF", "group"), "F"] == pytest.approx(published["anova"]["GDNF"]["group"]["F"], rel=0.005)
