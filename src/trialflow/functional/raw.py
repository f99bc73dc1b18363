"""The raw long frame both readers return (:data:`RAW_COLUMNS`), and how they read a cell.

One row per participant × time point × field: ``value`` (float, NaN when missing) and
``missing_reason`` (``''`` when a value is present), with the file, line and column it came
from. A missing-data code (``UNK``, ``NASK``, ``-999`` ...) or an empty cell is *missing with a
reason*, never a number (:func:`read_cell`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import pandas as pd

from trialflow.problems import Problem
from trialflow.readers import LINE, parse_number

RAW_COLUMNS = [
    "participant_id",
    "time",
    "field",
    "value",
    "missing_reason",
    "source_file",
    "source_line",
    "source_column",
]
EMPTY_REASON = "empty in the export"


def read_cell(text: str, missing_codes: Mapping[str, str]) -> tuple[float, str] | None:
    """(value, '') for a number, (nan, reason) for an empty cell or missing-data code, else None."""
    if text == "":
        return math.nan, EMPTY_REASON
    if text in missing_codes:
        return math.nan, f"{missing_codes[text]} (missing-data code {text})"
    number = parse_number(text)
    if number is not None:
        for code, reason in missing_codes.items():
            if parse_number(code) == number:  # '-999.0' is the code '-999'
                return math.nan, f"{reason} (missing-data code {code})"
        return number, ""
    return None


def not_a_number(name: str, line: int, column: str, text: str, codes: Mapping[str, str]) -> Problem:
    """The error for a cell that :func:`read_cell` could not read."""
    listed = ", ".join(codes) if codes else "none configured"
    return Problem(
        name,
        str(line),
        column,
        text,
        "number_or_code",
        "error",
        f"{column} is neither a number nor a configured missing-data code ({listed}); "
        "write a plain number such as 57.3 or a code",
    )


def raw_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows of :data:`RAW_COLUMNS` as the typed frame the readers return (also when empty)."""
    frame = pd.DataFrame(rows, columns=RAW_COLUMNS)
    for c in ["participant_id", "time", "field", "missing_reason", "source_file", "source_column"]:
        frame[c] = frame[c].astype(str)
    frame["value"] = frame["value"].astype("float64")
    frame["source_line"] = frame["source_line"].astype("int64")
    return frame.reset_index(drop=True)


def missing_columns(raw: pd.DataFrame, columns: Iterable[str], name: str, what: str) -> list[Problem]:
    """An error for each of ``columns`` that the export ``name`` (``what`` it is, in words) lacks."""
    found = ", ".join(c for c in raw.columns if c != LINE) or "none"
    return [
        Problem(
            name,
            "1",
            c,
            "",
            "column_present",
            "error",
            f"required column {c!r} of {what} is missing (columns found: {found})",
        )
        for c in columns
        if c not in raw.columns
    ]
