"""Demo ELISA plates whose quantification reproduces given target concentrations.

:func:`write_demo_plates` writes plate-reader exports, plate maps and a ``plates.csv``
manifest such that :func:`~trialflow.elisa.quantify.quantify_plates` (with the same
model, weighting and rules) returns the target concentrations.

How the targets are reproduced
------------------------------
ODs are printed with 3 decimals, as readers do, so a single well can only take
back-calculated concentrations on a grid (about 0.3-1 pg/mL apart around 100-500
pg/mL); no choice of rounded ODs hits an arbitrary target exactly.  The generator
therefore works with the quantities the pipeline will actually compute:

1. Per plate, standards and blanks are simulated from a kit-realistic 4PL with small
   noise, rounded to 0.001 OD, and passed through the pipeline's own
   :func:`~trialflow.elisa.quantify.quantify_plate`.  The resulting *fitted* curve and
   blank OD are exactly those that ``quantify_plates`` will use later, because the
   curve depends only on the standard and blank wells (samples do not enter the fit).
2. For each sample (duplicate wells) every pair of 3-decimal ODs near the target
   response is enumerated: the first replicate on a window of grid steps, the second
   the grid values bracketing the OD that would make the replicate mean equal the
   target.  Each pair's mean back-calculated concentration is computed with the plate's
   curve exactly as the pipeline does; pairs with CV > 5 % are dropped.  The error of a
   pair is typically 0.001-0.1 pg/mL.
3. Within each *balance group* (analyte × time × the ``balance_by`` columns, e.g.
   ``arm``) one pair per sample is chosen - exhaustively for groups of up to 3,
   otherwise by a local search over single and pairwise changes - so that the group's
   mean and SD (ddof=1) of the computed concentrations equal the targets' mean and SD.
   Every sample with a value takes part: usable ones, ``high_cv`` ones and re-assays;
   censored and saturated samples (no value) do not.  With 8 or more samples per group
   this reaches about 1e-5 pg/mL (15 per group: ~5e-6), far inside the 0.005 that
   rounding to 2 decimals allows; groups of 3-4 may only reach 1e-3 to 1e-2.
   Individual samples then differ from their targets by up to about 0.3 pg/mL.  Without
   balance columns every sample gets its closest pair (typically within 0.01, at worst
   about 0.1 pg/mL) and group means/SDs are only as accurate as that, which does *not*
   guarantee 2-decimal agreement: pass the arm column.
4. After writing, the files are quantified with ``quantify_plates`` and compared with
   the plan: every plate must pass; every reported concentration must equal the plan
   within 1e-6 pg/mL with the planned flag, plate and dilution; and every *measurement*
   (each sample on each plate, re-created from ``wells`` and ``plate_qc`` with
   :func:`~trialflow.elisa.qc.summarise_samples`, so also a censored first run that a
   re-assay superseded) must have its planned flag and value.  Otherwise
   ``RuntimeError``.

Perturbations ``(participant_id, time, analyte, kind)`` put a known QC finding on the
named sample:

``high_cv``
    The two replicates lie about ±22 % around the target (CV 22-45 %, always above the
    CV limit, near the LLOQ too) → flag ``high_cv``.  ``quantify_plates`` keeps the mean
    of the replicates as the concentration (high-CV results are analysed and shown
    flagged), so the sample *takes part in the balancing* like any other: its pair of ODs
    is chosen among high-CV pairs so that its group's mean and SD still equal the
    targets'.
``above_uloq_reassay``
    The sample is measured twice.  On its participant's plate, at the analyte's usual
    dilution, its ODs correspond to its target, which lies above the top standard →
    ``> ULOQ`` (censored, NaN, never extrapolated).  It is re-assayed at a higher
    dilution (the smallest of 2, 4, 5, 10, 20, 50, 100 above the first run's that puts
    it inside [2 × lowest, ½ × top standard], e.g. 4 after 1) on a later plate
    ``<analyte>_R01`` (listed after all first-run plates), where it is usable and
    balanced.  ``quantify_plates`` reports the usable result with the smallest
    dilution, i.e. the re-assay; the censored first run remains in
    ``QuantResult.wells`` (its wells, plate and dilution) and in the per-plate sample
    results (see :func:`trialflow.elisa.qc.summarise_samples`).  The perturbed targets
    must be higher than every other target of the analyte: a realistic ``> ULOQ``
    needs ``target / dilution > top standard`` while all other targets stay inside the
    range.  If the kit's standard range cannot do that at any dilution (e.g. GDNF
    targets 67-203 pg/mL against a 1000 pg/mL top standard), the kit's top standard is
    set to the roundest value between the other targets' maximum and the perturbed
    targets' minimum (per dilution), with the same 7-level 2-fold series, curve shape
    (EC50 scaled) and controls scaled alike, and lot ``<lot>-HS`` (``-XR`` if larger).
    A target that is not the analyte's highest raises ``ValueError``.
``below_lloq`` (or ``'< LLOQ'``)
    In-well ≈ 0.45 × lowest standard → ``< LLOQ``.
``above_uloq`` (or ``'> ULOQ'``)
    In-well ≈ 1.4 × top standard → ``> ULOQ`` (no re-assay).
``saturated``
    One replicate reads ``OVER`` → ``saturated``.

Censored and saturated samples are left out of the balancing (they have no value).  A
perturbed sample that is not in ``target`` is added to its participant's plate (or a
new one) and is not balanced: ``high_cv`` at the geometric middle of the standard range,
``above_uloq_reassay`` at 1.4 × top standard (re-assayed at that value).
"""

from __future__ import annotations

import io
import math
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from trialflow.demo.kits import KITS, KitSpec
from trialflow.demo.numbers import number_text
from trialflow.elisa.plate_map import read_plate_map
from trialflow.elisa.qc import AcceptanceRules, summarise_samples
from trialflow.elisa.quantify import quantify_plate, quantify_plates
from trialflow.elisa.readers import COLS, ROWS, WELLS

__all__ = ["PERTURBATIONS", "write_demo_plates"]

# kind -> flag of the perturbed measurement (for above_uloq_reassay: of the first run;
# the reported result is the usable re-assay)
PERTURBATIONS = {
    "high_cv": "high_cv",
    "above_uloq_reassay": "> ULOQ",
    "below_lloq": "< LLOQ",
    "< LLOQ": "< LLOQ",
    "above_uloq": "> ULOQ",
    "> ULOQ": "> ULOQ",
    "saturated": "saturated",
}
_KIND = {"< LLOQ": "below_lloq", "> ULOQ": "above_uloq"}
# internal kind of a re-assay measurement (the first run keeps kind above_uloq_reassay)
_REASSAY = "reassay"
_FLAG = {**PERTURBATIONS, None: "", _REASSAY: ""}
_VALUED = (None, "high_cv", _REASSAY)  # measurements with a concentration: balanced
_NO_VALUE = ("below_lloq", "above_uloq", "saturated", "above_uloq_reassay")


_DILUTIONS = (1.0, 2.0, 4.0, 5.0, 10.0, 20.0, 50.0, 100.0)
_FORMATS = ("grid", "gen5", "xlsx", "softmax", "magellan")
_STD_WELLS = [(f"{r}1", f"{r}2") for r in ROWS[:7]]
_BLANK_WELLS = ("H1", "H2")
_CTRL_WELLS = (("A3", "A4"), ("B3", "B4"))
_SLOTS = [(f"{r}3", f"{r}4") for r in ROWS[2:]] + [(f"{r}{c}", f"{r}{c + 1}") for c in (5, 7, 9, 11) for r in ROWS]
_MAX_CV = 5.0
_N_CANDIDATES = 60


def _kit_for(analyte: str, targets: np.ndarray) -> KitSpec:
    if analyte in KITS:
        return KITS[analyte]
    hi = float(np.nanmax(targets)) if targets.size else 500.0
    top = 1000.0
    while top < 2 * hi:
        top *= 2
    return KitSpec(
        analyte,
        top,
        a=0.004,
        b=1.05,
        c=top * 0.6,
        d=3.2,
        controls=(top * 0.075, top * 0.375),
        lot=f"{analyte[:6].upper()}-2409B",
    )


def _scaled_kit(kit: KitSpec, top: float) -> KitSpec:
    """The same kit design with top standard ``top`` (EC50 and controls scaled alike)."""
    f = top / kit.top_standard
    return KitSpec(
        kit.analyte,
        top,
        a=kit.a,
        b=kit.b,
        c=kit.c * f,
        d=kit.d,
        controls=(kit.controls[0] * f, kit.controls[1] * f),
        lot=f"{kit.lot}-{'HS' if f < 1 else 'XR'}",
        n_levels=kit.n_levels,
        fold=kit.fold,
    )


def _round_between(lo: float, hi: float) -> float | None:
    """The roundest number ``t`` with ``lo < t < hi`` (None if there is none, up to 1e-3)."""
    if not 0 <= lo < hi:
        return None
    e = math.floor(math.log10(hi))
    while e >= -3:
        for m in (10.0, 5.0, 2.5, 2.0, 1.0):
            step = m * 10.0**e
            t = (math.floor(lo / step) + 1) * step
            if t < hi:
                return float(round(t, 6))
        e -= 1
    return None


def _reassay_setup(kit: KitSpec, plain: np.ndarray, high: np.ndarray) -> tuple[KitSpec, float]:
    """Kit and first-run dilution that put ``high`` above the top standard, ``plain`` inside.

    The kit as it is at the smallest dilution that works; otherwise, at the smallest
    dilution, the kit with its top standard set to the roundest value in between.
    """
    h_lo = float(high.min())
    p_lo = float(plain.min()) if plain.size else math.nan
    p_hi = float(plain.max()) if plain.size else 0.0
    if p_hi >= h_lo:
        raise ValueError(
            f"{kit.analyte}: a sample to re-assay after '> ULOQ' (above_uloq_reassay) must have a "
            f"higher target than every other {kit.analyte} target ({h_lo:g} <= {p_hi:g} pg/mL); "
            "perturb the highest one"
        )

    def fits(k: KitSpec, dil: float, lo_f: float) -> bool:
        return p_hi / dil <= k.top_standard < h_lo / dil and (not plain.size or p_lo / dil >= lo_f * min(k.levels))

    for lo_f in (2.0, 1.2):
        for dil in _DILUTIONS:
            if fits(kit, dil, lo_f):
                return kit, dil
    for dil in _DILUTIONS:
        top = _round_between(p_hi / dil, h_lo / dil)
        if top is not None and fits(_scaled_kit(kit, top), dil, 1.2):
            return _scaled_kit(kit, top), dil
    raise ValueError(
        f"{kit.analyte}: no dilution in {_DILUTIONS} and standard range puts {h_lo:g} pg/mL above the "
        f"top standard and the other targets ({p_lo:g}-{p_hi:g} pg/mL) inside the range"
    )


def _reassay_dilution(kit: KitSpec, first: float, target: float) -> float:
    """Smallest dilution above ``first`` that brings ``target`` well inside the range."""
    lo_std, hi_std = min(kit.levels), max(kit.levels)
    for lo_f, hi_f in ((2.0, 0.5), (1.2, 0.8)):
        for dil in _DILUTIONS:
            if dil > first and lo_std * lo_f <= target / dil <= hi_std * hi_f:
                return dil
    raise ValueError(f"{kit.analyte}: no dilution in {_DILUTIONS} above {first:g} re-assays {target:g} pg/mL in range")


def _choose_dilution(kit: KitSpec, targets: np.ndarray) -> float:
    lo_std, hi_std = min(kit.levels), max(kit.levels)
    if targets.size == 0:
        return 1.0
    t_lo, t_hi = float(targets.min()), float(targets.max())
    for lo_f, hi_f in ((2.0, 0.5), (1.2, 0.8)):
        for dil in _DILUTIONS:
            if t_hi / dil <= hi_std * hi_f and t_lo / dil >= lo_std * lo_f:
                return dil
    raise ValueError(
        f"{kit.analyte}: targets {t_lo:g}-{t_hi:g} pg/mL do not fit the kit range "
        f"{lo_std:g}-{hi_std:g} pg/mL at any dilution in {_DILUTIONS}"
    )


@dataclass
class _Sample:
    participant_id: str
    time: str
    analyte: str
    target: float
    kind: str | None
    extra: tuple = ()
    in_target: bool = True
    plate_id: str = ""
    wells: tuple[str, str] = ("", "")
    dilution: float = 1.0
    candidates: list = field(default_factory=list)  # (mean, k1, k2) sorted by |error|
    expected: float = math.nan


@dataclass
class _Plate:
    plate_id: str
    analyte: str
    kit: KitSpec
    fmt: str
    has_ref: bool
    samples: list[_Sample]
    k450: dict = field(default_factory=dict)  # well -> milli-OD int or sentinel str
    kref: dict = field(default_factory=dict)  # well -> milli-OD int
    fit: object = None
    blank_od: float = math.nan


def _raw_frame(p: _Plate) -> pd.DataFrame:
    """The frame read_plate_export would return for the plate's current ODs."""
    recs = []
    for r in ROWS:
        for c in COLS:
            w = f"{r}{c}"
            k = p.k450.get(w)
            ref = p.kref[w] / 1000 if p.has_ref else math.nan
            if isinstance(k, (int, np.integer)):
                od450, flag = int(k) / 1000, ""
            elif k == "OVER":
                od450, flag = math.nan, "saturated"
            else:
                od450, flag = math.nan, "not_determined"
            recs.append((w, r, c, od450, ref, flag, f"demo:{w}"))
    df = pd.DataFrame.from_records(recs, columns=["well", "row", "col", "od_450", "od_ref", "flag", "source"])
    od = df["od_450"] - df["od_ref"] if p.has_ref else df["od_450"].copy()
    df.insert(5, "od", od.astype(float))
    return df


def _write_map(p: _Plate, path: Path) -> None:
    lines = ["well,role,participant_id,time,nominal_conc,dilution,replicate_group"]
    for i, level in enumerate(p.kit.levels):
        for w in _STD_WELLS[i]:
            lines.append(f"{w},standard,,,{number_text(level)},1,STD{i + 1}")
    for w in _BLANK_WELLS:
        lines.append(f"{w},blank,,,,1,BLANK")
    for name, nominal, wells in zip(("CTRL_LOW", "CTRL_HIGH"), p.kit.controls, _CTRL_WELLS, strict=True):
        for w in wells:
            lines.append(f"{w},control,,,{number_text(nominal)},1,{name}")
    for s in p.samples:
        for w in s.wells:
            lines.append(
                f"{w},sample,{s.participant_id},{s.time},,{number_text(s.dilution)},{s.participant_id}_{s.time}"
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _od_text(k) -> str:
    return f"{int(k) / 1000:.3f}" if isinstance(k, (int, np.integer)) else str(k)


def _grid_lines(values: dict, label: str | None) -> list[list[str]]:
    rows = [[""] + [str(c) for c in COLS]]
    for r in ROWS:
        cells = [_od_text(values[f"{r}{c}"]) for c in COLS]
        rows.append([r] + cells + ([label] if label else []))
    return rows


def _gen5_header(p: _Plate, date: str) -> list[list[str]]:
    wl = "450, 570" if p.has_ref else "450"
    return [
        [],
        [],
        ["Software Version", "3.11.19"],
        [],
        [],
        [],
        ["Experiment File Path:", f"C:\\Users\\lab\\Documents\\Experiments\\{p.plate_id}.xpt"],
        ["Protocol File Path:", "C:\\Users\\lab\\Documents\\Protocols\\ELISA_450_570.prt"],
        [],
        [],
        [],
        ["Plate Number", "Plate 1"],
        ["Date", date],
        ["Time", "10:22:31 AM"],
        ["Reader Type:", "Synergy H1"],
        ["Reader Serial Number:", "1804091"],
        ["Reading Type", "Reader"],
        [],
        ["Procedure Details"],
        [],
        ["Plate Type", "96 WELL PLATE (Use plate lid)"],
        ["Eject plate on completion", ""],
        ["Read", "Absorbance Endpoint"],
        ["", "Full Plate"],
        ["", f"Wavelengths:  {wl}"],
        ["", "Read Speed: Normal,  Delay: 100 msec,  Measurements/Data Point: 8"],
        [],
    ]


def _write_export(p: _Plate, path: Path, date: str, sentinel: str) -> None:
    k450 = {w: (sentinel if v == "OVER" else v) for w, v in p.k450.items()}
    if p.fmt == "grid":
        rows = _grid_lines(k450, None)
        if p.has_ref:
            rows += [[], ["Wavelength: 570"]] + _grid_lines(p.kref, None)
        path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    elif p.fmt == "gen5":
        rows = _gen5_header(p, date) + [["450"]] + _grid_lines(k450, "450")
        if p.has_ref:
            rows += [[], ["570"]] + _grid_lines(p.kref, "570")
        path.write_text("\n".join("\t".join(r) for r in rows) + "\n", encoding="utf-8")
    elif p.fmt == "softmax":  # SoftMax Pro 7 plate-format text: UTF-16 with BOM, the reads side by side
        waves = [450, 570] if p.has_ref else [450]
        grids = [k450, p.kref] if p.has_ref else [k450]
        settings = ["Plate:", p.plate_id, "1.3", "PlateFormat", "Endpoint", "Absorbance", "Raw", "FALSE", "1"]
        settings += [
            "",
            "",
            "",
            "",
            "",
            str(len(waves)),
            "".join(f"{w} " for w in waves),
            "1",
            "12",
            "96",
            "1",
            "8",
            "",
            "",
        ]
        lines = ["##BLOCKS= 1", "\t".join(settings)]
        lines.append("\t".join(["", "Temperature(¡C)"] + ([str(c) for c in COLS] + [""]) * len(grids)))
        for i, r in enumerate(ROWS):
            cells = ["", "22.6" if i == 0 else ""]
            for g in grids:
                cells += [_od_text(g[f"{r}{c}"]) for c in COLS] + [""]
            lines.append("\t".join(cells))
        lines += ["", "~End", f"Original Filename: {p.plate_id}; Date Last Saved: {date} 10:41:07 AM"]
        path.write_bytes(b"\xff\xfe" + ("\r\n".join(lines) + "\r\n").encode("utf-16-le"))
    elif p.fmt == "magellan":  # Tecan Magellan XLSX well list (column by column), metadata at the foot
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "Magellan Sheet 1"
        ws.append(["Raw data", "Well positions"])
        for c in COLS:
            for r in ROWS:
                v = k450[f"{r}{c}"]
                ws.append([int(v) / 1000 if isinstance(v, (int, np.integer)) else v, f"{r}{c}"])
        for line in (
            f"Date of measurement: {date}/Time of measurement: 10:22:31",
            "ELISA_450.mth",
            "450nm",
            "SUNRISE",
            "Measurement mode: Absorbance",
            "Measurement wavelength: 450 nm",
            "Number of flashes: 10",
            "Unit: OD",
            "Meas. temperature: Raw data: 22.6 °C",
        ):
            ws.append([line])
        _save_reproducibly(wb, path, date)
    else:  # xlsx, Gen5 'Results' matrix layout (reads on continuation rows)
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "Sheet1"
        for row in _gen5_header(p, date):
            ws.append(row or [None])
        ws.append(["Results"])
        ws.append([None] + list(COLS))

        def cell(v):
            return int(v) / 1000 if isinstance(v, (int, np.integer)) else v

        for r in ROWS:
            ws.append([r] + [cell(k450[f"{r}{c}"]) for c in COLS] + ["450"])
            if p.has_ref:
                ws.append([None] + [cell(p.kref[f"{r}{c}"]) for c in COLS] + ["570"])
        _save_reproducibly(wb, path, date)


def _save_reproducibly(wb, path: Path, date: str) -> None:
    """Save a workbook with fixed timestamps, so equal content gives equal bytes.

    openpyxl stamps the document properties and every zip member with the current time;
    both are set to the plate's read date (``m/d/yyyy``) at 10:22:30.
    """
    month, day, year = (int(x) for x in date.split("/"))
    buf = io.BytesIO()
    wb.save(buf)
    stamp = f"{year:04d}-{month:02d}-{day:02d}T10:22:30Z".encode()
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
            member = zipfile.ZipInfo(info.filename, date_time=(year, month, day, 10, 22, 30))
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = info.external_attr
            zout.writestr(member, data)


def _placeholder(p: _Plate) -> None:
    for wells in list(_CTRL_WELLS) + [s.wells for s in p.samples]:
        for w in wells:
            p.k450[w] = "n.d."


def _simulate_plate(
    p: _Plate,
    rng: np.random.Generator,
    map_df: pd.DataFrame,
    rules: AcceptanceRules,
    model: str,
    weighting: str,
) -> None:
    kit = p.kit
    for _attempt in range(100):
        p.k450 = {w: "n.d." for w in WELLS}
        # optical background of each well (what a 570 nm reference read measures)
        kopt = {w: int(round(1000 * (0.041 + rng.normal(0, 0.002)))) for w in WELLS}
        p.kref = kopt if p.has_ref else dict.fromkeys(WELLS, 0)
        bg = 0.048 + rng.normal(0, 0.003)
        c_true = kit.c * (1 + rng.normal(0, 0.04))
        d_true = kit.d * (1 + rng.normal(0, 0.02))

        def f_true(x, c_true=c_true, d_true=d_true):
            return d_true + (kit.a - d_true) / (1 + (x / c_true) ** kit.b)

        for level, wells in zip(kit.levels, _STD_WELLS, strict=True):
            for w in wells:
                od = kopt[w] / 1000 + bg + f_true(level) * (1 + rng.normal(0, 0.015))
                p.k450[w] = int(round(1000 * od))
        for w in _BLANK_WELLS:
            p.k450[w] = int(round(1000 * (kopt[w] / 1000 + bg + rng.normal(0, 0.0015))))
        used = {w for ws in _STD_WELLS + list(_CTRL_WELLS) for w in ws} | set(_BLANK_WELLS)
        used |= {w for smp in p.samples for w in smp.wells}
        for w in WELLS:
            if w not in used:  # empty well: plate background only
                p.k450[w] = int(round(1000 * (kopt[w] / 1000 + 0.004 + rng.normal(0, 0.001))))
        _placeholder(p)
        res = quantify_plate(
            _raw_frame(p),
            map_df,
            plate_id=p.plate_id,
            analyte=p.analyte,
            kit_lot=kit.lot,
            rules=rules,
            model=model,
            weighting=weighting,
        )
        st = res.standards
        if res.fit.converged and bool(st["passed"].all()) and bool(((st["recovery_pct"] - 100).abs() <= 10).all()):
            p.fit, p.blank_od = res.fit, res.blank_od
            return
    raise RuntimeError(f"{p.plate_id}: could not simulate a passing standard curve")


def _conc(p: _Plate, k: np.ndarray, ref: np.ndarray, dilution: float) -> np.ndarray:
    """Back-calculated concentration × dilution, computed as the pipeline does."""
    od450 = np.asarray(k, dtype=np.int64) / 1000
    od = od450 - np.asarray(ref, dtype=np.int64) / 1000 if p.has_ref else od450
    return p.fit.inverse(od - p.blank_od) * dilution


def _k_for(p: _Plate, conc_in: float, ref: int) -> float:
    """Unrounded milli-OD at 450 nm giving in-well concentration ``conc_in``."""
    return 1000 * (float(p.fit.predict(conc_in)) + p.blank_od) + (ref if p.has_ref else 0)


def _controls(p: _Plate, rng: np.random.Generator) -> None:
    for nominal, wells in zip(p.kit.controls, _CTRL_WELLS, strict=True):
        for _ in range(100):
            ks = [int(round(_k_for(p, nominal * (1 + rng.normal(0, 0.03)), p.kref[w]))) for w in wells]
            c = _conc(p, np.array(ks), np.array([p.kref[w] for w in wells]), 1.0)
            if np.all(np.isfinite(c)) and abs(np.mean(c) / nominal - 1) <= 0.08:
                break
        for w, k in zip(wells, ks, strict=True):
            p.k450[w] = k


def _fixed_pair(p: _Plate, s: _Sample) -> tuple:
    """OD pair of a censored or saturated perturbation (no value, not balanced)."""
    w1, w2 = s.wells
    r1, r2 = p.kref[w1], p.kref[w2]
    lo_std, hi_std = min(p.kit.levels), max(p.kit.levels)
    if s.kind == "below_lloq":
        return int(round(_k_for(p, lo_std * 0.45 * 0.98, r1))), int(round(_k_for(p, lo_std * 0.45 * 1.02, r2)))
    if s.kind == "above_uloq":
        return int(round(_k_for(p, hi_std * 1.4 * 0.98, r1))), int(round(_k_for(p, hi_std * 1.4 * 1.02, r2)))
    if s.kind == "saturated":
        return "OVER", int(round(_k_for(p, hi_std * 1.6, r2)))
    # above_uloq_reassay, first run: the ODs of the true (target) concentration, which is
    # above the top standard; nudged up by 0.001 OD steps until the mean is surely > ULOQ
    u = s.target / s.dilution
    k1, k2 = int(round(_k_for(p, u * 0.99, r1))), int(round(_k_for(p, u * 1.01, r2)))
    for _ in range(2000):
        c = _conc(p, np.array([k1, k2]), np.array([r1, r2]), 1.0)
        c = np.where(np.isnan(c), np.inf, c)  # above the upper asymptote counts as infinite
        if float(np.mean(c)) > hi_std * (1 + 1e-9):
            return k1, k2
        k1, k2 = k1 + 1, k2 + 1
    raise RuntimeError(f"{s.participant_id} {s.time} {s.analyte}: no OD pair above the ULOQ")


def _candidates(p: _Plate, s: _Sample, rules: AcceptanceRules) -> None:
    """Candidate OD pairs ``(mean, k1, k2)`` of a sample, closest to its target first.

    Usable samples and re-assays: pairs with CV <= 5 %.  ``high_cv``: the first
    replicate about 22 % below the target, the second making up the mean, CV between the
    CV limit + 2 and 45 %.  Only pairs whose mean in-well concentration is inside the
    standard range (and whose replicates both have a value) are kept, so the pipeline
    reports each pair's mean with the planned flag.
    """
    if s.kind in _NO_VALUE:
        k1, k2 = _fixed_pair(p, s)
        s.candidates = [(math.nan, k1, k2)]
        return
    w1, w2 = s.wells
    r1, r2 = p.kref[w1], p.kref[w2]
    dil = s.dilution
    lo_std, hi_std = min(p.kit.levels), max(p.kit.levels)
    high_cv = s.kind == "high_cv"
    t = s.target
    u = t / dil
    u1 = u * (0.78 if high_cv else 1.0)
    k1c = _k_for(p, u1, r1)
    half = max(3, math.ceil(abs(_k_for(p, u1 * 1.04, r1) - k1c)))
    k1 = np.arange(int(round(k1c)) - half, int(round(k1c)) + half + 1)
    c1 = _conc(p, k1, np.full(k1.size, r1), dil)
    c2_need = 2 * t - c1
    ok = np.isfinite(c1) & (c2_need > 0)
    k1, c1, c2_need = k1[ok], c1[ok], c2_need[ok]
    k2c = np.array([_k_for(p, c / dil, r2) for c in c2_need])
    lo = np.floor(k2c).astype(np.int64)
    k1 = np.concatenate([k1, k1])
    c1 = np.concatenate([c1, c1])
    k2 = np.concatenate([lo, lo + 1])
    c2 = _conc(p, k2, np.full(k2.size, r2), dil)
    pair = np.column_stack([c1, c2])
    mean = pair.mean(axis=1)
    with np.errstate(invalid="ignore"):
        cv = pair.std(axis=1, ddof=1) / mean * 100
        mean_in = (pair / dil).mean(axis=1)
        good = np.isfinite(mean) & (mean_in >= lo_std * (1 + 1e-9)) & (mean_in <= hi_std * (1 - 1e-9))
        if high_cv:
            good &= (cv > max(rules.max_cv_pct, rules.max_cv_pct_near_lloq) + 2) & (cv <= 45)
        else:
            good &= cv <= _MAX_CV
    mean, k1, k2 = mean[good], k1[good], k2[good]
    _, first = np.unique(np.round(mean, 9), return_index=True)  # drop equal means
    mean, k1, k2 = mean[first], k1[first], k2[first]
    order = np.argsort(np.abs(mean - t), kind="stable")[:_N_CANDIDATES]
    s.candidates = [(float(mean[i]), int(k1[i]), int(k2[i])) for i in order]
    if not s.candidates:
        raise RuntimeError(f"no OD pair found for {s.participant_id} {s.time} {s.analyte}")


def _balance(samples: list[_Sample], rng: np.random.Generator) -> float:
    """Choose one candidate per sample so the group's mean and SD equal the targets'.

    Local search over single and pairwise candidate changes, using running sums of
    the deviations from the target mean; returns the final
    ``|mean - target mean| + |sd - target sd|``.
    """
    n = len(samples)
    t = np.array([s.target for s in samples])
    mt = float(t.mean())
    st = float(t.std(ddof=1)) if n > 1 else 0.0
    dev = [np.array([c[0] for c in s.candidates]) - mt for s in samples]

    def score(s1, s2):
        mean_err = np.abs(s1 / n)
        if n < 2:
            return mean_err
        var = (s2 - s1 * s1 / n) / (n - 1)
        return mean_err + np.abs(np.sqrt(np.maximum(var, 0.0)) - st)

    def search(choice: list[int]) -> float:
        v = np.array([dev[i][choice[i]] for i in range(n)])
        s1, s2 = float(v.sum()), float((v * v).sum())
        cur = float(score(s1, s2))
        for _ in range(200):
            improved = False
            for i in rng.permutation(n):
                b1, b2 = s1 - v[i], s2 - v[i] ** 2
                sc = score(b1 + dev[i], b2 + dev[i] ** 2)
                k = int(np.argmin(sc))
                if sc[k] < cur - 1e-13:
                    cur, choice[i], v[i] = float(sc[k]), k, dev[i][k]
                    s1, s2 = b1 + v[i], b2 + v[i] ** 2
                    improved = True
            if not improved and n > 1:
                for i in range(n):
                    for j in range(i + 1, n):
                        b1 = s1 - v[i] - v[j]
                        b2 = s2 - v[i] ** 2 - v[j] ** 2
                        sc = score(
                            b1 + dev[i][:, None] + dev[j][None, :],
                            b2 + (dev[i] ** 2)[:, None] + (dev[j] ** 2)[None, :],
                        )
                        ki, kj = np.unravel_index(int(np.argmin(sc)), sc.shape)
                        if sc[ki, kj] < cur - 1e-13:
                            cur = float(sc[ki, kj])
                            choice[i], choice[j] = int(ki), int(kj)
                            v[i], v[j] = dev[i][ki], dev[j][kj]
                            s1, s2 = float(v.sum()), float((v * v).sum())
                            improved = True
            if not improved or cur < 1e-10:
                break
        return cur

    best, best_choice = math.inf, [0] * n
    if n <= 3:  # small group: exhaustive over all candidate combinations
        grids = np.meshgrid(*dev, indexing="ij")
        s1 = sum(grids)
        s2 = sum(g * g for g in grids)
        sc = score(s1, s2)
        idx = np.unravel_index(int(np.argmin(sc)), sc.shape)
        best, best_choice = float(sc[idx]), [int(i) for i in idx]
    for restart in range(0 if n <= 3 else 10):
        choice = [0 if restart == 0 else int(rng.integers(min(5, len(d)))) for d in dev]
        cur = search(choice)
        if cur < best:
            best, best_choice = cur, list(choice)
        if best < 1e-10:
            break
    for smp, k in zip(samples, best_choice, strict=True):
        smp.candidates = [smp.candidates[k]]
    return best


def write_demo_plates(
    target: pd.DataFrame,
    out_dir: str | Path,
    seed: int,
    perturb: list[tuple[str, str, str, str]] | tuple = (),
    *,
    balance_by: list[str] | tuple[str, ...] | None = None,
    rules: AcceptanceRules | None = None,
    model: str = "4PL",
    weighting: str = "1/y^2",
    samples_per_plate: int = len(_SLOTS),
) -> None:
    """Write demo ELISA plates (exports, plate maps, manifest) reproducing targets.

    Parameters
    ----------
    target
        Columns ``participant_id``, ``time``, ``analyte``, ``concentration`` (pg/mL,
        > 0; rows with NaN are not assayed); one row per participant × time × analyte.
        Extra columns (e.g. ``arm``) may serve as ``balance_by``.
    out_dir
        Output folder; receives ``plates.csv``, ``maps/<plate_id>.csv`` and
        ``exports/<plate_id>.{csv,txt,xlsx}``.
    seed
        Random seed; the output is a deterministic function of the inputs.
    perturb
        ``(participant_id, time, analyte, kind)`` with kind ``high_cv`` (flagged,
        value kept and balanced), ``above_uloq_reassay`` (``> ULOQ`` on its plate,
        usable re-assay at a higher dilution on plate ``<analyte>_R01``; the target
        must be the analyte's highest), ``below_lloq`` (or ``'< LLOQ'``),
        ``above_uloq`` (or ``'> ULOQ'``) or ``saturated``; see the module docstring.
    balance_by
        Columns of ``target`` that, with analyte and time, define the groups whose mean
        and SD must be reproduced (default: all extra columns of ``target``, e.g.
        ``arm``).  Without any, groups are analyte × time and a warning is issued.
    rules, model, weighting
        What ``quantify_plates`` will be called with (defaults as there).
    samples_per_plate
        Maximum samples (duplicate pairs) per plate, at most 38.

    Returns
    -------
    None
        Files are written; ``quantify_plates(out_dir / 'plates.csv', rules, model,
        weighting).concentrations`` then has, per target row, the target concentration
        (balanced as described in the module docstring) with flag ``''`` (``high_cv``
        for that perturbation; a re-assayed sample: the re-assay's value, flag ``''``,
        its plate and dilution), and the censored/saturated rows flagged with NaN.

    Raises
    ------
    ValueError
        Bad target/perturb input, targets that no dilution fits into the kit range, or
        an ``above_uloq_reassay`` target that is not above all other targets of its
        analyte.
    RuntimeError
        The written files do not reproduce the plan (a bug guard).
    """
    rules = rules or AcceptanceRules()
    out = Path(out_dir)
    need = {"participant_id", "time", "analyte", "concentration"}
    missing = need - set(target.columns)
    if missing:
        raise ValueError(f"target lacks column(s): {', '.join(sorted(missing))}")
    if not 1 <= samples_per_plate <= len(_SLOTS):
        raise ValueError(f"samples_per_plate must be 1..{len(_SLOTS)}")
    extra = [c for c in target.columns if c not in need]
    balance_by = list(extra if balance_by is None else balance_by)
    for c in balance_by:
        if c not in target.columns:
            raise ValueError(f"balance_by column {c!r} not in target")
    tgt = target.copy()
    for c in ("participant_id", "time", "analyte"):
        tgt[c] = tgt[c].astype(str)
    tgt = tgt[tgt["concentration"].notna()]
    if (tgt["concentration"] <= 0).any() or not np.isfinite(tgt["concentration"]).all():
        raise ValueError("target concentrations must be finite and > 0")
    key = ["participant_id", "time", "analyte"]
    if tgt.duplicated(key).any():
        raise ValueError("target has duplicate participant_id × time × analyte rows")

    kinds: dict[tuple[str, str, str], str] = {}
    for item in perturb:
        pid, time, analyte, kind = (str(x) for x in item)
        if kind not in PERTURBATIONS:
            raise ValueError(f"unknown perturbation kind {kind!r}; use one of {sorted(set(PERTURBATIONS))}")
        kinds[(pid, time, analyte)] = _KIND.get(kind, kind)

    if not balance_by:
        warnings.warn(
            "write_demo_plates: no balance_by columns (e.g. 'arm'): every sample gets its "
            "closest OD pair, so group means/SDs are only accurate to the per-sample error "
            "(up to ~0.1 pg/mL)",
            stacklevel=2,
        )

    rng_master = np.random.default_rng(seed)
    plates: list[_Plate] = []
    all_samples: list[_Sample] = []
    reassays: dict[str, list[_Sample]] = {}
    analytes = list(dict.fromkeys(list(tgt["analyte"]) + [k[2] for k in kinds]))
    for analyte in analytes:
        sub = tgt[tgt["analyte"] == analyte]
        conc = sub["concentration"].to_numpy(dtype=float)
        kind_of = np.array(
            [kinds.get((p, t, analyte)) for p, t in zip(sub["participant_id"], sub["time"], strict=True)], dtype=object
        )
        kit = _kit_for(analyte, conc)
        plain = conc[[k in _VALUED for k in kind_of]]
        high = conc[kind_of == "above_uloq_reassay"]
        if high.size:
            kit, dil = _reassay_setup(kit, plain, high)
        else:
            dil = _choose_dilution(kit, plain)
        samples = [
            _Sample(
                r.participant_id,
                r.time,
                analyte,
                float(r.concentration),
                k,
                tuple(getattr(r, c) for c in balance_by),
                dilution=dil,
            )
            for r, k in zip(sub.itertuples(index=False), kind_of, strict=True)
        ]
        have = {(s.participant_id, s.time) for s in samples}
        mid = math.sqrt(min(kit.levels) * max(kit.levels)) * dil
        for (pid, time, an), kind in kinds.items():
            if an == analyte and (pid, time) not in have:
                t_new = max(kit.levels) * 1.4 * dil if kind == "above_uloq_reassay" else mid
                samples.append(_Sample(pid, time, analyte, t_new, kind, dilution=dil, in_target=False))
        reassays[analyte] = [
            _Sample(
                s.participant_id,
                s.time,
                analyte,
                s.target,
                _REASSAY,
                s.extra,
                in_target=s.in_target,
                dilution=_reassay_dilution(kit, dil, s.target),
            )
            for s in samples
            if s.kind == "above_uloq_reassay"
        ]
        participants = list(dict.fromkeys(s.participant_id for s in samples))
        n_plates = max(2 if len(analytes) > 1 else 3, math.ceil(len(samples) / samples_per_plate))
        while True:
            blocks = np.array_split(np.array(participants, dtype=object), n_plates)
            per = [[s for s in samples if s.participant_id in set(b)] for b in blocks]
            if all(len(x) <= samples_per_plate for x in per) or n_plates > len(samples):
                break
            n_plates += 1
        for pi, group in enumerate(per):
            if group:
                plates.append(_new_plate(f"{analyte}_P{pi + 1:02d}", analyte, kit, len(plates), group))
                all_samples.extend(group)
    # re-assay runs come after all first runs (later plates, later dates)
    for analyte, group in reassays.items():
        for j in range(0, len(group), samples_per_plate):
            chunk = group[j : j + samples_per_plate]
            kit = next(p.kit for p in plates if p.analyte == analyte)
            plates.append(_new_plate(f"{analyte}_R{j // samples_per_plate + 1:02d}", analyte, kit, len(plates), chunk))
            all_samples.extend(chunk)

    (out / "maps").mkdir(parents=True, exist_ok=True)
    (out / "exports").mkdir(parents=True, exist_ok=True)
    for i, p in enumerate(plates):
        map_path = out / "maps" / f"{p.plate_id}.csv"
        _write_map(p, map_path)
        map_df = read_plate_map(map_path, min_standard_levels=rules.min_standard_levels)
        rng = np.random.default_rng([seed, i])
        _simulate_plate(p, rng, map_df, rules, model, weighting)
        _controls(p, rng)
        for s in p.samples:
            _candidates(p, s, rules)

    groups: dict[tuple, list[_Sample]] = {}
    for s in all_samples:
        if s.kind in _VALUED and s.in_target:
            groups.setdefault((s.analyte, s.time) + s.extra, []).append(s)
    for g in groups.values():
        if balance_by:
            _balance(g, rng_master)
    for s in all_samples:  # unbalanced samples: the pair closest to the target
        s.candidates = s.candidates[:1]
        s.expected = s.candidates[0][0]

    sentinel = {"grid": "OVER", "gen5": "OVER", "xlsx": "OVRFLW", "softmax": "Range?", "magellan": "OVER"}
    manifest = ["plate_id,analyte,unit,kit_lot,export_file,map_file,reference_nm"]
    for i, p in enumerate(plates):
        for s in p.samples:
            _, k1, k2 = s.candidates[0]
            p.k450[s.wells[0]], p.k450[s.wells[1]] = k1, k2
        ext = {"grid": "csv", "gen5": "txt", "xlsx": "xlsx", "softmax": "txt", "magellan": "xlsx"}[p.fmt]
        export = out / "exports" / f"{p.plate_id}.{ext}"
        day = 3 + i
        _write_export(p, export, f"3/{day}/2025", sentinel[p.fmt])
        reference = "570" if p.has_ref else ""
        manifest.append(
            f"{p.plate_id},{p.analyte},pg/mL,{p.kit.lot},exports/{export.name},maps/{p.plate_id}.csv,{reference}"
        )
    (out / "plates.csv").write_text("\n".join(manifest) + "\n", encoding="utf-8")

    _verify(out, all_samples, rules, model, weighting)


def _new_plate(plate_id: str, analyte: str, kit: KitSpec, index: int, samples: list[_Sample]) -> _Plate:
    fmt = _FORMATS[index % len(_FORMATS)]
    # Magellan: one measurement at 450 nm (a 570 nm read would be a second measurement, another step)
    has_ref = fmt != "magellan" and not (fmt == "grid" and (index // len(_FORMATS)) % 2 == 1)
    for s, slot in zip(samples, _SLOTS, strict=False):
        s.wells = slot
        s.plate_id = plate_id
    return _Plate(plate_id, analyte, kit, fmt, has_ref, samples)


def _measurements(res, rules: AcceptanceRules) -> pd.DataFrame:
    """Every sample result of every plate, as ``quantify_plate`` computed it.

    Re-created from ``res.wells`` and ``res.plate_qc`` with
    :func:`~trialflow.elisa.qc.summarise_samples`; columns as ``res.concentrations``
    plus ``reported`` (True for the row ``res.concentrations`` holds; False for a
    measurement superseded by another plate's result).
    """
    qc = res.plate_qc.set_index("plate_id")
    parts = [
        summarise_samples(
            w, rules, float(qc.loc[pid, "lloq"]), float(qc.loc[pid, "uloq"]), qc.loc[pid, "verdict"] == "pass"
        )
        for pid, w in res.wells.groupby("plate_id", sort=False)
    ]
    m = pd.concat(parts, ignore_index=True)
    key = ["participant_id", "time", "analyte", "plate_id", "dilution"]
    chosen = set(res.concentrations[key].itertuples(index=False, name=None))
    m["reported"] = [k in chosen for k in m[key].itertuples(index=False, name=None)]
    return m


def _verify(out: Path, samples: list[_Sample], rules: AcceptanceRules, model: str, weighting: str) -> None:
    res = quantify_plates(out / "plates.csv", rules, model=model, weighting=weighting)
    failed = res.plate_qc[res.plate_qc["verdict"] != "pass"]
    if not failed.empty:
        raise RuntimeError(f"demo plates failed QC: {failed[['plate_id', 'reasons']]}")
    problems = []

    def check(what: str, row, s: _Sample) -> None:
        name = f"{s.participant_id}/{s.time}/{s.analyte} {what}"
        want_flag = _FLAG[s.kind]
        if row["flag"] != want_flag:
            problems.append(f"{name}: flag {row['flag']!r}, expected {want_flag!r}")
        if (row["plate_id"], float(row["dilution"])) != (s.plate_id, s.dilution):
            problems.append(
                f"{name}: plate {row['plate_id']} x{row['dilution']:g}, expected {s.plate_id} x{s.dilution:g}"
            )
        got, want = float(row["concentration"]), s.expected
        if not (math.isnan(got) and math.isnan(want)) and not abs(got - want) <= 1e-6:
            problems.append(f"{name}: {got!r} != {want!r}")

    # every measurement (also a censored first run that a re-assay supersedes)
    meas = _measurements(res, rules).set_index(["plate_id", "participant_id", "time", "analyte"], drop=False)
    if len(meas) != len(samples) or not meas.index.is_unique:
        problems.append(f"{len(meas)} sample results on the plates, {len(samples)} planned")
    for s in samples:
        k = (s.plate_id, s.participant_id, s.time, s.analyte)
        if k in meas.index:
            check(f"on {s.plate_id}", meas.loc[k], s)
        else:
            problems.append(f"{s.participant_id}/{s.time}/{s.analyte}: no result on {s.plate_id}")
    # the reported result: the re-assay where there is one, else the only measurement
    reported = {(s.participant_id, s.time, s.analyte): s for s in samples if s.kind != "above_uloq_reassay"}
    conc = res.concentrations.set_index(["participant_id", "time", "analyte"], drop=False)
    if len(conc) != len(reported):
        problems.append(f"{len(conc)} reported results, {len(reported)} planned")
    for k, s in reported.items():
        if k in conc.index:
            check("(reported)", conc.loc[k], s)
        else:
            problems.append(f"{'/'.join(k)}: not reported")
    if problems:
        raise RuntimeError("demo plates do not reproduce the plan:\n" + "\n".join(problems))
