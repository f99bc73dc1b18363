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
from trialflow.elisa.readers import asm, bmg, envision, gen5, grid, kaleido, magellan, skanit, softmax
from trialflow.elisa.readers.choose import NO_REFERENCE, ReadChoice, choose_reads
from trialflow.elisa.readers.load import load_export
from trialflow.elisa.readers.plate import COLS, ROWS, WELLS, parse_od_cell

__all__ = [
    "NO_REFERENCE",
    "PlateFormatError",
    "ROWS",
    "COLS",
    "WELLS",
    "ReadChoice",
    "parse_od_cell",
    "read_plate_export",
]

# By content: the first that recognises an export describes it. Each vendor recognises only its
# own exports (tested on the others' fixtures and on allotropy's public test files); the plain
# grid recognises any file with a grid and comes last.
LAYOUTS = (softmax, magellan, skanit, envision, kaleido, bmg, asm, gen5, grid)


def read_plate_export(
    path: str | Path,
    *,
    wavelength_nm: int | None = 450,
    reference_nm: int | str | None = None,
    read: str | None = None,
    plate: str | None = None,
    choice: ReadChoice | None = None,
) -> pd.DataFrame:
    """Read the chosen plate and reads of one plate-reader export into a tidy per-well frame.

    The file is loaded by what its bytes are (:func:`~trialflow.elisa.readers.load.load_export`),
    described by the first of :data:`LAYOUTS` that recognises its content (every plate, read
    step and wavelength it holds) and the reads are chosen by
    :func:`~trialflow.elisa.readers.choose.choose_reads`.

    Parameters
    ----------
    path
        Export file (text, CSV, XLSX, XLS, XML, JSON; the name's suffix is not used).
    wavelength_nm
        Primary absorbance wavelength. A file that states no wavelength for its grid is read as
        this one.
    reference_nm
        Reference wavelength read in the primary read's step; ``None`` when none is named (then a
        second wavelength in that step is an error: name it, or pass ``'none'`` to read the
        primary wavelength alone).
    read, plate
        The read or step name, and the plate (name, or 1-based position as digits) of a file
        holding several.
    choice
        All four at once (the pipeline's :class:`ReadChoice`, whose messages name the config keys);
        the keyword arguments are then ignored.

    Returns
    -------
    pandas.DataFrame
        One row per well in plate order (96: A1 … H12; 384: A1 … P24) with columns

        ``well`` (str), ``row`` (str), ``col`` (int), ``od_450`` (float, OD of the primary read
        whatever its wavelength; NaN when flagged other than ``masked``), ``od_ref`` (float, OD
        of the reference read, NaN if none), ``od`` (float, ``od_450 - od_ref``, or ``od_450``
        without a reference read), ``flag`` (str, ``''`` or a flag from the table in
        :mod:`trialflow.elisa.readers.plate`), ``source`` (str, file and cell of the primary
        value - of the reference value for ``ref_*`` flags - e.g. ``plate01.csv:line 5, col 3``
        or ``plate03.xlsx:Sheet1!C5``).

        ``df.attrs``: ``format`` (e.g. ``'grid-text'``, ``'gen5-text'``), ``metadata``,
        ``primary_nm``, ``reference_nm``, ``wavelength_stated_by`` (``'file'`` or ``'config'``),
        ``read``, ``step``, ``plate``, ``plate_name``, ``wells`` and ``reads_in_file``.

    Raises
    ------
    PlateFormatError
        The file is missing or unreadable, holds no plate grid, or its reads do not match the
        choice (a wavelength it does not hold, several plates and none named, a reference from
        another read step, a read that is not absorbance or not endpoint …). The message names
        the file, the place, what the file holds and the key that selects the right read.
    """
    if choice is None:
        choice = ReadChoice(wavelength_nm=wavelength_nm, reference_nm=reference_nm, read=read, plate=plate)
    export = load_export(path)
    layout = next(layout for layout in LAYOUTS if layout.recognises(export))
    return choose_reads(export, layout.reads(export), choice)
