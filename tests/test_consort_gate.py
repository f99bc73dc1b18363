"""The disposition log is checked at the validation gate: its errors (rows and cross-checks)
reach validation.csv with the other inputs' and stop the run before any analysis, under
either on_error policy; the row balance counts its rows."""

import pandas as pd
import pytest

from tests.conftest import ROOT
from trialflow.outputs import write_csv
from trialflow.problems import InputError
from trialflow.steps import ingest, validation

ARMS = [{"id": "control", "label": "Control"}, {"id": "training", "label": "Training"}]
TIMES = [{"id": "pre", "label": "pre"}, {"id": "post", "label": "post"}]
OUTCOMES = [{"id": "BDNF", "label": "BDNF"}, {"id": "GDNF", "label": "GDNF"}]
DEMO_LOG = (ROOT / "raw/demo/disposition.csv").read_text()


@pytest.fixture
def gate(tmp_path, demo_analysis):
    """Write the demo's participants and analysis tables; return a function that runs the
    disposition step on a log text, then collect_validation, and gives back the folder."""
    write_csv(demo_analysis["participants"], tmp_path / "participants.csv")
    write_csv(demo_analysis["data"], tmp_path / "analysis.csv")
    write_csv(
        pd.DataFrame(columns=["file", "line", "column", "value", "rule", "severity", "message"]),
        tmp_path / "participants_problems.csv",
    )
    write_csv(
        pd.DataFrame(
            [{"file": "participants.csv", "rows_read": 30, "rows_accepted": 30, "rows_rejected": 0, "balanced": True}]
        ),
        tmp_path / "participants_balance.csv",
    )

    def run(log_text: str):
        (tmp_path / "disposition.csv").write_text(log_text)
        ingest.read_disposition(
            raw=str(tmp_path / "disposition.csv"),
            name="disposition.csv",
            participants=str(tmp_path / "participants.csv"),
            analysis=[str(tmp_path / "analysis.csv")],
            arms=ARMS,
            time_points=TIMES,
            outcomes=OUTCOMES,
            table=str(tmp_path / "disposition_table.csv"),
            problems=str(tmp_path / "disposition_problems.csv"),
            balance=str(tmp_path / "disposition_balance.csv"),
        )
        validation.collect_validation(
            [str(tmp_path / "participants_problems.csv"), str(tmp_path / "disposition_problems.csv")],
            [str(tmp_path / "participants_balance.csv"), str(tmp_path / "disposition_balance.csv")],
            str(tmp_path / "validation.csv"),
            str(tmp_path / "row_balance.csv"),
        )
        return tmp_path

    return run


def check(folder, on_error):
    validation.check_validation(
        str(folder / "validation.csv"),
        on_error,
        str(folder / "passed.txt"),
        blocking=[str(folder / "disposition_problems.csv")],
    )


def test_the_demo_log_passes_the_gate_and_balances(gate):
    folder = gate(DEMO_LOG)
    check(folder, "stop")
    assert (folder / "passed.txt").exists()
    balance = pd.read_csv(folder / "row_balance.csv").set_index("file")
    assert balance.loc["disposition.csv", ["rows_read", "rows_accepted", "rows_rejected"]].tolist() == [45, 45, 0]


def swap_arm(text: str, pid: str) -> str:
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        cells = line.split(",")
        if cells[1] == pid:
            cells[5] = "training" if cells[5] == "control" else "control"
            lines[i] = ",".join(cells)
    return "".join(lines)


@pytest.mark.parametrize("on_error", ["stop", "quarantine"])
def test_a_count_inconsistency_stops_at_the_gate_under_either_policy(gate, on_error):
    folder = gate(swap_arm(DEMO_LOG, "MS003"))
    validation = pd.read_csv(folder / "validation.csv", dtype=str, keep_default_na=False)
    row = validation[validation["rule"] == "arm_agrees"].iloc[0]
    assert row["file"] == "disposition.csv" and row["severity"] == "error"
    assert row["message"] == (
        "participant 'MS003' is randomised to 'training' in the disposition log but to 'control' in the participants file"
    )
    # the allocation counts no longer add up either: 16 training, 14 control against the file
    with pytest.raises(InputError) as err:
        check(folder, on_error)
    assert (
        f"  - disposition.csv, line {row['line']}, column 'arm': participant 'MS003' is randomised to 'training' in "
        "the disposition log but to 'control' in the participants file (value 'training') [arm_agrees]\n"
    ) in str(err.value)
    if on_error == "quarantine":
        assert "cannot be quarantined" in str(err.value)
    assert not (folder / "passed.txt").exists()


def test_analysed_more_than_followed_up_is_found_before_the_analysis(gate):
    # MS001 is marked lost to follow-up and absent at post, yet has every value: the analysis
    # would count them, so analysed (15) > followed up (14) in their arm
    lines = DEMO_LOG.splitlines(keepends=True)
    for i, line in enumerate(lines):
        cells = line.rstrip("\n").split(",")
        if cells[1] == "MS001":
            cells[10], cells[11], cells[13] = "yes", "moved abroad", "no"
            lines[i] = ",".join(cells) + "\n"
    folder = gate("".join(lines))
    validation = pd.read_csv(folder / "validation.csv", dtype=str, keep_default_na=False)
    messages = validation.loc[validation["rule"] == "analysed_followed_up", "message"].tolist()
    assert (
        "BDNF, arm Control: analysed (n=15) is more than were followed up (n=14: 15 allocated − 1 lost to follow-up)"
        in messages
    )
    with pytest.raises(InputError):
        check(folder, "stop")


def test_a_bad_row_is_a_validation_error_with_its_place_and_the_cross_checks_wait(gate):
    text = DEMO_LOG.replace("S001,MS029,yes,", "S001,MS029,perhaps,", 1)
    folder = gate(text)
    validation = pd.read_csv(folder / "validation.csv", dtype=str, keep_default_na=False)
    errors = validation[validation["severity"] == "error"]
    assert errors[["file", "line", "column", "value", "rule"]].values.tolist() == [
        ["disposition.csv", "2", "eligible", "perhaps", "yes_no"]
    ]  # the participant cross-checks run once every row passes, so no follow-on errors
    balance = pd.read_csv(folder / "row_balance.csv").set_index("file")
    assert balance.loc["disposition.csv", ["rows_read", "rows_accepted", "rows_rejected"]].tolist() == [45, 44, 1]
    with pytest.raises(InputError, match="cannot be quarantined"):
        check(folder, "quarantine")
