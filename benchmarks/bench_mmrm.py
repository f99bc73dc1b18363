"""Benchmark: the MMRM on a panel the size of the synthetic large trial.

    python benchmarks/bench_mmrm.py [--participants 2000] [--outcomes 26] [--df satterthwaite]

Simulates (seeded) long data shaped as the synthetic trial's analysis data: 3 arms allocated
35 / 33 / 32 %, 4 visits, one outcome per panel member with its own unstructured covariance, arm
effects growing over the visits, monotone dropout (about 12 %) and intermittent missed visits
(about 5 %). Times :func:`trialflow.stats.mmrm.fit_mmrm_outcomes` (what rule fit_mmrm runs) in
this process and prints a Markdown table row for benchmarks/results.md.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import pandas as pd

from trialflow.stats import mmrm

ARMS = ["control", "low", "high"]
TIMES = ["t0", "t1", "t2", "t3"]


def simulate(n: int, outcomes: int, seed: int = 2026) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arm = np.repeat(np.arange(3), np.round(n * np.array([0.35, 0.33, 0.32])).astype(int))[:n]
    ids = np.array([f"P{i + 1:04d}" for i in range(len(arm))])
    frames = []
    for k in range(outcomes):
        a = rng.normal(size=(4, 4))
        cov = a @ a.T + np.diag(rng.uniform(0.5, 2.0, size=4))
        y = rng.multivariate_normal(np.zeros(4), cov, size=len(arm)) + 10 + k
        y += np.outer(arm, [0.0, 0.3, 0.6, 0.9])
        last = np.where(rng.random(len(arm)) < 0.12, rng.integers(1, 4, size=len(arm)), 4)  # monotone dropout
        y[np.arange(4)[None, :] >= last[:, None]] = np.nan
        y[rng.random(y.shape) < 0.05] = np.nan
        y[:, 0] = np.where(np.isnan(y).all(axis=1), 10.0 + k, y[:, 0])  # everybody has a value somewhere
        rows = pd.DataFrame(
            {
                "participant_id": np.repeat(ids, 4),
                "arm": np.repeat(np.array(ARMS)[arm], 4),
                "time": np.tile(TIMES, len(arm)),
                "value": y.ravel(),
            }
        ).dropna()
        frames.append(rows.assign(outcome=f"y{k + 1:02d}"))
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=2000)
    parser.add_argument("--outcomes", type=int, default=26)
    parser.add_argument("--df", default="satterthwaite", choices=mmrm.DF_METHODS)
    args = parser.parse_args()
    data = simulate(args.participants, args.outcomes)
    people = data[["participant_id"]].drop_duplicates()
    outcomes = sorted(data["outcome"].unique())
    settings = {"covariance": "unstructured", "df": args.df}
    start = time.perf_counter()
    tables = mmrm.fit_mmrm_outcomes(data, people, outcomes, ARMS, TIMES, settings, {})
    wall = time.perf_counter() - start
    fit = tables["fit"]
    print(
        f"| {args.participants} × {len(TIMES)} visits × {len(outcomes)} outcomes, 3 arms | {len(data):,} values "
        f"| unstructured, {args.df} | {wall:.1f} s | {wall / len(outcomes):.2f} s "
        f"| {int(fit['converged'].sum())} / {len(fit)} | {platform.python_version()}, {platform.machine()} |"
    )


if __name__ == "__main__":
    main()
