# trialflow: raw trial exports -> validated data -> statistics -> CONSORT-style report.
# Reads like a table of contents: the rules are in workflow/rules, the work in src/trialflow.
from snakemake.utils import min_version, validate

min_version("9.0")


# A trial's own config (`--configfile mytrial.yaml`) is the whole config; the demo trial's
# config.yaml is read only when the command line gives none (Snakemake would merge them).
if not config:

    configfile: "config.yaml"


validate(config, "schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/elisa.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/consort.smk"
include: "workflow/rules/harms.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/exports.smk"
include: "workflow/rules/provenance.smk"


rule all:
    default_target: True
    input:
        final_targets(),


onsuccess:
    print(f"\ntrialflow: report written to {rules.render_report.output.pdf}")
