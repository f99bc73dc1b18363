"""Rule check_published: the publication's printed figures against ours, and against each other."""

from trialflow import pipeline

sm = snakemake  # noqa: F821 (injected by Snakemake)
pipeline.run_logged(sm.log[0], pipeline.check_published, **dict(sm.input.items()), out=dict(sm.output.items()))
