"""Rule tables_docx: the paper's Tables 2 and 3 as DOCX, with the report's strings."""

from trialflow.steps import report, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
results, _ = report.input_tables(dict(sm.input.items()))
run_step(
    sm.log[0],
    report.tables_docx,
    settings=sm.params.settings,
    results=results,
    figures=sm.params.figures,
    docx=sm.output.docx,
)
