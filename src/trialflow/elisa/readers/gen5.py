"""BioTek/Agilent Gen5 exports, as text (tab- or comma-separated) or saved as XLSX.

A metadata block (``Software Version``, ``Plate Number``, ``Date``/``Reading Date``, ``Read``,
``Wavelengths:  450, 570`` …) is followed by grids. Both Gen5 variants are read: one section
per read labelled ``450`` / ``570`` (or ``Read 1:450``, ``450nm:450`` …), and the combined
``Results`` matrix in which every data row ends with its label and the reads of a plate row
follow each other on continuation rows with an empty row letter. Derived grids (``Layout``,
``Blank 450``, ``Corrected …``, ``[Concentration]``, ``Conc`` …) are skipped.

The grids are found and read as in every grid export: :mod:`trialflow.elisa.readers.grid`
knows these features (a file that is not from Gen5 may use them too). What is Gen5's own is
how an export is recognised: its metadata block names the ``Software Version``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from trialflow.elisa.readers.grid import first_header, metadata, read_grids
from trialflow.elisa.readers.plate import Cell

NAME = "gen5"


def recognises(rows: list[list[Cell]]) -> bool:
    """Whether the key/value lines above the first grid name the ``Software Version``."""
    return any(key.lower() == "software version" for key in metadata(rows, first_header(rows)))


def read(
    path: Path,
    rows: list[list[Cell]],
    container: str,
    *,
    primary_nm: int,
    reference_nm: int | None,
    decimal_comma: bool,
) -> pd.DataFrame:
    """A Gen5 export (``container``: ``'text'`` or ``'xlsx'``) as the tidy per-well frame."""
    return read_grids(path, rows, f"{NAME}-{container}", primary_nm, reference_nm, decimal_comma)
