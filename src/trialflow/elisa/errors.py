"""Exceptions raised by :mod:`trialflow.elisa` for bad input files.

Both exceptions carry a complete, human-readable message (file, place, what was
expected), so a command-line front end can print ``str(exc)`` and exit without a
traceback.
"""

from __future__ import annotations

import pandas as pd

from trialflow.problems import Problem, problems_frame

__all__ = ["PLATE_INPUT", "ElisaInputError", "PlateFormatError", "PlateMapError", "plate_problem"]

PLATE_INPUT = "plate_input"  # the rule of every plate-map and manifest problem in validation.csv


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


def plate_problem(file: str, line: int, column: str, value: str, message: str) -> Problem:
    """One problem in a plate map or manifest, as a :class:`trialflow.problems.Problem`.

    ``line`` is the 1-based physical line of the CSV file (the header is line 1), 0 when the
    problem concerns the file as a whole; it is kept as text, as in ``validation.csv``, and
    blank for the whole file. The rule is :data:`PLATE_INPUT` and the severity ``error``.
    """
    return Problem(file, str(line or ""), column, value, PLATE_INPUT, "error", message)


class PlateMapError(ElisaInputError):
    """A plate map or plate manifest failed validation.

    All problems found are collected before raising; ``problems`` holds them as
    :class:`trialflow.problems.Problem` records (see :func:`plate_problem`) and
    :meth:`as_frame` as a DataFrame with the columns of ``results/qc/validation.csv``.
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
            Columns ``file, line, column, value, rule, severity, message`` (text; ``line``
            blank for the whole file), as :func:`trialflow.problems.problems_frame`.
        """
        return problems_frame(self.problems)
