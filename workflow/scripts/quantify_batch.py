"""Rule quantify_batch: standard curves and acceptance rules for one batch of plates."""

from trialflow.steps import elisa, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log[0],
    elisa.quantify_batch,
    manifest=sm.params.manifest,
    manifest_name=sm.params.manifest_name,
    plates=list(sm.params.plates),
    rules=dict(sm.params.rules),
    model=sm.params.model,
    weighting=sm.params.weighting,
    units=dict(sm.params.units),
    expected_standards={k: list(v) for k, v in sm.params.expected_standards.items()},
    reads={k: dict(v) for k, v in sm.params.reads.items()},
    out=sm.output.batch,
)
