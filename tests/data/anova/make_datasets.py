"""Generate the small seeded data sets used to pin mixed-ANOVA results against R.

Run from anywhere:  python tests/data/anova/make_datasets.py

Every CSV is long format with columns ``participant_id,arm,time,value``.
Values are rounded to 3 decimals and written with a fixed ``%.3f`` format so
the CSV text is the single source of truth: R (``read.csv``) and pandas parse
the same decimal strings to the same doubles, so both sides analyse identical
numbers. The reference values in ``tests/test_reference_r.py`` were produced by
``reference.R`` from these files; if you change this script, re-run both.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT_DIR = Path(__file__).resolve().parent


def _long(ids, arms, times, values) -> pd.DataFrame:
    """Build the long table from a (subjects x times) matrix."""
    rows = []
    for pid, arm, row in zip(ids, arms, values, strict=True):
        for t, v in zip(times, row, strict=True):
            rows.append((pid, arm, t, round(float(v), 3)))
    return pd.DataFrame(rows, columns=["participant_id", "arm", "time", "value"])


def _simulate(rng, arm_sizes, arm_means, cov, id_prefix="P"):
    """Multivariate-normal repeated measures per arm.

    arm_sizes: {arm: n}; arm_means: {arm: vector of per-time means}.
    Participant ids are numbered consecutively across arms so they are unique.
    """
    ids, arms, blocks = [], [], []
    k = 0
    for arm, n in arm_sizes.items():
        blocks.append(rng.multivariate_normal(arm_means[arm], cov, size=n))
        for _ in range(n):
            k += 1
            ids.append(f"{id_prefix}{k:03d}")
            arms.append(arm)
    return ids, arms, np.vstack(blocks)


def _compound_symmetry(sd_subject: float, sd_error: float, k: int) -> np.ndarray:
    return np.full((k, k), sd_subject**2) + np.eye(k) * sd_error**2


def two_by_two_equal() -> pd.DataFrame:
    rng = np.random.default_rng(20240101)
    times = ["pre", "post"]
    means = {"control": [50.0, 51.0], "training": [50.0, 56.0]}
    cov = _compound_symmetry(6.0, 4.0, 2)
    ids, arms, y = _simulate(rng, {"control": 15, "training": 15}, means, cov)
    return _long(ids, arms, times, y)


def two_by_two_unequal() -> pd.DataFrame:
    rng = np.random.default_rng(20240102)
    times = ["pre", "post"]
    means = {"control": [20.0, 20.5], "training": [21.0, 24.0]}
    cov = _compound_symmetry(3.0, 2.5, 2)
    ids, arms, y = _simulate(rng, {"control": 11, "training": 17}, means, cov)
    return _long(ids, arms, times, y)


def three_by_four_unequal_missing() -> pd.DataFrame:
    """3 arms x 4 times, unbalanced, clearly non-spherical, with missed visits.

    Covariance is AR(1) (rho = 0.8) with variances growing over time, which
    makes sphericity fail so the GG/HF epsilons are well below 1 and the
    Mauchly test is informative.
    """
    rng = np.random.default_rng(20240103)
    times = ["t1", "t2", "t3", "t4"]
    sds = np.array([1.0, 1.8, 2.8, 4.0])
    lag = np.abs(np.subtract.outer(np.arange(4), np.arange(4)))
    cov = (0.8**lag) * np.outer(sds, sds)
    means = {
        "A": [10.0, 10.5, 11.0, 11.2],
        "B": [10.0, 11.5, 13.0, 14.0],
        "C": [10.0, 12.5, 15.5, 18.0],
    }
    ids, arms, y = _simulate(rng, {"A": 9, "B": 12, "C": 14}, means, cov)
    df = _long(ids, arms, times, y)
    # Missed visits (rows absent, not NaN): one subject per arm plus a second
    # in C who misses two visits. These 4 must be dropped by a complete-case
    # mixed ANOVA (afex drops them too).
    missing = {
        "P003": ["t4"],  # arm A
        "P015": ["t2"],  # arm B
        "P025": ["t3"],  # arm C
        "P031": ["t2", "t4"],  # arm C
    }
    drop = np.zeros(len(df), dtype=bool)
    for pid, ts in missing.items():
        drop |= (df["participant_id"] == pid).to_numpy() & df["time"].isin(ts).to_numpy()
    return df.loc[~drop].reset_index(drop=True)


def two_by_three() -> pd.DataFrame:
    """2 arms x 3 times, complete, (near-)spherical compound symmetry.

    The seed was picked so that the sample Huynh-Feldt epsilon exceeds 1 (GG
    about 0.98): this data set pins the "HF eps > 1 is treated as 1" branch
    of the HF-corrected p value, complementing the strongly non-spherical
    3 x 4 set.
    """
    rng = np.random.default_rng(20240106)
    times = ["pre", "mid", "post"]
    cov = _compound_symmetry(2.5, 1.5, 3)
    means = {"control": [30.0, 30.5, 31.0], "training": [30.0, 32.0, 34.5]}
    ids, arms, y = _simulate(rng, {"control": 10, "training": 13}, means, cov)
    return _long(ids, arms, times, y)


def one_by_two() -> pd.DataFrame:
    """1 arm x 2 times (pre/post, a single-arm trial): the one-way RM ANOVA is the paired t-test (F = t²)."""
    rng = np.random.default_rng(20240107)
    ids, arms, y = _simulate(rng, {"solo": 14}, {"solo": [40.0, 43.0]}, _compound_symmetry(5.0, 3.0, 2))
    return _long(ids, arms, ["pre", "post"], y)


def one_by_four_missing() -> pd.DataFrame:
    """1 arm x 4 times, clearly non-spherical (AR(1), growing variances: GG epsilon < 0.75), with
    missed visits: 3 of 18 participants lack a visit and are left out (afex drops them too)."""
    rng = np.random.default_rng(20240108)
    times = ["t1", "t2", "t3", "t4"]
    sds = np.array([1.0, 1.8, 2.8, 4.0])
    lag = np.abs(np.subtract.outer(np.arange(4), np.arange(4)))
    cov = (0.8**lag) * np.outer(sds, sds)
    ids, arms, y = _simulate(rng, {"solo": 18}, {"solo": [10.0, 11.0, 12.5, 13.0]}, cov)
    df = _long(ids, arms, times, y)
    drop = np.zeros(len(df), dtype=bool)
    for pid, ts in {"P004": ["t2"], "P009": ["t4"], "P015": ["t1", "t3"]}.items():
        drop |= (df["participant_id"] == pid).to_numpy() & df["time"].isin(ts).to_numpy()
    return df.loc[~drop].reset_index(drop=True)


def one_by_three() -> pd.DataFrame:
    """1 arm x 3 times, compound symmetry (GG epsilon near 1: the "auto" rule picks Huynh-Feldt)."""
    rng = np.random.default_rng(20240109)
    ids, arms, y = _simulate(rng, {"solo": 12}, {"solo": [20.0, 21.0, 23.0]}, _compound_symmetry(3.0, 2.0, 3))
    return _long(ids, arms, ["pre", "mid", "post"], y)


def one_by_four_few() -> pd.DataFrame:
    """1 arm x 4 times with 3 participants: 2 error df for 3 time contrasts, a singular error
    matrix (car reports no Mauchly test and no epsilons)."""
    rng = np.random.default_rng(20240110)
    ids, arms, y = _simulate(rng, {"solo": 3}, {"solo": [5.0, 6.0, 6.5, 7.0]}, _compound_symmetry(1.0, 1.0, 4))
    return _long(ids, arms, ["t1", "t2", "t3", "t4"], y)


DATASETS = {
    "two_by_two_equal": two_by_two_equal,
    "two_by_two_unequal": two_by_two_unequal,
    "three_by_four_unequal_missing": three_by_four_unequal_missing,
    "two_by_three": two_by_three,
    "one_by_two": one_by_two,
    "one_by_four_missing": one_by_four_missing,
    "one_by_three": one_by_three,
    "one_by_four_few": one_by_four_few,
}


def main() -> None:
    for name, make in DATASETS.items():
        path = OUT_DIR / f"{name}.csv"
        make().to_csv(path, index=False, float_format="%.3f", lineterminator="\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
