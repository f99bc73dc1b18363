"""Rule fit_mmrm: the mixed model for repeated measures of every outcome."""

from trialflow.steps import analysis, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log[0],
    analysis.fit_mmrm,
    data=sm.input.data,
    participants=sm.input.participants,
    outcomes=sm.params.outcomes,
    arms=sm.params.arms,
    times=sm.params.times,
    characteristics=sm.params.characteristics,
    settings=sm.params.settings,
    alpha=sm.params.alpha,
    out=dict(sm.output.items()),
)
