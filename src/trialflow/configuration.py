"""Checks of a config that its JSON Schema cannot express, run before any job (``common.smk``).

The schema (``schemas/config.schema.yaml``) checks each key on its own; these check the keys
against each other: ids are unique, and every outcome has an input its values can come from.
Standard library only: Snakemake reads it on every start.
"""

from __future__ import annotations

from collections import Counter

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
    """The ELISA block's ranges of plausible standards: per biomarker outcome id, lowest first."""
    biomarkers = [o["id"] for o in config.get("outcomes", []) if "source" not in o]
    if not biomarkers:  # named above: an `elisa` block without a biomarker
        return []
    problems = []
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
