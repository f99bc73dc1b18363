"""Rule estimate_effects: between-arm effects with 95 % confidence intervals (CONSORT estimation)."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
pipeline.run_logged(
    sm.log[0],
    pipeline.estimate,
    data=sm.input.data,
    outcomes=sm.params.outcomes,
    arms=sm.params.arms,
    times=sm.params.times,
    table=sm.output.table,
    cache=sm.params.cache,
    code=sm.params.code,
)
