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
                    ``<LLOQ``, ``<`` followed by a number (e.g. ``<0.000``), ``-``
``masked``          Gen5 masked well ``*0.356*``: the OD is kept, the well is excluded
``missing``         empty cell in the grid
``ref_<flag>``      the 450 nm value is fine but the reference value carries ``<flag>``
==================  =======================================================================

Any other text in a grid raises :class:`~trialflow.elisa.errors.PlateFormatError`.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trialflow.elisa.errors import PlateFormatError

ROWS = tuple("ABCDEFGH")
COLS = tuple(range(1, 13))
WELLS = tuple(f"{r}{c}" for r in ROWS for c in COLS)
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
}
Cell = tuple[Any, str]  # (raw value, source description)


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
    primary: dict[str, list[Cell]],
    reference: dict[str, list[Cell]] | None,
    decimal_comma: bool,
) -> pd.DataFrame:
    """The 96 wells, A1 … H12, from the grid of the primary read and that of the reference read.

    ``primary`` and ``reference`` map each plate row ``A`` … ``H`` to its 12 cells. The columns
    are those of :func:`~trialflow.elisa.readers.read_plate_export`, without its ``attrs``.
    """
    records = []
    for r in ROWS:
        for c in COLS:
            v450, src = primary[r][c - 1]
            p = parse_od_cell(v450, decimal_comma=decimal_comma)
            if p is None:
                raise PlateFormatError(
                    path,
                    f"cannot read OD {cell_text(v450)!r} at {src or f'well {r}{c}'}: expected a "
                    "number or a reader flag (OVER, ****, Range?, n.d., <LLOQ, ...)",
                )
            od450, flag = p
            odref = math.nan
            if reference is not None:
                vref, rsrc = reference[r][c - 1]
                q = parse_od_cell(vref, decimal_comma=decimal_comma)
                if q is None:
                    raise PlateFormatError(
                        path,
                        f"cannot read reference OD {cell_text(vref)!r} at "
                        f"{rsrc or f'well {r}{c}'}: expected a number or a reader flag",
                    )
                odref, rflag = q
                if rflag == "masked":
                    rflag = ""
                if flag == "" and rflag:
                    flag = f"ref_{rflag}"
                    src = rsrc or src
            if not src:
                src = f"{path.name}: well {r}{c} (cell absent)"
            records.append((f"{r}{c}", r, c, od450, odref, flag, src))
    df = pd.DataFrame.from_records(records, columns=["well", "row", "col", "od_450", "od_ref", "flag", "source"])
    df["od_450"] = df["od_450"].astype(float)
    df["od_ref"] = df["od_ref"].astype(float)
    df["col"] = df["col"].astype("int64")
    od = df["od_450"] - df["od_ref"] if reference is not None else df["od_450"].copy()
    df.insert(5, "od", od.astype(float))
    return df
