"""Assumption checks as SPSS reports them: Shapiro–Wilk normality, Levene homogeneity.

Levene's test is centred on the **mean** by default (SPSS, ``car::leveneTest(center=mean)``
as afex reports it); scipy's default is the median (Brown–Forsythe), so the centre is
always passed explicitly and written into the results.

A test that is undefined on its data gives NaN and says why in ``note`` (empty when the test
is defined), never a number that looks real: scipy returns W = 1, p = 1 for constant values,
where R's ``shapiro.test`` stops ("all 'x' values are identical"), and Levene's F is 0/0 when
every arm is constant.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

SHAPIRO_MIN, SHAPIRO_MAX = 3, 5000  # R's shapiro.test: "sample size must be between 3 and 5000"
IDENTICAL_RANGE = 1e-10  # R's shapiro.test: a range below this is "all 'x' values are identical"
# Levene's F is undefined when the absolute deviations do not vary within any arm (a sum of
# squares below this fraction of their sum of squares is rounding: two values in an arm always
# have equal deviations from their mean).
ZERO_SPREAD = 1e-20


def shapiro(values) -> dict:
    """Shapiro–Wilk W and p (Royston's algorithm, as R's ``shapiro.test``), NaN where R refuses.

    Returns
    -------
    dict with statistic (W), p, n (non-missing values) and note: '' or why the test is
    undefined: ``fewer than 3 values``, ``more than 5000 values`` (R's limits), ``all values
    are identical`` (range below 1e-10, R's rule).
    """
    x = np.asarray(values, float)
    x = x[~np.isnan(x)]
    note = ""
    if len(x) < SHAPIRO_MIN:
        note = f"fewer than {SHAPIRO_MIN} values"
    elif len(x) > SHAPIRO_MAX:
        note = f"more than {SHAPIRO_MAX} values"
    elif np.ptp(x) < IDENTICAL_RANGE:
        note = "all values are identical"
    if note:
        return {"statistic": float("nan"), "p": float("nan"), "n": len(x), "note": note}
    res = stats.shapiro(x)
    return {"statistic": float(res.statistic), "p": float(res.pvalue), "n": len(x), "note": ""}


def levene(data: pd.DataFrame, dv: str, group: str, center: str = "mean") -> dict:
    """Levene's test of equal variances across ``group`` (the groups with a value).

    Returns
    -------
    dict with statistic (F), df1 (groups − 1), df2 (n − groups), p, center and note: '' or why
    F is undefined (statistic and p NaN): ``fewer than two arms with values``, ``no error
    degrees of freedom: one value per arm``, ``the values are identical within each arm``, or
    ``the absolute deviations from the arm's mean are identical within each arm`` (e.g. two
    values per arm; car prints an astronomically large F with the warning "essentially perfect
    fit").
    """
    values = data.dropna(subset=[dv])
    samples = [g[dv].to_numpy(float) for _, g in values.groupby(group, sort=True)]
    n = sum(len(s) for s in samples)
    out = {"df1": float(len(samples) - 1), "df2": float(n - len(samples)), "center": center}
    note = ""
    if len(samples) < 2:
        note = "fewer than two arms with values"
    elif n - len(samples) < 1:
        note = "no error degrees of freedom: one value per arm"
    else:
        centre = np.mean if center == "mean" else np.median
        dev = [np.abs(s - centre(s)) for s in samples]
        spread = sum(float(np.sum((z - z.mean()) ** 2)) for z in dev)
        if all(np.ptp(s) == 0 for s in samples):
            note = "the values are identical within each arm"
        elif spread <= ZERO_SPREAD * sum(float(np.sum(z**2)) for z in dev):
            note = "the absolute deviations from the arm's mean are identical within each arm"
    if note:
        return {"statistic": float("nan"), "p": float("nan"), **out, "note": note}
    res = stats.levene(*samples, center=center)
    return {"statistic": float(res.statistic), "p": float(res.pvalue), **out, "note": ""}
