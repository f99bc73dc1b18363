"""Rule read_disposition: validate the disposition log and cross-check its counts, before any analysis."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
pipeline.run_logged(
    sm.log[0],
    pipeline.read_disposition,
    raw=sm.input.raw,
    name=sm.params.name,
    participants=sm.input.participants,
    analysis=list(sm.input.analysis),
    arms=sm.params.arms,
    time_points=sm.params.time_points,
    outcomes=sm.params.outcomes,
    table=sm.output.table,
    problems=sm.output.problems,
    balance=sm.output.balance,
)
