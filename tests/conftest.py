"""Shared fixtures: the repository root, the demo trial, and the paper's printed numbers."""

import copy
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def validated(config: dict) -> dict:
    """A copy of ``config`` as the workflow sees it: checked against the schema, defaults filled."""
    from snakemake.utils import validate

    config = copy.deepcopy(config)
    validate(config, str(ROOT / "schemas" / "config.schema.yaml"))
    return config


def demo_characteristics() -> list[dict]:
    """The demo's baseline characteristics as the workflow reads them (config.yaml, defaults filled)."""
    return validated(yaml.safe_load((ROOT / "config.yaml").read_text()))["baseline"]


def report_settings(config: dict):
    """The report's settings (:class:`ReportSettings`) from a config, whose defaults are filled
    as the workflow fills them; a test's config may leave out what the report does not read."""
    from trialflow.report.context import ReportSettings

    unread = {"raw_dir": "raw", "inputs": {"participants": "participants.csv"}}
    return ReportSettings.from_config(validated(unread | config))


@pytest.fixture(scope="session")
def published() -> dict:
    """The paper's printed figures (copy of shared/reference/published.yaml)."""
    return yaml.safe_load((ROOT / "tests" / "data" / "published.yaml").read_text())


@pytest.fixture(scope="session")
def demo_analysis():
    """The demo trial read and analysed through the library (no Snakemake)."""
    from trialflow import ingest
    from trialflow.analysis import analyse_outcomes, describe_baseline
    from trialflow.stats.complete import exclusion_counts, exclusion_reasons
    from trialflow.stats.descriptives import count_per_arm

    raw = ROOT / "raw" / "demo"
    arms = ["control", "training"]
    people, p1 = ingest.read_participants(raw / "participants.csv", "participants.csv", arms, demo_characteristics())
    conc, p2 = ingest.read_concentrations(
        raw / "concentrations.csv", "concentrations.csv", people, ["pre", "post"], {"BDNF": "pg/mL", "GDNF": "pg/mL"}
    )
    assert p1 == [] and p2 == []
    data = ingest.build_analysis_data(people, conc)
    results = analyse_outcomes(data, ["BDNF", "GDNF"], ["control", "training"], ["pre", "post"])
    baseline, _, tests = describe_baseline(
        people, ["age_years", "height_cm", "weight_kg", "bmi_kg_m2"], ["control", "training"]
    )
    counts = {
        "participants_per_arm": count_per_arm(people, ["control", "training"]),
        "exclusion_counts": exclusion_counts(
            results["excluded"], ["BDNF", "GDNF"], ["control", "training"], ["pre", "post"]
        ),
        "exclusion_reasons": exclusion_reasons(results["excluded"], ["control", "training"]),
        "outcome_status": results["status"],
    }
    return {"participants": people, "data": data, "baseline": baseline, "baseline_tests": tests, **results, **counts}
