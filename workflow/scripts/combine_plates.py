"""Rule combine_plates: the plate batches put together, re-assays resolved, analysis rows."""

from trialflow.steps import elisa, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log[0],
    elisa.combine_plates,
    manifest=sm.input.manifest,
    manifest_name=sm.params.manifest_name,
    batches=list(sm.input.batches),
    participants=sm.input.participants,
    time_points=sm.params.time_points,
    units=sm.params.units,
    out=dict(sm.output.items()),
)
