"""Rule adjust_multiplicity: each family's p values adjusted for multiplicity, and its graph drawn."""

from trialflow.steps import analysis, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log[0],
    analysis.adjust_multiplicity,
    tests=sm.input.tests,
    families=sm.params.families,
    outcomes=sm.params.outcomes,
    table=sm.output.table,
    graphs=list(sm.output.graphs),
    primary=sm.params.primary,
)
