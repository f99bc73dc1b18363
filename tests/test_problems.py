"""One record of a problem (trialflow.problems.Problem) and one way to put it for a person."""

import pytest

from tests.conftest import ROOT
from trialflow import schedule
from trialflow.outputs import write_csv
from trialflow.problems import InputError, Problem, describe, problems_frame
from trialflow.steps import validation as gate

ROW = {
    "file": "participants.csv",
    "line": "7",
    "column": "arm",
    "value": "placebo",
    "rule": "arm_known",
    "severity": "error",
    "message": "arm 'placebo' is not one of control, training (as configured)",
}
SHOWN = (
    "participants.csv, line 7, column 'arm': arm 'placebo' is not one of control, training (as configured) "
    "(value 'placebo') [arm_known]"
)


def test_a_problem_prints_as_the_readme_quotes_it():
    assert str(Problem(**ROW)) == SHOWN
    assert SHOWN in (ROOT / "README.md").read_text(encoding="utf-8")


def test_a_validation_row_is_described_as_its_problem_prints():
    assert describe(ROW) == SHOWN
    whole_file = ROW | {"line": "", "column": "", "value": "", "rule": "file_readable", "message": "empty file"}
    assert describe(whole_file) == "participants.csv: empty file [file_readable]"
    assert describe(whole_file) == str(Problem(**whole_file))


@pytest.fixture
def validation(tmp_path):
    path = tmp_path / "results" / "qc" / "validation.csv"
    path.parent.mkdir(parents=True)
    write_csv(problems_frame([Problem(**ROW)]), path)
    return path


def test_the_run_stops_listing_the_first_problems_as_problems_print(validation, tmp_path):
    with pytest.raises(InputError) as err:
        gate.check_validation(str(validation), "stop", str(tmp_path / "passed.txt"), blocking=[])
    assert f"\n  - {SHOWN}\n" in str(err.value)


def test_a_failed_scheduled_run_lists_the_first_problems_as_problems_print(validation, tmp_path):
    text = schedule.failure_report(tmp_path, tmp_path / "archive", "snakemake exited with 1", [], True)
    assert f"\n  - {SHOWN}\n" in text
