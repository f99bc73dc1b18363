"""Wall time of the per-outcome mixed ANOVA loop vs ``mixed_anova_many``.

    python benchmarks/bench_batch.py [--outcomes 20] [--participants 2000] [--times 4] [--repeat 3]

Both paths run the same kernel (``trialflow.stats.anova``): the loop calls ``complete_cases``
and ``mixed_anova`` (a batch of one) per outcome, as ``analysis.analyse_outcome`` does when it is
given no ANOVA table; the batch is one ``mixed_anova_many`` call over all outcomes, as
``analysis.analyse_outcomes`` runs it. Measured side by side in one process.

Seeded data: three unequal arms, a different ~5 % of visits missing per outcome. Prints the
best of ``--repeat`` runs of each path and the largest difference between their tables.
Timings are informational; no test asserts them. Needs the package importable
(``pip install -e .``, as the README sets up, or ``PYTHONPATH=src``).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from trialflow.stats.anova import mixed_anova, mixed_anova_many
from trialflow.stats.complete import complete_cases


def simulate(n_outcomes: int, n_participants: int, n_times: int, seed: int = 1) -> tuple[pd.DataFrame, list[str]]:
    rng = np.random.default_rng(seed)
    levels = [f"t{j + 1}" for j in range(n_times)]
    ids = np.array([f"P{i:05d}" for i in range(n_participants)])
    arms = rng.choice(["control", "low", "high"], size=n_participants, p=[0.4, 0.35, 0.25])
    frames = []
    for o in range(n_outcomes):
        subject = rng.normal(0, 2, n_participants)[:, None]
        y = 10 + subject + rng.normal(0, 1, (n_participants, n_times)) + (arms == "high")[:, None] * np.arange(n_times)
        long = pd.DataFrame(
            {
                "participant_id": np.repeat(ids, n_times),
                "arm": np.repeat(arms, n_times),
                "time": np.tile(levels, n_participants),
                "outcome": f"outcome_{o:02d}",
                "value": y.ravel(),
            }
        )
        frames.append(long[rng.random(len(long)) >= 0.05])
    return pd.concat(frames, ignore_index=True), levels


def per_outcome(data: pd.DataFrame, levels: list[str]) -> pd.DataFrame:
    parts = []
    for name, sub in data.groupby("outcome", sort=False):
        complete, _ = complete_cases(sub, "value", "time", "participant_id", levels=levels)
        res = mixed_anova(complete, "value", "time", "arm", "participant_id", levels=levels)
        res.insert(0, "outcome", name)
        parts.append(res)
    return pd.concat(parts, ignore_index=True)


def best_of(repeat: int, fn, *args):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args)
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outcomes", type=int, default=20)
    parser.add_argument("--participants", type=int, default=2000)
    parser.add_argument("--times", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    data, levels = simulate(args.outcomes, args.participants, args.times)
    print(f"{args.outcomes} outcomes x {args.participants} participants x {args.times} times ({len(data)} rows)")
    t_loop, loop = best_of(args.repeat, per_outcome, data, levels)
    t_batch, batch = best_of(
        args.repeat, mixed_anova_many, data, "value", "time", "arm", "participant_id", "outcome", levels
    )
    numeric = loop.select_dtypes("number").columns
    diff = np.nanmax(
        np.abs(batch[numeric].to_numpy() - loop[numeric].to_numpy()) / np.maximum(1, np.abs(loop[numeric]))
    )
    print(f"per-outcome (complete_cases + mixed_anova): {t_loop:8.3f} s")
    print(f"batch (mixed_anova_many):                   {t_batch:8.3f} s   ({t_loop / t_batch:.1f}x)")
    print(f"largest difference between the tables (relative, or absolute below 1): {diff:.1e}")


if __name__ == "__main__":
    main()
