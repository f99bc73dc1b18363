"""Plate maps (what is in each well) and the plate manifest (which files form a plate).

Plate map CSV
-------------
One row per used well; wells not listed are unused.  Columns:

``well``
    ``A1`` … ``H12`` (also accepted: ``a1``, ``A01``).  Required, unique.
``role``
    ``blank`` | ``standard`` | ``control`` | ``sample``.  Required.
``participant_id``, ``time``
    Required for samples, must be empty otherwise.  Read as text.
``nominal_conc``
    In the unit the manifest states for the plate (``unit``).  Required and > 0 for
    standards and controls (for a control: the concentration of the undiluted control
    material); empty (or 0) for blanks; empty for samples.  At most :data:`MAX_NOMINAL`.
``dilution``
    Dilution factor >= 1 applied to the material before it was put in the well.
    Required for samples (an undiluted sample is written ``1``: an empty cell is an
    error, never read as 1); empty means 1 for controls; empty or 1 for standards and
    blanks.
    Back-calculated concentrations are multiplied by it.  At most :data:`MAX_DILUTION`.
``replicate_group``
    Name of a set of *technical replicates*: wells on the same plate that hold the same
    material at the same dilution.  Their back-calculated concentrations are averaged
    into one result and their CV is checked.  All wells of a group must share ``role``,
    ``participant_id``, ``time``, ``nominal_conc`` and ``dilution``.  Names are local to
    a plate.  When empty it is derived: ``BLANK``; ``STD_<nominal>``;
    ``CTRL_<nominal>``; ``<participant_id>|<time>|x<dilution>`` for samples.  Two
    sample groups with the same participant, time and dilution, or two standard groups
    with the same nominal concentration, are errors.

Plate manifest ``plates.csv``
-----------------------------
One row per plate with ``plate_id, analyte, unit, kit_lot, export_file, map_file``; the two
file columns are paths relative to the manifest's folder.  ``unit`` is the unit of the plate
map's nominal concentrations; it must be the configured unit of the analyte's outcome (never
converted).  ``analyte`` must be a configured biomarker outcome id, with exact case.  Optional
columns choose the reads of the export for this plate, overriding the analyte's
``elisa.reads`` config where a cell is not empty: ``wavelength_nm`` (the primary read),
``reference_nm`` (the reference read, or ``none``), ``read`` (a read or step name as the export
writes it) and ``plate`` (for an export holding several plates: the plate's name, or its
position 1, 2, … in the file).  One export file may be listed on several rows, one per plate it
holds.  Extra columns are ignored.

Problems are collected over the whole file and raised together as
:class:`~trialflow.elisa.errors.PlateMapError`, each a :class:`trialflow.problems.Problem`
(file, line, column, value, rule ``plate_input``, message).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from trialflow.csv_rows import read_rows
from trialflow.outputs import typed_frame
from trialflow.problems import Problem
from trialflow.schemas import PlateMap

from .errors import ANALYTE_KNOWN, PLATE_UNIT, STANDARDS_PLAUSIBLE, PlateMapError, plate_problem

__all__ = [
    "MAP_COLUMNS",
    "MANIFEST_COLUMNS",
    "ROLES",
    "PlateMapError",
    "check_standard_range",
    "read_manifest",
    "read_manifest_leniently",
    "read_plate_map",
]

ROLES = ("blank", "standard", "control", "sample")
MAP_COLUMNS = (
    "well",
    "role",
    "participant_id",
    "time",
    "nominal_conc",
    "dilution",
    "replicate_group",
)
MANIFEST_COLUMNS = ("plate_id", "analyte", "unit", "kit_lot", "export_file", "map_file")
READ_COLUMNS = ("wavelength_nm", "reference_nm", "read", "plate")  # optional: which reads of the export
MAX_NOMINAL = 1e9  # a nominal concentration above this is no concentration in any unit (a typo, 1e308)
MAX_DILUTION = 1e6  # a dilution factor above this is a typo
_WELL_RE = re.compile(r"^([A-Pa-p])0?([1-9]|1[0-9]|2[0-4])$")  # 96 (A-H, 1-12) or 384 wells (A-P, 1-24)


def _read_csv_rows(path: Path, problems: list[Problem]) -> tuple[list[str], list[tuple[int, dict]]]:
    """Header and (line number, row dict) pairs; file-level problems appended."""
    header, rows, faults = read_rows(path)
    problems += [plate_problem(str(path), line, "", value, message) for line, value, message in faults]
    return header, rows


def _number(s: str) -> float | None:
    try:
        v = float(s)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _fmt(v: float) -> str:
    return f"{v:.10g}"


def read_plate_map(path: str | Path, *, min_standard_levels: int = 5, contract: bool = True) -> pd.DataFrame:
    """Read and validate a plate map CSV.

    Parameters
    ----------
    path
        Plate map file (columns described in the module docstring).
    min_standard_levels
        Minimum number of distinct standard concentrations required (default 5).
    contract
        Validate the result against the :class:`trialflow.schemas.PlateMap` contract (default).
        A caller reading many maps may validate their concatenation once instead.

    Returns
    -------
    pandas.DataFrame
        One row per mapped well, in file order, with columns ``well`` (str, normalised
        ``A1``), ``role`` (str), ``participant_id`` (str, ``''`` when not a sample),
        ``time`` (str, ``''`` when not a sample), ``nominal_conc`` (float pg/mL, NaN for
        samples and blanks), ``dilution`` (float, >= 1), ``replicate_group`` (str,
        given or derived), ``map_line`` (int, line in the CSV file).

    Raises
    ------
    PlateMapError
        With every problem found (file, line, column, value, problem).
    """
    path = Path(path)
    name = str(path)
    problems: list[Problem] = []
    header, rows = _read_csv_rows(path, problems)
    if problems:
        raise PlateMapError(problems)
    for col in header:
        if col not in MAP_COLUMNS:
            problems.append(plate_problem(name, 1, col, col, "unknown column; expected " + ", ".join(MAP_COLUMNS)))
    for col in ("well", "role"):
        if col not in header:
            problems.append(plate_problem(name, 1, col, "", "required column missing"))
    if problems:
        raise PlateMapError(problems)

    records = []
    seen_wells: dict[str, int] = {}
    for line, row in rows:

        def bad(col: str, value: str, msg: str, _line: int = line) -> None:
            problems.append(plate_problem(name, _line, col, value, msg))

        w_raw = row.get("well", "")
        m = _WELL_RE.match(w_raw)
        well = f"{m.group(1).upper()}{int(m.group(2))}" if m else ""
        if not m:
            bad("well", w_raw, "not a well position A1..H12 (96 wells) or A1..P24 (384 wells)")
        elif well in seen_wells:
            bad("well", w_raw, f"well listed twice (also on line {seen_wells[well]})")
        else:
            seen_wells[well] = line

        role = row.get("role", "").lower()
        if role not in ROLES:
            bad("role", row.get("role", ""), "role must be one of " + ", ".join(ROLES))

        pid = row.get("participant_id", "")
        time = row.get("time", "")
        if role == "sample":
            if not pid:
                bad("participant_id", pid, "required for a sample well")
            if not time:
                bad("time", time, "required for a sample well")
        elif role in ROLES:
            if pid:
                bad("participant_id", pid, f"must be empty for a {role} well")
            if time:
                bad("time", time, f"must be empty for a {role} well")

        nom_raw = row.get("nominal_conc", "")
        nominal = math.nan
        if nom_raw:
            v = _number(nom_raw)
            if v is None:
                bad("nominal_conc", nom_raw, "not a number")
            else:
                nominal = v
        if role in ("standard", "control"):
            if not nom_raw:
                bad("nominal_conc", nom_raw, f"required for a {role} well (in the manifest's unit)")
            elif not math.isnan(nominal) and nominal <= 0:
                bad("nominal_conc", nom_raw, f"must be > 0 for a {role} well")
            elif nominal > MAX_NOMINAL:
                bad("nominal_conc", nom_raw, f"above {MAX_NOMINAL:g}: not a concentration in any unit (a typo?)")
        elif role == "blank":
            if nom_raw and not math.isnan(nominal) and nominal != 0:
                bad("nominal_conc", nom_raw, "must be empty or 0 for a blank well")
            nominal = math.nan
        elif role == "sample" and nom_raw:
            bad("nominal_conc", nom_raw, "must be empty for a sample well")

        dil_raw = row.get("dilution", "")
        dilution = 1.0
        if dil_raw:
            v = _number(dil_raw)
            if v is None:
                bad("dilution", dil_raw, "not a number")
            elif v < 1:
                bad("dilution", dil_raw, "dilution factor must be >= 1 (e.g. 2 for 1:2)")
            elif v > MAX_DILUTION:
                bad("dilution", dil_raw, f"dilution factor above {MAX_DILUTION:g} (a typo?)")
            else:
                dilution = v
        elif role == "sample":
            bad(
                "dilution", dil_raw, "required for a sample well: write 1 for an undiluted sample, never leave it empty"
            )
        if role in ("standard", "blank") and dilution != 1.0:
            bad("dilution", dil_raw, f"must be empty or 1 for a {role} well")

        group = row.get("replicate_group", "")
        if not group:
            if role == "blank":
                group = "BLANK"
            elif role == "standard":
                group = f"STD_{_fmt(nominal)}"
            elif role == "control":
                group = f"CTRL_{_fmt(nominal)}"
            elif role == "sample":
                group = f"{pid}|{time}|x{_fmt(dilution)}"
        records.append((well, role, pid, time, nominal, dilution, group, line))

    df = typed_frame(
        records,
        {
            "well": "str",
            "role": "str",
            "participant_id": "str",
            "time": "str",
            "nominal_conc": float,
            "dilution": float,
            "replicate_group": "str",
            "map_line": "int64",
        },
    )

    if not problems:
        _check_groups(df, name, problems)
        std = df[df["role"] == "standard"]
        n_levels = std["nominal_conc"].nunique()
        if n_levels < min_standard_levels:
            problems.append(
                plate_problem(
                    name,
                    0,
                    "nominal_conc",
                    str(n_levels),
                    f"standard series has {n_levels} concentration level(s); at least "
                    f"{min_standard_levels} are required",
                )
            )
        if not (df["role"] == "blank").any():
            problems.append(plate_problem(name, 0, "role", "", "no blank wells"))
    if problems:
        raise PlateMapError(problems)
    if not contract:
        return df
    return PlateMap.validate(df, lazy=True)  # the contract the checks above guarantee


def _check_groups(df: pd.DataFrame, name: str, problems: list[Problem]) -> None:
    keys = ["role", "participant_id", "time", "nominal_conc", "dilution"]
    # One pass over plain lists finds each group's first well and the groups that mix wells (a map
    # has ~100 rows: pandas grouping cost more than the rest of reading it); only those are
    # examined per well.
    described = [tuple(map(str, values)) for values in zip(*(df[k].tolist() for k in keys), strict=True)]
    first_row: dict[str, int] = {}
    mixed = set()
    for i, group in enumerate(df["replicate_group"].tolist()):
        if described[first_row.setdefault(group, i)] != described[i]:
            mixed.add(group)
    for group, sub in df[df["replicate_group"].isin(mixed)].groupby("replicate_group", sort=False):
        distinct = sub[keys].astype(str).drop_duplicates()
        if len(distinct) > 1:
            for col in keys:
                if sub[col].astype(str).nunique() > 1:
                    first = sub.iloc[0]
                    for _, r in sub.iloc[1:].iterrows():
                        if str(r[col]) != str(first[col]):
                            problems.append(
                                plate_problem(
                                    name,
                                    int(r["map_line"]),
                                    col,
                                    str(r[col]),
                                    f"replicate_group {group!r} mixes wells with different "
                                    f"{col} (line {int(first['map_line'])} has "
                                    f"{str(first[col])!r})",
                                )
                            )
                    break
    # The first well of each group stands for it.
    records = df.to_dict("records")
    rows = [records[i] for i in first_row.values()]
    split = [
        ("sample", ["participant_id", "time", "dilution"], _sample_split),
        ("standard", ["nominal_conc"], _standard_split),
    ]
    for role, same, message in split:
        members = [r for r in rows if r["role"] == role]
        counts: dict[tuple, int] = {}
        for r in members:
            key = tuple(r[k] for k in same)
            counts[key] = counts.get(key, 0) + 1
        for r in members:
            if counts[tuple(r[k] for k in same)] > 1:
                problems.append(
                    plate_problem(name, int(r["map_line"]), "replicate_group", r["replicate_group"], message(r))
                )


def _sample_split(r) -> str:
    return (
        f"participant {r['participant_id']!r} time {r['time']!r} at dilution "
        f"{_fmt(r['dilution'])} is split over several replicate groups; use one group"
    )


def _standard_split(r) -> str:
    return f"standard level {_fmt(r['nominal_conc'])} is split over several replicate groups; use one group per level"


def read_manifest(path: str | Path, units: dict[str, str] | None = None) -> pd.DataFrame:
    """Read and validate a plate manifest (``plates.csv``).

    Parameters
    ----------
    path
        Manifest CSV with columns :data:`MANIFEST_COLUMNS`.
    units
        Biomarker outcome id -> configured unit; without it analytes and units are not checked
        against a config.

    Returns
    -------
    pandas.DataFrame
        One row per plate in file order with columns ``plate_id``, ``analyte``, ``unit``,
        ``kit_lot``, ``export_file``, ``map_file``, :data:`READ_COLUMNS` (str, as written; empty when
        the column is absent), ``export_path``,
        ``map_path`` (str, resolved against the manifest's folder), ``manifest_line``
        (int).

    Raises
    ------
    PlateMapError
        Missing columns or values, duplicate plate ids or export files, files that do
        not exist.
    """
    header, rows = manifest_rows(path)
    problems: list[Problem] = []
    for col in MANIFEST_COLUMNS:
        if col not in header:
            problems.append(plate_problem(str(path), 1, col, "", "required column missing"))
    if problems:
        raise PlateMapError(problems)
    if not rows:
        raise PlateMapError([plate_problem(str(path), 0, "", "", "no plates listed")])
    return check_manifest_rows(path, rows, units)


def manifest_rows(path: str | Path) -> tuple[list[str], list[tuple[int, dict]]]:
    """The manifest's header and its ``(line, row)`` pairs, unvalidated (the workflow reads
    them when it builds its jobs, to put plates into batches).

    Raises
    ------
    PlateMapError
        The file cannot be read or has fields beyond its header.
    """
    problems: list[Problem] = []
    header, rows = _read_csv_rows(Path(path), problems)
    if problems:
        raise PlateMapError(problems)
    return header, rows


def check_manifest_rows(
    path: str | Path, rows: list[tuple[int, dict]], units: dict[str, str] | None = None
) -> pd.DataFrame:
    """Validate manifest rows (all of a manifest, or one batch of it) as :func:`read_manifest` does;
    file names resolve against the manifest's folder. With ``units`` (biomarker outcome id ->
    configured unit), the analyte must be one of its keys and the unit its value.

    Raises
    ------
    PlateMapError
        Every problem of the rows.
    """
    frame, problems = manifest_frame(path, rows, units)
    if problems:
        raise PlateMapError(problems)
    return frame


def read_manifest_leniently(
    path: str | Path, units: dict[str, str] | None = None
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The manifest's rows that break no rule, and the problems of the others (None when the file
    as a whole cannot be read: unreadable, a required column missing, no plate listed)."""
    try:
        header, rows = manifest_rows(path)
    except PlateMapError as err:
        return None, err.problems
    problems = [
        plate_problem(str(path), 1, col, "", "required column missing") for col in MANIFEST_COLUMNS if col not in header
    ]
    if not problems and not rows:
        problems = [plate_problem(str(path), 0, "", "", "no plates listed")]
    if problems:
        return None, problems
    frame, problems = manifest_frame(path, rows, units)
    bad_lines = {int(p.line) for p in problems if p.line}
    bad_ids = {p.value for p in problems if p.column == "plate_id"}
    keep = ~frame["manifest_line"].isin(bad_lines) & ~frame["plate_id"].isin(bad_ids)
    return frame[keep].reset_index(drop=True), problems


def manifest_frame(
    path: str | Path, rows: list[tuple[int, dict]], units: dict[str, str] | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """Every manifest row as :func:`check_manifest_rows` returns them, and their problems."""
    path = Path(path)
    name = str(path)
    problems: list[Problem] = []
    base = path.parent
    records = []
    seen_ids: dict[str, int] = {}
    seen_exports: dict[str, int] = {}
    for line, row in rows:
        for col in MANIFEST_COLUMNS:
            if not row.get(col, ""):
                problems.append(plate_problem(name, line, col, "", "value required"))
        analyte, unit = row.get("analyte", ""), row.get("unit", "")
        if units is not None and analyte and analyte not in units:
            problems.append(
                Problem(
                    name,
                    str(line),
                    "analyte",
                    analyte,
                    ANALYTE_KNOWN,
                    "error",
                    "not a configured biomarker outcome id (exact case): "
                    + (", ".join(sorted(units)) or "the config has no biomarker outcome"),
                )
            )
        elif units is not None and analyte and unit and unit != units[analyte]:
            problems.append(
                Problem(
                    name,
                    str(line),
                    "unit",
                    unit,
                    PLATE_UNIT,
                    "error",
                    f"the plate's concentrations are in {unit} but {analyte} is configured in {units[analyte]} "
                    "(outcome unit); nothing is converted: write the plate map in the configured unit",
                )
            )
        for col in ("wavelength_nm", "reference_nm"):
            nm = row.get(col, "")
            if nm and not (nm.isdigit() and 200 <= int(nm) <= 1000) and not (col == "reference_nm" and nm == "none"):
                none = ", 'none' (no reference read)" if col == "reference_nm" else ""
                allowed = f"a wavelength in nm (200-1000){none}, or empty for the analyte's elisa.reads setting"
                problems.append(plate_problem(name, line, col, nm, allowed))
        pid = row.get("plate_id", "")
        if pid and pid in seen_ids:
            problems.append(
                plate_problem(
                    name,
                    line,
                    "plate_id",
                    pid,
                    f"duplicate plate_id (also on line {seen_ids[pid]})",
                )
            )
        seen_ids.setdefault(pid, line)
        paths = {}
        for col in ("export_file", "map_file"):
            val = row.get(col, "")
            p = (base / val).resolve() if val else None
            paths[col] = str(p) if p else ""
            if p is not None and not p.is_file():
                problems.append(plate_problem(name, line, col, val, f"file not found (looked for {p})"))
        exp = (paths["export_file"], row.get("plate", ""))  # a file holding several plates: one row per plate
        if exp[0] and exp in seen_exports:
            problems.append(
                plate_problem(
                    name,
                    line,
                    "export_file",
                    row.get("export_file", ""),
                    f"same export file as line {seen_exports[exp]}"
                    + (
                        f" and the same plate {exp[1]!r}"
                        if exp[1]
                        else " (a file holding several plates: name each in the plate column)"
                    ),
                )
            )
        seen_exports.setdefault(exp, line)
        records.append(
            (
                pid,
                row.get("analyte", ""),
                row.get("unit", ""),
                row.get("kit_lot", ""),
                row.get("export_file", ""),
                row.get("map_file", ""),
                *(row.get(col, "") for col in READ_COLUMNS),
                paths["export_file"],
                paths["map_file"],
                line,
            )
        )
    df = pd.DataFrame.from_records(
        records,
        columns=[
            "plate_id",
            "analyte",
            "unit",
            "kit_lot",
            "export_file",
            "map_file",
            *READ_COLUMNS,
            "export_path",
            "map_path",
            "manifest_line",
        ],
    )
    return df.astype({"manifest_line": "int64"}), problems


def check_standard_range(
    plate_map: pd.DataFrame, map_file: str, analyte: str, expected: dict[str, list[float]] | None
) -> list[Problem]:
    """Standards outside the configured plausible range of their analyte (``elisa.expected_standards``).

    A plate map written in ng/mL where the analyte is in pg/mL puts every standard 1000x low, even
    when its manifest row names the right unit; the range catches it. One problem per standard
    level out of range, at the map line of its first well. No range configured: no problem.
    """
    if not expected or analyte not in expected:
        return []
    low, high = expected[analyte]
    std = plate_map[plate_map["role"] == "standard"].drop_duplicates("replicate_group")
    out = std[(std["nominal_conc"] < low) | (std["nominal_conc"] > high)]
    return [
        Problem(
            map_file,
            str(int(r.map_line)),
            "nominal_conc",
            _fmt(r.nominal_conc),
            STANDARDS_PLAUSIBLE,
            "error",
            f"standard level {_fmt(r.nominal_conc)} is outside the plausible range of {analyte} standards "
            f"({_fmt(low)}-{_fmt(high)}, elisa.expected_standards): a map written in another unit?",
        )
        for r in out.itertuples()
    ]
