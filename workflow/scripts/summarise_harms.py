"""Rule summarise_harms: participants with adverse events and numbers of events per arm (CONSORT harms)."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
pipeline.run_logged(
    sm.log[0],
    pipeline.summarise_harms,
    events=sm.input.events,
    participants=sm.input.participants,
    arms=sm.params.arms,
    table=sm.output.table,
    by_term=sm.output.by_term,
)
