"""Seeded trials of many shapes, written as a statistician would hand them to trialflow.

``write_trial`` writes ``raw/<id>/`` (a participants file and the exports each outcome comes
from) and ``<id>.yaml`` into a folder laid out like the repository root; the tests then run
``snakemake --configfile <id>.yaml`` there, as the README tells a user to. Nothing here uses the
demo's files or its config.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from tests.conftest import ROOT
from trialflow.demo.plates import write_demo_plates

UNITS = {"typed": "pg/mL", "plates": "pg/mL", "redcap": "s", "long": "m"}


@dataclass
class Outcome:
    """One outcome: where its values come from and how they are drawn."""

    id: str
    source: str  # typed | plates | redcap | long
    mean: float = 100.0
    sd: float = 15.0
    effect: float = 10.0  # added at the last visit in every arm but the first
    constant_in: str | None = None  # every value of this arm is the same
    no_follow_up: bool = False  # values at baseline only
    fields: dict | None = None  # redcap: time id -> field name (per-event field names)

    @property
    def unit(self) -> str:
        return UNITS[self.source]


@dataclass
class Shape:
    """A trial: arms with their sizes, time points (first = baseline), outcomes."""

    id: str
    arms: dict[str, int]
    times: list[str]
    outcomes: list[Outcome]
    redcap_layout: str = "events"  # events (longitudinal) | the key the classic layout needs
    extra_config: dict = field(default_factory=dict)
    seed: int = 7


def repository_copy(folder: Path) -> Path:
    """The files a user runs Snakemake with (Snakefile, the demo's config.yaml, schemas, the
    workflow) in ``folder``, laid out as the repository's root."""
    for name in ["Snakefile", "config.yaml"]:
        shutil.copy(ROOT / name, folder / name)
    for name in ["workflow", "schemas"]:
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def values(shape: Shape) -> pd.DataFrame:
    """participant_id, arm, time, outcome, value: every value the trial measured."""
    rng = np.random.default_rng(shape.seed)
    people = [(f"{arm[:2].upper()}{i:03d}", arm) for arm, n in shape.arms.items() for i in range(1, n + 1)]
    rows = []
    for o in shape.outcomes:
        for pid, arm in people:
            level = rng.normal(o.mean, o.sd)
            for j, time in enumerate(shape.times):
                if o.no_follow_up and j > 0:
                    continue
                gain = o.effect * j / (len(shape.times) - 1) * (arm != next(iter(shape.arms)))
                value = o.mean if arm == o.constant_in else level + gain + rng.normal(0, o.sd / 3)
                rows.append(
                    {"participant_id": pid, "arm": arm, "time": time, "outcome": o.id, "value": round(value, 2)}
                )
    return pd.DataFrame(rows)


def write_trial(root: Path, shape: Shape) -> Path:
    """Write the trial's raw files and config under ``root``; the config's path."""
    raw = root / "raw" / shape.id
    raw.mkdir(parents=True)
    data = values(shape)
    people = data.drop_duplicates("participant_id")[["participant_id", "arm"]]
    rng = np.random.default_rng(shape.seed + 1)
    people = people.assign(age=rng.integers(25, 70, len(people)), sex=rng.choice(["female", "male"], len(people)))
    people.to_csv(raw / "participants.csv", index=False)
    inputs = {"participants": "participants.csv"}
    kinds = {o.source for o in shape.outcomes}
    by_kind = {k: data[data["outcome"].isin([o.id for o in shape.outcomes if o.source == k])] for k in kinds}
    if "typed" in kinds:
        typed = by_kind["typed"].rename(columns={"outcome": "analyte", "value": "concentration"})
        typed.assign(unit="pg/mL")[["participant_id", "time", "analyte", "concentration", "unit"]].to_csv(
            raw / "concentrations.csv", index=False
        )
        inputs["concentrations"] = "concentrations.csv"
    if "long" in kinds:
        long = by_kind["long"].rename(columns={"outcome": "test"}).assign(unit="m")
        long[["participant_id", "time", "test", "value", "unit"]].to_csv(raw / "functional_long.csv", index=False)
        inputs["functional_long"] = "functional_long.csv"
    if "redcap" in kinds:
        inputs["functional_redcap"] = "redcap.csv"
        write_redcap(raw / "redcap.csv", by_kind["redcap"], shape)
    config = {
        "trial": {"id": shape.id, "title": f"Trial {shape.id}", "data_cutoff": "2026-01-31"},
        "raw_dir": f"raw/{shape.id}",
        "inputs": inputs,
        "arms": [{"id": a, "label": a.replace("_", " ").capitalize()} for a in shape.arms],
        "time_points": [{"id": t, "label": t.replace("_", " ")} for t in shape.times],
        "outcomes": [outcome_config(o) for o in shape.outcomes],
        "baseline": [
            {"id": "age", "label": "age (years)", "decimals": 1, "limits": [18, 90]},
            {"id": "sex", "label": "sex", "type": "categorical", "levels": ["female", "male"]},
        ],
    }
    if "plates" in kinds:
        target = by_kind["plates"].rename(columns={"outcome": "analyte", "value": "concentration"})
        write_demo_plates(target, raw / "elisa", seed=shape.seed)
        analytes = sorted(target["analyte"].unique())
        config["elisa"] = {"manifest": "elisa/plates.csv", "reads": {a: {"wavelength_nm": 450} for a in analytes}}
    if "redcap" in kinds and shape.redcap_layout == "events":
        config["redcap"] = {"events": {f"{t}_arm_1": t for t in shape.times}}
    elif "redcap" in kinds:  # a classic project: visits told apart by a coded field
        codes = {str(i): t for i, t in enumerate(shape.times, start=1)}
        config["redcap"] = {"visit_field": {"field": "visit", "values": codes}}
    config |= shape.extra_config
    path = root / f"{shape.id}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    return path


def outcome_config(o: Outcome) -> dict:
    domain = "biomarker" if o.source in ("typed", "plates") else "mobility"
    entry = {"id": o.id, "label": o.id.replace("_", " "), "unit": o.unit, "domain": domain}
    entry |= {"higher_is_better": True, "decimals": 1}
    if o.source in ("redcap", "long"):
        entry["hard_limits"] = [round(o.mean - 20 * o.sd, 2), round(o.mean + 20 * o.sd, 2)]
    if o.source == "redcap":
        entry["source"] = {"redcap_field": o.fields or o.id}
    elif o.source == "long":
        entry["source"] = {"test": o.id}
    return entry


def write_redcap(path: Path, data: pd.DataFrame, shape: Shape) -> None:
    """A REDCap raw-data export: one row per record and event (longitudinal), or per record and
    visit, told apart by a coded `visit` field (a classic project)."""
    outcomes = {o.id: o for o in shape.outcomes if o.source == "redcap"}
    columns = sorted({(o.fields or {}).get(t, o.id) for o in outcomes.values() for t in shape.times})
    visit = "redcap_event_name" if shape.redcap_layout == "events" else "visit"
    rows = {}
    for r in data.itertuples():
        row = rows.setdefault((r.participant_id, r.time), {"record_id": r.participant_id})
        code = shape.times.index(r.time) + 1
        row[visit] = f"{r.time}_arm_1" if shape.redcap_layout == "events" else str(code)
        row[(outcomes[r.outcome].fields or {}).get(r.time, r.outcome)] = r.value
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, ["record_id", visit, *columns], restval="")
        writer.writeheader()
        writer.writerows(rows[k] for k in sorted(rows))
