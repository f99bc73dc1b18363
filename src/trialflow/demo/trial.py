"""Generate the bundled demo trial: a seeded data set that reproduces the published study.

The study (Razi et al., combined training in 30 women with RRMS; see README) printed only
summaries. This module builds individual data that give back, at the printed precision,
every Mean ± SD of its Table 2 (age, height, weight; BMI derived) and Table 3 (serum BDNF
and GDNF, pg/mL), and the mixed-ANOVA F for time and interaction. It is seeded: the same
call writes the same bytes.

How: each arm's pre/post values are standard normal draws made to have *exactly* zero mean
and identity covariance, then coloured with the printed SDs and a within-subject pre/post
correlation. That correlation is solved from the printed F values: with equal arms the
interaction F is the squared t of the change scores, and the time F is the squared t of
their unweighted mean, so both fix the pooled variance of the changes. Values are rounded
as a lab reports them and nudged by the reporting resolution until every rounded summary
matches the print.

Run: ``python -m trialflow.demo raw/demo``.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

from trialflow.demo.adverse_events import write_demo_adverse_events
from trialflow.demo.disposition import write_demo_disposition
from trialflow.demo.functional import write_demo_redcap
from trialflow.demo.numbers import exact_sample
from trialflow.demo.plates import write_demo_plates

N_PER_ARM = 15
ARMS = ["control", "training"]
TIMES = ["pre", "post"]

# Printed in the paper: Table 2 (Mean ± SD, n = 15 per arm).
BASELINE = {
    "training": {"age_years": (36.2, 5.8), "height_cm": (161.5, 6.1), "weight_kg": (57.3, 10.8), "bmi": (22.1, 4.2)},
    "control": {"age_years": (37.1, 5.5), "height_cm": (160.0, 5.2), "weight_kg": (58.2, 9.7), "bmi": (22.4, 3.1)},
}
# Table 3 (pg/mL, Mean ± SD) and the F values printed in the text, F(1, 28).
OUTCOMES = {
    "BDNF": {
        "control": {"pre": (227.77, 26.30), "post": (223.07, 10.85)},
        "training": {"pre": (228.78, 60.46), "post": (450.43, 24.31)},
        "F_time": 107.861,
        "F_interaction": 117.42,
    },
    "GDNF": {
        "control": {"pre": (103.51, 19.07), "post": (94.60, 11.50)},
        "training": {"pre": (101.78, 17.01), "post": (188.05, 9.32)},
        "F_time": 146.07,
        "F_interaction": 221.14,
    },
}


def _matches(x: np.ndarray, mean: float, sd: float, decimals: int) -> bool:
    return round(x.mean(), decimals) == round(mean, decimals) and round(x.std(ddof=1), decimals) == round(sd, decimals)


def round_to_print(
    x: np.ndarray, mean: float, sd: float, decimals: int, resolution: float, lo: float = -np.inf, hi: float = np.inf
) -> np.ndarray:
    """Round ``x`` to ``resolution``, then move single values by one step until the rounded
    values' mean and SD print as ``mean`` ± ``sd`` at ``decimals``. Deterministic."""
    y = np.clip(np.round(x / resolution) * resolution, lo, hi)
    for _ in range(10_000):
        if _matches(y, mean, sd, decimals):
            return np.round(y, 6)
        best, best_cost = None, np.inf
        for i in range(len(y)):
            for step in (-resolution, resolution):
                cand = y.copy()
                cand[i] = cand[i] + step
                if not lo <= cand[i] <= hi:
                    continue
                cost = abs(cand.mean() - mean) + abs(cand.std(ddof=1) - sd)
                if cost < best_cost - 1e-12:
                    best, best_cost = cand, cost
        y = best
    raise RuntimeError("could not match the printed summary")


def solve_correlation(spec: dict) -> float:
    """The common pre/post correlation that reproduces both printed F values (equal arms)."""

    def f_values(r):
        var_change, mean_change = [], []
        for arm in ARMS:
            (m1, s1), (m2, s2) = spec[arm]["pre"], spec[arm]["post"]
            var_change.append(s1**2 + s2**2 - 2 * r * s1 * s2)
            mean_change.append(m2 - m1)
        pooled = np.mean(var_change)
        f_inter = (mean_change[1] - mean_change[0]) ** 2 / (pooled * 2 / N_PER_ARM)
        f_time = (np.mean(mean_change)) ** 2 / (pooled / 4 * 2 / N_PER_ARM)
        return f_time, f_inter

    def loss(r):
        f_time, f_inter = f_values(r)
        return (f_time / spec["F_time"] - 1) ** 2 + (f_inter / spec["F_interaction"] - 1) ** 2

    return float(minimize_scalar(loss, bounds=(-0.95, 0.95), method="bounded", options={"xatol": 1e-10}).x)


def _draw(rng: np.random.Generator, mean: float, sd: float) -> np.ndarray:
    return exact_sample(rng, N_PER_ARM, np.array([[sd**2]]), np.array([mean]))[:, 0]


def make_participants(rng: np.random.Generator) -> list[dict]:
    """30 participants, 15 per arm, with Table 2's age, height and weight; arms interleaved at random."""
    arms = np.array(ARMS * N_PER_ARM)
    rng.shuffle(arms)
    ids = [f"MS{i:03d}" for i in range(1, 2 * N_PER_ARM + 1)]
    rows = {}
    for arm in ARMS:
        spec = BASELINE[arm]
        age = round_to_print(
            _draw(rng, *spec["age_years"]), *spec["age_years"], decimals=1, resolution=1, lo=30, hi=50
        )  # whole years, inclusion 30-50
        height = round_to_print(_draw(rng, *spec["height_cm"]), *spec["height_cm"], decimals=1, resolution=0.1)
        weight = round_to_print(_draw(rng, *spec["weight_kg"]), *spec["weight_kg"], decimals=1, resolution=0.1)
        weight = pair_for_bmi(height, weight, *spec["bmi"])
        members = [pid for pid, a in zip(ids, arms, strict=True) if a == arm]
        for pid, a, h, w in zip(members, age, height, weight, strict=True):
            rows[pid] = {"participant_id": pid, "arm": arm, "age_years": int(a), "height_cm": h, "weight_kg": w}
    return [rows[pid] for pid in ids]


def pair_for_bmi(height: np.ndarray, weight: np.ndarray, bmi_mean: float, bmi_sd: float) -> np.ndarray:
    """Reorder weights against heights so the derived BMI comes as close as it can to the print.

    BMI is derived, never typed, so only the pairing of heights and weights is free."""
    w = weight.copy()

    def cost(w):
        bmi = w / (height / 100) ** 2
        return (bmi.mean() - bmi_mean) ** 2 + (bmi.std(ddof=1) - bmi_sd) ** 2

    improved = True
    while improved:
        improved = False
        for i in range(len(w)):
            for j in range(i + 1, len(w)):
                cand = w.copy()
                cand[i], cand[j] = cand[j], cand[i]
                if cost(cand) < cost(w) - 1e-12:
                    w, improved = cand, True
    return w


def make_concentrations(rng: np.random.Generator, participants: list[dict]) -> list[dict]:
    """Pre/post BDNF and GDNF per participant reproducing Table 3 and the printed F values."""
    rows = []
    for analyte, spec in OUTCOMES.items():
        r = solve_correlation(spec)
        for arm in ARMS:
            (m1, s1), (m2, s2) = spec[arm]["pre"], spec[arm]["post"]
            cov = np.array([[s1**2, r * s1 * s2], [r * s1 * s2, s2**2]])
            x = exact_sample(rng, N_PER_ARM, cov, np.array([m1, m2]))
            pre = round_to_print(x[:, 0], m1, s1, decimals=2, resolution=0.01, lo=1)
            post = round_to_print(x[:, 1], m2, s2, decimals=2, resolution=0.01, lo=1)
            members = [p["participant_id"] for p in participants if p["arm"] == arm]
            for pid, a, b in zip(members, pre, post, strict=True):
                rows.append({"participant_id": pid, "time": "pre", "analyte": analyte, "concentration": a})
                rows.append({"participant_id": pid, "time": "post", "analyte": analyte, "concentration": b})
    rows.sort(key=lambda r: (r["analyte"], r["participant_id"], TIMES.index(r["time"])))
    return [r | {"unit": "pg/mL"} for r in rows]


def _write(path: Path, rows: list[dict], formats: dict[str, str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (formats[k].format(v) if k in formats else v) for k, v in row.items()})


def write_demo_trial(out_dir: str | Path, seed: int = 20251) -> None:
    """Write the demo trial's raw files (participants, concentrations, REDCap export, plates,
    disposition log, adverse events) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    participants = make_participants(rng)
    concentrations = make_concentrations(rng, participants)
    _write(out / "participants.csv", participants, {"height_cm": "{:.1f}", "weight_kg": "{:.1f}"})
    _write(out / "concentrations.csv", concentrations, {"concentration": "{:.2f}"})
    write_demo_redcap(out / "participants.csv", out)  # invented functional outcomes, see there
    write_demo_elisa(out, participants, concentrations)
    # a plausible screening log: 45 assessed
    write_demo_disposition(out / "participants.csv", out / "disposition.csv", seed=2025)
    # invented: the paper reports no harms
    write_demo_adverse_events(out / "participants.csv", out / "adverse_events.csv", seed=2025)


# Flagged and censored examples the ELISA QC must show (see trialflow.demo.plates).
ELISA_PERTURB = [("MS005", "post", "BDNF", "high_cv"), ("MS009", "post", "GDNF", "above_uloq_reassay")]


def write_demo_elisa(out: Path, participants: list[dict], concentrations: list[dict]) -> None:
    """Plate-reader exports and maps whose quantification gives back the concentrations above."""
    arms = {p["participant_id"]: p["arm"] for p in participants}
    target = pd.DataFrame(concentrations)[["participant_id", "time", "analyte", "concentration"]]
    target["concentration"] = target["concentration"].round(2)  # as written to concentrations.csv
    target["arm"] = target["participant_id"].map(arms)
    write_demo_plates(target, out / "elisa", seed=7, perturb=ELISA_PERTURB, balance_by=["arm"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", help="folder to write the demo raw files into, e.g. raw/demo")
    parser.add_argument("--seed", type=int, default=20251)
    args = parser.parse_args(argv)
    write_demo_trial(args.out_dir, args.seed)


if __name__ == "__main__":
    main()
