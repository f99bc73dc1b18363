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

One implementation, vectorised over outcomes: :func:`mixed_anova_many` computes the ANOVA of
every outcome of a trial in one pass, each on its own complete cases, and is what the pipeline
runs (:func:`trialflow.analysis.analyse_outcomes`). :func:`mixed_anova` is the same computation
for one outcome (a batch of one) that insists on complete data. :func:`mauchly` and
:func:`sphericity_epsilons` take a stack of error matrices E[o].

How the batch works: the long data become one array ``Y[outcome, participant, time]`` (NaN
where there is no value) and a mask ``M[outcome, participant]`` that is true where the
participant has a value at every time point: each outcome's complete cases, which may differ
between outcomes. Every quantity of the ANOVA is a (masked) sum over participants within arms,
so it is computed for all outcomes at once with ``einsum``: arm sizes n[o, g], arm means of the
subject totals and of the orthonormal time contrasts, the residual SSCP matrices E[o] (a stack
of (k−1) × (k−1) matrices; determinants and traces are batched). An arm with no complete
participant for an outcome is left out of that outcome's ANOVA. Memory is O(outcomes ×
participants × time points) floats: 50 × 2,000 × 4 is 3 MB. The last digits of an outcome's
numbers can depend on which other outcomes share the pass (summation order), not more.
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
EFFECTS = ["group", "time", "interaction"]


def orthonormal_contrasts(k: int) -> np.ndarray:
    """A k × (k − 1) matrix with orthonormal columns, each orthogonal to the ones vector."""
    q, _ = np.linalg.qr(np.column_stack([np.ones(k), np.eye(k)[:, : k - 1]]))
    return q[:, 1:]


def mauchly(E: np.ndarray, df_error: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mauchly's W and its p value for each error SSCP matrix E[o] (as R's ``mauchly.test``).

    ``E`` is a stack (outcomes × p × p), ``df_error`` its error degrees of freedom (one per
    matrix). With p < 2 (two time points) the test does not apply: NaN.
    """
    p = E.shape[1]
    if p < 2:
        nan = np.full(E.shape[0], np.nan)
        return nan, nan.copy()
    S = E / df_error[:, None, None]
    _, logdet = np.linalg.slogdet(S)
    log_w = logdet - p * np.log(np.trace(S, axis1=1, axis2=2) / p)
    rho = 1 - (2 * p**2 + p + 2) / (6 * p * df_error)
    # R's mauchly.test has 3k (= 3(p + 1)) where textbooks print 3p; we follow R.
    w2 = (p + 2) * (p - 1) * (p - 2) * (2 * p**3 + 6 * p**2 + 3 * (p + 1) + 2) / (288 * (df_error * p * rho) ** 2)
    z = -df_error * rho * log_w
    f = p * (p + 1) / 2 - 1
    pr1, pr2 = stats.chi2.sf(z, f), stats.chi2.sf(z, f + 4)
    return np.exp(log_w), pr1 + w2 * (pr2 - pr1)


def sphericity_epsilons(E: np.ndarray, df_error: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Greenhouse–Geisser ε and Huynh–Feldt ε (Lecoutre's correction, as ``car``/``afex``) of each E[o].

    ``E`` and ``df_error`` as for :func:`mauchly`. The HF value is returned uncapped, as afex
    prints it; corrected p values use min(ε, 1). With p < 2 both are 1.
    """
    p = E.shape[1]
    if p < 2:
        one = np.ones(E.shape[0])
        return one, one.copy()
    gg = np.trace(E, axis1=1, axis2=2) ** 2 / (p * np.einsum("oij,oji->o", E, E))
    hf = ((df_error + 1) * p * gg - 2) / (p * (df_error - p * gg))
    return gg, hf


def mixed_anova_many(
    data: pd.DataFrame,
    dv: str,
    within: str,
    between: str,
    subject: str,
    outcome: str,
    levels: list[str] | None = None,
) -> pd.DataFrame:
    """Mixed ANOVA (Type III, sphericity statistics) of every outcome, each on its complete cases.

    The implementation (vectorised over outcomes, see the module docstring); :func:`mixed_anova`
    is its batch of one.

    Parameters
    ----------
    data : long frame, one row per outcome × participant × time point; rows with a missing
        ``dv`` count as absent. Need not be complete: per outcome, the participants without a
        value at every level are left out (as :func:`trialflow.stats.complete.complete_cases`).
    dv, within, between, subject : column names of the value, time, arm and participant id.
    outcome : column naming the outcome of each row.
    levels : the time points (default: every level present, in data order); rows at other
        time points are ignored.

    Returns
    -------
    DataFrame with columns ``outcome`` + :data:`ANOVA_COLUMNS`, three rows
    (group, time, interaction) per outcome, outcomes in order of first appearance.

    Raises
    ------
    ValueError : an outcome with fewer than two arms among its complete cases, fewer than two
        levels, a participant in more than one arm, or two values for one outcome ×
        participant × time point.
    """
    levels = list(levels) if levels is not None else list(pd.unique(data[within]))
    k = len(levels)
    if k < 2:
        raise ValueError("mixed_anova_many needs at least two time points")
    d = data[data[within].isin(levels)].dropna(subset=[dv])

    arm_of = d.drop_duplicates([subject, between]).set_index(subject)[between]
    if arm_of.index.has_duplicates:
        twice = sorted(map(str, arm_of.index[arm_of.index.duplicated()].unique()))
        raise ValueError(f"participants in more than one arm: {', '.join(twice)}")
    keys = [outcome, subject, within]
    if d.duplicated(keys).any():
        dup = d.loc[d.duplicated(keys, keep=False), keys].drop_duplicates().iloc[0].tolist()
        raise ValueError(f"more than one value for {outcome} × {subject} × {within} = {dup}")

    outcomes = pd.unique(d[outcome])
    o_code = pd.Categorical(d[outcome], categories=outcomes).codes
    s_code, subjects = pd.factorize(d[subject])
    t_code = pd.Categorical(d[within], categories=levels).codes
    arms = list(pd.unique(arm_of))
    G = np.zeros((len(subjects), len(arms)))  # one-hot arm of each participant
    G[np.arange(len(subjects)), pd.Categorical(arm_of.reindex(subjects), categories=arms).codes] = 1.0

    Y = np.full((len(outcomes), len(subjects), k), np.nan)
    Y[o_code, s_code, t_code] = d[dv].to_numpy(float)
    M = ~np.isnan(Y).any(axis=2)  # complete cases per outcome
    Y = np.where(M[:, :, None], Y, 0.0)
    Mf = M.astype(float)

    n = Mf @ G  # [o, g] complete participants per arm
    present = n > 0
    m = present.sum(axis=1)  # arms per outcome
    if (m < 2).any():
        bad = ", ".join(map(str, outcomes[m < 2]))
        raise ValueError(f"mixed_anova_many needs at least two arms with complete participants; not so for {bad}")
    N = n.sum(axis=1)
    safe_n = np.where(present, n, 1.0)
    df_err = N - m

    # Between participants: one-way ANOVA of subject totals / sqrt(k).
    totals = Y.sum(axis=2) / np.sqrt(k)  # [o, s] (0 where not complete)
    arm_mean = (totals @ G) / safe_n  # [o, g]
    grand = totals.sum(axis=1) / N
    ss_group = np.sum(n * (arm_mean - grand[:, None]) ** 2, axis=1)
    dev = (totals - arm_mean @ G.T) * Mf
    ss_group_error = np.sum(dev**2, axis=1)

    # Within participants: orthonormal contrasts, cell-means model per arm.
    Z = Y @ orthonormal_contrasts(k)  # [o, s, k-1]
    B = np.einsum("osj,sg->ogj", Z, G) / safe_n[:, :, None]  # arm contrast means (0 for absent arms)
    R = (Z - np.einsum("ogj,sg->osj", B, G)) * Mf[:, :, None]
    E = np.einsum("osi,osj->oij", R, R)
    unweighted = B.sum(axis=1) / m[:, None]
    ss_time = np.sum(unweighted**2, axis=1) / (np.sum(np.where(present, 1 / safe_n, 0.0), axis=1) / m**2)
    weighted = np.einsum("og,ogj->oj", n, B) / N[:, None]
    ss_inter = np.sum(n[:, :, None] * (B - weighted[:, None, :]) ** 2 * present[:, :, None], axis=(1, 2))
    ss_within_error = np.trace(E, axis1=1, axis2=2)

    w, w_p = mauchly(E, df_err)
    gg, hf = sphericity_epsilons(E, df_err)
    hf_capped = np.minimum(hf, 1.0)

    p_dim = k - 1
    parts = {
        "group": (ss_group, ss_group_error, m - 1.0, df_err.astype(float), False),
        "time": (ss_time, ss_within_error, np.full(len(outcomes), float(p_dim)), df_err * p_dim, True),
        "interaction": (ss_inter, ss_within_error, (m - 1.0) * p_dim, df_err * p_dim, True),
    }
    frames = []
    nan = np.full(len(outcomes), np.nan)
    for effect, (ss, ss_err, df1, df2, within_effect) in parts.items():
        F = (ss / df1) / (ss_err / df2)
        cols = {
            "outcome": outcomes,
            "effect": effect,
            "ss": ss,
            "ss_error": ss_err,
            "df1": df1.astype(float),
            "df2": df2.astype(float),
            "F": F,
            "p": stats.f.sf(F, df1, df2),
            "pes": ss / (ss + ss_err),
        }
        if within_effect:
            cols |= {
                "eps_gg": gg,
                "eps_hf": hf,
                "p_gg": stats.f.sf(F, df1 * gg, df2 * gg),
                "p_hf": stats.f.sf(F, df1 * hf_capped, df2 * hf_capped),
                "mauchly_w": w,
                "mauchly_p": w_p,
            }
        else:
            cols |= dict.fromkeys(["eps_gg", "eps_hf", "p_gg", "p_hf", "mauchly_w", "mauchly_p"], nan)
        frame = pd.DataFrame(cols)
        frame["_o"], frame["_e"] = np.arange(len(outcomes)), EFFECTS.index(effect)
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True).sort_values(["_o", "_e"], kind="stable")
    return out.drop(columns=["_o", "_e"]).reset_index(drop=True).reindex(columns=["outcome", *ANOVA_COLUMNS])


def mixed_anova(
    data: pd.DataFrame, dv: str, within: str, between: str, subject: str, levels: list[str] | None = None
) -> pd.DataFrame:
    """Mixed ANOVA of one outcome with Type III sums of squares and sphericity statistics.

    :func:`mixed_anova_many` on a single outcome, for complete data only: a participant
    without a value at some level is an error, never silently left out.

    Parameters
    ----------
    data : long frame, one row per subject × time point, complete (see :func:`trialflow.stats.complete.complete_cases`).
    dv, within, between, subject : column names of the value, time, arm and subject id.
    levels : the time points (default: every level present, in data order); rows at other time
        points are ignored. The order changes nothing beyond rounding.

    Returns
    -------
    DataFrame with one row per effect (``group``, ``time``, ``interaction``) and columns
    effect, ss, ss_error, df1, df2, F, p, pes (partial η² = ss / (ss + ss_error)),
    eps_gg, eps_hf, p_gg, p_hf (Greenhouse–Geisser / Huynh–Feldt corrected p; NaN for group),
    mauchly_w, mauchly_p (NaN for group and for two time points, where sphericity holds).

    Raises
    ------
    ValueError : a subject without a value at some level (use ``complete_cases`` first), fewer
        than two arms or two time points, a subject in more than one arm, or two values for one
        subject × time point.

    Examples
    --------
    >>> d = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 4], "arm": list("aabbaabb"),
    ...                   "t": ["pre", "post"] * 4, "y": [1.0, 2, 2, 5, 2, 4, 1, 3]})
    >>> res = mixed_anova(d, "y", "t", "arm", "id").set_index("effect")
    >>> round(float(res.loc["interaction", "F"]), 10)  # = t² of a t-test on the changes
    2.0
    """
    levels = list(levels) if levels is not None else list(pd.unique(data[within]))
    wide = data.pivot(index=subject, columns=within, values=dv).reindex(columns=levels)
    if wide.isna().any().any():
        raise ValueError("mixed_anova needs every subject at every time point; use complete_cases first")
    if data[between].nunique() < 2 or len(levels) < 2:
        raise ValueError("mixed_anova needs at least two arms and two time points")
    # A batch of one: a constant outcome column under a name the data do not use.
    name = "outcome"
    while name in data.columns:
        name = f"_{name}"
    table = mixed_anova_many(data.assign(**{name: dv}), dv, within, between, subject, name, levels)
    return table[ANOVA_COLUMNS]
