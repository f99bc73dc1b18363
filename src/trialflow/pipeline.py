"""The pipeline's steps as plain functions of file paths: what each Snakemake rule runs.

Each step reads its inputs, calls the library, and writes its outputs. The adapters in
``workflow/scripts`` only pass paths and config values in, so every step can be run and
tested without Snakemake.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from trialflow import ingest
from trialflow.analysis import analyse_outcomes, describe_baseline
from trialflow.outputs import read_csv, write_csv
from trialflow.problems import InputError, errors_in, problems_frame

log = logging.getLogger(__name__)


CODE_SUFFIXES = {".py", ".j2", ".css", ".ttf"}


def code_version() -> str:
    """SHA-256 over the package's source, templates and fonts (sorted, path-qualified).

    Rules carry it as a param, so a changed statistic or template reruns what it affects.
    """
    root = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.suffix in CODE_SUFFIXES and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def run_logged(log_path: str | Path, step: Callable, **kwargs) -> None:
    """Run ``step`` with logging to ``log_path`` and stderr; input errors exit 1 without a traceback."""
    handlers = [logging.FileHandler(log_path, mode="w", encoding="utf-8"), logging.StreamHandler(sys.stderr)]
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", handlers=handlers, force=True)
    logging.getLogger("weasyprint").setLevel(logging.WARNING)  # its INFO is a page-by-page progress log
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    try:
        step(**kwargs)
    except InputError as err:
        log.error("%s", err)
        sys.exit(1)


def _settle(problems, problems_path: str | Path, what: str) -> None:
    write_csv(problems_frame(problems), problems_path)
    for warning in [p for p in problems if p.severity == "warning"]:
        log.warning("%s", warning)
    if errors_in(problems):
        raise InputError(problems)
    log.info("%s: no problems", what)


def read_participants(raw: str, name: str, arms: list[str], table: str, problems: str) -> None:
    """Validate the participants file; write the accepted rows (with BMI) and the problems."""
    accepted, found = ingest.read_participants(raw, name, arms)
    write_csv(accepted, table)
    _settle(found, problems, name)
    log.info("%s: %d participants accepted", name, len(accepted))


def read_concentrations(raw: str, name: str, participants: str, time_points: list[str],
                        units: dict[str, str], table: str, problems: str) -> None:
    """Validate the concentrations file against the participants; write its analysis rows."""
    people = read_csv(participants)
    accepted, found = ingest.read_concentrations(raw, name, people, time_points, units)
    _settle(found, problems, name)
    write_csv(ingest.build_analysis_data(people, accepted), table)


def read_functional(raw: str, name: str, participants: str, outcomes: list[dict], time_points: list[str],
                    redcap: dict, missing_codes: dict, table: str, missing: str, problems: str) -> None:
    """Read the REDCap export; derive and check the functional outcomes; write analysis rows and
    the participant × time × outcome values that are missing, with the reason."""
    from trialflow import functional

    definitions = [d for d in functional.outcome_definitions(outcomes) if d.source is not None]
    raw_long, found = functional.read_redcap(
        raw, name, redcap.get("events", {}), functional.source_fields(definitions), missing_codes,
        repeat_instances=redcap.get("repeat_instances"), record_id=redcap.get("record_id", "record_id"))
    data, gaps, more = functional.build_functional_outcomes(raw_long, read_csv(participants), definitions, time_points)
    _settle(found + more, problems, name)
    write_csv(data, table)
    write_csv(gaps, missing)


def build_analysis_data(parts: list[str], data: str) -> None:
    """Stack the analysis rows of every source into the long analysis data set."""
    from trialflow import schemas

    table = pd.concat([read_csv(p) for p in parts], ignore_index=True)
    table = table.sort_values(["outcome", "participant_id", "time"], kind="stable").reset_index(drop=True)
    write_csv(schemas.AnalysisData.validate(table), data)
    log.info("analysis data set: %d values of %d outcomes", len(table), table["outcome"].nunique())


def compare_baseline(participants: str, variables: list[str], arms: list[str], table: str, tests: str) -> None:
    """Baseline characteristics per arm and their t-tests."""
    baseline, t_tests = describe_baseline(read_csv(participants), variables, arms)
    write_csv(baseline, table)
    write_csv(t_tests, tests)


def analyse(data: str, missing: list[str], outcomes: list[str], arms: list[str], times: list[str],
            out: dict[str, str]) -> None:
    """Descriptives, assumption checks, mixed ANOVA and simple effects of every outcome."""
    gaps = pd.concat([read_csv(p) for p in missing], ignore_index=True) if missing else None
    results = analyse_outcomes(read_csv(data), outcomes, arms, times, missing=gaps)
    for key, path in out.items():
        write_csv(results[key], path)
    for row in results["excluded"].itertuples():
        log.warning("%s: participant %s excluded from the ANOVA (%s)", row.outcome, row.participant_id, row.reason)


def collect_validation(problem_files: list[str], out: str) -> None:
    """All problem lists in one ``validation.csv``."""
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in problem_files]
    write_csv(pd.concat(frames, ignore_index=True), out)


def plot_outcome(
    descriptives: str, effects: str, outcome: dict, arms: list[dict], times: list[dict], alpha: float, figure: str
) -> None:
    """One outcome's Mean ± SD figure as SVG."""
    from trialflow.figures import plot_outcome as plot
    from trialflow.outputs import write_atomic

    desc, eff = read_csv(descriptives), read_csv(effects)
    svg = plot(
        desc[desc["outcome"] == outcome["id"]], eff[eff["outcome"] == outcome["id"]], outcome, arms, times, alpha
    )
    write_atomic(figure, svg)


def render_report(config: dict, results: dict[str, str], figures: dict[str, str], html: str, pdf: str) -> None:
    """The report as HTML and PDF from the results tables and figures."""
    from trialflow.outputs import write_atomic
    from trialflow.report import render_html, write_pdf
    from trialflow.report.context import build_context

    page = render_html(build_context(config, results, figures))
    write_atomic(html, page.encode("utf-8"))
    write_pdf(page, pdf)
    log.info("report written: %s", pdf)
