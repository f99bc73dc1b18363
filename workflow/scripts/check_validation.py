"""Rule check_validation: the on_error policy, applied once to every problem found."""

from trialflow.steps import run_step, validation

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log[0],
    validation.check_validation,
    validation_table=sm.input.validation,
    on_error=sm.params.on_error,
    flag=sm.output.flag,
    blocking=list(sm.input.blocking),
)
