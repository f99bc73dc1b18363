"""Reading a long CSV of functional tests, one row per participant × time point × test.

The columns are :data:`LONG_COLUMNS`; every test has the unit it is configured in. The result
is the raw long frame (:data:`~trialflow.functional.raw.RAW_COLUMNS`), as from a REDCap export,
so every outcome kind of the REDCap route (read, derived, a test name per time point) is built
from it by the same :func:`~trialflow.functional.derive.build_functional_outcomes`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

import pandas as pd

from trialflow.functional.raw import missing_columns, not_a_number, raw_frame, read_cell
from trialflow.problems import Problem
from trialflow.readers import LINE, read_table

LONG_COLUMNS = ["participant_id", "time", "test", "value", "unit"]


def read_functional_long(
    path: str | Path,
    name: str,
    tests: Mapping[str, str],
    missing_codes: Mapping[str, str] | None = None,
    *,
    times: Mapping[str, Collection[str]] | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a long CSV ``participant_id, time, test, value, unit`` into the raw long frame.

    Parameters
    ----------
    path, name : the file, and how it is named in messages.
    tests : each configured test → its unit (:func:`~trialflow.functional.definitions.source_units`).
    missing_codes : code as written → reason, e.g. ``{"UNK": "unknown", "-999": "not done"}``.
    times : tests read at some time points only → those time points
        (:func:`~trialflow.functional.definitions.source_times`, for outcomes that name a test
        per time point); other tests are read at every time point.

    Returns
    -------
    frame : the raw long frame, one row per accepted line; ``source_line`` is the line,
        ``source_column`` is ``value``.
    problems : errors for rows of other tests (``test_known``), of a test at a time point it
        is not read at (``test_time``), with another unit (``unit_configured``), with a value
        that is neither a number nor a missing-data code (``number_or_code``), or repeating a
        participant × time × test (``row_unique``: neither row is used), and for an empty
        participant or time. An empty value (or a code) is missing with a reason; its unit may
        then be empty. Every line is either in ``frame`` or named by an error.
    """
    missing_codes = dict(missing_codes or {})
    times = {t: tuple(at) for t, at in (times or {}).items()}
    raw, problems = read_table(path, name)
    problems += missing_columns(raw, LONG_COLUMNS, name, "a long functional-test file")
    if any(p.rule == "column_present" for p in problems):
        return raw_frame([]), problems
    out: list[dict] = []
    first_line: dict[tuple[str, str, str], int] = {}
    duplicated: set[tuple[str, str, str]] = set()
    for rec in raw.to_dict("records"):
        line = int(rec[LINE])
        pid, time, test, text, unit = (rec[c] for c in LONG_COLUMNS)
        bad = None
        if pid == "":
            bad = Problem(
                name, str(line), "participant_id", "", "participant_id_present", "error", "participant_id is empty"
            )
        elif time == "":
            bad = Problem(name, str(line), "time", "", "time_present", "error", "time is empty")
        elif test not in tests:
            bad = Problem(
                name,
                str(line),
                "test",
                test,
                "test_known",
                "error",
                f"test {test!r} is not one of {', '.join(tests)} (as configured)",
            )
        elif test in times and time not in times[test]:
            bad = Problem(
                name,
                str(line),
                "test",
                test,
                "test_time",
                "error",
                f"test {test!r} is read only at {', '.join(times[test])} (as configured), not at "
                f"{time}; the outcome names another test for {time}",
            )
        if bad:
            problems.append(bad)
            continue
        cell = read_cell(text, missing_codes)
        if cell is None:
            problems.append(not_a_number(name, line, "value", text, missing_codes))
            continue
        if unit != tests[test] and not (cell[1] and unit == ""):
            problems.append(
                Problem(
                    name,
                    str(line),
                    "unit",
                    unit,
                    "unit_configured",
                    "error",
                    f"{test} must be in {tests[test]}, as configured",
                )
            )
            continue
        key = (pid, time, test)
        if key in first_line:
            duplicated.add(key)
            problems.append(
                Problem(
                    name,
                    str(line),
                    "test",
                    test,
                    "row_unique",
                    "error",
                    f"participant {pid!r} has {test} at {time} twice (lines {first_line[key]} "
                    f"and {line}); neither is used",
                )
            )
            continue
        first_line[key] = line
        out.append(
            {
                "participant_id": pid,
                "time": time,
                "field": test,
                "value": cell[0],
                "missing_reason": cell[1],
                "source_file": name,
                "source_line": line,
                "source_column": "value",
            }
        )
    out = [r for r in out if (r["participant_id"], r["time"], r["field"]) not in duplicated]
    return raw_frame(out), problems
