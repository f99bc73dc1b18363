"""Reading a REDCap "raw data" CSV export into the raw long frame.

A REDCap project records each visit in one of three ways, and the configuration says which
(exactly one of them):

* **longitudinal** (``events``): ``redcap_event_name`` → time point id; an event mapped to
  ``None`` is ignored on purpose. Repeating instruments: one instance per record × event is
  simply used. Several instances of an instrument that holds configured fields are an error,
  unless config names the instance to use for that instrument (``repeat_instances:
  {instrument: first | last}``); then the chosen instance is used *whole* (values are never
  mixed across instances) and a warning lists the instances that were set aside. Instruments
  that hold no configured field (an AE log) are ignored.
* **classic, visits as instances** (``repeat_visits: {instrument: ..., instances: {"1": pre,
  "2": post}}``): a classic project (no events) whose visits are the instances of one
  repeating instrument; the instance number says the visit.
* **classic, a visit field** (``visit_field: {field: visit, values: {"1": pre, "2": post}}``):
  the rows of a record are told apart by the coded value of one field.

In every layout a record has one row per time point: two rows for the same record and visit
are an error (none is used), and so are two visits mapped to the same time point for one
record. Before any row is read, an export in another shape (ODM XML, JSON, the labels CSV, the
data dictionary, a header-less file) is refused with one message that says what it is
(:mod:`trialflow.functional.formats`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from trialflow.functional.definitions import OutcomeConfigError
from trialflow.functional.formats import event_labels_problem, export_format_problem
from trialflow.functional.raw import missing_columns, not_a_number, raw_frame, read_cell
from trialflow.outputs import records
from trialflow.problems import Problem
from trialflow.readers import LINE, read_table

REPEAT_CHOICES = ("first", "last")
LAYOUTS = ("events", "visit_field", "repeat_visits")
EVENT = "redcap_event_name"
INSTRUMENT = "redcap_repeat_instrument"
INSTANCE = "redcap_repeat_instance"


@dataclass(frozen=True)
class Layout:
    """How the export's rows map to time points: ``kind`` is one of :data:`LAYOUTS`;
    ``column`` the visit field (``visit_field``) or the visit instrument (``repeat_visits``);
    ``mapping`` event / coded value / instance number → time point id (``None``: ignored)."""

    kind: str
    mapping: dict[str, str | None]
    column: str = ""

    def visit(self, key: str) -> str:
        """A visit in words for messages: ``event 'baseline_arm_1'``, ``visit '2'``, ``instance 2 of 'tests'``."""
        if self.kind == "events":
            return f"event {key!r}"
        if self.kind == "visit_field":
            return f"{self.column} {key!r}"
        return f"instance {key} of {self.column!r}"

    def noun(self) -> str:
        """What the mapping's keys are, in words."""
        return {"events": "events", "visit_field": f"values of {self.column}", "repeat_visits": "instances"}[self.kind]

    def known(self) -> str:
        return ", ".join(f"{k} -> {t or 'ignored'}" for k, t in self.mapping.items()) or "none"


def _mapping(value: Any, what: str) -> dict[str, str | None]:
    if not isinstance(value, Mapping) or not value:
        raise OutcomeConfigError(f"redcap: {what} must map each value to a time point id (or null to ignore it)")
    out: dict[str, str | None] = {}
    for k, t in value.items():
        if not (t is None or isinstance(t, str)):
            raise OutcomeConfigError(f"redcap: {what}: {k!r} must map to a time point id or null, not {t!r}")
        out[str(k)] = t or None
    return out


def redcap_layout(
    events: Mapping[str, str | None] | None = None,
    visit_field: Mapping[str, Any] | None = None,
    repeat_visits: Mapping[str, Any] | None = None,
) -> Layout:
    """The configured layout; exactly one of the three must be given (``events`` empty counts
    as not given). Raises :class:`OutcomeConfigError` saying what is wrong."""
    given = [k for k, v in (("events", events), ("visit_field", visit_field), ("repeat_visits", repeat_visits)) if v]
    if len(given) != 1:
        found = ", ".join(given) if given else "none of them"
        raise OutcomeConfigError(
            "redcap: configure exactly one of events (a longitudinal project), visit_field (a classic "
            "project whose visits are told apart by a field) or repeat_visits (a classic project whose "
            f"visits are instances of a repeating instrument); found {found}"
        )
    if events:
        return Layout("events", _mapping(events, "events"))
    spec, keys = (visit_field, ("field", "values")) if visit_field else (repeat_visits, ("instrument", "instances"))
    kind = given[0]
    named = isinstance(spec, Mapping) and set(spec) == set(keys) and isinstance(spec[keys[0]], str)
    if not (named and spec[keys[0]]):
        raise OutcomeConfigError(f"redcap: {kind} takes {keys[0]}: <name> and {keys[1]}: <value -> time point id>")
    mapping = _mapping(spec[keys[1]], f"{kind}.{keys[1]}")
    if kind == "repeat_visits" and not all(k.isdigit() and int(k) >= 1 for k in mapping):
        raise OutcomeConfigError("redcap: repeat_visits.instances are instance numbers 1, 2, ...")
    return Layout(kind, mapping, spec[keys[0]])


@dataclass
class _Row:
    pid: str
    key: str  # event, coded visit value or instance number: what tells the record's visits apart
    time: str
    instrument: str
    instance: int | None
    line: int
    cells: dict[str, str]


def read_redcap(
    path: str | Path,
    name: str,
    events: Mapping[str, str | None] | None,
    fields: list[str],
    missing_codes: Mapping[str, str],
    *,
    repeat_instances: Mapping[str, str] | None = None,
    record_id: str = "record_id",
    visit_field: Mapping[str, Any] | None = None,
    repeat_visits: Mapping[str, Any] | None = None,
    times: Mapping[str, Collection[str]] | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a REDCap "raw data" CSV export into the raw long frame (:data:`~trialflow.functional.raw.RAW_COLUMNS`).

    Parameters
    ----------
    path, name : the export, and how it is named in messages.
    events : longitudinal project: ``redcap_event_name`` → time point id. An event mapped to
        ``None`` or ``''`` is ignored on purpose (e.g. screening); any other event not listed
        is an error. ``None`` or ``{}`` for a classic project.
    fields : REDCap variables to read (:func:`~trialflow.functional.definitions.source_fields`).
        One absent from the export is an error naming the field and the file.
    missing_codes : code as written → reason, e.g. ``{"UNK": "unknown", "-999": "not done"}``.
    repeat_instances : (longitudinal) repeating instrument → ``"first"`` or ``"last"``: which
        instance to use when a record has several at one event. Unlisted instruments with
        several instances are an error. Instruments that hold no configured field (an AE log)
        are ignored.
    record_id : name of the record ID column (first column of the export).
    visit_field : classic project whose rows are told apart by a field:
        ``{"field": "visit", "values": {"1": "pre", "2": "post"}}`` (coded value as exported →
        time point id; ``None`` ignores the value's rows). Unmapped values are errors.
    repeat_visits : classic project whose visits are instances of one repeating instrument:
        ``{"instrument": "tests", "instances": {"1": "pre", "2": "post"}}``. Configured fields
        must be on that instrument; unmapped instances are errors.
    times : fields read at some time points only → those time points
        (:func:`~trialflow.functional.definitions.source_times`); other fields are read at
        every time point. A value of such a field at another time point is not read, and a
        warning names it.

    Exactly one of ``events``, ``visit_field`` and ``repeat_visits`` is given; otherwise
    :class:`~trialflow.functional.definitions.OutcomeConfigError` is raised.

    Returns
    -------
    frame : one row per record × time point × field, ``value`` float (NaN when missing) and
        ``missing_reason`` ('' when a value is present); ``source_line`` is the line of the
        row the value came from, ``source_column`` the field.
    problems : errors (an export in another shape, unmapped event or visit, unreadable cell,
        ambiguous rows, absent field) and warnings (a configured repeat choice was applied, a
        value at a time point its field is not read at, identifier-like configured columns).
    """
    layout = redcap_layout(events, visit_field, repeat_visits)
    repeat_instances = dict(repeat_instances or {})
    if repeat_instances and layout.kind != "events":
        raise OutcomeConfigError(
            "redcap: repeat_instances chooses among the instances of an instrument at one event of a "
            f"longitudinal project; it does not apply with {layout.kind}"
        )
    for inst, rule in repeat_instances.items():
        if rule not in REPEAT_CHOICES:
            raise OutcomeConfigError(f"repeat_instances: {inst!r} must be 'first' or 'last', not {rule!r}")
    times = {f: tuple(at) for f, at in (times or {}).items()}

    shape = export_format_problem(path, name, record_id)
    if shape is not None:
        return raw_frame([]), [shape]
    keep = [record_id, *fields, *([layout.column] if layout.kind == "visit_field" else [])]
    raw, problems = read_table(path, name, keep=keep)
    problems += _column_problems(raw, name, record_id, layout)
    if any(p.rule == "column_present" for p in problems):
        return raw_frame([]), problems
    if layout.kind == "events":
        labels = event_labels_problem(raw[EVENT], name, layout.mapping)
        if labels is not None:
            return raw_frame([]), [*problems, labels]
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
    rows, found = _rows(raw, name, record_id, layout, present)
    problems += found
    owners = _owners(rows, present)
    if layout.kind == "events":
        groups, found = _event_groups(rows, name, owners, repeat_instances)
    else:
        groups, found = _visit_groups(rows, name, layout)
    problems += found
    out, found = _values(groups, name, layout, owners, times, missing_codes)
    return raw_frame(out), problems + found


def _column_problems(raw: pd.DataFrame, name: str, record_id: str, layout: Layout) -> list[Problem]:
    """Columns the layout needs, and the one a classic layout must not find."""
    if layout.kind == "events":
        if record_id in raw.columns and EVENT not in raw.columns:
            return [
                Problem(
                    name,
                    "1",
                    EVENT,
                    "",
                    "column_present",
                    "error",
                    f"required column {EVENT!r} of a REDCap export is missing, so this is an export of "
                    "a classic (not longitudinal) project: configure redcap.visit_field or "
                    "redcap.repeat_visits instead of redcap.events",
                )
            ]
        problems = missing_columns(raw, [record_id, EVENT], name, "a REDCap export")
        if (INSTRUMENT in raw.columns) != (INSTANCE in raw.columns):
            problems += missing_columns(raw, [INSTRUMENT, INSTANCE], name, "a REDCap export with repeating instruments")
        return problems
    needed = [record_id, layout.column] if layout.kind == "visit_field" else [record_id, INSTRUMENT, INSTANCE]
    what = (
        f"a REDCap export with visits in {layout.column!r}"
        if layout.kind == "visit_field"
        else (f"a REDCap export with visits as instances of {layout.column!r}")
    )
    problems = missing_columns(raw, needed, name, what)
    if EVENT in raw.columns:
        problems.append(
            Problem(
                name,
                "1",
                EVENT,
                "",
                "column_present",
                "error",
                f"the export has {EVENT!r}, so the project is longitudinal: map its events to time points "
                f"with redcap.events instead of redcap.{layout.kind}",
            )
        )
    return problems


def _rows(
    raw: pd.DataFrame, name: str, record_id: str, layout: Layout, present: list[str]
) -> tuple[list[_Row], list[Problem]]:
    """Each row of the export that belongs to a time point, or a problem saying why it is not used."""
    rows: list[_Row] = []
    problems: list[Problem] = []
    for rec in records(raw):
        line = int(rec[LINE])
        pid = rec[record_id]
        instrument = rec.get(INSTRUMENT, "")
        instance_text = rec.get(INSTANCE, "")
        cells = {f: rec[f] for f in present}

        def bad(column: str, value: str, rule: str, message: str, line: int = line) -> None:
            problems.append(Problem(name, str(line), column, value, rule, "error", message))

        if pid == "":
            text = f"{record_id} is empty; every row needs the participant's record ID"
            bad(record_id, "", "record_id_present", text)
            continue
        if layout.kind == "events":
            key, column = rec[EVENT], EVENT
        elif layout.kind == "visit_field":
            key, column = rec[layout.column], layout.column
        else:
            key, column = instance_text, INSTANCE
        filled = [f for f in present if cells[f] != ""]
        if layout.kind == "repeat_visits" and instrument != layout.column:
            if filled:
                where = f"an instance of {instrument!r}" if instrument else "the record's non-repeating row"
                bad(
                    filled[0],
                    cells[filled[0]],
                    "field_in_visit_instrument",
                    f"configured field(s) {', '.join(filled)} have a value on {where}, which is not a visit "
                    f"(visits are the instances of {layout.column!r}); move them to that instrument in "
                    "REDCap, or map visits another way in config",
                )
            continue  # another instrument's row: not a visit
        if layout.kind == "visit_field" and key == "":
            if filled:
                bad(
                    layout.column,
                    "",
                    "visit_present",
                    f"this row has values of configured field(s) ({', '.join(filled)}) but no "
                    f"{layout.column}, so it belongs to no time point",
                )
            continue  # a row of other instruments (e.g. the record's demographics): no visit
        if key not in layout.mapping:
            if layout.kind == "repeat_visits" and not (key.isdigit() and int(key) >= 1):
                bad(
                    INSTANCE,
                    key,
                    "repeat_instance_number",
                    f"{INSTANCE} must be a whole number from 1 on for a row of a repeating instrument",
                )
                continue
            bad(
                column,
                key,
                _UNKNOWN[layout.kind][0],
                f"{layout.visit(key)} is not mapped to a time point (configured {layout.noun()}: "
                f"{layout.known()}); add it to {_UNKNOWN[layout.kind][1]} in config, mapped to a time "
                "point, or to null to ignore its rows",
            )
            continue
        time = layout.mapping[key]
        if time is None:
            continue
        instance: int | None = None
        if layout.kind == "repeat_visits":
            instance = int(key)
        elif instrument == "" and instance_text != "":
            if layout.kind == "events":
                bad(
                    INSTANCE,
                    instance_text,
                    "repeating_event",
                    "this row is an instance of a repeating event, which is not supported; "
                    "give each assessment its own event",
                )
                continue
        elif instrument != "":
            if not (instance_text.isdigit() and int(instance_text) >= 1):
                bad(
                    INSTANCE,
                    instance_text,
                    "repeat_instance_number",
                    f"{INSTANCE} must be a whole number from 1 on for a row of a repeating instrument",
                )
                continue
            instance = int(instance_text)
        rows.append(_Row(pid, key, time, instrument, instance, line, cells))
    return rows, problems


# layout -> (rule, config key) of a visit that is not mapped
_UNKNOWN = {
    "events": ("event_known", "the events"),
    "visit_field": ("visit_known", "redcap.visit_field.values"),
    "repeat_visits": ("instance_known", "redcap.repeat_visits.instances"),
}
_Groups = list[tuple[str, str, list[_Row], set[str]]]  # record, key, rows to use, instruments set aside


def _owners(rows: list[_Row], present: list[str]) -> dict[str, set[str]]:
    """Which instruments hold each configured field ('' = the event's non-repeating row)."""
    owners: dict[str, set[str]] = {f: set() for f in present}
    for r in rows:
        for f, text in r.cells.items():
            if text != "":
                owners[f].add(r.instrument)
    return owners


def _event_groups(
    rows: list[_Row], name: str, owners: Mapping[str, set[str]], repeat_instances: Mapping[str, str]
) -> tuple[_Groups, list[Problem]]:
    """Longitudinal: the rows to use for each record × event (the repeating-instrument rules)."""
    relevant = set().union(*owners.values()) - {""} if owners else set()
    by_key: dict[tuple[str, str], list[_Row]] = defaultdict(list)
    for r in rows:
        by_key[(r.pid, r.key)].append(r)
    groups: _Groups = []
    problems: list[Problem] = []
    for (pid, event), members in by_key.items():
        plain = [r for r in members if r.instrument == ""]
        if len(plain) > 1:
            lines = ", ".join(str(r.line) for r in plain)
            for r in plain[1:]:
                problems.append(
                    Problem(
                        name,
                        str(r.line),
                        EVENT,
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
                        INSTANCE,
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
                        INSTANCE,
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
                    INSTANCE,
                    str(chosen.instance),
                    "repeat_instance_choice",
                    "warning",
                    f"record {pid!r} has {len(inst_rows)} instances of repeating instrument "
                    f"{inst!r} at event {event!r}; instance {chosen.instance} (line {chosen.line}) "
                    f"is used as configured ({inst}: {rule}); set aside: {others}",
                )
            )
        if candidates:
            groups.append((pid, event, candidates, blocked))
    return groups, problems


def _visit_groups(rows: list[_Row], name: str, layout: Layout) -> tuple[_Groups, list[Problem]]:
    """Classic project: each record × visit has one row, else none of its rows is used."""
    by_key: dict[tuple[str, str], list[_Row]] = defaultdict(list)
    for r in rows:
        by_key[(r.pid, r.key)].append(r)
    groups: _Groups = []
    problems: list[Problem] = []
    for (pid, key), members in by_key.items():
        if len(members) == 1:
            groups.append((pid, key, members, set()))
            continue
        lines = ", ".join(str(r.line) for r in members)
        rule, column = (
            ("visit_row_unique", layout.column)
            if layout.kind == "visit_field"
            else (
                "repeat_instance_unique",
                INSTANCE,
            )
        )
        for r in members[1:]:
            problems.append(
                Problem(
                    name,
                    str(r.line),
                    column,
                    key,
                    rule,
                    "error",
                    f"record {pid!r} has {len(members)} rows for {layout.visit(key)} (lines {lines}); "
                    "a visit has one row, so it cannot be told which holds the visit's values; none "
                    "of them is used",
                )
            )
    return groups, problems


def _values(
    groups: _Groups,
    name: str,
    layout: Layout,
    owners: Mapping[str, set[str]],
    times: Mapping[str, tuple[str, ...]],
    missing_codes: Mapping[str, str],
) -> tuple[list[dict], list[Problem]]:
    """One raw-frame row per record × time point × configured field, from each group's rows
    (``owners``: the instruments that hold each configured field, :func:`_owners`)."""
    present = list(owners)
    problems: list[Problem] = []
    out: list[dict] = []
    used: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)  # record × time -> (visit, line)
    for pid, key, candidates, blocked in groups:
        time = candidates[0].time
        produced = False
        for f in present:
            if owners[f] and owners[f] <= blocked:
                continue  # its rows were ambiguous: reported above
            filled = [r for r in candidates if r.cells[f] != ""]
            if f in times and time not in times[f]:
                for r in filled:
                    problems.append(
                        Problem(
                            name,
                            str(r.line),
                            f,
                            r.cells[f],
                            "field_time",
                            "warning",
                            f"{f} has a value at {time} ({layout.visit(key)}), but config reads {f} only at "
                            f"{', '.join(times[f])}; the value is not used",
                        )
                    )
                continue
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
                        f"field {f!r} has a value in {len(filled)} rows of record {pid!r} at "
                        f"{layout.visit(key)} (lines {lines}); it must come from one row",
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
            produced = True
            out.append(
                {
                    "participant_id": pid,
                    "time": time,
                    "field": f,
                    "value": cell[0],
                    "missing_reason": cell[1],
                    "source_file": name,
                    "source_line": row.line,
                    "source_column": f,
                    "_visit": key,
                }
            )
        if produced:
            used[(pid, time)].append((key, min(r.line for r in candidates)))
    twice = {k: v for k, v in used.items() if len(v) > 1}
    for (pid, time), visits in twice.items():
        shown = " and ".join(f"{layout.visit(k)} (line {line})" for k, line in visits)
        key, line = visits[-1]
        problems.append(
            Problem(
                name,
                str(line),
                EVENT if layout.kind == "events" else (layout.column if layout.kind == "visit_field" else INSTANCE),
                key,
                "time_once",
                "error",
                f"record {pid!r} has {time} from {len(visits)} visits: {shown}; config maps them to the "
                "same time point, so it cannot be told which one counts; none of them is used",
            )
        )
    kept = [{k: v for k, v in r.items() if k != "_visit"} for r in out if (r["participant_id"], r["time"]) not in twice]
    return kept, problems
