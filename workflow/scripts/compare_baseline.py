"""Rule compare_baseline: baseline characteristics per arm and their t-tests."""

from trialflow.steps import analysis, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log[0],
    analysis.compare_baseline,
    participants=sm.input.participants,
    variables=sm.params.variables,
    arms=sm.params.arms,
    **dict(sm.output.items()),
)
