"""Reading the screening/disposition log: one row per person assessed for eligibility.

The format is in ``docs/consort.md``. :func:`read_disposition` reads the log as every input is
read (:func:`trialflow.readers.read`) and validates it row by row: each broken rule is a
:class:`~trialflow.problems.Problem` naming the file, line, column and value, and a row with an
error is left out. :func:`read_disposition_table` reads back the accepted log as the pipeline
wrote it. The counts derived from the log, and their cross-checks, are in
:mod:`trialflow.consort.flow`.

Arms and time points may be given as ids (``["control", "training"]``) or as the config's
entries (``[{"id": "control", "label": "Control"}, ...]``); labels default to ids.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from trialflow.outputs import read_text_csv
from trialflow.problems import Problem
from trialflow.readers import LINE, column_problems, read

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
# Optional columns: when an intercurrent event happened, as the first configured time point
# measured after it (read only when the column is there; used by the estimands, docs/consort.md).
EVENT_COLUMNS = ["discontinued_from", "rescue_from"]
# flag column, its reason column, and the flag value that needs a reason
FLAG_REASONS = [
    ("received_allocated", "not_received_reason", NO),
    ("discontinued", "discontinued_reason", YES),
    ("lost_to_follow_up", "lost_reason", YES),
]

Items = Sequence[str] | Sequence[Mapping]


# --------------------------------------------------------------------------- the log's values


def ids_labels(items: Items | None) -> list[tuple[str, str]]:
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
    return BASE_COLUMNS + [attended_column(t) for t, _ in ids_labels(time_points)]


def _yes_no(text: str) -> bool | None:
    s = text.strip().lower()
    return True if s == YES else False if s == NO else None


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
    arm_ids = [a for a, _ in ids_labels(arms)]
    time_ids = [t for t, _ in ids_labels(time_points)]
    attended = [attended_column(t) for t in time_ids]
    columns = BASE_COLUMNS + attended
    table = read(path, name, sheet)
    raw, problems = table.frame, list(table.problems)
    events = [c for c in EVENT_COLUMNS if c in raw.columns]
    if not table.refused:
        problems += column_problems(table, columns + events)
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
        found = _check_row(row, name, line, arm_ids, attended) + _check_events(row, name, line, time_ids, events)
        problems += found
        if found or line in bad_lines:
            continue
        record = {c: row[c] for c in columns} | {c: row.get(c, "") for c in EVENT_COLUMNS}
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
        *EVENT_COLUMNS,
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
        *EVENT_COLUMNS,
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


def _check_events(row: dict, name: str, line: int, time_ids: list[str], events: list[str]) -> list[Problem]:
    """The optional event columns: a configured time point, only for a randomised person, and
    ``discontinued_from`` only when ``discontinued`` is yes."""
    found = []
    randomised = row["participant_id"] != "" or row["arm"] != ""
    for column in events:
        value = row[column]
        if value == "":
            continue
        if not randomised:
            message = f"{column} must be empty for a person who was not randomised"
            found.append(Problem(name, str(line), column, value, "blank_unless_randomised", "error", message))
        elif value not in time_ids:
            message = f"{column} {value!r} is not one of the time points {', '.join(time_ids)} (as configured)"
            found.append(Problem(name, str(line), column, value, "time_point_known", "error", message))
        elif column == "discontinued_from" and _yes_no(row["discontinued"]) is not True:
            message = "discontinued_from is given but discontinued is not 'yes'"
            found.append(Problem(name, str(line), column, value, "discontinued_from_unexpected", "error", message))
    return found


def read_disposition_table(path: str | Path, time_points: Items) -> pd.DataFrame:
    """The accepted log as written to ``results/data/disposition.csv``, typed again as
    :func:`read_disposition` returns it (flags True/False, NA where not randomised)."""
    attended = [attended_column(t) for t, _ in ids_labels(time_points)]
    frame = read_text_csv(path)
    for c in EVENT_COLUMNS:  # a table written before these columns existed
        if c not in frame.columns:
            frame[c] = ""
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
