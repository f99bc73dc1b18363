"""Simple effects after a mixed ANOVA, with the model's error terms (as SPSS EMMEANS COMPARE).

* Time within each arm: for each pair of time points the difference scores, with the
  variance pooled across arms (df = N − arms), as SPSS's multivariate-based pairwise tests.
  With one arm: each time point against the first (baseline), df = N − 1, which is the paired
  t-test of each visit against baseline (emmeans' ``trt.vs.ctrl`` contrasts on a within-only
  afex fit).
* Arms at each time point: pairwise differences with the variance pooled across arms at that
  time point (df = N − arms). None with one arm.
p values are adjusted within each family (one arm's time comparisons, or one time point's arm
comparisons) by Bonferroni or Holm, over the contrasts of the family that have a p value (as R's
``p.adjust``, which leaves NA out of the count).

A contrast without error (every participant's difference the same within each arm, or every
value at the time point the same within each arm) or without error degrees of freedom has an
estimate but no test: se (if 0), t, p, p_adj and the interval are NaN, and ``note`` says why.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from trialflow.stats import ZERO_SS

COLUMNS = [
    "family",
    "level",
    "contrast",
    "estimate",
    "se",
    "df",
    "t",
    "p",
    "p_adj",
    "adjust",
    "ci_low",
    "ci_high",
    "note",
]
NO_PARTICIPANT = "no participant in arm {arm}"
NO_DF = "no error degrees of freedom: as many participants as arms"
NO_ERROR_TIME = "no error variance: within each arm every participant has the same difference {b} - {a}"
NO_ERROR_ARM = "no error variance: the values at {t} are identical within each arm"


def adjust_p(p: np.ndarray, method: str) -> np.ndarray:
    """Bonferroni or Holm adjustment of a family of p values (capped at 1); NaN stays NaN and is
    not counted (as R's ``p.adjust``)."""
    p = np.asarray(p, float)
    if np.isnan(p).any():
        out = np.full_like(p, np.nan)
        out[~np.isnan(p)] = adjust_p(p[~np.isnan(p)], method)
        return out
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
    """Pairwise time comparisons within each arm and arm comparisons at each time point; with
    one arm, each time point against the first.

    ``data`` must be complete (every subject at every level).

    Returns
    -------
    DataFrame with columns family ('time within arm' | 'arm at time'), level (the arm or the
    time point), contrast ('post - pre', 'training - control'), estimate (mean difference),
    se, df, t, p (unadjusted), p_adj, adjust, ci_low, ci_high (unadjusted 95 % CI), note ('' or
    why the contrast has no test: :data:`NO_DF`, :data:`NO_ERROR_TIME`, :data:`NO_ERROR_ARM`).
    """
    wide = data.pivot(index=subject, columns=within, values=dv)[levels]
    if wide.isna().any().any():
        raise ValueError("simple_effects needs every subject at every time point; use complete_cases first")
    arm_of = data.drop_duplicates(subject).set_index(subject)[between].reindex(wide.index)
    n_total, rows = len(wide), []
    df = n_total - len(arms)
    tcrit = stats.t.ppf(0.5 + conf / 2, df) if df > 0 else np.nan
    codes = pd.Categorical(arm_of, categories=arms).codes  # -1: an arm not in ``arms`` (left out of the sums)
    in_arms = codes >= 0
    sizes = np.bincount(codes[in_arms], minlength=len(arms))

    # A pooled sum of squares below ZERO_SS x (sum of squared values) is rounding, not error.
    zero = ZERO_SS * float(np.sum(wide.to_numpy(float)[in_arms] ** 2))

    def pooled_var(values: pd.Series) -> float:
        v = values.to_numpy(float)[in_arms]
        means = np.bincount(codes[in_arms], weights=v, minlength=len(arms)) / np.maximum(sizes, 1)
        ss = float(np.sum((v - means[codes[in_arms]]) ** 2))
        if df < 1 or ss <= zero:
            return 0.0  # no error (or no df): the contrast has no test
        return ss / df

    member = {arm: (arm_of == arm).to_numpy() for arm in arms}  # once: string comparisons dominated
    pairs = [(levels[0], b) for b in levels[1:]] if len(arms) == 1 else list(combinations(levels, 2))
    for arm in arms:
        family = []
        for a, b in pairs:
            diff = wide[b] - wide[a]
            n = int(member[arm].sum())
            est = float(diff[member[arm]].mean()) if n else np.nan
            se = float(np.sqrt(pooled_var(diff) / n)) if n else np.nan
            note = (
                NO_PARTICIPANT.format(arm=arm)
                if not n
                else NO_DF
                if df < 1
                else NO_ERROR_TIME.format(a=a, b=b)
                if se == 0
                else ""
            )
            family.append(
                {
                    "family": "time within arm",
                    "level": arm,
                    "contrast": f"{b} - {a}",
                    "estimate": est,
                    "se": se,
                    "note": note,
                }
            )
        rows += _finish(family, df, tcrit, adjust)
    for time in levels if len(arms) > 1 else []:
        family = []
        values = wide[time]
        var = pooled_var(values)
        note = NO_DF if df < 1 else NO_ERROR_ARM.format(t=time) if var == 0 else ""
        for a, b in combinations(arms, 2):
            na, nb = int(member[a].sum()), int(member[b].sum())
            empty = [arm for arm, size in ((a, na), (b, nb)) if not size]
            family.append(
                {
                    "family": "arm at time",
                    "level": time,
                    "contrast": f"{b} - {a}",
                    "estimate": float(values[member[b]].mean() - values[member[a]].mean()) if not empty else np.nan,
                    "se": float(np.sqrt(var * (1 / na + 1 / nb))) if not empty else np.nan,
                    "note": NO_PARTICIPANT.format(arm=empty[0]) if empty else note,
                }
            )
        rows += _finish(family, df, tcrit, adjust)
    return pd.DataFrame(rows, columns=COLUMNS)


def _finish(family: list[dict], df: int, tcrit: float, adjust: str) -> list[dict]:
    for row in family:
        row["df"] = float(df)
        row["adjust"] = adjust
        if row["note"]:
            row |= dict.fromkeys(["t", "p", "ci_low", "ci_high"], np.nan)
            continue
        row["t"] = row["estimate"] / row["se"]
        row["p"] = float(2 * stats.t.sf(abs(row["t"]), df))
        row["ci_low"] = row["estimate"] - tcrit * row["se"]
        row["ci_high"] = row["estimate"] + tcrit * row["se"]
    for row, p_adj in zip(family, adjust_p(np.array([r["p"] for r in family]), adjust), strict=True):
        row["p_adj"] = float(p_adj)
    return family
