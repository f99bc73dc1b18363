# Harms (CONSORT 2025 item 28): the optional adverse-events file -> counts per arm for the report.


if HARMS:

    rule read_adverse_events:
        input:
            raw=raw_file("adverse_events"),
            participants=rules.read_participants.output.table,
        output:
            table="results/data/adverse_events.csv",
            problems="results/qc/adverse_events_problems.csv",
            balance="results/qc/adverse_events_balance.csv",
        log:
            f"{LOGS}/read_adverse_events.log",
        params:
            code=code("ingest"),
            name=config["inputs"]["adverse_events"],
            start_date=config["trial"].get("start_date", ""),  # optional: no check before the trial period
            data_cutoff=config["trial"].get("data_cutoff", ""),
        script:
            "../scripts/read_adverse_events.py"

    rule summarise_harms:
        input:
            events=rules.read_adverse_events.output.table,
            participants=rules.read_participants.output.table,
            validated=ancient(rules.check_validation.output.flag),  # a gate: its existence matters, not its age
        output:
            table="results/stats/harms.csv",
            by_term="results/stats/harms_by_term.csv",
        log:
            f"{LOGS}/summarise_harms.log",
        params:
            code=code("analysis"),
            arms=ARM_IDS,
        script:
            "../scripts/summarise_harms.py"
