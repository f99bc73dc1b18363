"""Which participants a repeated-measures analysis can use: those with a value at every time point.

Kept apart from the ANOVA (and scipy) so the validation gate and the CONSORT flow can name the
exclusions without paying for the statistics imports. :func:`exclusion_counts` and
:func:`exclusion_reasons` count them for the report.
"""

from __future__ import annotations

import pandas as pd


def complete_cases(
    data: pd.DataFrame, dv: str, within: str, subject: str, levels: list[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``data`` into subjects with a value at every time point and those without.

    Parameters
    ----------
    levels : the time points a subject must have (default: every level present in data).

    Returns
    -------
    complete : the rows of subjects with a non-missing ``dv`` at every level.
    excluded : one row per other subject: ``subject`` column, ``missing`` (the levels
        without a value, ';'-joined) and ``reason`` in words.
    """
    levels = list(levels) if levels is not None else list(pd.unique(data[within]))
    valued = data.dropna(subset=[dv])
    # Every subject, also one without any value (an all-False row): excluded, not kept.
    subjects = pd.Index(pd.unique(data[subject])).sort_values()
    present = valued.groupby([subject, within]).size().unstack(within).reindex(index=subjects, columns=levels).notna()
    gaps = present[~present.all(axis=1)]
    rows = []
    for sid, row in zip(gaps.index, gaps.to_numpy(), strict=True):
        missing = [lev for lev, have in zip(levels, row, strict=True) if not have]
        rows.append({subject: sid, "missing": ";".join(missing), "reason": f"no value at {', '.join(missing)}"})
    excluded = pd.DataFrame(rows, columns=[subject, "missing", "reason"])
    keep = data[~data[subject].isin(excluded[subject]) & data[within].isin(levels)]
    return keep, excluded


def excluded_participants(
    data: pd.DataFrame, outcome: str, levels: list[str], missing: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Who the repeated-measures analysis of ``outcome`` leaves out, and why: its rows of
    ``results/stats/excluded.csv`` from the analysis data set (see :func:`explain_exclusions`)."""
    rows = data[data["outcome"] == outcome]
    _, excluded = complete_cases(rows, "value", "time", "participant_id", levels=levels)
    return explain_exclusions(excluded, rows, outcome, missing)


def explain_exclusions(
    excluded: pd.DataFrame, data: pd.DataFrame, outcome: str, missing: pd.DataFrame | None = None
) -> pd.DataFrame:
    """``excluded`` (by :func:`complete_cases` from ``data``, the outcome's rows) as rows of
    ``results/stats/excluded.csv``: outcome, participant_id, arm, missing and reason.

    With ``missing`` (participant_id, time, outcome, reason: values recorded as missing), the
    reason names for each missing time point the first reason recorded for it (e.g.
    'week8: not asked (NASK)'), or 'no value at week8'.
    """
    excluded = excluded.merge(
        data.drop_duplicates("participant_id")[["participant_id", "arm"]], on="participant_id", how="left"
    )
    if missing is not None and len(excluded):
        rows = missing[missing["outcome"] == outcome].drop_duplicates(["participant_id", "time"])
        recorded = dict(zip(zip(rows["participant_id"], rows["time"], strict=True), rows["reason"], strict=True))
        excluded["reason"] = [_why_missing(recorded, r) for r in excluded.itertuples()]
    excluded.insert(0, "outcome", outcome)
    return excluded[["outcome", "participant_id", "arm", "missing", "reason"]]


def _why_missing(recorded: dict[tuple[str, str], str], row) -> str:
    parts = []
    for time in row.missing.split(";"):
        reason = recorded.get((row.participant_id, time))
        parts.append(f"{time}: {reason}" if reason is not None else f"no value at {time}")
    return "; ".join(parts)


def exclusion_counts(excluded: pd.DataFrame, outcomes: list[str], arms: list[str], times: list[str]) -> pd.DataFrame:
    """How many participants each outcome's analysis leaves out, per arm, and of them how many
    have no value at each time point.

    Parameters
    ----------
    excluded : ``results/stats/excluded.csv`` (outcome, participant_id, arm, missing: the time
        points without a value, ';'-joined).
    outcomes, arms, times : the configured ids, in the order the rows come.

    Returns
    -------
    DataFrame with columns outcome, arm, time, n: for each outcome, and for ``""`` (any outcome:
    participants left out of at least one), each arm and ``""`` (all arms), and ``time`` ``""``
    (participants excluded) or a time point (of them, those without a value there). A
    participant without a value at several time points counts at each of them.
    """
    rows = []
    for outcome in [*outcomes, ""]:
        mine = excluded[excluded["outcome"] == outcome] if outcome else excluded
        for arm in [*arms, ""]:
            people = mine[mine["arm"] == arm] if arm else mine
            missing = people.assign(time=people["missing"].fillna("").str.split(";")).explode("time")
            rows.append({"outcome": outcome, "arm": arm, "time": "", "n": people["participant_id"].nunique()})
            for time in times:
                n = missing.loc[missing["time"] == time, "participant_id"].nunique()
                rows.append({"outcome": outcome, "arm": arm, "time": time, "n": n})
    return pd.DataFrame(rows, columns=["outcome", "arm", "time", "n"])


def exclusion_reasons(excluded: pd.DataFrame, arms: list[str]) -> pd.DataFrame:
    """The reasons recorded for the values whose absence left participants out of an analysis.

    The ``reason`` of ``results/stats/excluded.csv`` has one part per missing time point, joined
    by ``"; "``; each part counts once per participant and outcome.

    Returns
    -------
    DataFrame with columns reason, arm, n: per reason, each arm and ``""`` (all arms), reasons
    most frequent first (then alphabetical).
    """
    parts = excluded.assign(reason=excluded["reason"].fillna("").str.split("; ")).explode("reason")
    parts = parts.drop_duplicates(["outcome", "participant_id", "reason"])
    counts = pd.crosstab(parts["reason"], parts["arm"]).reindex(columns=arms, fill_value=0)
    counts[""] = counts.sum(axis=1)
    counts = counts.reset_index().sort_values(["", "reason"], ascending=[False, True])
    long = counts.melt(id_vars="reason", value_vars=[*arms, ""], var_name="arm", value_name="n")
    order = {reason: i for i, reason in enumerate(counts["reason"])}
    long = long.sort_values("reason", key=lambda c: c.map(order), kind="stable")
    return long.reset_index(drop=True).astype({"n": "int64"})
