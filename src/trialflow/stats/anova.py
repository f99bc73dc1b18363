"""Repeated-measures ANOVA: one within-subject factor (time) and one between factor (arm), the
mixed (split-plot) ANOVA; with a single arm, the one-way repeated-measures ANOVA (time only).

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
of (k−1) × (k−1) matrices; determinants and traces are batched). Every arm of the design must
have a complete participant in every outcome: an arm is never left out silently (the caller,
:func:`trialflow.analysis.analyse_outcomes`, asks :func:`anova_status` first and leaves an outcome
the ANOVA is undefined for out of the pass). Memory is O(outcomes × participants × time points)
floats: 50 × 2,000 × 4 is 3 MB. The last digits of an outcome's numbers can depend on which other
outcomes share the pass (summation order), not more.

One arm: the same computation with one cell-means row. The between part has no effect (a single
arm), the interaction none either; the time effect is the one-way repeated-measures ANOVA
(``afex::aov_ez(id, dv, data, within = "time")``; with two time points F = t² of the paired t).

Which p value to read (``correction``, ``p_corrected``): the ``sphericity`` rule, "none", "gg",
"hf" or "auto". "auto" is the common practice of Girden (1992, *ANOVA: Repeated measures*, Sage),
following Huynh & Feldt (1976, *J. Educ. Stat.* 1:69–82): Greenhouse–Geisser when its
ε < 0.75, Huynh–Feldt otherwise. With two time points ε = 1 and no correction applies; between
effects have none. When the error matrix is singular (fewer error degrees of freedom than time
contrasts: N − arms < k − 1), Mauchly's test and both corrections are undefined (car prints none);
the row then says so in ``note`` and its p is uncorrected.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from trialflow.stats import ZERO_SS

ANOVA_COLUMNS = [
    "effect",
    "ss",
    "ss_error",
    "df1",
    "df2",
    "F",
    "p",
    "correction",
    "p_corrected",
    "pes",
    "eps_gg",
    "eps_hf",
    "p_gg",
    "p_hf",
    "mauchly_w",
    "mauchly_p",
    "note",
]
EFFECTS = ["group", "time", "interaction"]
SPHERICITY_RULES = ("none", "gg", "hf", "auto")
AUTO_GG_BELOW = 0.75  # "auto": Greenhouse–Geisser when its epsilon is below this, else Huynh–Feldt
SINGULAR_NOTE = (
    "no sphericity test or correction: fewer error degrees of freedom ({df:g}) than time contrasts ({p}), "
    "so the error matrix is singular (car reports none either); p is uncorrected"
)


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


STATUS_COLUMNS = ["outcome", "analysable", "reason"]


def anova_status(
    data: pd.DataFrame,
    dv: str,
    within: str,
    between: str,
    subject: str,
    outcome: str,
    outcomes: list[str],
    levels: list[str],
    arms: list[str],
) -> pd.DataFrame:
    """Whether the repeated-measures ANOVA of each outcome is defined on its data, and if not why.

    The checks, in this order (the first that applies is the reason; the texts are fixed):

    * ``no data at all``: no value at any of ``levels`` in any of ``arms``;
    * ``no value at <t>[, <t>…] for any participant``;
    * ``no participant with a value at every time point``;
    * ``arm <a> has no participant with a value at every time point`` (``arms <a>, <b> have …``):
      an arm of the design cannot be compared, and is never left out silently;
    * ``fewer than two participants with a value at every time point`` (one arm);
    * ``no error degrees of freedom: each arm has one participant with a value at every time
      point`` (two or more arms);
    * ``no variation: every value is the same``;
    * ``no within-participant variation: in each arm every participant changes by the same
      amounts between time points`` (the error of time and interaction is 0);
    * ``no between-participant variation: in each arm every participant has the same mean over
      the time points`` (two or more arms: the error of the group effect is 0).

    "Value" means a non-missing ``dv``; the participants with a value at every time point are
    the complete cases the ANOVA uses. A sum of squares below ``ZERO_SS`` × Σ value² counts as 0
    (rounding: every value 0.1 leaves contrasts of ~1e-17, not variation).

    Returns
    -------
    DataFrame with columns outcome, analysable (bool), reason ('' when analysable), one row per
    entry of ``outcomes`` in that order (also for an outcome without any row).
    """
    levels, arms = list(levels), list(arms)
    d = data[data[within].isin(levels) & data[between].isin(arms)].dropna(subset=[dv])
    by_outcome = dict(tuple(d.groupby(outcome, sort=False)))
    rows = []
    for name in outcomes:
        reason = _undefined_reason(by_outcome.get(name), dv, within, between, subject, levels, arms)
        rows.append({"outcome": name, "analysable": reason == "", "reason": reason})
    return pd.DataFrame(rows, columns=STATUS_COLUMNS).astype({"analysable": bool})


def _undefined_reason(
    d: pd.DataFrame | None, dv: str, within: str, between: str, subject: str, levels: list[str], arms: list[str]
) -> str:
    """Why one outcome's repeated-measures ANOVA is undefined ('' if it is defined); see :func:`anova_status`."""
    if d is None or d.empty:
        return "no data at all"
    empty = [t for t in levels if not (d[within] == t).any()]
    if empty:
        return f"no value at {', '.join(map(str, empty))} for any participant"
    wide = d.pivot_table(index=subject, columns=within, values=dv, aggfunc="first").reindex(columns=levels)
    wide = wide.dropna()
    if wide.empty:
        return "no participant with a value at every time point"
    arm_of = d.drop_duplicates(subject).set_index(subject)[between].reindex(wide.index)
    sizes = arm_of.value_counts()
    lacking = [a for a in arms if sizes.get(a, 0) == 0]
    if len(lacking) == 1:
        return f"arm {lacking[0]} has no participant with a value at every time point"
    if lacking:
        return f"arms {', '.join(map(str, lacking))} have no participant with a value at every time point"
    if len(wide) - len(arms) < 1:
        if len(arms) == 1:
            return "fewer than two participants with a value at every time point"
        return "no error degrees of freedom: each arm has one participant with a value at every time point"
    y = wide.to_numpy(float)
    if (y == y.flat[0]).all():
        return "no variation: every value is the same"
    scale = ZERO_SS * float(np.sum(y**2))
    subject_mean = y.mean(axis=1)
    cell = wide.groupby(arm_of.to_numpy()).transform("mean").to_numpy(float)  # arm × time means
    arm_mean = pd.Series(subject_mean).groupby(arm_of.to_numpy()).transform("mean").to_numpy()
    within_error = np.sum((y - subject_mean[:, None] - cell + cell.mean(axis=1)[:, None]) ** 2)
    if within_error <= scale:
        return (
            "no within-participant variation: in each arm every participant changes by the same amounts "
            "between time points"
        )
    if len(arms) > 1 and np.sum((subject_mean - arm_mean) ** 2) * y.shape[1] <= scale:
        return "no between-participant variation: in each arm every participant has the same mean over the time points"
    return ""


def mixed_anova_many(
    data: pd.DataFrame,
    dv: str,
    within: str,
    between: str,
    subject: str,
    outcome: str,
    levels: list[str] | None = None,
    arms: list[str] | None = None,
    sphericity: str = "auto",
) -> pd.DataFrame:
    """Repeated-measures ANOVA (Type III, sphericity statistics) of every outcome, each on its
    complete cases: the mixed ANOVA, or with one arm the one-way repeated-measures ANOVA.

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
    arms : the arms of the design (default: every arm present); rows of other arms are ignored.
        One arm: the one-way repeated-measures ANOVA.
    sphericity : which p value ``p_corrected`` is: "none", "gg" (Greenhouse–Geisser), "hf"
        (Huynh–Feldt) or "auto" (GG when its ε < 0.75, else HF; see the module docstring).

    Returns
    -------
    DataFrame with columns ``outcome`` + :data:`ANOVA_COLUMNS`: effect, ss, ss_error, df1, df2,
    F, p, correction (none | gg | hf: the rule's choice; none for group, for two time points and
    for a singular error matrix), p_corrected (the p value under that correction), pes, eps_gg,
    eps_hf, p_gg, p_hf, mauchly_w, mauchly_p, note (why a sphericity statistic is empty; '' if
    none is). Rows group, time, interaction per outcome (time only with one arm), outcomes in
    order of first appearance.

    Raises
    ------
    ValueError : fewer than two levels, an unknown ``sphericity`` rule, an outcome with an arm
        of the design without a complete participant or without error degrees of freedom
        (N − arms < 1; see :func:`anova_status`), a participant in more than one arm, or two
        values for one outcome × participant × time point.
    """
    if sphericity not in SPHERICITY_RULES:
        raise ValueError(f"unknown sphericity rule {sphericity!r}: use one of {', '.join(SPHERICITY_RULES)}")
    levels = list(levels) if levels is not None else list(pd.unique(data[within]))
    k = len(levels)
    if k < 2:
        raise ValueError("mixed_anova_many needs at least two time points")
    d = data[data[within].isin(levels)].dropna(subset=[dv])
    if arms is not None:
        d = d[d[between].isin(arms)]

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
    # Columns in order of appearance (the summation order the pipeline has always used).
    present_arms = list(pd.unique(arm_of))
    design = list(arms) if arms is not None else present_arms
    G = np.zeros((len(subjects), len(present_arms)))  # one-hot arm of each participant
    G[np.arange(len(subjects)), pd.Categorical(arm_of.reindex(subjects), categories=present_arms).codes] = 1.0

    Y = np.full((len(outcomes), len(subjects), k), np.nan)
    Y[o_code, s_code, t_code] = d[dv].to_numpy(float)
    M = ~np.isnan(Y).any(axis=2)  # complete cases per outcome
    Y = np.where(M[:, :, None], Y, 0.0)
    Mf = M.astype(float)

    n = Mf @ G  # [o, g] complete participants per arm
    present = n > 0
    m = present.sum(axis=1)  # arms per outcome
    lacking = [
        f"{o} (arm {a})"
        for i, o in enumerate(outcomes)
        for a in design
        if a not in present_arms or not present[i, present_arms.index(a)]
    ]
    if lacking:
        raise ValueError(f"an arm without a complete participant, never left out silently: {', '.join(lacking)}")
    N = n.sum(axis=1)
    safe_n = np.where(present, n, 1.0)
    df_err = N - m
    if (df_err < 1).any():
        bad = ", ".join(map(str, outcomes[df_err < 1]))
        raise ValueError(f"no error degrees of freedom (complete participants - arms < 1) for {bad}")

    # Between participants: one-way ANOVA of subject totals / sqrt(k).
    totals = Y.sum(axis=2) / np.sqrt(k)  # [o, s] (0 where not complete)
    arm_mean = (totals @ G) / safe_n  # [o, g]
    grand = totals.sum(axis=1) / N
    ss_group = np.sum(n * (arm_mean - grand[:, None]) ** 2, axis=1)
    dev = (totals - arm_mean @ G.T) * Mf
    ss_group_error = np.sum(dev**2, axis=1)

    # Within participants: orthonormal contrasts, cell-means model per arm.
    Z = Y @ orthonormal_contrasts(k)  # [o, s, k-1]
    B = np.einsum("osj,sg->ogj", Z, G) / safe_n[:, :, None]  # arm contrast means
    R = (Z - np.einsum("ogj,sg->osj", B, G)) * Mf[:, :, None]
    E = np.einsum("osi,osj->oij", R, R)
    unweighted = B.sum(axis=1) / m[:, None]
    ss_time = np.sum(unweighted**2, axis=1) / (np.sum(np.where(present, 1 / safe_n, 0.0), axis=1) / m**2)
    weighted = np.einsum("og,ogj->oj", n, B) / N[:, None]
    ss_inter = np.sum(n[:, :, None] * (B - weighted[:, None, :]) ** 2 * present[:, :, None], axis=(1, 2))
    ss_within_error = np.trace(E, axis1=1, axis2=2)

    p_dim = k - 1
    w, w_p = mauchly(E, df_err)
    gg, hf = sphericity_epsilons(E, df_err)
    singular = df_err < p_dim  # rank(E) <= N - arms < k - 1: car gives no test and no correction
    nan = np.full(len(outcomes), np.nan)
    if singular.any():
        w, w_p, gg, hf = (np.where(singular, np.nan, x) for x in (w, w_p, gg, hf))
    hf_capped = np.minimum(hf, 1.0)
    singular_note = [SINGULAR_NOTE.format(df=x, p=p_dim) if s else "" for x, s in zip(df_err, singular, strict=True)]

    parts = {
        "group": (ss_group, ss_group_error, m - 1.0, df_err.astype(float), False),
        "time": (ss_time, ss_within_error, np.full(len(outcomes), float(p_dim)), df_err * p_dim, True),
        "interaction": (ss_inter, ss_within_error, (m - 1.0) * p_dim, df_err * p_dim, True),
    }
    if len(design) == 1:  # one arm: the one-way repeated-measures ANOVA has the time effect only
        parts = {"time": parts["time"]}
    frames = []
    for effect, (ss, ss_err, df1, df2, within_effect) in parts.items():
        F = (ss / df1) / (ss_err / df2)
        p = stats.f.sf(F, df1, df2)
        cols = {
            "outcome": outcomes,
            "effect": effect,
            "ss": ss,
            "ss_error": ss_err,
            "df1": df1.astype(float),
            "df2": df2.astype(float),
            "F": F,
            "p": p,
            "pes": ss / (ss + ss_err),
        }
        if within_effect:
            p_gg = stats.f.sf(F, df1 * gg, df2 * gg)
            p_hf = stats.f.sf(F, df1 * hf_capped, df2 * hf_capped)
            correction = _correction(sphericity, p_dim, gg, singular)
            cols |= {
                "correction": correction,
                "p_corrected": np.select([correction == "gg", correction == "hf"], [p_gg, p_hf], p),
                "eps_gg": gg,
                "eps_hf": hf,
                "p_gg": p_gg,
                "p_hf": p_hf,
                "mauchly_w": w,
                "mauchly_p": w_p,
                "note": singular_note,
            }
        else:
            cols |= {"correction": "none", "p_corrected": p, "note": ""}
            cols |= dict.fromkeys(["eps_gg", "eps_hf", "p_gg", "p_hf", "mauchly_w", "mauchly_p"], nan)
        frame = pd.DataFrame(cols)
        frame["_o"], frame["_e"] = np.arange(len(outcomes)), EFFECTS.index(effect)
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True).sort_values(["_o", "_e"], kind="stable")
    return out.drop(columns=["_o", "_e"]).reset_index(drop=True).reindex(columns=["outcome", *ANOVA_COLUMNS])


def _correction(rule: str, p_dim: int, gg: np.ndarray, singular: np.ndarray) -> np.ndarray:
    """The sphericity correction the rule picks for a within effect of each outcome."""
    if rule == "none" or p_dim < 2:  # two time points: epsilon is 1
        choice = np.full(len(gg), "none", dtype=object)
    elif rule == "auto":
        choice = np.where(gg < AUTO_GG_BELOW, "gg", "hf").astype(object)
    else:
        choice = np.full(len(gg), rule, dtype=object)
    choice[singular] = "none"
    return choice


def mixed_anova(
    data: pd.DataFrame,
    dv: str,
    within: str,
    between: str,
    subject: str,
    levels: list[str] | None = None,
    sphericity: str = "auto",
) -> pd.DataFrame:
    """Repeated-measures ANOVA of one outcome with Type III sums of squares and sphericity
    statistics: the mixed ANOVA, or with one arm in ``data`` the one-way repeated-measures ANOVA.

    :func:`mixed_anova_many` on a single outcome, for complete data only: a participant
    without a value at some level is an error, never silently left out.

    Parameters
    ----------
    data : long frame, one row per subject × time point, complete (see :func:`trialflow.stats.complete.complete_cases`).
    dv, within, between, subject : column names of the value, time, arm and subject id.
    levels : the time points (default: every level present, in data order); rows at other time
        points are ignored. The order changes nothing beyond rounding.
    sphericity : the rule for ``correction`` and ``p_corrected`` (see :func:`mixed_anova_many`).

    Returns
    -------
    DataFrame with one row per effect (``group``, ``time``, ``interaction``; ``time`` only with
    one arm) and columns effect, ss, ss_error, df1, df2, F, p, correction, p_corrected, pes
    (partial η² = ss / (ss + ss_error)), eps_gg, eps_hf, p_gg, p_hf (Greenhouse–Geisser /
    Huynh–Feldt corrected p; NaN for group), mauchly_w, mauchly_p (NaN for group and for two
    time points, where sphericity holds), note.

    Raises
    ------
    ValueError : a subject without a value at some level (use ``complete_cases`` first), no
        participant or fewer than two time points, a subject in more than one arm, or two
        values for one subject × time point (and what :func:`mixed_anova_many` refuses).

    Examples
    --------
    >>> d = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 4, 4], "arm": list("aabbaabb"),
    ...                   "t": ["pre", "post"] * 4, "y": [1.0, 2, 2, 5, 2, 4, 1, 3]})
    >>> res = mixed_anova(d, "y", "t", "arm", "id").set_index("effect")
    >>> round(float(res.loc["interaction", "F"]), 10)  # = t² of a t-test on the changes
    2.0
    >>> one = mixed_anova(d[d["arm"] == "a"], "y", "t", "arm", "id")  # one arm: time only
    >>> one["effect"].tolist(), round(float(one["F"].iloc[0]), 10)  # = t² of the paired t
    (['time'], 9.0)
    """
    levels = list(levels) if levels is not None else list(pd.unique(data[within]))
    wide = data.pivot(index=subject, columns=within, values=dv).reindex(columns=levels)
    if wide.isna().any().any():
        raise ValueError("mixed_anova needs every subject at every time point; use complete_cases first")
    if data[between].nunique() < 1 or len(levels) < 2:
        raise ValueError("mixed_anova needs at least one arm and two time points")
    # A batch of one: a constant outcome column under a name the data do not use.
    name = "outcome"
    while name in data.columns:
        name = f"_{name}"
    table = mixed_anova_many(
        data.assign(**{name: dv}), dv, within, between, subject, name, levels, sphericity=sphericity
    )
    return table[ANOVA_COLUMNS]
