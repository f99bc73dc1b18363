"""Building the outcomes from raw values: the definitions applied to the raw long frame.

:func:`build_functional_outcomes` maps fields to outcomes, computes derived outcomes (the
definition's :class:`~trialflow.functional.definitions.Derivation`), checks hard limits (error,
value rejected) and plausible limits (warning, value kept), attaches the arm, and returns rows
of :class:`trialflow.schemas.AnalysisData`, a table of the values that are missing and why, and
the problems. Every participant × time point × outcome ends up in exactly one of the analysis
rows or the missing table (participants from the participants file, time points from config).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from trialflow import schemas
from trialflow.functional.definitions import OutcomeDefinition, number_text
from trialflow.functional.raw import RAW_COLUMNS
from trialflow.outputs import records
from trialflow.problems import Problem

MISSING_COLUMNS = ["participant_id", "time", "outcome", "reason", "source"]
ANALYSIS_COLUMNS = list(schemas.AnalysisData.to_schema().columns)


def _where(r: Mapping[str, Any]) -> str:
    return f"{r['source_file']}:{r['source_line']}"


def _limit_problems(
    d: OutcomeDefinition, value: float, r: Mapping[str, Any], shown: str, how: str
) -> tuple[list[Problem], bool]:
    """Problems of one value against the definition's step and limits; second item: rejected."""
    file, line, column = str(r["source_file"]), str(r["source_line"]), str(r["source_column"])
    what = f"{d.label} {shown} {d.unit}{how}"
    if d.step and abs(value / d.step - round(value / d.step)) > 1e-9:
        return [
            Problem(
                file,
                line,
                column,
                shown,
                "step",
                "error",
                f"{what} is not a multiple of {number_text(d.step)}; value rejected",
            )
        ], True
    if d.hard_limits and not d.hard_limits[0] <= value <= d.hard_limits[1]:
        lo, hi = d.hard_limits
        return [
            Problem(
                file,
                line,
                column,
                shown,
                "hard_limits",
                "error",
                f"{what} is outside the possible range {number_text(lo)} to {number_text(hi)} {d.unit}; value rejected",
            )
        ], True
    if d.plausible_limits and not d.plausible_limits[0] <= value <= d.plausible_limits[1]:
        lo, hi = d.plausible_limits
        return [
            Problem(
                file,
                line,
                column,
                shown,
                "plausible_limits",
                "warning",
                f"{what} is outside the plausible range {number_text(lo)} to {number_text(hi)} {d.unit}; "
                "value kept, check it against the source record",
            )
        ], False
    return [], False


def build_functional_outcomes(
    raw_long: pd.DataFrame,
    participants: pd.DataFrame,
    definitions: Iterable[OutcomeDefinition],
    time_points: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame, list[Problem]]:
    """Apply the outcome definitions to the raw long frame of one or more readers.

    Parameters
    ----------
    raw_long : :data:`~trialflow.functional.raw.RAW_COLUMNS` rows (concatenate several readers' frames if needed).
    participants : accepted participants (``participant_id``, ``arm``; ``weight_kg`` when an
        outcome is ``per_body_mass``; ``source_file``/``source_line`` to cite it).
    definitions : outcome definitions; those without ``source`` are skipped. An outcome whose
        source names a field per time point reads, at each time point, that time point's field.
    time_points : configured time point ids, in order. A per-time-point source that leaves one
        out (or names another) raises :class:`~trialflow.functional.definitions.OutcomeConfigError`.

    Returns
    -------
    data : :class:`trialflow.schemas.AnalysisData` rows; ``source_line`` is the line of the
        primary (first) input; a value derived from more than one input row (e.g. MVIC per
        body mass) has a ``source_file`` naming every input as ``file:line`` joined by
        `` + ``, e.g. ``functional_redcap.csv:12 + participants.csv:5``.
    missing : ``participant_id, time, outcome, reason, source`` for every participant ×
        time point × outcome without a value: missing-data code, empty cell, no row, or a
        value rejected here. ``data`` and ``missing`` together hold every combination once.
    problems : errors (unknown participant or time point, a field twice, step, hard
        limits, underivable value) and warnings (plausible limits).
    """
    definitions = [d for d in definitions if d.source]
    for d in definitions:
        d.check_times(time_points)  # a field per time point: one for each configured time point
    problems: list[Problem] = []
    raw = raw_long[RAW_COLUMNS].reset_index(drop=True)
    people = {str(p["participant_id"]): p for p in records(participants)}
    cited_rows: set[tuple[str, int]] = set()

    keep = []
    for r in records(raw):
        key = (str(r["source_file"]), int(r["source_line"]))
        if r["time"] not in time_points:
            if key not in cited_rows:
                cited_rows.add(key)
                problems.append(
                    Problem(
                        key[0],
                        str(key[1]),
                        "time",
                        r["time"],
                        "time_known",
                        "error",
                        f"time point {r['time']!r} is not one of {', '.join(time_points)} (as configured)",
                    )
                )
            continue
        if r["participant_id"] not in people:
            if key not in cited_rows:
                cited_rows.add(key)
                problems.append(
                    Problem(
                        key[0],
                        str(key[1]),
                        "participant_id",
                        r["participant_id"],
                        "participant_known",
                        "error",
                        f"participant {r['participant_id']!r} is not in the participants file",
                    )
                )
            continue
        keep.append(r)

    index: dict[tuple[str, str, str], dict] = {}
    twice: set[tuple[str, str, str]] = set()
    for r in keep:
        k = (r["participant_id"], r["time"], r["field"])
        if k in index:
            twice.add(k)
            shown = number_text(r["value"]) if r["missing_reason"] == "" else ""
            problems.append(
                Problem(
                    str(r["source_file"]),
                    str(r["source_line"]),
                    str(r["source_column"]),
                    shown,
                    "field_once",
                    "error",
                    f"{r['field']} of participant {k[0]!r} at {k[1]} is also in {_where(index[k])}; neither is used",
                )
            )
        else:
            index[k] = r
    seen_at = {(r["participant_id"], r["time"]) for r in keep}
    files_of: dict[str, list[str]] = defaultdict(list)
    for r in keep:
        if r["source_file"] not in files_of[r["field"]]:
            files_of[r["field"]].append(r["source_file"])

    data: dict[str, list[dict]] = {d.id: [] for d in definitions}
    missing: dict[str, list[dict]] = {d.id: [] for d in definitions}
    rejected_inputs: dict[tuple[str, str, str], str] = {}  # a value a read outcome rejected
    # read outcomes first, so a value they reject is never used to derive another outcome
    for d in sorted(definitions, key=lambda d: d.derivation is not None):
        deriv = d.derivation
        if deriv and any(c not in participants.columns for c in deriv.participant_columns):
            raise ValueError(
                f"outcome {d.id!r} ({deriv.name}) needs column(s) "
                f"{', '.join(deriv.participant_columns)} in the participants table"
            )

        def lack(pid: str, time: str, reason: str, source: str, outcome: str = d.id) -> None:
            missing[outcome].append(
                {"participant_id": pid, "time": time, "outcome": outcome, "reason": reason, "source": source}
            )

        for pid, person in people.items():
            for time in time_points:
                inputs = []
                fields = d.inputs_at(time)
                for f in fields:
                    prefix = f"{f}: " if deriv else ""
                    k = (pid, time, f)
                    r = None if k in twice else index.get(k)
                    if r is None:
                        if k in twice:
                            reason = f"rejected by validation ({f} recorded twice)"
                        elif (pid, time) in seen_at:
                            reason = f"no {f} value in the input"
                        else:
                            reason = f"no data for this participant at {time} (assessment missed or not entered)"
                        inputs = None
                        lack(pid, time, prefix + reason, ", ".join(files_of.get(f, [])))
                        break
                    if r["missing_reason"] or (deriv and k in rejected_inputs):
                        inputs = None
                        reason = r["missing_reason"] or (f"rejected by validation ({rejected_inputs[k]})")
                        lack(pid, time, prefix + reason, f"{_where(r)} ({r['source_column']})")
                        break
                    inputs.append(r)
                if inputs is None:
                    continue
                primary = inputs[0]
                values = [float(r["value"]) for r in inputs]
                if deriv is None:
                    value, shown, how = values[0], number_text(values[0]), ""
                    source_file = str(primary["source_file"])
                else:
                    units_in = deriv.input_unit(d.unit)
                    if any(v <= 0 for v in values):
                        problems.append(
                            Problem(
                                str(primary["source_file"]),
                                str(primary["source_line"]),
                                str(primary["source_column"]),
                                number_text(values[0]),
                                "derivable",
                                "error",
                                f"{d.label} cannot be derived ({deriv.name}) from "
                                f"{number_text(values[0])} {units_in}: the input must be greater than 0",
                            )
                        )
                        lack(
                            pid,
                            time,
                            f"rejected by validation (derivable): {deriv.name} of {number_text(values[0])} {units_in}",
                            f"{_where(primary)} ({primary['source_column']})",
                        )
                        continue
                    value = deriv.compute(values, person, d.params)
                    shown = number_text(round(value, 6))
                    how = f" (= {deriv.formula(values, person, d.params, units_in, d.unit)})"
                    parts = [_where(r) for r in inputs]
                    if deriv.participant_columns:
                        if "source_file" in person and "source_line" in person:
                            parts.append(f"{person['source_file']}:{person['source_line']}")
                        else:
                            parts.append("participants")
                    # one input row: cite it as a read value is cited (file + source_line)
                    source_file = " + ".join(parts) if len(parts) > 1 else str(primary["source_file"])
                found, rejected = _limit_problems(d, value, primary, shown, how)
                problems += found
                if rejected:
                    lack(
                        pid,
                        time,
                        f"rejected by validation ({found[0].rule}): {shown} {d.unit}",
                        f"{_where(primary)} ({primary['source_column']})",
                    )
                    if deriv is None:
                        rejected_inputs[(pid, time, fields[0])] = f"{found[0].rule} of {d.id}"
                    continue
                data[d.id].append(
                    {
                        "participant_id": pid,
                        "arm": str(person["arm"]),
                        "time": time,
                        "outcome": d.id,
                        "value": value,
                        "unit": d.unit,
                        "source_file": source_file,
                        "source_line": int(primary["source_line"]),
                    }
                )

    frame = pd.DataFrame([r for d in definitions for r in data[d.id]], columns=ANALYSIS_COLUMNS)
    frame["value"] = frame["value"].astype("float64")
    frame["source_line"] = frame["source_line"].astype("int64")
    accepted, more = schemas.validate_model(schemas.AnalysisData, frame)
    missing_frame = pd.DataFrame([r for d in definitions for r in missing[d.id]], columns=MISSING_COLUMNS).astype(str)
    return accepted.reset_index(drop=True), missing_frame, problems + more
