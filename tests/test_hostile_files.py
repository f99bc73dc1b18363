"""Hostile files, part 2: the published figures, the config, the disposition log, adverse events,
the REDCap export, the long functional CSV and the participants file (issue 16).

Each case is one bad (or awkward but valid) file, read by the pipeline's own step exactly as
the rule runs it (``trialflow.steps``), so what is asserted is what reaches
``results/qc/validation.csv``: the problems as written to the step's problems file and put in
words by :func:`trialflow.problems.describe` (file, line, column, message, value, rule), the row
balance where the input has rows (rows read = accepted + rejected), and that the raw folder is
byte for byte what it was. No case passes by catching an exception: a step that raised would
fail the test. The config cases state the exact sentence the run stops with, before any job.

``tests/test_hostile_inputs.py`` holds part 1 (participants and typed concentrations, read
through the library, and what leaves the pipeline).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.conftest import ROOT, demo_characteristics, validated
from trialflow.configuration import config_problems, input_path_problems
from trialflow.outputs import read_csv, read_text_csv, write_csv
from trialflow.problems import describe
from trialflow.steps import ingest as ingest_steps
from trialflow.steps import published as published_steps

ARMS = [{"id": "control", "label": "Control"}, {"id": "training", "label": "Training"}]
TIMES = [{"id": "pre", "label": "pre"}, {"id": "post", "label": "post"}]
PEOPLE = pd.DataFrame(
    {
        "participant_id": ["P1", "P2"],
        "arm": ["control", "training"],
        "weight_kg": [60.0, 70.0],
        "source_file": "participants.csv",
        "source_line": ["2", "3"],
    }
)
WALK = {
    "id": "walk",
    "label": "6-minute walk",
    "unit": "m",
    "domain": "mobility",
    "higher_is_better": True,
    "decimals": 0,
    "hard_limits": [0, 1000],
    "plausible_limits": [100, 900],
    "source": {"test": "walk_m"},
}
GRIP = {
    **WALK,
    "id": "grip",
    "label": "Hand-grip strength",
    "unit": "kg",
    "hard_limits": [0, 100],
    "plausible_limits": [5, 60],
}
GRIP["source"] = {"redcap_field": "grip_kg"}
REDCAP = {"record_id": "record_id", "events": {"baseline_arm_1": "pre", "week_8_arm_1": "post"}}
MISSING_CODES = {"UNK": "unknown", "-999": "not done"}


@dataclass
class Case:
    id: str
    data: str | bytes
    expected: list[str]
    balance: tuple[int, int, int] | None = None  # rows read, accepted, rejected


def tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run_case(tmp_path: Path, case: Case, name: str, step) -> tuple[list[str], list[dict]]:
    """Write the case into a raw folder, run ``step(raw_path, outputs)``, and return the problems
    in words and the row balance rows; the raw folder must be unchanged."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / name).write_bytes(case.data if isinstance(case.data, bytes) else case.data.encode("utf-8"))
    before = tree(raw)
    out = {k: str(tmp_path / f"{k}.csv") for k in ("table", "missing", "problems", "balance")}
    step(str(raw / name), out)
    assert tree(raw) == before
    problems = [describe(r) for r in read_text_csv(out["problems"]).to_dict("records")]
    balance = read_csv(out["balance"]).to_dict("records") if Path(out["balance"]).exists() else []
    return problems, balance


def check(case: Case, problems: list[str], balance: list[dict], name: str) -> None:
    assert problems == case.expected
    if case.balance is not None:
        read, accepted, rejected = case.balance
        assert balance == [
            {
                "file": name,
                "rows_read": read,
                "rows_accepted": accepted,
                "rows_rejected": rejected,
                "balanced": True,
            }
        ]


@pytest.fixture
def people(tmp_path):
    path = tmp_path / "participants_accepted.csv"
    write_csv(PEOPLE, path)
    return str(path)


def ids(cases):
    return [pytest.param(c, id=c.id) for c in cases]


# --------------------------------------------------------------------------------------------
# published.yaml

PUB = (ROOT / "raw" / "demo" / "published.yaml").read_text(encoding="utf-8")


def sub(old: str, new: str) -> str:
    """The demo's published.yaml with one change."""
    assert old in PUB, old
    return PUB.replace(old, new, 1)


DESIGN_DF = (
    "the F's degrees of freedom come from design.arms (two or more arms with their n) and design.time_points "
    "(two or more), which the file does not give; give them, or df1 and df2 with every F [design_for_df]"
)
PUB_CASES = [
    Case(
        "mean_sd_as_one_text",
        sub("pre: [227.77, 26.30]", 'pre: "227.77±26.30"'),
        [
            "published.yaml, line 29, column 'table3_outcomes.BDNF.control.pre': must be [mean, sd], a list of two numbers (e.g. [227.77, 26.30]); found the text '227.77±26.30' (value '227.77±26.30') [mean_sd_pair]"
        ],
    ),
    Case(
        "mean_sd_with_three_numbers",
        sub("post: [223.07, 10.85]", "post: [223.07, 10.85, 3]"),
        [
            "published.yaml, line 29, column 'table3_outcomes.BDNF.control.post': must be [mean, sd], a list of two numbers (e.g. [227.77, 26.30]); found a list of 3 (value '[223.07, 10.85, 3]') [mean_sd_pair]"
        ],
    ),
    Case(
        "mean_sd_as_mapping",
        sub("post: [223.07, 10.85]", "post: {mean: 223.07, sd: 10.85}"),
        [
            "published.yaml, line 29, column 'table3_outcomes.BDNF.control.post': must be [mean, sd], a list of two numbers (e.g. [227.77, 26.30]); found a mapping (value '{mean: 223.07, sd: 10.85}') [mean_sd_pair]"
        ],
    ),
    Case(
        "mean_as_truth_value",
        sub("pre: [103.51, 19.07]", "pre: [yes, 19.07]"),
        [
            "published.yaml, line 32, column 'table3_outcomes.GDNF.control.pre[0]': must be the mean, a printed number; found the truth value yes (value 'yes') [printed_number]"
        ],
    ),
    Case(
        "sd_negative",
        sub("pre: [101.78, 17.01]", "pre: [101.78, -17.01]"),
        [
            "published.yaml, line 33, column 'table3_outcomes.GDNF.training.pre[1]': an SD is 0 or more (value '-17.01') [sd_nonnegative]"
        ],
    ),
    Case(
        "sd_empty",
        sub("post: [94.60, 11.50]", "post: [94.60, ]"),
        [
            "published.yaml, line 32, column 'table3_outcomes.GDNF.control.post': must be [mean, sd], a list of two numbers (e.g. [227.77, 26.30]); found a list of 1 (value '[94.60, ]') [mean_sd_pair]"
        ],
    ),
    Case(
        "mean_with_decimal_comma",
        sub("post: [188.05, 9.32]", 'post: ["188,05", 9.32]'),
        [
            "published.yaml, line 33, column 'table3_outcomes.GDNF.training.post[0]': must be the mean, a printed number (e.g. 227.77, or \"0.80\" as text to keep its decimals); found the text '188,05' (value '188,05') [printed_number]"
        ],
    ),
    Case(
        "duplicate_arm_key",
        sub(
            "    training: {pre: [228.78, 60.46], post: [450.43, 24.31]}\n",
            "    training: {pre: [228.78, 60.46], post: [450.43, 24.31]}\n    control: {pre: [1.0, 1.0], post: [2.0, 2.0]}\n",
        ),
        [
            "published.yaml, line 31, column 'table3_outcomes.BDNF.control': the key 'control' appears twice in one mapping (first at line 29); YAML would silently keep only the last value: remove one (value 'control') [key_unique]"
        ],
    ),
    Case(
        "duplicate_time_key_in_flow_mapping",
        sub("{pre: [227.77, 26.30], post: [223.07, 10.85]}", "{pre: [227.77, 26.30], pre: [223.07, 10.85]}"),
        [
            "published.yaml, line 29, column 'table3_outcomes.BDNF.control.pre': the key 'pre' appears twice in one mapping (first at line 29); YAML would silently keep only the last value: remove one (value 'pre') [key_unique]"
        ],
    ),
    Case(
        "duplicate_section",
        PUB + "anova:\n  BDNF:\n    time: {F: 1.0, p: 0.5}\n",
        [
            "published.yaml, line 51, column 'anova': the key 'anova' appears twice in one mapping (first at line 34); YAML would silently keep only the last value: remove one (value 'anova') [key_unique]"
        ],
    ),
    Case(
        "f_as_word",
        sub("F: 146.07", "F: large"),
        [
            "published.yaml, line 40, column 'anova.GDNF.time.F': must be the printed F (e.g. 227.77, or \"0.80\" as text to keep its decimals); found the text 'large' (value 'large') [printed_number]"
        ],
    ),
    Case(
        "f_negative",
        sub("F: 221.14", "F: -221.14"),
        [
            "published.yaml, line 42, column 'anova.GDNF.interaction.F': an F is 0 or more (value '-221.14') [f_nonnegative]"
        ],
    ),
    Case(
        "f_infinite",
        sub("F: 111.60", "F: .inf"),
        [
            "published.yaml, line 41, column 'anova.GDNF.group.F': must be the printed F, a finite one (value '.inf') [printed_number]"
        ],
    ),
    Case(
        "p_as_words",
        sub('p: "0.001",  eta2: 0.88', 'p: "n.s.",  eta2: 0.88'),
        [
            "published.yaml, line 41, column 'anova.GDNF.group.p': must be a printed p value (0.012, \"0.0001\", \"<.001\"); found the text 'n.s.' (value 'n.s.') [printed_p]"
        ],
    ),
    Case(
        "p_above_one",
        sub('{F: 117.42,  p: "0.0001"', "{F: 117.42,  p: 1.5"),
        [
            "published.yaml, line 38, column 'anova.BDNF.interaction.p': a p value lies between 0 and 1 (value '1.5') [p_range]"
        ],
    ),
    Case(
        "eta2_above_one",
        sub("eta2: 0.99", "eta2: 9.9"),
        ["published.yaml, line 37, column 'anova.BDNF.group.eta2': lies from 0 to 1 (value '9.9') [eta2_range]"],
    ),
    Case(
        "effect_unknown",
        sub("    interaction: {F: 221.14", "    group_x_time: {F: 221.14"),
        [
            "published.yaml, line 42, column 'anova.GDNF.group_x_time': the effect must be one of time, group, interaction (value 'group_x_time') [anova_effect]"
        ],
    ),
    Case(
        "f_missing",
        sub('time:        {F: 146.07, p: "0.0001", eta2: 0.83}', 'time:        {p: "0.0001", eta2: 0.83}'),
        ["published.yaml, line 40, column 'anova.GDNF.time.F': the printed F is required [value_given]"],
    ),
    Case(
        "df1_without_df2",
        sub("{F: 107.861, p", "{F: 107.861, df1: 1, p"),
        ["published.yaml, line 36, column 'anova.BDNF.time': df1 and df2 come together [df_pair]"],
    ),
    Case(
        "anova_without_design",
        sub("  arms: {control: 15, training: 15}\n", ""),
        [
            "published.yaml, line 35, column 'anova.BDNF.time': the F's degrees of freedom come from design.arms (two or more arms with their n) and design.time_points (two or more), which the file does not give; give them, or df1 and df2 with every F [design_for_df]"
        ],
    ),
    Case(
        "arm_n_as_word",
        sub("arms: {control: 15, training: 15}", "arms: {control: fifteen, training: 15}"),
        [
            "published.yaml, line 7, column 'design.arms.control': must be a whole number of participants, 1 or more (value 'fifteen') [count]"
        ],
    ),
    Case(
        "arm_n_zero",
        sub("arms: {control: 15, training: 15}", "arms: {control: 0, training: 15}"),
        [
            "published.yaml, line 7, column 'design.arms.control': must be a whole number of participants, 1 or more (value '0') [count]"
        ],
    ),
    Case(
        "time_points_as_text",
        sub("time_points: [pre, post]", "time_points: pre, post"),
        [
            "published.yaml, line 8, column 'design.time_points': design.time_points must be a list of time point names; found the text 'pre, post' (value 'pre, post') [published_layout]"
        ],
    ),
    Case(
        "table2_n_fraction",
        sub("training: {n: 15,", "training: {n: 15.5,"),
        [
            "published.yaml, line 24, column 'table2_baseline.training.n': must be a whole number of participants, 1 or more (value '15.5') [count]"
        ],
    ),
    Case(
        "t_test_p_as_words",
        sub("independent_t_p: {age_years: 0.81", "independent_t_p: {age_years: not significant"),
        [
            "published.yaml, line 26, column 'table2_baseline.independent_t_p.age_years': must be a printed p value (0.012, \"0.0001\", \"<.001\"); found the text 'not significant' (value 'not significant') [printed_p]"
        ],
    ),
    Case(
        "section_as_list",
        sub("table3_outcomes:   # pg/mL, Mean ± SD\n", "table3_outcomes:   # pg/mL, Mean ± SD\n  - x\n").split(
            "  BDNF:\n    control:  {pre: [227.77"
        )[0]
        + "anova: {}\n",
        [
            "published.yaml, line 28, column 'table3_outcomes': table3_outcomes must map each outcome to its arms; found a list of 1 (value '- x') [published_layout]"
        ],
    ),
    Case(
        "unknown_section_warns",
        PUB + "table4_extra: {a: 1}\n",
        [
            "published.yaml, line 51, column 'table4_extra': 'table4_extra' is not a section the check reads (design, table2_baseline, table3_outcomes, anova) or carries (source, table1_protocol, assumption_checks, table3_layout); it is ignored [key_known]"
        ],
    ),
    Case(
        "unclosed_flow_sequence",
        sub("post: [223.07, 10.85]}", "post: [223.07, 10.85}"),
        [
            "published.yaml, line 29: YAML syntax error at line 29, column 58: expected ',' or ']', but got '}' (while parsing a flow sequence started at line 29, column 44) [yaml_syntax]"
        ],
    ),
    Case(
        "tab_indentation",
        sub("  participants: 30\n", "\tparticipants: 30\n"),
        [
            "published.yaml, line 6: YAML syntax error at line 6, column 1: while scanning for the next token: found character '\\t' that cannot start any token [yaml_syntax]"
        ],
    ),
    Case(
        "unclosed_quote",
        sub('p: "0.0001", eta2: 0.79}', 'p: "0.0001, eta2: 0.79}'),
        [
            "published.yaml, line 37: YAML syntax error at line 37, column 35: expected ',' or '}', but got '<scalar>' (while parsing a flow mapping started at line 36, column 18) [yaml_syntax]"
        ],
    ),
    Case(
        "two_documents",
        PUB + "---\nanova: {}\n",
        [
            "published.yaml, line 51: YAML syntax error at line 51, column 1: but found another document (expected a single document in the stream started at line 4, column 1) [yaml_syntax]"
        ],
    ),
    Case(
        "empty_file",
        "",
        ["published.yaml: the file is empty (or holds only comments); it must hold the figures [file_empty]"],
    ),
    Case(
        "only_comments",
        "# transcribed later\n",
        ["published.yaml: the file is empty (or holds only comments); it must hold the figures [file_empty]"],
    ),
    Case(
        "a_list_not_a_mapping",
        "- design\n- anova\n",
        [
            "published.yaml, line 1: the file must be a mapping of sections (design, table3_outcomes, anova, ...); found a list of 2 (value '- design\\n- anova') [published_layout]"
        ],
    ),
    Case(
        "not_utf8",
        PUB.encode("utf-8").replace("Mean ± SD".encode(), "Mean \xb1 SD".encode("latin-1")),
        ["published.yaml, line 23: the file is not UTF-8 (byte 0xb1); save it as UTF-8 [encoding]"],
    ),
    Case(
        "merge_key",
        sub(
            "table3_outcomes:   # pg/mL, Mean ± SD\n  BDNF:\n",
            "table3_outcomes:   # pg/mL, Mean ± SD\n  BDNF:\n    <<: {x: 1}\n",
        ),
        [
            "published.yaml, line 29, column 'table3_outcomes.BDNF': merge keys (<<) are not accepted; write each key (value '<<') [key_text]"
        ],
    ),
]


@pytest.mark.parametrize("case", ids(PUB_CASES))
def test_published_file(tmp_path, case):
    def step(raw, out):
        published_steps.check_published_file(raw, "published.yaml", out["problems"])

    problems, _ = run_case(tmp_path, case, "published.yaml", step)
    check(case, problems, [], "published.yaml")


# --------------------------------------------------------------------------------------------
# the disposition log

D_HEADER = (
    "screening_id,participant_id,eligible,exclusion_reason,declined,arm,received_allocated,not_received_reason,"
    "discontinued,discontinued_reason,lost_to_follow_up,lost_reason,attended_pre,attended_post\n"
)
D_P1 = "S001,P1,yes,,no,control,yes,,no,,no,,yes,yes\n"
D_P2 = "S002,P2,yes,,no,training,yes,,no,,no,,yes,yes\n"
D_OUT = "S003,,no,EDSS > 4.5,,,,,,,,,,\n"
DISPOSITION_CASES = [
    Case(
        "attended_not_yes_no",
        D_HEADER + D_P1.replace(",yes,yes\n", ",yes,maybe\n") + D_P2,
        ["disposition.csv, line 2, column 'attended_post': attended_post must be yes or no (value 'maybe') [yes_no]"],
        (2, 1, 1),
    ),
    Case(
        "arm_unknown",
        D_HEADER + D_P1 + D_P2.replace(",training,", ",exercise,"),
        [
            "disposition.csv, line 3, column 'arm': arm 'exercise' is not one of control, training (as configured) (value 'exercise') [arm_known]"
        ],
        (2, 1, 1),
    ),
    Case(
        "screening_id_twice",
        D_HEADER + D_P1 + D_P2.replace("S002", "S001"),
        [
            "disposition.csv, line 2, column 'screening_id': screening_id 'S001' appears on lines 2, 3; each must appear once (value 'S001') [screening_id_unique]",
            "disposition.csv, line 3, column 'screening_id': screening_id 'S001' appears on lines 2, 3; each must appear once (value 'S001') [screening_id_unique]",
        ],
        (2, 0, 2),
    ),
    Case(
        "lost_yet_attended_last_visit",
        D_HEADER + D_P1 + D_P2.replace(",no,,yes,yes\n", ",yes,moved,yes,yes\n"),
        [
            "disposition.csv, line 3, column 'attended_post': lost_to_follow_up is 'yes' but attended_post is 'yes'; a person seen at the last time point was not lost to follow-up (value 'yes') [lost_not_attended]"
        ],
        (2, 1, 1),
    ),
    Case(
        "attended_column_missing",
        D_HEADER.replace(",attended_post", "") + D_P1.rsplit(",", 1)[0] + "\n" + D_P2.rsplit(",", 1)[0] + "\n",
        [
            "disposition.csv, line 1, column 'attended_post': required column 'attended_post' is missing (columns found: screening_id, participant_id, eligible, exclusion_reason, declined, arm, received_allocated, not_received_reason, discontinued, discontinued_reason, lost_to_follow_up, lost_reason, attended_pre) [column_present]"
        ],
        (2, 0, 2),
    ),
    Case(
        "attendance_of_someone_not_randomised",
        D_HEADER + D_P1 + D_P2 + D_OUT.replace(",,,,\n", ",,,yes,\n"),
        [
            "disposition.csv, line 4, column 'attended_pre': attended_pre must be empty for a person who was not randomised (value 'yes') [blank_unless_randomised]"
        ],
        (3, 2, 1),
    ),
    Case(
        "discontinued_without_reason",
        D_HEADER + D_P1.replace(",no,,no,,yes", ",yes,,no,,yes") + D_P2,
        [
            "disposition.csv, line 2, column 'discontinued_reason': discontinued is 'yes' but discontinued_reason is empty; give the reason [discontinued_reason_given]"
        ],
        (2, 1, 1),
    ),
    Case(
        "participant_not_in_participants_file",
        D_HEADER + D_P1 + D_P2 + "S004,P3,yes,,no,control,yes,,no,,no,,yes,yes\n",
        [
            "disposition.csv, line 4, column 'participant_id': participant 'P3' is randomised in the disposition log but not in the participants file (value 'P3') [participant_listed]",
            "disposition.csv, line 4, column 'attended_pre': participant 'P3' attended 'pre' per the disposition log, but no outcome has a value at 'pre' and none is recorded as missing with a reason; add the data or the reason, or correct the log (value 'yes') [attendance_no_data]",
            "disposition.csv, line 4, column 'attended_post': participant 'P3' attended 'post' per the disposition log, but no outcome has a value at 'post' and none is recorded as missing with a reason; add the data or the reason, or correct the log (value 'yes') [attendance_no_data]",
        ],
        (3, 3, 0),
    ),
    Case(
        "arm_disagrees_with_participants_file",
        D_HEADER + D_P1.replace(",control,", ",training,") + D_P2,
        [
            "disposition.csv, line 2, column 'arm': participant 'P1' is randomised to 'training' in the disposition log but to 'control' in the participants file (value 'training') [arm_agrees]"
        ],
        (2, 2, 0),
    ),
    Case(
        "attendance_has_data",
        D_HEADER + D_P1.replace(",yes,yes\n", ",yes,no\n") + D_P2,
        [
            "disposition.csv, line 2, column 'attended_post': participant 'P1' did not attend 'post' per the disposition log, but the analysis data holds 1 value(s) at 'post' (walk; first: walk.csv, line 3); correct the log or the data (value 'no') [attendance_has_data]"
        ],
        (2, 2, 0),
    ),
    Case(
        "attendance_no_data",
        D_HEADER + D_P1 + D_P2 + D_OUT,
        [
            "disposition.csv, line 3, column 'attended_post': participant 'P2' attended 'post' per the disposition log, but no outcome has a value at 'post' and none is recorded as missing with a reason; add the data or the reason, or correct the log (value 'yes') [attendance_no_data]"
        ],
        (3, 3, 0),
    ),
    Case("attendance_no_data_but_a_reason", D_HEADER + D_P1 + D_P2, [], (2, 2, 0)),
    Case(
        "eligible_empty",
        D_HEADER + D_P1 + D_P2 + D_OUT.replace(",no,EDSS", ",,EDSS"),
        ["disposition.csv, line 4, column 'eligible': eligible is empty; write yes or no [eligible_given]"],
        (3, 2, 1),
    ),
]


def analysis_part(tmp_path: Path, missing_at: tuple[str, str] | None = None) -> str:
    """Walk values of P1 and P2 at pre and post (line 2..5 of walk.csv), less ``missing_at``."""
    rows = [
        {"participant_id": pid, "arm": arm, "time": t, "outcome": "walk", "value": 400.0 + i, "unit": "m"}
        for i, (pid, arm, t) in enumerate(
            [("P1", "control", "pre"), ("P1", "control", "post"), ("P2", "training", "pre"), ("P2", "training", "post")]
        )
    ]
    for i, row in enumerate(rows):
        row |= {"source_file": "walk.csv", "source_line": str(i + 2)}
    rows = [r for r in rows if (r["participant_id"], r["time"]) != missing_at]
    path = tmp_path / "analysis_part.csv"
    write_csv(pd.DataFrame(rows), path)
    return str(path)


@pytest.mark.parametrize("case", ids(DISPOSITION_CASES))
def test_disposition_log(tmp_path, people, case):
    missing_at = ("P2", "post") if "no_data" in case.id or "reason" in case.id else None
    part = analysis_part(tmp_path, missing_at)
    missing = []
    if "reason" in case.id:  # P2's post value is recorded as missing with a reason
        missing = [str(tmp_path / "gaps.csv")]
        gaps = [{"participant_id": "P2", "time": "post", "outcome": "walk", "reason": "not done", "source": "x"}]
        write_csv(pd.DataFrame(gaps), missing[0])

    def step(raw, out):
        ingest_steps.read_disposition(
            raw,
            "disposition.csv",
            people,
            [part],
            ARMS,
            TIMES,
            [WALK],
            out["table"],
            out["problems"],
            out["balance"],
            missing=missing,
        )

    problems, balance = run_case(tmp_path, case, "disposition.csv", step)
    check(case, problems, balance, "disposition.csv")


# --------------------------------------------------------------------------------------------
# adverse events

AE_HEADER = "participant_id,event_term,start_date,severity,serious,relatedness,outcome,led_to_discontinuation\n"
AE_OK = "P1,Headache,2025-04-02,mild,no,unrelated,recovered,no\n"
AE_CASES = [
    Case("header_only_is_a_trial_without_events", AE_HEADER, [], (0, 0, 0)),
    Case("header_only_with_bom_and_crlf", ("\ufeff" + AE_HEADER).replace("\n", "\r\n"), [], (0, 0, 0)),
    Case(
        "participant_unknown",
        AE_HEADER + AE_OK + "P9,Fall,2025-04-03,mild,no,unrelated,recovered,no\n",
        [
            "adverse_events.csv, line 3, column 'participant_id': participant 'P9' is not in the participants file (value 'P9') [participant_known]"
        ],
        (2, 1, 1),
    ),
    Case(
        "severity_unknown",
        AE_HEADER + AE_OK + "P2,Fall,2025-04-03,very bad,no,unrelated,recovered,no\n",
        [
            "adverse_events.csv, line 3, column 'severity': severity must be one of mild, moderate, severe (value 'very bad') [severity_known]"
        ],
        (2, 1, 1),
    ),
    Case(
        "start_before_the_trial",
        AE_HEADER + AE_OK + "P2,Fall,2025-03-31,mild,no,unrelated,recovered,no\n",
        [
            "adverse_events.csv, line 3, column 'start_date': start_date 2025-03-31 is before the start of the trial (2025-04-01, trial.start_date) (value '2025-03-31') [date_in_trial]"
        ],
        (2, 1, 1),
    ),
    Case(
        "start_after_the_cutoff",
        AE_HEADER + AE_OK + "P2,Fall,2025-07-01,mild,no,unrelated,recovered,no\n",
        [
            "adverse_events.csv, line 3, column 'start_date': start_date 2025-07-01 is after the data cut-off (2025-06-30, trial.data_cutoff) (value '2025-07-01') [date_in_trial]"
        ],
        (2, 1, 1),
    ),
    Case(
        "impossible_date",
        AE_HEADER + AE_OK + "P2,Fall,2025-02-30,mild,no,unrelated,recovered,no\n",
        [
            "adverse_events.csv, line 3, column 'start_date': start_date '2025-02-30' is not a calendar date (value '2025-02-30') [start_date_format]"
        ],
        (2, 1, 1),
    ),
    Case(
        "day_first_date",
        AE_HEADER + AE_OK + "P2,Fall,03/04/2025,mild,no,unrelated,recovered,no\n",
        [
            "adverse_events.csv, line 3, column 'start_date': start_date must be a date written YYYY-MM-DD, such as 2025-04-17 (value '03/04/2025') [start_date_format]"
        ],
        (2, 1, 1),
    ),
    Case(
        "serious_not_yes_no",
        AE_HEADER + AE_OK + "P2,Fall,2025-04-03,mild,maybe,unrelated,recovered,no\n",
        [
            "adverse_events.csv, line 3, column 'serious': serious must be one of yes, no (value 'maybe') [serious_known]"
        ],
        (2, 1, 1),
    ),
    Case(
        "event_term_empty",
        AE_HEADER + AE_OK + "P2,,2025-04-03,mild,no,unrelated,recovered,no\n",
        [
            "adverse_events.csv, line 3, column 'event_term': event_term is empty; say what happened (e.g. a MedDRA preferred term) [event_term_given]"
        ],
        (2, 1, 1),
    ),
    Case(
        "same_event_twice",
        AE_HEADER + AE_OK + AE_OK,
        [
            "adverse_events.csv, line 2, column 'participant_id, event_term, start_date': participant_id, event_term, start_date appears more than once for the same key (value 'P1 / Headache / 2025-04-02') [multiple_fields_uniqueness]",
            "adverse_events.csv, line 3, column 'participant_id, event_term, start_date': participant_id, event_term, start_date appears more than once for the same key (value 'P1 / Headache / 2025-04-02') [multiple_fields_uniqueness]",
        ],
        (2, 0, 2),
    ),
    Case(
        "column_missing",
        AE_HEADER.replace(",relatedness", "") + "P1,Headache,2025-04-02,mild,no,recovered,no\n",
        [
            "adverse_events.csv, line 1, column 'relatedness': required column 'relatedness' is missing (columns found: participant_id, event_term, start_date, severity, serious, outcome, led_to_discontinuation) [column_present]"
        ],
        (1, 0, 1),
    ),
    Case(
        "term_in_two_letter_cases",
        AE_HEADER + AE_OK + "P2,headache,2025-04-03,mild,no,unrelated,recovered,no\n",
        [
            "adverse_events.csv, line 2, column 'event_term': the term is written as 'Headache' and 'headache' on different lines; they are counted as different terms (value 'Headache') [event_term_spelling]",
            "adverse_events.csv, line 3, column 'event_term': the term is written as 'Headache' and 'headache' on different lines; they are counted as different terms (value 'headache') [event_term_spelling]",
        ],
        (2, 2, 0),
    ),
    Case("formula_in_term", AE_HEADER + AE_OK + "P2,=1+1,2025-04-03,mild,no,unrelated,recovered,no\n", [], (2, 2, 0)),
    Case(
        "extra_field_in_a_row",
        AE_HEADER + AE_OK + "P2,Fall,2025-04-03,mild,no,unrelated,recovered,no,extra\n",
        [
            "adverse_events.csv, line 3: this row has 9 fields but the header has 8; a stray delimiter would shift every column after it (value 'P2,Fall,2025-04-03,mild,no,unrelated,recovered,no,extra') [row_width]"
        ],
        (2, 1, 1),
    ),
]


@pytest.mark.parametrize("case", ids(AE_CASES))
def test_adverse_events_file(tmp_path, people, case):
    def step(raw, out):
        ingest_steps.read_adverse_events(
            raw,
            "adverse_events.csv",
            people,
            "2025-04-01",
            "2025-06-30",
            out["table"],
            out["problems"],
            out["balance"],
        )

    problems, balance = run_case(tmp_path, case, "adverse_events.csv", step)
    check(case, problems, balance, "adverse_events.csv")


# --------------------------------------------------------------------------------------------
# the REDCap export and the long functional CSV (one step reads both)

R_HEADER = "record_id,redcap_event_name,grip_kg,grip_complete\n"
R_OK = "P1,baseline_arm_1,25.5,2\nP1,week_8_arm_1,27.0,2\n"
REDCAP_CASES = [
    Case(
        "event_not_mapped",
        R_HEADER + R_OK + "P2,week_4_arm_1,26.0,2\n",
        [
            "redcap.csv, line 4, column 'redcap_event_name': event 'week_4_arm_1' is not mapped to a time point (configured events: baseline_arm_1 -> pre, week_8_arm_1 -> post); add it to the events in config, mapped to a time point, or to null to ignore its rows (value 'week_4_arm_1') [event_known]"
        ],
        (3, 2, 1),
    ),
    Case(
        "value_with_decimal_comma",
        R_HEADER + R_OK.replace("27.0", '"27,0"'),
        [
            "redcap.csv, line 3, column 'grip_kg': grip_kg is neither a number nor a configured missing-data code (UNK, -999); write a plain number such as 57.3 or a code (value '27,0') [number_or_code]"
        ],
        (2, 1, 1),
    ),
    Case(
        "value_with_thousands_separator",
        R_HEADER + R_OK.replace("27.0", '"1,027.0"'),
        [
            "redcap.csv, line 3, column 'grip_kg': grip_kg is neither a number nor a configured missing-data code (UNK, -999); write a plain number such as 57.3 or a code (value '1,027.0') [number_or_code]"
        ],
        (2, 1, 1),
    ),
    Case(
        "value_as_word",
        R_HEADER + R_OK.replace("27.0", "strong"),
        [
            "redcap.csv, line 3, column 'grip_kg': grip_kg is neither a number nor a configured missing-data code (UNK, -999); write a plain number such as 57.3 or a code (value 'strong') [number_or_code]"
        ],
        (2, 1, 1),
    ),
    Case(
        "value_outside_hard_limits",
        R_HEADER + R_OK.replace("27.0", "270"),
        [
            "redcap.csv, line 3, column 'grip_kg': Hand-grip strength 270 kg is outside the possible range 0 to 100 kg; value rejected (value '270') [hard_limits]"
        ],
        (2, 1, 1),
    ),
    Case(
        "value_huge",
        R_HEADER + R_OK.replace("27.0", "1e308"),
        [
            "redcap.csv, line 3, column 'grip_kg': Hand-grip strength 1e+308 kg is outside the possible range 0 to 100 kg; value rejected (value '1e+308') [hard_limits]"
        ],
        (2, 1, 1),
    ),
    Case(
        "value_overflowing",
        R_HEADER + R_OK.replace("27.0", "1e999"),
        [
            "redcap.csv, line 3, column 'grip_kg': grip_kg is neither a number nor a configured missing-data code (UNK, -999); write a plain number such as 57.3 or a code (value '1e999') [number_or_code]"
        ],
        (2, 1, 1),
    ),
    Case(
        "code_not_configured",
        R_HEADER + R_OK.replace("27.0", "NASK"),
        [
            "redcap.csv, line 3, column 'grip_kg': grip_kg is neither a number nor a configured missing-data code (UNK, -999); write a plain number such as 57.3 or a code (value 'NASK') [number_or_code]"
        ],
        (2, 1, 1),
    ),
    Case("configured_missing_code", R_HEADER + R_OK.replace("27.0", "UNK"), [], (2, 2, 0)),
    Case(
        "record_twice_at_one_event",
        R_HEADER + R_OK + "P1,week_8_arm_1,28.0,2\n",
        [
            "redcap.csv, line 4, column 'redcap_event_name': record 'P1' has 2 rows for event 'week_8_arm_1' (lines 3, 4); a REDCap export has one, so this file was edited or merged; none of them is used (value 'week_8_arm_1') [event_row_unique]"
        ],
        (3, 2, 1),
    ),
    Case(
        "record_id_column_missing",
        R_HEADER.replace("record_id", "participant") + R_OK,
        [
            "redcap.csv, line 1, column 'record_id': required column 'record_id' of a REDCap export is missing (columns found: participant, redcap_event_name, grip_kg, grip_complete) [column_present]"
        ],
        (2, 0, 2),
    ),
    Case(
        "field_column_missing",
        R_HEADER.replace("grip_kg", "grip") + R_OK,
        [
            "redcap.csv, line 1, column 'grip_kg': configured field 'grip_kg' is not a column of the REDCap export redcap.csv; export the instrument that holds it, or correct the field name in config (see the data dictionary) [field_present]"
        ],
        (2, 0, 2),
    ),
    Case(
        "record_not_a_participant",
        R_HEADER + R_OK + "P7,baseline_arm_1,20.0,2\n",
        [
            "redcap.csv, line 4, column 'participant_id': participant 'P7' is not in the participants file (value 'P7') [participant_known]"
        ],
        (3, 2, 1),
    ),
    Case(
        "labels_export",
        "Record ID,Event Name,Grip strength (kg),Complete?\nP1,Baseline (Arm 1: A),25.5,Complete\n",
        [
            "redcap.csv, line 1: redcap.csv is a 'CSV / Microsoft Excel (labels)' export, not a REDCap raw-data CSV export (its header holds field labels such as 'Record ID', 'Event Name', 'Complete?' instead of variable names such as 'record_id', and its cells hold labels instead of codes); export the data again from REDCap: Data Exports, Reports, and Stats → All data (all records and fields), or your report → Export Data → 'CSV / Microsoft Excel (raw data)' [export_format]"
        ],
        (1, 0, 1),
    ),
]
L_HEADER = "participant_id,time,test,value,unit\n"
L_OK = "P1,pre,walk_m,400,m\nP1,post,walk_m,420,m\n"
LONG_CASES = [
    Case(
        "time_not_configured",
        L_HEADER + L_OK + "P1,week4,walk_m,410,m\n",
        [
            "long.csv, line 4, column 'time': time point 'week4' is not one of pre, post (as configured) (value 'week4') [time_known]"
        ],
        (3, 2, 1),
    ),
    Case(
        "unit_not_configured",
        L_HEADER + L_OK.replace("420,m", "420,ft"),
        ["long.csv, line 3, column 'unit': walk_m must be in m, as configured (value 'ft') [unit_configured]"],
        (2, 1, 1),
    ),
    Case(
        "test_not_configured",
        L_HEADER + L_OK + "P1,pre,jump_cm,20,cm\n",
        [
            "long.csv, line 4, column 'test': test 'jump_cm' is not one of walk_m (as configured) (value 'jump_cm') [test_known]"
        ],
        (3, 2, 1),
    ),
    Case(
        "row_twice",
        L_HEADER + L_OK + "P1,post,walk_m,421,m\n",
        [
            "long.csv, line 4, column 'test': participant 'P1' has walk_m at post twice (lines 3 and 4); neither is used (value 'walk_m') [row_unique]"
        ],
        (3, 2, 1),
    ),
    Case(
        "value_as_word",
        L_HEADER + L_OK.replace("420", "far"),
        [
            "long.csv, line 3, column 'value': value is neither a number nor a configured missing-data code (UNK, -999); write a plain number such as 57.3 or a code (value 'far') [number_or_code]"
        ],
        (2, 1, 1),
    ),
    Case(
        "value_infinite",
        L_HEADER + L_OK.replace("420", "inf"),
        [
            "long.csv, line 3, column 'value': value is neither a number nor a configured missing-data code (UNK, -999); write a plain number such as 57.3 or a code (value 'inf') [number_or_code]"
        ],
        (2, 1, 1),
    ),
    Case(
        "value_below_hard_limit",
        L_HEADER + L_OK.replace("420", "-5"),
        [
            "long.csv, line 3, column 'value': 6-minute walk -5 m is outside the possible range 0 to 1000 m; value rejected (value '-5') [hard_limits]"
        ],
        (2, 1, 1),
    ),
    Case(
        "value_outside_plausible_limits_warns",
        L_HEADER + L_OK.replace("420", "950"),
        [
            "long.csv, line 3, column 'value': 6-minute walk 950 m is outside the plausible range 100 to 900 m; value kept, check it against the source record (value '950') [plausible_limits]"
        ],
        (2, 2, 0),
    ),
    Case("missing_code_without_unit", L_HEADER + L_OK.replace("420,m", "-999,"), [], (2, 2, 0)),
    Case(
        "participant_empty",
        L_HEADER + L_OK + ",pre,walk_m,400,m\n",
        ["long.csv, line 4, column 'participant_id': participant_id is empty [participant_id_present]"],
        (3, 2, 1),
    ),
    Case(
        "participant_unknown",
        L_HEADER + L_OK + "P9,pre,walk_m,400,m\n",
        [
            "long.csv, line 4, column 'participant_id': participant 'P9' is not in the participants file (value 'P9') [participant_known]"
        ],
        (3, 2, 1),
    ),
    Case(
        "unit_column_missing",
        "participant_id,time,test,value\nP1,pre,walk_m,400\n",
        [
            "long.csv, line 1, column 'unit': required column 'unit' of a long functional-test file is missing (columns found: participant_id, time, test, value) [column_present]"
        ],
        (1, 0, 1),
    ),
    Case(
        "semicolon_file_with_decimal_comma",
        (L_HEADER + L_OK).replace(",", ";").replace("420", "420,5"),
        [
            "long.csv, line 3, column 'value': value is neither a number nor a configured missing-data code (UNK, -999); write a plain number such as 57.3 or a code (value '420,5') [number_or_code]"
        ],
        (2, 1, 1),
    ),
]


def functional_step(people: str, name: str):
    def step(raw, out):
        kwargs = (
            {"redcap_export": raw, "redcap_name": name}
            if name == "redcap.csv"
            else {"long_csv": raw, "long_name": name}
        )
        ingest_steps.read_functional(
            people,
            [GRIP if name == "redcap.csv" else WALK],
            ["pre", "post"],
            REDCAP,
            MISSING_CODES,
            out["table"],
            out["missing"],
            out["problems"],
            out["balance"],
            **kwargs,
        )

    return step


@pytest.mark.parametrize("case", ids(REDCAP_CASES))
def test_redcap_export(tmp_path, people, case):
    problems, balance = run_case(tmp_path, case, "redcap.csv", functional_step(people, "redcap.csv"))
    check(case, problems, balance, "redcap.csv")


@pytest.mark.parametrize("case", ids(LONG_CASES))
def test_long_functional_csv(tmp_path, people, case):
    problems, balance = run_case(tmp_path, case, "long.csv", functional_step(people, "long.csv"))
    check(case, problems, balance, "long.csv")


# --------------------------------------------------------------------------------------------
# the participants file

P_HEADER = "participant_id,arm,age_years,height_cm,weight_kg\n"
P_OK = "P0,control,40,160.0,60.0\n"
PARTICIPANT_CASES = [
    Case(
        "age_huge",
        P_HEADER + P_OK + "P1,training,1e308,170,70\n",
        [
            "participants.csv, line 3, column 'age_years': age (year) must be between 18 and 100 (value '1e+308') [in_range(18, 100)]"
        ],
        (2, 1, 1),
    ),
    Case(
        "age_overflowing",
        P_HEADER + P_OK + "P1,training,1e999,170,70\n",
        [
            "participants.csv, line 3, column 'age_years': age_years is not a number; write a plain number such as 57.3 (value '1e999') [number]"
        ],
        (2, 1, 1),
    ),
    Case(
        "height_as_formula",
        P_HEADER + P_OK + "P1,training,41,=170,70\n",
        [
            "participants.csv, line 3, column 'height_cm': height_cm is not a number; write a plain number such as 57.3 (value '=170') [number]"
        ],
        (2, 1, 1),
    ),
    Case(
        "arm_in_other_case",
        P_HEADER + P_OK + "P1,Training,41,170,70\n",
        [
            "participants.csv, line 3, column 'arm': arm 'Training' is not one of control, training (as configured) (value 'Training') [arm_known]"
        ],
        (2, 1, 1),
    ),
    Case(
        "id_with_inner_space",
        P_HEADER + P_OK + "P 1,training,41,170,70\n",
        [
            "participants.csv, line 3, column 'participant_id': Participant ID must start with a letter or digit and contain only letters, digits, '_', '.', '-' (value 'P 1') [str_matches('^[A-Za-z0-9][A-Za-z0-9_.-]*$')]"
        ],
        (2, 1, 1),
    ),
    Case(
        "weight_with_unit",
        P_HEADER + P_OK + "P1,training,41,170,70 kg\n",
        [
            "participants.csv, line 3, column 'weight_kg': weight_kg is not a number; write a plain number such as 57.3 (value '70 kg') [number]"
        ],
        (2, 1, 1),
    ),
    Case(
        "same_id_in_other_case",
        P_HEADER + P_OK + "p0,training,41,170,70\n",
        [
            "participants.csv, line 3, column 'participant_id': participant id 'p0' differs from 'P0' (line 2) only in letter case; ids are case-sensitive, so they are two participants: correct the id if they are one (value 'p0') [participant_id_case]"
        ],
        (2, 2, 0),
    ),
    Case(
        "header_repeated_mid_file",
        P_HEADER + P_OK + P_HEADER + "P1,training,41,170,70\n",
        [
            "participants.csv, line 3, column 'age_years': age_years is not a number; write a plain number such as 57.3 (value 'age_years') [number]",
            "participants.csv, line 3, column 'height_cm': height_cm is not a number; write a plain number such as 57.3 (value 'height_cm') [number]",
            "participants.csv, line 3, column 'weight_kg': weight_kg is not a number; write a plain number such as 57.3 (value 'weight_kg') [number]",
        ],
        (3, 2, 1),
    ),
]


@pytest.mark.parametrize("case", ids(PARTICIPANT_CASES))
def test_participants_file(tmp_path, case):
    def step(raw, out):
        ingest_steps.read_participants(
            raw,
            "participants.csv",
            ["control", "training"],
            demo_characteristics(),
            **{k: out[k] for k in ("table", "problems", "balance")},
        )

    problems, balance = run_case(tmp_path, case, "participants.csv", step)
    check(case, problems, balance, "participants.csv")


# --------------------------------------------------------------------------------------------
# the config: every check made before any job, each sentence naming the key


def demo_config() -> dict:
    return validated(yaml.safe_load((ROOT / "config.yaml").read_text()))


def outcome(config: dict, oid: str) -> dict:
    return next(o for o in config["outcomes"] if o["id"] == oid)


def without_redcap(config: dict) -> None:
    del config["inputs"]["functional_redcap"]
    config["outcomes"] = [o for o in config["outcomes"] if "redcap_field" not in o.get("source", {})]


CONFIG_CASES = [
    (
        "hard_limits_reversed",
        lambda c: outcome(c, "grip").update(hard_limits=[100, 0]),
        ["outcomes[4] (grip): hard_limits must be [low, high] with two numbers, low < high (got [100, 0])"],
    ),
    (
        "hard_limits_equal",
        lambda c: outcome(c, "tug").update(hard_limits=[5, 5]),
        ["outcomes[6] (tug): hard_limits must be [low, high] with two numbers, low < high (got [5, 5])"],
    ),
    (
        "plausible_outside_hard",
        lambda c: outcome(c, "six_mwt").update(plausible_limits=[150, 1200]),
        ["outcomes[5] (six_mwt): plausible_limits [150.0, 1200.0] must lie within hard_limits [0.0, 1000.0]"],
    ),
    (
        "time_point_id_twice",
        lambda c: c["time_points"].append(dict(c["time_points"][1])),
        ["time_points: the id 'post' is used more than once"],
    ),
    (
        "baseline_id_twice",
        lambda c: c["baseline"].append(dict(c["baseline"][0])),
        ["baseline: the id 'age_years' is used more than once"],
    ),
    (
        "baseline_limits_reversed",
        lambda c: c["baseline"][0].update(limits=[100, 18]),
        ["baseline[0] (age_years): limits are for numeric characteristics, lowest first"],
    ),
    (
        "redcap_event_to_unknown_time",
        lambda c: c["redcap"]["events"].update(week_4_arm_1="week4"),
        [
            "redcap.events: 'week_4_arm_1' maps to the time point 'week4', which is not a configured time point "
            "(time_points: pre, post)"
        ],
    ),
    (
        "long_test_without_long_csv",
        lambda c: c["outcomes"].append({**outcome(c, "grip"), "id": "walk", "source": {"test": "walk_m"}}),
        [
            "outcomes[12] (walk): its values come from the long functional CSV (inputs.functional_long), which the "
            "config does not name"
        ],
    ),
    (
        "derived_without_functional_input",
        without_redcap,
        [
            f"outcomes[{i}] ({oid}): a derived outcome is computed from functional fields, but the config names no "
            "functional input (inputs.functional_redcap or inputs.functional_long)"
            for i, oid in ((2, "knee_mvic_rel"), (3, "gait_speed"))
        ],
    ),
    (
        "per_time_field_missing_a_time",
        lambda c: outcome(c, "grip").update(source={"redcap_field": {"pre": "grip_kg"}}),
        [
            "outcomes[4] (grip): its source names a field per time point, but none for post; name one for every "
            "time point (pre, post)"
        ],
    ),
    (
        "field_in_two_units",
        lambda c: c["outcomes"].append({**outcome(c, "grip"), "id": "grip_lb", "unit": "lb"}),
        ["outcomes: field 'grip_kg' is used in kg and in lb (outcome 'grip_lb'); one field has one unit"],
    ),
    (
        "derived_unit_wrong",
        lambda c: outcome(c, "knee_mvic_rel").update(unit="Nm"),
        ["outcomes[3] (knee_mvic_rel): per_body_mass needs a unit ending in '/kg' (e.g. Nm/kg), not 'Nm'"],
    ),
    (
        "derived_from_a_characteristic_not_configured",
        lambda c: c.update(baseline=[b for b in c["baseline"] if b["id"] not in ("weight_kg", "bmi_kg_m2")]),
        [
            "outcomes[3] (knee_mvic_rel): derive per_body_mass needs the participants' weight_kg, a numeric baseline "
            "characteristic (`baseline`) the config does not name"
        ],
    ),
    (
        "functional_outcome_without_hard_limits",
        lambda c: outcome(c, "grip").pop("hard_limits"),
        [
            "outcomes[4] (grip): an outcome read from a functional export needs hard_limits [low, high] (values "
            "outside are impossible)"
        ],
    ),
]


@pytest.mark.parametrize(("change", "expected"), [pytest.param(f, e, id=i) for i, f, e in CONFIG_CASES])
def test_config_problem_is_named_by_its_key(change, expected):
    config = demo_config()
    change(config)
    assert config_problems(validated(config)) == expected


def raw_with_link(tmp_path: Path, target: Path) -> Path:
    """A working directory whose raw/demo is the demo's, with participants.csv a symlink to ``target``."""
    raw = tmp_path / "raw" / "demo"
    raw.parent.mkdir(parents=True)
    raw.mkdir()
    for f in (ROOT / "raw" / "demo").rglob("*"):
        if f.is_file():
            (raw / f.relative_to(ROOT / "raw" / "demo")).parent.mkdir(parents=True, exist_ok=True)
            (raw / f.relative_to(ROOT / "raw" / "demo")).write_bytes(f.read_bytes())
    (raw / "participants.csv").unlink()
    os.symlink(target, raw / "participants.csv")
    return raw


def test_an_input_linked_outside_the_raw_folder_is_refused_before_reading(tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("participant_id,arm\nroot,control\n")
    raw_with_link(tmp_path, secret)
    assert input_path_problems(demo_config(), tmp_path) == [
        f"inputs.participants: raw/demo/participants.csv (it leads to {secret.as_posix()}) is not "
        "inside the raw folder raw/demo; raw inputs are read only from there"
    ]


def test_a_link_inside_the_raw_folder_and_a_linked_raw_folder_are_fine(tmp_path):
    raw = raw_with_link(tmp_path, Path("participants_v2.csv"))  # relative: raw/demo/participants_v2.csv
    (raw / "participants_v2.csv").write_bytes((ROOT / "raw" / "demo" / "participants.csv").read_bytes())
    assert input_path_problems(demo_config(), tmp_path) == []
    config = demo_config() | {"raw_dir": "linked"}
    os.symlink(raw, tmp_path / "linked")
    assert input_path_problems(config, tmp_path) == []


def test_a_manifest_path_leaving_the_raw_folder_is_refused(tmp_path):
    config = demo_config()
    config["elisa"]["manifest"] = "elisa/../../../etc/passwd"
    (tmp_path / "raw" / "demo" / "elisa").mkdir(parents=True)
    assert input_path_problems(config, tmp_path) == [
        f"elisa.manifest: raw/demo/elisa/../../../etc/passwd (it leads to {tmp_path.as_posix()}/etc/passwd) "
        "is not inside the raw folder raw/demo; raw inputs are read only from there"
    ]


@pytest.mark.parametrize("bad", ["hard_limits_reversed", "input_linked_outside"])
def test_snakemake_stops_before_any_job_naming_the_key(tmp_path, bad):
    """`snakemake -n --configfile bad.yaml` exits non-zero with the sentence, and no job ran."""
    config = demo_config()
    if bad == "hard_limits_reversed":
        outcome(config, "grip").update(hard_limits=[100, 0])
        expected = "outcomes[4] (grip): hard_limits must be [low, high] with two numbers, low < high (got [100, 0])"
        shutil_copy_raw(tmp_path)
    else:
        raw_with_link(tmp_path, Path("/etc/passwd"))
        expected = (
            "inputs.participants: raw/demo/participants.csv (it leads to /etc/passwd) is not inside "
            "the raw folder raw/demo; raw inputs are read only from there"
        )
        config["raw_dir"] = "raw/demo"
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(config))
    before = tree(tmp_path / "raw")
    command = ["snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path), "--configfile"]
    done = subprocess.run(
        [*command, str(tmp_path / "bad.yaml"), "--cores", "1"], capture_output=True, text=True, timeout=300
    )
    out = done.stdout + done.stderr
    assert done.returncode != 0
    assert f"The config cannot describe a run:\n  - {expected}" in out
    assert "Traceback" not in out and "root:x:0:0" not in out
    assert not (tmp_path / "results").exists()  # no job ran
    assert tree(tmp_path / "raw") == before


def shutil_copy_raw(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(ROOT / "raw" / "demo", tmp_path / "raw" / "demo")


# --------------------------------------------------------------------------------------------
# what the checks lead to


def test_a_formula_is_neutralised_in_the_csv_and_read_back_exactly(tmp_path, people):
    case = Case("formula", AE_HEADER + "P2,=1+1,2025-04-03,mild,no,unrelated,recovered,no\n", [], (1, 1, 0))

    def step(raw, out):
        ingest_steps.read_adverse_events(
            raw, "adverse_events.csv", people, None, None, out["table"], out["problems"], out["balance"]
        )

    problems, balance = run_case(tmp_path, case, "adverse_events.csv", step)
    check(case, problems, balance, "adverse_events.csv")
    assert "\nP2,'=1+1," in (tmp_path / "table.csv").read_text()  # what a spreadsheet opens: text
    assert read_csv(tmp_path / "table.csv")["event_term"].tolist() == ["=1+1"]  # what the report prints


def test_published_errors_stop_the_run_even_under_quarantine(tmp_path):
    from trialflow.validation import gate

    (tmp_path / "published.yaml").write_text(sub("pre: [227.77, 26.30]", 'pre: "227.77±26.30"'))
    published_steps.check_published_file(str(tmp_path / "published.yaml"), "published.yaml", str(tmp_path / "p.csv"))
    table = read_text_csv(tmp_path / "p.csv")
    stop = gate(table, "quarantine", [table], "results/qc/validation.csv")
    assert stop.startswith("1 error(s) in the disposition log, its cross-checks or the published figures cannot be")
    assert "table3_outcomes.BDNF.control.pre" in stop


def test_the_check_never_runs_on_an_invalid_file(tmp_path):
    from trialflow.problems import InputError

    (tmp_path / "published.yaml").write_text(sub("  participants: 30\n", "\tparticipants: 30\n"))
    with pytest.raises(InputError) as err:
        published_steps.check_published(str(tmp_path / "published.yaml"), "", "", "", "", {}, "published.yaml")
    assert "published.yaml, line 6: YAML syntax error at line 6, column 1" in str(err.value)


def test_the_corpus_is_large_and_its_cases_distinct():
    files = PUB_CASES + DISPOSITION_CASES + AE_CASES + REDCAP_CASES + LONG_CASES + PARTICIPANT_CASES
    assert len(files) + len(CONFIG_CASES) >= 60 + 40
    for cases in (PUB_CASES, DISPOSITION_CASES, AE_CASES, REDCAP_CASES, LONG_CASES, PARTICIPANT_CASES):
        assert len({c.id for c in cases}) == len(cases)
        assert len({c.data for c in cases}) == len(cases)
    assert len({c[0] for c in CONFIG_CASES}) == len(CONFIG_CASES)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    control:  {pre: [227.77",
            "    Control:  {pre: [227.77",
            "published.yaml, line 29, column 'table3_outcomes.BDNF.Control': 'Control' is not a configured arm id "
            "(control, training); its numbers cannot be compared with the reanalysis: use the configured id "
            "(value 'Control') [published_id_known]",
        ),
        (
            "  GDNF:\n    control:  {pre: [103.51",
            "  gdnf:\n    control:  {pre: [103.51",
            "published.yaml, line 31, column 'table3_outcomes.gdnf': 'gdnf' is not a configured outcome id (BDNF, "
            "GDNF); its numbers cannot be compared with the reanalysis: use the configured id (value 'gdnf') "
            "[published_id_known]",
        ),
        (
            "time_points: [pre, post]",
            "time_points: [pre, week8]",
            "published.yaml, line 8, column 'design.time_points[1]': 'week8' is not a configured time point id (pre, "
            "post); its numbers cannot be compared with the reanalysis: use the configured id (value 'week8') "
            "[published_id_known]",
        ),
    ],
    ids=["arm_in_other_case", "outcome_in_other_case", "time_point_not_configured"],
)
def test_published_ids_the_config_does_not_name_are_warned(tmp_path, old, new, expected):
    known = {"arms": ["control", "training"], "time_points": ["pre", "post"], "outcomes": ["BDNF", "GDNF"]}

    def step(raw, out):
        published_steps.check_published_file(raw, "published.yaml", out["problems"], known)

    problems, _ = run_case(tmp_path, Case("ids", sub(old, new), []), "published.yaml", step)
    assert problems == [expected]
