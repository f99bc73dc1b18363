"""Rule estimate_effects: effect estimates with confidence intervals (CONSORT item 26)."""

from trialflow.steps import analysis, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log[0],
    analysis.estimate_effects,
    data=sm.input.data,
    outcomes=sm.params.outcomes,
    arms=sm.params.arms,
    times=sm.params.times,
    table=sm.output.table,
    cache=sm.params.cache,
    code=sm.params.code,
)
