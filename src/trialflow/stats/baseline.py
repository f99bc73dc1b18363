"""Baseline characteristics compared between arms: numeric (t-tests, one-way ANOVAs) and
categorical (Pearson's χ², Fisher's exact test).

CONSORT advises against testing baseline differences in a randomised trial; trialflow computes
the tests only when the analysis plan asks for them. Each function returns one row per test
with the columns of :data:`TEST_COLUMNS`; a test that is undefined on the data has NaN numbers
and its reason in ``note`` (empty when the test is defined), as R refuses or prints NaN:

* numeric, two arms: Student's t (``t.test(var.equal = TRUE)``) and Welch's t
  (``t.test(var.equal = FALSE)``), statistic = t of the first arm minus the second;
* numeric, three or more arms: the one-way ANOVA (``oneway.test(var.equal = TRUE)``) and Welch's
  ANOVA (``oneway.test(var.equal = FALSE)``), statistic = F on (df, df2); both need two values
  in every arm (R: "not enough observations"), Welch's a variance in every arm;
* categorical: Pearson's χ² without continuity correction (``chisq.test(tab, correct = FALSE)``,
  SPSS's "Pearson Chi-Square") and Fisher's exact test (``fisher.test(tab)``, any r × c table;
  p only, as SPSS prints it: its ``statistic`` is empty).

Fisher's exact test of an r × c table is computed here, not by scipy: scipy 1.17's
``fisher_exact`` simulates r × c tables (Monte Carlo, another p on every call: 0.2374, 0.2414,
0.2357 where R's exact p is 0.241127 on a 2 × 3 table; 0.0028, 0.0038 for 0.003050 on a 3 × 3).
:func:`fisher_exact` enumerates the tables with the observed margins as R's ``fisher.test``
does (a table counts when its probability is at most the observed one × (1 + 1e-7)), pruning
whole sub-trees whose tables all count or all do not (the network algorithm of Mehta & Patel,
1983, with exact bounds).
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pandas as pd
from scipy import stats

from trialflow.stats import ZERO_SS

TEST_COLUMNS = ["test", "statistic", "df", "df2", "p", "note"]
FISHER_REL_ERR = 1 + 1e-7  # R's fisher.test: tables up to this factor more probable still count
FISHER_MAX_NODES = 20_000_000  # beyond this many partial tables the test says it was not computed
FISHER_TOO_LARGE = "not computed: too many tables with these margins to enumerate exactly"
STATE_COST = 10_000  # work units of one remaining-row-sums state (its set-up costs as much as many tables)


def compare_numeric(samples: dict[str, np.ndarray]) -> pd.DataFrame:
    """Student's and Welch's t (two arms) or the one-way and Welch's ANOVA (three or more).

    Parameters
    ----------
    samples : arm -> values (NaN ignored), arms in the design's order; at least two arms.

    Returns
    -------
    DataFrame with columns :data:`TEST_COLUMNS`: test (student, welch | anova, welch_anova),
    statistic (t or F), df (t's df, or F's numerator df), df2 (F's denominator df; NaN for t),
    p, note ('' or why the test is undefined).
    """
    arms = list(samples)
    if len(arms) < 2:
        raise ValueError("compare_numeric needs at least two arms")
    x = {a: pd.Series(samples[a], dtype=float).dropna().to_numpy() for a in arms}
    n = {a: x[a].size for a in arms}
    empty = [a for a in arms if n[a] == 0]
    total = sum(n.values())
    allv = np.concatenate(list(x.values()))
    within = sum(float(np.sum((v - v.mean()) ** 2)) for v in x.values() if v.size)
    constant = within <= ZERO_SS * float(np.sum(allv**2))
    single = [a for a in arms if n[a] == 1]
    flat = [a for a in arms if n[a] >= 2 and np.sum((x[a] - x[a].mean()) ** 2) <= ZERO_SS * np.sum(x[a] ** 2)]

    common = (
        _no_value(empty)
        or (f"no error degrees of freedom: {total} values in {len(arms)} arms" if total - len(arms) < 1 else "")
        or ("the values are identical within each arm" if constant else "")
    )
    unequal = common or (
        f"needs two values in each arm: arm {single[0]} has one" if single else ""
    )  # Welch: a variance per arm
    rows = []
    if len(arms) == 2:
        a, b = (x[arm] for arm in arms)
        names = ("student", "welch")
        for name, equal, note in zip(names, (True, False), (common, unequal), strict=True):
            if note:
                rows.append(_undefined(name, note))
                continue
            res = stats.ttest_ind(a, b, equal_var=equal)
            rows.append(
                {"test": name, "statistic": float(res.statistic), "df": float(res.df), "df2": np.nan,
                 "p": float(res.pvalue), "note": ""}
            )  # fmt: skip
        return pd.DataFrame(rows, columns=TEST_COLUMNS)

    k = len(arms)
    if unequal:  # R's oneway.test needs two values in every arm, also with var.equal = TRUE
        rows.append(_undefined("anova", unequal))
    else:
        res = stats.f_oneway(*x.values())
        rows.append(
            {"test": "anova", "statistic": float(res.statistic), "df": float(k - 1), "df2": float(total - k),
             "p": float(res.pvalue), "note": ""}
        )  # fmt: skip
    note = unequal or (f"needs a variance in every arm: the values of arm {flat[0]} are identical" if flat else "")
    if note:
        rows.append(_undefined("welch_anova", note))
    else:
        rows.append({"test": "welch_anova", **_welch_anova(list(x.values())), "note": ""})
    return pd.DataFrame(rows, columns=TEST_COLUMNS)


def _welch_anova(samples: list[np.ndarray]) -> dict:
    """Welch's heteroscedastic one-way ANOVA (Welch 1951), R's ``oneway.test(var.equal = FALSE)``."""
    k = len(samples)
    n = np.array([s.size for s in samples], float)
    m = np.array([s.mean() for s in samples])
    w = n / np.array([s.var(ddof=1) for s in samples])
    grand = np.sum(w * m) / np.sum(w)
    tmp = np.sum((1 - w / np.sum(w)) ** 2 / (n - 1)) / (k**2 - 1)
    f = np.sum(w * (m - grand) ** 2) / ((k - 1) * (1 + 2 * (k - 2) * tmp))
    df2 = 1 / (3 * tmp)
    return {"statistic": float(f), "df": float(k - 1), "df2": float(df2), "p": float(stats.f.sf(f, k - 1, df2))}


def compare_categorical(table: pd.DataFrame) -> pd.DataFrame:
    """Pearson's χ² (no continuity correction) and Fisher's exact test of a levels × arms table.

    Parameters
    ----------
    table : counts, one row per level (all configured levels, also those nobody has), one
        column per arm (in the design's order); at least two arms.

    Returns
    -------
    DataFrame with columns :data:`TEST_COLUMNS`: test (chi_square | fisher), statistic (χ²;
    NaN for Fisher, which has none), df ((levels − 1)(arms − 1); NaN for Fisher), df2 (NaN), p,
    note. χ² is undefined with an arm or a level without participants (an expected count of 0:
    R prints NaN), Fisher's test with an arm without participants; both with fewer than two
    levels observed (a constant variable). Fisher's p does not change with a level nobody has
    (R's ``fisher.test`` gives the same p with or without that row).
    """
    counts = table.to_numpy(dtype=np.int64)
    if counts.shape[1] < 2:
        raise ValueError("compare_categorical needs at least two arms")
    empty_arms = [str(a) for a, c in zip(table.columns, counts.sum(axis=0), strict=True) if c == 0]
    empty_levels = [str(v) for v, c in zip(table.index, counts.sum(axis=1), strict=True) if c == 0]
    observed = counts.shape[0] - len(empty_levels)
    common = _no_value(empty_arms) or (
        "fewer than two levels observed: the variable is constant" if observed < 2 else ""
    )
    chi_note = common or (
        f"level{'s' if len(empty_levels) > 1 else ''} {', '.join(empty_levels)} "
        f"{'have' if len(empty_levels) > 1 else 'has'} no participant: an expected count of 0"
        if empty_levels
        else ""
    )
    rows = []
    if chi_note:
        rows.append(_undefined("chi_square", chi_note))
    else:
        res = stats.chi2_contingency(counts, correction=False)
        rows.append(
            {"test": "chi_square", "statistic": float(res.statistic), "df": float(res.dof), "df2": np.nan,
             "p": float(res.pvalue), "note": ""}
        )  # fmt: skip
    if common:
        rows.append(_undefined("fisher", common))
    else:
        p = fisher_exact(counts[counts.sum(axis=1) > 0])
        note = "" if not math.isnan(p) else FISHER_TOO_LARGE
        rows.append({"test": "fisher", "statistic": np.nan, "df": np.nan, "df2": np.nan, "p": p, "note": note})
    return pd.DataFrame(rows, columns=TEST_COLUMNS)


def _no_value(empty: list[str]) -> str:
    if not empty:
        return ""
    if len(empty) == 1:
        return f"arm {empty[0]} has no participant with a value"
    return f"arms {', '.join(map(str, empty))} have no participant with a value"


def _undefined(test: str, note: str) -> dict:
    return {"test": test, "statistic": np.nan, "df": np.nan, "df2": np.nan, "p": np.nan, "note": note}


def fisher_exact(table) -> float:
    """Two-sided p of Fisher's exact test of an r × c table of counts, as R's ``fisher.test``.

    The p value is the total probability, under independence with both margins fixed, of the
    tables whose probability is at most the observed table's × (1 + 1e-7). Tables are built
    column by column (the network algorithm of Mehta & Patel, 1983): partial tables with the
    same remaining row sums and the same probability so far are merged, and a partial table
    whose completions all count (or all do not) is summed in closed form (or dropped), decided
    by the least and most probable completion (exact, memoised per remaining row sums). NaN
    when more than ``FISHER_MAX_NODES`` partial tables (or completion steps) would be needed,
    where R's FEXACT stops for lack of workspace too.

    Examples
    --------
    >>> round(fisher_exact([[3, 1], [1, 5]]), 12)   # R: fisher.test(matrix(c(3, 1, 1, 5), 2))
    0.190476190476
    """
    t = np.asarray(table, dtype=np.int64)
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    if t.ndim != 2 or min(t.shape) < 2:
        return 1.0
    if t.shape[0] > t.shape[1]:  # fewer rows: fewer compositions per column
        t = t.T
    rows = tuple(sorted(int(r) for r in t.sum(axis=1)))
    cols = tuple(sorted((int(c) for c in t.sum(axis=0)), reverse=True))
    total = sum(rows)
    lf = np.array([math.lgamma(i + 1) for i in range(total + 1)])
    # log P(table) = const - sum(log x_ij!), const = sum log R! + sum log C! - log N!
    const = float(lf[list(rows)].sum() + lf[list(cols)].sum() - lf[total])
    threshold = float(lf[t.ravel()].sum()) - math.log(FISHER_REL_ERR)  # a table counts when its sum of log x! >= this
    work = [0]

    @cache
    def children(j: int, remaining: tuple[int, ...]) -> tuple[list, list, np.ndarray, np.ndarray]:
        """Column j filled every way: the remaining row sums after it, the sums of log x! that
        lead to each, and their least and greatest."""
        xs = _compositions(cols[j], remaining)
        work[0] += len(xs) + STATE_COST
        if work[0] > FISHER_MAX_NODES:
            raise _TooLarge
        rest = np.sort(np.array(remaining)[None, :] - xs, axis=1)
        inc = lf[xs].sum(axis=1)
        keys, inverse, sizes = np.unique(rest, axis=0, return_inverse=True, return_counts=True)
        order = np.argsort(inverse.ravel(), kind="stable")
        starts = np.cumsum(sizes) - sizes
        grouped = inc[order]
        incs = np.split(grouped, starts[1:])
        children = [tuple(int(v) for v in key) for key in keys]
        return children, incs, np.minimum.reduceat(grouped, starts), np.maximum.reduceat(grouped, starts)

    @cache
    def bounds(j: int, remaining: tuple[int, ...]) -> tuple[float, float]:
        """The least and greatest sum of log x! over the completions of columns j, j + 1, …"""
        if j == len(cols):
            return 0.0, 0.0
        states, _, low, high = children(j, remaining)
        below = np.array([bounds(j + 1, state) for state in states])
        return float(np.min(low + below[:, 0])), float(np.max(high + below[:, 1]))

    counted: list[float] = []
    level = {rows: (np.zeros(1), np.zeros(1))}  # remaining row sums -> (sums of log x! so far, log paths)
    try:
        for j in range(len(cols) + 1):
            following: dict[tuple[int, ...], list[tuple[np.ndarray, np.ndarray]]] = {}
            for remaining, (score, log_paths) in level.items():
                lo, hi = bounds(j, remaining)
                every = score + lo >= threshold  # each completion at most as probable as the observed table
                if every.any():
                    log_mass = lf[sum(remaining)] - lf[list(remaining)].sum() - lf[list(cols[j:])].sum()
                    counted.append(float(np.logaddexp.reduce(log_paths[every] - score[every])) + log_mass)
                some = ~every & (score + hi >= threshold)
                if not some.any():
                    continue
                states, incs, _, _ = children(j, remaining)
                work[0] += int(some.sum()) * sum(inc.size for inc in incs)
                if work[0] > FISHER_MAX_NODES:
                    raise _TooLarge
                for child, inc in zip(states, incs, strict=True):
                    new = (score[some][:, None] + inc[None, :]).ravel()
                    following.setdefault(child, []).append((new, np.repeat(log_paths[some], inc.size)))
            level = {state: _merge(parts) for state, parts in following.items()}
    except _TooLarge:
        return float("nan")
    if not counted:
        return 0.0
    return min(1.0, math.exp(const + float(np.logaddexp.reduce(np.array(counted)))))


class _TooLarge(Exception):
    """More work than ``FISHER_MAX_NODES``: the exact test is not computed."""


def _merge(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Partial tables with equal sums of log x! (to rounding) as one, their path counts added."""
    score = np.concatenate([p[0] for p in parts])
    log_paths = np.concatenate([p[1] for p in parts])
    keys, first, inverse = np.unique(np.round(score, 9), return_index=True, return_inverse=True)
    merged = np.full(len(keys), -np.inf)
    np.logaddexp.at(merged, inverse, log_paths)
    return score[first], merged


def _compositions(total: int, caps: tuple[int, ...]) -> np.ndarray:
    """Every split of ``total`` into len(caps) non-negative parts, part i at most caps[i]: one row each."""
    parts, left = np.zeros((1, 0), dtype=np.int64), np.array([total], dtype=np.int64)
    for i in range(len(caps) - 1):
        lo = np.maximum(0, left - sum(caps[i + 1 :]))
        k = np.minimum(caps[i], left) - lo + 1  # choices for part i
        keep = k > 0
        parts, left, lo, k = parts[keep], left[keep], lo[keep], k[keep]
        which = np.repeat(np.arange(len(k)), k)
        x = lo[which] + np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k)
        parts, left = np.column_stack([parts[which], x]), left[which] - x
    keep = left <= caps[-1]
    return np.column_stack([parts[keep], left[keep]])
