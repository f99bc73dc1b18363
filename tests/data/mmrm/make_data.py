"""Write the MMRM reference data sets (seeded; rerun to get the same bytes).

    python tests/data/mmrm/make_data.py

three_arm.csv   3 arms x 4 visits, 20 participants per arm, correlated values, monotone dropout
                (from some visit on) and intermittent (non-monotone) missing visits.
covariates.csv  2 arms x baseline + 3 visits, a 3-level site factor and a numeric age;
                the baseline value is a covariate with one slope per visit.
singular.csv    2 arms x 4 visits where visit 4 repeats visit 3 plus a constant: the unstructured
                covariance is singular, so the fit falls back (tests/test_mmrm.py).
demo.csv        the demo's BDNF and GDNF (raw/demo/concentrations.csv) with the arms of
                raw/demo/participants.csv.
"""

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
ROOT = HERE.parents[2]


def long(ids, arms, visits, values, extra=None):
    rows = []
    for i, pid in enumerate(ids):
        for j, v in enumerate(visits):
            if np.isnan(values[i, j]):
                continue
            row = {"participant_id": pid, "arm": arms[i], "time": v, "value": round(float(values[i, j]), 4)}
            if extra is not None:
                row.update({k: extra[k][i] for k in extra})
            rows.append(row)
    return pd.DataFrame(rows)


def three_arm(rng):
    n, visits = 60, ["w1", "w2", "w3", "w4"]
    arms = np.repeat(["placebo", "low", "high"], n // 3)
    cov = np.array([[4, 2.4, 1.8, 1.2], [2.4, 5, 3.0, 2.2], [1.8, 3.0, 6, 3.9], [1.2, 2.2, 3.9, 7]])
    shift = {"placebo": [0, 0.2, 0.3, 0.4], "low": [0, 0.8, 1.3, 1.6], "high": [0, 1.2, 2.0, 2.9]}
    y = rng.multivariate_normal(np.zeros(4), cov, size=n) + 10 + np.array([shift[a] for a in arms])
    for i in range(n):
        u = rng.random()
        if u < 0.2:  # monotone: drop out after visit 2 or 3
            y[i, rng.integers(2, 4) :] = np.nan
        elif u < 0.35:  # intermittent: one missed visit, then back
            y[i, rng.integers(1, 3)] = np.nan
    ids = [f"P{i + 1:03d}" for i in range(n)]
    return long(ids, arms, visits, y)


def covariates(rng):
    n, visits = 48, ["base", "v1", "v2", "v3"]
    arms = np.tile(["control", "active"], n // 2)
    site = rng.choice(["S1", "S2", "S3"], size=n)
    age = rng.integers(30, 65, size=n).astype(float)
    base = rng.normal(50, 6, size=n)
    site_eff = pd.Series({"S1": 0.0, "S2": 1.5, "S3": -1.0})[site].to_numpy()
    cov = np.array([[9, 5, 4], [5, 10, 6], [4, 6, 12]])
    e = rng.multivariate_normal(np.zeros(3), cov, size=n)
    post = 20 + 0.6 * base[:, None] + site_eff[:, None] + 0.05 * age[:, None] + e
    post += np.where(arms == "active", 1, 0)[:, None] * np.array([1.0, 2.0, 3.0])
    post[rng.random(size=(n, 3)) < 0.12] = np.nan
    y = np.column_stack([base, post])
    ids = [f"C{i + 1:03d}" for i in range(n)]
    return long(ids, arms, visits, y, {"site": site, "age": age})


def singular(rng):
    n, visits = 30, ["t1", "t2", "t3", "t4"]
    arms = np.tile(["control", "active"], n // 2)
    cov = np.array([[4, 2, 1.5], [2, 5, 2.5], [1.5, 2.5, 6]])
    y = rng.multivariate_normal([10, 11, 12], cov, size=n)
    y = np.column_stack([y, y[:, 2] + 1.0])  # visit 4 = visit 3 + 1: correlation 1
    y[:, 1:] += np.where(arms == "active", 1.0, 0.0)[:, None]
    ids = [f"S{i + 1:03d}" for i in range(n)]
    return long(ids, arms, visits, y)


def demo():
    conc = pd.read_csv(ROOT / "raw/demo/concentrations.csv")
    people = pd.read_csv(ROOT / "raw/demo/participants.csv")[["participant_id", "arm"]]
    d = conc.merge(people, on="participant_id").rename(columns={"analyte": "outcome", "concentration": "value"})
    return d[["outcome", "participant_id", "arm", "time", "value"]]


if __name__ == "__main__":
    rng = np.random.default_rng(20261202)
    three_arm(rng).to_csv(HERE / "three_arm.csv", index=False)
    covariates(rng).to_csv(HERE / "covariates.csv", index=False)
    singular(rng).to_csv(HERE / "singular.csv", index=False)
    demo().to_csv(HERE / "demo.csv", index=False)
