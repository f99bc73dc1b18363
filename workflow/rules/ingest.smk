# Read and validate the raw exports. Raw files are inputs only: nothing here writes under raw_dir.


rule read_participants:
    input:
        raw=raw_file("participants"),
    output:
        table="results/data/participants.csv",
        problems="results/qc/participants_problems.csv",
        balance="results/qc/participants_balance.csv",
    log:
        f"{LOGS}/read_participants.log",
    params:
        code=code("ingest"),
        name=config["inputs"]["participants"],
        arms=ARM_IDS,
        characteristics=config["baseline"],
    script:
        "../scripts/read_participants.py"


if TYPED:

    rule read_concentrations:
        input:
            raw=raw_file("concentrations"),
            participants=rules.read_participants.output.table,
        output:
            table=CONCENTRATION_ROWS,
            problems=CONCENTRATION_PROBLEMS,
            balance="results/qc/concentrations_balance.csv",
        log:
            f"{LOGS}/read_concentrations.log",
        params:
            code=code("ingest"),
            name=config["inputs"]["concentrations"],
            time_points=TIME_IDS,
            units=BIOMARKER_UNITS,
        script:
            "../scripts/read_concentrations.py"


if FUNCTIONAL:

    rule read_functional:
        input:
            unpack(functional_exports),
            participants=rules.read_participants.output.table,
        output:
            table="results/data/functional.csv",
            missing="results/data/functional_missing.csv",
            problems="results/qc/functional_problems.csv",
            balance="results/qc/functional_balance.csv",
        log:
            f"{LOGS}/read_functional.log",
        params:
            code=code("ingest"),
            redcap_name=config["inputs"].get("functional_redcap", ""),  # optional: either file or both
            long_name=config["inputs"].get("functional_long", ""),
            outcomes=config["outcomes"],
            time_points=TIME_IDS,
            redcap=config["redcap"],
            missing_codes=config["missing_codes"],
        script:
            "../scripts/read_functional.py"


rule build_analysis_data:
    input:
        parts=analysis_parts,
    output:
        data="results/data/analysis.csv",
    log:
        f"{LOGS}/build_analysis_data.log",
    params:
        code=code("ingest"),
    script:
        "../scripts/build_analysis_data.py"


rule collect_validation:
    input:
        problems=problem_files,
        balances=balance_files,
    output:
        table="results/qc/validation.csv",
        balance="results/qc/row_balance.csv",
    log:
        f"{LOGS}/collect_validation.log",
    params:
        code=code("validation"),
    script:
        "../scripts/collect_validation.py"


rule check_validation:
    input:
        validation=rules.collect_validation.output.table,
        blocking=blocking_problem_files,
    output:
        flag="results/qc/validation_passed.txt",
    log:
        f"{LOGS}/check_validation.log",
    params:
        code=code("validation"),
        on_error=config["on_error"],
    script:
        "../scripts/check_validation.py"
