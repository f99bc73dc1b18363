"""Outcome definitions: the ``outcomes:`` entries of the config, checked, and the derivations.

:class:`OutcomeDefinition` is one configured outcome (label, unit, limits and where its value
comes from); :func:`outcome_definitions` checks every entry and raises
:class:`OutcomeConfigError` naming the outcome and the key that is wrong. A derived outcome
names one of the :data:`DERIVATIONS`, an explicit registry of named functions (never ``eval``).

A field (a REDCap variable or a test of the long CSV) is named once for every time point
(``{redcap_field: sixmwt_m}``), or once per time point when the data-capture system records
the same measure under another name at each visit (``{redcap_field: {pre: chol_b, post:
chol_4}}``); such a mapping must name a field for every configured time point.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from trialflow.problems import InputError

# The seed trial's domains: examples only. A domain is any non-empty text (``lipids``,
# ``quality of life``); the report groups outcomes by it in the order they are configured.
DOMAINS = ("biomarker", "strength", "mobility", "fatigue", "disability")
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


class OutcomeConfigError(InputError, ValueError):
    """An outcome definition (or the REDCap mapping) in the configuration is incomplete or
    inconsistent. An :class:`~trialflow.problems.InputError`, so a step stops with the message
    and no traceback."""

    def __init__(self, message: str):
        super().__init__([], message=message)


def number_text(x: float) -> str:
    """A number as a person writes it: 12 not 12.0, 0.1 not 0.1000000001, 1e+308 not 309 digits."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    if isinstance(x, float):
        return f"{x:.10g}"
    return str(x)


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
        formula=lambda v, p, k, unit_in, unit: (
            f"{number_text(v[0])} {unit_in} / {number_text(float(p['weight_kg']))} kg body mass"
        ),
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
        formula=lambda v, p, k, unit_in, unit: f"{number_text(k['distance_m'])} m / {number_text(v[0])} s",
        doc="distance_m (a parameter of the definition, e.g. 7.62 for the T25FW) divided by "
        "the time in seconds of the one input field",
    ),
}


# --------------------------------------------------------------------------------------------
# Outcome definitions.

_KEYS_REQUIRED = ("id", "label", "unit", "domain", "higher_is_better", "decimals")
_KEYS_OPTIONAL = ("hard_limits", "plausible_limits", "step", "source", "role")  # role: the analysis plan's


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
    def from_config(cls, cfg: Mapping[str, Any], time_points: Iterable[str] | None = None) -> OutcomeDefinition:
        """Check one ``outcomes:`` entry and build the definition.

        ``time_points`` (the configured time point ids), when given, are checked against a
        source that names a field per time point (:meth:`check_times`). Raises
        :class:`OutcomeConfigError` naming the outcome and the key that is wrong.
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
        if not (isinstance(cfg["domain"], str) and cfg["domain"].strip()):
            raise wrong(f"domain must be a non-empty text, e.g. {', '.join(DOMAINS)} (got {cfg['domain']!r})")
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
        definition = cls(
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
        if time_points is not None:
            definition.check_times(time_points)
        return definition

    @property
    def derivation(self) -> Derivation | None:
        if self.source and "derive" in self.source:
            return DERIVATIONS[self.source["derive"]]
        return None

    @property
    def slots(self) -> tuple[str | Mapping[str, str], ...]:
        """The inputs as configured, in order: a field name, or a mapping time point → field."""
        if not self.source:
            return ()
        if "derive" in self.source:
            return tuple(self.source["from"])
        return (self.source["redcap_field"] if "redcap_field" in self.source else self.source["test"],)

    @property
    def inputs(self) -> tuple[str, ...]:
        """Every raw field (or test) name this outcome reads, at any time point, first use
        first; empty when it has no source."""
        out: list[str] = []
        for slot in self.slots:
            for f in slot.values() if isinstance(slot, Mapping) else (slot,):
                if f not in out:
                    out.append(f)
        return tuple(out)

    def inputs_at(self, time: str) -> tuple[str, ...]:
        """The fields this outcome reads at one time point, in ``from`` order (one for a read
        outcome). Raises :class:`OutcomeConfigError` for a time point a mapping leaves out."""
        for slot in self.slots:
            if isinstance(slot, Mapping) and time not in slot:
                raise self._times_error([time], [])
        return tuple(slot[time] if isinstance(slot, Mapping) else slot for slot in self.slots)

    def field_times(self) -> dict[str, tuple[str, ...] | None]:
        """Each field → the time points it is read at (``None``: every time point)."""
        out: dict[str, tuple[str, ...] | None] = {}
        for slot in self.slots:
            if not isinstance(slot, Mapping):
                out[slot] = None
                continue
            for time, f in slot.items():
                before = out.get(f, ())
                if before is not None:
                    out[f] = (*before, time)
        return out

    def check_times(self, time_points: Iterable[str]) -> None:
        """A source that names a field per time point must name one for each of ``time_points``
        and no other; raises :class:`OutcomeConfigError` naming the outcome and the time points."""
        wanted = list(time_points)
        for slot in self.slots:
            if isinstance(slot, Mapping):
                absent = [t for t in wanted if t not in slot]
                unknown = [t for t in slot if t not in wanted]
                if absent or unknown:
                    raise self._times_error(absent, unknown, wanted)

    def _times_error(self, absent: list[str], unknown: list[str], wanted: list[str] | None = None) -> Exception:
        parts = []
        if absent:
            every = f" ({', '.join(wanted)})" if wanted else ""
            parts.append(f"none for {', '.join(absent)}; name one for every time point{every}")
        if unknown:
            known = f" (time points: {', '.join(wanted)})" if wanted else ""
            verb = "is" if len(unknown) == 1 else "are"
            parts.append(f"{', '.join(unknown)} {verb} not a configured time point{known}")
        text = "; ".join(parts)
        return OutcomeConfigError(f"outcome {self.id!r}: its source names a field per time point, but {text}")

    @property
    def params(self) -> dict[str, float]:
        d = self.derivation
        return {k: float(self.source[k]) for k in d.params} if d else {}

    def input_units(self) -> dict[str, str]:
        """Unit each input field must be recorded in (checked on the long-CSV route)."""
        d = self.derivation
        if not self.source:
            return {}
        unit = self.unit if d is None else d.input_unit(self.unit)
        return {f: unit for f in self.inputs}

    def describe_source(self) -> str:
        """The source in words, e.g. ``derived: speed_from_time(t25fw_s), distance_m = 7.62``
        or ``REDCap field chol_b (pre), chol_4 (post)``."""
        if not self.source:
            return "not a functional outcome (read elsewhere)"

        def named(slot: str | Mapping[str, str]) -> str:
            if isinstance(slot, Mapping):
                return ", ".join(f"{f} ({t})" for t, f in slot.items())
            return slot

        d = self.derivation
        if d is None:
            kind = "REDCap field" if "redcap_field" in self.source else "test"
            return f"{kind} {named(self.slots[0])}"
        params = "".join(f", {k} = {number_text(v)}" for k, v in self.params.items())
        extra = "".join(f", participants.{c}" for c in d.participant_columns)
        return f"derived: {d.name}({'; '.join(named(x) for x in self.slots)}{extra}){params}"


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
        if set(source) != {kind} or not _is_slot(source[kind]):
            raise wrong(
                f"source {{{kind}: name}} takes one non-empty name, or a mapping time point -> name "
                f"({{{kind}: {{pre: name_at_pre, post: name_at_post}}}}), and nothing else"
            )
        return {kind: _slot(source[kind])}
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
    if not (isinstance(inputs, list) and len(inputs) == d.n_inputs and all(_is_slot(x) for x in inputs)):
        raise wrong(
            f"{name} needs from: a list of {d.n_inputs} field name(s), each a name or a mapping time point -> name"
        )
    source = {**source, "from": [_slot(x) for x in inputs]}
    for p in d.params:
        if not (_is_number(source.get(p)) and source[p] > 0):
            raise wrong(f"{name} needs {p}: a positive number")
    try:
        d.input_unit(unit)
    except OutcomeConfigError as err:
        raise wrong(str(err)) from None
    return source


def _is_slot(x: Any) -> bool:
    """A field name, or a non-empty mapping time point → field name."""
    if isinstance(x, Mapping):
        return bool(x) and all(isinstance(t, str) and t and isinstance(f, str) and f for t, f in x.items())
    return isinstance(x, str) and bool(x)


def _slot(x: str | Mapping[str, str]) -> str | dict[str, str]:
    return dict(x) if isinstance(x, Mapping) else x


def outcome_definitions(
    configs: Iterable[Mapping[str, Any]], time_points: Iterable[str] | None = None
) -> list[OutcomeDefinition]:
    """All ``outcomes:`` entries as definitions, in config order; ids must be unique.

    ``time_points`` (configured time point ids): when given, a source that names a field per
    time point must name one for each of them.
    """
    times = None if time_points is None else list(time_points)
    defs = [OutcomeDefinition.from_config(c, times) for c in configs]
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


def source_times(definitions: Iterable[OutcomeDefinition]) -> dict[str, tuple[str, ...]]:
    """Fields read at some time points only (named in a per-time-point mapping and nowhere
    else) → those time points. A field not listed is read at every time point; the readers'
    ``times`` argument."""
    times: dict[str, tuple[str, ...] | None] = {}
    for d in definitions:
        for f, at in d.field_times().items():
            before = times.get(f, ())
            if at is None or before is None:
                times[f] = None
            else:
                times[f] = (*before, *(t for t in at if t not in before))
    return {f: at for f, at in times.items() if at is not None}


def source_units(definitions: Iterable[OutcomeDefinition]) -> dict[str, str]:
    """Unit of every raw field, for :func:`trialflow.functional.long.read_functional_long`'s ``tests``."""
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
