# The reports: HTML from the package's Jinja templates, PDF by WeasyPrint.


rule render_report:
    input:
        unpack(report_inputs),
    output:
        **report_outputs(),
    log:
        f"{LOGS}/render_report.log",
    priority: REPORT_PATH
    params:
        code=CODE,
        config=config,
        figures=outcome_figures(),
        raw_dir=raw_folder,
        raw_files=raw_inputs(),  # every raw file, hashed for the provenance appendix
        repo=workflow.basedir,
    script:
        "../scripts/render_report.py"


if ELISA:

    rule render_elisa_qc:
        input:
            tables=[f"results/elisa/{t}.csv" for t in [*ELISA_TABLES, "curves"]],
            validated=ancient(rules.check_validation.output.flag),  # a report only after the gate
        output:
            html=f"{REPORT_DIR}/elisa_qc.html",
            pdf=f"{REPORT_DIR}/elisa_qc.pdf",
        log:
            f"{LOGS}/render_elisa_qc.log",
        params:
            code=CODE,
            config=config,
            names=[*ELISA_TABLES, "curves"],
        script:
            "../scripts/render_elisa_qc.py"
