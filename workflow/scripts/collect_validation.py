"""Rule collect_validation: every file's problems in results/qc/validation.csv."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
pipeline.run_logged(
    sm.log[0],
    pipeline.collect_validation,
    problem_files=list(sm.input.problems),
    balance_files=list(sm.input.balances),
    out=sm.output.table,
    balance=sm.output.balance,
)
