"""Rule compute_sample_size: the a-priori sample size, as G*Power computes it."""

from trialflow.steps import analysis, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(sm.log[0], analysis.compute_sample_size, settings=dict(sm.params.settings), table=sm.output.table)
