# Helpers shared by the rules: config lookups, wildcard constraints, the list of final targets.
import re
from pathlib import Path

from snakemake.exceptions import WorkflowError

from trialflow.pipeline import code_version, end_pending_rescheduling
from trialflow.provenance import remember_command

remember_command()  # jobs run in subprocesses; the manifest records the command that started them

RAW = Path(config["raw_dir"])
TRIAL = config["trial"]["id"]
ARM_IDS = [a["id"] for a in config["arms"]]
TIME_IDS = [t["id"] for t in config["time_points"]]
OUTCOME_IDS = [o["id"] for o in config["outcomes"]]
OUTCOMES = {o["id"]: o for o in config["outcomes"]}
FUNCTIONAL = "functional_redcap" in config["inputs"]
PUBLISHED = "published" in config["inputs"]
DISPOSITION = "disposition" in config["inputs"]
HARMS = "adverse_events" in config["inputs"]
ELISA = "elisa" in config
ELISA_MANIFEST = RAW / config["elisa"]["manifest"] if ELISA else None
ELISA_DIR = Path(config["elisa"]["manifest"]).parent.as_posix() if ELISA else ""
# Outcomes without a `source` are biomarkers, read from the concentrations file.
BIOMARKER_UNITS = {o["id"]: o["unit"] for o in config["outcomes"] if "source" not in o}
BASELINE_IDS = [b["id"] for b in config.get("baseline", [])]
ALPHA = config.get("analysis", {}).get("alpha", 0.05)
REPORT_DIR = f"reports/{TRIAL}"
REPORT_PDF = f"{REPORT_DIR}/report.pdf"
LOGS = "results/logs"


# Editing the package (statistics, templates) reruns the rules whose results it could change.
CODE = code_version()

# The jobs between the validation gate and the report go first when cores are short, the
# statistics and figures (the longest chain to the report) before the estimates and the flow;
# the ELISA QC report and the DOCX tables, which nothing waits for, fill the gaps.
REPORT_PATH = 10
LONGEST_CHAIN = 20


wildcard_constraints:
    batch="[A-Za-z0-9_]+-[0-9]+",


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
    """Tables of values recorded as missing with a reason (censored ELISA results, REDCap codes)."""
    files = []
    if ELISA:
        files.append("results/data/concentrations_missing.csv")
    if FUNCTIONAL:
        files.append("results/data/functional_missing.csv")
    return files


def elisa_batches():
    """The manifest's plates in batches of `elisa.plates_per_job`, per analyte in manifest order.

    Plates are quantified independently, so a batch job covers many plates (one process per
    plate would cost more than the fits) and a plate appended to the manifest reruns only the
    last batch of its analyte. Read at DAG time: returns batch id -> [{line, row}, ...].
    """
    from trialflow.elisa.plate_map import PlateMapError, manifest_rows

    if not ELISA:
        return {}
    try:
        _, rows = manifest_rows(ELISA_MANIFEST)
    except PlateMapError:
        return {}  # combine_plates reads the manifest itself and reports why it cannot be read
    size = int(config["elisa"].get("plates_per_job", 25))
    by_analyte = {}
    for line, row in rows:
        by_analyte.setdefault(row.get("analyte", ""), []).append({"line": line, "row": row})
    batches = {}
    for analyte, plates in by_analyte.items():
        slug = re.sub(r"[^A-Za-z0-9]+", "_", analyte).strip("_") or "plates"
        while any(b.startswith(f"{slug}-") for b in batches):  # analytes that differ only in punctuation
            slug += "_"
        for start in range(0, len(plates), size):
            batches[f"{slug}-{start // size + 1:03d}"] = plates[start : start + size]
    return batches


ELISA_BATCHES = elisa_batches()


def plate_files(batch):
    """The exports and plate maps of one batch (a changed plate file reruns its batch)."""
    folder = ELISA_MANIFEST.parent
    files = set()
    for plate in ELISA_BATCHES[batch]:
        for key in ("export_file", "map_file"):
            name = plate["row"].get(key) or ""
            if name and not (folder / name).resolve().is_relative_to(RAW.resolve()):
                raise WorkflowError(f"{ELISA_MANIFEST}, line {plate['line']}, column {key!r}: {name!r} points "
                                    f"outside the raw folder {RAW}; plate files must live inside it")
            if name and (folder / name).is_file():  # a missing file is reported by the manifest check
                files.add(str(folder / name))
    return sorted(files)


# Every export and plate map the manifest names (the report and the manifest list them).
ELISA_PLATE_FILES = sorted({f for batch in ELISA_BATCHES for f in plate_files(batch)})


def problem_files():
    files = ["results/qc/participants_problems.csv", "results/qc/concentrations_problems.csv"]
    if ELISA:
        files.append("results/qc/elisa_problems.csv")
    if FUNCTIONAL:
        files.append("results/qc/functional_problems.csv")
    if DISPOSITION:
        files.append("results/qc/disposition_problems.csv")
    if HARMS:
        files.append("results/qc/adverse_events_problems.csv")
    return files


def blocking_problem_files():
    """Problem files whose errors stop the run even with on_error: quarantine (docs/consort.md)."""
    return ["results/qc/disposition_problems.csv"] if DISPOSITION else []


def balance_files():
    """Rows read = accepted + rejected, per row-based input file."""
    files = ["results/qc/participants_balance.csv"]
    if not ELISA:
        files.append("results/qc/concentrations_balance.csv")
    if FUNCTIONAL:
        files.append("results/qc/functional_balance.csv")
    if DISPOSITION:
        files.append("results/qc/disposition_balance.csv")
    if HARMS:
        files.append("results/qc/adverse_events_balance.csv")
    return files


def outcome_figures():
    return {o: f"results/figures/{o}.svg" for o in OUTCOME_IDS}


ELISA_TABLES = ["wells", "standards", "controls", "plate_qc", "concentrations"]


def report_inputs(wildcards):
    """Everything the report prints, by name (the ELISA tables and plate figures when present)."""
    inputs = {
        "participants": "results/data/participants.csv",
        "analysis": "results/data/analysis.csv",
        "baseline": "results/stats/baseline.csv",
        "baseline_tests": "results/stats/baseline_tests.csv",
        "descriptives": "results/stats/descriptives.csv",
        "anova": "results/stats/anova.csv",
        "assumptions": "results/stats/assumptions.csv",
        "excluded": "results/stats/excluded.csv",
        "validation": "results/qc/validation.csv",
        "row_balance": "results/qc/row_balance.csv",
        "estimation": "results/stats/estimation.csv",
        "lmm_tests": "results/stats/lmm_tests.csv",
        "figures": list(outcome_figures().values()),
        # The plate files reach the report through the ELISA tables; listing ~2,500 of them here
        # made Snakemake stat each one on every scheduling pass. Their hashes: params.raw_files.
        "raw": raw_inputs(plates=False),
    }
    if DISPOSITION:
        inputs["consort"] = "results/figures/consort_flow.svg"
    if "sample_size" in config:
        inputs["sample_size"] = "results/stats/sample_size.csv"
    if HARMS:
        inputs |= {"harms": "results/stats/harms.csv", "harms_by_term": "results/stats/harms_by_term.csv"}
    if PUBLISHED:
        inputs |= {"published_check": "results/qc/published_check.csv",
                   "published_consistency": "results/qc/published_consistency.csv"}
    if ELISA:
        inputs |= {f"elisa_{t}": f"results/elisa/{t}.csv" for t in ELISA_TABLES}
    return inputs


def report_outputs():
    return {"html": f"{REPORT_DIR}/report.html", "pdf": REPORT_PDF}


def raw_inputs(plates=True):
    """Every raw file the run reads: the configured inputs, the plate manifest and (unless
    ``plates`` is false) the plate exports and maps."""
    keys = [k for k in sorted(config["inputs"]) if not (ELISA and k == "concentrations")]
    files = [str(raw_file(k)) for k in keys]
    if ELISA:
        files += [str(ELISA_MANIFEST), *(ELISA_PLATE_FILES if plates else [])]
    return files


def final_targets():
    targets = [REPORT_PDF, f"{REPORT_DIR}/tables.docx", "results/qc/validation.csv", "results/provenance.json"]
    if ELISA:
        targets.append(f"{REPORT_DIR}/elisa_qc.pdf")
    return targets


def provenance_outputs():
    """Every output of the run except logs and the manifest itself, for the manifest."""
    files = [*rules.read_participants.output, *rules.build_analysis_data.output, *rules.collect_validation.output,
             *rules.compare_baseline.output, *rules.analyse_outcomes.output, *outcome_figures().values(),
             *rules.estimate_effects.output,
             *rules.render_report.output]
    if ELISA:
        files += [*rules.combine_plates.output, *rules.render_elisa_qc.output]
    else:
        files += [*rules.read_concentrations.output]
    if FUNCTIONAL:
        files += [*rules.read_functional.output]
    if PUBLISHED:
        files += [*rules.check_published.output]
    if DISPOSITION:
        files += [*rules.read_disposition.output, *rules.consort_flow.output]
    if HARMS:
        files += [*rules.read_adverse_events.output, *rules.summarise_harms.output]
    files += [*rules.tables_docx.output]
    if "sample_size" in config:
        files += [*rules.compute_sample_size.output]
    return sorted(set(files))


def raw_folder(wildcards, input):
    """The raw folder, for relative paths in the manifest (a function: Snakemake lints path literals)."""
    return str(RAW)
