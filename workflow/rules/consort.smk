# CONSORT: the disposition log (checked at the validation gate) and the participant flow.


if DISPOSITION:

    rule read_disposition:
        input:
            raw=raw_file("disposition"),
            participants=rules.read_participants.output.table,
            analysis=analysis_parts,  # the parts, not analysis.csv: runs beside build_analysis_data
            missing=recorded_missing,  # values recorded as missing with a reason: a visit attended without data
        output:
            table="results/data/disposition.csv",
            problems="results/qc/disposition_problems.csv",
            balance="results/qc/disposition_balance.csv",
        log:
            f"{LOGS}/read_disposition.log",
        params:
            code=code("ingest"),
            name=config["inputs"]["disposition"],
            arms=config["arms"],
            time_points=config["time_points"],
            outcomes=config["outcomes"],
        script:
            "../scripts/read_disposition.py"

    rule consort_flow:
        input:
            disposition=rules.read_disposition.output.table,
            participants=rules.read_participants.output.table,
            analysis=analysis_data,
            missing=missing_values,  # with the data: who the analysis leaves out, without waiting for it
            validated=ancient(rules.check_validation.output.flag),  # a gate: its existence matters, not its age
        output:
            flow_json="results/consort/flow.json",
            flow_csv="results/consort/flow.csv",
            svg="results/figures/consort_flow.svg",
        log:
            f"{LOGS}/consort_flow.log",
        priority: REPORT_PATH
        params:
            code=code("consort"),
            name=config["inputs"]["disposition"],
            arms=config["arms"],
            time_points=config["time_points"],
            outcomes=config["outcomes"],
        script:
            "../scripts/consort_flow.py"
