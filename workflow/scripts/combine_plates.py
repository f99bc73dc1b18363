"""Rule combine_plates: the ELISA tables of all batches in manifest order, re-assays resolved."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
pipeline.run_logged(
    sm.log[0],
    pipeline.combine_plates,
    manifest=sm.input.manifest,
    manifest_name=sm.params.manifest_name,
    batches=list(sm.input.batches),
    out={k: v for k, v in sm.output.items() if k != "problems"},
    problems=sm.output.problems,
)
