"""Acceptance rules for ELISA plates and their evaluation.

All rules are parameters of :class:`AcceptanceRules`; the defaults are:

Standards
    A standard *level* (one ``replicate_group`` of standard wells) passes when the mean
    back-calculated concentration of its usable wells is within 80-120 % of nominal
    (75-125 % for the lowest nominal level of the plate map).  A level with no usable
    well, or with a well whose response lies beyond a curve asymptote, fails.
    As ICH M10 asks, a failing level is excluded from the curve and the curve refitted
    (``refit_without_failed_standards``), one level at a time: among the failing
    levels, the one whose removal leaves the most passing levels (ties: the smallest
    worst deviation from 100 %) is dropped and the curve refitted; this repeats while
    levels fail, but never drops more levels than the 75 % rule can tolerate (7
    levels: at most 1).  Passing levels are never dropped.  Excluded levels
    count as failed; their wells get flag ``excluded`` and their recovery against the
    final curve is still reported.
Quantitation range
    LLOQ / ULOQ = the lowest / highest nominal concentration among the *passing*
    standard levels (in-well concentrations; for a sample at dilution ``D`` the
    reportable range is ``D * LLOQ`` … ``D * ULOQ``).
Plate
    Passes when all of: usable blank wells exist; the curve fit converged; at least
    75 % of the standard levels pass; every control passes (mean back-calculated
    concentration × dilution within ±20 % of nominal, not censored); at least one
    control exists (``require_controls``); R² >= ``min_r2`` if set.  A failed plate's
    samples get flag ``plate_failed`` and no concentration.
Samples (one result per replicate group), first matching flag wins
    ``plate_failed``   the plate failed;
    ``saturated``      a replicate well was read as saturated (OVER, ****, …);
    ``not_determined`` no replicate has a usable OD;
    ``< LLOQ``         mean in-well concentration below LLOQ (a replicate whose
                       response is below the lower asymptote counts as 0);
    ``> ULOQ``         mean in-well concentration above ULOQ (a replicate above the
                       upper asymptote counts as infinite);
    ``high_cv``        CV of the replicate back-calculated concentrations above 15 %,
                       or above 20 % when the sample is *near the LLOQ*, defined as
                       ``LLOQ <= mean in-well concentration <= 1.5 * LLOQ``; also a
                       group in range whose replicates straddle an asymptote;
    ``''``             usable.
    Censored (``< LLOQ``, ``> ULOQ``), saturated, undetermined and failed results have
    a NaN concentration: nothing is extrapolated.  ``high_cv`` results keep their
    concentration; the pipeline analyses them and lists them as flagged
    (``pipeline.USABLE_ELISA_FLAGS``, docs/elisa.md).  CV needs >= 2 usable replicates; a
    single usable replicate is reported without a CV check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..outputs import typed_frame
from .curve import CurveFit

__all__ = [
    "AcceptanceRules",
    "SAMPLE_FLAGS",
    "USABLE_FLAG",
    "evaluate_controls",
    "evaluate_standards",
    "group_result",
    "plate_verdict",
    "quantitation_limits",
    "summarise_samples",
]

USABLE_FLAG = ""
SAMPLE_FLAGS = (
    "",
    "high_cv",
    "< LLOQ",
    "> ULOQ",
    "saturated",
    "not_determined",
    "plate_failed",
)
_CURVE_FLAGS = ("below_curve", "above_curve")
# One sample result (replicate group) of a plate; also the columns of the reported concentrations.
SAMPLE_DTYPES = {
    "participant_id": "str",
    "time": "str",
    "analyte": "str",
    "concentration": float,
    "n_replicates": "int64",
    "sd": float,
    "cv_pct": float,
    "flag": "str",
    "plate_id": "str",
    "wells": "str",
    "dilution": float,
}
SAMPLE_COLUMNS = list(SAMPLE_DTYPES)


@dataclass(frozen=True)
class AcceptanceRules:
    """Configurable acceptance criteria (defaults in the module docstring).

    Attributes
    ----------
    standard_recovery
        (low, high) % recovery for a standard level to pass.
    lowest_standard_recovery
        (low, high) % recovery for the lowest nominal standard level.
    min_standards_pass_fraction
        Minimum fraction of standard levels that must pass for the plate to pass.
    control_tolerance_pct
        Maximum |recovery - 100| in % for a control.
    require_controls
        If True a plate without control wells fails.
    max_cv_pct
        Maximum replicate CV (%) for a sample result.
    max_cv_pct_near_lloq
        Maximum replicate CV (%) for a sample near the LLOQ.
    near_lloq_factor
        A sample is near the LLOQ when ``LLOQ <= mean in-well conc <= factor * LLOQ``.
    min_standard_levels
        Minimum number of standard levels in a plate map.
    min_r2
        Optional minimum R² of the standard curve (None: not checked).
    refit_without_failed_standards
        Exclude failing standard levels from the curve and refit (ICH M10), see the
        module docstring.
    """

    standard_recovery: tuple[float, float] = (80.0, 120.0)
    lowest_standard_recovery: tuple[float, float] = (75.0, 125.0)
    min_standards_pass_fraction: float = 0.75
    control_tolerance_pct: float = 20.0
    require_controls: bool = True
    max_cv_pct: float = 15.0
    max_cv_pct_near_lloq: float = 20.0
    near_lloq_factor: float = 1.5
    min_standard_levels: int = 5
    min_r2: float | None = None
    refit_without_failed_standards: bool = True

    @classmethod
    def from_config(cls, rules: dict) -> AcceptanceRules:
        """The rules of the config's ``elisa.acceptance`` block (its YAML lists become tuples)."""
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in rules.items()})

    def __post_init__(self) -> None:
        for name in ("standard_recovery", "lowest_standard_recovery"):
            lo, hi = getattr(self, name)
            if not (0 <= lo < 100 < hi):
                raise ValueError(f"{name} must be (low, high) with low < 100 < high")
        if not 0 < self.min_standards_pass_fraction <= 1:
            raise ValueError("min_standards_pass_fraction must be in (0, 1]")
        if self.control_tolerance_pct <= 0 or self.max_cv_pct <= 0:
            raise ValueError("tolerances must be > 0")
        if self.max_cv_pct_near_lloq <= 0 or self.near_lloq_factor < 1:
            raise ValueError("max_cv_pct_near_lloq must be > 0 and near_lloq_factor >= 1")
        if self.min_standard_levels < 4:
            raise ValueError("min_standard_levels must be >= 4 (a 4PL has 4 parameters)")


def evaluate_standards(
    wells: pd.DataFrame, rules: AcceptanceRules, excluded: frozenset[str] | set[str] = frozenset()
) -> pd.DataFrame:
    """Recovery of each standard level.

    Parameters
    ----------
    wells
        Per-well table of one plate (as in ``QuantResult.wells``): needs ``plate_id``,
        ``analyte``, ``role``, ``replicate_group``, ``nominal_conc``, ``od_corrected``,
        ``backcalc_conc``, ``flag``, ``well``.  Wells flagged ``excluded`` count as used
        for the recovery (which is then reported) but their level does not pass.
    rules
        Acceptance rules.
    excluded
        Replicate groups of standard levels left out of the final curve fit.

    Returns
    -------
    pandas.DataFrame
        One row per standard level, highest concentration first, with columns
        ``plate_id``, ``analyte``, ``replicate_group``, ``nominal_conc`` (pg/mL),
        ``is_lowest_level`` (bool), ``n_wells`` (int), ``n_used`` (int, wells with a
        usable OD), ``od_corrected_mean`` (float), ``backcalc_conc`` (float, mean
        back-calculated concentration of the used wells, pg/mL), ``recovery_pct``
        (float), ``recovery_low``, ``recovery_high`` (float, limits applied),
        ``excluded`` (bool, left out of the final fit), ``passed`` (bool: not excluded and
        recovery within the limits), ``wells`` (str, e.g. ``'A1;A2'``).
    """
    std = wells[wells["role"] == "standard"]
    dtypes = {
        "plate_id": "str",
        "analyte": "str",
        "replicate_group": "str",
        "nominal_conc": float,
        "is_lowest_level": bool,
        "n_wells": "int64",
        "n_used": "int64",
        "od_corrected_mean": float,
        "backcalc_conc": float,
        "recovery_pct": float,
        "recovery_low": float,
        "recovery_high": float,
        "excluded": bool,
        "passed": bool,
        "wells": "str",
    }
    if std.empty:
        return typed_frame([], dtypes)
    lowest = std["nominal_conc"].min()
    flags, wells_col = std["flag"].tolist(), std["well"].tolist()
    backcalc, od = std["backcalc_conc"].to_numpy(dtype=float), std["od_corrected"].to_numpy(dtype=float)
    first = std[["plate_id", "analyte", "nominal_conc"]].to_numpy()
    rows = []
    for group, idx in _replicate_groups(std):
        plate, analyte, nominal = first[idx[0]]
        nominal = float(nominal)
        used = [i for i in idx if flags[i] in ("", "excluded")]
        beyond = any(flags[i] in _CURVE_FLAGS for i in idx)
        is_lowest = bool(nominal == lowest)
        is_excluded = group in excluded
        lo, hi = rules.lowest_standard_recovery if is_lowest else rules.standard_recovery
        if used and not beyond:
            conc = float(np.mean(backcalc[used]))
            od_mean = float(np.mean(od[used]))
            recovery = conc / nominal * 100.0
            passed = bool(lo <= recovery <= hi) and not is_excluded
        else:
            conc = od_mean = recovery = math.nan
            passed = False
        rows.append(
            (
                plate,
                analyte,
                group,
                nominal,
                is_lowest,
                len(idx),
                len(used),
                od_mean,
                conc,
                recovery,
                float(lo),
                float(hi),
                is_excluded,
                passed,
                ";".join(wells_col[i] for i in idx),
            )
        )
    out = typed_frame(rows, dtypes)
    return out.sort_values("nominal_conc", ascending=False, kind="stable").reset_index(drop=True)


def quantitation_limits(standards: pd.DataFrame) -> tuple[float, float]:
    """LLOQ and ULOQ from a standards table.

    Returns
    -------
    tuple of float
        ``(lloq, uloq)``: lowest and highest nominal concentration of the passing
        standard levels; ``(nan, nan)`` when none passes.
    """
    ok = standards.loc[standards["passed"].astype(bool), "nominal_conc"]
    if ok.empty:
        return (math.nan, math.nan)
    return (float(ok.min()), float(ok.max()))


def group_result(
    sub: pd.DataFrame,
    rules: AcceptanceRules,
    lloq: float,
    uloq: float,
    *,
    check_cv: bool = True,
) -> dict:
    """Summarise one replicate group (sample or control) of a plate.

    Parameters
    ----------
    sub
        The group's wells (columns ``flag``, ``backcalc_conc``, ``dilution``, ``well``).
    rules
        Acceptance rules.
    lloq, uloq
        In-well quantitation limits of the plate.
    check_cv
        Apply the CV rule (samples: yes).

    Returns
    -------
    dict
        ``concentration`` (mean of replicate back-calculated concentrations × dilution,
        NaN unless flag is ``''`` or a computable ``high_cv``), ``n_replicates`` (wells
        with a usable OD, including responses beyond an asymptote), ``sd``, ``cv_pct``
        (NaN when not reported), ``flag`` (see module docstring, without
        ``plate_failed``), ``wells`` (``'A3;A4'``), ``dilution``.
    """
    return _replicate_result(
        sub["flag"].tolist(),
        sub["backcalc_conc"].to_numpy(dtype=float),
        float(sub["dilution"].iloc[0]),
        sub["well"].tolist(),
        rules,
        lloq,
        uloq,
        check_cv=check_cv,
    )


def _group_results(
    wells: pd.DataFrame, rules: AcceptanceRules, lloq: float, uloq: float, *, check_cv: bool
) -> list[tuple[str, int, dict]]:
    """:func:`group_result` of every replicate group of ``wells``, in order of first appearance:
    ``(group, row position of its first well, result)``."""
    flags, wells_col = wells["flag"].tolist(), wells["well"].tolist()
    backcalc, dilution = wells["backcalc_conc"].to_numpy(dtype=float), wells["dilution"].to_numpy(dtype=float)
    return [
        (
            group,
            idx[0],
            _replicate_result(
                [flags[i] for i in idx],
                backcalc[idx],
                float(dilution[idx[0]]),
                [wells_col[i] for i in idx],
                rules,
                lloq,
                uloq,
                check_cv=check_cv,
            ),
        )
        for group, idx in _replicate_groups(wells)
    ]


def _replicate_groups(wells: pd.DataFrame) -> list[tuple[str, np.ndarray]]:
    """The replicate groups of ``wells`` in order of first appearance, with their row positions:
    a plate has ~40 groups, and pandas per group was most of a plate's time."""
    return sorted(wells.groupby("replicate_group", sort=False).indices.items(), key=lambda item: item[1][0])


def _replicate_result(
    flags: list[str],
    backcalc: np.ndarray,
    dilution: float,
    wells: list[str],
    rules: AcceptanceRules,
    lloq: float,
    uloq: float,
    *,
    check_cv: bool,
) -> dict:
    """:func:`group_result` on plain arrays (see :func:`_replicate_groups`)."""
    out = {
        "concentration": math.nan,
        "n_replicates": 0,
        "sd": math.nan,
        "cv_pct": math.nan,
        "flag": "",
        "wells": ";".join(wells),
        "dilution": dilution,
    }
    keep = [i for i, f in enumerate(flags) if f in ("",) + _CURVE_FLAGS]
    out["n_replicates"] = len(keep)
    if "saturated" in flags:
        out["flag"] = "saturated"
        return out
    if not keep:
        out["flag"] = "not_determined"
        return out
    kept_flags = [flags[i] for i in keep]
    values = backcalc[keep]
    conc_in = values / dilution
    conc_in = np.where([f == "below_curve" for f in kept_flags], 0.0, conc_in)
    conc_in = np.where([f == "above_curve" for f in kept_flags], np.inf, conc_in)
    mean_in = float(np.mean(conc_in))
    if not math.isfinite(lloq) or not math.isfinite(uloq):
        out["flag"] = "not_determined"
        return out
    if mean_in < lloq:
        out["flag"] = "< LLOQ"
        return out
    if mean_in > uloq:
        out["flag"] = "> ULOQ"
        return out
    if any(f in _CURVE_FLAGS for f in kept_flags):
        out["flag"] = "high_cv"  # replicates straddle an asymptote: no mean can be formed
        return out
    mean = float(np.mean(values))
    out["concentration"] = mean
    if len(values) >= 2:
        sd = float(np.std(values, ddof=1))
        out["sd"] = sd
        out["cv_pct"] = sd / mean * 100.0 if mean > 0 else math.nan
        if check_cv:
            near = mean_in <= rules.near_lloq_factor * lloq
            limit = rules.max_cv_pct_near_lloq if near else rules.max_cv_pct
            if not (out["cv_pct"] <= limit):
                out["flag"] = "high_cv"
    return out


def evaluate_controls(wells: pd.DataFrame, rules: AcceptanceRules, lloq: float, uloq: float) -> pd.DataFrame:
    """Recovery of each control group.

    Returns
    -------
    pandas.DataFrame
        One row per control group with columns ``plate_id``, ``analyte``,
        ``replicate_group``, ``nominal_conc`` (pg/mL), ``dilution``, ``n_replicates``,
        ``concentration`` (mean back-calculated × dilution, NaN if censored),
        ``cv_pct``, ``recovery_pct``, ``flag`` (as for samples, without the CV rule),
        ``passed`` (bool: not censored and recovery within ±tolerance), ``wells``.
    """
    ctl = wells[wells["role"] == "control"]
    first = ctl[["plate_id", "analyte", "nominal_conc"]].to_numpy()
    rows = []
    for group, i0, res in _group_results(ctl, rules, lloq, uloq, check_cv=False):
        plate, analyte, nominal = first[i0]
        nominal = float(nominal)
        rec = res["concentration"] / nominal * 100.0
        passed = bool(res["flag"] == "" and abs(rec - 100.0) <= rules.control_tolerance_pct)
        rows.append(
            (
                plate,
                analyte,
                group,
                nominal,
                res["dilution"],
                res["n_replicates"],
                res["concentration"],
                res["cv_pct"],
                rec,
                res["flag"],
                passed,
                res["wells"],
            )
        )
    return typed_frame(
        rows,
        {
            "plate_id": "str",
            "analyte": "str",
            "replicate_group": "str",
            "nominal_conc": float,
            "dilution": float,
            "n_replicates": "int64",
            "concentration": float,
            "cv_pct": float,
            "recovery_pct": float,
            "flag": "str",
            "passed": bool,
            "wells": "str",
        },
    )


def plate_verdict(
    *,
    blank_ok: bool,
    fit: CurveFit,
    standards: pd.DataFrame,
    controls: pd.DataFrame,
    rules: AcceptanceRules,
) -> tuple[str, list[str]]:
    """Pass/fail decision for one plate.

    Returns
    -------
    tuple
        ``('pass' | 'fail', reasons)`` where ``reasons`` lists every failed criterion
        (empty when the plate passes).
    """
    reasons: list[str] = []
    if not blank_ok:
        reasons.append("no usable blank wells")
    if not fit.converged:
        reasons.append(f"standard curve fit failed: {fit.message}")
    elif rules.min_r2 is not None and not (fit.r2 >= rules.min_r2):
        reasons.append(f"curve R² {fit.r2:.4f} < {rules.min_r2}")
    n = len(standards)
    k = int(standards["passed"].sum()) if n else 0
    need = math.ceil(rules.min_standards_pass_fraction * n - 1e-9)
    if n == 0 or k < need:
        pct = 100.0 * k / n if n else 0.0
        failed = ", ".join(
            f"{r.replicate_group} ({r.recovery_pct:.1f}%)"
            if math.isfinite(r.recovery_pct)
            else f"{r.replicate_group} (no value)"
            for r in standards.itertuples()
            if not r.passed
        )
        reasons.append(
            f"{k} of {n} standard levels pass ({pct:.0f}% < "
            f"{100 * rules.min_standards_pass_fraction:.0f}%); failing: {failed}"
        )
    if controls.empty:
        if rules.require_controls:
            reasons.append("no control wells")
    else:
        for r in controls.itertuples():
            if r.passed:
                continue
            if r.flag:
                reasons.append(f"control {r.replicate_group}: {r.flag}")
            else:
                reasons.append(
                    f"control {r.replicate_group}: recovery {r.recovery_pct:.1f}% outside "
                    f"100 ± {rules.control_tolerance_pct:g}%"
                )
    return ("pass" if not reasons else "fail", reasons)


def summarise_samples(
    wells: pd.DataFrame,
    rules: AcceptanceRules,
    lloq: float,
    uloq: float,
    plate_passed: bool,
) -> pd.DataFrame:
    """One result per sample replicate group of a plate.

    Returns
    -------
    pandas.DataFrame
        Columns ``participant_id``, ``time``, ``analyte``, ``concentration`` (pg/mL),
        ``n_replicates``, ``sd``, ``cv_pct``, ``flag``, ``plate_id``, ``wells``,
        ``dilution`` (see :func:`group_result`; failed plates give ``plate_failed``
        with NaN concentration, sd and CV).
    """
    smp = wells[wells["role"] == "sample"]
    rows = []
    first = smp[["participant_id", "time", "analyte", "plate_id"]].to_numpy()
    for _, i0, res in _group_results(smp, rules, lloq, uloq, check_cv=True):
        if not plate_passed:
            res.update(concentration=math.nan, sd=math.nan, cv_pct=math.nan, flag="plate_failed")
        pid, time, analyte, plate = first[i0]
        rows.append(
            (
                pid,
                time,
                analyte,
                res["concentration"],
                res["n_replicates"],
                res["sd"],
                res["cv_pct"],
                res["flag"],
                plate,
                res["wells"],
                res["dilution"],
            )
        )
    return typed_frame(rows, SAMPLE_DTYPES)
