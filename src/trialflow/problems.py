"""Validation problems: one record per thing wrong with an input, naming where it is.

Every reader returns the rows it accepted together with a list of :class:`Problem`.
A problem names the file, the line as a person sees it in that file (or ``Sheet!cell``),
the column, the value exactly as read, the rule it broke, and a sentence in plain words.
It is the one record of a problem (the ELISA plate maps and manifest build it too, see
:func:`trialflow.elisa.errors.plate_problem`), and ``str(problem)`` is the one way it is put
for a person; :func:`describe` puts a row of ``results/qc/validation.csv`` the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Literal

import pandas as pd

Severity = Literal["error", "warning"]
PROBLEM_COLUMNS = ["file", "line", "column", "value", "rule", "severity", "message"]


@dataclass(frozen=True)
class Problem:
    file: str
    line: str
    column: str
    value: str
    rule: str
    severity: Severity
    message: str

    def __str__(self) -> str:
        """``file, line L, column 'c': message (value 'v') [rule]``; line, column and value when given."""
        where = f"{self.file}, line {self.line}" if self.line else self.file
        if self.column:
            where += f", column {self.column!r}"
        shown = f" (value {self.value!r})" if self.value != "" else ""
        return f"{where}: {self.message}{shown} [{self.rule}]"


def describe(row: Mapping[str, str]) -> str:
    """A row of ``results/qc/validation.csv`` (text, as read with ``dtype=str``) in words, as
    ``str(Problem(...))`` puts it; a column the row lacks counts as empty."""
    return str(Problem(**{column: row.get(column, "") for column in PROBLEM_COLUMNS}))


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    """Problems as a table with the columns of ``results/qc/validation.csv``."""
    return pd.DataFrame([asdict(p) for p in problems], columns=PROBLEM_COLUMNS, dtype=str)


def errors_in(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


class InputError(Exception):
    """Raised when inputs break rules; the message lists the first problems in plain words."""

    def __init__(self, problems: list[Problem], shown: int = 10, message: str | None = None):
        self.problems = problems
        if message is not None:
            super().__init__(message)
            return
        errors = errors_in(problems) or problems
        lines = [f"{len(errors)} problem(s) in the input files:"]
        lines += [f"  - {p}" for p in errors[:shown]]
        if len(errors) > shown:
            lines.append(f"  ... and {len(errors) - shown} more")
        super().__init__("\n".join(lines))
