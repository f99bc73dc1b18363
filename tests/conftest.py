"""Shared fixtures: the repository root, the demo trial, and the paper's printed numbers."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def published() -> dict:
    """The paper's printed figures (copy of shared/reference/published.yaml)."""
    return yaml.safe_load((ROOT / "tests" / "data" / "published.yaml").read_text())


@pytest.fixture(scope="session")
def demo_analysis():
    """The demo trial read and analysed through the library (no Snakemake)."""
    from trialflow import ingest
    from trialflow.analysis import analyse_outcomes, describe_baseline

    raw = ROOT / "raw" / "demo"
    people, p1 = ingest.read_participants(raw / "participants.csv", "participants.csv", ["control", "training"])
    conc, p2 = ingest.read_concentrations(
        raw / "concentrations.csv", "concentrations.csv", people, ["pre", "post"], {"BDNF": "pg/mL", "GDNF": "pg/mL"}
    )
    assert p1 == [] and p2 == []
    data = ingest.build_analysis_data(people, conc)
    results = analyse_outcomes(data, ["BDNF", "GDNF"], ["control", "training"], ["pre", "post"])
    baseline, tests = describe_baseline(
        people, ["age_years", "height_cm", "weight_kg", "bmi_kg_m2"], ["control", "training"]
    )
    return {"participants": people, "data": data, "baseline": baseline, "baseline_tests": tests, **results}
