"""Rule compare_baseline: baseline characteristics per arm and their t-tests."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
pipeline.run_logged(
    sm.log[0],
    pipeline.compare_baseline,
    participants=sm.input.participants,
    variables=sm.params.variables,
    arms=sm.params.arms,
    table=sm.output.table,
    tests=sm.output.tests,
)
