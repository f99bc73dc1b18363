"""What every export layout shares: the 96 wells, reading one OD cell, the tidy per-well frame.

A layout turns its file into rows of :data:`Cell` (the raw value and where it is, e.g.
``plate01.csv:line 5, col 3`` or ``plate03.xlsx:Sheet1!C5``) and finds the grid of each read;
:func:`wells_frame` makes the 96 rows :func:`~trialflow.elisa.readers.read_plate_export` returns.
Reader sentinels become explicit flags with a NaN OD, never a silent NaN (:func:`parse_od_cell`):

==================  =======================================================================
flag                cell text (case-insensitive)
==================  =======================================================================
``saturated``       ``OVER``, ``OVRFLW``, ``OVERFLOW``, ``SAT``, ``****`` (any run of ``*``),
                    ``Range?``, ``>`` followed by a number (e.g. ``>4.000``)
``not_determined``  ``n.d.``, ``ND``, ``N/A``, ``?????`` (any run of ``?``), ``MISSED``,
                    ``<LLOQ``, ``<`` followed by a number (e.g. ``<0.000``), ``-``,
                    ``Path?`` (SoftMax Pro)
``masked``          Gen5 masked well ``*0.356*``: the OD is kept, the well is excluded;
                    SoftMax Pro's ``Masked`` (no OD)
``missing``         empty cell in the grid
``ref_<flag>``      the 450 nm value is fine but the reference value carries ``<flag>``
==================  =======================================================================

Every well of each grid must hold one of these marks or a number (rule ``plate_od_value``, every
bad well of the export named with its line or ``Sheet!cell``): any other text, an empty cell, a
decimal comma in a comma-separated export, a number that is not finite (``1e999``, ``inf``,
``nan``), an absorbance below :data:`MIN_OD` (a raw read is >= 0 up to the reader's noise) and
one above :data:`MAX_OD` raise
:class:`~trialflow.elisa.errors.PlateFormatError`.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trialflow.elisa.errors import OD_VALUE, PlateFormatError
from trialflow.elisa.readers.reads import PLATE_SHAPES, Cell
from trialflow.outputs import typed_frame
from trialflow.problems import Problem

ROWS = tuple("ABCDEFGH")
COLS = tuple(range(1, 13))
WELLS = tuple(f"{r}{c}" for r in ROWS for c in COLS)


def well_names(wells: int = 96) -> tuple[str, ...]:
    """The wells of a 96- or 384-well plate in plate order: A1, A2, …, H12 (… P24)."""
    n_rows, n_cols = PLATE_SHAPES[wells]
    return tuple(f"{chr(ord('A') + r)}{c}" for r in range(n_rows) for c in range(1, n_cols + 1))


NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_SATURATED = {"over", "ovrflw", "overflow", "sat", "saturated", "range?", "range"}
_NOT_DETERMINED = {
    "n.d.",
    "n.d",
    "nd",
    "n/a",
    "na",
    "missed",
    "<lloq",
    "< lloq",
    "-",
    "invalid",
    "error",
    "path?",  # SoftMax Pro: the PathCheck correction could not be computed for the well
}
_NON_FINITE = re.compile(r"^[+-]?(inf|infinity|nan)$", re.IGNORECASE)
MAX_OD = 10.0  # no absorbance reader measures beyond ~4-5 OD; a larger value is not an absorbance
# A raw read of a blank or empty well scatters around zero by the reader's noise (photometric
# accuracy ~±0.005 OD near 0): SoftMax Pro "Raw" exports hold blanks at -0.0002 to -0.0005.
# Below this it is no raw read (a blank-subtracted export, a sign error).
MIN_OD = -0.01


def place(src: str) -> str:
    """The line (``"5"``) or ``Sheet!cell`` of a cell's source (``plate.csv:line 5, col 3``,
    ``plate.xlsx:Sheet1!C5``); ``""`` for a cell that is absent."""
    m = re.search(r"(?:^|:)line (\d+)", src)  # 'plate.csv:line 5, col 3', or a read's 'line 12'
    if m:
        return m.group(1)
    return src.rsplit(":", 1)[-1] if "!" in src else ""


def od_problem(value: Any, *, decimal_comma: bool) -> str | None:
    """Why an OD cell breaks the strict reading (``None`` when it is a number in range or a mark)."""
    parsed = parse_od_cell(value, decimal_comma=decimal_comma)
    text = cell_text(value)
    if parsed is None:
        if _DECIMAL_COMMA.match(text):
            return "a decimal comma in a comma-separated export: write 0.123, or separate the fields with ';'"
        if _NON_FINITE.match(text):
            return "not a finite number: an absorbance is a finite number"
        return "text in a grid cell: expected a number or a reader mark (OVER, ****, Range?, n.d., <LLOQ, ...)"
    od, flag = parsed
    if flag == "missing":
        return (
            "empty cell: every well of a grid must hold its OD or the reader's mark (e.g. '?????' for a well not read)"
        )
    if (
        flag == "not_determined"
        and isinstance(value, (int, float, np.integer, np.floating))
        and not isinstance(value, bool)
    ):
        return "not a finite number: an absorbance is a finite number"
    if not math.isfinite(od):
        return None if flag else "not a finite number: an absorbance is a finite number"
    if od < MIN_OD:
        return (
            f"negative absorbance below {MIN_OD:g}: a raw read is >= 0 up to the reader's noise "
            "(export the raw reads, not blank-subtracted ones)"
        )
    if od > MAX_OD:
        return f"absorbance above {MAX_OD:g}: beyond any plate reader's range, not an absorbance"
    return None


def cell_text(value: Any) -> str:
    """Text view of a cell value (numbers that are whole become e.g. '1')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if math.isfinite(value) and float(value).is_integer():
            return str(int(value))
        return repr(float(value))
    return str(value).strip()


def parse_od_cell(value: Any, *, decimal_comma: bool = False) -> tuple[float, str] | None:
    """Parse one OD cell.

    Parameters
    ----------
    value
        Raw cell value (text from a text export, or a number/None from XLSX).
    decimal_comma
        Accept ``0,123`` as 0.123 (only for exports not separated by commas).

    Returns
    -------
    tuple of (float, str) or None
        ``(od, flag)`` where ``flag`` is ``''`` for a plain number, or one of
        ``'saturated'``, ``'not_determined'``, ``'masked'``, ``'missing'`` (OD NaN except
        for ``'masked'``).  ``None`` when the text is not recognised.
    """
    if value is None:
        return (math.nan, "missing")
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        return (v, "") if math.isfinite(v) else (math.nan, "not_determined")
    s = str(value).strip()
    if s == "":
        return (math.nan, "missing")
    if NUMBER.match(s):
        return (float(s), "")
    if decimal_comma and _DECIMAL_COMMA.match(s):
        return (float(s.replace(",", ".")), "")
    low = s.lower()
    if low == "masked":  # SoftMax Pro writes a masked well's value as the word
        return (math.nan, "masked")
    if low in _SATURATED or re.fullmatch(r"\*{2,}", s):
        return (math.nan, "saturated")
    if low in _NOT_DETERMINED or re.fullmatch(r"\?{2,}", s):
        return (math.nan, "not_determined")
    m = re.fullmatch(r"([<>])\s*(.+)", s)
    if m and NUMBER.match(m.group(2).strip()):
        return (math.nan, "saturated" if m.group(1) == ">" else "not_determined")
    m = re.fullmatch(r"\*(.+)\*", s)
    if m and NUMBER.match(m.group(1).strip()):
        return (float(m.group(1)), "masked")
    return None


def wells_frame(
    path: Path,
    primary: dict[str, Cell],
    reference: dict[str, Cell] | None,
    decimal_comma: bool,
    wells: int = 96,
) -> pd.DataFrame:
    """The wells of the plate in plate order (A1 … H12, or … P24) from the cells of the primary
    read and those of the reference read (each a map well -> cell). The columns are those of
    :func:`~trialflow.elisa.readers.read_plate_export`, without its ``attrs``.
    """
    records = []
    problems: list[Problem] = []

    def check(value: Any, src: str, well: str, what: str) -> None:
        why = od_problem(value, decimal_comma=decimal_comma)
        if why:
            shown = cell_text(value) if isinstance(value, str) or value is None else repr(value)
            problems.append(
                Problem(
                    str(path),
                    place(src),
                    well,
                    shown,
                    OD_VALUE,
                    "error",
                    f"{what} {shown!r} at {src} (well {well}): {why}",
                )
            )

    for well in well_names(wells):
        r, c = well[0], int(well[1:])
        v450, src = primary.get(well, (None, ""))
        check(v450, src, well, "OD")
        od450, flag = parse_od_cell(v450, decimal_comma=decimal_comma) or (math.nan, "missing")
        odref = math.nan
        if reference is not None:
            vref, rsrc = reference.get(well, (None, ""))
            check(vref, rsrc, well, "reference OD")
            odref, rflag = parse_od_cell(vref, decimal_comma=decimal_comma) or (math.nan, "missing")
            if rflag == "masked":
                rflag = ""
            if flag == "" and rflag:
                flag = f"ref_{rflag}"
                src = rsrc or src
        if not src:
            src = f"{path.name}: well {well} (cell absent)"
        records.append((well, r, c, od450, odref, flag, src))
    if problems:
        first = problems[0]
        raise PlateFormatError(
            path,
            first.message,
            line=first.line,
            column=first.column,
            value=first.value,
            rule=OD_VALUE,
            more=problems[1:],
        )
    df = typed_frame(
        records,
        {"well": "str", "row": "str", "col": "int64", "od_450": float, "od_ref": float, "flag": "str", "source": "str"},
    )
    od = df["od_450"] - df["od_ref"] if reference is not None else df["od_450"].copy()
    df.insert(5, "od", od.astype(float))
    return df
