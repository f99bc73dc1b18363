"""BioTek/Agilent Gen5 exports, as text (tab- or comma-separated) or saved as XLSX.

A metadata block (``Software Version``, ``Plate Number``, ``Date``/``Reading Date``, ``Read``,
``Wavelengths:  450, 570`` …) is followed by grids. Both Gen5 variants are read: one section
per read labelled ``450`` / ``570`` (or ``Read 1:450``, ``450nm:450`` …), and the combined
``Results`` matrix in which every data row ends with its label and the reads of a plate row
follow each other on continuation rows with an empty row letter. Derived grids (``Layout``,
``Blank 450``, ``Corrected …``, ``[Concentration]``, ``Conc`` …) are described as derived.
Several plates (one ``Plate Number`` block each) are plates 1 … n of the file.

The grids are found as in every grid export: :mod:`trialflow.elisa.readers.grid` knows these
features (a file that is not from Gen5 may use them too). What is Gen5's own is how an export is
recognised: its metadata block names the ``Software Version`` and one of Gen5's other header
keys (``Experiment File Path``, ``Protocol File Path``, ``Plate Number``, ``Reader Type``,
``Procedure Details``).
"""

from __future__ import annotations

from trialflow.elisa.readers.grid import describe_grids, first_header, metadata
from trialflow.elisa.readers.reads import Export, Parsed

NAME = "gen5"

_GEN5_KEYS = {"experiment file path", "protocol file path", "plate number", "reader type", "procedure details"}


def _keys(rows: list) -> set[str]:
    keys = {key.lower() for key in metadata(rows, first_header(rows))}
    keys |= {str(row[0][0]).strip().lower() for row in rows if row and row[0][0] is not None}
    return keys


def recognises(export: Export) -> bool:
    """Whether a worksheet's header block names the ``Software Version`` and another Gen5 header key."""
    for _, rows in export.sheets:
        keys = _keys(rows)
        if "software version" in keys and keys & _GEN5_KEYS:
            return True
    return False


def reads(export: Export) -> Parsed:
    """Every grid of every plate of a Gen5 export as a :class:`~trialflow.elisa.readers.reads.Read`."""
    return describe_grids(export, f"{NAME}-{export.container}")
