"""What a vendor layout hands over: the export as loaded (:class:`Export`) and the reads it holds
(:class:`Read`), before any of them is chosen.

A layout module (``gen5``, ``softmax``, ``magellan`` …) has ``NAME``, ``recognises(export) ->
bool`` and ``reads(export) -> Parsed``. It describes **every** grid of values the file holds -
raw reads at each wavelength, read steps, plates, and the summary grids instrument software
appends (blank-subtracted, delta OD, concentrations: ``derived=True``) - and says what each is.
It never chooses: :func:`trialflow.elisa.readers.choose.choose_reads` takes the plate, the read
and the wavelengths the config and manifest name, and refuses what does not fit, with a message
listing what the file holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Cell = tuple[Any, str]  # (raw value, where: 'plate.csv:line 5, col 3' | 'plate.xlsx:Sheet1!C5')

PLATE_SHAPES = {96: (8, 12), 384: (16, 24)}  # wells -> (rows, columns)
MEASUREMENTS = ("absorbance", "fluorescence", "luminescence", "unknown")
MODES = ("endpoint", "kinetic", "spectrum", "well scan", "unknown")


@dataclass
class Export:
    """One export file as loaded: its sheets as rows of cells, or its text (XML, JSON).

    ``container`` is ``'text'`` (one sheet titled ``''``), ``'xlsx'``, ``'xls'``, ``'xml'`` or
    ``'json'``; ``sheets`` holds ``(title, rows)`` for the first three, ``text`` the decoded file
    for the last two. ``decimal_comma``: the text is separated by ``;`` or tabs, where ``0,125``
    is a number.
    """

    path: Path
    container: str
    sheets: list[tuple[str, list[list[Cell]]]] = field(default_factory=list)
    text: str = ""
    decimal_comma: bool = False

    @property
    def rows(self) -> list[list[Cell]]:
        """The rows of a one-sheet export (a text file); the first sheet's of a workbook."""
        return self.sheets[0][1] if self.sheets else []


@dataclass
class Read:
    """One grid of values of one plate in an export: a raw read at one wavelength, or a grid the
    instrument software derived from the raw reads.

    ``cells`` maps every well of the plate (``A1`` … ``H12``, or ``A1`` … ``P24`` for 384 wells)
    to its raw cell; a well the file leaves out is absent (an error when the read is chosen).
    ``label`` is how the file names the grid (``'450'``, ``'Read 1:450'``, ``'Blank 450'``, a
    sheet name …); ``step`` the read step (procedure step, SoftMax "plate section", Magellan
    measurement) it belongs to - reads of one step are one measurement at several wavelengths,
    so a reference read must share the primary read's step; ``''`` when the file has one.
    ``nm`` is ``None`` when the file states no wavelength for it; ``measurement`` is
    ``'unknown'`` when the file does not say. ``where``: the place the grid starts.
    """

    cells: dict[str, Cell]
    wells: int = 96
    nm: int | None = None
    label: str = ""
    step: str = ""
    plate: int = 1
    plate_name: str = ""
    measurement: str = "absorbance"
    mode: str = "endpoint"
    derived: bool = False
    where: str = ""

    def __post_init__(self) -> None:  # the contract every layout's reads keep
        if self.wells not in PLATE_SHAPES or self.measurement not in MEASUREMENTS or self.mode not in MODES:
            raise ValueError(f"impossible read: {self.wells} wells, {self.measurement}, {self.mode}")

    def describe(self) -> str:
        """The read as a message names it: ``'450 nm (Read 1:450) of plate 2 'Plate1' at line 40'``."""
        nm = f"{self.nm} nm" if self.nm is not None else "no wavelength stated"
        parts = [f"{self.label!r} ({nm}" + (f", {self.measurement}" if self.measurement != "absorbance" else "") + ")"]
        if self.step and self.step != self.label:
            parts.append(f"step {self.step!r}")
        if self.derived:
            parts.append("derived")
        if self.where:
            parts.append(f"at {self.where}")
        return " ".join(parts)


@dataclass
class Parsed:
    """What a layout found in an export: its format name (``'gen5-text'``, ``'softmax-plate-text'``
    …), the metadata lines (``Software Version``, ``Plate Number`` …, first value of a key
    kept) and every read of every plate, in file order."""

    format: str
    reads: list[Read]
    metadata: dict[str, str] = field(default_factory=dict)

    def plates(self) -> list[tuple[int, str]]:
        """The plates of the file: (position, name), in file order."""
        seen: dict[int, str] = {}
        for read in self.reads:
            seen.setdefault(read.plate, read.plate_name)
        return sorted(seen.items())
