"""Rule tables_docx: the paper's Tables 2 and 3 as DOCX, with the report's strings."""

from trialflow.steps import report, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
skip = ("figures", "raw", "consort", "multiplicity_graphs")
run_step(
    sm.log[0],
    report.tables_docx,
    settings=sm.params.settings,
    results={k: v for k, v in sm.input.items() if k not in skip and not k.startswith("elisa_")},
    figures=sm.params.figures,
    docx=sm.output.docx,
)
