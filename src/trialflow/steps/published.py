"""Step of the published-results check: the publication's printed numbers, reproduced and checked."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import yaml

from trialflow import published
from trialflow.outputs import read_csv, write_csv

log = logging.getLogger(__name__)


def check_published(
    published_file: str, descriptives: str, anova: str, baseline: str, baseline_tests: str, out: dict[str, str]
) -> None:
    """Reported vs reproduced, and the internal consistency of the reported numbers."""
    reported = yaml.safe_load(Path(published_file).read_text(encoding="utf-8"))
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
