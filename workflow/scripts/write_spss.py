"""Rule write_spss: the analysis data set, wide, as SPSS .sav with the GLM syntax of the ANOVA table."""

from trialflow.steps import exports, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log[0],
    exports.write_spss,
    settings=sm.params.settings,
    participants=sm.input.participants,
    analysis=sm.input.analysis,
    sav=sm.output.sav,
    sps=sm.output.sps,
)
