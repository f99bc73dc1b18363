"""Assumption checks as SPSS reports them: Shapiro–Wilk normality, Levene homogeneity.

Levene's test is centred on the **mean** by default (SPSS, ``car::leveneTest(center=mean)``
as afex reports it); scipy's default is the median (Brown–Forsythe), so the centre is
always passed explicitly and written into the results.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def shapiro(values) -> dict:
    """Shapiro–Wilk W and p (Royston's algorithm, as R's ``shapiro.test``); NaN when n < 3."""
    x = np.asarray(values, float)
    x = x[~np.isnan(x)]
    if len(x) < 3:
        return {"statistic": float("nan"), "p": float("nan"), "n": len(x)}
    res = stats.shapiro(x)
    return {"statistic": float(res.statistic), "p": float(res.pvalue), "n": len(x)}


def levene(data: pd.DataFrame, dv: str, group: str, center: str = "mean") -> dict:
    """Levene's test of equal variances across ``group``.

    Returns
    -------
    dict with statistic (F), df1 (groups − 1), df2 (n − groups), p, center.
    """
    samples = [g[dv].to_numpy(float) for _, g in data.groupby(group, sort=True)]
    n = sum(len(s) for s in samples)
    res = stats.levene(*samples, center=center)
    return {
        "statistic": float(res.statistic),
        "df1": float(len(samples) - 1),
        "df2": float(n - len(samples)),
        "p": float(res.pvalue),
        "center": center,
    }
