"""Rule analyse_outcomes: descriptives, assumption checks, mixed ANOVA, simple effects."""

from trialflow.steps import analysis, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log[0],
    analysis.analyse_outcomes,
    data=sm.input.data,
    missing=list(sm.input.missing),
    outcomes=sm.params.outcomes,
    arms=sm.params.arms,
    times=sm.params.times,
    sphericity=sm.params.sphericity,
    assumption_data=sm.params.assumption_data,
    out=dict(sm.output.items()),
    cache=sm.params.cache,
    code=sm.params.code,
)
