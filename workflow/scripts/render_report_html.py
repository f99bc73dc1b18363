"""Rule render_report_html: the report as HTML, from the results tables and figures."""

from trialflow.steps import report, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
results, elisa = report.input_tables(dict(sm.input.items()))
run_step(
    sm.log[0],
    report.render_report_html,
    settings=sm.params.settings,
    results=results,
    figures=sm.params.figures,
    html=sm.output.html,
    elisa=elisa,
    consort=sm.input.get("consort"),
    multiplicity_graphs=list(sm.input.get("multiplicity_graphs", [])),
    raw_dir=sm.params.raw_dir,
    raw_files=list(sm.params.raw_files),
    listed=list(sm.params.listed),
    config_sha256=sm.params.config_sha256,
    repo=sm.params.repo,
)
