"""Harms: the adverse-events file (reading rules, exact messages, row balance), the per-arm
counts checked against an independent pandas computation, and the report's harms table."""

import re

import pandas as pd
import pytest

from tests.conftest import ROOT, demo_characteristics, report_settings
from trialflow import ingest
from trialflow.demo.adverse_events import write_demo_adverse_events
from trialflow.harms import read_adverse_events
from trialflow.problems import Problem
from trialflow.readers import read, row_balance
from trialflow.stats.harms import harms_by_term, summarise_harms

ARMS = ["control", "training"]
HEADER = "participant_id,event_term,start_date,severity,serious,relatedness,outcome,led_to_discontinuation"
PEOPLE = pd.DataFrame(
    {
        "participant_id": ["P1", "P2", "P3", "P4", "P5"],
        "arm": ["control", "control", "training", "training", "training"],
    }
)
EVENTS = f"""{HEADER}
P1,Headache,2025-04-02,mild,no,unrelated,recovered,no
P3,Knee pain,2025-04-03,Moderate,no,probable,recovered,no
P3,Knee pain,2025-04-20,severe,yes,probable,recovered with sequelae,yes
P4,Knee pain,2025-04-05,mild,no,possible,recovering,no
P4,Fall,2025-04-06,severe,yes,unlikely,fatal,no
P5,Delayed onset muscle soreness,2025-04-07,mild,no,definite,recovered,no
"""


def write(tmp_path, text, name="adverse_events.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def read_events(tmp_path, text, start="2025-04-01", cutoff="2025-06-30"):
    return read_adverse_events(write(tmp_path, text), "adverse_events.csv", PEOPLE, start, cutoff)


# --------------------------------------------------------------------------- reading


def test_reader_normalises_categories_and_keeps_every_row(tmp_path):
    events, problems = read_events(tmp_path, EVENTS)
    assert problems == []
    assert len(events) == 6
    assert events.loc[1, "severity"] == "moderate"  # 'Moderate' as written
    assert events["source_line"].tolist() == [2, 3, 4, 5, 6, 7]
    assert events.loc[2, "outcome"] == "recovered with sequelae"


BAD_ROWS = [
    (
        "P9,Headache,2025-04-02,mild,no,unrelated,recovered,no",
        "participant_id",
        "P9",
        "participant_known",
        "participant 'P9' is not in the participants file",
    ),
    (
        "P1,Headache,2025-04-02,grade 2,no,unrelated,recovered,no",
        "severity",
        "grade 2",
        "severity_known",
        "severity must be one of mild, moderate, severe",
    ),
    (
        "P1,Headache,2025-07-02,mild,no,unrelated,recovered,no",
        "start_date",
        "2025-07-02",
        "date_in_trial",
        "start_date 2025-07-02 is after the data cut-off (2025-06-30, trial.data_cutoff)",
    ),
    (
        "P1,Headache,2025-03-30,mild,no,unrelated,recovered,no",
        "start_date",
        "2025-03-30",
        "date_in_trial",
        "start_date 2025-03-30 is before the start of the trial (2025-04-01, trial.start_date)",
    ),
    (
        "P1,Headache,02/04/2025,mild,no,unrelated,recovered,no",
        "start_date",
        "02/04/2025",
        "start_date_format",
        "start_date must be a date written YYYY-MM-DD, such as 2025-04-17",
    ),
    (
        "P1,Headache,2025-02-30,mild,no,unrelated,recovered,no",
        "start_date",
        "2025-02-30",
        "start_date_format",
        "start_date '2025-02-30' is not a calendar date",
    ),
    (
        "P1,Headache,2025-04-02,mild,maybe,unrelated,recovered,no",
        "serious",
        "maybe",
        "serious_known",
        "serious must be one of yes, no",
    ),
    (
        "P1,Headache,2025-04-02,mild,no,related,recovered,no",
        "relatedness",
        "related",
        "relatedness_known",
        "relatedness must be one of unrelated, unlikely, possible, probable, definite",
    ),
    (
        "P1,Headache,2025-04-02,mild,no,unrelated,fatal,no",
        "serious",
        "no",
        "fatal_serious",
        "outcome is 'fatal' but serious is 'no'; an event ending in death is serious",
    ),
    (
        "P1,,2025-04-02,mild,no,unrelated,recovered,no",
        "event_term",
        "",
        "event_term_given",
        "event_term is empty; say what happened (e.g. a MedDRA preferred term)",
    ),
    (
        "P1,Headache,2025-04-02,mild,no,unrelated,recovered,",
        "led_to_discontinuation",
        "",
        "led_to_discontinuation_given",
        "led_to_discontinuation is empty; write one of yes, no",
    ),
]


@pytest.mark.parametrize(("row", "column", "value", "rule", "message"), BAD_ROWS)
def test_a_bad_row_is_rejected_with_its_exact_problem(tmp_path, row, column, value, rule, message):
    text = f"{HEADER}\nP2,Fatigue,2025-04-10,mild,no,possible,recovered,no\n{row}\n"
    events, problems = read_events(tmp_path, text)
    assert problems == [Problem("adverse_events.csv", "3", column, value, rule, "error", message)]
    assert events["participant_id"].tolist() == ["P2"]  # the good row stays, the bad one is out
    balance = row_balance(read(write(tmp_path, text), "adverse_events.csv"), events, problems)
    assert (balance.read, balance.accepted, balance.rejected, balance.ok) == (2, 1, 1, True)


def test_duplicated_event_is_an_error_on_every_line(tmp_path):
    text = f"{HEADER}\nP1,Headache,2025-04-02,mild,no,unrelated,recovered,no\nP1,Headache,2025-04-02,mild,no,unrelated,recovered,no\n"
    events, problems = read_events(tmp_path, text)
    assert events.empty
    assert [(p.line, p.rule) for p in problems] == [
        ("2", "multiple_fields_uniqueness"),
        ("3", "multiple_fields_uniqueness"),
    ]


def test_missing_column_refuses_the_file_and_an_extra_column_is_a_warning(tmp_path):
    text = "participant_id,event_term,start_date,severity,serious,relatedness,outcome,notes\nP1,Headache,2025-04-02,mild,no,unrelated,recovered,x\n"
    events, problems = read_events(tmp_path, text)
    assert events.empty
    assert [(p.column, p.rule, p.severity) for p in problems] == [
        ("led_to_discontinuation", "column_present", "error"),
        ("notes", "column_unused", "warning"),
    ]


def test_a_term_in_two_letter_cases_is_a_warning(tmp_path):
    text = f"{HEADER}\nP1,Knee pain,2025-04-02,mild,no,unrelated,recovered,no\nP3,knee pain,2025-04-03,mild,no,unrelated,recovered,no\n"
    events, problems = read_events(tmp_path, text)
    assert len(events) == 2
    assert {(p.line, p.rule, p.severity) for p in problems} == {
        ("2", "event_term_spelling", "warning"),
        ("3", "event_term_spelling", "warning"),
    }


def test_without_a_trial_period_dates_are_only_checked_as_dates(tmp_path):
    text = f"{HEADER}\nP1,Headache,2019-01-01,mild,no,unrelated,recovered,no\n"
    events, problems = read_events(tmp_path, text, start=None, cutoff=None)
    assert problems == [] and len(events) == 1


# --------------------------------------------------------------------------- counts


def independent_counts(events: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """The same table by another route: one indicator column per measure, then a pivot."""
    e = events.merge(people, on="participant_id", how="left", validate="many_to_one")
    flags = pd.DataFrame(
        {
            "any": True,
            "serious": e["serious"].eq("yes"),
            "severe": e["severity"].eq("severe"),
            "related": e["relatedness"].isin({"possible", "probable", "definite"}),
            "led_to_discontinuation": e["led_to_discontinuation"].eq("yes"),
            "fatal": e["outcome"].eq("fatal"),
        }
    )
    long = flags.assign(arm=e["arm"], pid=e["participant_id"]).melt(["arm", "pid"], var_name="measure")
    long = long[long["value"]]
    n_events = long.groupby(["arm", "measure"]).size()
    n_people = long.groupby(["arm", "measure"])["pid"].nunique()
    index = pd.MultiIndex.from_product([ARMS, flags.columns], names=["arm", "measure"])
    out = pd.DataFrame({"participants": n_people.reindex(index).fillna(0), "events": n_events.reindex(index).fillna(0)})
    out["denominator"] = [int((people["arm"] == a).sum()) for a, _ in index]
    out["percent"] = out["participants"] / out["denominator"] * 100
    return out.astype({"participants": int, "events": int}).reset_index()


def test_counts_match_an_independent_computation(tmp_path):
    events, _ = read_events(tmp_path, EVENTS)
    ours = summarise_harms(events, PEOPLE, ARMS)
    pd.testing.assert_frame_equal(ours, independent_counts(events, PEOPLE), check_dtype=False)
    any_training = ours[(ours["arm"] == "training") & (ours["measure"] == "any")].iloc[0]
    # P3 (2 events), P4 (2 events), P5 (1 event) of 3 randomised
    assert (any_training["participants"], any_training["events"], any_training["percent"]) == (3, 5, 100.0)


def test_demo_counts_match_an_independent_computation():
    people, _ = ingest.read_participants(
        ROOT / "raw/demo/participants.csv", "participants.csv", ARMS, demo_characteristics()
    )
    events, problems = read_adverse_events(
        ROOT / "raw/demo/adverse_events.csv", "adverse_events.csv", people, "2025-04-01", "2025-06-30"
    )
    assert problems == []
    ours = summarise_harms(events, people, ARMS)
    pd.testing.assert_frame_equal(
        ours, independent_counts(events, people[["participant_id", "arm"]]), check_dtype=False
    )
    got = ours.set_index(["arm", "measure"])
    assert got.loc[("training", "any"), ["participants", "events"]].tolist() == [6, 7]
    assert got.loc[("control", "any"), ["participants", "events"]].tolist() == [2, 2]
    assert got.loc[("training", "related"), "participants"] == 6
    assert got.loc[("control", "serious"), "events"] == 0


def test_by_term_matches_a_crosstab(tmp_path):
    events, _ = read_events(tmp_path, EVENTS)
    ours = harms_by_term(events, PEOPLE, ARMS)
    e = events.merge(PEOPLE, on="participant_id")
    people = pd.crosstab(e["event_term"], e["arm"], values=e["participant_id"], aggfunc="nunique").fillna(0)
    count = pd.crosstab(e["event_term"], e["arm"]).reindex(columns=ARMS, fill_value=0)
    for row in ours.itertuples():
        assert row.participants == people.get(row.arm, pd.Series(0, index=people.index))[row.event_term]
        assert row.events == count.loc[row.event_term, row.arm]
    # every term has a row per arm; most participants first, then alphabetical
    assert ours["event_term"].drop_duplicates().tolist() == [
        "Knee pain",
        "Delayed onset muscle soreness",
        "Fall",
        "Headache",
    ]
    assert len(ours) == 4 * len(ARMS)


def test_no_events_gives_zero_rows_not_an_empty_table():
    empty = pd.DataFrame(columns=HEADER.split(","))
    table = summarise_harms(empty, PEOPLE, ARMS)
    assert len(table) == 12 and table["participants"].sum() == 0 and table["events"].sum() == 0
    assert harms_by_term(empty, PEOPLE, ARMS).empty


def test_demo_file_is_what_the_seeded_writer_writes(tmp_path):
    write_demo_adverse_events(ROOT / "raw/demo/participants.csv", tmp_path / "ae.csv", seed=2025)
    assert (tmp_path / "ae.csv").read_bytes() == (ROOT / "raw/demo/adverse_events.csv").read_bytes()


# --------------------------------------------------------------------------- the report


@pytest.fixture(scope="module")
def demo_results(tmp_path_factory, demo_analysis):
    """The demo's results tables as the pipeline writes them (library calls, no Snakemake)."""
    from trialflow.analysis import analyse_outcomes, estimate_effects
    from trialflow.outputs import write_csv

    d = tmp_path_factory.mktemp("results")
    results = {}
    for name in [
        "descriptives",
        "anova",
        "assumptions",
        "excluded",
        "baseline",
        "baseline_tests",
        "participants_per_arm",
        "outcome_status",
    ]:
        results[name] = str(d / f"{name}.csv")
        write_csv(demo_analysis[name], results[name])
    results["outcome_status"] = str(d / "outcome_status.csv")
    write_csv(demo_analysis["status"], results["outcome_status"])
    results["participants"] = str(d / "participants.csv")
    write_csv(demo_analysis["participants"], results["participants"])
    results["lmm_tests"] = str(d / "lmm_tests.csv")
    lmm = analyse_outcomes(demo_analysis["data"], ["BDNF", "GDNF"], ARMS, ["pre", "post"], lmm=True)["lmm_tests"]
    write_csv(lmm, results["lmm_tests"])
    results["estimation"] = str(d / "estimation.csv")
    write_csv(estimate_effects(demo_analysis["data"], ["BDNF", "GDNF"], ARMS, ["pre", "post"]), results["estimation"])
    events, _ = read_adverse_events(
        ROOT / "raw/demo/adverse_events.csv", "adverse_events.csv", demo_analysis["participants"], None, None
    )
    results["harms"], results["harms_by_term"] = str(d / "harms.csv"), str(d / "harms_by_term.csv")
    write_csv(summarise_harms(events, demo_analysis["participants"], ARMS), results["harms"])
    write_csv(harms_by_term(events, demo_analysis["participants"], ARMS), results["harms_by_term"])
    return results


def demo_config():
    import yaml

    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["outcomes"] = [o for o in config["outcomes"] if o["id"] in ("BDNF", "GDNF")]
    return config


def figures(tmp_path):
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
    (tmp_path / "f.svg").write_text(svg)
    return {"BDNF": str(tmp_path / "f.svg"), "GDNF": str(tmp_path / "f.svg")}


def test_report_prints_the_harms_table_and_names_every_analysis_in_the_methods(demo_results, tmp_path):
    from pypdf import PdfReader

    from trialflow.report import render_html
    from trialflow.report.context import build_context
    from trialflow.report.pdf import write_pdf

    html = render_html(build_context(report_settings(demo_config()), demo_results, figures(tmp_path)))
    write_pdf(html, tmp_path / "report.pdf")
    text = re.sub(r"[ \t]+", " ", "\n".join(p.extract_text() for p in PdfReader(tmp_path / "report.pdf").pages))
    assert "Table 6. Adverse events per group" in text  # a report without ELISA tables: no gap
    assert "Control (n=15)" in text and "Training (n=15)" in text
    assert re.search(r"Participants with ≥ ?1 adverse event 2 \(13\.3\) 2 6 \(40\.0\) 7", text)
    assert re.search(r"Delayed onset muscle soreness 0 \(0\.0\) 0 3 \(20\.0\) 4", text)
    assert "Multiple sclerosis relapse 1 (6.7) 1 0 (0.0) 0" in text
    assert "Harms were not reported in the publication" in text  # the config's statement, as a note
    methods = text[text.index("Statistical methods") : text.index("Sample size")]
    flat = " ".join(methods.split())
    # every analysis that ran is named: the estimation with its ANCOVA sensitivity analysis,
    # the linear mixed model, the harms summary
    assert "Adverse events are summarised per group" in flat
    assert "as a sensitivity analysis, an ANCOVA of the post value adjusted for pre" in flat
    assert "A linear mixed model on all available values" in flat
    assert "results files). Between-group effects" in flat  # sentences do not run together


def test_without_the_file_the_harms_section_prints_the_config_statement(demo_results, tmp_path):
    from trialflow.report import render_html
    from trialflow.report.context import build_context

    results = {k: v for k, v in demo_results.items() if not k.startswith("harms")}
    html = render_html(build_context(report_settings(demo_config()), results, figures(tmp_path)))
    section = html[html.index('id="harms"') : html.index('id="harms"') + 400]
    assert "Harms were not reported in the publication" in section and "Adverse events per group" not in html
    assert "Adverse events are summarised" not in html


def test_a_header_only_file_is_a_trial_without_events_end_to_end(demo_results, demo_analysis, tmp_path):
    """A header and no rows: valid (no problem, rows 0 = 0 + 0), the steps write empty and zero
    tables, and the report says no adverse events were recorded (issue 16, item 9)."""
    from trialflow.outputs import read_csv, write_csv
    from trialflow.report import render_html
    from trialflow.report.context import build_context
    from trialflow.steps import analysis, ingest

    raw = write(tmp_path, HEADER + "\n")
    before = raw.read_bytes()
    people = tmp_path / "participants.csv"
    write_csv(demo_analysis["participants"], people)
    out = {k: str(tmp_path / f"{k}.csv") for k in ("table", "problems", "balance", "harms", "by_term")}
    ingest.read_adverse_events(
        str(raw),
        "adverse_events.csv",
        str(people),
        "2025-04-01",
        "2025-06-30",
        out["table"],
        out["problems"],
        out["balance"],
    )
    assert read_csv(out["problems"]).empty and read_csv(out["table"]).empty
    assert read_csv(out["balance"]).to_dict("records") == [
        {"file": "adverse_events.csv", "rows_read": 0, "rows_accepted": 0, "rows_rejected": 0, "balanced": True}
    ]
    analysis.summarise_harms(out["table"], str(people), ARMS, out["harms"], out["by_term"])
    assert read_csv(out["harms"])["events"].sum() == 0 and read_csv(out["by_term"]).empty
    results = demo_results | {"harms": out["harms"], "harms_by_term": out["by_term"]}
    html = render_html(build_context(report_settings(demo_config()), results, figures(tmp_path)))
    assert "No adverse events were recorded in any group (the adverse-events file lists none)." in html
    assert raw.read_bytes() == before
