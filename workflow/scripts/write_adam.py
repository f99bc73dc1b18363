"""Rule write_adam: the ADaM datasets as SAS XPT v5 and Dataset-JSON v1.1, and their define.xml."""

from trialflow.steps import exports, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
datasets = sm.params.datasets
run_step(
    sm.log[0],
    exports.write_adam,
    settings=sm.params.settings,
    participants=sm.input.participants,
    analysis=sm.input.analysis,
    excluded=sm.input.excluded,
    status=sm.input.status,
    disposition=sm.input.get("disposition"),
    xpt={d: sm.output[f"{d.lower()}_xpt"] for d in datasets if f"{d.lower()}_xpt" in sm.output.keys()},
    dataset_json={d: sm.output[f"{d.lower()}_json"] for d in datasets if f"{d.lower()}_json" in sm.output.keys()},
    define=sm.output.get("define"),
)
