# Files for other tools and regulators (config submission.formats), under reports/<trial>/submission/.


if adam_files():

    rule write_adam:
        input:
            unpack(adam_inputs),
        output:
            **adam_files(),
        log:
            f"{LOGS}/write_adam.log",
        priority: LONGEST_CHAIN  # the longest job the report waits for (its PDF/A attaches the datasets)
        params:
            code=code("exports"),
            settings=config_keys(config, "trial", "arms", "time_points", "outcomes", "baseline", "submission"),
            datasets=ADAM_DATASETS,
        script:
            "../scripts/write_adam.py"


if "spss" in SUBMISSION_FORMATS:

    rule write_spss:
        input:
            participants=rules.read_participants.output.table,
            analysis=rules.build_analysis_data.output.data,
            validated=ancient(rules.check_validation.output.flag),  # a gate: its existence matters, not its age
        output:
            sav=f"{SUBMISSION_DIR}/analysis_wide.sav",
            sps=f"{SUBMISSION_DIR}/analysis_glm.sps",
        log:
            f"{LOGS}/write_spss.log",
        priority: REPORT_PATH  # attached to the report's PDF/A
        params:
            code=code("exports"),
            settings=config_keys(config, "trial", "arms", "time_points", "outcomes", "baseline", "analysis.alpha"),
        script:
            "../scripts/write_spss.py"


if "rtf" in SUBMISSION_FORMATS:

    rule write_rtf:
        input:
            html=rules.render_report_html.output.html,
        output:
            rtf=f"{SUBMISSION_DIR}/tables.rtf",
        log:
            f"{LOGS}/write_rtf.log",
        params:
            code=code("exports"),
        script:
            "../scripts/write_rtf.py"
