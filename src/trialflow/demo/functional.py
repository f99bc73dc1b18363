"""Demo functional outcomes: a seeded REDCap export for the 30 participants of the demo trial.

The published study measured only serum BDNF and GDNF, so these values are *invented*, not
reproduced: plausible baselines for women with relapsing-remitting MS at EDSS about 2 (mean
about 2, range 1 to 4.5, as the study reports) and training effects in the direction and
size of the resistance-training studies summarised in Table 1 of the review
(shared/seeds/000_ccef3cbccc99342b.txt): knee-extension MVIC about +20 %, 6MWT about +8 %,
TUG, T25FW and five-times sit-to-stand faster, hand grip a little stronger, fatigue (MFIS)
lower; the control arm about unchanged and EDSS stable. Each arm's pre/post pairs have
*exactly* the target means, SDs and pre/post correlation before rounding
(:func:`trialflow.demo.numbers.exact_sample`); the pairs are then given to participants so that a
higher EDSS goes with worse function (rank correlation about 0.5).

The export is a REDCap "raw data" CSV of a longitudinal project with two events
(``baseline_arm_1`` → pre, ``week_8_arm_1`` → post) and three instruments:
``clinical`` (``edss``, ``mfis_total``), ``functional_tests`` (``sixmwt_m``, ``tug_s``,
``t25fw_s``, ``sts5_s``) and the *repeating* instrument ``strength_tests``
(``knee_mvic_nm``, ``grip_kg``). It contains, on purpose:

* one control participant who missed the post-test: no ``week_8_arm_1`` rows at all
  (REDCap leaves a record-event out of the export when nothing was entered for it);
* one training participant whose five-times sit-to-stand was not administered at baseline,
  exported as the missing-data code ``NASK``;
* one training participant with two ``strength_tests`` instances at week 8: instance 1 was
  stopped early (knee pain) and instance 2 is the retest the protocol uses, selected by
  ``repeat_instances: {strength_tests: last}``.

The configuration that reads it is :data:`DEMO_CONFIG_YAML` (also :func:`demo_config`).

Run: ``python -m trialflow.demo.functional raw/demo`` (after ``python -m trialflow.demo raw/demo``);
``--print-config`` prints the YAML block.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import yaml

from trialflow.demo.numbers import exact_sample

FILE_NAME = "functional_redcap.csv"
EVENTS = {"pre": "baseline_arm_1", "post": "week_8_arm_1"}
INSTRUMENTS = {
    "clinical": ["edss", "mfis_total"],
    "functional_tests": ["sixmwt_m", "tug_s", "t25fw_s", "sts5_s"],
    "strength_tests": ["knee_mvic_nm", "grip_kg"],  # repeating instrument
}
REPEATING = "strength_tests"

# Target Mean, SD per arm and time; r = pre/post correlation; resolution as recorded; bounds.
# knee_mvic_nm is generated in Nm/kg (bounds too), multiplied by the participant's weight
# and rounded to 0.1 Nm.
# better = +1 when higher is better, -1 when lower is better (for the EDSS coupling).
SPECS = {
    "sixmwt_m": {
        "control": [(482.0, 78.0), (484.0, 80.0)],
        "training": [(476.0, 82.0), (515.0, 79.0)],
        "r": 0.90,
        "resolution": 1,
        "lo": 200,
        "hi": 750,
        "better": 1,
        "format": "{:.0f}",
    },
    "tug_s": {
        "control": [(7.55, 1.45), (7.50, 1.40)],
        "training": [(7.62, 1.50), (6.74, 1.22)],
        "r": 0.85,
        "resolution": 0.01,
        "lo": 4.0,
        "hi": 20.0,
        "better": -1,
        "format": "{:.2f}",
    },
    "t25fw_s": {
        "control": [(5.18, 0.92), (5.16, 0.90)],
        "training": [(5.24, 0.95), (4.80, 0.80)],
        "r": 0.85,
        "resolution": 0.01,
        "lo": 3.2,
        "hi": 12.0,
        "better": -1,
        "format": "{:.2f}",
    },
    "sts5_s": {
        "control": [(12.8, 2.5), (12.6, 2.4)],
        "training": [(13.0, 2.7), (10.9, 2.2)],
        "r": 0.80,
        "resolution": 0.01,
        "lo": 6.0,
        "hi": 30.0,
        "better": -1,
        "format": "{:.2f}",
    },
    "knee_mvic_nm": {
        "control": [(1.71, 0.31), (1.72, 0.32)],
        "training": [(1.68, 0.33), (2.02, 0.35)],
        "r": 0.88,
        "resolution": None,
        "lo": 0.7,
        "hi": 3.2,
        "better": 1,
        "format": "{:.1f}",
    },
    "grip_kg": {
        "control": [(24.9, 4.6), (25.0, 4.7)],
        "training": [(24.6, 4.8), (26.7, 4.6)],
        "r": 0.90,
        "resolution": 0.1,
        "lo": 10.0,
        "hi": 45.0,
        "better": 1,
        "format": "{:.1f}",
    },
    "mfis_total": {
        "control": [(36.0, 13.0), (35.2, 13.5)],
        "training": [(37.0, 12.5), (28.5, 11.5)],
        "r": 0.75,
        "resolution": 1,
        "lo": 0,
        "hi": 84,
        "better": -1,
        "format": "{:.0f}",
    },
}
# EDSS at baseline: 30 values, mean 2.07, range 1 to 4.5 (the study: mean about 2, range 1-4.5).
EDSS_VALUES = [1.0] * 4 + [1.5] * 8 + [2.0] * 9 + [2.5] * 4 + [3.0] * 2 + [3.5, 4.0, 4.5]

DEMO_CONFIG_YAML = """\
# Functional outcomes of the demo trial (trialflow.demo.functional). Paste into config.yaml:
# the inputs key joins the existing inputs, the outcomes join the existing outcome list.
inputs:
  functional_redcap: functional_redcap.csv   # REDCap "raw data" export; docs/functional-outcomes.md

redcap:
  record_id: record_id                       # first column of the export = participant_id
  events:                                    # redcap_event_name -> time point id (null = ignore)
    baseline_arm_1: pre
    week_8_arm_1: post
  repeat_instances:                          # repeating instrument -> first | last
    strength_tests: last                     # a retest replaces a session stopped early

missing_codes:                               # missing-data code as exported -> reason in the report
  UNK: unknown
  NASK: not asked
  NAV: temporarily unavailable
  "-999": not done

outcomes:
  - id: six_mwt
    label: 6-minute walk distance
    unit: m
    domain: mobility
    higher_is_better: true
    hard_limits: [0, 1000]
    plausible_limits: [150, 800]
    decimals: 0
    source: {redcap_field: sixmwt_m}
  - id: tug
    label: Timed Up and Go
    unit: s
    domain: mobility
    higher_is_better: false
    hard_limits: [1, 300]
    plausible_limits: [3, 30]
    decimals: 2
    source: {redcap_field: tug_s}
  - id: t25fw
    label: Timed 25-Foot Walk
    unit: s
    domain: mobility
    higher_is_better: false
    hard_limits: [1, 180]
    plausible_limits: [2.5, 20]
    decimals: 2
    source: {redcap_field: t25fw_s}
  - id: gait_speed
    label: gait speed (T25FW)
    unit: m/s
    domain: mobility
    higher_is_better: true
    hard_limits: [0.04, 7.62]
    plausible_limits: [0.3, 3]
    decimals: 2
    source: {derive: speed_from_time, from: [t25fw_s], distance_m: 7.62}
  - id: sts5
    label: five-times sit-to-stand
    unit: s
    domain: mobility
    higher_is_better: false
    hard_limits: [1, 120]
    plausible_limits: [4, 40]
    decimals: 2
    source: {redcap_field: sts5_s}
  - id: knee_mvic
    label: knee-extension MVIC
    unit: Nm
    domain: strength
    higher_is_better: true
    hard_limits: [0, 500]
    plausible_limits: [20, 300]
    decimals: 1
    source: {redcap_field: knee_mvic_nm}
  - id: knee_mvic_rel
    label: knee-extension MVIC per body mass
    unit: Nm/kg
    domain: strength
    higher_is_better: true
    hard_limits: [0, 8]
    plausible_limits: [0.4, 4]
    decimals: 2
    source: {derive: per_body_mass, from: [knee_mvic_nm]}
  - id: grip
    label: hand-grip strength
    unit: kg
    domain: strength
    higher_is_better: true
    hard_limits: [0, 100]
    plausible_limits: [5, 55]
    decimals: 1
    source: {redcap_field: grip_kg}
  - id: mfis
    label: Modified Fatigue Impact Scale (0-84)
    unit: points
    domain: fatigue
    higher_is_better: false
    hard_limits: [0, 84]
    step: 1
    decimals: 1
    source: {redcap_field: mfis_total}
  - id: edss
    label: EDSS (0-10)
    unit: points
    domain: disability
    higher_is_better: false
    hard_limits: [0, 10]
    plausible_limits: [0, 6.5]
    step: 0.5
    decimals: 1
    source: {redcap_field: edss}
"""


def demo_config() -> dict:
    """The configuration block of :data:`DEMO_CONFIG_YAML` as a dict."""
    return yaml.safe_load(DEMO_CONFIG_YAML)


def _read_participants(path: str | Path) -> list[dict]:
    with Path(path).open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r["weight_kg"] = float(r["weight_kg"])
    return rows


def _round(x: float, resolution: float, lo: float, hi: float) -> float:
    return round(round(float(np.clip(x, lo, hi)) / resolution) * resolution, 6)


def _impairment(rng: np.random.Generator, edss: np.ndarray) -> np.ndarray:
    """A per-participant score: EDSS (standardised) plus as much noise, so rank r is about 0.5."""
    z = (edss - edss.mean()) / edss.std()
    return z + rng.standard_normal(len(edss)) * 1.1


def make_values(rng: np.random.Generator, participants: list[dict]) -> dict[str, dict[str, dict]]:
    """``values[pid][time][field]`` as numbers, for every participant, time and field."""
    ids = [p["participant_id"] for p in participants]
    values: dict[str, dict[str, dict]] = {pid: {"pre": {}, "post": {}} for pid in ids}
    edss = np.array(EDSS_VALUES)[rng.permutation(len(ids))]
    score = dict(zip(ids, _impairment(rng, edss), strict=True))
    for pid, e in zip(ids, edss, strict=True):
        values[pid]["pre"]["edss"] = values[pid]["post"]["edss"] = float(e)
    for arm, step in (("control", 0.5), ("training", -0.5)):  # EDSS stable: one change per arm
        members = [p["participant_id"] for p in participants if p["arm"] == arm]
        pid = members[int(rng.integers(len(members)))]
        values[pid]["post"]["edss"] = float(np.clip(values[pid]["pre"]["edss"] + step, 1.0, 4.5))
    weight = {p["participant_id"]: p["weight_kg"] for p in participants}
    for field, spec in SPECS.items():
        for arm in ("control", "training"):
            members = [p["participant_id"] for p in participants if p["arm"] == arm]
            (m1, s1), (m2, s2) = spec[arm]
            cov = np.array([[s1**2, spec["r"] * s1 * s2], [spec["r"] * s1 * s2, s2**2]])
            pairs = exact_sample(rng, len(members), cov, np.array([m1, m2]))
            # worst baseline value to the most impaired participant
            order_pairs = np.argsort(pairs[:, 0] * spec["better"])  # worst first
            order_people = sorted(members, key=lambda pid: -score[pid])  # most impaired first
            for pid, i in zip(order_people, order_pairs, strict=True):
                for t, x in zip(("pre", "post"), pairs[i], strict=True):
                    if field == "knee_mvic_nm":  # Nm/kg -> Nm, to 0.1 Nm
                        x = round(float(np.clip(x, spec["lo"], spec["hi"])) * weight[pid], 1)
                    else:
                        x = float(_round(x, spec["resolution"], spec["lo"], spec["hi"]))
                    values[pid][t][field] = x
    return values


def _cell(field: str, x: float) -> str:
    if field == "edss":
        return f"{x:.1f}"
    return SPECS[field]["format"].format(x)


def write_demo_redcap(participants_csv: str | Path, out_dir: str | Path, seed: int = 20252) -> Path:
    """Write ``functional_redcap.csv`` for the participants of ``participants_csv``; return it.

    Same participants and seed → same bytes. Columns are those of a REDCap raw-data export of
    a longitudinal project with a repeating instrument (see the module docstring).
    """
    participants = _read_participants(participants_csv)
    rng = np.random.default_rng(seed)
    values = make_values(rng, participants)
    controls = [p["participant_id"] for p in participants if p["arm"] == "control"]
    training = [p["participant_id"] for p in participants if p["arm"] == "training"]
    missed_post = controls[int(rng.integers(len(controls)))]
    not_asked = training[int(rng.integers(len(training)))]
    retested = [pid for pid in training if pid != not_asked][int(rng.integers(len(training) - 1))]

    columns = ["record_id", "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance"]
    for instrument, fs in INSTRUMENTS.items():
        columns += fs + [f"{instrument}_complete"]
    rows = []
    for pid in sorted(values):
        for time, event in EVENTS.items():
            if pid == missed_post and time == "post":
                continue  # nothing entered for the event: REDCap exports no row for it
            v = values[pid][time]
            plain = dict.fromkeys(columns, "")
            plain.update({"record_id": pid, "redcap_event_name": event})
            for instrument, fs in INSTRUMENTS.items():
                if instrument == REPEATING:
                    continue
                plain.update({f: _cell(f, v[f]) for f in fs})
                plain[f"{instrument}_complete"] = "2"
            if pid == not_asked and time == "pre":
                plain["sts5_s"] = "NASK"
            rows.append(plain)
            instances = [{f: _cell(f, v[f]) for f in INSTRUMENTS[REPEATING]}]
            if pid == retested and time == "post":  # session 1 stopped early, retest = instance 2
                stopped = {"knee_mvic_nm": f"{v['knee_mvic_nm'] * 0.78:.1f}", "grip_kg": f"{v['grip_kg'] * 0.94:.1f}"}
                instances.insert(0, stopped)
            for number, cells in enumerate(instances, start=1):
                row = dict.fromkeys(columns, "")
                row.update(
                    {
                        "record_id": pid,
                        "redcap_event_name": event,
                        "redcap_repeat_instrument": REPEATING,
                        "redcap_repeat_instance": str(number),
                        **cells,
                        f"{REPEATING}_complete": "2",
                    }
                )
                rows.append(row)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / FILE_NAME
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "out_dir",
        nargs="?",
        default="raw/demo",
        help="folder holding participants.csv; the export is written next to it",
    )
    parser.add_argument("--seed", type=int, default=20252)
    parser.add_argument("--print-config", action="store_true", help="print the YAML config block")
    args = parser.parse_args(argv)
    if args.print_config:
        print(DEMO_CONFIG_YAML, end="")
        return
    write_demo_redcap(Path(args.out_dir) / "participants.csv", args.out_dir, args.seed)


if __name__ == "__main__":
    main()
