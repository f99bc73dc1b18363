# The report: HTML from the package's Jinja templates, PDF by WeasyPrint.


rule render_report:
    input:
        participants=rules.read_participants.output.table,
        baseline=rules.compare_baseline.output.table,
        baseline_tests=rules.compare_baseline.output.tests,
        descriptives=rules.analyse_outcomes.output.descriptives,
        anova=rules.analyse_outcomes.output.anova,
        assumptions=rules.analyse_outcomes.output.assumptions,
        excluded=rules.analyse_outcomes.output.excluded,
        validation=rules.collect_validation.output.table,
        figures=outcome_figures().values(),
    output:
        html=f"{REPORT_DIR}/report.html",
        pdf=REPORT_PDF,
    log:
        f"{LOGS}/render_report.log",
    params:
        code=CODE,
        config=config,
        figures=outcome_figures(),
    script:
        "../scripts/render_report.py"
