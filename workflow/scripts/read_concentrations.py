"""Rule read_concentrations: validate the typed concentrations file into analysis rows."""

from trialflow.steps import ingest, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log[0],
    ingest.read_concentrations,
    raw=sm.input.raw,
    name=sm.params.name,
    participants=sm.input.participants,
    time_points=sm.params.time_points,
    units=sm.params.units,
    **dict(sm.output.items()),
)
