# Read and validate the raw exports. Raw files are inputs only: nothing here writes under raw_dir.


rule read_participants:
    input:
        raw=raw_file("participants"),
    output:
        table="results/data/participants.csv",
        problems="results/qc/participants_problems.csv",
    log:
        f"{LOGS}/read_participants.log",
    params:
        name=config["inputs"]["participants"],
        arms=ARM_IDS,
    script:
        "../scripts/read_participants.py"


rule build_analysis_data:
    input:
        raw=raw_file("concentrations"),
        participants=rules.read_participants.output.table,
    output:
        data="results/data/analysis.csv",
        problems="results/qc/concentrations_problems.csv",
    log:
        f"{LOGS}/build_analysis_data.log",
    params:
        name=config["inputs"]["concentrations"],
        time_points=TIME_IDS,
        units=UNITS,
    script:
        "../scripts/build_analysis_data.py"


rule collect_validation:
    input:
        rules.read_participants.output.problems,
        rules.build_analysis_data.output.problems,
    output:
        table="results/qc/validation.csv",
    log:
        f"{LOGS}/collect_validation.log",
    script:
        "../scripts/collect_validation.py"
