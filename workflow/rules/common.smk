# Helpers shared by the rules: config lookups, wildcard constraints, the list of final targets.
import re
from pathlib import Path

from trialflow.pipeline import code_version

RAW = Path(config["raw_dir"])
TRIAL = config["trial"]["id"]
ARM_IDS = [a["id"] for a in config["arms"]]
TIME_IDS = [t["id"] for t in config["time_points"]]
OUTCOME_IDS = [o["id"] for o in config["outcomes"]]
OUTCOMES = {o["id"]: o for o in config["outcomes"]}
FUNCTIONAL = "functional_redcap" in config["inputs"]
# Outcomes without a `source` are biomarkers, read from the concentrations file.
BIOMARKER_UNITS = {o["id"]: o["unit"] for o in config["outcomes"] if "source" not in o}
BASELINE_IDS = [b["id"] for b in config.get("baseline", [])]
ALPHA = config.get("analysis", {}).get("alpha", 0.05)
REPORT_DIR = f"reports/{TRIAL}"
REPORT_PDF = f"{REPORT_DIR}/report.pdf"
LOGS = "results/logs"


# Editing the package (statistics, templates) reruns the rules whose results it could change.
CODE = code_version()


wildcard_constraints:
    outcome="|".join(re.escape(o) for o in OUTCOME_IDS),


def raw_file(key):
    """Path of a raw input named in config `inputs` (inside raw_dir)."""
    return RAW / config["inputs"][key]


def analysis_parts():
    """The per-source analysis rows stacked into the analysis data set."""
    parts = ["results/data/concentrations.csv"]
    if FUNCTIONAL:
        parts.append("results/data/functional.csv")
    return parts


def missing_values():
    """Tables of values recorded as missing with a reason (REDCap missing codes, missed visits)."""
    return ["results/data/functional_missing.csv"] if FUNCTIONAL else []


def problem_files():
    files = ["results/qc/participants_problems.csv", "results/qc/concentrations_problems.csv"]
    if FUNCTIONAL:
        files.append("results/qc/functional_problems.csv")
    return files


def outcome_figures():
    return {o: f"results/figures/{o}.svg" for o in OUTCOME_IDS}


def final_targets():
    return [REPORT_PDF, "results/qc/validation.csv"]


def outcome_spec(wildcards):
    """The config entry of the outcome a job is for."""
    return OUTCOMES[wildcards.outcome]
