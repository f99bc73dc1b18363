"""Rule collect_validation: every problem in one table, every row balance in another."""

from trialflow.steps import run_step, validation

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log[0],
    validation.collect_validation,
    problem_files=list(sm.input.problems),
    balance_files=list(sm.input.balances),
    out=sm.output.table,
    balance=sm.output.balance,
)
