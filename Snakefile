# trialflow: raw trial exports -> validated data -> statistics -> CONSORT-style report.
# Reads like a table of contents; the work is in src/trialflow, the rules are in workflow/rules.
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config.yaml"


validate(config, "schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/elisa.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/consort.smk"
include: "workflow/rules/harms.smk"
include: "workflow/rules/provenance.smk"


rule all:
    input:
        final_targets(),
    default_target: True


onsuccess:
    print(f"\ntrialflow: report written to {REPORT_PDF}")
    end_pending_rescheduling()  # else Python waits up to 1 s for Snakemake's idle timer
