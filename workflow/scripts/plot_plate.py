"""Rule plot_plate: one plate's standard curve with its standards and samples (SVG)."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
pipeline.run_logged(
    sm.log[0],
    pipeline.plot_plate,
    plate=sm.wildcards.plate,
    wells=sm.input.wells,
    standards=sm.input.standards,
    curves=sm.input.curves,
    plate_qc=sm.input.plate_qc,
    figure=sm.output.figure,
)
