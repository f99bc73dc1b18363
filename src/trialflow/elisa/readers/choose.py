"""Choosing the reads of one plate from what a layout found: the plate, the primary read and the
reference read that the config and the manifest name (docs/elisa.md, section 1).

Nothing is guessed. The plate of a file holding several is named (by name, or by position when
names repeat); the primary read is the absorbance endpoint read at the named wavelength (or the
named read step); a file that states no wavelength is read at the wavelength the config names;
the reference read is taken only when named, and only from the primary read's step. Grids the
instrument software derived (blank-subtracted, delta OD, concentrations, group tables) are never
read. Every refusal lists what the file holds and names the key that would select the right read.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from trialflow.elisa.errors import GRID_SHAPE, WAVELENGTH, PlateFormatError
from trialflow.elisa.readers.grid import declared_wavelengths
from trialflow.elisa.readers.plate import place, well_names, wells_frame
from trialflow.elisa.readers.reads import Export, Parsed, Read

NO_REFERENCE = "none"  # the manifest's / config's word for "read the primary wavelength alone"


@dataclass(frozen=True)
class ReadChoice:
    """What to read from an export: ``wavelength_nm`` (primary), ``reference_nm`` (an int, ``None``
    for none named, or ``'none'``: none, whatever else the step holds), ``read`` (a read or step
    name as the file writes it) and ``plate`` (a plate name, or its 1-based position as digits).
    ``keys`` is how messages name the settings (e.g. ``"elisa.reads.BDNF.<key> or the manifest's
    <key> column"``)."""

    wavelength_nm: int | None = 450
    reference_nm: int | str | None = None
    read: str | None = None
    plate: str | None = None
    keys: str = "<key>"

    def key(self, name: str) -> str:
        return self.keys.replace("<key>", name)


def _holds(reads: list[Read]) -> str:
    return "; ".join(r.describe() for r in reads) or "no grid of values"


def _plate_text(number: int, name: str) -> str:
    return f"{number} {name!r}" if name else str(number)


def choose_reads(export: Export, parsed: Parsed, choice: ReadChoice) -> pd.DataFrame:
    """The tidy per-well frame of the chosen plate's primary (and reference) read.

    Raises :class:`PlateFormatError` (rule ``plate_wavelength``, or ``plate_grid_shape`` for a
    plate that is not named or not there) when the choice does not pick exactly one read.
    """
    path = export.path

    def refuse(message: str, *, line: str = "", value: str = "", rule: str = WAVELENGTH) -> PlateFormatError:
        return PlateFormatError(path, message, line=line, value=value, rule=rule)

    if not parsed.reads:
        raise refuse(
            "no plate grid found: expected a header row with the column numbers 1..12 (or 1..24) "
            "followed by rows A-H (A-P), or a known instrument export (see docs/elisa.md)",
            rule=GRID_SHAPE,
        )
    number, name = _choose_plate(parsed, choice, refuse)
    on_plate = [r for r in parsed.reads if r.plate == number]
    raw = [r for r in on_plate if not r.derived]
    plate_text = f" of plate {_plate_text(number, name)}" if len(parsed.plates()) > 1 else ""
    if choice.read:
        wanted = choice.read.strip().lower()
        raw = [r for r in raw if wanted in (r.label.strip().lower(), r.step.strip().lower())]
        if not raw:
            raise refuse(
                f"no raw read named {choice.read!r}{plate_text} ({choice.key('read')}); "
                f"the file holds: {_holds(on_plate)}",
                value=choice.read,
            )
    if not raw:
        raise refuse(
            f"no raw read{plate_text}, only grids the instrument software derived ({_holds(on_plate)}): "
            "export the raw reads (the OD of each well as measured)",
            rule=GRID_SHAPE,
        )
    absorbance = [r for r in raw if r.measurement in ("absorbance", "unknown")]
    if not absorbance:
        kinds = sorted({r.measurement for r in raw})
        raise refuse(
            f"the file holds {' and '.join(kinds)} reads, not absorbance ({_holds(raw)}): an ELISA plate is read as "
            "absorbance (OD); export the absorbance read",
            line=place(raw[0].where),
        )
    primary = _choose_primary(export, parsed, absorbance, choice, plate_text, refuse)
    reference = _choose_reference(absorbance, primary, choice, refuse)
    _check_declared(parsed, absorbance, refuse)
    for read in (primary, reference):
        if read is not None:
            _check_complete(export, read, refuse)

    nm = primary.nm if primary.nm is not None else choice.wavelength_nm
    df = wells_frame(
        path, primary.cells, reference.cells if reference is not None else None, export.decimal_comma, primary.wells
    )
    df.attrs.update(
        format=parsed.format,
        metadata=parsed.metadata,
        primary_nm=nm,
        reference_nm=reference.nm if reference is not None else None,
        wavelength_stated_by="file" if primary.nm is not None else "config",
        read=primary.label,
        step=primary.step,
        plate=number,
        plate_name=name,
        plates_in_file=len(parsed.plates()),
        wells=primary.wells,
        reads_in_file=[r.describe() for r in parsed.reads],
    )
    return df


def _choose_plate(parsed: Parsed, choice: ReadChoice, refuse) -> tuple[int, str]:
    plates = parsed.plates()
    listing = ", ".join(_plate_text(n, name) for n, name in plates)
    if choice.plate is None or str(choice.plate).strip() == "":
        if len(plates) > 1:
            raise refuse(
                f"holds {len(plates)} plates ({listing}); name the plate in the manifest's plate column "
                f"(its name, or its position 1-{len(plates)} when names repeat)",
                rule=GRID_SHAPE,
            )
        return plates[0]
    wanted = str(choice.plate).strip()
    if wanted.isdigit():
        position = int(wanted)
        for n, name in plates:
            if n == position:
                return n, name
        raise refuse(
            f"has no plate at position {position} (the manifest's plate column); its plates: {listing}",
            value=wanted,
            rule=GRID_SHAPE,
        )
    named = [(n, name) for n, name in plates if name == wanted] or [
        (n, name) for n, name in plates if name.lower() == wanted.lower()
    ]
    if not named:
        raise refuse(
            f"has no plate named {wanted!r} (the manifest's plate column); its plates: {listing}", value=wanted
        )
    if len(named) > 1:
        raise refuse(
            f"has {len(named)} plates named {wanted!r} (positions {', '.join(str(n) for n, _ in named)}); "
            "name the plate by its position in the manifest's plate column",
            value=wanted,
            rule=GRID_SHAPE,
        )
    return named[0]


def _choose_primary(
    export: Export, parsed: Parsed, absorbance: list[Read], choice: ReadChoice, plate_text: str, refuse
) -> Read:
    wanted = choice.wavelength_nm
    at_nm = [r for r in absorbance if wanted is not None and r.nm == wanted]
    unstated = [r for r in absorbance if r.nm is None]
    for reads in (at_nm, unstated):  # a kinetic read, a spectrum: one grid per time point or wavelength
        endpoint = [r for r in reads if r.mode in ("endpoint", "unknown")]
        if reads and not endpoint and (reads is at_nm or not at_nm):
            raise refuse(
                f"the {reads[0].describe()} is a {reads[0].mode} read ({len(reads)} grids): an endpoint read (one OD "
                "per well) is expected; export the endpoint read",
                line=place(reads[0].where),
            )
        reads[:] = endpoint
    if len(at_nm) > 1:
        steps = {r.step for r in at_nm}
        if len(steps) > 1 and not choice.read:
            raise refuse(
                f"several {wanted} nm reads{plate_text} in different read steps ({_holds(at_nm)}): name the one to "
                f"use ({choice.key('read')})",
                line=place(at_nm[1].where),
            )
        raise refuse(
            f"two grids for {wanted} nm{plate_text} ({at_nm[0].where} and {at_nm[1].where}): a grid is duplicated "
            "or mislabelled; export one plate per file, each read labelled with its wavelength",
            line=place(at_nm[1].where),
            value=at_nm[1].label,
        )
    if at_nm:
        if unstated:
            raise refuse(
                f"the grid at {unstated[0].where} has no wavelength label while the grid at {at_nm[0].where} is "
                f"labelled {wanted}: which one is the {wanted} nm read is ambiguous; label every grid",
                line=place(unstated[0].where),
            )
        return at_nm[0]
    stated = sorted({r.nm for r in absorbance if r.nm is not None})
    if wanted is None:
        raise refuse(
            f"no wavelength is named for this plate ({choice.key('wavelength_nm')}); "
            f"the file holds: {_holds(absorbance)}",
        )
    if unstated:
        # A grid without a wavelength is the primary read only as the first unlabelled grid of
        # a file whose other grids are labelled (the plain grid layout: 450 first, '570' below).
        if len(unstated) > 1:
            raise refuse(
                f"grid at {unstated[1].where} has no wavelength label; put a line such as '570' or "
                f"'Wavelength: 570' above it (or name the read: {choice.key('read')})",
                line=place(unstated[1].where),
            )
        return unstated[0]
    raise refuse(
        f"no {wanted} nm read{plate_text} ({choice.key('wavelength_nm')}): the file holds "
        f"{', '.join(f'{nm} nm' for nm in stated) or 'no absorbance read'} ({_holds(absorbance)}); name the "
        "wavelength the assay is read at",
        value=str(wanted),
    )


def _choose_reference(absorbance: list[Read], primary: Read, choice: ReadChoice, refuse) -> Read | None:
    wanted = choice.reference_nm
    if isinstance(wanted, str) and wanted.strip().lower() == NO_REFERENCE:
        return None
    same_step = [
        r
        for r in absorbance
        if r is not primary
        and r.step == primary.step
        and r.plate == primary.plate
        and r.mode in ("endpoint", "unknown")
    ]
    if wanted is None:
        others = sorted({r.nm for r in same_step if r.nm is not None and r.nm != primary.nm})
        if others:
            raise refuse(
                f"the read step of the primary read also holds {', '.join(f'{nm} nm' for nm in others)} "
                f"({_holds(same_step)}) but no reference wavelength is named: set {choice.key('reference_nm')} to "
                f"the reference read ({others[0]}), or to '{NO_REFERENCE}' to use the primary read alone",
                line=place(same_step[0].where),
            )
        return None
    wanted = int(wanted)
    if wanted == primary.nm:
        raise refuse(f"the reference wavelength {wanted} nm is the primary one", line=place(primary.where))
    at_nm = [r for r in same_step if r.nm == wanted]
    if len(at_nm) > 1:
        raise refuse(
            f"two grids for the reference wavelength {wanted} nm ({at_nm[0].where} and {at_nm[1].where})",
            line=place(at_nm[1].where),
        )
    if at_nm:
        return at_nm[0]
    elsewhere = [r for r in absorbance if r.nm == wanted]
    if elsewhere:
        raise refuse(
            f"the {wanted} nm read ({elsewhere[0].describe()}) belongs to read step {elsewhere[0].step!r}, not to "
            f"the primary read's step {primary.step!r}: a reference is read in the same step as the primary read "
            f"(this is another measurement); check {choice.key('reference_nm')}",
            line=place(elsewhere[0].where),
            value=str(wanted),
        )
    raise refuse(
        f"no grid for the reference wavelength {wanted} nm ({choice.key('reference_nm')}; the file holds: "
        f"{_holds(absorbance)}): a reference grid that is missing or cut off (a truncated file?), or a plate "
        f"read at the primary wavelength alone ('{NO_REFERENCE}')",
        value=str(wanted),
    )


def _check_declared(parsed: Parsed, absorbance: list[Read], refuse) -> None:
    """A wavelength the export's metadata declares (``Wavelengths: 450, 570``) without its grid:
    the file was cut."""
    declared = declared_wavelengths(parsed.metadata)
    found = {r.nm for r in absorbance}
    unstated = any(r.nm is None for r in absorbance)
    missing = [nm for nm in declared if nm not in found]
    if missing and not (unstated and len(missing) == 1):
        raise refuse(
            f"the export declares wavelength(s) {', '.join(map(str, declared))} "
            f"but has no grid for {', '.join(map(str, missing))} (a truncated file?)",
        )


def _check_complete(export: Export, read: Read, refuse) -> None:
    absent = [w for w in well_names(read.wells) if w not in read.cells]
    if absent:
        shown = ", ".join(absent[:8]) + (" …" if len(absent) > 8 else "")
        raise refuse(
            f"the read {read.describe()} lacks {len(absent)} of its {read.wells} wells ({shown}): a truncated export?",
            line=place(read.where),
            rule=GRID_SHAPE,
        )
