"""Rule plot_outcome: one outcome's Mean ± SD figure (SVG)."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
pipeline.run_logged(
    sm.log[0],
    pipeline.plot_outcome,
    descriptives=sm.input.descriptives,
    effects=sm.input.simple_effects,
    outcome=sm.params.outcome,
    arms=sm.params.arms,
    times=sm.params.times,
    alpha=sm.params.alpha,
    figure=sm.output.figure,
)
