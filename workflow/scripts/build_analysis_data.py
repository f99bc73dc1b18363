"""Rule build_analysis_data: stack every source's analysis rows into the long analysis data set."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
pipeline.run_logged(sm.log[0], pipeline.build_analysis_data, parts=list(sm.input.parts), data=sm.output.data)
