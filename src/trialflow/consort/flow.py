"""The CONSORT 2025 participant flow, counted from the disposition log, and its cross-checks.

:func:`derive_flow` counts every box of the flow diagram from the log read by
:func:`trialflow.consort.read.read_disposition`; :func:`check_flow` checks that every box adds
up; with the participants file given, the log is checked against it. :func:`cross_check` runs
all of these at the validation gate, counting as analysed whoever the analysis will keep
(:func:`analysis_exclusions`, :func:`analysis_from_results`), so an inconsistent log stops the
run before any analysis. :func:`flow_frame` and :func:`flow_json` are the flow as written to
``results/consort/``; :mod:`trialflow.consort.diagram` draws it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping

import pandas as pd

from trialflow.consort.read import YES, Items, attended_column, ids_labels
from trialflow.problems import Problem
from trialflow.stats.complete import excluded_participants

NOT_RECORDED = "reason not recorded"


# --------------------------------------------------------------------------- values and tallies


def _flag(value) -> bool:
    """True for True / 'yes' / 'true'; everything else (False, 'no', empty, NA) is False."""
    if isinstance(value, str):
        return value.strip().lower() in {YES, "true"}
    if value is None or value is pd.NA:
        return False
    try:
        return bool(value) and not pd.isna(value)
    except (TypeError, ValueError):
        return False


def _text(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return ""
    return " ".join(str(value).split())


def _reasons(values: Iterable[str]) -> list[dict]:
    """Reasons with counts, most frequent first, then alphabetically (deterministic)."""
    counts = Counter(_text(v) for v in values)
    counts.pop("", None)
    return [{"reason": r, "n": n} for r, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold(), kv[0]))]


def _tally(values: Iterable[str], n: int | None = None) -> dict:
    """``{"n", "reasons"}``; when ``n`` exceeds the reasons given, the rest is 'reason not recorded'."""
    values = list(values)
    reasons = _reasons(values)
    total = len(values) if n is None else n
    missing = total - sum(r["n"] for r in reasons)
    if missing > 0:
        reasons.append({"reason": NOT_RECORDED, "n": missing})
    return {"n": total, "reasons": reasons}


# --------------------------------------------------------------------------- analysis


def analysis_from_results(
    disposition: pd.DataFrame, analysis: pd.DataFrame, excluded: pd.DataFrame | None, outcomes: Items
) -> tuple[dict[tuple[str, str], int], pd.DataFrame]:
    """Numbers analysed and exclusions from analysis, from the pipeline's results tables.

    ``analysis`` is ``results/data/analysis.csv`` (participant_id, outcome, ...), ``excluded`` is
    ``results/stats/excluded.csv`` (outcome, participant_id, reason). A randomised participant is
    analysed for an outcome when they have a value for it and are not in ``excluded``. Those not
    analysed and not lost to follow-up are returned as exclusions with the reason from
    ``excluded``, or ``"no <outcome> values"`` when they have no value at all.

    Returns ``(analysed, exclusions)``: ``analysed[(arm, outcome)] = n`` and a frame with
    columns outcome, participant_id, arm, reason (input for :func:`derive_flow`).
    """
    outcome_ids = ids_labels(outcomes)
    randomised = disposition[disposition["randomised"].map(_flag)]
    excluded = excluded if excluded is not None else pd.DataFrame(columns=["outcome", "participant_id", "reason"])
    why = {(str(r.outcome), str(r.participant_id)): _text(r.reason) for r in excluded.itertuples()}
    pairs = analysis[["outcome", "participant_id"]].astype(str).drop_duplicates()
    has = set(zip(pairs["outcome"].tolist(), pairs["participant_id"].tolist(), strict=True))
    analysed: dict[tuple[str, str], int] = {}
    rows = []
    for oid, label in outcome_ids:
        for r in randomised.itertuples():
            pid, arm = str(r.participant_id), str(r.arm)
            analysed.setdefault((arm, oid), 0)
            if (oid, pid) in has and (oid, pid) not in why:
                analysed[(arm, oid)] += 1
            elif not _flag(r.lost_to_follow_up):
                reason = (why[(oid, pid)] or NOT_RECORDED) if (oid, pid) in why else f"no {label} values"
                rows.append({"outcome": oid, "participant_id": pid, "arm": arm, "reason": reason})
    return analysed, pd.DataFrame(rows, columns=["outcome", "participant_id", "arm", "reason"])


def analysis_exclusions(
    analysis: pd.DataFrame, outcomes: Items, time_points: Items, missing: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Who the analysis leaves out, computed without running it: per outcome, the participants in
    the analysis data set without a value at every time point (as the ANOVA excludes them), in
    the rows of ``results/stats/excluded.csv``, reasons from ``missing`` (values recorded as
    missing) when given (:func:`trialflow.stats.complete.excluded_participants`).

    For :func:`analysis_from_results`: at the validation gate, and in the flow drawn beside the
    statistics.
    """
    times = [t for t, _ in ids_labels(time_points)]
    by_outcome = dict(tuple(analysis.groupby("outcome", sort=False)))  # one pass, not one scan per outcome
    frames = [
        excluded_participants(by_outcome.get(oid, analysis.iloc[:0]), oid, times, missing)
        for oid, _ in ids_labels(outcomes)
    ]
    return pd.concat(frames, ignore_index=True)


def cross_check(
    disposition: pd.DataFrame,
    participants: pd.DataFrame,
    analysis: pd.DataFrame,
    arms: Items,
    time_points: Items,
    outcomes: Items,
    name: str = "disposition log",
    missing: pd.DataFrame | None = None,
) -> list[Problem]:
    """Every cross-check of the flow, run at the validation gate, before any analysis.

    The log's counts are checked against the participants file and against the analysis data
    set, counting as analysed whoever has a value at every time point (the ANOVA's rule), so
    an inconsistency such as "analysed > followed up" stops the run before the analysis, not
    after it. Same rules and messages as :func:`derive_flow` (``docs/consort.md``), and the
    attendance of each visit against the data (:func:`attendance_problems`; ``missing``: the
    values recorded as missing with a reason).
    """
    analysed, exclusions = analysis_from_results(
        disposition, analysis, analysis_exclusions(analysis, outcomes, time_points), outcomes
    )
    _, problems = derive_flow(
        disposition,
        arms,
        time_points,
        analysed,
        outcomes=outcomes,
        analysis_exclusions=exclusions,
        participants=participants,
        name=name,
    )
    return problems + attendance_problems(disposition, analysis, time_points, missing, name)


def attendance_problems(
    disposition: pd.DataFrame,
    analysis: pd.DataFrame,
    time_points: Items,
    missing: pd.DataFrame | None = None,
    name: str = "disposition log",
) -> list[Problem]:
    """Attended a visit per the log ⇔ has data at that visit, or a stated reason (warnings).

    For each randomised person and time point:

    * ``attended_<time>`` = no, yet the analysis data holds values at that time point:
      ``attendance_has_data`` (the log or the data is wrong; the values are analysed as they are);
    * ``attended_<time>`` = yes, yet no outcome has a value there and none is recorded as missing
      with a reason (``missing``: the values recorded as missing, e.g. a REDCap missing-data code
      or a censored ELISA result): ``attendance_no_data``.

    Each names the log's line and column and, for data present, the file and line of the first
    value. Warnings, not errors: a visit can be attended and the measurement lost, and the log
    is kept by other people than the data; the report lists them (docs/consort.md).
    """
    problems = []
    randomised = disposition[disposition["participant_id"].astype(str) != ""]
    times = [t for t, _ in ids_labels(time_points)]
    present = analysis.dropna(subset=["value"]) if "value" in analysis else analysis
    # Row positions per (participant, time), not a frame each: the rows are needed for a problem only.
    data_at = present.groupby(["participant_id", "time"], sort=False).indices
    reasons = set()
    if missing is not None and len(missing):
        stated = missing[missing["reason"].astype(str).str.strip() != ""]
        reasons = set(zip(stated["participant_id"].astype(str), stated["time"].astype(str), strict=True))
    for row in randomised.to_dict("records"):
        pid, line = str(row["participant_id"]), str(row.get("source_line", ""))
        for time in times:
            column = attended_column(time)
            attended = row.get(column)
            if attended is None or pd.isna(attended):
                continue
            at = data_at.get((pid, time))
            if not attended and at is not None:
                rows = present.iloc[at]
                first = rows.iloc[0]
                where = f"{first.get('source_file', '')}, {_line_text(first.get('source_line', ''))}"
                outcomes = ", ".join(sorted(set(rows["outcome"].astype(str))))
                problems.append(
                    Problem(
                        name,
                        line,
                        column,
                        "no",
                        "attendance_has_data",
                        "warning",
                        f"participant {pid!r} did not attend {time!r} per the disposition log, but the analysis data "
                        f"holds {len(rows)} value(s) at {time!r} ({outcomes}; "
                        f"first: {where}); correct the log or the data",
                    )
                )
            elif attended and at is None and (pid, time) not in reasons:
                problems.append(
                    Problem(
                        name,
                        line,
                        column,
                        "yes",
                        "attendance_no_data",
                        "warning",
                        f"participant {pid!r} attended {time!r} per the disposition log, but no outcome has a value "
                        f"at {time!r} and none is recorded as missing with a reason; add the data or the reason, "
                        "or correct the log",
                    )
                )
    return problems


def _line_text(line) -> str:
    """A source line as a person reads it: ``line 12``; a well or cell as written."""
    text = str(line)
    return f"line {text}" if text.isdigit() else text


# --------------------------------------------------------------------------- counting


def derive_flow(
    disposition: pd.DataFrame,
    arms: Items,
    time_points: Items,
    analysed: Mapping[tuple[str, str], int],
    *,
    outcomes: Items | None = None,
    analysis_exclusions: pd.DataFrame | None = None,
    participants: pd.DataFrame | None = None,
    name: str = "disposition log",
) -> tuple[dict, list[Problem]]:
    """Count every box of the CONSORT 2025 flow diagram from the disposition log.

    Parameters
    ----------
    disposition : from :func:`read_disposition` (flags may also be 'yes'/'no' text).
    arms, time_points : configured arms and time points (ids or config entries; order kept).
    analysed : ``{(arm_id, outcome_id): n analysed}``.
    outcomes : outcomes in order (ids or config entries); default: as they appear in ``analysed``.
    analysis_exclusions : optional frame (outcome, participant_id, arm, reason) naming who was not
        analysed and why (see :func:`analysis_from_results`); unnamed ones are 'reason not recorded'.
    participants : optional participants frame (participant_id, arm; ``source_file`` and
        ``source_line`` used when present) to cross-check against the log.
    name : the log's name in problems.

    Returns
    -------
    flow : plain dict (JSON-ready) with ``assessed``, ``excluded`` (``n``, ``not_eligible``,
        ``declined``, ``other``; each ``{"n", "reasons": [{"reason", "n"}]}``), ``randomised``,
        ``time_points``, ``outcomes`` and ``arms``: per arm ``id``, ``label``, ``allocated``,
        ``received``, ``not_received``, ``lost_to_follow_up``, ``discontinued`` (tallies),
        ``attended`` (per time point), ``followed_up`` (allocated − lost) and ``analysis``
        (per outcome: ``outcome``, ``label``, ``analysed``, ``excluded`` tally, where excluded =
        followed up − analysed).
    problems : cross-check failures (see ``docs/consort.md``), all errors.
    """
    arm_items, time_items = ids_labels(arms), ids_labels(time_points)
    outcome_items = (
        ids_labels(outcomes) if outcomes is not None else [(o, o) for o in dict.fromkeys(o for _, o in analysed)]
    )
    d = disposition
    rand_mask = d["participant_id"].map(_text) != ""
    eligible = d["eligible"].map(_flag)
    declined = d["declined"].map(_flag) & eligible
    not_eligible = d[~eligible & ~rand_mask]
    declined_rows = d[declined & ~rand_mask]
    other = d[eligible & ~declined & ~rand_mask]
    excluded = {
        "n": len(not_eligible) + len(declined_rows) + len(other),
        "not_eligible": _tally(not_eligible["exclusion_reason"]),
        "declined": {"n": len(declined_rows), "reasons": _reasons(declined_rows["exclusion_reason"])},
        "other": _tally(other["exclusion_reason"]),
    }
    exclusions = (
        analysis_exclusions
        if analysis_exclusions is not None
        else pd.DataFrame(columns=["outcome", "participant_id", "arm", "reason"])
    )
    problems: list[Problem] = []
    arm_flows = []
    for arm_id, arm_label in arm_items:
        a = d[rand_mask & (d["arm"].astype(str) == arm_id)]
        lost = a[a["lost_to_follow_up"].map(_flag)]
        not_received = a[~a["received_allocated"].map(_flag)]
        followed_up = len(a) - len(lost)
        analysis = []
        for oid, olabel in outcome_items:
            n = int(analysed.get((arm_id, oid), 0))
            listed = exclusions[(exclusions["arm"].astype(str) == arm_id) & (exclusions["outcome"].astype(str) == oid)]
            if n > followed_up:
                problems.append(
                    Problem(
                        name,
                        "",
                        "lost_to_follow_up",
                        str(n),
                        "analysed_followed_up",
                        "error",
                        f"{olabel}, arm {arm_label}: analysed (n={n}) is more than were followed up "
                        f"(n={followed_up}: {len(a)} allocated − {len(lost)} lost to follow-up)",
                    )
                )
            analysis.append(
                {
                    "outcome": oid,
                    "label": olabel,
                    "analysed": n,
                    "excluded": _tally(listed["reason"], max(followed_up - n, 0)),
                }
            )
            if len(listed) > max(followed_up - n, 0):
                problems.append(
                    Problem(
                        name,
                        "",
                        "",
                        str(len(listed)),
                        "analysis_exclusions_count",
                        "error",
                        f"{olabel}, arm {arm_label}: {len(listed)} participants are listed as excluded from the "
                        f"analysis but only {max(followed_up - n, 0)} of those followed up were not analysed",
                    )
                )
        arm_flows.append(
            {
                "id": arm_id,
                "label": arm_label,
                "allocated": len(a),
                "received": len(a) - len(not_received),
                "not_received": _tally(not_received["not_received_reason"]),
                "lost_to_follow_up": _tally(lost["lost_reason"]),
                "discontinued": _tally(a[a["discontinued"].map(_flag)]["discontinued_reason"]),
                "attended": {
                    t: int(a[attended_column(t)].map(_flag).sum()) if attended_column(t) in a else 0
                    for t, _ in time_items
                },
                "followed_up": followed_up,
                "analysis": analysis,
            }
        )
    flow = {
        "assessed": len(d),
        "excluded": excluded,
        "randomised": int(rand_mask.sum()),
        "time_points": [{"id": t, "label": lab} for t, lab in time_items],
        "outcomes": [{"id": o, "label": lab} for o, lab in outcome_items],
        "arms": arm_flows,
    }
    problems = check_flow(flow, name) + problems
    randomised_arm = {str(r.participant_id): str(r.arm) for r in d[rand_mask].itertuples()}
    for r in exclusions.itertuples():
        if randomised_arm.get(str(r.participant_id)) != str(r.arm):
            problems.append(
                Problem(
                    name,
                    "",
                    "participant_id",
                    str(r.participant_id),
                    "analysis_exclusion_randomised",
                    "error",
                    f"participant {r.participant_id!r} is listed as excluded from the {r.outcome} analysis in arm "
                    f"{r.arm!r} but is not randomised to that arm in the disposition log",
                )
            )
    if participants is not None:
        problems += _cross_check_participants(d[rand_mask], participants, name)
    return flow, problems


def check_flow(flow: dict, name: str = "disposition log") -> list[Problem]:
    """Arithmetic of a flow: every box adds up. Problems name the box that does not."""
    problems = []

    def fail(rule: str, value: int, message: str) -> None:
        problems.append(Problem(name, "", "", str(value), rule, "error", message))

    arms = flow["arms"]
    total = sum(a["allocated"] for a in arms)
    if flow["randomised"] != total:
        parts = " + ".join(f"{a['label']} {a['allocated']}" for a in arms)
        fail(
            "randomised_sum",
            flow["randomised"],
            f"randomised (n={flow['randomised']}) is not the sum of the arms ({parts} = {total})",
        )
    ex = flow["excluded"]
    parts_n = ex["not_eligible"]["n"] + ex["declined"]["n"] + ex["other"]["n"]
    if ex["n"] != parts_n:
        fail("excluded_sum", ex["n"], f"excluded (n={ex['n']}) is not not-eligible + declined + other (n={parts_n})")
    if flow["assessed"] != ex["n"] + flow["randomised"]:
        fail(
            "assessed_sum",
            flow["assessed"],
            f"assessed (n={flow['assessed']}) is not excluded + randomised "
            f"(n={ex['n']} + {flow['randomised']} = {ex['n'] + flow['randomised']})",
        )
    for a in arms:
        if a["received"] + a["not_received"]["n"] != a["allocated"]:
            fail(
                "allocated_sum",
                a["allocated"],
                f"arm {a['label']}: allocated (n={a['allocated']}) is not received + not received "
                f"(n={a['received']} + {a['not_received']['n']})",
            )
        if a["followed_up"] != a["allocated"] - a["lost_to_follow_up"]["n"]:
            fail(
                "followed_up_sum",
                a["followed_up"],
                f"arm {a['label']}: followed up (n={a['followed_up']}) is not allocated − lost to follow-up",
            )
    return problems


def _cross_check_participants(randomised: pd.DataFrame, participants: pd.DataFrame, name: str) -> list[Problem]:
    problems = []
    in_log = {
        str(r.participant_id): (str(r.arm), int(r.source_line) if "source_line" in randomised else "")
        for r in randomised.itertuples()
    }
    in_file = {}
    for r in participants.to_dict("records"):
        in_file[str(r["participant_id"])] = (
            str(r["arm"]),
            str(r.get("source_file", "participants file")),
            str(r.get("source_line", "")),
        )
    for pid, (arm, file, line) in in_file.items():
        if pid not in in_log:
            problems.append(
                Problem(
                    file,
                    line,
                    "participant_id",
                    pid,
                    "participant_randomised",
                    "error",
                    f"participant {pid!r} is in the participants file but not randomised in the disposition log",
                )
            )
        elif in_log[pid][0] != arm:
            problems.append(
                Problem(
                    name,
                    str(in_log[pid][1]),
                    "arm",
                    in_log[pid][0],
                    "arm_agrees",
                    "error",
                    f"participant {pid!r} is randomised to {in_log[pid][0]!r} in the "
                    f"disposition log but to {arm!r} in the participants file",
                )
            )
    for pid, (_, line) in in_log.items():
        if pid not in in_file:
            problems.append(
                Problem(
                    name,
                    str(line),
                    "participant_id",
                    pid,
                    "participant_listed",
                    "error",
                    f"participant {pid!r} is randomised in the disposition log but not in the participants file",
                )
            )
    return problems


def flow_frame(flow: dict) -> pd.DataFrame:
    """The flow as a long table (stage, arm, outcome, item, reason, n) for ``results/``."""
    rows = [
        ("enrolment", "", "", "assessed", "", flow["assessed"]),
        ("enrolment", "", "", "excluded", "", flow["excluded"]["n"]),
    ]
    for item in ["not_eligible", "declined", "other"]:
        rows.append(("enrolment", "", "", item, "", flow["excluded"][item]["n"]))
        rows += [("enrolment", "", "", item, r["reason"], r["n"]) for r in flow["excluded"][item]["reasons"]]
    rows.append(("randomisation", "", "", "randomised", "", flow["randomised"]))
    for a in flow["arms"]:
        arm = a["id"]
        rows += [
            ("allocation", arm, "", "allocated", "", a["allocated"]),
            ("allocation", arm, "", "received", "", a["received"]),
        ]
        for stage, item in [
            ("allocation", "not_received"),
            ("follow-up", "lost_to_follow_up"),
            ("follow-up", "discontinued"),
        ]:
            rows.append((stage, arm, "", item, "", a[item]["n"]))
            rows += [(stage, arm, "", item, r["reason"], r["n"]) for r in a[item]["reasons"]]
        rows += [("follow-up", arm, "", f"attended_{t}", "", n) for t, n in a["attended"].items()]
        rows.append(("follow-up", arm, "", "followed_up", "", a["followed_up"]))
        for o in a["analysis"]:
            rows += [
                ("analysis", arm, o["outcome"], "analysed", "", o["analysed"]),
                ("analysis", arm, o["outcome"], "excluded", "", o["excluded"]["n"]),
            ]
            rows += [("analysis", arm, o["outcome"], "excluded", r["reason"], r["n"]) for r in o["excluded"]["reasons"]]
    frame = pd.DataFrame(rows, columns=["stage", "arm", "outcome", "item", "reason", "n"])
    frame["n"] = frame["n"].astype("int64")
    return frame


def flow_json(flow: dict) -> bytes:
    """The flow as UTF-8 JSON (stable key order, LF, trailing newline)."""
    return (json.dumps(flow, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
