"""Steps of the validation gate: every input's problems in one table, then the on_error policy.

Apart from the input stage because they import no reader and no schema: they run after every
new input, on the path to the report.
"""

from __future__ import annotations

import logging

import pandas as pd

from trialflow import validation
from trialflow.outputs import read_csv, read_text_csv, write_atomic, write_csv
from trialflow.problems import InputError

log = logging.getLogger(__name__)


def collect_validation(problem_files: list[str], balance_files: list[str], out: str, balance: str) -> None:
    """All problem lists in one ``validation.csv``; all row balances in one ``row_balance.csv``."""
    frames = [read_text_csv(p) for p in problem_files]
    write_csv(pd.concat(frames, ignore_index=True), out)
    write_csv(pd.concat([read_csv(p) for p in balance_files], ignore_index=True), balance)


def check_validation(validation_table: str, on_error: str, flag: str, blocking: list[str]) -> None:
    """Apply the ``on_error`` policy to ``validation.csv`` (:func:`trialflow.validation.gate`):
    stop with the first problems in plain words, or write the flag file the analysis waits for."""
    table = read_text_csv(validation_table)
    held = [read_text_csv(p) for p in blocking]
    stop = validation.gate(table, on_error, held, validation_table)
    if stop:
        raise InputError([], message=stop)
    errors = int((table["severity"] == "error").sum())
    if errors:
        log.warning("%d rows rejected and quarantined (on_error: quarantine); the report lists them", errors)
    write_atomic(flag, f"on_error={on_error}; errors={errors}; warnings={len(table) - errors}\n".encode())
