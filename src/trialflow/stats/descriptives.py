"""Descriptive statistics and two-arm comparisons of baseline characteristics."""

from __future__ import annotations

import pandas as pd
from scipy import stats


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


def compare_two_arms(a, b) -> pd.DataFrame:
    """Independent-samples t-tests: Student's (pooled variance, as SPSS's first row) and Welch's.

    Returns
    -------
    DataFrame with columns test (student | welch), statistic (t, arm a − arm b), df, p.
    """
    a = pd.Series(a, dtype=float).dropna().to_numpy()
    b = pd.Series(b, dtype=float).dropna().to_numpy()
    student = stats.ttest_ind(a, b, equal_var=True)
    welch = stats.ttest_ind(a, b, equal_var=False)
    return pd.DataFrame(
        [
            {
                "test": "student",
                "statistic": float(student.statistic),
                "df": float(student.df),
                "p": float(student.pvalue),
            },
            {"test": "welch", "statistic": float(welch.statistic), "df": float(welch.df), "p": float(welch.pvalue)},
        ]
    )


def count_per_arm(participants: pd.DataFrame, arms: list[str]) -> pd.DataFrame:
    """Participants per arm (``arm`` column): columns arm, n; one row per arm of ``arms`` in that
    order (0 for an arm without participants), then ``""`` (all arms)."""
    counts = participants["arm"].value_counts().reindex(arms, fill_value=0).to_numpy().astype("int64")
    return pd.DataFrame({"arm": [*arms, ""], "n": [*counts, len(participants)]}).astype({"n": "int64"})
