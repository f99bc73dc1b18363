"""Harms per arm (CONSORT 2025 item 28): participants with events and numbers of events.

Counts only, no tests: CONSORT asks for the number of participants with each kind of harm and
the number of events, per arm, with the denominator. Nothing is rounded here.
"""

from __future__ import annotations

import pandas as pd

from trialflow.schemas import RELATED

MEASURES = ["any", "serious", "severe", "related", "led_to_discontinuation", "fatal"]


def _selectors(events: pd.DataFrame) -> dict[str, pd.Series]:
    return {
        "any": pd.Series(True, index=events.index),
        "serious": events["serious"] == "yes",
        "severe": events["severity"] == "severe",
        "related": events["relatedness"].isin(RELATED),
        "led_to_discontinuation": events["led_to_discontinuation"] == "yes",
        "fatal": events["outcome"] == "fatal",
    }


def _with_arm(events: pd.DataFrame, participants: pd.DataFrame) -> pd.DataFrame:
    arm = participants.set_index("participant_id")["arm"]
    out = events.copy()
    out["arm"] = out["participant_id"].map(arm)
    if out["arm"].isna().any():
        missing = sorted(out.loc[out["arm"].isna(), "participant_id"].unique())
        raise ValueError(f"events of participants not in the participants table: {', '.join(missing)}")
    return out


def _percent(n: int, denominator: int) -> float:
    return 100.0 * n / denominator if denominator else float("nan")


def summarise_harms(events: pd.DataFrame, participants: pd.DataFrame, arms: list[str]) -> pd.DataFrame:
    """Participants with at least one event, and events, per arm and harms measure.

    Parameters
    ----------
    events : adverse events (:class:`trialflow.schemas.AdverseEvents`: participant_id, severity,
        serious, relatedness, outcome, led_to_discontinuation).
    participants : the randomised participants (participant_id, arm): the denominators.
    arms : arm ids, in table order.

    Returns
    -------
    DataFrame with columns ``arm``, ``measure`` (any, serious, severe, related — possible,
    probable or definite —, led_to_discontinuation, fatal), ``participants`` (with at least one
    such event), ``events``, ``denominator`` (randomised to the arm) and ``percent``
    (100 × participants / denominator, unrounded; NaN when the arm has nobody). One row per arm
    × measure, arms in the given order; zero rows are kept.

    Examples
    --------
    >>> people = pd.DataFrame({"participant_id": ["a", "b", "c"], "arm": ["x", "x", "y"]})
    >>> ev = pd.DataFrame({"participant_id": ["a", "a"], "severity": ["mild", "severe"],
    ...     "serious": ["no", "no"], "relatedness": ["possible", "unrelated"],
    ...     "outcome": ["recovered", "recovered"], "led_to_discontinuation": ["no", "no"]})
    >>> t = summarise_harms(ev, people, ["x", "y"])
    >>> t[t["measure"] == "any"][["arm", "participants", "events", "denominator", "percent"]].values.tolist()
    [['x', 1, 2, 2, 50.0], ['y', 0, 0, 1, 0.0]]
    """
    events = _with_arm(events, participants)
    picks = _selectors(events)
    rows = []
    for arm in arms:
        denominator = int((participants["arm"] == arm).sum())
        in_arm = events["arm"] == arm
        for measure in MEASURES:
            hit = events[in_arm & picks[measure]]
            n = int(hit["participant_id"].nunique())
            rows.append(
                {
                    "arm": arm,
                    "measure": measure,
                    "participants": n,
                    "events": len(hit),
                    "denominator": denominator,
                    "percent": _percent(n, denominator),
                }
            )
    return pd.DataFrame(rows, columns=["arm", "measure", "participants", "events", "denominator", "percent"])


def harms_by_term(events: pd.DataFrame, participants: pd.DataFrame, arms: list[str]) -> pd.DataFrame:
    """Participants with at least one event of each term, and events, per arm.

    Returns
    -------
    DataFrame with columns ``event_term``, ``arm``, ``participants``, ``events``,
    ``denominator`` and ``percent`` (unrounded). Every term has a row for every arm (zeros
    kept); terms are ordered by participants over all arms (most first), then alphabetically.
    """
    events = _with_arm(events, participants)
    columns = ["event_term", "arm", "participants", "events", "denominator", "percent"]
    if events.empty:
        # typed as the rows would be: an untyped empty text column is not a text column to the schema
        types = {"event_term": str, "arm": str, "participants": int, "events": int, "denominator": int}
        return pd.DataFrame(columns=columns).astype(types | {"percent": float})
    total = events.groupby("event_term")["participant_id"].nunique()
    terms = sorted(total.index, key=lambda t: (-int(total[t]), t.casefold(), t))
    rows = []
    for term in terms:
        of_term = events[events["event_term"] == term]
        for arm in arms:
            denominator = int((participants["arm"] == arm).sum())
            hit = of_term[of_term["arm"] == arm]
            n = int(hit["participant_id"].nunique())
            rows.append(
                {
                    "event_term": term,
                    "arm": arm,
                    "participants": n,
                    "events": len(hit),
                    "denominator": denominator,
                    "percent": _percent(n, denominator),
                }
            )
    return pd.DataFrame(rows, columns=columns)
