"""Step of the published-results check: the publication's printed numbers, reproduced and checked."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from trialflow import published
from trialflow.outputs import read_csv, write_csv
from trialflow.problems import InputError
from trialflow.published.read import read_published
from trialflow.steps import write_problems

log = logging.getLogger(__name__)


def check_published_file(raw: str, name: str, problems: str, known: dict[str, list[str]] | None = None) -> None:
    """Validate the published figures (:func:`trialflow.published.read.read_published`) at the
    validation gate, with the other inputs: their problems reach validation.csv. ``known``: the
    configured arm, time point and outcome ids."""
    _, found = read_published(raw, name, known)
    write_problems(found, problems, name)


def check_published(
    published_file: str,
    descriptives: str,
    anova: str,
    baseline: str,
    baseline_tests: str,
    out: dict[str, str],
    name: str = "",
) -> None:
    """Reported vs reproduced, and the internal consistency of the reported numbers."""
    reported, found = read_published(published_file, name or Path(published_file).name)
    if reported is None:  # the gate stops such a file first (validation.gate: it is blocking)
        raise InputError(found)
    compared = published.compare_reported(
        reported, read_csv(descriptives), read_csv(anova), read_csv(baseline), read_csv(baseline_tests)
    )
    consistency = pd.concat(
        [published.check_internal_consistency(reported), published.check_baseline_tests(reported)], ignore_index=True
    )
    write_csv(compared, out["check"])
    write_csv(consistency, out["consistency"])
    flagged = consistency[consistency["verdict"] != "consistent"]
    log.info(
        "published check: %d numbers compared, %d differ; %d internal inconsistencies",
        len(compared),
        int((compared["verdict"] == "differs").sum()),
        len(flagged),
    )
