"""Checks of a config that its JSON Schema cannot express, run before any job (``common.smk``).

The schema (``schemas/config.schema.yaml``) checks each key on its own; these check the keys
against each other: ids are unique, limits are in order, every outcome has an input its values
can come from, the REDCap visits map onto configured time points, and every configured input
lies inside the raw folder. Every check of the config is made here, before the DAG is built: a
rule never finds the config wanting after other jobs ran. The outcome entries are checked by
the one implementation the readers use (:meth:`trialflow.functional.OutcomeDefinition.from_config`,
imported only when the config has functional outcomes); the rest is standard library.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from trialflow.rawpaths import inside_raw

# Where an outcome's values come from (its `source` key) -> the config that must provide them.
SOURCE_INPUTS = {
    "redcap_field": (("inputs", "functional_redcap"), "the REDCap export (inputs.functional_redcap)"),
    "test": (("inputs", "functional_long"), "the long functional CSV (inputs.functional_long)"),
}


def config_problems(config: dict) -> list[str]:
    """What makes a schema-valid config unable to describe a run, one sentence each naming the
    key (empty when there is nothing)."""
    problems = []
    for key in ("arms", "time_points", "outcomes", "baseline"):
        twice = sorted(i for i, n in Counter(item["id"] for item in config.get(key, [])).items() if n > 1)
        problems += [f"{key}: the id {i!r} is used more than once" for i in twice]
    problems += _baseline_problems(config.get("baseline", []))
    problems += _outcome_problems(config)
    problems += _redcap_problems(config)
    inputs = config.get("inputs", {})
    if not any("source" not in o for o in config.get("outcomes", [])):
        for named, what in (
            ("elisa" in config, "an `elisa` block"),
            ("concentrations" in inputs, "inputs.concentrations"),
        ):
            if named:
                problems.append(f"{what} is given but no outcome is a biomarker (an outcome without `source`)")
    for i, outcome in enumerate(config.get("outcomes", [])):
        where = f"outcomes[{i}] ({outcome['id']})"
        source = outcome.get("source")
        if source is None:
            if "elisa" not in config and "concentrations" not in inputs:
                problems.append(
                    f"{where}: a biomarker (no `source`) is read from typed concentrations "
                    "(inputs.concentrations) or from plates (an `elisa` block); the config has neither"
                )
            continue
        for kind, ((block, key), what) in SOURCE_INPUTS.items():
            if kind in source and key not in config.get(block, {}):
                problems.append(f"{where}: its values come from {what}, which the config does not name")
        if "derive" in source and not {"functional_redcap", "functional_long"} & set(inputs):
            problems.append(
                f"{where}: a derived outcome is computed from functional fields, but the config names "
                "no functional input (inputs.functional_redcap or inputs.functional_long)"
            )
    return problems + _elisa_problems(config)


def _elisa_problems(config: dict) -> list[str]:
    """The ELISA block: the reads named for every biomarker outcome, and the ranges of plausible
    standards per biomarker outcome id, lowest first."""
    biomarkers = [o["id"] for o in config.get("outcomes", []) if "source" not in o]
    if not biomarkers:  # named above: an `elisa` block without a biomarker
        return []
    problems = []
    reads = config.get("elisa", {}).get("reads", {})
    if "elisa" in config:
        problems += [
            f"elisa.reads.{analyte}: not a biomarker outcome id (exact case): {', '.join(biomarkers)}"
            for analyte in reads
            if analyte not in biomarkers
        ]
        unnamed = [b for b in biomarkers if b not in reads]
        if unnamed:
            example = f"{unnamed[0]}: {{wavelength_nm: 450, reference_nm: 570}}"
            problems.append(
                f"elisa.reads: name the wavelength the plates of {', '.join(unnamed)} are read at, e.g. "
                f"`reads: {{{example}}}` (leave reference_nm out when there is no reference read; docs/elisa.md)"
            )
    for analyte, (low, high) in config.get("elisa", {}).get("expected_standards", {}).items():
        where = f"elisa.expected_standards.{analyte}"
        if analyte not in biomarkers:
            problems.append(f"{where}: not a biomarker outcome id (exact case): {', '.join(biomarkers)}")
        if low >= high:
            problems.append(f"{where}: [low, high] with low < high, got [{low:g}, {high:g}]")
    return problems


def _baseline_problems(characteristics: list[dict]) -> list[str]:
    numeric = {c["id"] for c in characteristics if c.get("type", "numeric") == "numeric" and "derive" not in c}
    problems = []
    for i, c in enumerate(characteristics):
        where, kind = f"baseline[{i}] ({c['id']})", c.get("type", "numeric")
        if "limits" in c and (kind != "numeric" or c["limits"][0] >= c["limits"][1]):
            problems.append(f"{where}: limits are for numeric characteristics, lowest first")
        if "levels" in c and kind != "categorical":
            problems.append(f"{where}: levels are for categorical characteristics")
        if ("derive" in c) != ("from" in c):
            problems.append(f"{where}: derive and from come together")
        elif "derive" in c:
            if kind != "numeric":
                problems.append(f"{where}: a derived characteristic is numeric")
            if len(c["from"]) != 2 or not set(c["from"]) <= numeric:
                problems.append(
                    f"{where}: derive {c['derive']} takes two numeric characteristics of the participants file "
                    f"(from: [weight in kg, height in cm]); not {c['from']}"
                )
    return problems


def _outcome_problems(config: dict) -> list[str]:
    """Each functional outcome entry as the readers check it (limits in order, plausible within
    hard, a known derivation, a field for every time point ...), and one unit per raw field."""
    outcomes = [(i, o) for i, o in enumerate(config.get("outcomes", [])) if "source" in o]
    if not outcomes:
        return []
    from trialflow.functional.definitions import OutcomeConfigError, OutcomeDefinition, source_units

    times = [t["id"] for t in config.get("time_points", [])]
    problems, definitions = [], []
    for i, outcome in outcomes:
        try:
            definitions.append(OutcomeDefinition.from_config(outcome, times))
        except OutcomeConfigError as err:
            problems.append(f"outcomes[{i}] ({outcome.get('id')}): {_without_outcome(str(err), outcome.get('id'))}")
    if not problems:  # every entry was read: one definition per outcome
        baseline = {c["id"] for c in config.get("baseline", []) if c.get("type", "numeric") == "numeric"}
        for (i, _), d in zip(outcomes, definitions, strict=True):
            absent = [c for c in (d.derivation.participant_columns if d.derivation else ()) if c not in baseline]
            if absent:
                problems.append(
                    f"outcomes[{i}] ({d.id}): derive {d.derivation.name} needs the participants' "
                    f"{', '.join(absent)}, a numeric baseline characteristic (`baseline`) the config does not name"
                )
        try:
            source_units(definitions)
        except OutcomeConfigError as err:
            problems.append(f"outcomes: {err}")
    return problems


def _without_outcome(message: str, oid) -> str:
    """The definitions' message without its own ``outcome 'x': `` prefix (the key names it)."""
    prefix = f"outcome {str(oid)!r}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


def _redcap_problems(config: dict) -> list[str]:
    """The REDCap layout as the reader checks it, and every visit mapped to a configured time point."""
    if "functional_redcap" not in config.get("inputs", {}):
        return []
    from trialflow.functional.definitions import OutcomeConfigError
    from trialflow.functional.redcap import REPEAT_CHOICES, redcap_layout

    redcap = config.get("redcap", {})
    try:
        layout = redcap_layout(redcap.get("events"), redcap.get("visit_field"), redcap.get("repeat_visits"))
    except OutcomeConfigError as err:
        return [str(err)]
    key = {"events": "redcap.events", "visit_field": "redcap.visit_field.values"}.get(
        layout.kind, "redcap.repeat_visits.instances"
    )
    times = [t["id"] for t in config.get("time_points", [])]
    problems = [
        f"{key}: {visit!r} maps to the time point {time!r}, which is not a configured time point "
        f"(time_points: {', '.join(times)})"
        for visit, time in layout.mapping.items()
        if time is not None and time not in times
    ]
    for instrument, rule in (redcap.get("repeat_instances") or {}).items():
        if rule not in REPEAT_CHOICES:
            problems.append(f"redcap.repeat_instances.{instrument}: {rule!r} is not one of {', '.join(REPEAT_CHOICES)}")
    if redcap.get("repeat_instances") and layout.kind != "events":
        problems.append(
            "redcap.repeat_instances chooses among the instances of an instrument at one event of a "
            f"longitudinal project; it does not apply with {layout.kind}"
        )
    return problems


def input_path_problems(config: dict, workdir: str | Path = ".") -> list[str]:
    """Every configured input (and the plate manifest) must resolve, symlinks followed, to a
    file inside ``raw_dir``; one sentence per input that does not, naming the key and the path.
    Made before any job, so nothing outside the raw folder is ever read."""
    raw = Path(config["raw_dir"])
    named = [(f"inputs.{key}", name) for key, name in sorted(config.get("inputs", {}).items())]
    if "elisa" in config:
        named.append(("elisa.manifest", config["elisa"]["manifest"]))
    problems = []
    for key, name in named:
        why = inside_raw(raw / name, raw, workdir)
        if why:
            problems.append(f"{key}: {why}")
    return problems
