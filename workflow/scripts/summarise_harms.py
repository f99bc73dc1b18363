"""Rule summarise_harms: participants with events and numbers of events per arm."""

from trialflow.steps import analysis, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log[0],
    analysis.summarise_harms,
    events=sm.input.events,
    participants=sm.input.participants,
    arms=sm.params.arms,
    **dict(sm.output.items()),
)
