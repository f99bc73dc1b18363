"""Rule render_elisa_qc: the ELISA QC report, a page per plate with its standard curve."""

from trialflow.steps import elisa_qc, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log[0],
    elisa_qc.render_elisa_qc,
    trial=sm.params.trial,
    acceptance=sm.params.acceptance,
    plate_pages=sm.params.plate_pages,
    elisa={k: v for k, v in sm.input.items() if k != "validated"},
    html=sm.output.html,
    pdf=sm.output.pdf,
)
