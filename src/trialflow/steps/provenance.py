"""Step of the provenance manifest: every input and output with its SHA-256, and the run record."""

from __future__ import annotations

import json

from trialflow.dag import package_code
from trialflow.outputs import write_atomic
from trialflow.provenance import build_manifest, run_record, write_manifest


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
