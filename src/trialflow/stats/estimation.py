"""CONSORT "estimation with precision" for pre/post randomised trials.

All functions take one outcome in long format (columns ``participant_id``,
``arm``, ``time``, ``value``), the two time labels ``baseline`` and
``follow_up``, a ``reference_arm`` and one or more treatment arms, and
return a tidy, unrounded :class:`pandas.DataFrame`.

Complete cases and refusals
---------------------------
The analyses are complete-case analyses. A participant of an analysed arm is
*incomplete* when the baseline row or the follow-up row is missing or its
``value`` is NaN; incomplete participants are excluded, never silently: their
ids are returned in ``result.attrs["excluded_ids"]`` (and with the reason in
``result.attrs["excluded"]``, a list of ``{"participant_id", "arm",
"reason"}`` records) and counted in the ``n_excluded`` column. Pass
``incomplete="raise"`` to refuse incomplete data instead.

Malformed data are always refused with :class:`ValueError`: missing
columns, unknown arm or time labels (unless ``strict_labels=False``: the
labels come from the trial's design, and a label without rows is an arm or
visit without data), a participant in more than one arm, duplicated
(participant, time) rows, missing ids or arms, non-numeric or infinite
values. Rows at other time points and rows of arms that are not analysed are
ignored.

Data on which a statistic is undefined are not refused: the statistic is NaN
and the row's ``note`` says why (empty when it is defined). An arm with fewer
than two complete participants (:data:`NOTE_FEW`), changes without spread
(:data:`NOTE_NO_SPREAD`), an ANCOVA without residual degrees of freedom or
variance, or with a rank-deficient design (:data:`NOTE_ANCOVA`), Hedges' correction with df < 2
(:data:`NOTE_HEDGES_DF`).

This is one module because it is one family of methods: the three estimators
of the estimation table take their data through the same complete-case checks
(:func:`paired_changes`) and are tested side by side in tests/test_estimation.py.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from trialflow.stats import ZERO_SS

__all__ = [
    "ancova_follow_up",
    "change_within_arm",
    "difference_in_change",
    "hedges_g_change",
    "paired_changes",
]

REQUIRED_COLUMNS = ("participant_id", "arm", "time", "value")

NOTE_FEW = "fewer than two participants with values at {baseline} and {follow_up} in arm {arm} (n = {n})"
NOTE_NO_SPREAD = "no standard error: every participant's change is the same within each arm"
NOTE_NO_SPREAD_ARM = "no standard error: every participant's change is the same"
NOTE_HEDGES_DF = "Hedges' small-sample correction needs df >= 2 (J(1) = 0)"
NOTE_ANCOVA = {
    "dof": "no residual degrees of freedom: {n} participants for {p} parameters",
    "rank": "rank-deficient design: the baseline is constant or determined by arm",
    "rss": "no residual variance: follow-up is an exact linear function of arm and baseline",
}


# --------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------
def _as_arm_list(reference_arm, treatment_arm, data):
    if treatment_arm is None:
        seen = pd.unique(data["arm"].to_numpy())
        treatments = [a for a in seen if a != reference_arm]
    elif isinstance(treatment_arm, (str, bytes)) or not isinstance(treatment_arm, Iterable):
        treatments = [treatment_arm]
    else:
        treatments = list(treatment_arm)
    if not treatments:
        raise ValueError(f"no treatment arm to compare with the reference arm {reference_arm!r}")
    if reference_arm in treatments:
        raise ValueError(f"reference_arm {reference_arm!r} is also listed as a treatment arm")
    if len(set(treatments)) != len(treatments):
        raise ValueError(f"treatment_arm lists an arm twice: {treatments!r}")
    return treatments


def _check_conf(conf):
    if not (isinstance(conf, (int, float)) and 0 < conf < 1):
        raise ValueError(f"conf must lie in (0, 1), got {conf!r}")


def _complete_cases(
    data, baseline, follow_up, reference_arm, treatment_arm, incomplete, strict_labels=True, one_arm=False
):
    """Validate long data and build the complete-case wide table.

    Returns (wide, excluded, arms) where ``wide`` has one row per complete
    participant (participant_id, arm, baseline, follow_up, change) ordered by
    arm (reference first) and ``excluded`` is a list of records. An arm may
    have fewer than two (or no) complete participants: the callers say so.
    ``one_arm``: the reference arm alone (``treatment_arm`` is not read).
    """
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in data.columns]
    if missing:
        raise ValueError(f"data lacks required column(s) {missing}; expected {list(REQUIRED_COLUMNS)}")
    if incomplete not in ("exclude", "raise"):
        raise ValueError(f"incomplete must be 'exclude' or 'raise', got {incomplete!r}")
    if baseline == follow_up:
        raise ValueError(f"baseline and follow_up must differ, both are {baseline!r}")
    for col in ("participant_id", "arm", "time"):
        if data[col].isna().any():
            rows = data.index[data[col].isna()].tolist()
            raise ValueError(f"column {col!r} has missing entries (rows {rows[:10]})")

    times = set(data["time"].tolist())
    for label, name in ((baseline, "baseline"), (follow_up, "follow_up")):
        if strict_labels and label not in times:
            raise ValueError(
                f"{name} time label {label!r} not found in data['time'] (labels present: {sorted(map(str, times))})"
            )

    treatments = [] if one_arm else _as_arm_list(reference_arm, treatment_arm, data)
    arms = [reference_arm, *treatments]
    present = set(data["arm"].tolist())
    unknown = [a for a in arms if a not in present]
    if strict_labels and unknown:
        raise ValueError(f"arm(s) {unknown} not found in data['arm'] (arms present: {sorted(map(str, present))})")

    n_arms = data.groupby("participant_id", sort=False)["arm"].nunique()
    multi = n_arms.index[n_arms > 1].tolist()
    if multi:
        raise ValueError(f"participant(s) assigned to more than one arm: {multi[:10]}")

    values = data["value"]
    if not (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)):
        raise ValueError(f"column 'value' must be numeric, got dtype {values.dtype}")

    in_arms = data[data["arm"].isin(arms)]
    sub = in_arms[in_arms["time"].isin([baseline, follow_up])]
    dup = sub.duplicated(["participant_id", "time"], keep=False)
    if dup.any():
        ids = pd.unique(sub.loc[dup, "participant_id"]).tolist()
        raise ValueError(
            "duplicated (participant_id, time) rows for participant(s) "
            f"{ids[:10]}; aggregate repeated assays before estimation"
        )
    vals = sub["value"].to_numpy(dtype=float)
    if np.isinf(vals).any():
        ids = pd.unique(sub.loc[np.isinf(vals), "participant_id"]).tolist()
        raise ValueError(f"infinite values for participant(s) {ids[:10]}")

    # one row per participant of the analysed arms, in arm order then order of appearance
    people = in_arms.drop_duplicates("participant_id")[["participant_id", "arm"]]
    people = people.assign(_arm_order=people["arm"].map({a: i for i, a in enumerate(arms)}))
    people = people.sort_values("_arm_order", kind="stable").drop(columns="_arm_order")

    wide = sub.pivot(index="participant_id", columns="time", values="value")
    wide = wide.reindex(index=people["participant_id"].to_numpy(), columns=[baseline, follow_up])
    out = pd.DataFrame(
        {
            "participant_id": people["participant_id"].to_numpy(),
            "arm": people["arm"].to_numpy(),
            "baseline": wide[baseline].to_numpy(dtype=float),
            "follow_up": wide[follow_up].to_numpy(dtype=float),
        }
    )

    has_rows = set(zip(sub["participant_id"], sub["time"], strict=True))
    excluded = []
    gaps = out[out["baseline"].isna() | out["follow_up"].isna()]  # only these can be excluded
    for pid, arm, b, fu in gaps[["participant_id", "arm", "baseline", "follow_up"]].itertuples(index=False):
        reasons = []
        for label, val, name in ((baseline, b, "baseline"), (follow_up, fu, "follow-up")):
            if (pid, label) not in has_rows:
                reasons.append(f"no {name} row")
            elif math.isnan(val):
                reasons.append(f"missing {name} value")
        if reasons:
            excluded.append({"participant_id": _py(pid), "arm": _py(arm), "reason": "; ".join(reasons)})
    if excluded and incomplete == "raise":
        listing = ", ".join(f"{r['participant_id']} ({r['reason']})" for r in excluded[:10])
        raise ValueError(f"{len(excluded)} incomplete participant(s): {listing}")

    out = out.dropna(subset=["baseline", "follow_up"]).reset_index(drop=True)
    out["change"] = out["follow_up"] - out["baseline"]
    return out, excluded, arms


def _few(wide, arms, baseline, follow_up):
    """:data:`NOTE_FEW` for each of ``arms`` with fewer than two complete participants, '; '-joined."""
    counts = wide["arm"].value_counts()
    return "; ".join(
        NOTE_FEW.format(baseline=baseline, follow_up=follow_up, arm=a, n=int(counts.get(a, 0)))
        for a in arms
        if counts.get(a, 0) < 2
    )


def _no_spread(changes, rows):
    """Whether the changes do not vary within their arms beyond rounding (see ``ZERO_SS``).

    ``changes``: one array per arm; ``rows``: the participants' baseline and follow-up values.
    """
    ss = sum(float(np.sum((x - x.mean()) ** 2)) for x in changes if x.size)
    scale = float(np.sum(rows["baseline"].to_numpy(float) ** 2) + np.sum(rows["follow_up"].to_numpy(float) ** 2))
    return ss <= ZERO_SS * scale


def _py(x):
    """numpy scalar -> python scalar (for attrs / records)."""
    return x.item() if isinstance(x, np.generic) else x


def _finish(frame, excluded):
    frame = frame.reset_index(drop=True)
    if "note" not in frame:
        frame["note"] = ""
    frame["note"] = frame.pop("note").fillna("")  # last, after n_excluded
    frame.insert(len(frame.columns) - 1, "n_excluded", len(excluded))
    frame.attrs["excluded_ids"] = [r["participant_id"] for r in excluded]
    frame.attrs["excluded"] = [dict(r) for r in excluded]
    return frame


def paired_changes(data, *, baseline, follow_up, reference_arm, treatment_arm=None, incomplete="exclude"):
    """Complete-case baseline, follow-up and change per participant.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data for one outcome with columns ``participant_id``, ``arm``,
        ``time``, ``value``.
    baseline, follow_up : hashable
        Labels in ``data["time"]`` of the baseline and follow-up visits.
    reference_arm : hashable
        Label of the reference (control) arm.
    treatment_arm : hashable, sequence of hashables or None, default None
        Treatment arm(s); None means every other arm in ``data``.
    incomplete : {"exclude", "raise"}, default "exclude"
        What to do with participants lacking a baseline or follow-up value.

    Returns
    -------
    pandas.DataFrame
        One row per complete participant with columns ``participant_id``,
        ``arm``, ``baseline``, ``follow_up``, ``change`` (follow-up minus
        baseline) and ``n_excluded``; ``attrs["excluded_ids"]`` and
        ``attrs["excluded"]`` list the incomplete participants.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "participant_id": [1, 1, 2, 2, 3, 3, 4, 4, 5],
    ...     "arm": ["ctl"] * 4 + ["trt"] * 5,
    ...     "time": ["pre", "post"] * 4 + ["pre"],
    ...     "value": [10.0, 11.0, 12.0, 12.5, 9.0, 12.0, 11.0, 13.5, 10.0]})
    >>> res = paired_changes(df, baseline="pre", follow_up="post", reference_arm="ctl")
    >>> res["change"].tolist(), res.attrs["excluded_ids"]
    ([1.0, 0.5, 3.0, 2.5], [5])
    """
    wide, excluded, _ = _complete_cases(data, baseline, follow_up, reference_arm, treatment_arm, incomplete)
    return _finish(wide, excluded)


# --------------------------------------------------------------------------------------
# Difference in mean change
# --------------------------------------------------------------------------------------
def difference_in_change(
    data, *, baseline, follow_up, reference_arm, treatment_arm=None, conf=0.95, incomplete="exclude", strict_labels=True
):
    """Per-arm mean change and the between-arm difference in mean change with CIs.

    Change is follow-up minus baseline per complete participant. For each arm
    the mean change is reported with its SD, n and a Student-t CI
    (``mean +/- t_{n-1} * sd / sqrt(n)``); within-arm tests are deliberately
    not reported (``t`` and ``p`` are NaN on those rows: CONSORT compares
    arms, not each arm with its baseline). For each treatment arm the
    difference ``mean change(treatment) - mean change(reference)`` is given
    twice: ``method="student_pooled"`` (pooled SD of the two arms compared,
    df = n1 + n2 - 2) and ``method="welch"`` (Welch-Satterthwaite df).

    Parameters
    ----------
    data : pandas.DataFrame
        Long data for one outcome: ``participant_id``, ``arm``, ``time``, ``value``.
    baseline, follow_up : hashable
        Time labels of the two visits.
    reference_arm : hashable
        Reference (control) arm.
    treatment_arm : hashable, sequence of hashables or None, default None
        Treatment arm(s), each compared with the reference; None means every
        other arm in ``data``.
    conf : float, default 0.95
        Confidence level.
    incomplete : {"exclude", "raise"}, default "exclude"
        Exclude (and list) or refuse participants without both visits.
    strict_labels : bool, default True
        Refuse a time label or arm without rows (False: it has no data).

    Returns
    -------
    pandas.DataFrame
        Columns: ``estimand`` ("mean_change" or "difference_in_mean_change"),
        ``arm`` (the arm, or the treatment arm of a difference),
        ``reference_arm`` (missing on per-arm rows), ``method`` ("one_sample_t",
        "student_pooled" or "welch"), ``n`` (complete participants; both arms
        for differences), ``mean_baseline``, ``mean_follow_up`` (per-arm rows),
        ``estimate``, ``sd`` (SD of change; pooled SD for Student; NaN for
        Welch), ``se``, ``df``, ``t``, ``p`` (two-sided, differences only),
        ``ci_low``, ``ci_high``, ``conf``, ``n_excluded``, ``note`` ('' or why
        the row's statistics are NaN: an arm with fewer than two complete
        participants, changes without spread). ``attrs`` carries
        ``excluded_ids`` and ``excluded``.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "participant_id": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6],
    ...     "arm": ["ctl"] * 6 + ["trt"] * 6,
    ...     "time": ["pre", "post"] * 6,
    ...     "value": [10., 11., 12., 12.5, 11., 11., 9., 12., 11., 13.5, 10., 11.5]})
    >>> res = difference_in_change(df, baseline="pre", follow_up="post",
    ...                            reference_arm="ctl", treatment_arm="trt")
    >>> res[["method", "estimate"]].round(4).values.tolist()
    [['one_sample_t', 0.5], ['one_sample_t', 2.3333], ['student_pooled', 1.8333], ['welch', 1.8333]]
    >>> welch = res[res["method"] == "welch"].iloc[0]
    >>> [round(float(welch[c]), 4) for c in ("df", "ci_low", "ci_high")]
    [3.4483, 0.2729, 3.3938]
    """
    _check_conf(conf)
    wide, excluded, arms = _complete_cases(
        data, baseline, follow_up, reference_arm, treatment_arm, incomplete, strict_labels
    )
    alpha = 1 - conf
    rows = []
    by_arm = {a: g for a, g in wide.groupby("arm", sort=False)}
    summ = {}
    for a in arms:
        g = by_arm.get(a, wide.iloc[:0])
        x = g["change"].to_numpy(dtype=float)
        n = x.size
        summ[a] = (n, *((x.mean(), x.std(ddof=1)) if n >= 2 else (np.nan, np.nan)))
        note = _few(wide, [a], baseline, follow_up) or (NOTE_NO_SPREAD_ARM if _no_spread([x], g) else "")
        if note:
            rows.append(
                {
                    "estimand": "mean_change",
                    "arm": a,
                    "reference_arm": None,
                    "method": "one_sample_t",
                    "n": n,
                    "mean_baseline": g["baseline"].mean() if n else np.nan,
                    "mean_follow_up": g["follow_up"].mean() if n else np.nan,
                    "estimate": x.mean() if n else np.nan,
                    **dict.fromkeys(["sd", "se", "df", "t", "p", "ci_low", "ci_high"], np.nan),
                    "conf": conf,
                    "note": note,
                }
            )
            continue
        m, sd = x.mean(), x.std(ddof=1)
        se = sd / math.sqrt(n)
        q = stats.t.ppf(1 - alpha / 2, n - 1)
        rows.append(
            {
                "estimand": "mean_change",
                "arm": a,
                "reference_arm": None,
                "method": "one_sample_t",
                "n": n,
                "mean_baseline": g["baseline"].mean(),
                "mean_follow_up": g["follow_up"].mean(),
                "estimate": m,
                "sd": sd,
                "se": se,
                "df": float(n - 1),
                "t": np.nan,
                "p": np.nan,
                "ci_low": m - q * se,
                "ci_high": m + q * se,
                "conf": conf,
            }
        )
    n0, m0, s0 = summ[reference_arm]
    for a in arms[1:]:
        n1, m1, s1 = summ[a]
        pair = wide[wide["arm"].isin([reference_arm, a])]
        note = _few(wide, [reference_arm, a], baseline, follow_up) or (
            NOTE_NO_SPREAD
            if _no_spread([by_arm[x]["change"].to_numpy(float) for x in (reference_arm, a)], pair)
            else ""
        )
        if note:
            for method in ("student_pooled", "welch"):
                rows.append(
                    {
                        "estimand": "difference_in_mean_change",
                        "arm": a,
                        "reference_arm": reference_arm,
                        "method": method,
                        "n": n0 + n1,
                        "mean_baseline": np.nan,
                        "mean_follow_up": np.nan,
                        "estimate": m1 - m0,
                        **dict.fromkeys(["sd", "se", "df", "t", "p", "ci_low", "ci_high"], np.nan),
                        "conf": conf,
                        "note": note,
                    }
                )
            continue
        diff = m1 - m0
        df_p = n0 + n1 - 2
        sp = math.sqrt(((n0 - 1) * s0**2 + (n1 - 1) * s1**2) / df_p)
        se_p = sp * math.sqrt(1 / n0 + 1 / n1)
        v0, v1 = s0**2 / n0, s1**2 / n1
        se_w = math.sqrt(v0 + v1)
        df_w = (v0 + v1) ** 2 / (v0**2 / (n0 - 1) + v1**2 / (n1 - 1))
        for method, se, dfree, sd in (("student_pooled", se_p, float(df_p), sp), ("welch", se_w, df_w, np.nan)):
            t = diff / se
            q = stats.t.ppf(1 - alpha / 2, dfree)
            rows.append(
                {
                    "estimand": "difference_in_mean_change",
                    "arm": a,
                    "reference_arm": reference_arm,
                    "method": method,
                    "n": n0 + n1,
                    "mean_baseline": np.nan,
                    "mean_follow_up": np.nan,
                    "estimate": diff,
                    "sd": sd,
                    "se": se,
                    "df": dfree,
                    "t": t,
                    "p": 2 * stats.t.sf(abs(t), dfree),
                    "ci_low": diff - q * se,
                    "ci_high": diff + q * se,
                    "conf": conf,
                }
            )
    return _finish(pd.DataFrame(rows), excluded)


# --------------------------------------------------------------------------------------
# Hedges' g of the change scores
# --------------------------------------------------------------------------------------
def _hedges_j(df, correction):
    if correction == "exact":
        # J(df) = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2))   (Hedges 1981)
        return math.exp(special.gammaln(df / 2) - 0.5 * math.log(df / 2) - special.gammaln((df - 1) / 2))
    if correction == "approx":
        return 1 - 3 / (4 * df - 1)
    raise ValueError(f"correction must be 'exact' or 'approx', got {correction!r}")


def _nct_ci_ncp(t_obs, df, conf):
    """Noncentrality limits [lo, hi] with P(T <= t_obs | lo) = 1 - a/2, P(T <= t_obs | hi) = a/2."""
    alpha = 1 - conf

    def root(target):
        def fn(ncp):
            cdf = stats.nct.cdf(t_obs, df, ncp)
            if np.isnan(cdf):  # scipy's nct.cdf gives NaN far in the lower tail; its sf does not
                cdf = 1.0 - stats.nct.sf(t_obs, df, ncp)
            if np.isnan(cdf):
                cdf = 0.0 if t_obs < ncp else 1.0
            return cdf - target

        width = 10.0 + abs(t_obs)
        lo, hi = t_obs - width, t_obs + width
        while fn(lo) < 0:
            lo -= width
        while fn(hi) > 0:
            hi += width
        return optimize.brentq(fn, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=500)

    return root(1 - alpha / 2), root(alpha / 2)


def hedges_g_change(
    data,
    *,
    baseline,
    follow_up,
    reference_arm,
    treatment_arm=None,
    conf=0.95,
    correction="exact",
    incomplete="exclude",
    strict_labels=True,
):
    """Hedges' g of the change scores (treatment minus reference) with two CIs.

    ``d = (mean change_T - mean change_R) / s_pooled`` with the pooled SD of
    the change scores of the two arms compared (df = n_T + n_R - 2), and
    ``g = J * d`` with Hedges' small-sample correction
    ``J = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2))`` (``correction="exact"``,
    as R effectsize) or ``J = 1 - 3 / (4 df - 1)`` (``"approx"``, as
    pingouin). Two intervals are returned per comparison:

    * ``ci_method="normal_hedges_olkin"``: ``g +/- z * se`` with the large-sample
      variance of Hedges & Olkin (1985, p. 86)
      ``var(g) = (n_T + n_R) / (n_T n_R) + g**2 / (2 (n_T + n_R))``.
    * ``ci_method="noncentral_t"``: exact interval by inverting the noncentral
      t distribution of ``t = d / sqrt(1/n_T + 1/n_R)`` (Steiger & Fouladi,
      1997), the limits for delta multiplied by J, as R
      ``effectsize::hedges_g`` does (``se`` is NaN on these rows).

    Parameters
    ----------
    data : pandas.DataFrame
        Long data for one outcome: ``participant_id``, ``arm``, ``time``, ``value``.
    baseline, follow_up : hashable
        Time labels of the two visits.
    reference_arm : hashable
        Reference (control) arm.
    treatment_arm : hashable, sequence of hashables or None, default None
        Treatment arm(s); None means every other arm in ``data``.
    conf : float, default 0.95
        Confidence level.
    correction : {"exact", "approx"}, default "exact"
        Form of the small-sample correction J.
    incomplete : {"exclude", "raise"}, default "exclude"
        Exclude (and list) or refuse participants without both visits.
    strict_labels : bool, default True
        Refuse a time label or arm without rows (False: it has no data).

    Returns
    -------
    pandas.DataFrame
        Two rows per treatment arm with columns ``estimand`` ("hedges_g_change"),
        ``arm``, ``reference_arm``, ``n_treatment``, ``n_reference``,
        ``mean_difference``, ``sd_pooled``, ``d`` (Cohen's d), ``J``,
        ``estimate`` (Hedges' g), ``se``, ``ci_method``, ``ci_low``,
        ``ci_high``, ``conf``, ``n_excluded``, ``note`` ('' or why the row
        is NaN: an arm with fewer than two complete participants, changes
        without spread); ``attrs`` carries ``excluded_ids`` and ``excluded``.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "participant_id": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6],
    ...     "arm": ["ctl"] * 6 + ["trt"] * 6,
    ...     "time": ["pre", "post"] * 6,
    ...     "value": [10., 11., 12., 12.5, 11., 11., 9., 12., 11., 13.5, 10., 11.5]})
    >>> res = hedges_g_change(df, baseline="pre", follow_up="post",
    ...                       reference_arm="ctl", treatment_arm="trt")
    >>> res[["ci_method", "estimate", "ci_low", "ci_high"]].round(3).values.tolist()
    [['normal_hedges_olkin', 2.266, 0.216, 4.317], ['noncentral_t', 2.266, 0.241, 4.197]]
    """
    _check_conf(conf)
    if correction not in ("exact", "approx"):
        raise ValueError(f"correction must be 'exact' or 'approx', got {correction!r}")
    wide, excluded, arms = _complete_cases(
        data, baseline, follow_up, reference_arm, treatment_arm, incomplete, strict_labels
    )
    z = stats.norm.ppf(1 - (1 - conf) / 2)
    ref = wide.loc[wide["arm"] == reference_arm, "change"].to_numpy(dtype=float)
    rows = []
    for a in arms[1:]:
        trt = wide.loc[wide["arm"] == a, "change"].to_numpy(dtype=float)
        n1, n0 = trt.size, ref.size
        pair = wide[wide["arm"].isin([reference_arm, a])]
        note = _few(wide, [reference_arm, a], baseline, follow_up) or (
            NOTE_NO_SPREAD if _no_spread([trt, ref], pair) else ""
        )
        if note:
            base = {"estimand": "hedges_g_change", "arm": a, "reference_arm": reference_arm}
            nan = dict.fromkeys(
                ["mean_difference", "sd_pooled", "d", "J", "estimate", "se", "ci_low", "ci_high"], np.nan
            )
            for method in ("normal_hedges_olkin", "noncentral_t"):
                rows.append(
                    {
                        **base,
                        "n_treatment": n1,
                        "n_reference": n0,
                        **nan,
                        "ci_method": method,
                        "conf": conf,
                        "note": note,
                    }
                )
            continue
        df = n1 + n0 - 2
        sp = math.sqrt(((n1 - 1) * trt.var(ddof=1) + (n0 - 1) * ref.var(ddof=1)) / df)
        diff = trt.mean() - ref.mean()
        d = diff / sp
        j = _hedges_j(df, correction)
        g = j * d
        se = math.sqrt((n1 + n0) / (n1 * n0) + g**2 / (2 * (n1 + n0)))
        hn = math.sqrt(1 / n1 + 1 / n0)
        ncp_lo, ncp_hi = _nct_ci_ncp(d / hn, df, conf)
        base = {
            "estimand": "hedges_g_change",
            "arm": a,
            "reference_arm": reference_arm,
            "n_treatment": n1,
            "n_reference": n0,
            "mean_difference": diff,
            "sd_pooled": sp,
            "d": d,
            "J": j,
            "estimate": g,
        }
        rows.append(
            {
                **base,
                "se": se,
                "ci_method": "normal_hedges_olkin",
                "ci_low": g - z * se,
                "ci_high": g + z * se,
                "conf": conf,
            }
        )
        rows.append(
            {
                **base,
                "se": np.nan,
                "ci_method": "noncentral_t",
                "ci_low": j * ncp_lo * hn,
                "ci_high": j * ncp_hi * hn,
                "conf": conf,
            }
        )
    return _finish(pd.DataFrame(rows), excluded)


# --------------------------------------------------------------------------------------
# One arm: mean change and standardised mean change
# --------------------------------------------------------------------------------------
def change_within_arm(
    data,
    *,
    baseline,
    follow_up,
    arm,
    conf=0.95,
    correction="exact",
    incomplete="exclude",
    strict_labels=True,
):
    """Mean change from baseline to follow-up in one arm (paired t) and its standardised mean
    change (Hedges' g of the changes), for a single-arm (pre/post) trial.

    * ``estimand="mean_change"``, ``method="paired_t"``: the mean of the changes
      (follow-up minus baseline) with ``mean +/- t_{n-1} * sd / sqrt(n)`` and the
      two-sided p of the paired t-test (R: ``t.test(follow_up, baseline, paired = TRUE)``).
    * ``estimand="standardised_mean_change"``, ``method="noncentral_t"``: Hedges' g of
      the changes, ``g = J * d_z`` with ``d_z = mean change / sd of the changes`` (Cohen's
      d_z, the standardiser of the paired t: ``t = d_z * sqrt(n)``) and the small-sample
      correction ``J(n - 1)`` of :func:`hedges_g_change`; its interval inverts the
      noncentral t distribution of ``t`` on n - 1 df (Steiger & Fouladi, 1997) and
      multiplies the limits for ``delta * sqrt(n)`` by ``J / sqrt(n)``, as
      :func:`hedges_g_change` does for two arms. (Standardising by the SD of the
      baseline values instead, "d_av" or Becker's g, answers another question; d_z is
      the effect size of the test that is reported.)

    Parameters
    ----------
    data : pandas.DataFrame
        Long data for one outcome: ``participant_id``, ``arm``, ``time``, ``value``.
    baseline, follow_up : hashable
        Time labels of the two visits.
    arm : hashable
        The arm; rows of other arms are ignored.
    conf, correction, incomplete, strict_labels
        As for :func:`hedges_g_change`.

    Returns
    -------
    pandas.DataFrame
        Two rows with columns ``estimand``, ``arm``, ``reference_arm`` (None),
        ``method``, ``n``, ``mean_baseline``, ``mean_follow_up``, ``estimate``,
        ``sd`` (of the changes), ``d`` (d_z, NaN on the first row), ``J``, ``se``
        (NaN for g), ``df`` (n - 1), ``t``, ``p`` (NaN for g), ``ci_low``,
        ``ci_high``, ``conf``, ``n_excluded``, ``note`` ('' or why the row is
        NaN: fewer than two complete participants, changes without spread,
        df < 2 for Hedges' correction); ``attrs`` as the other estimators.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "participant_id": [1, 1, 2, 2, 3, 3, 4, 4],
    ...     "arm": ["solo"] * 8,
    ...     "time": ["pre", "post"] * 4,
    ...     "value": [10., 11., 12., 12.5, 11., 11., 9., 12.]})
    >>> res = change_within_arm(df, baseline="pre", follow_up="post", arm="solo")
    >>> res[["estimand", "estimate"]].round(4).values.tolist()
    [['mean_change', 1.125], ['standardised_mean_change', 0.6191]]
    """
    _check_conf(conf)
    if correction not in ("exact", "approx"):
        raise ValueError(f"correction must be 'exact' or 'approx', got {correction!r}")
    wide, excluded, _ = _complete_cases(data, baseline, follow_up, arm, None, incomplete, strict_labels, one_arm=True)
    x = wide["change"].to_numpy(dtype=float)
    n = x.size
    base = {
        "arm": arm,
        "reference_arm": None,
        "n": n,
        "mean_baseline": wide["baseline"].mean() if n else np.nan,
        "mean_follow_up": wide["follow_up"].mean() if n else np.nan,
        "conf": conf,
    }
    stat_cols = ["estimate", "sd", "d", "J", "se", "df", "t", "p", "ci_low", "ci_high"]
    mean = {**base, "estimand": "mean_change", "method": "paired_t", **dict.fromkeys(stat_cols, np.nan)}
    g_row = {
        **base,
        "estimand": "standardised_mean_change",
        "method": "noncentral_t",
        **dict.fromkeys(stat_cols, np.nan),
    }
    mean["estimate"] = x.mean() if n else np.nan
    note = _few(wide, [arm], baseline, follow_up) or (NOTE_NO_SPREAD_ARM if _no_spread([x], wide) else "")
    if note:
        return _finish(pd.DataFrame([{**mean, "note": note}, {**g_row, "note": note}]), excluded)
    m, sd = x.mean(), x.std(ddof=1)
    df = n - 1
    se = sd / math.sqrt(n)
    t = m / se
    q = stats.t.ppf(1 - (1 - conf) / 2, df)
    mean |= {
        "sd": sd,
        "se": se,
        "df": float(df),
        "t": t,
        "p": 2 * stats.t.sf(abs(t), df),
        "ci_low": m - q * se,
        "ci_high": m + q * se,
        "note": "",
    }
    d = m / sd
    g_row |= {"sd": sd, "d": d, "df": float(df)}
    if df < 2:
        g_row["note"] = NOTE_HEDGES_DF
    else:
        j = _hedges_j(df, correction)
        ncp_lo, ncp_hi = _nct_ci_ncp(d * math.sqrt(n), df, conf)
        g_row |= {
            "J": j,
            "estimate": j * d,
            "ci_low": j * ncp_lo / math.sqrt(n),
            "ci_high": j * ncp_hi / math.sqrt(n),
            "note": "",
        }
    return _finish(pd.DataFrame([mean, g_row]), excluded)


# --------------------------------------------------------------------------------------
# ANCOVA of follow-up on arm adjusted for baseline
# --------------------------------------------------------------------------------------
def _ancova_fit(wide, arms, conf):
    """OLS of follow-up on arm (treatment coding, ``arms[0]`` the reference) and baseline.

    Returns a dict with beta, cov, dof, qt (the t quantile), xbar (mean baseline) and note
    ('' or :data:`NOTE_ANCOVA` when the fit has no inference).
    """
    y = wide["follow_up"].to_numpy(dtype=float)
    x = wide["baseline"].to_numpy(dtype=float)
    n = y.size
    cols = [np.ones(n)]
    cols += [(wide["arm"] == a).to_numpy(dtype=float) for a in arms[1:]]
    cols.append(x)
    X = np.column_stack(cols)
    p = X.shape[1]
    dof = n - p  # 0 when only a reference arm of two is left in the model
    if dof < 1:
        return {"note": NOTE_ANCOVA["dof"].format(n=n, p=p), "xbar": np.nan}
    q_mat, r_mat = np.linalg.qr(X)
    diag = np.abs(np.diag(r_mat))
    if diag.min() <= 1e-10 * diag.max():
        return {"note": NOTE_ANCOVA["rank"], "xbar": np.nan}
    beta = np.linalg.solve(r_mat, q_mat.T @ y)
    resid = y - X @ beta
    rss = float(resid @ resid)
    sigma2 = rss / dof
    if rss <= 1e-20 * float(((y - y.mean()) ** 2).sum()):  # R^2 = 1 up to rounding
        return {"note": NOTE_ANCOVA["rss"], "xbar": np.nan}
    r_inv = np.linalg.solve(r_mat, np.eye(p))
    cov = sigma2 * (r_inv @ r_inv.T)
    qt = stats.t.ppf(1 - (1 - conf) / 2, dof)
    return {"beta": beta, "cov": cov, "dof": dof, "qt": qt, "xbar": x.mean(), "note": ""}


def ancova_follow_up(
    data, *, baseline, follow_up, reference_arm, treatment_arm=None, conf=0.95, incomplete="exclude", strict_labels=True
):
    """ANCOVA of the follow-up value on arm, adjusted for the baseline value.

    Ordinary least squares ``follow_up = b0 + sum_a b_a [arm = a] + b_x * baseline``
    (treatment coding with ``reference_arm`` as reference, common slope) fitted
    with a QR decomposition in numpy on the complete cases of the analysed
    arms (reference plus ``treatment_arm``; all arms if None). This is the ICH
    E9 baseline-adjusted sensitivity analysis. Inference uses the residual
    variance on ``n - p`` df. Adjusted means are evaluated at the mean
    baseline of the participants in the model (the ``emmeans`` default).

    An arm with fewer than two complete participants is left out of the
    model (its rows are NaN with :data:`NOTE_FEW`; with one participant it
    would add one observation and one parameter, so the other arms'
    differences, the slope and the residual variance are the same either
    way); if it is the reference arm, every row is. A model without residual
    degrees of freedom or variance, or with a rank-deficient design, gives
    NaN rows with :data:`NOTE_ANCOVA`.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data for one outcome: ``participant_id``, ``arm``, ``time``, ``value``.
    baseline, follow_up : hashable
        Time labels of the two visits.
    reference_arm : hashable
        Reference (control) arm.
    treatment_arm : hashable, sequence of hashables or None, default None
        Treatment arm(s); None means every other arm in ``data``.
    conf : float, default 0.95
        Confidence level.
    incomplete : {"exclude", "raise"}, default "exclude"
        Exclude (and list) or refuse participants without both visits.
    strict_labels : bool, default True
        Refuse a time label or arm without rows (False: it has no data).

    Returns
    -------
    pandas.DataFrame
        Columns ``estimand`` ("adjusted_mean" per arm,
        "adjusted_difference" per treatment arm, "baseline_slope"), ``arm``,
        ``reference_arm`` (differences only), ``n`` (arm size; model size for
        differences and slope), ``estimate``, ``se``, ``df`` (residual df),
        ``t``, ``p`` (two-sided; NaN for adjusted means), ``ci_low``,
        ``ci_high``, ``conf``, ``covariate_mean`` (baseline mean at which the
        adjusted means are evaluated), ``n_excluded``, ``note`` ('' or why
        the row is NaN); ``attrs`` carries ``excluded_ids`` and ``excluded``.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "participant_id": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6],
    ...     "arm": ["ctl"] * 6 + ["trt"] * 6,
    ...     "time": ["pre", "post"] * 6,
    ...     "value": [10., 11., 12., 12.5, 11., 11., 9., 12., 11., 13.5, 10., 11.5]})
    >>> res = ancova_follow_up(df, baseline="pre", follow_up="post",
    ...                        reference_arm="ctl", treatment_arm="trt")
    >>> res["estimand"].tolist()
    ['adjusted_mean', 'adjusted_mean', 'adjusted_difference', 'baseline_slope']
    >>> res["estimate"].round(4).tolist()
    [11.125, 12.7083, 1.5833, 0.75]
    """
    _check_conf(conf)
    wide, excluded, arms = _complete_cases(
        data, baseline, follow_up, reference_arm, treatment_arm, incomplete, strict_labels
    )
    counts = wide["arm"].value_counts()
    few = {a: _few(wide, [a], baseline, follow_up) for a in arms if counts.get(a, 0) < 2}
    fitted = [a for a in arms if a not in few]
    model = (
        _ancova_fit(wide[wide["arm"].isin(fitted)] if few else wide, fitted, conf)
        if not few.get(reference_arm)
        else None
    )
    note_all = few[reference_arm] if model is None else model["note"]

    def row(estimand, arm, ref, n_rows, L, test, note=""):
        if note_all or note:
            nan = dict.fromkeys(["estimate", "se", "df", "t", "p", "ci_low", "ci_high", "covariate_mean"], np.nan)
            return {"estimand": estimand, "arm": arm, "reference_arm": ref, "n": n_rows, **nan, "conf": conf,
                    "note": note_all or note}  # fmt: skip
        beta, cov, dof, qt = model["beta"], model["cov"], model["dof"], model["qt"]
        est = float(L @ beta)
        se = math.sqrt(float(L @ cov @ L))
        t = est / se if test else np.nan
        return {
            "estimand": estimand,
            "arm": arm,
            "reference_arm": ref,
            "n": n_rows,
            "estimate": est,
            "se": se,
            "df": float(dof),
            "t": t,
            "p": 2 * stats.t.sf(abs(t), dof) if test else np.nan,
            "ci_low": est - qt * se,
            "ci_high": est + qt * se,
            "conf": conf,
            "covariate_mean": model["xbar"],
        }

    p = len(fitted) + 1
    column = {a: i for i, a in enumerate(fitted)}  # the arm's column in the design (0: intercept)
    rows = []
    for a in arms:
        L = np.zeros(p)
        L[0], L[-1] = 1.0, model["xbar"] if model else np.nan
        if column.get(a, 0) > 0:
            L[column[a]] = 1.0
        rows.append(row("adjusted_mean", a, None, int(counts.get(a, 0)), L, False, few.get(a, "")))
    for a in arms[1:]:
        L = np.zeros(p)
        if a in column:
            L[column[a]] = 1.0
        n_pair = int(counts.get(a, 0) + counts.get(reference_arm, 0))
        rows.append(row("adjusted_difference", a, reference_arm, n_pair, L, True, few.get(a, "")))
    L = np.zeros(p)
    L[-1] = 1.0
    rows.append(row("baseline_slope", None, None, int(counts.reindex(fitted).fillna(0).sum()), L, True))
    return _finish(pd.DataFrame(rows), excluded)
