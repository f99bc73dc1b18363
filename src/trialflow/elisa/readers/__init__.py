"""Readers for absorbance plate-reader exports (ELISA), 96 and 384 wells, from every major vendor.

An export is read in three steps (``docs/elisa.md``, section 1):

1. :func:`~trialflow.elisa.readers.load.load_export` loads it by what its bytes are (XLSX, XLS,
   XML, JSON or delimited text), not by its name;
2. the first layout of :data:`LAYOUTS` whose ``recognises(export)`` is true describes every grid
   of values it holds as :class:`~trialflow.elisa.readers.reads.Read` s (plate, read step,
   wavelength, measurement, mode, derived or raw) - one module per vendor: ``gen5`` (Agilent/
   BioTek Gen5), ``softmax`` (Molecular Devices SoftMax Pro text and XML), ``magellan`` (Tecan
   Magellan and i-control), ``skanit`` (Thermo SkanIt), ``envision`` and ``kaleido``
   (PerkinElmer/Revvity), ``bmg`` (BMG MARS, SMART Control), ``asm`` (Allotrope Simple Model
   JSON) and ``grid`` (the plain grid, tried last);
3. :func:`~trialflow.elisa.readers.choose.choose_reads` takes the plate and reads the config
   and manifest name, and refuses what does not fit with a message listing what the file holds.

:mod:`~trialflow.elisa.readers.plate` holds what every layout shares: the wells, the reader
marks (:func:`parse_od_cell`) and the tidy per-well frame. Another vendor's export is one more
module with ``NAME``, ``recognises`` and ``reads``, put in :data:`LAYOUTS` before ``grid``.
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
