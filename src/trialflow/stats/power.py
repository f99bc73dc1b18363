"""A-priori sample size and post-hoc power as G*Power computes them.

Design covered: G*Power 3.1, test family "F tests", statistical test
"ANOVA: Repeated measures, within-between interaction", with the default
effect-size option "as in G*Power 3.0" (Cohen's *f* of the interaction, the
correlation among repeated measures entered separately).

Model (Faul, Erdfelder, Lang & Buchner, 2007, *Behav. Res. Methods* 39,
175-191; G*Power 3.1 manual, repeated-measures ANOVA chapter), with
``N`` the total sample size, ``k`` groups, ``m`` measurements, ``rho`` the
correlation among repeated measures and ``eps`` the nonsphericity correction:

* noncentrality  ``lambda = f**2 * N * m * eps / (1 - rho)``
* numerator df   ``df1 = (k - 1) * (m - 1) * eps``
* denominator df ``df2 = (N - k) * (m - 1) * eps``
* critical F     ``F_crit = F^{-1}_{df1, df2}(1 - alpha)`` (central F)
* power          ``P(F'_{df1, df2, lambda} > F_crit)`` (noncentral F)

A-priori sample size: G*Power reports the total N for *equal group sizes*,
i.e. the smallest multiple of the number of groups whose power reaches the
target. Evidence: a G*Power 3.1 protocol for the sibling test "ANOVA:
Repeated measures, within factors" (f = .25, alpha = .05, power = .95,
3 groups, 3 measurements, rho = .5, eps = 1) reports "Total sample size = 45,
Actual power = 0.9597015" although N = 43 already exceeds .95 (0.9510513);
45 is the next multiple of 3 (see ``tests/test_power.py``).
"""

from __future__ import annotations

import math

from scipy import stats

__all__ = ["power_rm_within_between", "sample_size_rm_within_between"]

_EFFECTS = ("interaction", "within")


def _check_design(f, alpha, groups, measurements, corr, eps):
    if not (isinstance(f, (int, float)) and math.isfinite(f) and f > 0):
        raise ValueError(f"effect size f must be a finite number > 0, got {f!r}")
    if not (0 < alpha < 1):
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    if int(groups) != groups or groups < 1:
        raise ValueError(f"groups must be a positive integer, got {groups!r}")
    if int(measurements) != measurements or measurements < 2:
        raise ValueError(f"measurements must be an integer >= 2, got {measurements!r}")
    if not (-1 < corr < 1):
        raise ValueError(f"corr (correlation among repeated measures) must lie in (-1, 1), got {corr!r}")
    lower = 1.0 / (measurements - 1)
    if not (lower - 1e-12 <= eps <= 1.0):
        raise ValueError(
            f"eps (nonsphericity correction) must lie in [1/(m-1), 1] = "
            f"[{lower:.6g}, 1] for {measurements} measurements, got {eps!r}"
        )


def _rm_anova_power(n_total, f, alpha, groups, measurements, corr, eps, effect):
    """Power of G*Power's repeated-measures F tests ("interaction" or "within")."""
    if effect == "interaction":
        df1 = (groups - 1) * (measurements - 1) * eps
    elif effect == "within":
        df1 = (measurements - 1) * eps
    else:  # pragma: no cover - internal
        raise ValueError(f"effect must be one of {_EFFECTS}, got {effect!r}")
    df2 = (n_total - groups) * (measurements - 1) * eps
    noncentrality = f**2 * n_total * measurements * eps / (1 - corr)
    critical_f = stats.f.isf(alpha, df1, df2)
    power = stats.ncf.sf(critical_f, df1, df2, noncentrality)
    return {
        "total_n": int(n_total),
        "actual_power": float(power),
        "noncentrality": float(noncentrality),
        "critical_F": float(critical_f),
        "df1": float(df1),
        "df2": float(df2),
    }


def _rm_anova_sample_size(f, alpha, power, groups, measurements, corr, eps, effect):
    """Smallest multiple of ``groups`` with power >= target (G*Power, equal group sizes)."""
    if not (alpha < power < 1):
        raise ValueError(f"target power must lie in (alpha, 1) = ({alpha}, 1), got {power!r}")

    def pw(per_group):
        return _rm_anova_power(groups * per_group, f, alpha, groups, measurements, corr, eps, effect)["actual_power"]

    # per-group n = 1 leaves df2 = 0 (no error df); start at 2 per group.
    lo = 1  # invariant: pw(lo) < power (or lo is infeasible)
    hi = 2
    while pw(hi) < power:
        lo, hi = hi, hi * 2
        if hi > 10**9:
            raise ValueError("required sample size exceeds 1e9; effect size too small")
    while hi - lo > 1:  # power is increasing in N: bisect on the per-group size
        mid = (lo + hi) // 2
        if pw(mid) >= power:
            hi = mid
        else:
            lo = mid
    out = _rm_anova_power(groups * hi, f, alpha, groups, measurements, corr, eps, effect)
    out["n_per_group"] = hi
    return out


def power_rm_within_between(n_total, f, alpha=0.05, groups=2, measurements=2, corr=0.5, eps=1.0):
    """Post-hoc power of G*Power's "ANOVA: Repeated measures, within-between interaction".

    Parameters
    ----------
    n_total : int
        Total sample size over all groups (need not be a multiple of ``groups``;
        G*Power's post-hoc mode does not require it). Must exceed ``groups``.
    f : float
        Cohen's *f* of the group x time interaction, G*Power 3.0 convention
        (the correlation among repeated measures is *not* folded into *f*).
    alpha : float, default 0.05
        Type I error rate.
    groups : int, default 2
        Number of groups (levels of the between-subject factor), >= 2.
    measurements : int, default 2
        Number of repeated measurements, >= 2.
    corr : float, default 0.5
        Correlation among repeated measures, in (-1, 1).
    eps : float, default 1.0
        Nonsphericity correction epsilon, in [1/(measurements-1), 1].

    Returns
    -------
    dict
        ``total_n``, ``n_per_group`` (``n_total / groups``, a float if unequal),
        ``actual_power``, ``noncentrality`` (lambda), ``critical_F``, ``df1``,
        ``df2``, and the inputs ``f``, ``alpha``, ``groups``, ``measurements``,
        ``corr``, ``eps``. Values are unrounded.

    Examples
    --------
    >>> res = power_rm_within_between(46, f=0.25, groups=2, measurements=2, corr=0.5)
    >>> round(res["actual_power"], 4), res["noncentrality"]
    (0.9125, 11.5)
    """
    _check_design(f, alpha, groups, measurements, corr, eps)
    if groups < 2:
        raise ValueError("the within-between interaction needs at least 2 groups")
    if int(n_total) != n_total or n_total <= groups:
        raise ValueError(f"n_total must be an integer > groups ({groups}), got {n_total!r}")
    out = _rm_anova_power(int(n_total), f, alpha, groups, measurements, corr, eps, "interaction")
    out["n_per_group"] = n_total / groups
    out.update(f=f, alpha=alpha, groups=groups, measurements=measurements, corr=corr, eps=eps)
    return out


def sample_size_rm_within_between(f, alpha=0.05, power=0.80, groups=2, measurements=2, corr=0.5, eps=1.0):
    """A-priori total sample size for G*Power's within-between interaction test.

    Returns the smallest total N that is a multiple of ``groups`` (equal
    allocation, as G*Power reports it) whose power is at least ``power``; see
    the module docstring for the noncentral-F model and the evidence for the
    rounding rule.

    Parameters
    ----------
    f : float
        Cohen's *f* of the group x time interaction (G*Power 3.0 convention).
    alpha : float, default 0.05
        Type I error rate.
    power : float, default 0.80
        Target power (1 - beta), in (alpha, 1).
    groups : int, default 2
        Number of groups, >= 2.
    measurements : int, default 2
        Number of repeated measurements, >= 2.
    corr : float, default 0.5
        Correlation among repeated measures, in (-1, 1).
    eps : float, default 1.0
        Nonsphericity correction epsilon, in [1/(measurements-1), 1].

    Returns
    -------
    dict
        ``total_n`` (G*Power's "Total sample size"), ``n_per_group``,
        ``actual_power``, ``noncentrality`` (lambda at ``total_n``),
        ``critical_F``, ``df1``, ``df2``, and the inputs ``f``, ``alpha``,
        ``target_power``, ``groups``, ``measurements``, ``corr``, ``eps``.
        Values are unrounded.

    Examples
    --------
    The trial's setting (f = 0.3, alpha = .05, power = .80, 2 groups,
    2 measurements, rho = .5, eps = 1):

    >>> res = sample_size_rm_within_between(0.3, alpha=0.05, power=0.80, groups=2,
    ...                                     measurements=2, corr=0.5, eps=1.0)
    >>> res["total_n"], res["n_per_group"], round(res["actual_power"], 4)
    (24, 12, 0.8021)
    """
    _check_design(f, alpha, groups, measurements, corr, eps)
    if groups < 2:
        raise ValueError("the within-between interaction needs at least 2 groups")
    out = _rm_anova_sample_size(f, alpha, power, groups, measurements, corr, eps, "interaction")
    out.update(f=f, alpha=alpha, target_power=power, groups=groups, measurements=measurements, corr=corr, eps=eps)
    return out
