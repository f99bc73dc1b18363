"""Rule read_quantified: usable ELISA results become analysis rows; censored ones are kept out with reasons."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
pipeline.run_logged(
    sm.log[0],
    pipeline.read_quantified,
    concentrations=sm.input.concentrations,
    wells=sm.input.wells,
    plate_qc=sm.input.plate_qc,
    participants=sm.input.participants,
    elisa_dir=sm.params.elisa_dir,
    time_points=sm.params.time_points,
    units=sm.params.units,
    table=sm.output.table,
    missing=sm.output.missing,
    problems=sm.output.problems,
)
