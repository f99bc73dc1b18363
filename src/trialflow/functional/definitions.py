"""Outcome definitions: the ``outcomes:`` entries of the config, checked, and the derivations.

:class:`OutcomeDefinition` is one configured outcome (label, unit, limits and where its value
comes from); :func:`outcome_definitions` checks every entry and raises
:class:`OutcomeConfigError` naming the outcome and the key that is wrong. A derived outcome
names one of the :data:`DERIVATIONS`, an explicit registry of named functions (never ``eval``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

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


class OutcomeConfigError(ValueError):
    """An outcome definition in the configuration is incomplete or inconsistent."""


def number_text(x: float) -> str:
    """A number as a person writes it: 12 not 12.0, 0.1 not 0.1000000001."""
    if isinstance(x, float) and x.is_integer():
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
        params = "".join(f", {k} = {number_text(v)}" for k, v in self.params.items())
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
