"""Reading a REDCap "raw data" CSV export (longitudinal project) into the raw long frame.

Events map to time points (``redcap_event_name`` → time point id; an event mapped to ``None``
is ignored on purpose). Repeating instruments: one instance per record × event is simply
used. Several instances of an instrument that holds configured fields are an error, unless
config names the instance to use for that instrument (``repeat_instances: {instrument: first |
last}``); then the chosen instance is used *whole* (values are never mixed across instances)
and a warning lists the instances that were set aside. Instruments that hold no configured
field (an AE log) are ignored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from trialflow.functional.definitions import OutcomeConfigError
from trialflow.functional.raw import missing_columns, not_a_number, raw_frame, read_cell
from trialflow.problems import Problem
from trialflow.readers import LINE, read_table

REPEAT_CHOICES = ("first", "last")


@dataclass
class _Row:
    pid: str
    event: str
    time: str
    instrument: str
    instance: int | None
    line: int
    cells: dict[str, str]


def read_redcap(
    path: str | Path,
    name: str,
    events: Mapping[str, str | None],
    fields: list[str],
    missing_codes: Mapping[str, str],
    *,
    repeat_instances: Mapping[str, str] | None = None,
    record_id: str = "record_id",
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a REDCap "raw data" CSV export into the raw long frame (:data:`~trialflow.functional.raw.RAW_COLUMNS`).

    Parameters
    ----------
    path, name : the export, and how it is named in messages.
    events : ``redcap_event_name`` → time point id. An event mapped to ``None`` or ``''`` is
        ignored on purpose (e.g. screening); any other event not listed is an error.
    fields : REDCap variables to read (:func:`~trialflow.functional.definitions.source_fields`).
        One absent from the export is an error naming the field and the file.
    missing_codes : code as written → reason, e.g. ``{"UNK": "unknown", "-999": "not done"}``.
    repeat_instances : repeating instrument → ``"first"`` or ``"last"``: which instance to use
        when a record has several at one event. Unlisted instruments with several instances
        are an error. Instruments that hold no configured field (an AE log) are ignored.
    record_id : name of the record ID column (first column of the export).

    Returns
    -------
    frame : one row per record × time point × field, ``value`` float (NaN when missing) and
        ``missing_reason`` ('' when a value is present); ``source_line`` is the line of the
        row the value came from, ``source_column`` the field.
    problems : errors (unmapped event, unreadable cell, ambiguous repeats, absent field) and
        warnings (a configured repeat choice was applied).
    """
    repeat_instances = dict(repeat_instances or {})
    for inst, rule in repeat_instances.items():
        if rule not in REPEAT_CHOICES:
            raise OutcomeConfigError(f"repeat_instances: {inst!r} must be 'first' or 'last', not {rule!r}")
    raw, problems = read_table(path, name)
    problems += missing_columns(raw, [record_id, "redcap_event_name"], name, "a REDCap export")
    has_instrument = "redcap_repeat_instrument" in raw.columns
    has_instance = "redcap_repeat_instance" in raw.columns
    if has_instrument != has_instance:
        problems += missing_columns(
            raw,
            ["redcap_repeat_instrument", "redcap_repeat_instance"],
            name,
            "a REDCap export with repeating instruments",
        )
    if any(p.rule == "column_present" for p in problems):
        return raw_frame([]), problems
    for f in fields:
        if f not in raw.columns:
            problems.append(
                Problem(
                    name,
                    "1",
                    f,
                    "",
                    "field_present",
                    "error",
                    f"configured field {f!r} is not a column of the REDCap export {name}; export "
                    "the instrument that holds it, or correct the field name in config (see the "
                    "data dictionary)",
                )
            )
    present = [f for f in fields if f in raw.columns]
    known = ", ".join(f"{e} -> {t or 'ignored'}" for e, t in events.items()) or "none"

    rows: list[_Row] = []
    for rec in raw.to_dict("records"):
        line = int(rec[LINE])
        pid, event = rec[record_id], rec["redcap_event_name"]
        instrument = rec.get("redcap_repeat_instrument", "")
        instance_text = rec.get("redcap_repeat_instance", "")
        if pid == "":
            problems.append(
                Problem(
                    name,
                    str(line),
                    record_id,
                    "",
                    "record_id_present",
                    "error",
                    f"{record_id} is empty; every row needs the participant's record ID",
                )
            )
            continue
        if event not in events:
            problems.append(
                Problem(
                    name,
                    str(line),
                    "redcap_event_name",
                    event,
                    "event_known",
                    "error",
                    f"event {event!r} is not mapped to a time point (configured events: {known}); "
                    "add it to the events in config, mapped to a time point, or to null to ignore "
                    "its rows",
                )
            )
            continue
        time = events[event]
        if time is None or time == "":
            continue
        instance: int | None = None
        if instrument == "" and instance_text != "":
            problems.append(
                Problem(
                    name,
                    str(line),
                    "redcap_repeat_instance",
                    instance_text,
                    "repeating_event",
                    "error",
                    "this row is an instance of a repeating event, which is not supported; "
                    "give each assessment its own event",
                )
            )
            continue
        if instrument != "":
            if not (instance_text.isdigit() and int(instance_text) >= 1):
                problems.append(
                    Problem(
                        name,
                        str(line),
                        "redcap_repeat_instance",
                        instance_text,
                        "repeat_instance_number",
                        "error",
                        "redcap_repeat_instance must be a whole number from 1 on for a row of a repeating instrument",
                    )
                )
                continue
            instance = int(instance_text)
        cells = {f: rec[f] for f in present}
        rows.append(_Row(pid, event, str(time), instrument, instance, line, cells))

    # Which instruments hold configured fields ('' = the event's non-repeating row).
    owners: dict[str, set[str]] = {f: set() for f in present}
    for r in rows:
        for f, text in r.cells.items():
            if text != "":
                owners[f].add(r.instrument)
    relevant = set().union(*owners.values()) - {""} if owners else set()

    groups: dict[tuple[str, str], list[_Row]] = defaultdict(list)
    for r in rows:
        groups[(r.pid, r.event)].append(r)

    out: list[dict] = []
    for (pid, event), members in groups.items():
        plain = [r for r in members if r.instrument == ""]
        if len(plain) > 1:
            lines = ", ".join(str(r.line) for r in plain)
            for r in plain[1:]:
                problems.append(
                    Problem(
                        name,
                        str(r.line),
                        "redcap_event_name",
                        event,
                        "event_row_unique",
                        "error",
                        f"record {pid!r} has {len(plain)} rows for event {event!r} (lines {lines}); "
                        "a REDCap export has one, so this file was edited or merged; none of them "
                        "is used",
                    )
                )
            continue
        candidates = list(plain)
        blocked: set[str] = set()
        by_instrument: dict[str, list[_Row]] = defaultdict(list)
        for r in members:
            if r.instrument in relevant:
                by_instrument[r.instrument].append(r)
        for inst, inst_rows in by_instrument.items():
            inst_rows.sort(key=lambda r: r.instance)
            numbers = [r.instance for r in inst_rows]
            lines = ", ".join(str(r.line) for r in inst_rows)
            if len(set(numbers)) != len(numbers):
                problems.append(
                    Problem(
                        name,
                        str(inst_rows[-1].line),
                        "redcap_repeat_instance",
                        str(numbers[-1]),
                        "repeat_instance_unique",
                        "error",
                        f"record {pid!r} has instance numbers {numbers} of repeating instrument "
                        f"{inst!r} at event {event!r} (lines {lines}); an instance number appears "
                        "twice",
                    )
                )
                blocked.add(inst)
                continue
            if len(inst_rows) == 1:
                candidates.append(inst_rows[0])
                continue
            rule = repeat_instances.get(inst)
            if rule is None:
                problems.append(
                    Problem(
                        name,
                        str(inst_rows[1].line),
                        "redcap_repeat_instance",
                        str(numbers[1]),
                        "repeat_instance_choice",
                        "error",
                        f"record {pid!r} has {len(inst_rows)} instances of repeating instrument "
                        f"{inst!r} at event {event!r} (lines {lines}); say which one the analysis "
                        f"uses (repeat_instances: {{{inst}: first}} or last) or remove the extra "
                        "instance in REDCap",
                    )
                )
                blocked.add(inst)
                continue
            chosen = inst_rows[0] if rule == "first" else inst_rows[-1]
            candidates.append(chosen)
            others = ", ".join(f"{r.instance} (line {r.line})" for r in inst_rows if r is not chosen)
            problems.append(
                Problem(
                    name,
                    str(chosen.line),
                    "redcap_repeat_instance",
                    str(chosen.instance),
                    "repeat_instance_choice",
                    "warning",
                    f"record {pid!r} has {len(inst_rows)} instances of repeating instrument "
                    f"{inst!r} at event {event!r}; instance {chosen.instance} (line {chosen.line}) "
                    f"is used as configured ({inst}: {rule}); set aside: {others}",
                )
            )
        if not candidates:
            continue
        for f in present:
            if owners[f] and owners[f] <= blocked:
                continue  # its rows were ambiguous: reported above
            filled = [r for r in candidates if r.cells[f] != ""]
            if len(filled) > 1:
                lines = ", ".join(str(r.line) for r in filled)
                problems.append(
                    Problem(
                        name,
                        str(filled[1].line),
                        f,
                        filled[1].cells[f],
                        "field_once",
                        "error",
                        f"field {f!r} has a value in {len(filled)} rows of record {pid!r} at event "
                        f"{event!r} (lines {lines}); it must come from one row",
                    )
                )
                continue
            if filled:
                row, text = filled[0], filled[0].cells[f]
            else:
                owner_rows = [r for r in candidates if r.instrument in owners[f]]
                row, text = (owner_rows or candidates)[0], ""
            cell = read_cell(text, missing_codes)
            if cell is None:
                problems.append(not_a_number(name, row.line, f, text, missing_codes))
                continue
            out.append(
                {
                    "participant_id": pid,
                    "time": row.time,
                    "field": f,
                    "value": cell[0],
                    "missing_reason": cell[1],
                    "source_file": name,
                    "source_line": row.line,
                    "source_column": f,
                }
            )
    return raw_frame(out), problems
