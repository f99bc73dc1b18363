"""Rule build_analysis_data: stack every source's analysis rows into the analysis data set."""

from trialflow.steps import ingest, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(sm.log[0], ingest.build_analysis_data, parts=list(sm.input.parts), data=sm.output.data)
