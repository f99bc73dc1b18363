"""Rule quantify_plates: standard curves, acceptance rules and concentrations for every plate."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
pipeline.run_logged(
    sm.log[0],
    pipeline.quantify_plates,
    manifest=sm.input.manifest,
    manifest_name=sm.params.manifest_name,
    rules=dict(sm.params.rules),
    model=sm.params.model,
    weighting=sm.params.weighting,
    out={k: v for k, v in sm.output.items() if k != "problems"},
    problems=sm.output.problems,
)
