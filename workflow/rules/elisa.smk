# ELISA: plate-reader exports and plate maps -> standard curves, QC, concentrations.
# Active when config has an `elisa` block; otherwise concentrations are read as typed.


if ELISA:

    rule quantify_plates:
        input:
            manifest=ELISA_MANIFEST,
            files=elisa_plate_files(),
        output:
            wells="results/elisa/wells.csv",
            standards="results/elisa/standards.csv",
            controls="results/elisa/controls.csv",
            plate_qc="results/elisa/plate_qc.csv",
            curves="results/elisa/curves.csv",
            concentrations="results/elisa/concentrations.csv",
            problems="results/qc/elisa_problems.csv",
        log:
            f"{LOGS}/quantify_plates.log",
        params:
            code=CODE,
            manifest_name=config.get("elisa", {}).get("manifest", ""),
            rules=config.get("elisa", {}).get("acceptance", {}),
            model=config.get("elisa", {}).get("model", "4PL"),
            weighting=config.get("elisa", {}).get("weighting", "1/y^2"),
        script:
            "../scripts/quantify_plates.py"


    rule read_quantified:
        input:
            concentrations=rules.quantify_plates.output.concentrations,
            wells=rules.quantify_plates.output.wells,
            plate_qc=rules.quantify_plates.output.plate_qc,
            participants=rules.read_participants.output.table,
        output:
            table="results/data/concentrations.csv",
            missing="results/data/concentrations_missing.csv",
            problems="results/qc/concentrations_problems.csv",
        log:
            f"{LOGS}/read_quantified.log",
        params:
            code=CODE,
            elisa_dir=ELISA_DIR,
            time_points=TIME_IDS,
            units=BIOMARKER_UNITS,
        script:
            "../scripts/read_quantified.py"


    rule plot_plate:
        input:
            wells=rules.quantify_plates.output.wells,
            standards=rules.quantify_plates.output.standards,
            curves=rules.quantify_plates.output.curves,
            plate_qc=rules.quantify_plates.output.plate_qc,
        output:
            figure="results/elisa/figures/{plate}.svg",
        log:
            f"{LOGS}/plot_plate_{{plate}}.log",
        params:
            code=CODE,
        script:
            "../scripts/plot_plate.py"
