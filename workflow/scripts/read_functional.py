"""Rule read_functional: read the REDCap export, derive and check the functional outcomes."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
pipeline.run_logged(
    sm.log[0],
    pipeline.read_functional,
    raw=sm.input.raw,
    name=sm.params.name,
    participants=sm.input.participants,
    outcomes=sm.params.outcomes,
    time_points=sm.params.time_points,
    redcap=sm.params.redcap,
    missing_codes=sm.params.missing_codes,
    table=sm.output.table,
    missing=sm.output.missing,
    problems=sm.output.problems,
    balance=sm.output.balance,
)
