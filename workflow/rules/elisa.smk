# ELISA: plate-reader exports and plate maps -> standard curves, QC, concentrations.
# Active when config has an `elisa` block; otherwise concentrations are read as typed.


if ELISA:

    rule quantify_batch:
        input:
            files=lambda wildcards: plate_files(wildcards.batch),
        output:
            batch="results/elisa/batches/{batch}.pickle",
        log:
            f"{LOGS}/quantify_batch_{{batch}}.log",
        params:
            code=CODE,
            manifest=str(ELISA_MANIFEST),  # not an input: a new manifest row must not rerun every batch
            manifest_name=config.get("elisa", {}).get("manifest", ""),
            plates=lambda wildcards: ELISA_BATCHES[wildcards.batch],  # the rows: an edited row reruns its batch
            rules=config.get("elisa", {}).get("acceptance", {}),
            model=config.get("elisa", {}).get("model", "4PL"),
            weighting=config.get("elisa", {}).get("weighting", "1/y^2"),
        script:
            "../scripts/quantify_batch.py"


    rule combine_plates:
        input:
            manifest=ELISA_MANIFEST,
            batches=expand(rules.quantify_batch.output.batch, batch=ELISA_BATCHES),
            participants=rules.read_participants.output.table,
        output:
            wells="results/elisa/wells.csv",
            standards="results/elisa/standards.csv",
            controls="results/elisa/controls.csv",
            plate_qc="results/elisa/plate_qc.csv",
            curves="results/elisa/curves.csv",
            concentrations="results/elisa/concentrations.csv",
            problems="results/qc/elisa_problems.csv",
            # The usable results as analysis rows, censored ones kept out with their reason.
            table="results/data/concentrations.csv",
            missing="results/data/concentrations_missing.csv",
            row_problems="results/qc/concentrations_problems.csv",
        log:
            f"{LOGS}/combine_plates.log",
        params:
            code=CODE,
            manifest_name=config.get("elisa", {}).get("manifest", ""),
            elisa_dir=ELISA_DIR,
            time_points=TIME_IDS,
            units=BIOMARKER_UNITS,
        script:
            "../scripts/combine_plates.py"
