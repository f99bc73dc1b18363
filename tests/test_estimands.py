"""Estimands (ICH E9(R1)): the disposition log's event dates, the strategies applied to the data
(``trialflow.estimands``), the config checks (``trialflow.analysis_plan``) and the estimand table."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from trialflow import analysis_plan as plan
from trialflow.consort.read import read_disposition
from trialflow.estimands import apply_strategies, count_changes

TIMES = ["w0", "w4", "w8"]
ARMS = ["placebo", "active"]


def _data() -> pd.DataFrame:
    rows = []
    for pid, arm in [("P1", "placebo"), ("P2", "active"), ("P3", "active"), ("P4", "placebo")]:
        for i, t in enumerate(TIMES):
            for outcome in ("pain", "grip"):
                rows.append({"participant_id": pid, "arm": arm, "time": t, "outcome": outcome, "value": 10.0 + i})
    return pd.DataFrame(rows)


DISPOSITION = pd.DataFrame(
    {
        "participant_id": ["P1", "P2", "P3", "P4", ""],
        "discontinued_from": ["", "w4", "w8", "", ""],
        "rescue_from": ["w8", "w8", "", "", ""],
        "source_file": "disposition.csv",
        "source_line": ["2", "3", "4", "5", "6"],
    }
)


def _estimands(*events, outcome="pain"):
    config = {"estimands": [{"outcome": outcome, "population": "p", "variable": "v", "summary": "s",
                             "intercurrent_events": [{"event": e, "strategy": s} for e, s in events]}]}  # fmt: skip
    return plan.estimands(config)


def test_treatment_policy_keeps_every_value():
    data = _data()
    kept, changes, missing = apply_strategies(
        data, DISPOSITION, _estimands(("discontinuation", "treatment_policy")), TIMES
    )
    pd.testing.assert_frame_equal(kept, data)
    assert len(changes) == 0 and len(missing) == 0


@pytest.mark.parametrize("strategy", ["hypothetical", "while_on_treatment"])
def test_values_from_the_event_on_are_removed_and_listed(strategy):
    data = _data()
    kept, changes, missing = apply_strategies(data, DISPOSITION, _estimands(("discontinuation", strategy)), TIMES)
    # P2 discontinued before w4: w4 and w8 go; P3 before w8: w8 goes; only the estimand's outcome.
    expected = {("P2", "w4"), ("P2", "w8"), ("P3", "w8")}
    assert set(zip(changes["participant_id"], changes["time"], strict=True)) == expected
    assert set(changes["outcome"]) == {"pain"} and set(changes["strategy"]) == {strategy}
    assert changes.set_index(["participant_id", "time"]).loc[("P2", "w8"), "source_line"] == "3"
    assert len(kept) == len(data) - 3
    assert len(kept[kept["outcome"] == "grip"]) == 12  # the other outcome is untouched
    assert missing["reason"].str.contains(strategy.replace("_", " ")).all()
    assert missing["source"].iloc[0] == "disposition.csv, line 3"


def test_a_value_removed_for_two_events_is_listed_once_under_the_first():
    est = _estimands(("discontinuation", "hypothetical"), ("rescue", "hypothetical"))
    kept, changes, _ = apply_strategies(_data(), DISPOSITION, est, TIMES)
    # P2: discontinuation from w4 (w4, w8); rescue from w8 again for P2 (already removed); P1 rescue w8.
    assert changes[["participant_id", "time", "event"]].values.tolist() == [
        ["P2", "w4", "discontinuation"],
        ["P2", "w8", "discontinuation"],
        ["P3", "w8", "discontinuation"],
        ["P1", "w8", "rescue"],
    ]
    counts = count_changes(changes, est)
    assert counts[["event", "n_participants", "n_values_removed"]].values.tolist() == [
        ["discontinuation", 2, 3],
        ["rescue", 1, 1],
    ]


def test_counts_keep_zeros_and_treatment_policy():
    est = _estimands(("discontinuation", "treatment_policy"), ("rescue", "while_on_treatment"))
    _, changes, _ = apply_strategies(_data(), DISPOSITION, est, TIMES)
    counts = count_changes(changes, est)
    assert counts.to_dict("records") == [
        {"outcome": "pain", "event": "discontinuation", "strategy": "treatment_policy", "n_participants": 0,
         "n_values_removed": 0},
        {"outcome": "pain", "event": "rescue", "strategy": "while_on_treatment", "n_participants": 2,
         "n_values_removed": 2},
    ]  # fmt: skip


# --- the disposition log's event columns -----------------------------------------------------------

HEADER = (
    "screening_id,participant_id,eligible,exclusion_reason,declined,arm,received_allocated,"
    "not_received_reason,discontinued,discontinued_reason,lost_to_follow_up,lost_reason,"
    "attended_w0,attended_w4,attended_w8"
)


def _read(tmp_path, rows: list[str], extra: str = ",discontinued_from,rescue_from"):
    path = tmp_path / "disposition.csv"
    path.write_text("\n".join([HEADER + extra, *rows]) + "\n", encoding="utf-8")
    return read_disposition(path, "disposition.csv", ARMS, TIMES)


def test_the_event_columns_are_optional_and_read_when_present(tmp_path):
    ok = "S1,P1,yes,,no,active,yes,,yes,side effects,no,,yes,yes,yes,w4,w8"
    table, problems = _read(tmp_path, [ok])
    assert problems == [] and table.loc[0, "discontinued_from"] == "w4" and table.loc[0, "rescue_from"] == "w8"
    table, problems = _read(tmp_path, ["S1,P1,yes,,no,active,yes,,no,,no,,yes,yes,yes"], extra="")
    assert problems == [] and table.loc[0, "discontinued_from"] == ""


@pytest.mark.parametrize(
    ("row", "column", "rule"),
    [
        ("S1,P1,yes,,no,active,yes,,yes,side effects,no,,yes,yes,yes,w6,", "discontinued_from", "time_point_known"),
        ("S1,P1,yes,,no,active,yes,,no,,no,,yes,yes,yes,w4,", "discontinued_from", "discontinued_from_unexpected"),
        ("S1,,no,age,,,,,,,,,,,,,w4", "rescue_from", "blank_unless_randomised"),
    ],
)
def test_a_bad_event_date_is_an_error_naming_the_cell(tmp_path, row, column, rule):
    table, problems = _read(tmp_path, [row])
    found = [p for p in problems if p.rule == rule]
    assert len(found) == 1 and found[0].column == column and found[0].line == "2" and len(table) == 0


# --- the plan ----------------------------------------------------------------------------------------

CONFIG = {
    "inputs": {"participants": "p.csv", "disposition": "d.csv"},
    "outcomes": [{"id": "pain"}, {"id": "grip"}],
    "estimands": [
        {"outcome": "pain", "population": "all randomised", "variable": "change in pain from w0 to w8",
         "summary": "difference in mean change", "intercurrent_events": [
             {"event": "discontinuation", "strategy": "hypothetical"},
             {"event": "rescue", "strategy": "treatment_policy"}]},
    ],
}  # fmt: skip


def test_a_valid_estimand_has_no_problems():
    assert plan.estimand_problems(CONFIG) == []
    assert plan.estimands(CONFIG)[0]["intercurrent_events"][0]["column"] == "discontinued_from"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c["estimands"][0].update(outcome="nope"), "'nope' is not an outcome id"),
        (lambda c: c["estimands"].append(copy.deepcopy(c["estimands"][0])), "one estimand per outcome"),
        (lambda c: c["estimands"][0]["intercurrent_events"].append({"event": "rescue", "strategy": "hypothetical"}),
         "'rescue' is given more than once"),
        (lambda c: c["inputs"].pop("disposition"), "need the dates of the events, from the disposition log"),
    ],
)  # fmt: skip
def test_an_estimand_that_cannot_be_applied_is_refused_naming_the_key(edit, message):
    config = copy.deepcopy(CONFIG)
    edit(config)
    problems = plan.estimand_problems(config)
    assert any(message in p for p in problems), problems
    assert all(p.startswith("estimands[") for p in problems)


def test_treatment_policy_alone_needs_no_disposition_log():
    config = copy.deepcopy(CONFIG)
    config["inputs"].pop("disposition")
    config["estimands"][0]["intercurrent_events"] = [{"event": "discontinuation", "strategy": "treatment_policy"}]
    assert plan.estimand_problems(config) == []


def test_the_report_prints_the_estimand_table(tmp_path):
    from trialflow.report.context import estimand_table

    counts = tmp_path / "estimand_counts.csv"
    est = plan.estimands(CONFIG)
    _, changes, _ = apply_strategies(_data(), DISPOSITION, est, TIMES)
    count_changes(changes, est).to_csv(counts, index=False)
    rows = estimand_table(CONFIG["estimands"], {"estimand_counts": str(counts)}, [{"id": "pain", "label": "Pain"}])
    assert rows[0]["label"] == "Pain" and rows[0]["population"] == "all randomised"
    assert rows[0]["events"] == [
        {"event": "treatment discontinuation", "strategy": "hypothetical", "removed": 3, "participants": 2},
        {"event": "rescue medication", "strategy": "treatment policy", "removed": 0, "participants": 0},
    ]


# --- the workflow ------------------------------------------------------------------------------------


def _dry_run(tmp_path, config: dict):
    import shutil
    import subprocess

    import yaml

    from tests.conftest import ROOT

    shutil.copytree(ROOT / "raw" / "demo", tmp_path / "raw" / "demo")
    (tmp_path / "trial.yaml").write_text(yaml.safe_dump(config))
    cmd = [
        "snakemake",
        "-s",
        str(ROOT / "Snakefile"),
        "-d",
        str(tmp_path),
        "--configfile",
        str(tmp_path / "trial.yaml"),
    ]
    return subprocess.run([*cmd, "-n"], capture_output=True, text=True, timeout=300)


def _demo_with_plan() -> dict:
    import yaml

    from tests.conftest import ROOT

    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    for outcome in config["outcomes"][:2]:  # BDNF, GDNF; the others are secondary (the default)
        outcome["role"] = "primary"
    config["estimands"] = [
        {
            "outcome": "BDNF",
            "population": "all randomised",
            "variable": "change in BDNF",
            "summary": "difference",
            "intercurrent_events": [{"event": "discontinuation", "strategy": "hypothetical"}],
        },
    ]
    config["analysis"]["multiplicity"] = {"families": [
        {"id": "biomarkers", "outcomes": ["BDNF", "GDNF"], "method": "graphical", "weights": [1, 0],
         "transitions": [[0, 1], [1, 0]]},
        {"id": "functional", "role": "secondary", "method": "holm"},
    ]}  # fmt: skip
    return config


def test_the_workflow_applies_the_estimands_before_the_analyses_and_adjusts_the_families(tmp_path):
    done = _dry_run(tmp_path, _demo_with_plan())
    assert done.returncode == 0, done.stderr[-2000:]
    jobs = done.stdout
    for rule in ("apply_estimands", "adjust_multiplicity", "analyse_outcomes", "render_report"):
        assert f"rule {rule}:" in jobs or rule in jobs.split("Job stats:")[-1], rule
    assert "results/data/analysis_estimands.csv" in jobs and "results/figures/multiplicity_biomarkers.svg" in jobs


def test_the_workflow_refuses_a_plan_that_cannot_be_applied_before_any_job(tmp_path):
    config = _demo_with_plan()
    config["analysis"]["multiplicity"]["families"][0]["weights"] = [0.7, 0.7]
    config["estimands"][0]["outcome"] = "CRP"
    done = _dry_run(tmp_path, config)
    out = done.stdout + done.stderr
    assert done.returncode != 0 and "Traceback" not in out
    assert "The config cannot describe a run:" in out
    assert "estimands[0] (CRP): 'CRP' is not an outcome id" in out
    assert "families[0] (biomarkers): the weights sum to at most 1 (they sum to 1.4)" in out
