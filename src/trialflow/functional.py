"""Functional outcomes (walk tests, strength, fatigue, EDSS) from REDCap or long CSV exports.

Two readers turn an export into one *raw long* frame with one row per participant × time
point × field (:data:`RAW_COLUMNS`): :func:`read_redcap` for a REDCap "raw data" CSV export
and :func:`read_functional_long` for a plain long CSV. :func:`build_functional_outcomes`
then applies the configured :class:`OutcomeDefinition` list: it maps fields to outcomes,
computes derived outcomes (named functions in :data:`DERIVATIONS`, never ``eval``), checks
hard limits (error, value rejected) and plausible limits (warning, value kept), attaches
the arm, and returns rows of :class:`trialflow.schemas.AnalysisData`, a table of the values
that are missing and why, and the problems.

Rules a statistician relies on (docs/functional-outcomes.md has the full text):

* A missing-data code (``UNK``, ``NASK``, ``-999`` ...) or an empty cell is *missing with a
  reason*, never a number. A number that is not a configured code is a number, so an
  unconfigured ``-999`` is caught by the hard limits instead.
* Repeating instruments: one instance per record × event is simply used. Several instances
  of an instrument that holds configured fields are an error, unless config names the
  instance to use for that instrument (``repeat_instances: {instrument: first | last}``);
  then the chosen instance is used *whole* (values are never mixed across instances) and a
  warning lists the instances that were set aside.
* Every participant × time point × outcome ends up in exactly one of the analysis rows or
  the missing table (participants from the participants file, time points from config).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from trialflow import schemas
from trialflow.problems import Problem
from trialflow.readers import LINE, parse_number, read_table

DOMAINS = ("biomarker", "strength", "mobility", "fatigue", "disability")
RAW_COLUMNS = [
    "participant_id",
    "time",
    "field",
    "value",
    "missing_reason",
    "source_file",
    "source_line",
    "source_column",
]
MISSING_COLUMNS = ["participant_id", "time", "outcome", "reason", "source"]
ANALYSIS_COLUMNS = list(schemas.AnalysisData.to_schema().columns)
LONG_COLUMNS = ["participant_id", "time", "test", "value", "unit"]
DEFINITION_COLUMNS = [
    "outcome",
    "label",
    "unit",
    "domain",
    "higher_is_better",
    "decimals",
    "hard_low",
    "hard_high",
    "plausible_low",
    "plausible_high",
    "step",
    "source",
]
REPEAT_CHOICES = ("first", "last")
EMPTY_REASON = "empty in the export"


class OutcomeConfigError(ValueError):
    """An outcome definition in the configuration is incomplete or inconsistent."""


# --------------------------------------------------------------------------------------------
# Derived outcomes: an explicit registry of named functions.


@dataclass(frozen=True)
class Derivation:
    """A named way to compute an outcome from raw fields (and participant characteristics).

    ``compute(values, participant, params)`` gets the input values (in ``from`` order), the
    participant's row of the participants table and the definition's numeric parameters.
    ``input_unit(outcome_unit)`` is the unit the (single) input must be recorded in.
    """

    name: str
    n_inputs: int
    params: tuple[str, ...]
    participant_columns: tuple[str, ...]
    input_unit: Callable[[str], str]
    compute: Callable[[list[float], Mapping[str, Any], Mapping[str, float]], float]
    formula: Callable[[list[float], Mapping[str, Any], Mapping[str, float], str, str], str]
    doc: str


def _per_body_mass_unit(unit: str) -> str:
    if not unit.endswith("/kg") or len(unit) <= 3:
        raise OutcomeConfigError(f"per_body_mass needs a unit ending in '/kg' (e.g. Nm/kg), not {unit!r}")
    return unit[:-3]


def _speed_unit(unit: str) -> str:
    if unit != "m/s":
        raise OutcomeConfigError(f"speed_from_time gives a speed in m/s; the unit must be 'm/s', not {unit!r}")
    return "s"


DERIVATIONS: dict[str, Derivation] = {
    "per_body_mass": Derivation(
        name="per_body_mass",
        n_inputs=1,
        params=(),
        participant_columns=("weight_kg",),
        input_unit=_per_body_mass_unit,
        compute=lambda v, p, k: v[0] / float(p["weight_kg"]),
        formula=lambda v, p, k, unit_in, unit: f"{_fmt(v[0])} {unit_in} / {_fmt(float(p['weight_kg']))} kg body mass",
        doc="value of the one input field divided by weight_kg from the participants file "
        "(baseline body mass, used for every time point)",
    ),
    "speed_from_time": Derivation(
        name="speed_from_time",
        n_inputs=1,
        params=("distance_m",),
        participant_columns=(),
        input_unit=_speed_unit,
        compute=lambda v, p, k: k["distance_m"] / v[0],
        formula=lambda v, p, k, unit_in, unit: f"{_fmt(k['distance_m'])} m / {_fmt(v[0])} s",
        doc="distance_m (a parameter of the definition, e.g. 7.62 for the T25FW) divided by "
        "the time in seconds of the one input field",
    ),
}


# --------------------------------------------------------------------------------------------
# Outcome definitions.

_KEYS_REQUIRED = ("id", "label", "unit", "domain", "higher_is_better", "decimals")
_KEYS_OPTIONAL = ("hard_limits", "plausible_limits", "step", "source")


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _limits(value: Any, key: str, oid: str) -> tuple[float, float] | None:
    if value is None:
        return None
    ok = isinstance(value, list | tuple) and len(value) == 2 and all(_is_number(x) and math.isfinite(x) for x in value)
    if not ok or not value[0] < value[1]:
        raise OutcomeConfigError(
            f"outcome {oid!r}: {key} must be [low, high] with two numbers, low < high (got {value!r})"
        )
    return float(value[0]), float(value[1])


@dataclass(frozen=True)
class OutcomeDefinition:
    """One configured outcome. Build it with :meth:`from_config` from a config dict.

    ``source`` is ``None`` for outcomes read elsewhere (e.g. biomarkers from the
    concentrations file), ``{"redcap_field": name}`` or ``{"test": name}`` for a value read
    as is, or ``{"derive": name, "from": [field, ...], **params}`` for a derived value.
    """

    id: str
    label: str
    unit: str
    domain: str
    higher_is_better: bool
    decimals: int
    hard_limits: tuple[float, float] | None = None
    plausible_limits: tuple[float, float] | None = None
    step: float | None = None
    source: Mapping[str, Any] | None = None

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> OutcomeDefinition:
        """Check one ``outcomes:`` entry and build the definition.

        Raises :class:`OutcomeConfigError` naming the outcome and the key that is wrong.
        """
        oid = str(cfg.get("id", "?"))

        def wrong(text: str) -> OutcomeConfigError:
            return OutcomeConfigError(f"outcome {oid!r}: {text}")

        unknown = sorted(set(cfg) - set(_KEYS_REQUIRED) - set(_KEYS_OPTIONAL))
        if unknown:
            raise wrong(f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(_KEYS_REQUIRED + _KEYS_OPTIONAL)}")
        absent = [k for k in _KEYS_REQUIRED if k not in cfg]
        if absent:
            raise wrong(f"missing key(s) {', '.join(absent)}")
        if cfg["domain"] not in DOMAINS:
            raise wrong(f"domain {cfg['domain']!r} is not one of {', '.join(DOMAINS)}")
        if not isinstance(cfg["higher_is_better"], bool):
            raise wrong("higher_is_better must be true or false")
        decimals = cfg["decimals"]
        if not (_is_number(decimals) and isinstance(decimals, int) and 0 <= decimals <= 6):
            raise wrong("decimals must be a whole number from 0 to 6")
        hard = _limits(cfg.get("hard_limits"), "hard_limits", oid)
        plausible = _limits(cfg.get("plausible_limits"), "plausible_limits", oid)
        if plausible and hard and not (hard[0] <= plausible[0] and plausible[1] <= hard[1]):
            raise wrong(f"plausible_limits {list(plausible)} must lie within hard_limits {list(hard)}")
        step = cfg.get("step")
        if step is not None and not (_is_number(step) and step > 0):
            raise wrong("step must be a positive number (e.g. 0.5 for EDSS)")
        source = cfg.get("source")
        if source is not None:
            source = _check_source(dict(source), oid, str(cfg["unit"]))
            if hard is None:
                raise wrong(
                    "an outcome read from a functional export needs hard_limits "
                    "[low, high] (values outside are impossible)"
                )
        return cls(
            id=oid,
            label=str(cfg["label"]),
            unit=str(cfg["unit"]),
            domain=cfg["domain"],
            higher_is_better=cfg["higher_is_better"],
            decimals=decimals,
            hard_limits=hard,
            plausible_limits=plausible,
            step=None if step is None else float(step),
            source=source,
        )

    @property
    def derivation(self) -> Derivation | None:
        if self.source and "derive" in self.source:
            return DERIVATIONS[self.source["derive"]]
        return None

    @property
    def inputs(self) -> tuple[str, ...]:
        """Raw field (or test) names this outcome reads; empty when it has no source."""
        if not self.source:
            return ()
        if "derive" in self.source:
            return tuple(self.source["from"])
        return (self.source.get("redcap_field") or self.source["test"],)

    @property
    def params(self) -> dict[str, float]:
        d = self.derivation
        return {k: float(self.source[k]) for k in d.params} if d else {}

    def input_units(self) -> dict[str, str]:
        """Unit each input field must be recorded in (checked on the long-CSV route)."""
        d = self.derivation
        if not self.source:
            return {}
        if d is None:
            return {self.inputs[0]: self.unit}
        return {f: d.input_unit(self.unit) for f in self.inputs}

    def describe_source(self) -> str:
        """The source in words, e.g. ``derived: speed_from_time(t25fw_s), distance_m = 7.62``."""
        if not self.source:
            return "not a functional outcome (read elsewhere)"
        d = self.derivation
        if d is None:
            kind = "REDCap field" if "redcap_field" in self.source else "test"
            return f"{kind} {self.inputs[0]}"
        params = "".join(f", {k} = {_fmt(v)}" for k, v in self.params.items())
        extra = "".join(f", participants.{c}" for c in d.participant_columns)
        return f"derived: {d.name}({', '.join(self.inputs)}{extra}){params}"


def _check_source(source: dict, oid: str, unit: str) -> dict:
    def wrong(text: str) -> OutcomeConfigError:
        return OutcomeConfigError(f"outcome {oid!r}: {text}")

    kinds = [k for k in ("redcap_field", "test", "derive") if k in source]
    if len(kinds) != 1:
        raise wrong(
            f"source must have exactly one of redcap_field, test or derive "
            f"(got {', '.join(sorted(source)) or 'nothing'})"
        )
    kind = kinds[0]
    if kind in ("redcap_field", "test"):
        if set(source) != {kind} or not isinstance(source[kind], str) or not source[kind]:
            raise wrong(f"source {{{kind}: name}} takes one non-empty name and nothing else")
        return source
    name = source["derive"]
    if name not in DERIVATIONS:
        raise wrong(f"derive {name!r} is not one of {', '.join(DERIVATIONS)}")
    d = DERIVATIONS[name]
    allowed = {"derive", "from", *d.params}
    if set(source) - allowed:
        raise wrong(
            f"{name} takes from and {', '.join(d.params) or 'no parameters'}; "
            f"unknown: {', '.join(sorted(set(source) - allowed))}"
        )
    inputs = source.get("from")
    if not (isinstance(inputs, list) and len(inputs) == d.n_inputs and all(isinstance(x, str) and x for x in inputs)):
        raise wrong(f"{name} needs from: a list of {d.n_inputs} field name(s)")
    for p in d.params:
        if not (_is_number(source.get(p)) and source[p] > 0):
            raise wrong(f"{name} needs {p}: a positive number")
    try:
        d.input_unit(unit)
    except OutcomeConfigError as err:
        raise wrong(str(err)) from None
    return source


def outcome_definitions(configs: Iterable[Mapping[str, Any]]) -> list[OutcomeDefinition]:
    """All ``outcomes:`` entries as definitions, in config order; ids must be unique."""
    defs = [OutcomeDefinition.from_config(c) for c in configs]
    seen: set[str] = set()
    for d in defs:
        if d.id in seen:
            raise OutcomeConfigError(f"outcome id {d.id!r} is defined twice")
        seen.add(d.id)
    source_units(defs)  # raises on a field used with two different units
    return defs


def source_fields(definitions: Iterable[OutcomeDefinition]) -> list[str]:
    """Raw fields (REDCap variables or test names) the definitions read, first use first."""
    out: list[str] = []
    for d in definitions:
        out += [f for f in d.inputs if f not in out]
    return out


def source_units(definitions: Iterable[OutcomeDefinition]) -> dict[str, str]:
    """Unit of every raw field, for :func:`read_functional_long`'s ``tests``."""
    units: dict[str, str] = {}
    for d in definitions:
        for f, u in d.input_units().items():
            if units.setdefault(f, u) != u:
                raise OutcomeConfigError(
                    f"field {f!r} is used in {units[f]} and in {u} (outcome {d.id!r}); one field has one unit"
                )
    return units


def definitions_table(definitions: Iterable[OutcomeDefinition]) -> pd.DataFrame:
    """One row per outcome: what the report needs to label, order and explain it."""
    rows = []
    none = (math.nan, math.nan)
    for d in definitions:
        hard, plaus = d.hard_limits or none, d.plausible_limits or none
        rows.append(
            {
                "outcome": d.id,
                "label": d.label,
                "unit": d.unit,
                "domain": d.domain,
                "higher_is_better": d.higher_is_better,
                "decimals": d.decimals,
                "hard_low": hard[0],
                "hard_high": hard[1],
                "plausible_low": plaus[0],
                "plausible_high": plaus[1],
                "step": d.step if d.step else math.nan,
                "source": d.describe_source(),
            }
        )
    return pd.DataFrame(rows, columns=DEFINITION_COLUMNS)


# --------------------------------------------------------------------------------------------
# Cells.


def _fmt(x: float) -> str:
    """A number as a person writes it: 12 not 12.0, 0.1 not 0.1000000001."""
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    if isinstance(x, float):
        return f"{x:.10g}"
    return str(x)


def _read_cell(text: str, missing_codes: Mapping[str, str]) -> tuple[float, str] | None:
    """(value, '') for a number, (nan, reason) for an empty cell or missing-data code, else None."""
    if text == "":
        return math.nan, EMPTY_REASON
    if text in missing_codes:
        return math.nan, f"{missing_codes[text]} (missing-data code {text})"
    number = parse_number(text)
    if number is not None:
        for code, reason in missing_codes.items():
            if parse_number(code) == number:  # '-999.0' is the code '-999'
                return math.nan, f"{reason} (missing-data code {code})"
        return number, ""
    return None


def _not_a_number(name: str, line: int, column: str, text: str, codes: Mapping[str, str]) -> Problem:
    listed = ", ".join(codes) if codes else "none configured"
    return Problem(
        name,
        str(line),
        column,
        text,
        "number_or_code",
        "error",
        f"{column} is neither a number nor a configured missing-data code ({listed}); "
        "write a plain number such as 57.3 or a code",
    )


def _raw_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=RAW_COLUMNS)
    for c in ["participant_id", "time", "field", "missing_reason", "source_file", "source_column"]:
        frame[c] = frame[c].astype(str)
    frame["value"] = frame["value"].astype("float64")
    frame["source_line"] = frame["source_line"].astype("int64")
    return frame.reset_index(drop=True)


def _require(raw: pd.DataFrame, columns: Iterable[str], name: str, what: str) -> list[Problem]:
    found = ", ".join(c for c in raw.columns if c != LINE) or "none"
    return [
        Problem(
            name,
            "1",
            c,
            "",
            "column_present",
            "error",
            f"required column {c!r} of {what} is missing (columns found: {found})",
        )
        for c in columns
        if c not in raw.columns
    ]


# --------------------------------------------------------------------------------------------
# REDCap.


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
    """Read a REDCap "raw data" CSV export into the raw long frame (:data:`RAW_COLUMNS`).

    Parameters
    ----------
    path, name : the export, and how it is named in messages.
    events : ``redcap_event_name`` → time point id. An event mapped to ``None`` or ``''`` is
        ignored on purpose (e.g. screening); any other event not listed is an error.
    fields : REDCap variables to read (:func:`source_fields`). One absent from the export is
        an error naming the field and the file.
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
    problems += _require(raw, [record_id, "redcap_event_name"], name, "a REDCap export")
    has_instrument = "redcap_repeat_instrument" in raw.columns
    has_instance = "redcap_repeat_instance" in raw.columns
    if has_instrument != has_instance:
        problems += _require(
            raw,
            ["redcap_repeat_instrument", "redcap_repeat_instance"],
            name,
            "a REDCap export with repeating instruments",
        )
    if any(p.rule == "column_present" for p in problems):
        return _raw_frame([]), problems
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
            cell = _read_cell(text, missing_codes)
            if cell is None:
                problems.append(_not_a_number(name, row.line, f, text, missing_codes))
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
    return _raw_frame(out), problems


# --------------------------------------------------------------------------------------------
# Long CSV.


def read_functional_long(
    path: str | Path,
    name: str,
    tests: Mapping[str, str],
    missing_codes: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a long CSV ``participant_id, time, test, value, unit`` into the raw long frame.

    ``tests`` maps each configured test to its unit (:func:`source_units`). Rows of other
    tests, with another unit, with a value that is neither a number nor a missing-data code,
    or repeating a participant × time × test are errors. An empty value (or a code) is
    missing with a reason; its unit may then be empty.
    """
    missing_codes = dict(missing_codes or {})
    raw, problems = read_table(path, name)
    problems += _require(raw, LONG_COLUMNS, name, "a long functional-test file")
    if any(p.rule == "column_present" for p in problems):
        return _raw_frame([]), problems
    out: list[dict] = []
    first_line: dict[tuple[str, str, str], int] = {}
    duplicated: set[tuple[str, str, str]] = set()
    for rec in raw.to_dict("records"):
        line = int(rec[LINE])
        pid, time, test, text, unit = (rec[c] for c in LONG_COLUMNS)
        bad = None
        if pid == "":
            bad = Problem(
                name, str(line), "participant_id", "", "participant_id_present", "error", "participant_id is empty"
            )
        elif time == "":
            bad = Problem(name, str(line), "time", "", "time_present", "error", "time is empty")
        elif test not in tests:
            bad = Problem(
                name,
                str(line),
                "test",
                test,
                "test_known",
                "error",
                f"test {test!r} is not one of {', '.join(tests)} (as configured)",
            )
        if bad:
            problems.append(bad)
            continue
        cell = _read_cell(text, missing_codes)
        if cell is None:
            problems.append(_not_a_number(name, line, "value", text, missing_codes))
            continue
        if unit != tests[test] and not (cell[1] and unit == ""):
            problems.append(
                Problem(
                    name,
                    str(line),
                    "unit",
                    unit,
                    "unit_configured",
                    "error",
                    f"{test} must be in {tests[test]}, as configured",
                )
            )
            continue
        key = (pid, time, test)
        if key in first_line:
            duplicated.add(key)
            problems.append(
                Problem(
                    name,
                    str(line),
                    "test",
                    test,
                    "row_unique",
                    "error",
                    f"participant {pid!r} has {test} at {time} twice (lines {first_line[key]} "
                    f"and {line}); neither is used",
                )
            )
            continue
        first_line[key] = line
        out.append(
            {
                "participant_id": pid,
                "time": time,
                "field": test,
                "value": cell[0],
                "missing_reason": cell[1],
                "source_file": name,
                "source_line": line,
                "source_column": "value",
            }
        )
    out = [r for r in out if (r["participant_id"], r["time"], r["field"]) not in duplicated]
    return _raw_frame(out), problems


# --------------------------------------------------------------------------------------------
# Outcomes.


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
                f"{what} is not a multiple of {_fmt(d.step)}; value rejected",
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
                f"{what} is outside the possible range {_fmt(lo)} to {_fmt(hi)} {d.unit}; value rejected",
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
                f"{what} is outside the plausible range {_fmt(lo)} to {_fmt(hi)} {d.unit}; "
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
    raw_long : :data:`RAW_COLUMNS` rows (concatenate several readers' frames if needed).
    participants : accepted participants (``participant_id``, ``arm``; ``weight_kg`` when an
        outcome is ``per_body_mass``; ``source_file``/``source_line`` to cite it).
    definitions : outcome definitions; those without ``source`` are skipped.
    time_points : configured time point ids, in order.

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
    problems: list[Problem] = []
    raw = raw_long[RAW_COLUMNS].reset_index(drop=True)
    people = {str(p["participant_id"]): p for p in participants.to_dict("records")}
    cited_rows: set[tuple[str, int]] = set()

    keep = []
    for r in raw.to_dict("records"):
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
            shown = _fmt(r["value"]) if r["missing_reason"] == "" else ""
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
                for f in d.inputs:
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
                    value, shown, how = values[0], _fmt(values[0]), ""
                    source_file = str(primary["source_file"])
                else:
                    units_in = deriv.input_unit(d.unit)
                    if any(v <= 0 for v in values):
                        problems.append(
                            Problem(
                                str(primary["source_file"]),
                                str(primary["source_line"]),
                                str(primary["source_column"]),
                                _fmt(values[0]),
                                "derivable",
                                "error",
                                f"{d.label} cannot be derived ({deriv.name}) from "
                                f"{_fmt(values[0])} {units_in}: the input must be greater than 0",
                            )
                        )
                        lack(
                            pid,
                            time,
                            f"rejected by validation (derivable): {deriv.name} of {_fmt(values[0])} {units_in}",
                            f"{_where(primary)} ({primary['source_column']})",
                        )
                        continue
                    value = deriv.compute(values, person, d.params)
                    shown = _fmt(round(value, 6))
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
                        rejected_inputs[(pid, time, d.inputs[0])] = f"{found[0].rule} of {d.id}"
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
