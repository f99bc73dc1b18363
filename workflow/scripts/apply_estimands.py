"""Rule apply_estimands: the analysis data with the estimands' intercurrent-event strategies applied."""

from trialflow.steps import analysis, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log[0],
    analysis.apply_estimands,
    data=sm.input.data,
    disposition=list(sm.input.disposition),
    estimands=sm.params.estimands,
    times=sm.params.times,
    out={key: sm.output[key] for key in ("data", "missing", "changes", "counts")},
)
