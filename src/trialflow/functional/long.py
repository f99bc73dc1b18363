"""Reading a long CSV of functional tests, one row per participant × time point × test.

The columns are :data:`LONG_COLUMNS`; every test has the unit it is configured in. The result
is the raw long frame (:data:`~trialflow.functional.raw.RAW_COLUMNS`), as from a REDCap export.
"""

from __future__ import annotations

from collections.abc import Mapping
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
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a long CSV ``participant_id, time, test, value, unit`` into the raw long frame.

    ``tests`` maps each configured test to its unit
    (:func:`~trialflow.functional.definitions.source_units`). Rows of other tests, with another
    unit, with a value that is neither a number nor a missing-data code, or repeating a
    participant × time × test are errors. An empty value (or a code) is
    missing with a reason; its unit may then be empty.
    """
    missing_codes = dict(missing_codes or {})
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
