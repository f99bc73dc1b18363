"""Rule check_validation: the on_error policy, applied once to every problem found."""

from trialflow.steps import ingest, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log[0],
    ingest.check_validation,
    validation_table=sm.input.validation,
    on_error=sm.params.on_error,
    flag=sm.output.flag,
    blocking=list(sm.input.blocking),
)
