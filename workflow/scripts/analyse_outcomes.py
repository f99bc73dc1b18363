"""Rule analyse_outcomes: descriptives, assumption checks, mixed ANOVA, simple effects."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
pipeline.run_logged(
    sm.log[0],
    pipeline.analyse,
    data=sm.input.data,
    missing=list(sm.input.missing),
    outcomes=sm.params.outcomes,
    arms=sm.params.arms,
    times=sm.params.times,
    out=dict(sm.output.items()),
    cache=sm.params.cache,
    code=sm.params.code,
)
