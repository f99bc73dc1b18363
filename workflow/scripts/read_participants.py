"""Rule read_participants: validate the participants file and derive BMI."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)

pipeline.run_logged(
    sm.log[0],
    pipeline.read_participants,
    raw=sm.input.raw,
    name=sm.params.name,
    arms=sm.params.arms,
    table=sm.output.table,
    problems=sm.output.problems,
    balance=sm.output.balance,
)
