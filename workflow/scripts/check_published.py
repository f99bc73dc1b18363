"""Rule check_published: the publication's printed numbers, reproduced and checked."""

from trialflow.steps import published, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log[0],
    published.check_published,
    published_file=sm.input.published,
    descriptives=sm.input.descriptives,
    anova=sm.input.anova,
    baseline=sm.input.baseline,
    baseline_tests=sm.input.baseline_tests,
    out=dict(sm.output.items()),
    name=sm.params.name,
)
