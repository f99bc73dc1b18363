"""Rule plot_outcomes: every outcome's Mean ± SD figure (SVG)."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
pipeline.run_logged(
    sm.log[0],
    pipeline.plot_outcomes,
    descriptives=sm.input.descriptives,
    effects=sm.input.simple_effects,
    outcomes=list(sm.params.outcomes),
    arms=sm.params.arms,
    times=sm.params.times,
    alpha=sm.params.alpha,
    figures=list(sm.output.figures),
    cache=sm.params.cache,
    code=sm.params.code,
)
