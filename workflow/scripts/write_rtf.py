"""Rule write_rtf: every numbered table of the report as RTF, with titles, footnotes and page numbers."""

from trialflow.steps import exports, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(sm.log[0], exports.write_rtf, html=sm.input.html, rtf=sm.output.rtf)
