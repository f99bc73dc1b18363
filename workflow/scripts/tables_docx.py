"""Rule tables_docx: the paper's Tables 2 and 3 as a DOCX for a journal submission."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
skip = ("figures", "raw", "consort")
pipeline.run_logged(
    sm.log[0],
    pipeline.tables_docx,
    config=sm.params.config,
    results={k: v for k, v in sm.input.items() if k not in skip and not k.startswith("elisa_")},
    figures=sm.params.figures,
    docx=sm.output.docx,
)
