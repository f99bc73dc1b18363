"""Rule read_adverse_events: validate the adverse-events file against the participants and the trial period."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
pipeline.run_logged(
    sm.log[0],
    pipeline.read_adverse_events,
    raw=sm.input.raw,
    name=sm.params.name,
    participants=sm.input.participants,
    start_date=sm.params.start_date,
    data_cutoff=sm.params.data_cutoff,
    table=sm.output.table,
    problems=sm.output.problems,
    balance=sm.output.balance,
)
