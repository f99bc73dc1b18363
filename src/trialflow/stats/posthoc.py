"""Simple effects after a mixed ANOVA, with the model's error terms (as SPSS EMMEANS COMPARE).

* Time within each arm: for each pair of time points the difference scores, with the
  variance pooled across arms (df = N − arms), as SPSS's multivariate-based pairwise tests.
* Arms at each time point: pairwise differences with the variance pooled across arms at that
  time point (df = N − arms).
p values are adjusted within each family (one arm's time comparisons, or one time point's arm
comparisons) by Bonferroni or Holm.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

COLUMNS = ["family", "level", "contrast", "estimate", "se", "df", "t", "p", "p_adj", "adjust", "ci_low", "ci_high"]


def adjust_p(p: np.ndarray, method: str) -> np.ndarray:
    """Bonferroni or Holm adjustment of a family of p values (capped at 1)."""
    p = np.asarray(p, float)
    if method == "bonferroni":
        return np.minimum(p * len(p), 1.0)
    if method == "holm":
        order = np.argsort(p)
        scaled = np.maximum.accumulate(p[order] * (len(p) - np.arange(len(p))))
        out = np.empty_like(p)
        out[order] = np.minimum(scaled, 1.0)
        return out
    raise ValueError(f"unknown adjustment {method!r}: use 'bonferroni' or 'holm'")


def simple_effects(
    data: pd.DataFrame,
    dv: str,
    within: str,
    between: str,
    subject: str,
    levels: list[str],
    arms: list[str],
    adjust: str = "bonferroni",
    conf: float = 0.95,
) -> pd.DataFrame:
    """Pairwise time comparisons within each arm and arm comparisons at each time point.

    ``data`` must be complete (every subject at every level).

    Returns
    -------
    DataFrame with columns family ('time within arm' | 'arm at time'), level (the arm or the
    time point), contrast ('post - pre', 'training - control'), estimate (mean difference),
    se, df, t, p (unadjusted), p_adj, adjust, ci_low, ci_high (unadjusted 95 % CI).
    """
    wide = data.pivot(index=subject, columns=within, values=dv)[levels]
    if wide.isna().any().any():
        raise ValueError("simple_effects needs every subject at every time point; use complete_cases first")
    arm_of = data.drop_duplicates(subject).set_index(subject)[between].reindex(wide.index)
    n_total, rows = len(wide), []
    df = n_total - len(arms)
    tcrit = stats.t.ppf(0.5 + conf / 2, df)
    codes = pd.Categorical(arm_of, categories=arms).codes  # -1: an arm not in ``arms`` (left out of the sums)
    in_arms = codes >= 0
    sizes = np.bincount(codes[in_arms], minlength=len(arms))

    def pooled_var(values: pd.Series) -> float:
        v = values.to_numpy(float)[in_arms]
        means = np.bincount(codes[in_arms], weights=v, minlength=len(arms)) / np.maximum(sizes, 1)
        return float(np.sum((v - means[codes[in_arms]]) ** 2) / df)

    member = {arm: (arm_of == arm).to_numpy() for arm in arms}  # once: string comparisons dominated
    for arm in arms:
        family = []
        for a, b in combinations(levels, 2):
            diff = wide[b] - wide[a]
            n = int(member[arm].sum())
            est = float(diff[member[arm]].mean())
            se = float(np.sqrt(pooled_var(diff) / n))
            family.append(
                {"family": "time within arm", "level": arm, "contrast": f"{b} - {a}", "estimate": est, "se": se}
            )
        rows += _finish(family, df, tcrit, adjust)
    for time in levels:
        family = []
        values = wide[time]
        var = pooled_var(values)
        for a, b in combinations(arms, 2):
            na, nb = int(member[a].sum()), int(member[b].sum())
            est = float(values[member[b]].mean() - values[member[a]].mean())
            family.append(
                {
                    "family": "arm at time",
                    "level": time,
                    "contrast": f"{b} - {a}",
                    "estimate": est,
                    "se": float(np.sqrt(var * (1 / na + 1 / nb))),
                }
            )
        rows += _finish(family, df, tcrit, adjust)
    return pd.DataFrame(rows, columns=COLUMNS)


def _finish(family: list[dict], df: int, tcrit: float, adjust: str) -> list[dict]:
    for row in family:
        row["df"] = float(df)
        row["t"] = row["estimate"] / row["se"]
        row["p"] = float(2 * stats.t.sf(abs(row["t"]), df))
        row["ci_low"] = row["estimate"] - tcrit * row["se"]
        row["ci_high"] = row["estimate"] + tcrit * row["se"]
        row["adjust"] = adjust
    for row, p_adj in zip(family, adjust_p(np.array([r["p"] for r in family]), adjust), strict=True):
        row["p_adj"] = float(p_adj)
    return family
