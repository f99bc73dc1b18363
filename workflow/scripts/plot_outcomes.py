"""Rule plot_outcomes: one Mean ± SD figure per outcome."""

from trialflow.steps import figures, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log[0],
    figures.plot_outcomes,
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
