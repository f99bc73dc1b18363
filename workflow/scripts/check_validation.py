"""Rule check_validation: apply the on_error policy (stop before any analysis, or quarantine)."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
pipeline.run_logged(
    sm.log[0],
    pipeline.check_validation,
    validation=sm.input.validation,
    on_error=sm.params.on_error,
    flag=sm.output.flag,
    blocking=list(sm.input.blocking),
)
