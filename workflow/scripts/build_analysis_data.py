"""Rule build_analysis_data: validate concentrations against participants; write the long data set."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
pipeline.run_logged(
    sm.log[0],
    pipeline.build_analysis_data,
    raw=sm.input.raw,
    name=sm.params.name,
    participants=sm.input.participants,
    time_points=sm.params.time_points,
    units=sm.params.units,
    data=sm.output.data,
    problems=sm.output.problems,
)
