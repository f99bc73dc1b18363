"""Harms: the adverse-events file (one row per event), read and validated row by row.

Format and rules: ``docs/input-formats.md`` ("Adverse events"). :func:`read_adverse_events`
returns the accepted events as :class:`trialflow.schemas.AdverseEvents` rows and a
:class:`~trialflow.problems.Problem` for every rule a row breaks (file, line, column, value,
rule), so rows read = accepted + rejected. The per-arm tables are computed by
:mod:`trialflow.stats.harms`. The demo trial's (invented) events are written by
:mod:`trialflow.demo.adverse_events`.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from trialflow import schemas
from trialflow.problems import Problem
from trialflow.readers import LINE, column_problems, read

AE_COLUMNS = [
    "participant_id",
    "event_term",
    "start_date",
    "severity",
    "serious",
    "relatedness",
    "outcome",
    "led_to_discontinuation",
]
# column -> allowed values (cells are compared in lower case, '_' read as a space)
CHOICES = {
    "severity": schemas.SEVERITIES,
    "serious": ["yes", "no"],
    "relatedness": schemas.RELATEDNESS,
    "outcome": schemas.AE_OUTCOMES,
    "led_to_discontinuation": ["yes", "no"],
}
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _choice(text: str) -> str:
    return " ".join(text.replace("_", " ").split()).lower()


def read_adverse_events(
    path: str | Path,
    name: str,
    participants: pd.DataFrame,
    start_date: str | None = None,
    data_cutoff: str | None = None,
    sheet: str | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read and validate the adverse-events file.

    Parameters
    ----------
    path : the file: delimited text or .xlsx, read by :func:`trialflow.readers.read` (same rules
        as every input: encodings, delimiters, direct-identifier columns dropped, ...).
    name : how the file is named in problems.
    participants : accepted participants (``participant_id``); an event of anyone else is rejected.
    start_date, data_cutoff : the trial period (ISO dates, either may be None): an event must not
        start before ``start_date`` nor after ``data_cutoff``.
    sheet : for a workbook, the sheet to read (default: the first visible one).

    Returns
    -------
    events : :class:`trialflow.schemas.AdverseEvents` rows (categories in lower case, event terms
        with white space collapsed), in file order.
    problems : every rejected row or column; a term written in two letter cases is a warning.
    """
    table = read(path, name, sheet, rows_required=False)  # a header only: a trial without adverse events
    raw, problems = table.frame, list(table.problems)
    if not table.refused:
        problems += column_problems(table, AE_COLUMNS)
    columns = list(schemas.AdverseEvents.to_schema().columns)
    if table.refused or any(p.rule == "column_present" for p in problems):
        return pd.DataFrame(columns=columns), table.locate(problems)

    known = set(participants["participant_id"].astype(str))
    first, last = _date(start_date), _date(data_cutoff)
    records = []
    for row in raw.to_dict("records"):
        line = int(row[LINE])
        found = _check_row(row, name, line, known, first, last, start_date, data_cutoff)
        problems += found
        if found:
            continue
        records.append(
            {
                "participant_id": row["participant_id"],
                "event_term": " ".join(row["event_term"].split()),
                "start_date": row["start_date"],
                **{c: _choice(row[c]) for c in CHOICES},
                "source_file": name,
                "source_line": line,
            }
        )
    typed = pd.DataFrame(records, columns=columns)
    accepted, more = schemas.validate_model(schemas.AdverseEvents, typed)
    problems += more + _term_spellings(accepted, name)
    return accepted.reset_index(drop=True), table.locate(problems)


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    return dt.date.fromisoformat(str(text))


def _check_row(
    row: dict,
    name: str,
    line: int,
    known: set[str],
    first: dt.date | None,
    last: dt.date | None,
    start_date: str | None,
    data_cutoff: str | None,
) -> list[Problem]:
    found: list[Problem] = []

    def problem(column: str, rule: str, message: str) -> None:
        found.append(Problem(name, str(line), column, row[column], rule, "error", message))

    pid = row["participant_id"]
    if pid == "":
        problem(
            "participant_id", "participant_id_given", "participant_id is empty; every event belongs to a participant"
        )
    elif pid not in known:
        problem("participant_id", "participant_known", f"participant {pid!r} is not in the participants file")
    if row["event_term"] == "":
        problem(
            "event_term", "event_term_given", "event_term is empty; say what happened (e.g. a MedDRA preferred term)"
        )

    text = row["start_date"]
    day = None
    if text == "":
        problem("start_date", "start_date_given", "start_date is empty; write the onset date as YYYY-MM-DD")
    elif not ISO_DATE.match(text):
        problem("start_date", "start_date_format", "start_date must be a date written YYYY-MM-DD, such as 2025-04-17")
    else:
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            problem("start_date", "start_date_format", f"start_date {text!r} is not a calendar date")
    if day is not None and first is not None and day < first:
        problem(
            "start_date",
            "date_in_trial",
            f"start_date {text} is before the start of the trial ({start_date}, trial.start_date)",
        )
    if day is not None and last is not None and day > last:
        problem(
            "start_date",
            "date_in_trial",
            f"start_date {text} is after the data cut-off ({data_cutoff}, trial.data_cutoff)",
        )

    for column, allowed in CHOICES.items():
        value = _choice(row[column])
        if value == "":
            problem(column, f"{column}_given", f"{column} is empty; write one of {', '.join(allowed)}")
        elif value not in allowed:
            problem(column, f"{column}_known", f"{column} must be one of {', '.join(allowed)}")
    if _choice(row["outcome"]) == "fatal" and _choice(row["serious"]) == "no":
        problem(
            "serious", "fatal_serious", "outcome is 'fatal' but serious is 'no'; an event ending in death is serious"
        )
    return found


def _term_spellings(events: pd.DataFrame, name: str) -> list[Problem]:
    """A term written in two letter cases counts as two terms: warn, naming every line."""
    problems = []
    for _, group in events.groupby(events["event_term"].str.casefold(), sort=True):
        spellings = sorted(set(group["event_term"]))
        if len(spellings) > 1:
            for r in group.itertuples():
                problems.append(
                    Problem(
                        name,
                        str(r.source_line),
                        "event_term",
                        r.event_term,
                        "event_term_spelling",
                        "warning",
                        f"the term is written as {' and '.join(repr(s) for s in spellings)} on different lines; "
                        "they are counted as different terms",
                    )
                )
    return problems
