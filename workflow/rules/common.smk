# Helpers shared by the rules: config lookups, the plate batches, input functions, final targets.
# Read on every snakemake start, so it imports only light modules: trialflow.dag, .configuration, .analysis_plan.
from functools import cache
from pathlib import Path

from snakemake.exceptions import WorkflowError

from trialflow.configuration import config_problems, input_path_problems
from trialflow.dag import REPORT_KEYS, config_keys, config_sha256, plate_batches, remember_command, step_code
from trialflow.analysis_plan import config_problems as multiplicity_problems
from trialflow.analysis_plan import estimand_problems, estimands, primary_analysis, primary_problems
from trialflow.analysis_plan import families as multiplicity_families

remember_command()  # jobs run in subprocesses; the run record names the command that started them

PROBLEMS = (
    config_problems(config)
    + input_path_problems(config)
    + multiplicity_problems(config)
    + estimand_problems(config)
    + primary_problems(config)
)
if PROBLEMS:  # checks across keys, which the schema cannot make, and the inputs' paths; before any job
    raise WorkflowError("The config cannot describe a run:\n  - " + "\n  - ".join(PROBLEMS))

RAW = Path(config["raw_dir"])
ARM_IDS = [a["id"] for a in config["arms"]]
TIME_IDS = [t["id"] for t in config["time_points"]]
OUTCOME_IDS = [o["id"] for o in config["outcomes"]]
FUNCTIONAL_INPUTS = {"redcap_export": "functional_redcap", "long_csv": "functional_long"}  # step argument: input
FUNCTIONAL = any(key in config["inputs"] for key in FUNCTIONAL_INPUTS.values())
PUBLISHED = "published" in config["inputs"]
DISPOSITION = "disposition" in config["inputs"]
HARMS = "adverse_events" in config["inputs"]
SAMPLE_SIZE = "sample_size" in config
# The estimands; with any, the analyses read the data with their strategies applied.
ESTIMANDS = estimands(config)
# The primary analysis (analysis.primary): rm_anova or mmrm.
PRIMARY = primary_analysis(config)
# Multiplicity families (analysis.multiplicity), defaults filled; the graphical ones get a drawing.
FAMILIES = multiplicity_families(config)
GRAPHS = {f["id"]: f"results/figures/multiplicity_{f['id']}.svg" for f in FAMILIES if f["method"] == "graphical"}
ELISA = "elisa" in config
ELISA_MANIFEST = RAW / config["elisa"]["manifest"] if ELISA else None
# Outcomes without a `source` are biomarkers, read from the plates or, without an `elisa` block,
# from the typed concentrations file.
BIOMARKER_UNITS = {o["id"]: o["unit"] for o in config["outcomes"] if "source" not in o}
TYPED = bool(BIOMARKER_UNITS) and not ELISA
REPORT_DIR = f"reports/{config['trial']['id']}"
SUBMISSION_DIR = f"{REPORT_DIR}/submission"
SUBMISSION_FORMATS = config["submission"]["formats"]
# The ADaM datasets: ADSL, ADLB with biomarkers (outcomes without a source), ADFT with functional outcomes.
ADAM_DATASETS = ["ADSL"]
ADAM_DATASETS += ["ADLB"] if any("source" not in o for o in config["outcomes"]) else []
ADAM_DATASETS += ["ADFT"] if any("source" in o for o in config["outcomes"]) else []
LOGS = "results/logs"
# The biomarker values as analysis rows, and their problems: written by read_concentrations
# (typed values) or, with an `elisa` block, by combine_plates (quantified plates).
CONCENTRATION_ROWS = "results/data/concentrations.csv"
CONCENTRATION_PROBLEMS = "results/qc/concentrations_problems.csv"

# The jobs between the validation gate and the report go first when cores are short: the
# statistics, MMRM, figures and ADaM datasets (the longest chains to the report) before the
# estimates, the flow and the SPSS files; the ELISA QC report and the DOCX tables, which nothing
# waits for, fill the gaps.
REPORT_PATH = 10
LONGEST_CHAIN = 20


wildcard_constraints:
    batch="[A-Za-z0-9_]+-[0-9]+",


def code(stage):
    """The `code` param of a rule: a hash of the step module of its stage and of everything that
    module imports (trialflow.dag.step_code), so the rule reruns when the code it runs changes."""
    return step_code(f"trialflow.steps.{stage}")


def raw_file(key):
    """Path of a raw input named in config `inputs` (inside raw_dir)."""
    return RAW / config["inputs"][key]


ELISA_BATCHES = plate_batches(ELISA_MANIFEST, config["elisa"]["plates_per_job"]) if ELISA else {}


@cache  # once per batch and start: ELISA_PLATE_FILES and the DAG's input function both ask
def plate_files(batch):
    """The exports and plate maps of one batch (a changed plate file reruns its batch)."""
    folder, raw = ELISA_MANIFEST.parent, RAW.resolve()
    files = set()
    for plate in ELISA_BATCHES[batch]:
        for key in ("export_file", "map_file"):
            name = plate["row"].get(key) or ""
            if name and not (folder / name).resolve().is_relative_to(raw):
                raise WorkflowError(
                    f"{ELISA_MANIFEST}, line {plate['line']}, column {key!r}: {name!r} points "
                    f"outside the raw folder {RAW}; plate files must live inside it"
                )
            if name and (folder / name).is_file():  # a missing file is reported by the manifest check
                files.add(str(folder / name))
    return tuple(sorted(files))  # cached: not to be changed by a caller


def batch_files(wildcards):
    return list(plate_files(wildcards.batch))


def batch_plates(wildcards):
    """The manifest rows of one batch (a param: an edited row reruns its batch)."""
    return ELISA_BATCHES[wildcards.batch]


# Every export and plate map the manifest names (the report and the manifest list them).
ELISA_PLATE_FILES = sorted({f for batch in ELISA_BATCHES for f in plate_files(batch)})


def functional_exports(wildcards):
    """The functional exports the config names (a REDCap export, a long CSV), by step argument."""
    return {arg: raw_file(key) for arg, key in FUNCTIONAL_INPUTS.items() if key in config["inputs"]}


def raw_inputs(plates=True):
    """Every raw file the run reads: the configured inputs, the plate manifest and (unless
    ``plates`` is false) the plate exports and maps."""
    keys = [k for k in sorted(config["inputs"]) if k != "concentrations" or TYPED]
    files = [str(raw_file(k)) for k in keys]
    if ELISA:
        files += [str(ELISA_MANIFEST), *(ELISA_PLATE_FILES if plates else [])]
    return files


def named_inputs():
    """The inputs the config names (and the plate manifest), as names inside the raw folder."""
    return [*config["inputs"].values(), *([config["elisa"]["manifest"]] if ELISA else [])]


def raw_folder(wildcards, input):
    """The raw folder, for relative paths in the manifest (a function: Snakemake lints path literals)."""
    return str(RAW)


# Input functions: evaluated once every rule is defined, so they name other rules' outputs.


def analysis_parts(wildcards):
    """The per-source analysis rows stacked into the analysis data set."""
    parts = [rules.combine_plates.output.table] if ELISA else []
    parts += [rules.read_concentrations.output.table] if TYPED else []
    return parts + ([rules.read_functional.output.table] if FUNCTIONAL else [])


def recorded_missing(wildcards):
    """Tables of values the inputs record as missing with a reason (censored ELISA results, REDCap
    codes): what the disposition log's attendance is checked against."""
    files = [rules.combine_plates.output.missing] if ELISA else []
    return files + ([rules.read_functional.output.missing] if FUNCTIONAL else [])


def missing_values(wildcards):
    """Tables of values missing with a reason that the analyses read: those recorded in the inputs
    and the values an estimand's strategy removed."""
    return recorded_missing(wildcards) + ([rules.apply_estimands.output.missing] if ESTIMANDS else [])


def analysis_data(wildcards):
    """The data set the analyses read: with the estimands' strategies applied when there are any."""
    return rules.apply_estimands.output.data if ESTIMANDS else rules.build_analysis_data.output.data


def primary_tests(wildcards):
    """The tests of the primary analysis, whose p values the multiplicity families adjust."""
    return rules.fit_mmrm.output.tests if PRIMARY == "mmrm" else rules.analyse_outcomes.output.anova


def disposition_table(wildcards):
    """The accepted disposition log, which dates the intercurrent events (none without one)."""
    return [rules.read_disposition.output.table] if DISPOSITION else []


def input_rules():
    """The rules that read and validate one raw input each (the plates: combine_plates)."""
    found = [rules.read_participants]
    found += [rules.combine_plates] if ELISA else [rules.read_concentrations] if TYPED else []
    found += [rules.read_functional] if FUNCTIONAL else []
    found += [rules.read_disposition] if DISPOSITION else []
    found += [rules.read_adverse_events] if HARMS else []
    return found + ([rules.check_published_file] if PUBLISHED else [])


def problem_files(wildcards):
    """Every input's problems, in the order validation.csv lists them."""
    files = []
    for reader in input_rules():
        if ELISA and reader is rules.combine_plates:  # the analysis rows' problems, then the plates'
            files.append(reader.output.row_problems)
        files.append(reader.output.problems)
    return files


def blocking_problem_files(wildcards):
    """Problem files whose errors stop the run even with on_error: quarantine (docs/consort.md;
    the published figures: a check of part of them would misstate what the paper printed)."""
    files = [rules.read_disposition.output.problems] if DISPOSITION else []
    return files + ([rules.check_published_file.output.problems] if PUBLISHED else [])


def balance_files(wildcards):
    """Rows read = accepted + rejected, per row-based input file (plates are counted by well)."""
    return [r.output.balance for r in input_rules() if "balance" in r.output.keys()]


def outcome_figures():
    return {o: f"results/figures/{o}.svg" for o in OUTCOME_IDS}


ELISA_TABLES = ["wells", "standards", "controls", "plate_qc", "curves", "plates_by_analyte", "concentrations"]


def elisa_tables():
    """The ELISA results tables (combine_plates), by name."""
    return {t: f"results/elisa/{t}.csv" for t in ELISA_TABLES}


def report_inputs(wildcards):
    """Everything the report prints, by name (the ELISA tables when present)."""
    analysed = rules.analyse_outcomes.output
    inputs = {
        "participants": rules.read_participants.output.table,
        "analysis": rules.build_analysis_data.output.data,
        "baseline": rules.compare_baseline.output.table,
        "baseline_tests": rules.compare_baseline.output.tests,
        "participants_per_arm": rules.compare_baseline.output.per_arm,
        "baseline_categories": rules.compare_baseline.output.categories,
        "outcome_status": analysed.status,
        "descriptives": analysed.descriptives,
        "anova": analysed.anova,
        "assumptions": analysed.assumptions,
        "excluded": analysed.excluded,
        "exclusion_counts": analysed.exclusion_counts,
        "exclusion_reasons": analysed.exclusion_reasons,
        "validation": rules.collect_validation.output.table,
        "row_balance": rules.collect_validation.output.balance,
        "estimation": rules.estimate_effects.output.table,
        "lmm_tests": analysed.lmm_tests,
        **{f"mmrm_{t}": rules.fit_mmrm.output[t] for t in ("lsmeans", "contrasts", "tests", "covariance", "fit")},
        "figures": rules.plot_outcomes.output.figures,
        # The plate files reach the report through the ELISA tables; listing ~2,500 of them here
        # made Snakemake stat each one on every scheduling pass. Their hashes: params.raw_files.
        "raw": raw_inputs(plates=False),
    }
    if DISPOSITION:
        inputs["consort"] = rules.consort_flow.output.svg
    if SAMPLE_SIZE:
        inputs["sample_size"] = rules.compute_sample_size.output.table
    if ESTIMANDS:
        inputs["estimand_counts"] = rules.apply_estimands.output.counts
    if FAMILIES:
        inputs["multiplicity"] = rules.adjust_multiplicity.output.table
    if GRAPHS:
        inputs["multiplicity_graphs"] = rules.adjust_multiplicity.output.graphs
    if HARMS:
        inputs |= {"harms": rules.summarise_harms.output.table, "harms_by_term": rules.summarise_harms.output.by_term}
    if PUBLISHED:
        inputs |= {
            "published_check": rules.check_published.output.check,
            "published_consistency": rules.check_published.output.consistency,
        }
    if ELISA:  # the curve parameters are printed in the ELISA QC report, not here
        inputs |= {f"elisa_{t}": rules.combine_plates.output[t] for t in ELISA_TABLES if t != "curves"}
    return inputs


def adam_files():
    """The ADaM files the config asks for, by output name: <dataset>_xpt, <dataset>_json, define."""
    files = {}
    for fmt, suffix in (("xpt", "xpt"), ("dataset_json", "json")):
        if fmt in SUBMISSION_FORMATS:
            files |= {f"{d.lower()}_{suffix}": f"{SUBMISSION_DIR}/{d.lower()}.{suffix}" for d in ADAM_DATASETS}
    if "define_xml" in SUBMISSION_FORMATS:
        files["define"] = f"{SUBMISSION_DIR}/define.xml"
    return files


def adam_inputs(wildcards):
    """The tables the ADaM datasets are derived from (the disposition log when there is one)."""
    analysed = rules.analyse_outcomes.output
    inputs = {
        "participants": rules.read_participants.output.table,
        "analysis": rules.build_analysis_data.output.data,
        "excluded": analysed.excluded,
        "status": analysed.status,
        "validated": ancient(rules.check_validation.output.flag),  # a gate: its existence matters, not its age
    }
    return inputs | ({"disposition": rules.read_disposition.output.table} if DISPOSITION else {})


def attached_exports(wildcards=None):
    """The submission exports the report's PDF/A carries (when small): all but the RTF tables,
    which are read from the report."""
    files = [*rules.write_adam.output] if adam_files() else []
    return files + ([*rules.write_spss.output] if "spss" in SUBMISSION_FORMATS else [])


def submission_outputs():
    """The files of reports/<trial>/submission/ the config asks for."""
    return attached_exports() + ([*rules.write_rtf.output] if "rtf" in SUBMISSION_FORMATS else [])


def final_targets():
    targets = [
        rules.render_report.output.pdf,
        rules.tables_docx.output.docx,
        rules.collect_validation.output.table,
        rules.write_provenance.output.manifest,
    ]
    return targets + ([rules.render_elisa_qc.output.pdf] if ELISA else []) + submission_outputs()


def provenance_outputs():
    """Every output of the run except logs and the manifest itself, for the manifest."""
    files = [
        *rules.read_participants.output,
        *rules.build_analysis_data.output,
        *rules.collect_validation.output,
        *rules.compare_baseline.output,
        *rules.analyse_outcomes.output,
        *rules.plot_outcomes.output,
        *rules.estimate_effects.output,
        *rules.fit_mmrm.output,
        *rules.render_report_html.output,
        *rules.render_report.output,
        *rules.tables_docx.output,
    ]
    for reader in input_rules()[1:]:
        files += [*reader.output]
    if ELISA:
        files += [*rules.render_elisa_qc.output]
    if PUBLISHED:
        files += [*rules.check_published.output]  # check_published_file's: among input_rules()
    if DISPOSITION:
        files += [*rules.consort_flow.output]
    if HARMS:
        files += [*rules.summarise_harms.output]
    if SAMPLE_SIZE:
        files += [*rules.compute_sample_size.output]
    if FAMILIES:
        files += [*rules.adjust_multiplicity.output]
    if ESTIMANDS:
        files += [*rules.apply_estimands.output]
    files += submission_outputs()
    return sorted(set(files))
