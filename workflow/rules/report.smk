# The reports: HTML from the package's Jinja templates, PDF by WeasyPrint; Tables 2-3 as DOCX.


rule render_report_html:
    input:
        unpack(report_inputs),
    output:
        html=f"{REPORT_DIR}/report.html",
    log:
        f"{LOGS}/render_report_html.log",
    priority: LONGEST_CHAIN
    params:
        code=code("report"),
        settings=config_keys(config, *REPORT_KEYS),
        figures=outcome_figures(),
        raw_dir=raw_folder,
        raw_files=raw_inputs(),  # every raw file, hashed for the provenance appendix
        listed=named_inputs(),
        config_sha256=config_sha256(config),
        repo=workflow.basedir,
    script:
        "../scripts/render_report_html.py"


# The PDF is its own job (WeasyPrint's layout is most of the report's time): the RTF tables,
# read from the HTML, are written meanwhile. Its inputs are the tables it attaches.
rule render_report:
    input:
        unpack(report_inputs),
        html=rules.render_report_html.output.html,
        submission=attached_exports,
    output:
        pdf=f"{REPORT_DIR}/report.pdf",
    log:
        f"{LOGS}/render_report.log",
    priority: LONGEST_CHAIN
    params:
        code=code("report"),
        settings=config_keys(config, *REPORT_KEYS),
    script:
        "../scripts/render_report.py"


rule tables_docx:
    input:
        unpack(report_inputs),
    output:
        docx=f"{REPORT_DIR}/tables.docx",
    log:
        f"{LOGS}/tables_docx.log",
    params:
        code=code("report"),
        settings=config_keys(config, *REPORT_KEYS),
        figures=outcome_figures(),
    script:
        "../scripts/tables_docx.py"


if ELISA:

    rule render_elisa_qc:
        input:
            **{t: rules.combine_plates.output[t] for t in ELISA_TABLES},
            validated=ancient(rules.check_validation.output.flag),  # a report only after the gate
        output:
            html=f"{REPORT_DIR}/elisa_qc.html",
            pdf=f"{REPORT_DIR}/elisa_qc.pdf",
        log:
            f"{LOGS}/render_elisa_qc.log",
        params:
            code=code("elisa_qc"),
            trial=config["trial"],
            acceptance=config["elisa"]["acceptance"],
            plate_pages=config["elisa"]["plate_pages"],
        script:
            "../scripts/render_elisa_qc.py"
