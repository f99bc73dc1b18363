"""Quantification of ELISA plates: from exports + plate maps to QC'd concentrations.

Per plate (:func:`quantify_plate`):

1. ``od`` = reference-corrected OD from the export (``od_450 - od_ref``, or ``od_450``).
2. Blank OD = mean ``od`` of the blank wells with no flag; ``od_corrected = od - blank``.
3. The standard curve (4PL/5PL, weighting none | 1/y | 1/y^2) is fitted to
   ``(nominal_conc, od_corrected)`` of every standard well with no flag.
   Failing standard levels are excluded and the curve refitted (see :mod:`.qc`).
4. Every standard, control and sample well with no flag is back-calculated:
   ``backcalc_conc = inverse(od_corrected) * dilution``.  A response beyond a curve
   asymptote has no inverse: the well gets flag ``below_curve`` / ``above_curve`` and a
   NaN concentration.
5. Standards, controls, plate verdict and sample results follow :mod:`.qc`.

Across plates (:func:`quantify_plates`) a participant × time × analyte measured on more
than one plate (re-assay) or at several dilutions is reported once: the usable result
(flag ``''``) with the smallest dilution; if none is usable, the first in manifest
order.  Two usable results at the same smallest dilution are an error (the lab must
decide which run is reportable, e.g. by removing the other from the manifest).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from trialflow.problems import Problem
from trialflow.schemas import PlateMap

from .curve import MODELS, WEIGHTINGS, CurveFit, curve_points, fit_curve, fit_curves
from .errors import (
    PLATE_INPUT,
    REPLICATES,
    STANDARDS_PLAUSIBLE,
    PlateFormatError,
    PlateMapError,
    plate_problem,
)
from .plate_map import check_standard_range, read_manifest, read_plate_map
from .qc import (
    SAMPLE_COLUMNS,
    AcceptanceRules,
    evaluate_controls,
    evaluate_standards,
    plate_verdict,
    quantitation_limits,
    summarise_samples,
)
from .readers import read_plate_export
from .readers.choose import NO_REFERENCE, ReadChoice
from .readers.plate import place

__all__ = [
    "PlateResult",
    "QuantResult",
    "assemble_plates",
    "empty_tables",
    "in_manifest_order",
    "quantify_batch",
    "quantify_plate",
    "quantify_plates",
    "raise_errors",
    "replicate_shortfalls",
    "resolve_reassays",
]

WELL_COLUMNS = [
    "plate_id",
    "analyte",
    "well",
    "row",
    "col",
    "role",
    "replicate_group",
    "participant_id",
    "time",
    "nominal_conc",
    "dilution",
    "od_450",
    "od_ref",
    "od",
    "od_corrected",
    "backcalc_conc",
    "flag",
    "source",
]
PLATE_QC_COLUMNS = [
    "plate_id",
    "analyte",
    "unit",
    "kit_lot",
    "model",
    "weighting",
    "a",
    "b",
    "c",
    "d",
    "g",
    "r2",
    "n_standards",
    "n_standards_pass",
    "controls_pass",
    "lloq",
    "uloq",
    "verdict",
    "reasons",
    "blank_od",
    "n_controls",
    "n_controls_pass",
    "export_file",
    "export_format",
    "export_plate",
    "wells",
    "read",
    "primary_nm",
    "reference_nm",
]
CONC_COLUMNS = SAMPLE_COLUMNS  # one row per participant × time × analyte, as per sample group


@dataclass
class PlateResult:
    """Everything computed for one plate (see :class:`QuantResult` for the columns)."""

    wells: pd.DataFrame
    standards: pd.DataFrame
    controls: pd.DataFrame
    plate_qc: dict
    samples: pd.DataFrame
    curves: pd.DataFrame
    fit: CurveFit
    blank_od: float


@dataclass
class QuantResult:
    """Output of :func:`quantify_plates`.

    Attributes
    ----------
    wells
        Every well of every plate: ``plate_id``, ``analyte``, ``well``, ``row``, ``col``,
        ``role`` (``blank``/``standard``/``control``/``sample``/``unused``),
        ``replicate_group``, ``participant_id``, ``time``, ``nominal_conc`` (pg/mL),
        ``dilution``, ``od_450``, ``od_ref``, ``od`` (reference-corrected),
        ``od_corrected`` (blank-corrected), ``backcalc_conc`` (pg/mL, inverse of the
        plate's curve × dilution; NaN for blanks, unused and flagged wells; *not*
        censored - use ``concentrations`` for reportable values), ``flag`` (read flag
        ``saturated``/``not_determined``/``missing``/``masked``/``ref_*``, curve flag
        ``below_curve``/``above_curve``, or ``excluded`` for the wells of a standard level
        left out of the final fit; ``''`` when fine), ``source`` (file and cell).
    standards
        Recovery table, one row per plate × standard level
        (:func:`trialflow.elisa.qc.evaluate_standards`).
    controls
        One row per plate × control group (:func:`trialflow.elisa.qc.evaluate_controls`).
    plate_qc
        One row per plate: ``plate_id``, ``analyte``, ``unit``, ``kit_lot``, ``model``,
        ``weighting``, ``a``, ``b``, ``c``, ``d``, ``g`` (NaN for 4PL), ``r2``,
        ``n_standards`` (levels), ``n_standards_pass``, ``controls_pass`` (bool),
        ``lloq``, ``uloq`` (in-well pg/mL), ``verdict`` (``pass``/``fail``), ``reasons``
        (``'; '``-joined failed criteria, ``''`` on pass), ``blank_od``, ``n_controls``,
        ``n_controls_pass``, ``export_file``, ``export_format`` (the layout that read it, e.g.
        ``softmax-plate-text``), ``export_plate`` (for a file holding several plates, the plate's
        position in the file and its name there, e.g. ``2 Plate1``; empty for a file of one plate),
        ``wells`` (96 or 384), ``read`` (the read's label in the file),
        ``primary_nm`` and ``reference_nm`` (the wavelengths read; ``reference_nm`` missing when
        none).
    concentrations
        One row per participant × time × analyte: ``participant_id``, ``time``,
        ``analyte``, ``concentration`` (pg/mL, mean of the replicate back-calculated
        concentrations × dilution; NaN when censored, saturated, undetermined or the
        plate failed), ``n_replicates``, ``sd``, ``cv_pct``, ``flag`` (``''`` when usable,
        else ``high_cv``, ``< LLOQ``, ``> ULOQ``, ``saturated``, ``not_determined``,
        ``plate_failed``), ``plate_id``, ``wells`` (e.g. ``'A3;A4'``), ``dilution``.
    curves
        Fitted curve points for plotting: ``plate_id``, ``analyte``, ``conc``, ``od_fit``
        (200 log-spaced points from half the lowest to twice the highest standard).
    """

    wells: pd.DataFrame
    standards: pd.DataFrame
    controls: pd.DataFrame
    plate_qc: pd.DataFrame
    concentrations: pd.DataFrame
    curves: pd.DataFrame
    fits: dict[str, CurveFit] = field(default_factory=dict, repr=False)


def _back_calculate(
    w: pd.DataFrame, fit: CurveFit, quant: np.ndarray, flag: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """In-well concentrations for the ``quant`` wells and flags with curve flags added."""
    flag = flag.copy()
    conc_in = np.full(len(w), np.nan)
    if fit.converged and quant.any():
        y = w.loc[quant, "od_corrected"].to_numpy(dtype=float)
        x = fit.inverse(y)
        conc_in[quant] = x
        beyond = quant.copy()
        beyond[quant] = ~np.isfinite(x)
        if beyond.any():
            yb = w.loc[beyond, "od_corrected"].to_numpy(dtype=float)
            a, d = fit.params["a"], fit.params["d"]
            low_side = (yb <= a) if a < d else (yb >= a)
            flag[beyond] = np.where(low_side, "below_curve", "above_curve")
    return conc_in, flag


def _merge_map(raw: pd.DataFrame, plate_map: pd.DataFrame) -> pd.DataFrame:
    """The export's wells, in its order, with their map's columns (a well the map leaves out has
    role ``unused``): a left join on ``well``, by position (``merge`` cost ~5 ms a plate)."""
    position = pd.Index(plate_map["well"]).get_indexer(raw["well"])  # wells are unique in both; -1: not mapped
    w = raw.copy()
    w.attrs = {}
    for col in plate_map.columns.drop(["well", "map_line"], errors="ignore"):
        w[col] = plate_map[col].array.take(position, allow_fill=True)
    w["role"] = w["role"].fillna("unused")
    for col in ("replicate_group", "participant_id", "time"):
        w[col] = w[col].fillna("").astype(str)
    w["nominal_conc"] = w["nominal_conc"].astype(float)
    w["dilution"] = w["dilution"].astype(float)
    return w


def quantify_plate(
    raw: pd.DataFrame,
    plate_map: pd.DataFrame,
    *,
    plate_id: str,
    analyte: str,
    kit_lot: str = "",
    rules: AcceptanceRules | None = None,
    model: str = "4PL",
    weighting: str = "1/y^2",
) -> PlateResult:
    """Fit, back-calculate and QC one plate.

    Parameters
    ----------
    raw
        Per-well export as returned by :func:`~trialflow.elisa.readers.read_plate_export`.
    plate_map
        Plate map as returned by :func:`~trialflow.elisa.plate_map.read_plate_map`.
    plate_id, analyte, kit_lot
        Plate metadata (from the manifest).
    rules
        Acceptance rules (default :class:`AcceptanceRules()`).
    model, weighting
        Curve model and weighting (see :func:`~trialflow.elisa.curve.fit_curve`).

    Returns
    -------
    PlateResult
        ``wells``, ``standards``, ``controls``, ``samples`` tables and the ``plate_qc``
        row (dict) with the columns documented in :class:`QuantResult`, plus the
        ``fit`` and ``blank_od``.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {weighting!r}")
    plate = _plate_wells(raw, plate_map, plate_id, analyte)
    first_fit = fit_curve(*plate.standards(), model=model, weighting=weighting)
    return _quantify_wells(plate, raw, first_fit, kit_lot, rules or AcceptanceRules(), model, weighting)


@dataclass
class _PlateWells:
    """A plate's wells joined to its map and blank-corrected (see :func:`_plate_wells`)."""

    w: pd.DataFrame
    plate_id: str
    analyte: str
    flag: np.ndarray  # the read flags ('' when usable)
    blanks: np.ndarray  # usable blank wells
    blank_od: float

    @property
    def is_std(self) -> np.ndarray:
        return (self.w["role"] == "standard").to_numpy()

    def standards(self, excluded: set[str] = frozenset()) -> tuple[np.ndarray, np.ndarray]:
        """Nominal concentrations and blank-corrected ODs of the usable standard wells, without
        the levels (replicate groups) in ``excluded``: what the curve is fitted to."""
        use = self.is_std & (self.flag == "") & ~self.w["replicate_group"].isin(excluded).to_numpy()
        return (
            self.w.loc[use, "nominal_conc"].to_numpy(dtype=float),
            self.w.loc[use, "od_corrected"].to_numpy(dtype=float),
        )


def _plate_wells(raw: pd.DataFrame, plate_map: pd.DataFrame, plate_id: str, analyte: str) -> _PlateWells:
    """The first half of :func:`quantify_plate`: the export's wells with their map, blank-corrected.
    :func:`quantify_batch` prepares every plate of a batch so that their first curves are fitted
    together (:func:`~trialflow.elisa.curve.fit_curves`)."""
    w = _merge_map(raw, plate_map)
    w.insert(0, "plate_id", plate_id)
    w.insert(1, "analyte", analyte)
    flag = w["flag"].to_numpy(dtype=object).copy()
    blanks = (w["role"] == "blank").to_numpy() & (flag == "")
    blank_od = float(np.mean(w.loc[blanks, "od"].to_numpy())) if blanks.any() else math.nan
    w["od_corrected"] = w["od"] - blank_od if math.isfinite(blank_od) else math.nan
    return _PlateWells(w, plate_id, analyte, flag, blanks, blank_od)


def _quantify_wells(
    plate: _PlateWells,
    raw: pd.DataFrame,
    first_fit: CurveFit,
    kit_lot: str,
    rules: AcceptanceRules,
    model: str,
    weighting: str,
) -> PlateResult:
    """The second half of :func:`quantify_plate`, from the curve fitted to all usable standards."""
    w, flag, blanks, blank_od = plate.w, plate.flag, plate.blanks, plate.blank_od
    plate_id, analyte = plate.plate_id, plate.analyte
    ok = flag == ""
    is_std = plate.is_std
    quant = w["role"].isin(["standard", "control", "sample"]).to_numpy() & ok
    n_levels = w.loc[is_std, "replicate_group"].nunique()
    max_excluded = n_levels - math.ceil(rules.min_standards_pass_fraction * n_levels - 1e-9)

    def evaluate(excl: set[str], fit: CurveFit) -> tuple[CurveFit, pd.DataFrame, np.ndarray, np.ndarray]:
        conc_in, new_flag = _back_calculate(w, fit, quant, flag)
        new_flag[is_std & ok & w["replicate_group"].isin(excl).to_numpy()] = "excluded"
        tmp = w.assign(
            backcalc_conc=conc_in * w["dilution"].to_numpy(dtype=float),
            flag=pd.array(new_flag.astype(str), dtype="str"),
        )
        standards = evaluate_standards(tmp, rules, excl)
        if not fit.converged:
            standards["passed"] = False
        return fit, standards, conc_in, new_flag

    def refit(excl: set[str]) -> tuple[CurveFit, pd.DataFrame, np.ndarray, np.ndarray]:
        return evaluate(excl, fit_curve(*plate.standards(excl), model=model, weighting=weighting))

    def rank(standards: pd.DataFrame) -> tuple[int, float]:
        dev = (standards.loc[~standards["excluded"], "recovery_pct"] - 100.0).abs()
        return (-int(standards["passed"].sum()), float(dev.fillna(np.inf).max()))

    excluded: set[str] = set()
    fit, standards, conc_in, new_flag = evaluate(excluded, first_fit)
    # ICH M10: drop failing standard levels and refit, one level at a time; the level
    # whose removal leaves the most passing levels (then the smallest worst deviation)
    # goes first.  Only levels that fail are candidates.
    while rules.refit_without_failed_standards and fit.converged and len(excluded) < max_excluded:
        failing = standards.loc[~standards["passed"] & ~standards["excluded"], "replicate_group"]
        if failing.empty:
            break
        trials = [(g, refit(excluded | {str(g)})) for g in failing]
        trials = [t for t in trials if t[1][0].converged]
        if not trials:
            break
        g, best = min(trials, key=lambda t: rank(t[1][1]))
        excluded.add(str(g))
        fit, standards, conc_in, new_flag = best
    w["backcalc_conc"] = conc_in * w["dilution"].to_numpy(dtype=float)
    w["flag"] = pd.array(new_flag.astype(str), dtype="str")
    w = w[WELL_COLUMNS]

    lloq, uloq = quantitation_limits(standards)
    controls = evaluate_controls(w, rules, lloq, uloq)
    verdict, reasons = plate_verdict(
        blank_ok=bool(blanks.any()),
        fit=fit,
        standards=standards,
        controls=controls,
        rules=rules,
    )
    samples = summarise_samples(w, rules, lloq, uloq, verdict == "pass")

    x_std = w.loc[w["role"] == "standard", "nominal_conc"]
    curves = curve_points(fit, float(x_std.min()) / 2, float(x_std.max()) * 2)
    curves.insert(0, "plate_id", plate_id)
    curves.insert(1, "analyte", analyte)

    p = fit.params
    qc_row = {
        "plate_id": plate_id,
        "analyte": analyte,
        "kit_lot": kit_lot,
        "model": model,
        "weighting": weighting,
        "a": p["a"],
        "b": p["b"],
        "c": p["c"],
        "d": p["d"],
        "g": p.get("g", math.nan),
        "r2": fit.r2,
        "n_standards": len(standards),
        "n_standards_pass": int(standards["passed"].sum()),
        "controls_pass": bool(controls["passed"].all()) and (len(controls) > 0 or not rules.require_controls),
        "lloq": lloq,
        "uloq": uloq,
        "verdict": verdict,
        "reasons": "; ".join(reasons),
        "blank_od": blank_od,
        "n_controls": len(controls),
        "n_controls_pass": int(controls["passed"].sum()),
        "export_file": "",
        "unit": "",
        "export_format": raw.attrs.get("format", ""),
        "export_plate": (
            f"{raw.attrs['plate']} {raw.attrs['plate_name']}".strip() if raw.attrs.get("plates_in_file", 1) > 1 else ""
        ),
        "wells": int(raw.attrs.get("wells", len(raw))),
        "read": raw.attrs.get("read", ""),
        "primary_nm": raw.attrs.get("primary_nm"),
        "reference_nm": raw.attrs.get("reference_nm"),
    }
    return PlateResult(w, standards, controls, qc_row, samples, curves, fit, blank_od)


def _pick_results(
    samples: pd.DataFrame, manifest: pd.DataFrame, manifest_path: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """One row per participant × time × analyte (see module docstring), and an error for each
    result whose measurements tie (usable on several plates at the same smallest dilution): such a
    result is left out, not picked by manifest order."""
    if samples.empty:
        return samples, []
    order = dict(zip(manifest["plate_id"], range(len(manifest)), strict=True))
    lines = dict(zip(manifest["plate_id"], manifest["manifest_line"], strict=True))
    s = samples.copy()
    s["_usable"] = s["flag"] == ""
    s["_dil"] = s["dilution"].where(s["_usable"], 0.0)
    s["_order"] = s["plate_id"].map(order)
    s = s.sort_values(["_usable", "_dil", "_order"], ascending=[False, True, True], kind="stable")
    key = ["participant_id", "time", "analyte"]
    usable = s[s["_usable"]]
    best_dil = usable.groupby(key)["dilution"].transform("min")
    clash = usable[usable["dilution"] == best_dil]
    dup = clash[clash.duplicated(key, keep=False)]
    problems = [
        plate_problem(
            manifest_path,
            int(lines[r.plate_id]),
            "plate_id",
            r.plate_id,
            f"participant {r.participant_id!r} time {r.time!r} {r.analyte}: usable "
            f"results on several plates at dilution {r.dilution:g} (wells {r.wells}); "
            "remove the run that is not reportable from the manifest",
        )
        for r in dup.itertuples()
    ]
    if problems:
        tied = pd.MultiIndex.from_frame(dup[key].drop_duplicates())
        s = s[~pd.MultiIndex.from_frame(s[key]).isin(tied)]
    s = s.drop_duplicates(key, keep="first")
    return s.drop(columns=["_usable", "_dil", "_order"]), problems


def quantify_plates(
    manifest_path: str | Path,
    rules: AcceptanceRules | None = None,
    model: str = "4PL",
    weighting: str = "1/y^2",
    reads: dict[str, dict] | None = None,
) -> QuantResult:
    """Quantify all plates listed in a manifest.

    Parameters
    ----------
    manifest_path
        ``plates.csv`` with ``plate_id, analyte, kit_lot, export_file, map_file``.
    rules
        Acceptance rules (default :class:`AcceptanceRules()`).
    model
        ``'4PL'`` (default) or ``'5PL'``.
    weighting
        ``'none'``, ``'1/y'`` or ``'1/y^2'`` (default).
    reads
        Analyte -> the reads to take (``elisa.reads``: ``wavelength_nm``, ``reference_nm``,
        ``read``), as :func:`quantify_batch`.

    Returns
    -------
    QuantResult
        ``wells``, ``standards``, ``controls``, ``plate_qc``, ``concentrations`` and
        ``curves`` DataFrames (columns listed in :class:`QuantResult`), and ``fits``
        (plate_id → :class:`~trialflow.elisa.curve.CurveFit`).

    Raises
    ------
    PlateMapError
        Manifest or plate-map problems (all maps are validated before any fitting), or a
        sample with two equally reportable results.
    PlateFormatError
        An export cannot be parsed.
    """
    manifest = read_manifest(manifest_path)
    tables, fits, problems = quantify_batch(manifest, rules, model=model, weighting=weighting, reads=reads)
    raise_errors(problems)
    result = assemble_plates(tables, manifest, str(manifest_path))
    result.fits = fits
    return result


def empty_tables() -> dict[str, pd.DataFrame]:
    """The :data:`BATCH_TABLES` of no plate, with their columns (a run whose every plate is left out)."""
    wells = pd.DataFrame({c: pd.Series(dtype=object) for c in WELL_COLUMNS})
    return {
        "wells": wells,
        "standards": evaluate_standards(wells, AcceptanceRules()),
        "controls": evaluate_controls(wells, AcceptanceRules(), math.nan, math.nan),
        "plate_qc": pd.DataFrame({c: pd.Series(dtype=object) for c in PLATE_QC_COLUMNS}),
        "samples": pd.DataFrame({c: pd.Series(dtype=object) for c in SAMPLE_COLUMNS}),
        "curves": pd.DataFrame({c: pd.Series(dtype=object) for c in ("plate_id", "analyte", "conc", "od_fit")}),
    }


def raise_errors(problems: list[Problem]) -> None:
    """Raise the errors among ``problems``: :class:`PlateFormatError` when the first is an export's,
    else :class:`PlateMapError` with every error."""
    errors = [p for p in problems if p.severity == "error"]
    if not errors:
        return
    first = errors[0]
    if first.rule not in (PLATE_INPUT, STANDARDS_PLAUSIBLE):
        raise PlateFormatError(
            first.file, first.message, line=first.line, column=first.column, value=first.value, rule=first.rule,
            more=errors[1:],
        )  # fmt: skip
    raise PlateMapError(errors)


BATCH_TABLES = ["wells", "standards", "controls", "plate_qc", "samples", "curves"]
# The batch tables whose rows belong to one plate each and are final per batch: putting batches
# together only orders them by the manifest (samples are resolved across plates instead).
PLATE_TABLES = ["wells", "standards", "controls", "plate_qc", "curves"]


def quantify_batch(
    manifest: pd.DataFrame,
    rules: AcceptanceRules | None = None,
    model: str = "4PL",
    weighting: str = "1/y^2",
    *,
    expected_standards: dict[str, list[float]] | None = None,
    reads: dict[str, dict] | None = None,
) -> tuple[dict[str, pd.DataFrame], dict[str, CurveFit], list[Problem]]:
    """Quantify the plates of a (validated) manifest or of a batch of its rows.

    Plates are independent of each other, so a large trial is quantified in batches
    (:data:`BATCH_TABLES` per batch) and put together by :func:`assemble_plates`. A plate whose
    map or export breaks a rule is left out and its problems returned: one run names the
    problems of every plate.

    Parameters
    ----------
    manifest : validated manifest rows (:func:`~trialflow.elisa.plate_map.check_manifest_rows`).
    rules, model, weighting : as :func:`quantify_plate`.
    expected_standards : analyte -> [low, high], the plausible range of its standards' nominal
        concentrations (:func:`~trialflow.elisa.plate_map.check_standard_range`).
    reads : analyte -> the ``elisa.reads`` config (``wavelength_nm``, ``reference_nm``, ``read``);
        a manifest row's cells override it (:func:`read_choice`). None: 450 nm, and the
        references the manifest names.

    Returns
    -------
    tuple
        Tables ``wells``, ``standards``, ``controls``, ``plate_qc``, ``samples`` (one row
        per sample replicate group, before re-assays are resolved) and ``curves``, in
        manifest order (no tables when no plate could be quantified); plate_id ->
        :class:`~trialflow.elisa.curve.CurveFit`; and the problems (file paths as in the
        manifest's ``map_path`` / ``export_path``): errors of the plates left out, warnings
        of the samples with fewer readable wells than planned (:func:`replicate_shortfalls`).
    """
    rules = rules or AcceptanceRules()
    maps: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for r in manifest.itertuples():
        try:
            plate_map = read_plate_map(r.map_path, min_standard_levels=rules.min_standard_levels, contract=False)
        except PlateMapError as exc:
            problems.extend(exc.problems)
            continue
        implausible = check_standard_range(plate_map, r.map_path, r.analyte, expected_standards)
        problems.extend(implausible)
        if not implausible:
            maps[r.plate_id] = plate_map
    if maps:
        _check_map_contract(maps)

    # Every plate is read and prepared first, so that the first curves of all of them are fitted
    # together (fit_curves: the same fits in ~1/5 of the time); each plate's problems keep their place.
    prepared = []
    plate_problems: list[list[Problem]] = []
    for r in manifest.itertuples():
        if r.plate_id not in maps:
            continue
        plate_problems.append([])
        try:
            raw = read_plate_export(r.export_path, choice=read_choice(r, reads))
        except PlateFormatError as exc:
            plate_problems[-1].extend(exc.problems)
            continue
        outside = maps[r.plate_id][~maps[r.plate_id]["well"].isin(raw["well"])]
        if not outside.empty:
            plate_problems[-1].extend(_wells_outside(r, outside, len(raw)))
            continue
        prepared.append((r, raw, _plate_wells(raw, maps[r.plate_id], r.plate_id, r.analyte), plate_problems[-1]))
    first_fits = fit_curves([plate.standards() for _, _, plate, _ in prepared], model=model, weighting=weighting)
    results: list[PlateResult] = []
    for (r, raw, plate, found), first_fit in zip(prepared, first_fits, strict=True):
        res = _quantify_wells(plate, raw, first_fit, r.kit_lot, rules, model, weighting)
        res.plate_qc["export_file"] = r.export_file
        res.plate_qc["unit"] = r.unit
        found.extend(replicate_shortfalls(res.wells, maps[r.plate_id], r.export_path, r.map_file))
        results.append(res)
    problems.extend(p for found in plate_problems for p in found)
    if not results:
        return {}, {}, problems
    plate_qc = pd.DataFrame([x.plate_qc for x in results], columns=PLATE_QC_COLUMNS).astype(
        {
            "n_standards": "int64",
            "n_standards_pass": "int64",
            "controls_pass": bool,
            "n_controls": "int64",
            "n_controls_pass": "int64",
            "wells": "int64",
            "primary_nm": "int64",
            "reference_nm": "Int64",
        }
    )
    tables = {"plate_qc": plate_qc} | {
        name: pd.concat([getattr(x, name) for x in results], ignore_index=True)
        for name in ("wells", "standards", "controls", "samples", "curves")
    }
    return tables, {x.plate_qc["plate_id"]: x.fit for x in results}, problems


def read_choice(row, reads: dict[str, dict] | None) -> ReadChoice:
    """The reads of one manifest row's export: the row's ``wavelength_nm``, ``reference_nm``,
    ``read`` and ``plate`` cells where not empty, else the analyte's ``elisa.reads`` config.
    Without a config (``reads`` None: the Python API) the primary read is at 450 nm, as in
    :func:`~trialflow.elisa.readers.read_plate_export`."""
    config = {"wavelength_nm": 450} if reads is None else reads.get(row.analyte, {})

    def cell(name: str) -> str:
        return str(getattr(row, name, "") or "").strip()

    wavelength = cell("wavelength_nm") or config.get("wavelength_nm")
    reference = cell("reference_nm") or config.get("reference_nm")
    return ReadChoice(
        wavelength_nm=int(wavelength) if wavelength else None,
        reference_nm=reference if reference == NO_REFERENCE else (int(reference) if reference else None),
        read=cell("read") or config.get("read"),
        plate=cell("plate") or None,
        keys=f"elisa.reads.{row.analyte}.<key>, or the manifest's <key> column for plate {row.plate_id}",
    )


def _wells_outside(row, outside: pd.DataFrame, wells: int) -> list[Problem]:
    """Plate-map wells that the export's plate does not have (a 384-well map for a 96-well export)."""
    return [
        Problem(
            row.map_path,
            str(int(m.map_line)),
            "well",
            m.well,
            PLATE_INPUT,
            "error",
            f"well {m.well} is not on plate {row.plate_id}'s export, a {wells}-well plate ({row.export_file})",
        )
        for m in outside.itertuples()
    ]


UNREADABLE = ("not_determined", "missing", "masked", "ref_not_determined", "ref_missing", "ref_saturated")


def replicate_shortfalls(
    wells: pd.DataFrame, plate_map: pd.DataFrame, export_file: str, map_file: str
) -> list[Problem]:
    """Warnings for the replicate groups of one plate with fewer usable wells than the map plans.

    A sample planned in duplicate with one readable well (the other ``?????``, masked, ...) is
    reported from that one well, whose CV cannot be computed; the warning says so rather than
    letting the mean of one well pass as a checked duplicate (a saturated sample well counts as
    read: the sample is flagged ``saturated``). A standard level, a control or the blanks with a
    well that cannot be used (unreadable or saturated) are fitted, checked or averaged from the
    others: the warning names the well, which otherwise shows only in the wells table.
    """
    lines = dict(zip(plate_map["well"], plate_map["map_line"], strict=True))
    found = []
    used = wells[wells["role"].isin(["sample", "standard", "control", "blank"])]
    # A well that cannot be used (a saturated sample well counts as read); only the groups with one
    # can fall short: found in one pass, not per group.
    unusable = used["flag"].isin(UNREADABLE) | ((used["role"] != "sample") & (used["flag"] == "saturated"))
    if not unusable.any():
        return []  # most plates: every planned well read
    groups = pd.MultiIndex.from_frame(used[["role", "replicate_group"]])
    used = used[groups.isin(groups[unusable.to_numpy()].unique())]
    for (role, group), sub in used.groupby(["role", "replicate_group"], sort=False):
        lost = sub[unusable[sub.index]]
        planned, readable = len(sub), len(sub) - len(lost)
        if planned < 2 or lost.empty or (role == "sample" and readable == 0):
            continue  # a single planned well; or a sample with no readable well, flagged not_determined
        first = lost.iloc[0]
        where = (
            f"map {map_file} line(s) {', '.join(str(lines[w]) for w in sub['well'])}) is planned in {planned} wells "
            f"({';'.join(sub['well'])}) but {readable} can be used "
            f"({', '.join(f'{w}: {f}' for w, f in zip(lost['well'], lost['flag'], strict=True))})"
        )
        if role == "sample":
            cv = "its CV is not computable" if readable == 1 else f"its CV comes from {readable} wells"
            what = f"sample {first['participant_id']} at {first['time']} (replicate group {group}, {where}"
            tail = f"its result is the mean of {readable} well(s) and {cv}"
        elif role == "blank":
            what, tail = f"the blank wells ({where}", f"the blank OD is the mean of {readable} well(s)"
        else:
            what = f"{role} {group} ({where}"
            tail = f"its level is fitted and checked from {readable} well(s)" if readable else "it cannot be checked"
        found.append(
            Problem(
                export_file,
                place(str(first["source"])),
                str(first["well"]),
                str(first["flag"]),
                REPLICATES,
                "warning",
                f"{what}: {tail}",
            )
        )
    return found


def _check_map_contract(maps: dict[str, pd.DataFrame]) -> None:
    """The :class:`~trialflow.schemas.PlateMap` contract for all maps of a batch in one pass
    (per map it cost more than the curve fit): wells unique within each plate."""
    schema = PlateMap.to_schema().add_columns({"plate_id": pa.Column(str)})
    schema.unique = ["plate_id", "well"]
    stacked = pd.concat([m.assign(plate_id=pid) for pid, m in maps.items()], ignore_index=True)
    schema.validate(stacked, lazy=True)


def assemble_plates(tables: dict[str, pd.DataFrame], manifest: pd.DataFrame, manifest_path: str) -> QuantResult:
    """Put batches together in manifest order and resolve re-assays (see module docstring).

    ``tables`` holds the :data:`BATCH_TABLES` of every batch, already concatenated.
    """
    t = {name: in_manifest_order(tables[name], manifest) for name in PLATE_TABLES}
    concentrations, problems = resolve_reassays(tables["samples"], manifest, manifest_path)
    raise_errors(problems)
    return QuantResult(**t, concentrations=concentrations)


def in_manifest_order(table: pd.DataFrame, manifest: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``table`` by the manifest row of their plate (a plate's rows keep their order)."""
    order = dict(zip(manifest["plate_id"], range(len(manifest)), strict=True))
    return table.sort_values("plate_id", key=lambda c: c.map(order), kind="stable").reset_index(drop=True)


def resolve_reassays(
    samples: pd.DataFrame, manifest: pd.DataFrame, manifest_path: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """The concentrations table: one result per participant × time × analyte from the samples of
    all plates (see module docstring), sorted by analyte, participant and time; and an error
    (rule ``plate_input``, at the manifest line of each plate) for every result left out because
    it is usable on several plates at the same smallest dilution."""
    conc, problems = _pick_results(in_manifest_order(samples, manifest), manifest, manifest_path)
    conc = conc.sort_values(["analyte", "participant_id", "time"], kind="stable")
    return conc[CONC_COLUMNS].reset_index(drop=True), problems
