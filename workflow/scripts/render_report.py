"""Rule render_report: HTML and PDF report from results and figures."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
tables = {k: v for k, v in sm.input.items() if k not in ("figures", "raw", "consort")}
pipeline.run_logged(
    sm.log[0],
    pipeline.render_report,
    config=sm.params.config,
    results={k: v for k, v in tables.items() if not k.startswith("elisa_")},
    figures=sm.params.figures,
    consort=sm.input.get("consort"),
    html=sm.output.html,
    pdf=sm.output.pdf,
    elisa={k.removeprefix("elisa_"): v for k, v in tables.items() if k.startswith("elisa_")} or None,
    raw_dir=sm.params.raw_dir,
    raw_files=list(sm.params.raw_files),
    repo=sm.params.repo,
)
