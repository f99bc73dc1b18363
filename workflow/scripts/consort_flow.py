"""Rule consort_flow: the CONSORT participant flow from the validated disposition log (JSON, CSV, SVG)."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
pipeline.run_logged(
    sm.log[0],
    pipeline.consort_flow,
    disposition=sm.input.disposition,
    name=sm.params.name,
    participants=sm.input.participants,
    analysis=sm.input.analysis,
    missing=list(sm.input.missing),
    arms=sm.params.arms,
    time_points=sm.params.time_points,
    outcomes=sm.params.outcomes,
    flow_json=sm.output.flow_json,
    flow_csv=sm.output.flow_csv,
    svg=sm.output.svg,
)
