# ELISA: plate-reader exports and plate maps -> standard curves, QC, concentrations.
# Active when config has an `elisa` block; otherwise concentrations are read as typed.


if ELISA:

    rule quantify_batch:
        input:
            files=batch_files,
        output:
            batch="results/elisa/batches/{batch}.pickle",
        log:
            f"{LOGS}/quantify_batch_{{batch}}.log",
        params:
            code=code("elisa"),
            manifest=str(ELISA_MANIFEST),  # not an input: a new manifest row must not rerun every batch
            manifest_name=config["elisa"]["manifest"],
            plates=batch_plates,
            rules=config["elisa"]["acceptance"],
            model=config["elisa"]["model"],
            weighting=config["elisa"]["weighting"],
            units=BIOMARKER_UNITS,
            expected_standards=config["elisa"].get("expected_standards", {}),
            reads=config["elisa"].get("reads", {}),
        script:
            "../scripts/quantify_batch.py"

    rule combine_plates:
        input:
            manifest=ELISA_MANIFEST,
            batches=expand(rules.quantify_batch.output.batch, batch=ELISA_BATCHES),
            participants=rules.read_participants.output.table,
        output:
            **elisa_tables(),
            # Every sample measurement of every plate with its status (usable, censored, superseded ...).
            measurements="results/elisa/measurements.csv",
            problems="results/qc/elisa_problems.csv",
            # The usable results as analysis rows, censored ones kept out with their reason.
            table=CONCENTRATION_ROWS,
            missing="results/data/concentrations_missing.csv",
            row_problems=CONCENTRATION_PROBLEMS,
        log:
            f"{LOGS}/combine_plates.log",
        params:
            code=code("elisa"),
            manifest_name=config["elisa"]["manifest"],
            time_points=TIME_IDS,
            units=BIOMARKER_UNITS,
        script:
            "../scripts/combine_plates.py"
