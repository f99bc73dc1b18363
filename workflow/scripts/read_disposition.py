"""Rule read_disposition: validate the disposition log and cross-check its counts."""

from trialflow.steps import ingest, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log[0],
    ingest.read_disposition,
    raw=sm.input.raw,
    name=sm.params.name,
    participants=sm.input.participants,
    analysis=list(sm.input.analysis),
    missing=list(sm.input.missing),
    arms=sm.params.arms,
    time_points=sm.params.time_points,
    outcomes=sm.params.outcomes,
    **dict(sm.output.items()),
)
