"""Rule read_functional: REDCap export -> functional outcomes as analysis rows."""

from trialflow.steps import ingest, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log[0],
    ingest.read_functional,
    raw=sm.input.raw,
    name=sm.params.name,
    participants=sm.input.participants,
    outcomes=sm.params.outcomes,
    time_points=sm.params.time_points,
    redcap=sm.params.redcap,
    missing_codes=sm.params.missing_codes,
    **dict(sm.output.items()),
)
