"""Rule consort_flow: the CONSORT participant flow and its diagram."""

from trialflow.steps import consort, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log[0],
    consort.consort_flow,
    disposition=sm.input.disposition,
    name=sm.params.name,
    participants=sm.input.participants,
    analysis=sm.input.analysis,
    missing=list(sm.input.missing),
    arms=sm.params.arms,
    time_points=sm.params.time_points,
    outcomes=sm.params.outcomes,
    **dict(sm.output.items()),
)
