# Audit trail: the published-results check and the provenance manifest of the run.


if PUBLISHED:

    rule check_published_file:
        input:
            raw=raw_file("published"),
        output:
            problems="results/qc/published_problems.csv",
        log:
            f"{LOGS}/check_published_file.log",
        params:
            code=code("published"),
            name=config["inputs"]["published"],
            known={"arms": ARM_IDS, "time_points": TIME_IDS, "outcomes": OUTCOME_IDS},
        script:
            "../scripts/check_published_file.py"

    rule check_published:
        input:
            published=raw_file("published"),
            descriptives=rules.analyse_outcomes.output.descriptives,
            anova=rules.analyse_outcomes.output.anova,
            baseline=rules.compare_baseline.output.table,
            baseline_tests=rules.compare_baseline.output.tests,
        output:
            check="results/qc/published_check.csv",
            consistency="results/qc/published_consistency.csv",
        log:
            f"{LOGS}/check_published.log",
        params:
            code=code("published"),
            name=config["inputs"]["published"],
        script:
            "../scripts/check_published.py"


rule write_provenance:
    input:
        # Not the ~2,500 plate files: a plate that changes reruns its batch, and so this rule
        # through the ELISA tables; as inputs, Snakemake hashed and stat'ed them quadratically.
        raw=raw_inputs(plates=False),
        outputs=provenance_outputs(),
    output:
        manifest="results/provenance.json",
    log:
        step=f"{LOGS}/write_provenance.log",
        run=f"{LOGS}/run.json",  # where, when and by which command (not in the manifest)
    params:
        code=code("provenance"),
        raw_files=raw_inputs(),  # every raw file, hashed into the manifest
        raw_dir=raw_folder,
        config=config,  # recorded in the manifest
        data_cutoff=config["trial"].get("data_cutoff", ""),
        repo=workflow.basedir,
    script:
        "../scripts/write_provenance.py"
