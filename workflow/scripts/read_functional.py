"""Rule read_functional: a REDCap export and/or a long CSV -> functional outcomes as analysis rows."""

from trialflow.steps import ingest, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log[0],
    ingest.read_functional,
    redcap_export=sm.input.get("redcap_export"),
    redcap_name=sm.params.redcap_name,
    long_csv=sm.input.get("long_csv"),
    long_name=sm.params.long_name,
    participants=sm.input.participants,
    outcomes=sm.params.outcomes,
    time_points=sm.params.time_points,
    redcap=sm.params.redcap,
    missing_codes=sm.params.missing_codes,
    **dict(sm.output.items()),
)
