"""`trialflow init`: a new trial's skeleton that validates and says nothing of the demo."""

import itertools

import pytest
import yaml

from tests.conftest import validated
from trialflow.cli import main
from trialflow.configuration import config_problems
from trialflow.skeleton import INPUTS, write_skeleton

SOURCES = ["concentrations", "plates", "redcap", "long"]


@pytest.mark.parametrize(
    "inputs",
    [[source, *extra] for source in SOURCES for extra in ([], ["disposition", "adverse_events"])]
    + [list(pair) for pair in itertools.combinations(SOURCES, 2)],
)
def test_the_config_validates_for_any_choice_of_inputs(tmp_path, inputs):
    written = write_skeleton("t1", ["a", "b", "c"], ["v0", "v1", "v2"], inputs, tmp_path)
    config = validated(yaml.safe_load(written[0].read_text()))
    assert config_problems(config) == []
    assert [a["id"] for a in config["arms"]] == ["a", "b", "c"]
    demo_words = ("BDNF", "multiple sclerosis", "demo", "training", "Isfahan")
    assert not any(word in written[0].read_text() for word in demo_words)


def test_each_template_has_the_columns_its_reader_requires_and_no_row(tmp_path):
    write_skeleton("t2", ["only"], ["pre", "post"], list(INPUTS), tmp_path)
    raw = tmp_path / "raw" / "t2"
    assert (raw / "participants.csv").read_text() == "participant_id,arm\n"
    assert (raw / "concentrations.csv").exists() is False  # with plates, typed values are not read
    assert (raw / "elisa" / "plates.csv").read_text().startswith("plate_id,analyte,")
    assert (raw / "disposition.csv").read_text().rstrip().endswith("attended_pre,attended_post")
    assert (raw / "functional_long.csv").read_text() == "participant_id,time,test,value,unit\n"
    assert all(len(p.read_text().splitlines()) == 1 for p in raw.rglob("*.csv"))


def test_nothing_is_overwritten_and_bad_ids_are_refused(tmp_path, capsys):
    arguments = ["init", "t3", "--directory", str(tmp_path), "--inputs", "long"]
    assert main(arguments) == 0
    before = (tmp_path / "t3.yaml").read_bytes()
    assert main(arguments) == 2
    assert "exists already; nothing was written" in capsys.readouterr().out
    assert (tmp_path / "t3.yaml").read_bytes() == before
    assert main(["init", "my trial", "--directory", str(tmp_path)]) == 2
    assert main(["init", "t4", "--time-points", "v0", "--directory", str(tmp_path)]) == 2
    assert main(["init", "t5", "--inputs", "disposition", "--directory", str(tmp_path)]) == 2
    assert "name where the outcomes come from" in capsys.readouterr().out
