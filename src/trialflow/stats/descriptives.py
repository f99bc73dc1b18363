"""Descriptive statistics: n, mean and SD per group; participants per arm. (The tests between arms
of baseline characteristics are in :mod:`trialflow.stats.baseline`.)"""

from __future__ import annotations

import pandas as pd


def describe(data: pd.DataFrame, dv: str, by: list[str]) -> pd.DataFrame:
    """n, mean and sample SD (n − 1) of ``dv`` per combination of ``by``.

    Returns
    -------
    DataFrame with the ``by`` columns, n, mean, sd (unrounded; SD NaN when n < 2).
    """
    grouped = data.groupby(by, sort=False, observed=True)[dv]
    out = grouped.agg(n="count", mean="mean", sd=lambda s: s.std(ddof=1)).reset_index()
    out["n"] = out["n"].astype("int64")
    return out


def count_per_arm(participants: pd.DataFrame, arms: list[str]) -> pd.DataFrame:
    """Participants per arm (``arm`` column): columns arm, n; one row per arm of ``arms`` in that
    order (0 for an arm without participants), then ``""`` (all arms)."""
    counts = participants["arm"].value_counts().reindex(arms, fill_value=0).to_numpy().astype("int64")
    return pd.DataFrame({"arm": [*arms, ""], "n": [*counts, len(participants)]}).astype({"n": "int64"})
