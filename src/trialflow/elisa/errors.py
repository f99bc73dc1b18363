"""Exceptions raised by :mod:`trialflow.elisa` for bad input files.

Both exceptions carry a complete, human-readable message (file, place, what was
expected), so a command-line front end can print ``str(exc)`` and exit without a
traceback.
"""

from __future__ import annotations

import pandas as pd

from trialflow.problems import Problem, problems_frame

__all__ = [
    "ANALYTE_KNOWN",
    "EXPORT_FILE",
    "GRID_SHAPE",
    "OD_VALUE",
    "PLATE_INPUT",
    "PLATE_UNIT",
    "REPLICATES",
    "STANDARDS_PLAUSIBLE",
    "WAVELENGTH",
    "ElisaInputError",
    "PlateFormatError",
    "PlateMapError",
    "plate_problem",
]

# The rules of the ELISA problems in validation.csv (docs/elisa.md, "What is checked").
PLATE_INPUT = "plate_input"  # a plate map or manifest cell or row that breaks the format
PLATE_UNIT = "plate_unit"  # the manifest's unit is not the analyte's configured unit
ANALYTE_KNOWN = "analyte_known"  # the manifest's analyte is not a configured biomarker outcome id
STANDARDS_PLAUSIBLE = "standards_plausible"  # standard concentrations outside the configured range
EXPORT_FILE = "plate_export_file"  # the export cannot be read as a file (missing, binary, .xls, formula)
GRID_SHAPE = "plate_grid_shape"  # no grid, a missing/extra/duplicated row or column, a truncated row
WAVELENGTH = "plate_wavelength"  # grids whose wavelengths are missing, duplicated or ambiguous
OD_VALUE = "plate_od_value"  # a well that is not a finite, non-negative, plausible number or a reader mark
REPLICATES = "plate_replicates"  # a sample with fewer readable wells than its plate map plans (warning)


class ElisaInputError(ValueError):
    """Base class: an ELISA input file (export, plate map, manifest) is unusable."""


class PlateFormatError(ElisaInputError):
    """A plate-reader export cannot be read, or breaks a rule of the strict reading.

    Parameters
    ----------
    path
        The export file.
    message
        What was found and what was expected; the file name is prefixed.
    line
        Where: the line of a text export (``"5"``) or ``Sheet!cell`` of a workbook; ``""`` for
        the file as a whole.
    column
        The well (``"C3"``) for a problem of one well, else ``""``.
    value
        The cell as read.
    rule
        One of the rules above (:data:`EXPORT_FILE` by default).
    more
        Further problems of the same export found in the same pass (e.g. every bad well).

    ``problems`` holds them all as :class:`trialflow.problems.Problem` records (file as given).
    """

    def __init__(
        self,
        path: object,
        message: str,
        *,
        line: str = "",
        column: str = "",
        value: str = "",
        rule: str = EXPORT_FILE,
        more: list[Problem] | tuple[Problem, ...] = (),
    ) -> None:
        self.path = str(path)
        self.detail = message
        first = Problem(self.path, str(line), column, value, rule, "error", message)
        self.problems = [first, *more]
        extra = f" (and {len(more)} more problem(s))" if more else ""
        super().__init__(f"{self.path}: {message}{extra}")


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
