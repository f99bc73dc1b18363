"""Rule read_participants: validate the participants file."""

from trialflow.steps import ingest, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log[0],
    ingest.read_participants,
    raw=sm.input.raw,
    name=sm.params.name,
    arms=sm.params.arms,
    characteristics=sm.params.characteristics,
    **dict(sm.output.items()),
)
