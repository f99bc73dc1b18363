"""Rule render_report: the report's HTML as PDF/A, carrying the tables it prints and the submission exports."""

from trialflow.steps import report, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
skip = ("html", "figures", "raw", "consort", "multiplicity_graphs", "submission")
tables = {k: v for k, v in sm.input.items() if k not in skip}
run_step(
    sm.log[0],
    report.render_report_pdf,
    settings=sm.params.settings,
    html=sm.input.html,
    pdf=sm.output.pdf,
    results={k: v for k, v in tables.items() if not k.startswith("elisa_")},
    elisa={k.removeprefix("elisa_"): v for k, v in tables.items() if k.startswith("elisa_")} or None,
    submission=list(sm.input.submission),
)
