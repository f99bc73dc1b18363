"""Rule combine_plates: the ELISA tables of all batches in manifest order, re-assays resolved;
usable results become analysis rows, censored ones are kept out with reasons."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
pipeline.run_logged(
    sm.log[0],
    pipeline.combine_plates,
    manifest=sm.input.manifest,
    manifest_name=sm.params.manifest_name,
    batches=list(sm.input.batches),
    out={name: sm.output[name] for name in pipeline.ELISA_TABLES},
    problems=sm.output.problems,
    participants=sm.input.participants,
    elisa_dir=sm.params.elisa_dir,
    time_points=sm.params.time_points,
    units=sm.params.units,
    rows={"table": sm.output.table, "missing": sm.output.missing, "problems": sm.output.row_problems},
)
