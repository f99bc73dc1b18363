"""Readers for 96-well absorbance plate-reader exports (ELISA): one module per export layout.

Supported layouts (see ``docs/elisa.md`` for exact descriptions and examples):

:mod:`~trialflow.elisa.readers.grid`
    **Plain grid** text/CSV: a header row ``,1,2,...,12`` followed by rows ``A`` … ``H``;
    optionally a second grid for the reference wavelength, preceded by a label line such
    as ``570`` or ``Wavelength: 570``. Its grid reading is shared by the other layouts.
:mod:`~trialflow.elisa.readers.gen5`
    **BioTek/Agilent Gen5 text export** (tab- or comma-separated): a metadata block naming the
    ``Software Version``, then one section per read or the combined ``Results`` matrix.
:mod:`~trialflow.elisa.readers.xlsx`
    **XLSX** workbooks holding either layout on a worksheet (openpyxl, ``read_only``,
    ``data_only``); :mod:`~trialflow.elisa.readers.text` reads the text exports into the same
    rows of cells.
:mod:`~trialflow.elisa.readers.plate`
    what every layout shares: the 96 wells, :func:`parse_od_cell` with its table of reader
    flags, and the tidy per-well frame.

:func:`read_plate_export` reads the file as a workbook or as text, then hands its rows to the
first of :data:`LAYOUTS` whose ``recognises(rows)`` is true. A layout is a module with
``NAME``, ``recognises(rows)`` and ``read(path, rows, container, *, primary_nm, reference_nm,
decimal_comma)`` returning the tidy frame; another vendor's export (SoftMax Pro, Magellan,
SkanIt, EnVision …) is one more such module, put in :data:`LAYOUTS` before ``grid``, which
reads any file with a 96-well grid and so comes last.

Why not ``allotropy``
---------------------
The ``allotropy`` package (Benchling, MIT licence) has a Gen5 parser and was evaluated
first (version 0.1.150).  It is not used because (1) it requires ``pandas<3.0`` and
``jsonschema<4.18``, which conflict with this project's ``pandas>=3.1`` and with the
``jsonschema`` that Snakemake needs, so it cannot be installed next to trialflow;
(2) it is heavy (about 360 MB installed with 30 dependencies, including
``rainbow-api``, ``python-calamine``, ``xlrd``, ``olefile``); (3) it outputs Allotrope
Simple Model JSON documents (one measurement document per well, with errors as
separate error documents), which would still have to be flattened into the tidy frame of
:func:`read_plate_export`; and (4) it reads Gen5 text exports only, not plain grid CSV or
Gen5-style XLSX. Its Gen5 test fixtures were used as the reference for the Gen5 layout
handled here (metadata block, labelled sections, ``Results`` matrix with trailing labels and
continuation rows, ``OVRFLW``/``?????``/``*x*`` cells).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from trialflow.elisa.errors import PlateFormatError
from trialflow.elisa.readers import gen5, grid
from trialflow.elisa.readers.plate import COLS, ROWS, WELLS, parse_od_cell
from trialflow.elisa.readers.text import load_text, text_rows
from trialflow.elisa.readers.xlsx import grid_sheet

__all__ = [
    "PlateFormatError",
    "ROWS",
    "COLS",
    "WELLS",
    "parse_od_cell",
    "read_plate_export",
]

XLSX_SUFFIXES = (".xlsx", ".xlsm")
LAYOUTS = (gen5, grid)  # by content: the first that recognises an export reads it


def read_plate_export(path: str | Path, *, primary_nm: int = 450, reference_nm: int | None = None) -> pd.DataFrame:
    """Read one plate-reader export into a tidy per-well frame.

    The file is read as a workbook or as text by its name's suffix (``.xlsx``/``.xlsm`` →
    workbook, anything else → text), and by the first of :data:`LAYOUTS` that recognises its
    content.

    Parameters
    ----------
    path
        Export file (``.csv``, ``.txt``, ``.tsv``, ``.xlsx``, ``.xlsm``).
    primary_nm
        Measurement wavelength (default 450 nm).  The first unlabelled grid counts as the
        primary wavelength when no grid is labelled with it.
    reference_nm
        Reference wavelength.  Default: the only other raw-read wavelength in the file
        (e.g. 570, 620 or 630), none if there is no other; an error if there are several.

    Returns
    -------
    pandas.DataFrame
        96 rows in plate order A1, A2, …, H12 with columns

        ``well`` (str, ``A1``…``H12``), ``row`` (str, ``A``…``H``), ``col`` (int, 1…12),
        ``od_450`` (float, OD at the primary wavelength; NaN when flagged other than
        ``masked``), ``od_ref`` (float, OD at the reference wavelength, NaN if none),
        ``od`` (float, reference-corrected OD ``od_450 - od_ref``, or ``od_450`` when the
        export has no reference grid), ``flag`` (str, ``''`` or a flag from the table in
        :mod:`trialflow.elisa.readers.plate`), ``source`` (str, file and cell of the primary value - of the
        reference value for ``ref_*`` flags - e.g. ``plate01.csv:line 5, col 3`` or
        ``plate03.xlsx:Sheet1!C5``).

        ``df.attrs`` holds ``format`` (``'grid-text'``, ``'gen5-text'``, ``'grid-xlsx'``,
        ``'gen5-xlsx'``), ``metadata`` (dict of the key/value lines above the first
        grid, e.g. ``Software Version``, ``Plate Number``, ``Wavelengths``),
        ``primary_nm`` and ``reference_nm``.

    Raises
    ------
    PlateFormatError
        The file is missing, unreadable, holds no complete 96-well grid, several plates,
        an unknown cell text, or an XLSX formula without a cached value.  The message
        names the file, the place and what was expected.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in XLSX_SUFFIXES:
        rows, container, decimal_comma = grid_sheet(path), "xlsx", False
    elif suffix == ".xls":
        raise PlateFormatError(path, "legacy .xls workbooks are not supported; save as .xlsx")
    else:
        (rows, decimal_comma), container = text_rows(path, load_text(path)), "text"
    layout = next(layout for layout in LAYOUTS if layout.recognises(rows))
    return layout.read(
        path, rows, container, primary_nm=primary_nm, reference_nm=reference_nm, decimal_comma=decimal_comma
    )
