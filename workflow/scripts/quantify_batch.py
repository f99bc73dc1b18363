"""Rule quantify_batch: standard curves and acceptance rules for one batch of plates."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
pipeline.run_logged(
    sm.log[0],
    pipeline.quantify_batch,
    manifest=sm.params.manifest,
    manifest_name=sm.params.manifest_name,
    plates=list(sm.params.plates),
    rules=dict(sm.params.rules),
    model=sm.params.model,
    weighting=sm.params.weighting,
    out=sm.output.batch,
)
