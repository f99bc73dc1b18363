"""Apply the estimands' intercurrent-event strategies (ICH E9(R1)) to the analysis data set.

For each outcome with an estimand and each of its intercurrent events (treatment
discontinuation, rescue medication; dated in the disposition log as the first time point
measured after the event, ``docs/consort.md``):

* ``treatment_policy``: the values after the event are kept (the event is part of the
  treatment condition); nothing changes;
* ``hypothetical`` (what would have been observed had the event not occurred) and
  ``while_on_treatment`` (the outcome while on treatment, before the event): the values from the
  event's time point on are removed from the data analysed. Under ``hypothetical`` the analysis
  then treats them as missing at random given the observed ones (the linear mixed model, or an
  MMRM, uses the earlier values); under ``while_on_treatment`` they are not part of the variable.

Nothing is removed silently: every removed value is a row of the changes table (with the
disposition line that dated the event) and a recorded reason for a missing value, so the
exclusion tables name the strategy; :func:`count_changes` counts them per outcome, event and
strategy, zeros kept.
"""

from __future__ import annotations

import pandas as pd

CHANGE_COLUMNS = ["outcome", "participant_id", "arm", "time", "value", "event", "strategy", "event_from"]
CHANGE_COLUMNS += ["source_file", "source_line"]
COUNT_COLUMNS = ["outcome", "event", "strategy", "n_participants", "n_values_removed"]
MISSING_COLUMNS = ["participant_id", "time", "outcome", "reason", "source"]
EVENT_WORDS = {"discontinuation": "treatment discontinuation", "rescue": "rescue medication"}
STRATEGY_WORDS = {
    "treatment_policy": "treatment policy",
    "hypothetical": "hypothetical",
    "while_on_treatment": "while on treatment",
}


def apply_strategies(
    data: pd.DataFrame, disposition: pd.DataFrame, estimands: list[dict], times: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The analysis data with each estimand's strategies applied.

    Parameters
    ----------
    data : the analysis data set (participant_id, arm, time, outcome, value, ...).
    disposition : the accepted disposition log (participant_id, and the event columns
        ``discontinued_from``, ``rescue_from``: a time point id or '').
    estimands : as :func:`trialflow.analysis_plan.estimands` returns them.
    times : the time points in order.

    Returns
    -------
    data : the rows kept, in their order.
    changes : one row per removed value: outcome, participant_id, arm, time, value, event,
        strategy, event_from (the first time point after the event), source_file and
        source_line (the disposition log's line that dated it). A value removed for two events
        is listed under the first event of the estimand.
    missing : the removed values as recorded reasons (participant_id, time, outcome, reason,
        source), for the exclusion tables.
    """
    order = {t: i for i, t in enumerate(times)}
    rank = data["time"].map(order)
    people = disposition[disposition["participant_id"] != ""].set_index("participant_id")
    removed = pd.Series(False, index=data.index)
    parts = []
    for estimand in estimands:
        outcome = estimand["outcome"]
        for event in estimand["intercurrent_events"]:
            if event["strategy"] == "treatment_policy":
                continue
            column = event["column"]
            dated = people[people[column].fillna("") != ""]
            start = data["participant_id"].map(dated[column].map(order))  # NaN: no such event
            hit = (data["outcome"] == outcome) & (rank >= start) & ~removed
            if not hit.any():
                continue
            rows = data[hit]
            source = dated.loc[rows["participant_id"]]
            parts.append(
                pd.DataFrame(
                    {
                        "outcome": outcome,
                        "participant_id": rows["participant_id"].to_numpy(),
                        "arm": rows["arm"].to_numpy(),
                        "time": rows["time"].to_numpy(),
                        "value": rows["value"].to_numpy(),
                        "event": event["event"],
                        "strategy": event["strategy"],
                        "event_from": source[column].to_numpy(),
                        "source_file": source["source_file"].to_numpy(),
                        "source_line": source["source_line"].to_numpy(),
                    }
                )
            )
            removed |= hit
    changes = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=CHANGE_COLUMNS)
    missing = pd.DataFrame(
        {
            "participant_id": changes["participant_id"],
            "time": changes["time"],
            "outcome": changes["outcome"],
            "reason": [
                f"removed by the estimand's {STRATEGY_WORDS[s]} strategy for {EVENT_WORDS[e]} (from {t})"
                for s, e, t in zip(changes["strategy"], changes["event"], changes["event_from"], strict=True)
            ],
            "source": [
                f"{f}, line {line}" for f, line in zip(changes["source_file"], changes["source_line"], strict=True)
            ],
        },
        columns=MISSING_COLUMNS,
    )
    return data[~removed], changes[CHANGE_COLUMNS], missing


def count_changes(changes: pd.DataFrame, estimands: list[dict]) -> pd.DataFrame:
    """Per estimand outcome and intercurrent event (config order, zeros kept): the strategy, the
    participants with values removed and the values removed (0 under treatment policy)."""
    rows = []
    for estimand in estimands:
        for event in estimand["intercurrent_events"]:
            hit = changes[(changes["outcome"] == estimand["outcome"]) & (changes["event"] == event["event"])]
            rows.append(
                {
                    "outcome": estimand["outcome"],
                    "event": event["event"],
                    "strategy": event["strategy"],
                    "n_participants": int(hit["participant_id"].nunique()),
                    "n_values_removed": len(hit),
                }
            )
    return pd.DataFrame(rows, columns=COUNT_COLUMNS)
