"""Rule read_concentrations: validate concentrations against participants; write their analysis rows."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
pipeline.run_logged(
    sm.log[0],
    pipeline.read_concentrations,
    raw=sm.input.raw,
    name=sm.params.name,
    participants=sm.input.participants,
    time_points=sm.params.time_points,
    units=sm.params.units,
    table=sm.output.table,
    problems=sm.output.problems,
    balance=sm.output.balance,
)
