"""CONSORT 2025 participant flow, derived from a screening/disposition log (never typed).

The log has one row per person assessed for eligibility (format: ``docs/consort.md``).
:func:`read_disposition` validates it row by row; :func:`derive_flow` counts every box of
the CONSORT 2025 flow diagram from it and cross-checks the counts against the participants
file and the numbers analysed; :func:`flow_diagram_svg` draws the diagram as plain,
deterministic SVG (no ids, no randomness, text escaped, sized for an A4 text width).

Arms, time points and outcomes may be given as ids (``["control", "training"]``) or as the
config's entries (``[{"id": "control", "label": "Control"}, ...]``); labels default to ids.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd

from trialflow.problems import Problem
from trialflow.readers import LINE, read

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
YES, NO = "yes", "no"
BASE_COLUMNS = [
    "screening_id",
    "participant_id",
    "eligible",
    "exclusion_reason",
    "declined",
    "arm",
    "received_allocated",
    "not_received_reason",
    "discontinued",
    "discontinued_reason",
    "lost_to_follow_up",
    "lost_reason",
]
# flag column, its reason column, and the flag value that needs a reason
FLAG_REASONS = [
    ("received_allocated", "not_received_reason", NO),
    ("discontinued", "discontinued_reason", YES),
    ("lost_to_follow_up", "lost_reason", YES),
]
NOT_RECORDED = "reason not recorded"

Items = Sequence[str] | Sequence[Mapping]


# --------------------------------------------------------------------------- helpers


def _ids_labels(items: Items | None) -> list[tuple[str, str]]:
    """``[(id, label)]`` from ids or config entries (``{"id": ..., "label": ...}``)."""
    out = []
    for item in items or []:
        if isinstance(item, Mapping):
            out.append((str(item["id"]), str(item.get("label", item["id"]))))
        else:
            out.append((str(item), str(item)))
    return out


def attended_column(time_point: str) -> str:
    """Name of the attendance column of a time point id: ``attended_<id>``."""
    return f"attended_{time_point}"


def disposition_columns(time_points: Items) -> list[str]:
    """Every column the disposition log must have, in the documented order."""
    return BASE_COLUMNS + [attended_column(t) for t, _ in _ids_labels(time_points)]


def _yes_no(text: str) -> bool | None:
    s = text.strip().lower()
    return True if s == YES else False if s == NO else None


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


# --------------------------------------------------------------------------- reading


def read_disposition(
    path: str | Path, name: str, arms: Items, time_points: Items, sheet: str | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read and validate a screening/disposition log (``docs/consort.md``).

    Parameters
    ----------
    path : the log: delimited text or .xlsx, read by :func:`trialflow.readers.read` (same rules
        as every input: encodings, delimiters, direct-identifier columns dropped, ...).
    name : how the file is named in problems.
    arms : configured arms (ids or config entries).
    time_points : configured time points; one ``attended_<id>`` column each.
    sheet : for a workbook, the sheet to read (default: the first visible one).

    Returns
    -------
    disposition : one row per accepted person: ``screening_id``, ``participant_id`` (``""``
        when not randomised), ``eligible`` and ``declined`` (bool), ``exclusion_reason``,
        ``arm`` (``""`` when not randomised), ``randomised`` (bool), ``received_allocated``,
        ``discontinued``, ``lost_to_follow_up`` and ``attended_<time>`` (pandas ``boolean``,
        NA when not randomised), the three reason columns (text), ``source_file``,
        ``source_line``. Rows with an error are left out.
    problems : every broken rule with file, line (or workbook cell), column, value and rule;
        columns the log does not define are warnings (``column_unused``).
    """
    from trialflow.ingest import _require_columns

    arm_ids = [a for a, _ in _ids_labels(arms)]
    time_ids = [t for t, _ in _ids_labels(time_points)]
    attended = [attended_column(t) for t in time_ids]
    columns = BASE_COLUMNS + attended
    table = read(path, name, sheet)
    raw, problems = table.frame, list(table.problems)
    if not table.refused:
        problems += _require_columns(table, columns)
    if table.refused or any(p.rule == "column_present" for p in problems):
        return _typed([], attended), table.locate(problems)

    bad_lines: set[int] = set()
    for column, rule in [("screening_id", "screening_id_unique"), ("participant_id", "participant_id_unique")]:
        for value, lines in _duplicates(raw, column).items():
            shown = ", ".join(str(v) for v in lines)
            for line in lines:
                bad_lines.add(line)
                problems.append(
                    Problem(
                        name,
                        str(line),
                        column,
                        value,
                        rule,
                        "error",
                        f"{column} {value!r} appears on lines {shown}; each must appear once",
                    )
                )

    records = []
    for row in raw.to_dict("records"):
        line = int(row[LINE])
        found = _check_row(row, name, line, arm_ids, attended)
        problems += found
        if found or line in bad_lines:
            continue
        record = {c: row[c] for c in columns}
        randomised = row["arm"] != ""
        record.update(
            eligible=_yes_no(row["eligible"]),
            declined=bool(_yes_no(row["declined"])),
            randomised=randomised,
            **{
                c: (_yes_no(row[c]) if randomised else None)
                for c in ["received_allocated", "discontinued", "lost_to_follow_up", *attended]
            },
            source_file=name,
            source_line=line,
        )
        records.append(record)
    return _typed(records, attended), table.locate(problems)


def _typed(records: list[dict], attended: list[str]) -> pd.DataFrame:
    text = [
        "screening_id",
        "participant_id",
        "exclusion_reason",
        "arm",
        "not_received_reason",
        "discontinued_reason",
        "lost_reason",
        "source_file",
    ]
    order = [
        "screening_id",
        "participant_id",
        "eligible",
        "exclusion_reason",
        "declined",
        "arm",
        "randomised",
        "received_allocated",
        "not_received_reason",
        "discontinued",
        "discontinued_reason",
        "lost_to_follow_up",
        "lost_reason",
        *attended,
        "source_file",
        "source_line",
    ]
    frame = pd.DataFrame(records, columns=order)
    for c in text:
        frame[c] = frame[c].astype(str)
    for c in ["eligible", "declined", "randomised"]:
        frame[c] = frame[c].astype(bool)
    for c in ["received_allocated", "discontinued", "lost_to_follow_up", *attended]:
        frame[c] = frame[c].astype("boolean")
    frame["source_line"] = frame["source_line"].astype("int64")
    return frame


def _duplicates(raw: pd.DataFrame, column: str) -> dict[str, list[int]]:
    lines: dict[str, list[int]] = {}
    for value, line in zip(raw[column], raw[LINE], strict=True):
        if value != "":
            lines.setdefault(value, []).append(int(line))
    return {v: ls for v, ls in lines.items() if len(ls) > 1}


def _check_row(row: dict, name: str, line: int, arm_ids: list[str], attended: list[str]) -> list[Problem]:
    found: list[Problem] = []

    def problem(column: str, rule: str, message: str) -> None:
        found.append(Problem(name, str(line), column, row[column], rule, "error", message))

    def yes_no(column: str, required: bool) -> bool | None:
        value = _yes_no(row[column])
        if row[column] == "":
            if required:
                problem(column, f"{column}_given", f"{column} is empty; write yes or no")
        elif value is None:
            problem(column, "yes_no", f"{column} must be yes or no")
        return value

    if row["screening_id"] == "":
        problem("screening_id", "screening_id_given", "screening_id is empty; every person assessed needs one")
    elif not ID_PATTERN.match(row["screening_id"]):
        problem(
            "screening_id",
            "screening_id_format",
            "screening_id must start with a letter or digit and contain only letters, digits, '_', '.', '-'",
        )

    eligible = yes_no("eligible", required=True)
    declined = yes_no("declined", required=eligible is True)
    if eligible is False and declined is True:
        problem(
            "declined",
            "declined_if_eligible",
            "declined is 'yes' but eligible is 'no'; a person not meeting the criteria is counted once, "
            "as not eligible, so leave declined empty or write no",
        )

    pid, arm = row["participant_id"], row["arm"]
    randomised = pid != "" or arm != ""
    if pid != "" and not ID_PATTERN.match(pid):
        problem(
            "participant_id",
            "participant_id_format",
            "participant_id must start with a letter or digit and contain only letters, digits, '_', '.', '-'",
        )
    if pid != "" and arm == "":
        problem(
            "arm",
            "arm_given",
            "participant_id is given but arm is empty; a randomised person needs the arm they were allocated to",
        )
    if arm != "" and pid == "":
        problem(
            "participant_id",
            "participant_id_given",
            "arm is given but participant_id is empty; a randomised person needs the participant_id "
            "used in the participants file",
        )
    if arm != "" and arm not in arm_ids:
        problem("arm", "arm_known", f"arm {arm!r} is not one of {', '.join(arm_ids)} (as configured)")
    if randomised and eligible is False:
        problem("eligible", "randomised_eligible", "this person was randomised but eligible is 'no'")
    if randomised and declined is True:
        problem("declined", "randomised_not_declined", "this person was randomised but declined is 'yes'")

    reason = row["exclusion_reason"]
    if randomised and reason != "":
        problem(
            "exclusion_reason",
            "exclusion_reason_unexpected",
            "exclusion_reason is given but this person was randomised",
        )
    elif not randomised and reason == "" and eligible is False:
        problem(
            "exclusion_reason",
            "exclusion_reason_given",
            "eligible is 'no' but exclusion_reason is empty; say which criterion was not met",
        )
    elif not randomised and reason == "" and eligible is True and declined is False:
        problem(
            "exclusion_reason",
            "exclusion_reason_given",
            "this eligible person was neither randomised nor declined, so exclusion_reason must say why "
            "(counted under 'other reasons')",
        )

    after = [c for pair in FLAG_REASONS for c in pair[:2]] + attended
    if not randomised:
        for column in after:
            if row[column] != "":
                problem(
                    column, "blank_unless_randomised", f"{column} must be empty for a person who was not randomised"
                )
        return found
    for flag, reason_column, needs in FLAG_REASONS:
        value = yes_no(flag, required=True)
        if value is None:
            continue
        if (value is True) == (needs == YES):
            if row[reason_column] == "":
                problem(
                    reason_column,
                    f"{reason_column}_given",
                    f"{flag} is '{needs}' but {reason_column} is empty; give the reason",
                )
        elif row[reason_column] != "":
            problem(
                reason_column,
                f"{reason_column}_unexpected",
                f"{reason_column} is given but {flag} is '{row[flag].strip().lower()}'",
            )
    seen = [yes_no(column, required=True) for column in attended]
    if attended and _yes_no(row["lost_to_follow_up"]) is True and seen[-1] is True:
        problem(
            attended[-1],
            "lost_not_attended",
            f"lost_to_follow_up is 'yes' but {attended[-1]} is 'yes'; a person seen at the last time point "
            "was not lost to follow-up",
        )
    return found


# --------------------------------------------------------------------------- counting


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
    outcome_ids = _ids_labels(outcomes)
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
    from trialflow.stats.complete import excluded_participants

    times = [t for t, _ in _ids_labels(time_points)]
    frames = [excluded_participants(analysis, oid, times, missing) for oid, _ in _ids_labels(outcomes)]
    return pd.concat(frames, ignore_index=True)


def cross_check(
    disposition: pd.DataFrame,
    participants: pd.DataFrame,
    analysis: pd.DataFrame,
    arms: Items,
    time_points: Items,
    outcomes: Items,
    name: str = "disposition log",
) -> list[Problem]:
    """Every cross-check of the flow, run at the validation gate, before any analysis.

    The log's counts are checked against the participants file and against the analysis data
    set, counting as analysed whoever has a value at every time point (the ANOVA's rule), so
    an inconsistency such as "analysed > followed up" stops the run before the analysis, not
    after it. Same rules and messages as :func:`derive_flow` (``docs/consort.md``).
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
    return problems


def read_disposition_table(path: str | Path, time_points: Items) -> pd.DataFrame:
    """The accepted log as written to ``results/data/disposition.csv``, typed again as
    :func:`read_disposition` returns it (flags True/False, NA where not randomised)."""
    attended = [attended_column(t) for t, _ in _ids_labels(time_points)]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    flags = {"True": True, "False": False, "": None}
    records = []
    for row in frame.to_dict("records"):
        for c in ["eligible", "declined", "randomised", "received_allocated", "discontinued", "lost_to_follow_up"]:
            row[c] = flags[row[c]]
        for c in attended:
            row[c] = flags[row[c]]
        row["source_line"] = int(row["source_line"])
        records.append(row)
    return _typed(records, attended)


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
    arm_items, time_items = _ids_labels(arms), _ids_labels(time_points)
    outcome_items = (
        _ids_labels(outcomes) if outcomes is not None else [(o, o) for o in dict.fromkeys(o for _, o in analysed)]
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


# --------------------------------------------------------------------------- drawing

FONT_DIR = Path(__file__).parent / "report" / "fonts"
PAGE_WIDTH = 170.0  # mm: the text width of an A4 page with 20 mm margins
LABEL_W = 5.5  # mm: the strip of stage labels on the left
GAP = 4.0  # mm between arm columns
# The Analysis box lists, per outcome, the numbers analysed and excluded with every reason. Above
# this many lines in any arm's box (a large trial with many outcomes or many distinct reasons;
# the demo's longest box has 36) every Analysis box is summarised instead: the range of n over
# the outcomes and the SUMMARY_REASONS most frequent reasons summed over them (docs/consort.md).
ANALYSIS_BOX_MAX_ITEMS = 60
SUMMARY_REASONS = 6


@lru_cache(maxsize=2)
def _advances(bold: bool) -> tuple[dict[int, float], float]:
    """Advance widths (in em) of the bundled STIX font; falls back to an estimate without fontTools."""
    try:
        from fontTools.ttLib import TTFont

        font = TTFont(FONT_DIR / ("STIXGeneralBol.ttf" if bold else "STIXGeneral.ttf"), lazy=True)
        upm = font["head"].unitsPerEm
        hmtx = font["hmtx"]
        return {code: hmtx[glyph][0] / upm for code, glyph in font.getBestCmap().items()}, 0.6
    except Exception:  # pragma: no cover - fontTools ships with matplotlib
        return {}, 0.55


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width of ``text`` in the units of ``size`` (STIX metrics)."""
    widths, fallback = _advances(bold)
    return sum(widths.get(ord(ch), fallback) for ch in text) * size


def _wrap(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    lines, current = [], ""
    for word in text.split(" "):
        trial = f"{current} {word}" if current else word
        if text_width(trial, size, bold) <= width:
            current = trial
            continue
        if current:
            lines.append(current)
        while text_width(word, size, bold) > width and len(word) > 1:  # a word longer than the line
            cut = len(word)
            while cut > 1 and text_width(word[:cut], size, bold) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    lines.append(current)
    return lines


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text: str) -> str:
    """Text safe as XML character data: markup escaped, characters XML forbids replaced."""
    return escape(_XML_ILLEGAL.sub("\ufffd", text))


def _num(v: float) -> str:
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s in {"-0", ""} else s


class _Box:
    """A box of text lines: items are (level, text); level 0 plain, 1 bullet '•', 2 indented dash '–'
    (a reason under a bullet), 3 dash '–' (a reason under a plain line)."""

    def __init__(self, items: list[tuple[int, str]], width: float, size: float, centre: bool = False):
        self.width, self.size, self.centre = width, size, centre
        self.pad, self.leading = 0.4 * size + 0.4, 1.22 * size
        self.lines: list[tuple[float, str, str]] = []  # (x offset of the text, marker, text)
        for level, text in items:
            indent = {0: 0.0, 1: 0.0, 2: 1.1 * size, 3: 0.0}[level]
            mark = {0: "", 1: "•", 2: "–", 3: "–"}[level]
            hang = indent + (0.8 * size if mark else 0.0)
            for i, part in enumerate(_wrap(text, width - 2 * self.pad - hang, size)):
                self.lines.append((hang, mark if i == 0 else "", part))
        self.height = 2 * self.pad + len(self.lines) * self.leading

    def svg(self, x: float, y: float, height: float | None = None) -> list[str]:
        h = height if height is not None else self.height
        out = [
            f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(self.width)}" height="{_num(h)}" '
            f'fill="#fff" stroke="#000" stroke-width="0.25"/>'
        ]
        for i, (dx, mark, text) in enumerate(self.lines):
            base = _num(y + self.pad + 0.8 * self.size + i * self.leading + 0.1 * self.leading)
            if mark:
                out.append(f'<text x="{_num(x + self.pad + dx - 0.8 * self.size)}" y="{base}">{mark}</text>')
            if self.centre:
                out.append(f'<text x="{_num(x + self.width / 2)}" y="{base}" text-anchor="middle">{_xml(text)}</text>')
            else:
                out.append(f'<text x="{_num(x + self.pad + dx)}" y="{base}">{_xml(text)}</text>')
        return out


def _with_reasons(items: list[tuple[int, str]], level: int, title: str, tally: dict) -> None:
    items.append((level, f"{title} (n={tally['n']})"))
    items += [(2 if level else 3, f"{r['reason']} (n={r['n']})") for r in tally["reasons"]]


def analysis_items(arms: list[dict]) -> list[list[tuple[int, str]]]:
    """The lines of each arm's Analysis box: in full, or summarised in every arm when any box would
    have more than ``ANALYSIS_BOX_MAX_ITEMS`` lines."""
    full = [_analysis_items(a) for a in arms]
    if any(len(items) > ANALYSIS_BOX_MAX_ITEMS for items in full):
        return [_analysis_summary_items(a) for a in arms]
    return full


def _analysis_items(arm: dict) -> list[tuple[int, str]]:
    analysis = arm["analysis"]
    items: list[tuple[int, str]] = []
    if not analysis:
        return [(0, "Analysed (n not available)")]
    same_n = len({o["analysed"] for o in analysis}) == 1
    same_excluded = len({json.dumps(o["excluded"], sort_keys=True) for o in analysis}) == 1
    if same_n:
        items.append((0, f"Analysed (n={analysis[0]['analysed']})"))
    else:
        items.append((0, "Analysed"))
        items += [(1, f"{o['label']} (n={o['analysed']})") for o in analysis]
    if same_excluded:
        _with_reasons(items, 0, "Excluded from analysis", analysis[0]["excluded"])
    else:
        items.append((0, "Excluded from analysis"))
        for o in analysis:
            _with_reasons(items, 1, o["label"], o["excluded"])
    return items


def _span(values: list[int]) -> str:
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low} to {high}"


def _analysis_summary_items(arm: dict) -> list[tuple[int, str]]:
    """The Analysis box in a few lines: n analysed and excluded (their range over the outcomes) and
    the most frequent reasons for exclusion, each summed over the outcomes (a participant excluded
    from several outcomes counts once per outcome); every number per outcome is in flow.csv."""
    analysis = arm["analysis"]
    if not analysis:
        return [(0, "Analysed (n not available)")]
    k = len(analysis)
    totals: dict[str, int] = {}
    for o in analysis:
        for r in o["excluded"]["reasons"]:
            totals[r["reason"]] = totals.get(r["reason"], 0) + r["n"]
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    shown, rest = ranked[:SUMMARY_REASONS], ranked[SUMMARY_REASONS:]
    analysed = _span([o["analysed"] for o in analysis])
    excluded = _span([o["excluded"]["n"] for o in analysis])
    if k > 1:
        items = [(0, f"Analysed (n={analysed} per outcome, {k} outcomes)")]
        excluded_line = f"Excluded from analysis (n={excluded} per outcome)"
        reasons_line = f"; reasons summed over the {k} outcomes:"
    else:
        items = [(0, f"Analysed (n={analysed})")]
        excluded_line, reasons_line = f"Excluded from analysis (n={excluded})", "; reasons:"
    items.append((0, excluded_line + (reasons_line if ranked else "")))
    items += [(3, f"{reason} (n={n})") for reason, n in shown]
    if rest:
        items.append((3, f"{len(rest)} other reasons (n={sum(n for _, n in rest)})"))
    items.append((0, "Every outcome and reason: results/consort/flow.csv"))
    return items


def _arrow(x1: float, y1: float, x2: float, y2: float) -> list[str]:
    """A straight line with a filled head at (x2, y2); horizontal or vertical only."""
    size = 1.2
    if x1 == x2:
        d = 1 if y2 > y1 else -1
        head = [(x2, y2), (x2 - size / 2.4, y2 - d * size), (x2 + size / 2.4, y2 - d * size)]
        end = (x2, y2 - d * size)
    else:
        d = 1 if x2 > x1 else -1
        head = [(x2, y2), (x2 - d * size, y2 - size / 2.4), (x2 - d * size, y2 + size / 2.4)]
        end = (x2 - d * size, y2)
    points = " ".join(f"{_num(px)},{_num(py)}" for px, py in head)
    return [
        f'<line x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(end[0])}" y2="{_num(end[1])}" '
        f'stroke="#000" stroke-width="0.25"/>',
        f'<polygon points="{points}" fill="#000"/>',
    ]


def flow_diagram_svg(flow: dict, title: str = "CONSORT 2025 flow diagram") -> str:
    """The CONSORT 2025 flow diagram of ``flow`` (from :func:`derive_flow`) as an SVG document.

    170 mm wide (A4 text width), any number of arms ≥ 1 laid out as columns, font
    "STIXGeneral, serif" (the family name of the bundled STIX font).
    Deterministic: the same flow gives the same string. Every text from data is XML-escaped.
    When any arm's Analysis box would have more than ``ANALYSIS_BOX_MAX_ITEMS`` lines, every
    Analysis box is summarised (:func:`_analysis_summary_items`) so the diagram stays legible.
    """
    arms = flow["arms"]
    k = max(len(arms), 1)
    size = 2.8 if k <= 3 else 2.5 if k == 4 else 2.2  # mm; 2.8 mm ≈ 8 pt
    x0, x1 = LABEL_W + 2.0, PAGE_WIDTH - 0.5
    col_w = (x1 - x0 - (k - 1) * GAP) / k
    centres = [x0 + i * (col_w + GAP) + col_w / 2 for i in range(k)]
    spine = (x0 + x1) / 2
    body: list[str] = []
    stages: list[tuple[str, float, float]] = []

    # Enrolment: assessed → (excluded) → randomised, on the centre line
    ex = flow["excluded"]
    ex_items: list[tuple[int, str]] = [(0, f"Excluded (n={ex['n']})")]
    _with_reasons(ex_items, 1, "Not meeting inclusion criteria", ex["not_eligible"])
    _with_reasons(ex_items, 1, "Declined to participate", ex["declined"])
    _with_reasons(ex_items, 1, "Other reasons", ex["other"])
    main_w = min(62.0, (x1 - x0) * 0.42)
    side_x = spine + 6.0
    assessed = _Box([(0, f"Assessed for eligibility (n={flow['assessed']})")], main_w, size, centre=True)
    excluded = _Box(ex_items, x1 - side_x, size)
    randomised = _Box([(0, f"Randomised (n={flow['randomised']})")], main_w, size, centre=True)
    y = 1.0
    body += assessed.svg(spine - main_w / 2, y)
    y_ex = y + assessed.height + 4.0
    body += excluded.svg(side_x, y_ex)
    y_rand = y_ex + excluded.height + 4.0
    body += randomised.svg(spine - main_w / 2, y_rand)
    body += _arrow(spine, y + assessed.height, spine, y_rand)
    mid = y_ex + min(excluded.height / 2, 3.0)
    body += _arrow(spine, mid, side_x, mid)
    stages.append(("Enrolment", y, y_rand + randomised.height))

    # Allocation, follow-up and analysis: one column per arm, rows of equal height
    rows = [
        ("Allocation", [_allocation_items(a) for a in arms]),
        ("Follow-up", [_follow_up_items(a) for a in arms]),
        ("Analysis", analysis_items(arms)),
    ]
    y_bar = y_rand + randomised.height + 3.0
    y_row = y_bar + 4.0
    if arms:
        body.append(
            f'<line x1="{_num(spine)}" y1="{_num(y_rand + randomised.height)}" x2="{_num(spine)}" '
            f'y2="{_num(y_bar)}" stroke="#000" stroke-width="0.25"/>'
        )
        body.append(
            f'<line x1="{_num(min(centres[0], spine))}" y1="{_num(y_bar)}" '
            f'x2="{_num(max(centres[-1], spine))}" y2="{_num(y_bar)}" stroke="#000" stroke-width="0.25"/>'
        )
        for c in centres:
            body += _arrow(c, y_bar, c, y_row)
    for r, (stage, items) in enumerate(rows):
        boxes = [_Box(i, col_w, size) for i in items]
        label_len = text_width(stage, size, bold=True) + 3.0
        height = max([b.height for b in boxes] + [label_len])
        for i, b in enumerate(boxes):
            body += b.svg(centres[i] - col_w / 2, y_row, height)
            if r < len(rows) - 1:
                body += _arrow(centres[i], y_row + height, centres[i], y_row + height + 5.0)
        stages.append((stage, y_row, y_row + height))
        y_row += height + 5.0
    total_h = y_row - 5.0 + 1.0

    labels = []
    for stage, top, bottom in stages:
        cx, cy = 0.5 + LABEL_W / 2, (top + bottom) / 2
        labels.append(
            f'<rect x="0.5" y="{_num(top)}" width="{_num(LABEL_W)}" height="{_num(bottom - top)}" '
            f'rx="1" fill="#e6e6e6" stroke="#000" stroke-width="0.25"/>'
        )
        labels.append(
            f'<text x="{_num(cx)}" y="{_num(cy)}" font-weight="bold" text-anchor="middle" '
            f'dominant-baseline="central" transform="rotate(-90 {_num(cx)} {_num(cy)})">'
            f"{_xml(stage)}</text>"
        )
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{_num(PAGE_WIDTH)}mm" '
        f'height="{_num(total_h)}mm" viewBox="0 0 {_num(PAGE_WIDTH)} {_num(total_h)}" role="img" '
        f'font-family="STIXGeneral, serif" font-size="{_num(size)}">'
    )
    return "\n".join(
        ['<?xml version="1.0" encoding="UTF-8"?>', head, f"<title>{_xml(title)}</title>", *labels, *body, "</svg>", ""]
    )


def _allocation_items(arm: dict) -> list[tuple[int, str]]:
    items: list[tuple[int, str]] = [
        (0, f"Allocated to {arm['label']} (n={arm['allocated']})"),
        (1, f"Received allocated intervention (n={arm['received']})"),
    ]
    _with_reasons(items, 1, "Did not receive allocated intervention", arm["not_received"])
    return items


def _follow_up_items(arm: dict) -> list[tuple[int, str]]:
    items: list[tuple[int, str]] = []
    _with_reasons(items, 0, "Lost to follow-up", arm["lost_to_follow_up"])
    _with_reasons(items, 0, "Discontinued intervention", arm["discontinued"])
    return items
