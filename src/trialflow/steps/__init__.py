"""The pipeline's steps: what each Snakemake rule runs, as plain functions of paths and settings.

A step reads its input files, calls the library, and writes its output files; it holds no
statistics and no parsing of its own. The adapters in ``workflow/scripts`` pass the rule's
paths and config values to one step through :func:`run_step`, so every step can be run and
tested without Snakemake. One module per stage, named after it; a rule's ``code`` param is the
hash of its stage module and everything that module imports (:func:`trialflow.dag.step_code`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from trialflow.outputs import read_csv, write_csv
from trialflow.problems import InputError, Problem, errors_in, problems_frame

log = logging.getLogger(__name__)

SHOWN_PROBLEMS = 20  # problems of one file written to the log one by one; the rest are counted


def run_step(log_path: str | Path, step: Callable, **kwargs) -> None:
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


def write_problems(problems: list[Problem], path: str | Path, what: str) -> None:
    """Write one input's problems and log them; the policy (stop or quarantine) is applied once,
    at the validation gate (:func:`trialflow.steps.validation.check_validation`)."""
    write_csv(problems_frame(problems), path)
    errors = errors_in(problems)
    for problem in problems[:SHOWN_PROBLEMS]:
        (log.error if problem.severity == "error" else log.warning)("%s", problem)
    if len(problems) > SHOWN_PROBLEMS:
        log.warning("... %d more problems in %s", len(problems) - SHOWN_PROBLEMS, path)
    log.info("%s: %d errors, %d warnings", what, len(errors), len(problems) - len(errors))


def read_missing_values(paths: list[str]) -> pd.DataFrame | None:
    """The tables of values recorded as missing with a reason, stacked (None without any)."""
    return pd.concat([read_csv(p) for p in paths], ignore_index=True) if paths else None
