"""Mixed (split-plot) ANOVA: one within-subject factor (time), one between factor (arm).

Computed the way SPSS GLM Repeated Measures and R's ``afex::aov_ez`` (via ``car::Anova`` on
a multivariate linear model) compute it, so unequal arms get Type III sums of squares:

* between part: the subject totals (scaled by 1/√k) in a one-way ANOVA on arm;
* within part: the k − 1 orthonormal time contrasts of each subject, Z = Y·C, in a
  multivariate one-way model with cell means B. The time effect tests the *unweighted*
  mean of the arms' contrast means (Type III), the interaction tests equality of the arms'
  contrast means, and the error is the pooled within-arm SSCP matrix E. The univariate
  sums of squares are the traces of these matrices.

Mauchly's test and the Greenhouse–Geisser and Huynh–Feldt (Lecoutre-corrected, as car)
epsilons come from E, the same matrix for the time effect and the interaction.
pingouin 0.7's ``mixed_anova`` is not used: with unequal arms its time effect weights arms by
size (not Type III), it has no Huynh–Feldt correction and it drops incomplete participants
without a word (checked against afex in ``tests/test_reference_r.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

ANOVA_COLUMNS = [
    "effect",
    "ss",
    "ss_error",
    "df1",
    "df2",
    "F",
    "p",
    "pes",
    "eps_gg",
    "eps_hf",
    "p_gg",
    "p_hf",
    "mauchly_w",
    "mauchly_p",
]


def _wide(data, dv, within, between, subject, levels):
    wide = data.pivot(index=subject, columns=within, values=dv)
    if levels is not None:
        wide = wide[list(levels)]
    if wide.isna().any().any():
        raise ValueError("mixed_anova needs every subject at every time point; use complete_cases first")
    arms = data.drop_duplicates(subject).set_index(subject)[between].reindex(wide.index)
    return wide.to_numpy(float), arms.to_numpy()


def orthonormal_contrasts(k: int) -> np.ndarray:
    """A k × (k − 1) matrix with orthonormal columns, each orthogonal to the ones vector."""
    q, _ = np.linalg.qr(np.column_stack([np.ones(k), np.eye(k)[:, : k - 1]]))
    return q[:, 1:]


def mauchly(E: np.ndarray, df_error: int) -> tuple[float, float]:
    """Mauchly's W and its p value from an error SSCP matrix (as R's ``mauchly.test``)."""
    p = E.shape[0]
    if p < 2:
        return float("nan"), float("nan")
    sign, logdet = np.linalg.slogdet(E / df_error)
    log_w = logdet - p * np.log(np.trace(E / df_error) / p)
    rho = 1 - (2 * p**2 + p + 2) / (6 * p * df_error)
    # R's mauchly.test has 3k (= 3(p + 1)) where textbooks print 3p; we follow R.
    w2 = (p + 2) * (p - 1) * (p - 2) * (2 * p**3 + 6 * p**2 + 3 * (p + 1) + 2) / (288 * (df_error * p * rho) ** 2)
    z = -df_error * rho * log_w
    f = p * (p + 1) / 2 - 1
    pr1, pr2 = stats.chi2.sf(z, f), stats.chi2.sf(z, f + 4)
    return float(np.exp(log_w)), float(pr1 + w2 * (pr2 - pr1))


def sphericity_epsilons(E: np.ndarray, df_error: int) -> tuple[float, float]:
    """Greenhouse–Geisser ε and Huynh–Feldt ε (Lecoutre's correction, as ``car``/``afex``).

    The HF value is returned uncapped, as afex prints it; corrected p values use min(ε, 1).
    """
    p = E.shape[0]
    if p < 2:
        return 1.0, 1.0
    gg = np.trace(E) ** 2 / (p * np.trace(E @ E))
    hf = ((df_error + 1) * p * gg - 2) / (p * (df_error - p * gg))
    return float(gg), float(hf)


def mixed_anova(
    data: pd.DataFrame, dv: str, within: str, between: str, subject: str, levels: list[str] | None = None
) -> pd.DataFrame:
    """Mixed ANOVA with Type III sums of squares and sphericity statistics.

    Parameters
    ----------
    data : long frame, one row per subject × time point, complete (see :func:`trialflow.stats.complete.complete_cases`).
    dv, within, between, subject : column names of the value, time, arm and subject id.
    levels : order of the time points (only affects nothing numerically; default data order).

    Returns
    -------
    DataFrame with one row per effect (``group``, ``time``, ``interaction``) and columns
    effect, ss, ss_error, df1, df2, F, p, pes (partial η² = ss / (ss + ss_error)),
    eps_gg, eps_hf, p_gg, p_hf (Greenhouse–Geisser / Huynh–Feldt corrected p; NaN for group),
    mauchly_w, mauchly_p (NaN for group and for two time points, where sphericity holds).

    Examples
    --------
    >>> d = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 4], "arm": list("aabbaabb"),
    ...                   "t": ["pre", "post"] * 4, "y": [1.0, 2, 2, 5, 2, 4, 1, 3]})
    >>> res = mixed_anova(d, "y", "t", "arm", "id").set_index("effect")
    >>> round(float(res.loc["interaction", "F"]), 10)  # = t² of a t-test on the changes
    2.0
    """
    Y, arms = _wide(data, dv, within, between, subject, levels)
    n_subjects, k = Y.shape
    groups = list(pd.unique(arms))
    m = len(groups)
    if m < 2 or k < 2:
        raise ValueError("mixed_anova needs at least two arms and two time points")
    masks = [arms == g for g in groups]
    sizes = np.array([mask.sum() for mask in masks], float)
    df_between_error = n_subjects - m

    # Between subjects: one-way ANOVA of subject totals / sqrt(k).
    totals = Y.sum(axis=1) / np.sqrt(k)
    group_means = np.array([totals[mask].mean() for mask in masks])
    ss_group = float(np.sum(sizes * (group_means - totals.mean()) ** 2))
    ss_group_error = float(sum(((totals[mask] - totals[mask].mean()) ** 2).sum() for mask in masks))

    # Within subjects: orthonormal contrasts, cell-means model per arm.
    Z = Y @ orthonormal_contrasts(k)
    B = np.vstack([Z[mask].mean(axis=0) for mask in masks])
    resid = Z - B[[groups.index(a) for a in arms]]
    E = resid.T @ resid
    unweighted = B.mean(axis=0)
    ss_time = float(unweighted @ unweighted / (np.sum(1 / sizes) / m**2))
    weighted = sizes @ B / sizes.sum()
    ss_inter = float(np.sum(sizes[:, None] * (B - weighted) ** 2))
    ss_within_error = float(np.trace(E))

    w, w_p = mauchly(E, df_between_error)
    gg, hf = sphericity_epsilons(E, df_between_error)
    rows = []
    for effect, ss, ss_err, df1, df2, within_effect in [
        ("group", ss_group, ss_group_error, m - 1, df_between_error, False),
        ("time", ss_time, ss_within_error, k - 1, df_between_error * (k - 1), True),
        ("interaction", ss_inter, ss_within_error, (m - 1) * (k - 1), df_between_error * (k - 1), True),
    ]:
        F = (ss / df1) / (ss_err / df2)
        p = float(stats.f.sf(F, df1, df2))
        row = {
            "effect": effect,
            "ss": ss,
            "ss_error": ss_err,
            "df1": float(df1),
            "df2": float(df2),
            "F": F,
            "p": p,
            "pes": ss / (ss + ss_err),
        }
        if within_effect:
            hf_capped = min(hf, 1.0)
            row |= {
                "eps_gg": gg,
                "eps_hf": hf,
                "p_gg": float(stats.f.sf(F, df1 * gg, df2 * gg)),
                "p_hf": float(stats.f.sf(F, df1 * hf_capped, df2 * hf_capped)),
                "mauchly_w": w,
                "mauchly_p": w_p,
            }
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=ANOVA_COLUMNS)
