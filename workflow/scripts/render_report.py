"""Rule render_report: the report's HTML as PDF/A, carrying the tables it prints and the submission exports."""

from trialflow.steps import report, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
results, elisa = report.input_tables(dict(sm.input.items()))
run_step(
    sm.log[0],
    report.render_report_pdf,
    settings=sm.params.settings,
    html=sm.input.html,
    pdf=sm.output.pdf,
    results=results,
    elisa=elisa,
    submission=list(sm.input.submission),
)
