"""Trials of other shapes than the demo's, each run as a user starts it: in a folder laid out as
the repository root, with the demo's config.yaml present, `snakemake --cores 2 --configfile
<trial>.yaml`. Each must give a report, name every outcome it cannot analyse with the reason, and
never print a traceback."""

import re
import subprocess

import pandas as pd
import pytest
from pypdf import PdfReader

from tests.shapes import Outcome, Shape, repository_copy, write_trial

pytestmark = pytest.mark.pipeline


def run(tmp_path, shape: Shape) -> dict:
    root = repository_copy(tmp_path)
    config = write_trial(root, shape)
    done = subprocess.run(
        ["snakemake", "--cores", "2", "--configfile", config.name],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=900,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    assert "Traceback" not in out
    report = root / "reports" / shape.id / "report.pdf"
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(report).pages))
    validation = pd.read_csv(root / "results/qc/validation.csv", dtype=str, keep_default_na=False)
    assert not (validation["severity"] == "error").any(), validation.to_string()
    return {"root": root, "text": text, "results": root / "results", "out": out}


def table(result, name: str) -> pd.DataFrame:
    return pd.read_csv(result["results"] / "stats" / f"{name}.csv", keep_default_na=False, na_values=[""])


def test_plates_only(tmp_path):
    shape = Shape(
        "plates-only", {"control": 10, "treated": 10}, ["pre", "post"], [Outcome("IL6", "plates", 300, 50, 80)]
    )
    result = run(tmp_path, shape)
    assert set(table(result, "anova")["outcome"]) == {"IL6"}
    assert "Plates." in result["text"] and (result["root"] / "reports/plates-only/elisa_qc.pdf").exists()


def test_typed_concentrations_only_two_arms_three_visits(tmp_path):
    shape = Shape(
        "typed-only",
        {"usual_care": 12, "exercise": 14},
        ["week0", "week6", "week12"],
        [Outcome("CRP", "typed", 5, 1, 1)],
    )
    result = run(tmp_path, shape)
    anova = table(result, "anova").set_index("effect")
    assert anova.loc["interaction", ["df1", "df2"]].tolist() == [2.0, 48.0]
    assert "Table 1." in result["text"] and "Randomised: 26 (Usual care 12, Exercise 14)" in result["text"]


def test_four_arms_five_visits_unequal_arms(tmp_path):
    arms = {"placebo": 20, "low": 5, "mid": 12, "high": 9}
    shape = Shape("four-arms", arms, ["v0", "v1", "v2", "v3", "v4"], [Outcome("ldl", "typed", 130, 20, -15)])
    result = run(tmp_path, shape)
    anova = table(result, "anova").set_index("effect")
    assert anova.loc["group", "df1"] == 3 and anova.loc["time", "df1"] == 4 and anova.loc["interaction", "df1"] == 12
    assert int(anova["n"].iloc[0]) == 46
    mmrm = table(result, "mmrm_tests").set_index("effect")  # the MMRM: every value, 3 x 4 contrasts' worth of df
    assert mmrm.loc["arm:visit", "num_df"] == 12 and table(result, "mmrm_fit")["converged"].all()
    assert len(table(result, "mmrm_contrasts")) == 3 * 5


def test_functional_outcomes_only_from_a_long_csv(tmp_path):
    shape = Shape(
        "long-only", {"control": 9, "walking": 11}, ["pre", "post"], [Outcome("six_mwt", "long", 450, 60, 40)]
    )
    result = run(tmp_path, shape)
    assert set(table(result, "anova")["outcome"]) == {"six_mwt"}
    balance = pd.read_csv(result["results"] / "qc/row_balance.csv").set_index("file")
    assert balance.loc["functional_long.csv", ["rows_read", "rows_rejected"]].tolist() == [40, 0]


def test_functional_outcomes_only_from_redcap_with_a_field_per_event(tmp_path):
    chol = Outcome("chol", "redcap", 5.2, 0.8, -0.5, fields={"baseline": "chol_b", "week4": "chol_4"})
    shape = Shape(
        "redcap-events",
        {"diet": 10, "control": 10},
        ["baseline", "week4"],
        [chol, Outcome("tug", "redcap", 8, 1.5, -1)],
    )
    result = run(tmp_path, shape)
    data = pd.read_csv(result["results"] / "data/analysis.csv", dtype=str)
    chol_rows = data[data["outcome"] == "chol"]
    assert len(chol_rows) == 40 and set(table(result, "anova")["outcome"]) == {"chol", "tug"}


def test_a_classic_redcap_project_with_a_visit_field(tmp_path):
    shape = Shape(
        "redcap-classic",
        {"a": 8, "b": 8},
        ["v1", "v2", "v3"],
        [Outcome("grip", "redcap", 30, 5, 3)],
        redcap_layout="visit_field",
    )
    result = run(tmp_path, shape)
    assert table(result, "anova").set_index("effect").loc["time", "df1"] == 2.0


def test_one_arm_three_visits(tmp_path):
    shape = Shape(
        "one-arm", {"rehab": 14}, ["admission", "week4", "discharge"], [Outcome("barthel", "typed", 60, 12, 15)]
    )
    result = run(tmp_path, shape)
    anova = table(result, "anova")
    assert anova["effect"].tolist() == ["time"] and anova["df1"].tolist() == [2.0]
    change = table(result, "estimation").set_index("estimand")
    assert change.loc["mean_change", "n"] == 14
    text = re.sub(r"-\s+", "-", result["text"])  # words hyphenated at a line end come back as "one- way"
    assert "one-way repeated-measures analysis of variance" in text and "Groups" not in text
    assert "Change from admission to discharge" in text
    assert table(result, "mmrm_tests")["effect"].tolist() == ["visit"] and table(result, "mmrm_contrasts").empty


def test_an_arm_with_one_participant(tmp_path):
    shape = Shape("one-participant", {"control": 8, "pilot": 1}, ["pre", "post"], [Outcome("vo2", "typed", 30, 4, 3)])
    result = run(tmp_path, shape)
    estimation = table(result, "estimation")
    pilot = estimation[estimation["arm"] == "pilot"]
    assert pilot["estimate"].isna().all() and pilot["note"].str.contains("fewer than two participants").all()
    assert table(result, "outcome_status")["analysable"].all()  # the ANOVA pools its error over the arms


def test_an_outcome_constant_in_one_arm_and_one_without_follow_up(tmp_path):
    outcomes = [
        Outcome("steps", "redcap", 5000, 900, 500),
        Outcome("pain", "redcap", 3, 1, -1, constant_in="control"),
        Outcome("hba1c", "redcap", 7, 0.6, -0.3, no_follow_up=True),
    ]
    shape = Shape("degenerate", {"control": 10, "exercise": 10}, ["pre", "post"], outcomes)
    result = run(tmp_path, shape)
    status = table(result, "outcome_status").set_index("outcome")
    assert status["analysable"].to_dict() == {"steps": True, "pain": True, "hba1c": False}
    assert status.loc["hba1c", "reason"] == "no value at post for any participant"
    mmrm = table(result, "mmrm_fit").set_index("outcome")  # the MMRM says why too, and fits the others
    assert not mmrm.loc["hba1c", "converged"] and "no values in control at post" in mmrm.loc["hba1c", "note"]
    assert mmrm.loc[["steps", "pain"], "converged"].all()
    text = result["text"]
    assert "hba1c could not be analysed with a repeated-measures ANOVA: no value at post for any participant" in text
    checks = table(result, "assumptions")
    constant = checks[(checks["outcome"] == "pain") & (checks["arm"] == "control") & (checks["test"] == "shapiro")]
    assert constant["statistic"].isna().all() and (constant["note"] == "all values are identical").all()
