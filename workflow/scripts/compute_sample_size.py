"""Rule compute_sample_size: a-priori sample size of the within-between interaction (G*Power)."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
pipeline.run_logged(sm.log[0], pipeline.compute_sample_size, settings=dict(sm.params.settings), table=sm.output.table)
