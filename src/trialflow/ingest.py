"""Turn raw input files into validated, typed tables that remember where each row came from.

Each ``read_*`` function returns ``(accepted_rows, problems)``: rows that break a rule are
left out of the first and described in the second, so rows read = accepted + rejected.
What happens to a run with errors (stop or quarantine) is the caller's policy.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from trialflow import schemas
from trialflow.problems import Problem
from trialflow.readers import LINE, Table, column_problems, read


def _numbers(
    frame: pd.DataFrame, columns: Iterable[str], table: Table, missing_ok: bool = False
) -> tuple[pd.DataFrame, list[Problem]]:
    """Convert text columns to floats; a cell that is not a number or is an instrument mark
    (``OVER``, ``<LLOQ``) is an error that rejects its row. An empty cell is an error too, or,
    with ``missing_ok``, a missing value (NaN) named in a warning. Decimal commas follow the
    file's rule (see readers)."""
    problems, bad = [], set()
    out = frame.copy()
    for column in columns:
        values = []
        for idx, text, line in zip(frame.index, frame[column], frame[LINE], strict=True):
            if missing_ok and not text.strip():
                problems.append(Problem(table.name, str(line), column, "", "value_missing", "warning", MISSING))
                values.append(float("nan"))
                continue
            number, rule, message = table.check_number(text, column)
            if number is None:
                bad.add(idx)
                problems.append(Problem(table.name, str(line), column, text, rule, "error", message))
            values.append(number)
        out[column] = pd.Series(values, index=frame.index, dtype="float64")
    return out.drop(index=sorted(bad)), problems


MISSING = "empty: the value is missing (the participant is kept; the baseline table counts who has a value)"


def _with_source(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    out = frame.rename(columns={LINE: "source_line"})
    out["source_file"] = name
    return out


def _not_in(
    frame: pd.DataFrame, column: str, allowed: list[str], name: str, what: str
) -> tuple[pd.DataFrame, list[Problem]]:
    bad = ~frame[column].isin(allowed)
    problems = [
        Problem(
            name,
            str(r.source_line),
            column,
            str(getattr(r, column)),
            f"{column}_known",
            "error",
            f"{what} {getattr(r, column)!r} is not one of {', '.join(allowed)} (as configured)",
        )
        for r in frame[bad].itertuples()
    ]
    return frame[~bad], problems


PARTICIPANT_COLUMNS = ["participant_id", "arm"]
# Characteristics computed from others (config `baseline`, `derive`), never typed: name -> (inputs, function).
DERIVATIONS = {
    "bmi": (("weight in kg", "height in cm"), lambda weight, height: weight / (height / 100) ** 2),
}


def read_participants(
    path: str | Path, name: str, arms: list[str], characteristics: list[dict] = (), sheet: str | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read the participants file: the id, the arm, and the configured baseline characteristics.

    Parameters
    ----------
    characteristics : the config's ``baseline`` items: ``id`` (the column), ``type`` (numeric or
        categorical), ``limits`` (numeric: a value outside is an error), ``levels``
        (categorical: a value not among them is an error), or ``derive`` and ``from`` for a
        characteristic computed from others (:data:`DERIVATIONS`). An empty cell is a missing
        value (a warning); the participant is kept.

    Returns
    -------
    participants : the rows of :func:`trialflow.schemas.participants_schema` (characteristics).
    problems : every rejected row or column, with file, line, column, value and rule.
    """
    schema = schemas.participants_schema(characteristics)
    typed_ids = [c["id"] for c in characteristics if "derive" not in c]
    # A workbook: `sheet` or its first visible sheet. Configured columns are kept even when named
    # like a direct identifier (a characteristic `birth_year`), with a warning.
    table = read(path, name, sheet, keep=PARTICIPANT_COLUMNS + typed_ids)
    raw, problems = table.frame, list(table.problems)
    if not table.refused:  # a refused file (encoding, header) has no columns to check
        problems += column_problems(table, PARTICIPANT_COLUMNS + typed_ids)
    if table.refused or any(p.rule == "column_present" for p in problems):
        return pd.DataFrame(columns=list(schema.columns)), table.locate(problems)
    numeric = [c["id"] for c in characteristics if c["type"] == "numeric" and "derive" not in c]
    typed, more = _numbers(raw[PARTICIPANT_COLUMNS + typed_ids + [LINE]], numeric, table, missing_ok=True)
    problems += more
    for c in characteristics:
        if c["type"] == "categorical":
            empty = typed[c["id"]].str.strip() == ""
            problems += [
                Problem(name, str(line), c["id"], "", "value_missing", "warning", MISSING)
                for line in typed[LINE][empty]
            ]
            typed[c["id"]] = typed[c["id"]].str.strip().mask(empty)
        elif "derive" in c:
            _, compute = DERIVATIONS[c["derive"]]
            typed[c["id"]] = compute(*(typed[source] for source in c["from"]))
    typed = _with_source(typed, name)
    typed, more = _not_in(typed, "arm", arms, name, "arm")
    problems += more
    accepted, more = schemas.validate_model(schema, typed[list(schema.columns)])
    return accepted.reset_index(drop=True), table.locate(problems + more + _ids_by_case(accepted, name))


def _ids_by_case(accepted: pd.DataFrame, name: str) -> list[Problem]:
    """A warning on each participant id that differs from an earlier one only in letter case
    (``P01`` and ``p01``): ids are case-sensitive, so they are two participants, which is most
    often a typing slip that would split one person's values."""
    first: dict[str, tuple[str, str]] = {}
    problems = []
    for pid, line in zip(accepted["participant_id"].astype(str), accepted["source_line"].astype(str), strict=True):
        seen = first.setdefault(pid.casefold(), (pid, line))
        if seen[0] != pid:
            problems.append(
                Problem(
                    name,
                    line,
                    "participant_id",
                    pid,
                    "participant_id_case",
                    "warning",
                    f"participant id {pid!r} differs from {seen[0]!r} (line {seen[1]}) only in letter case; ids are "
                    "case-sensitive, so they are two participants: correct the id if they are one",
                )
            )
    return problems


CONCENTRATION_COLUMNS = ["participant_id", "time", "analyte", "concentration", "unit"]


def read_concentrations(
    path: str | Path,
    name: str,
    participants: pd.DataFrame,
    time_points: list[str],
    units: dict[str, str],
    sheet: str | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a long concentrations file (one row per participant × time × analyte).

    ``units`` maps each configured analyte to its unit; rows for other analytes, time points
    or unknown participants are rejected with the reason.
    """
    # A header without rows is a trial without typed values (its outcomes are then not analysable).
    table = read(path, name, sheet, rows_required=False)  # a workbook: `sheet` or its first visible sheet
    raw, problems = table.frame, list(table.problems)
    if not table.refused:  # a refused file (encoding, header) has no columns to check
        problems += column_problems(table, CONCENTRATION_COLUMNS)
    if table.refused or any(p.rule == "column_present" for p in problems):
        return pd.DataFrame(columns=list(schemas.Concentrations.to_schema().columns)), table.locate(problems)
    typed, more = _numbers(raw[CONCENTRATION_COLUMNS + [LINE]], ["concentration"], table)
    problems += more
    typed = _with_source(typed, name)
    for column, allowed, what in [("time", time_points, "time point"), ("analyte", list(units), "analyte")]:
        typed, more = _not_in(typed, column, allowed, name, what)
        problems += more
    known = set(participants["participant_id"])
    unknown = ~typed["participant_id"].isin(known)
    problems += [
        Problem(
            name,
            str(r.source_line),
            "participant_id",
            r.participant_id,
            "participant_known",
            "error",
            f"participant {r.participant_id!r} is not in the participants file",
        )
        for r in typed[unknown].itertuples()
    ]
    typed = typed[~unknown]
    wrong_unit = typed["unit"] != typed["analyte"].map(units)
    problems += [
        Problem(
            name,
            str(r.source_line),
            "unit",
            r.unit,
            "unit_configured",
            "error",
            f"{r.analyte} must be in {units[r.analyte]}, as configured",
        )
        for r in typed[wrong_unit].itertuples()
    ]
    typed = typed[~wrong_unit]
    typed = typed[list(schemas.Concentrations.to_schema().columns)]
    accepted, more = schemas.validate_model(schemas.Concentrations, typed)
    return accepted.reset_index(drop=True), table.locate(problems + more)


def build_analysis_data(participants: pd.DataFrame, concentrations: pd.DataFrame) -> pd.DataFrame:
    """Join values to arms: the long analysis data set, one row per participant × time × outcome."""
    data = concentrations.merge(
        participants[["participant_id", "arm"]], on="participant_id", how="inner", validate="many_to_one"
    )
    data = data.rename(columns={"analyte": "outcome", "concentration": "value"})
    data = data[list(schemas.AnalysisData.to_schema().columns)]
    data = data.sort_values(["outcome", "participant_id", "time"], kind="stable").reset_index(drop=True)
    return schemas.AnalysisData.validate(data)


def stack_analysis_rows(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The analysis data set from every source's analysis rows, by outcome, participant and time."""
    table = pd.concat(parts, ignore_index=True)
    return table.sort_values(["outcome", "participant_id", "time"], kind="stable").reset_index(drop=True)
