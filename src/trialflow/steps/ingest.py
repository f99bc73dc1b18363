"""Steps of the input stage: read and validate each raw export, stack the analysis data set.
Nothing here writes under the raw folder."""

from __future__ import annotations

import logging

import pandas as pd

from trialflow import consort, harms, ingest, schemas
from trialflow.functional.definitions import outcome_definitions, source_fields, source_times, source_units
from trialflow.functional.derive import build_functional_outcomes
from trialflow.functional.long import read_functional_long
from trialflow.functional.redcap import read_redcap
from trialflow.outputs import read_csv, write_csv
from trialflow.problems import Problem, errors_in
from trialflow.readers import read, row_balance
from trialflow.steps import read_missing_values, write_problems

log = logging.getLogger(__name__)


def write_balance(raw: str, name: str, accepted: int | None, found: list[Problem], out: str) -> None:
    """Rows read = rows accepted + rows rejected, for one input file (:func:`balance_row`)."""
    write_csv(pd.DataFrame([balance_row(raw, name, accepted, found)]), out)


def balance_row(raw: str, name: str, accepted: int | None, found: list[Problem]) -> dict:
    """The row balance of one input file (``accepted=None``: every row without an error of its
    own counts as accepted, for exports whose rows fan out into values); an imbalance is logged."""
    table = read(raw, name)
    if accepted is None:
        accepted = table.rows_read - row_balance(table, 0, found).rejected
    balance = row_balance(table, accepted, found)
    if not balance.ok:
        log.error(
            "%s: %d rows read but %d accepted + %d rejected", name, balance.read, balance.accepted, balance.rejected
        )
    return {
        "file": name,
        "rows_read": balance.read,
        "rows_accepted": balance.accepted,
        "rows_rejected": balance.rejected,
        "balanced": balance.ok,
    }


def read_participants(
    raw: str, name: str, arms: list[str], characteristics: list[dict], table: str, problems: str, balance: str
) -> None:
    """Validate the participants file (the id, the arm, the configured baseline
    ``characteristics``); write the accepted rows, the problems and the row balance."""
    accepted, found = ingest.read_participants(raw, name, arms, characteristics)
    write_csv(accepted, table)
    write_problems(found, problems, name)
    write_balance(raw, name, len(accepted), found, balance)
    log.info("%s: %d participants accepted", name, len(accepted))


def read_concentrations(
    raw: str,
    name: str,
    participants: str,
    time_points: list[str],
    units: dict[str, str],
    table: str,
    problems: str,
    balance: str,
) -> None:
    """Validate the typed concentrations file against the participants; write its analysis rows."""
    people = read_csv(participants)
    accepted, found = ingest.read_concentrations(raw, name, people, time_points, units)
    write_problems(found, problems, name)
    write_balance(raw, name, len(accepted), found, balance)
    write_csv(ingest.build_analysis_data(people, accepted), table)


def read_functional(
    participants: str,
    outcomes: list[dict],
    time_points: list[str],
    redcap: dict,
    missing_codes: dict,
    table: str,
    missing: str,
    problems: str,
    balance: str,
    redcap_export: str | None = None,
    redcap_name: str = "",
    long_csv: str | None = None,
    long_name: str = "",
) -> None:
    """Read the functional exports the config names (a REDCap export, a long CSV, or both); derive
    and check the functional outcomes; write analysis rows, the participant × time × outcome values
    that are missing (with the reason), the problems, and a row balance per file.

    Outcomes with ``source: {test: ...}`` come from the long CSV; the others (``redcap_field``,
    and derived outcomes) from the REDCap export, or from the long CSV when there is none."""
    definitions = [d for d in outcome_definitions(outcomes, time_points) if d.source is not None]
    from_long = [d for d in definitions if "test" in d.source or (redcap_export is None and "derive" in d.source)]
    from_redcap = [d for d in definitions if d not in from_long]
    frames, found = [], []
    if redcap_export is not None:
        raw_long, read = read_redcap(
            redcap_export,
            redcap_name,
            redcap.get("events"),
            source_fields(from_redcap),
            missing_codes,
            repeat_instances=redcap.get("repeat_instances"),
            record_id=redcap["record_id"],
            visit_field=redcap.get("visit_field"),
            repeat_visits=redcap.get("repeat_visits"),
            times=source_times(from_redcap),
        )
        frames.append(raw_long)
        found += read
    if long_csv is not None:
        raw_long, read = read_functional_long(
            long_csv,
            long_name,
            source_units(from_long),
            missing_codes,
            times=source_times(from_long),
        )
        frames.append(raw_long)
        found += read
    raw_long = pd.concat(frames, ignore_index=True)
    schemas.FunctionalValues.validate(raw_long, lazy=True)  # the contract between reading and deriving
    data, gaps, more = build_functional_outcomes(raw_long, read_csv(participants), definitions, time_points)
    write_problems(found + more, problems, "functional outcomes")
    write_csv(data, table)
    write_csv(gaps, missing)
    files = [(redcap_export, redcap_name), (long_csv, long_name)]
    rows = [balance_row(path, name, None, found + more) for path, name in files if path is not None]
    write_csv(pd.DataFrame(rows), balance)


def build_analysis_data(parts: list[str], data: str) -> None:
    """Stack the analysis rows of every source into the long analysis data set."""
    table = ingest.stack_analysis_rows([read_csv(p) for p in parts])
    write_csv(schemas.AnalysisData.validate(table), data)
    log.info("analysis data set: %d values of %d outcomes", len(table), table["outcome"].nunique())


def read_disposition(
    raw: str,
    name: str,
    participants: str,
    analysis: list[str],
    arms: list[dict],
    time_points: list[dict],
    outcomes: list[dict],
    table: str,
    problems: str,
    balance: str,
    missing: list[str] = (),
) -> None:
    """Validate the disposition log row by row and cross-check its counts against the
    participants file and the analysis data set, at the validation gate: every problem goes to
    validation.csv before anything is analysed (docs/consort.md). The cross-checks run on a log
    whose rows all pass; the row balance counts the log's own rows.

    ``analysis`` are the per-source parts of the analysis data set, stacked here as
    :func:`build_analysis_data` stacks them, so the two jobs run side by side; ``missing`` are
    the tables of values recorded as missing with a reason (attendance without data needs one).
    """
    disposition, found = consort.read_disposition(raw, name, arms, time_points)
    checks = []
    if not errors_in(found):
        data = ingest.stack_analysis_rows([read_csv(p) for p in analysis])
        gaps = read_missing_values(list(missing))
        checks = consort.cross_check(
            disposition, read_csv(participants), data, arms, time_points, outcomes, name, missing=gaps
        )
    write_csv(disposition, table)
    write_problems(found + checks, problems, name)
    write_balance(raw, name, len(disposition), found, balance)


def read_adverse_events(
    raw: str,
    name: str,
    participants: str,
    start_date: str,
    data_cutoff: str,
    table: str,
    problems: str,
    balance: str,
) -> None:
    """Validate the adverse-events file against the participants and the trial period; write the
    accepted events, the problems and the row balance."""
    accepted, found = harms.read_adverse_events(
        raw, name, read_csv(participants), start_date or None, data_cutoff or None
    )
    write_csv(accepted, table)
    write_problems(found, problems, name)
    write_balance(raw, name, len(accepted), found, balance)
    log.info("%s: %d adverse events accepted", name, len(accepted))
