# Statistics: baseline table, then every outcome through the same analysis plan.


rule compare_baseline:
    input:
        participants=rules.read_participants.output.table,
        validated=ancient(rules.check_validation.output.flag),  # a gate: its existence matters, not its age
    output:
        table="results/stats/baseline.csv",
        categories="results/stats/baseline_categories.csv",
        tests="results/stats/baseline_tests.csv",
        per_arm="results/stats/participants_per_arm.csv",
    log:
        f"{LOGS}/compare_baseline.log",
    params:
        code=code("analysis"),
        characteristics=config["baseline"],
        arms=ARM_IDS,
        tests=config["analysis"]["baseline_tests"],
    script:
        "../scripts/compare_baseline.py"


if ESTIMANDS:

    rule apply_estimands:
        input:
            data=rules.build_analysis_data.output.data,
            disposition=disposition_table,
            validated=ancient(rules.check_validation.output.flag),  # a gate: its existence matters, not its age
        output:
            data="results/data/analysis_estimands.csv",
            missing="results/data/estimand_missing.csv",
            changes="results/stats/estimand_data_changes.csv",
            counts="results/stats/estimand_counts.csv",
        log:
            f"{LOGS}/apply_estimands.log",
        priority: LONGEST_CHAIN
        params:
            code=code("analysis"),
            estimands=ESTIMANDS,
            times=TIME_IDS,
        script:
            "../scripts/apply_estimands.py"


rule analyse_outcomes:
    input:
        data=analysis_data,
        missing=missing_values,
        validated=ancient(rules.check_validation.output.flag),  # a gate: its existence matters, not its age
    output:
        status="results/stats/outcome_status.csv",
        descriptives="results/stats/descriptives.csv",
        anova="results/stats/anova.csv",
        assumptions="results/stats/assumptions.csv",
        simple_effects="results/stats/simple_effects.csv",
        excluded="results/stats/excluded.csv",
        exclusion_counts="results/stats/exclusion_counts.csv",
        exclusion_reasons="results/stats/exclusion_reasons.csv",
        lmm_tests="results/stats/lmm_tests.csv",
        lmm_emmeans="results/stats/lmm_emmeans.csv",
        lmm_model="results/stats/lmm_model.csv",
    log:
        f"{LOGS}/analyse_outcomes.log",
    priority: LONGEST_CHAIN
    params:
        code=code("analysis"),
        outcomes=OUTCOME_IDS,
        arms=ARM_IDS,
        times=TIME_IDS,
        sphericity=config["analysis"]["sphericity"],
        assumption_data=config["analysis"]["assumption_data"],
        cache="results/cache/analysis",  # outcomes whose values did not change are not analysed again
    script:
        "../scripts/analyse_outcomes.py"


rule fit_mmrm:
    input:
        data=analysis_data,
        participants=rules.read_participants.output.table,
        validated=ancient(rules.check_validation.output.flag),  # a gate: its existence matters, not its age
    output:
        lsmeans="results/stats/mmrm_lsmeans.csv",
        contrasts="results/stats/mmrm_contrasts.csv",
        tests="results/stats/mmrm_tests.csv",
        covariance="results/stats/mmrm_covariance.csv",
        fit="results/stats/mmrm_fit.csv",
    log:
        f"{LOGS}/fit_mmrm.log",
    priority: LONGEST_CHAIN
    params:
        code=code("analysis"),
        outcomes=OUTCOME_IDS,
        arms=ARM_IDS,
        times=TIME_IDS,
        characteristics=config["baseline"],
        settings=config["analysis"]["mmrm"],
        alpha=config["analysis"]["alpha"],
    script:
        "../scripts/fit_mmrm.py"


rule plot_outcomes:
    input:
        descriptives=rules.analyse_outcomes.output.descriptives,
        simple_effects=rules.analyse_outcomes.output.simple_effects,
    output:
        figures=list(outcome_figures().values()),  # one job: a process per figure costs more than the figure
    log:
        f"{LOGS}/plot_outcomes.log",
    priority: LONGEST_CHAIN
    params:
        code=code("figures"),
        outcomes=config["outcomes"],
        arms=config["arms"],
        times=config["time_points"],
        alpha=config["analysis"]["alpha"],
        cache="results/cache/figures",  # figures whose inputs did not change are not drawn again
    script:
        "../scripts/plot_outcomes.py"


rule estimate_effects:
    input:
        data=analysis_data,
        validated=ancient(rules.check_validation.output.flag),  # a gate: its existence matters, not its age
    output:
        table="results/stats/estimation.csv",
    log:
        f"{LOGS}/estimate_effects.log",
    priority: REPORT_PATH
    params:
        code=code("analysis"),
        outcomes=OUTCOME_IDS,
        arms=ARM_IDS,
        times=TIME_IDS,
        cache="results/cache/estimation",  # outcomes whose values did not change are not estimated again
    script:
        "../scripts/estimate_effects.py"


if FAMILIES:

    rule adjust_multiplicity:
        input:
            tests=primary_tests,  # the p values of the primary analysis (analysis.primary)
        output:
            table="results/stats/multiplicity.csv",
            graphs=list(GRAPHS.values()),
        log:
            f"{LOGS}/adjust_multiplicity.log",
        priority: REPORT_PATH
        params:
            code=code("analysis"),
            families=FAMILIES,
            outcomes=config["outcomes"],
            primary=PRIMARY,
        script:
            "../scripts/adjust_multiplicity.py"


if SAMPLE_SIZE:

    rule compute_sample_size:
        output:
            table="results/stats/sample_size.csv",
        log:
            f"{LOGS}/compute_sample_size.log",
        params:
            code=code("analysis"),
            settings=config["sample_size"],
        script:
            "../scripts/compute_sample_size.py"
