# The report: HTML from the package's Jinja templates, PDF by WeasyPrint.


rule render_report:
    input:
        unpack(report_inputs),
    output:
        **report_outputs(),
    log:
        f"{LOGS}/render_report.log",
    params:
        code=CODE,
        config=config,
        figures=outcome_figures(),
        plate_figures=plate_figures(),
        raw_dir=raw_folder,
        repo=workflow.basedir,
    script:
        "../scripts/render_report.py"
