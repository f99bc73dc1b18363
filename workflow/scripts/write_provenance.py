"""Rule write_provenance: the provenance manifest of the run."""

from trialflow.dag import snakemake_command
from trialflow.steps import provenance, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log.step,
    provenance.write_provenance,
    raw_dir=sm.params.raw_dir,
    inputs=list(sm.params.raw_files),
    config=sm.params.config,
    outputs=list(sm.input.outputs),
    data_cutoff=sm.params.data_cutoff,
    repo=sm.params.repo,
    manifest=sm.output.manifest,
    command=snakemake_command(),
    run=sm.log.run,
)
