"""The pipeline's steps as plain functions of file paths: what each Snakemake rule runs.

Each step reads its inputs, calls the library, and writes its outputs. The adapters in
``workflow/scripts`` only pass paths and config values in, so every step can be run and
tested without Snakemake.
"""

from __future__ import annotations

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


def run_logged(log_path: str | Path, step: Callable, **kwargs) -> None:
    """Run ``step`` with logging to ``log_path`` and stderr; input errors exit 1 without a traceback."""
    handlers = [logging.FileHandler(log_path, mode="w", encoding="utf-8"), logging.StreamHandler(sys.stderr)]
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", handlers=handlers, force=True)
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


def build_analysis_data(
    raw: str, name: str, participants: str, time_points: list[str], units: dict[str, str], data: str, problems: str
) -> None:
    """Validate the concentrations file against the participants; write the long analysis data set."""
    people = read_csv(participants)
    accepted, found = ingest.read_concentrations(raw, name, people, time_points, units)
    _settle(found, problems, name)
    table = ingest.build_analysis_data(people, accepted)
    write_csv(table, data)
    log.info("analysis data set: %d values of %d outcomes", len(table), table["outcome"].nunique())


def compare_baseline(participants: str, variables: list[str], arms: list[str], table: str, tests: str) -> None:
    """Baseline characteristics per arm and their t-tests."""
    baseline, t_tests = describe_baseline(read_csv(participants), variables, arms)
    write_csv(baseline, table)
    write_csv(t_tests, tests)


def analyse(data: str, outcomes: list[str], arms: list[str], times: list[str], out: dict[str, str]) -> None:
    """Descriptives, assumption checks, mixed ANOVA and simple effects of every outcome."""
    results = analyse_outcomes(read_csv(data), outcomes, arms, times)
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
