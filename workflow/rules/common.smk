# Helpers shared by the rules: config lookups, wildcard constraints, the list of final targets.
import re
from pathlib import Path

RAW = Path(config["raw_dir"])
TRIAL = config["trial"]["id"]
ARM_IDS = [a["id"] for a in config["arms"]]
TIME_IDS = [t["id"] for t in config["time_points"]]
OUTCOME_IDS = [o["id"] for o in config["outcomes"]]
OUTCOMES = {o["id"]: o for o in config["outcomes"]}
UNITS = {o["id"]: o["unit"] for o in config["outcomes"]}
BASELINE_IDS = [b["id"] for b in config.get("baseline", [])]
ALPHA = config.get("analysis", {}).get("alpha", 0.05)
REPORT_DIR = f"reports/{TRIAL}"
REPORT_PDF = f"{REPORT_DIR}/report.pdf"
LOGS = "results/logs"


wildcard_constraints:
    outcome="|".join(re.escape(o) for o in OUTCOME_IDS),


def raw_file(key):
    """Path of a raw input named in config `inputs` (inside raw_dir)."""
    return RAW / config["inputs"][key]


def outcome_figures():
    return {o: f"results/figures/{o}.svg" for o in OUTCOME_IDS}


def final_targets():
    return [REPORT_PDF, "results/qc/validation.csv"]


def outcome_spec(wildcards):
    """The config entry of the outcome a job is for."""
    return OUTCOMES[wildcards.outcome]
