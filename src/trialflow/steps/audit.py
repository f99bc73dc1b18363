"""Steps of the audit trail: the publication's printed numbers checked, and the provenance
manifest of the run."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import yaml

from trialflow import published
from trialflow.dag import package_code
from trialflow.outputs import read_csv, write_atomic, write_csv
from trialflow.provenance import build_manifest, run_record, write_manifest

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


def write_provenance(
    raw_dir: str,
    inputs: list[str],
    config: dict,
    outputs: list[str],
    data_cutoff: str,
    repo: str,
    manifest: str,
    command: list[str],
    run: str,
) -> None:
    """The provenance manifest (every input and output with its SHA-256, config, code, versions),
    and beside it the run record: the ``command`` that started the run, where and when (``run``)."""
    built = build_manifest(raw_dir, inputs, config, outputs, data_cutoff, repo)
    built["code_sha256"] = package_code()
    write_manifest(built, manifest)
    write_atomic(run, json.dumps(run_record(command), indent=2, ensure_ascii=False).encode("utf-8") + b"\n")
