"""Checks across config keys (trialflow.configuration), made before any job runs."""

import subprocess

import yaml

from tests.conftest import ROOT, validated
from trialflow.configuration import config_problems


def demo() -> dict:
    return validated(yaml.safe_load((ROOT / "config.yaml").read_text()))


def test_the_demo_config_describes_a_run():
    assert config_problems(demo()) == []


def test_ids_used_twice_are_named():
    config = demo()
    config["arms"].append(dict(config["arms"][0]))
    config["outcomes"].append(dict(config["outcomes"][0]))
    assert config_problems(config) == [
        "arms: the id 'control' is used more than once",
        "outcomes: the id 'BDNF' is used more than once",
    ]


def test_every_outcome_needs_an_input_its_values_come_from():
    config = demo()
    del config["elisa"], config["inputs"]["concentrations"], config["inputs"]["functional_redcap"]
    config["outcomes"].append({**config["outcomes"][2], "id": "walk", "source": {"test": "walk_m"}})
    problems = config_problems(config)
    assert problems[0] == (
        "outcomes[0] (BDNF): a biomarker (no `source`) is read from typed concentrations (inputs.concentrations) "
        "or from plates (an `elisa` block); the config has neither"
    )
    assert (
        "outcomes[2] (knee_mvic): its values come from the REDCap export (inputs.functional_redcap), which "
        in (problems[2])
    )
    assert problems[-1] == (
        "outcomes[12] (walk): its values come from the long functional CSV (inputs.functional_long), which the "
        "config does not name"
    )


def test_plates_or_typed_concentrations_without_a_biomarker_are_named():
    config = demo()
    config["outcomes"] = [o for o in config["outcomes"] if "source" in o]
    assert config_problems(config) == [
        "an `elisa` block is given but no outcome is a biomarker (an outcome without `source`)",
        "inputs.concentrations is given but no outcome is a biomarker (an outcome without `source`)",
    ]


def test_baseline_characteristics_are_consistent():
    config = demo()
    config["baseline"] += [
        {"id": "sex", "label": "sex", "type": "categorical", "limits": [0, 1]},
        {"id": "age2", "label": "age", "type": "numeric", "levels": ["a"]},
        {"id": "bmi2", "label": "BMI", "type": "numeric", "derive": "bmi", "from": ["weight_kg", "sex"]},
    ]
    assert config_problems(config) == [
        "baseline[4] (sex): limits are for numeric characteristics, lowest first",
        "baseline[5] (age2): levels are for categorical characteristics",
        "baseline[6] (bmi2): derive bmi takes two numeric characteristics of the participants file "
        "(from: [weight in kg, height in cm]); not ['weight_kg', 'sex']",
    ]


def test_the_workflow_stops_on_them_before_any_job(tmp_path):
    config = demo()
    config["arms"].append(dict(config["arms"][0]))
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(config))
    done = subprocess.run(
        [
            "snakemake",
            "-s",
            str(ROOT / "Snakefile"),
            "-d",
            str(tmp_path),
            "--configfile",
            str(tmp_path / "bad.yaml"),
            "-n",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    out = done.stdout + done.stderr
    assert "The config cannot describe a run:\n  - arms: the id 'control' is used more than once" in out
    assert "Traceback" not in out
