"""Exceptions raised by :mod:`trialflow.elisa` for bad input files.

Both exceptions carry a complete, human-readable message (file, place, what was
expected), so a command-line front end can print ``str(exc)`` and exit without a
traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["ElisaInputError", "PlateFormatError", "PlateMapError", "Problem"]


class ElisaInputError(ValueError):
    """Base class: an ELISA input file (export, plate map, manifest) is unusable."""


class PlateFormatError(ElisaInputError):
    """A plate-reader export cannot be parsed.

    Parameters
    ----------
    path
        The export file.
    message
        What was found and what was expected; the file name is prefixed.
    """

    def __init__(self, path: object, message: str) -> None:
        self.path = str(path)
        self.detail = message
        super().__init__(f"{self.path}: {message}")


@dataclass(frozen=True)
class Problem:
    """One validation problem in a CSV input (plate map or manifest).

    ``line`` is the 1-based physical line of the CSV file (the header is line 1);
    0 when the problem concerns the file as a whole.
    """

    file: str
    line: int
    column: str
    value: str
    problem: str

    def __str__(self) -> str:
        where = f"{self.file}"
        if self.line:
            where += f" line {self.line}"
        if self.column:
            where += f", column '{self.column}'"
        value = f" value {self.value!r}:" if self.value != "" else ""
        return f"{where}:{value} {self.problem}"


class PlateMapError(ElisaInputError):
    """A plate map or plate manifest failed validation.

    All problems found are collected before raising; ``problems`` holds them as
    :class:`Problem` records and :meth:`as_frame` as a DataFrame with columns
    ``file, line, column, value, problem``.
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        lines = [f"{len(self.problems)} problem(s) in ELISA plate map / manifest input:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))

    def as_frame(self) -> pd.DataFrame:
        """Return the problems as a DataFrame.

        Returns
        -------
        pandas.DataFrame
            Columns ``file`` (str), ``line`` (int, 0 = whole file), ``column`` (str),
            ``value`` (str), ``problem`` (str).
        """
        return pd.DataFrame(
            [vars(p) for p in self.problems],
            columns=["file", "line", "column", "value", "problem"],
        )
