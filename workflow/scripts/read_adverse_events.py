"""Rule read_adverse_events: validate the adverse-events file."""

from trialflow.steps import ingest, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log[0],
    ingest.read_adverse_events,
    raw=sm.input.raw,
    name=sm.params.name,
    participants=sm.input.participants,
    start_date=sm.params.start_date,
    data_cutoff=sm.params.data_cutoff,
    **dict(sm.output.items()),
)
