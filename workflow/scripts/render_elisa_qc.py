"""Rule render_elisa_qc: the ELISA QC report (plate summary, a page per plate) as HTML and PDF."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
pipeline.run_logged(
    sm.log[0],
    pipeline.render_elisa_qc,
    config=sm.params.config,
    elisa=dict(zip(sm.params.names, sm.input.tables, strict=True)),
    html=sm.output.html,
    pdf=sm.output.pdf,
)
