"""Rule render_report: HTML and PDF report from the results tables and figures."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
results = {k: v for k, v in sm.input.items() if k != "figures"}
pipeline.run_logged(
    sm.log[0],
    pipeline.render_report,
    config=sm.params.config,
    results=results,
    figures=sm.params.figures,
    html=sm.output.html,
    pdf=sm.output.pdf,
)
