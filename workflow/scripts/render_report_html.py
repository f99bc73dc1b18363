"""Rule render_report_html: the report as HTML, from the results tables and figures."""

from trialflow.steps import report, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
skip = ("figures", "raw", "consort", "multiplicity_graphs")
tables = {k: v for k, v in sm.input.items() if k not in skip}
run_step(
    sm.log[0],
    report.render_report_html,
    settings=sm.params.settings,
    results={k: v for k, v in tables.items() if not k.startswith("elisa_")},
    figures=sm.params.figures,
    html=sm.output.html,
    elisa={k.removeprefix("elisa_"): v for k, v in tables.items() if k.startswith("elisa_")} or None,
    consort=sm.input.get("consort"),
    multiplicity_graphs=list(sm.input.get("multiplicity_graphs", [])),
    raw_dir=sm.params.raw_dir,
    raw_files=list(sm.params.raw_files),
    listed=list(sm.params.listed),
    config_sha256=sm.params.config_sha256,
    repo=sm.params.repo,
)
