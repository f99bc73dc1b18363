# CONSORT: participant flow from the disposition log; the paper's tables as DOCX.


if DISPOSITION:

    rule consort_flow:
        input:
            raw=raw_file("disposition"),
            participants=rules.read_participants.output.table,
            analysis=rules.build_analysis_data.output.data,
            excluded=rules.analyse_outcomes.output.excluded,
        output:
            flow_json="results/consort/flow.json",
            flow_csv="results/consort/flow.csv",
            svg="results/figures/consort_flow.svg",
            problems="results/qc/disposition_problems.csv",
        log:
            f"{LOGS}/consort_flow.log",
        params:
            code=CODE,
            name=config["inputs"].get("disposition", ""),
            arms=config["arms"],
            time_points=config["time_points"],
            outcomes=config["outcomes"],
        script:
            "../scripts/consort_flow.py"


rule tables_docx:
    input:
        unpack(report_inputs),
    output:
        docx=f"{REPORT_DIR}/tables.docx",
    log:
        f"{LOGS}/tables_docx.log",
    params:
        code=CODE,
        config=config,
        figures=outcome_figures(),
    script:
        "../scripts/tables_docx.py"
