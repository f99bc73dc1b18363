"""Rule write_provenance: inputs, config, code and outputs of the run with their SHA-256."""

from trialflow import pipeline
from trialflow.provenance import snakemake_command

sm = snakemake  # noqa: F821 (injected by Snakemake)
pipeline.run_logged(
    sm.log[0],
    pipeline.write_provenance,
    raw_dir=sm.params.raw_dir,
    inputs=list(sm.params.raw_files),
    config=sm.params.config,
    outputs=list(sm.input.outputs),
    command=snakemake_command(),
    data_cutoff=sm.params.data_cutoff,
    repo=sm.params.repo,
    manifest=sm.output.manifest,
)
