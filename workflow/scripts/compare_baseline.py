"""Rule compare_baseline: baseline characteristics per arm, their tests, participants per arm."""

from trialflow.steps import analysis, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log[0],
    analysis.compare_baseline,
    participants=sm.input.participants,
    characteristics=sm.params.characteristics,
    arms=sm.params.arms,
    tests=sm.params.tests,
    table=sm.output.table,
    categories=sm.output.categories,
    tests_table=sm.output.tests,
    per_arm=sm.output.per_arm,
)
