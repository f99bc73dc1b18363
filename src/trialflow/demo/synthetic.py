"""A seeded synthetic large trial, for profiling and benchmarking the pipeline.

:func:`write_synthetic_trial` writes a complete raw folder that the pipeline reads without a
validation error, plus the ``config.yaml`` that reads it:

``participants.csv``
    ``participants`` randomised people (ids ``P0001`` …), allocated *unequally* to ``arms``
    arms (3 arms: about 35 / 33 / 32 %); age, height and weight plausible for adults.
``disposition.csv``
    The screening and disposition log (docs/consort.md): everyone randomised plus about 30 %
    more assessed and not randomised (not eligible, declined, other reasons). About 4 % of the
    randomised are lost to follow-up after baseline (they attend every visit up to a random
    one and none after it; most of them also discontinued the intervention), about 1.5 % miss
    one intermediate visit and come back, about 3 % of those in a training arm discontinue the
    intervention but stay in follow-up, a few never receive it. A missed visit has no samples
    and no REDCap rows, and its ``attended_<time>`` is ``no``.
``elisa/plates.csv``, ``elisa/maps/*.csv``, ``elisa/exports/*.csv``
    ``analytes`` analytes (BDNF, GDNF, IL6, TNFA, VEGFA, IGF1, IL10, NGF, then generic names),
    every participant × attended time point × analyte in duplicate; one plate = 8 standard
    levels (2-fold, highest in row A) in duplicate, two kit controls and two blanks in duplicate
    and 37 samples, exported as plain grid CSV (450 nm grid and a 570 nm reference grid). ODs
    come from each kit's 4PL (:class:`trialflow.demo.kits.KitSpec`) with plate-to-plate
    variation and well noise as in the demo plates, so every curve passes the default
    acceptance rules; true in-well concentrations lie inside the kit range. Odd-numbered
    analytes change over time in the training arms (BDNF up, IL6 down, VEGFA up), the others
    do not. 2,000 participants give about 1,260 plates.
``functional_redcap.csv``
    A REDCap raw-data export (events ``baseline_arm_1``, ``week_8_arm_1`` …) of
    ``functional_outcomes`` outcomes: the ten of the demo trial (two of them derived), then ten
    more walk, balance, strength and fatigue tests, then generic ones; ``strength_tests`` is a
    repeating instrument (a few record-events have a stopped-early first instance, selected
    away by ``repeat_instances: last`` with a warning), a few cells carry the code ``NASK``.
    Training arms improve, the control arm does not.
``config.yaml``
    Valid against ``schemas/config.schema.yaml``: ``trial.id: synthetic-large``, the arms,
    ``time_points`` time points (``baseline``, ``week8``, ``week16``, ``week24`` …), the
    biomarkers and functional outcomes, the ``elisa`` and ``redcap`` blocks, a sample-size
    block. ``raw_dir`` is the ``raw_dir`` argument if given (a path relative to the working
    directory Snakemake runs in, e.g. ``raw/synthetic``), else the *absolute* path of
    ``out_dir``, which works from any working directory.
``synthetic.json``
    Not a pipeline input: the generator's parameters and the samples *awaiting assay*.

Samples awaiting assay: the final-visit samples of the last-randomised participants for the
first analyte (one plate's worth at most, about 5 % of them) arrived after the first cut and
are not on any plate; the run analyses the others and lists these as missing. :func:`add_plate`
is the next plate reader export arriving: it assays up to 37 of them on a new plate
``<analyte>_L01`` (``_L02`` …), appends it to the manifest and returns its id, so a rerun
quantifies one more plate and the first analyte's analysis changes.
:func:`correct_redcap_value` is a data manager's correction of one value in the REDCap export.

Same arguments, same bytes (except ``raw_dir`` when it defaults to the absolute path).
Full size (2,000 participants, 1,265 plates) takes about 2 s.

Run: ``trialflow make-synthetic OUT [--participants N ...]``, or
``python -m trialflow.demo.synthetic OUT``. Its options are defined here once
(:func:`add_synthetic_arguments`); ``trialflow.cli`` and ``benchmarks/bench_large_trial.py`` use
them. The files keep naming their generator ``trialflow.synthetic``, the module's name when the
first trials were written, so that the same arguments still give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import yaml

from trialflow.consort import BASE_COLUMNS
from trialflow.demo.kits import KITS, KitSpec
from trialflow.demo.numbers import number_text
from trialflow.readers.numbers import parse_number

__all__ = [
    "SAMPLES_PER_PLATE",
    "add_plate",
    "add_synthetic_arguments",
    "correct_redcap_value",
    "add_synthetic_size_arguments",
    "synthetic_sizes",
    "write_synthetic_trial",
]

TRIAL_ID = "synthetic-large"
SIDECAR = "synthetic.json"
ELISA_DIR = "elisa"
REDCAP_FILE = "functional_redcap.csv"
N_LEVELS = 8

# ---------------------------------------------------------------------------------- plate layout
ROWS = "ABCDEFGH"
COLS = range(1, 13)
WELLS = [f"{r}{c}" for r in ROWS for c in COLS]
_INDEX = {w: i for i, w in enumerate(WELLS)}
STD_WELLS = [(f"{r}1", f"{r}2") for r in ROWS]  # level i (highest first) in row i
CTRL_WELLS = (("A3", "A4"), ("B3", "B4"))  # low, high kit control
BLANK_WELLS = ("C3", "C4")
SLOTS = [(f"{r}3", f"{r}4") for r in ROWS[3:]] + [(f"{r}{c}", f"{r}{c + 1}") for c in (5, 7, 9, 11) for r in ROWS]
SAMPLES_PER_PLATE = len(SLOTS)  # 37


@dataclass(frozen=True)
class Analyte:
    """An analyte: its kit, the dilution samples run at, the population and the training effect.

    ``median`` is the serum concentration (pg/mL) at baseline; ``effect`` the change of log
    concentration at the last visit in the highest-dose arm (0: no effect).
    """

    kit: KitSpec
    dilution: float
    median: float
    effect: float


def _kit(name: str, top: float, c_frac: float, b: float, d: float, lot: str) -> KitSpec:
    return KitSpec(
        name, top, a=0.004, b=b, c=top * c_frac, d=d, controls=(top * 0.075, top * 0.375), lot=lot, n_levels=N_LEVELS
    )


# In-well medians sit at about top / 11, the geometric middle of [2 × lowest, ½ × top].
ANALYTES = [
    Analyte(replace(KITS["BDNF"], n_levels=N_LEVELS), 100.0, 18_000.0, 0.30),
    Analyte(replace(KITS["GDNF"], n_levels=N_LEVELS), 1.0, 90.0, 0.0),
    Analyte(_kit("IL6", 50.0, 0.55, 1.05, 3.1, "IL6-HS-2407"), 1.0, 4.5, -0.25),
    Analyte(_kit("TNFA", 32.0, 0.6, 1.0, 3.0, "TNFA-HS-2405"), 1.0, 2.9, 0.0),
    Analyte(_kit("VEGFA", 1000.0, 0.62, 1.04, 3.3, "VEGFA-2412"), 2.0, 180.0, 0.20),
    Analyte(_kit("IGF1", 6000.0, 0.58, 1.1, 3.2, "IGF1-2403"), 300.0, 160_000.0, 0.0),
    Analyte(_kit("IL10", 500.0, 0.6, 1.02, 3.0, "IL10-2406"), 1.0, 45.0, 0.15),
    Analyte(_kit("NGF", 1000.0, 0.6, 1.06, 3.1, "NGF-2402"), 1.0, 90.0, 0.0),
]


def _analytes(k: int) -> list[Analyte]:
    out = list(ANALYTES[:k])
    for i in range(len(out), k):
        name = f"BM{i + 1:02d}"
        out.append(Analyte(_kit(name, 1000.0, 0.6, 1.05, 3.2, f"{name}-2401"), 1.0, 90.0, 0.2 if i % 2 == 0 else 0.0))
    return out


# ------------------------------------------------------------------------- functional outcomes
# field: REDCap variable; gen: (baseline mean, SD, resolution, low, high clip, effect at the last
# visit in the highest-dose arm as a fraction of the mean); step outcomes use the step as resolution.
def _fo(oid, label, unit, domain, hib, hard, plaus, dec, field=None, instrument="functional_tests", gen=None, **kw):
    out = {"id": oid, "label": label, "unit": unit, "domain": domain, "higher_is_better": hib, "hard_limits": hard}
    if plaus:
        out["plausible_limits"] = plaus
    if "step" in kw:
        out["step"] = kw["step"]
    out["decimals"] = dec
    out["source"] = kw.get("source") or {"redcap_field": field}
    return {"outcome": out, "field": field, "instrument": instrument, "gen": gen}


# fmt: off
FUNCTIONAL = [
    _fo("six_mwt", "6-minute walk distance", "m", "mobility", True, [0, 1000], [150, 800], 0, "sixmwt_m",
        gen=(480.0, 80.0, 1, 200, 760, 0.08)),
    _fo("gait_speed", "Gait speed (T25FW)", "m/s", "mobility", True, [0.04, 7.62], [0.3, 3], 2,
        source={"derive": "speed_from_time", "from": ["t25fw_s"], "distance_m": 7.62}),
    _fo("edss", "EDSS", "points (0-10)", "disability", False, [0, 10], [0, 6.5], 1, "edss", "clinical", step=0.5),
    _fo("tug", "Timed Up and Go", "s", "mobility", False, [1, 300], [3, 30], 2, "tug_s",
        gen=(7.6, 1.5, 0.01, 4.0, 20.0, -0.11)),
    _fo("t25fw", "Timed 25-Foot Walk", "s", "mobility", False, [1, 180], [2.5, 20], 2, "t25fw_s",
        gen=(5.2, 0.9, 0.01, 3.0, 12.0, -0.08)),
    _fo("sts5", "Five-times sit-to-stand", "s", "mobility", False, [1, 120], [4, 40], 2, "sts5_s",
        gen=(12.9, 2.6, 0.01, 6.0, 30.0, -0.16)),
    _fo("knee_mvic", "Knee-extension MVIC", "Nm", "strength", True, [0, 500], [20, 300], 1, "knee_mvic_nm",
        "strength_tests"),
    _fo("knee_mvic_rel", "Knee-extension MVIC per body mass", "Nm/kg", "strength", True, [0, 8], [0.4, 4], 2,
        source={"derive": "per_body_mass", "from": ["knee_mvic_nm"]}),
    _fo("grip", "Hand-grip strength", "kg", "strength", True, [0, 100], [5, 55], 1, "grip_kg", "strength_tests",
        gen=(25.0, 4.7, 0.1, 10.0, 45.0, 0.08)),
    _fo("mfis", "Modified Fatigue Impact Scale", "points (0-84)", "fatigue", False, [0, 84], None, 1, "mfis_total",
        "clinical", step=1, gen=(36.0, 13.0, 1, 0, 84, -0.23)),
    _fo("berg", "Berg Balance Scale", "points (0-56)", "mobility", True, [0, 56], [20, 56], 1, "berg_total",
        step=1, gen=(49.0, 5.0, 1, 25, 56, 0.05)),
    _fo("msws12", "MS Walking Scale (MSWS-12)", "points (0-100)", "disability", False, [0, 100], None, 1,
        "msws12_score", "clinical", gen=(35.0, 18.0, 0.1, 0, 100, -0.15)),
    _fo("two_mwt", "2-minute walk distance", "m", "mobility", True, [0, 400], [50, 300], 0, "twomwt_m",
        gen=(165.0, 28.0, 1, 70, 290, 0.07)),
    _fo("fss", "Fatigue Severity Scale", "points (9-63)", "fatigue", False, [9, 63], None, 1, "fss_total",
        "clinical", step=1, gen=(38.0, 11.0, 1, 9, 63, -0.15)),
    _fo("knee_flex_mvic", "Knee-flexion MVIC", "Nm", "strength", True, [0, 300], [10, 200], 1, "knee_flex_nm",
        "strength_tests", gen=(55.0, 15.0, 0.1, 12, 190, 0.18)),
    _fo("hip_abd_mvic", "Hip-abduction MVIC", "Nm", "strength", True, [0, 300], [10, 200], 1, "hip_abd_nm",
        "strength_tests", gen=(60.0, 16.0, 0.1, 12, 190, 0.15)),
    _fo("leg_press", "Leg-press one-repetition maximum", "kg", "strength", True, [0, 400], [20, 250], 1,
        "leg_press_kg", "strength_tests", gen=(85.0, 22.0, 0.5, 25, 240, 0.25)),
    _fo("sls", "Single-leg stance (60 s cap)", "s", "mobility", True, [0, 60], [1, 60], 1, "sls_s",
        gen=(18.0, 9.0, 0.1, 1, 60, 0.2)),
    _fo("fsst", "Four Square Step Test", "s", "mobility", False, [1, 120], [4, 30], 2, "fsst_s",
        gen=(10.5, 2.5, 0.01, 5, 28, -0.10)),
    _fo("mfis_phys", "MFIS physical subscale", "points (0-36)", "fatigue", False, [0, 36], None, 1, "mfis_phys",
        "clinical", step=1, gen=(17.0, 6.0, 1, 0, 36, -0.22)),
    _fo("nhpt", "Nine-Hole Peg Test (dominant hand)", "s", "disability", False, [5, 300], [12, 60], 2, "nhpt_s",
        gen=(21.0, 4.0, 0.01, 13, 55, -0.03)),
    _fo("dgi", "Dynamic Gait Index", "points (0-24)", "mobility", True, [0, 24], None, 1, "dgi_total", step=1,
        gen=(19.0, 3.5, 1, 6, 24, 0.08)),
]
# fmt: on
# generated fields that are not an outcome of their own (inputs of derived outcomes)
_HIDDEN_FIELDS = {
    "t25fw_s": ("functional_tests", (5.2, 0.9, 0.01, 3.0, 12.0, -0.08)),
    "knee_mvic_nm": ("strength_tests", None),
}
_INSTRUMENTS = ["clinical", "functional_tests", "strength_tests"]
REPEATING = "strength_tests"


def _functional(k: int) -> list[dict]:
    out = list(FUNCTIONAL[:k])
    for i in range(len(out), k):
        oid = f"fx{i + 1:02d}"
        out.append(
            _fo(
                oid,
                f"Functional test {i + 1}",
                "points",
                "mobility",
                True,
                [0, 200],
                [10, 100],
                1,
                f"{oid}_score",
                gen=(50.0, 10.0, 0.1, 15, 95, 0.1 if i % 2 else 0.0),
            )
        )
    return out


# ------------------------------------------------------------------------------ trial design
def _arms(n: int) -> list[dict]:
    names = [
        ("control", "Control"),
        ("moderate", "Moderate-intensity training"),
        ("vigorous", "High-intensity training"),
    ]
    names += [(f"arm{i + 1}", f"Training schedule {i + 1}") for i in range(len(names), n)]
    if n == 2:
        names = [("control", "Control"), ("training", "Training")]
    return [{"id": i, "label": lab} for i, lab in names[:n]]


def _time_points(n: int) -> list[dict]:
    return [{"id": "baseline", "label": "baseline"}] + [
        {"id": f"week{8 * i}", "label": f"week {8 * i}"} for i in range(1, n)
    ]


def _events(times: list[dict]) -> dict[str, str]:
    return {("baseline_arm_1" if t["id"] == "baseline" else f"week_{t['id'][4:]}_arm_1"): t["id"] for t in times}


def _allocation(n: int, arms: int) -> np.ndarray:
    """Arm sizes: weights 1 + 0.06 × (arms − 1 − i) (3 arms: 35.2 / 33.3 / 31.5 %), largest remainder."""
    w = 1 + 0.06 * (arms - 1 - np.arange(arms))
    raw = n * w / w.sum()
    sizes = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - sizes), kind="stable")[: n - sizes.sum()]:
        sizes[i] += 1
    return sizes


def _dose(arm_index: np.ndarray, arms: int) -> np.ndarray:
    """0 for the control arm, rising to 1 for the last arm."""
    return arm_index / max(arms - 1, 1)


@dataclass
class _Trial:
    ids: list[str]
    arm: np.ndarray  # arm index per participant
    weight: np.ndarray
    attended: np.ndarray  # bool (participants, times)
    times: list[dict]
    arms: list[dict]


def _fmt(x: float, res: float) -> str:
    if res >= 1:
        return str(int(round(x)))
    return f"{x:.{max(0, -math.floor(math.log10(res) + 1e-9))}f}"


def _make_people(rng: np.random.Generator, n: int, arms: list[dict], times: list[dict]) -> tuple[_Trial, list[str]]:
    width = max(4, len(str(n)))
    ids = [f"P{i + 1:0{width}d}" for i in range(n)]
    arm = np.repeat(np.arange(len(arms)), _allocation(n, len(arms)))
    rng.shuffle(arm)
    female = rng.random(n) < 0.6
    age = np.clip(np.rint(rng.normal(47, 11, n)), 18, 75).astype(int)
    height = np.where(female, rng.normal(164, 6.5, n), rng.normal(177, 7, n)).clip(145, 200)
    bmi = np.clip(rng.lognormal(math.log(25.5), 0.15, n), 17.5, 40)
    weight = np.round(np.clip(bmi * (height / 100) ** 2, 40, 160), 1)
    height = np.round(height, 1)
    lines = ["participant_id,arm,age_years,height_cm,weight_kg"]
    lines += [
        f"{p},{arms[a]['id']},{g},{h:.1f},{w:.1f}" for p, a, g, h, w in zip(ids, arm, age, height, weight, strict=True)
    ]
    attended = np.ones((n, len(times)), dtype=bool)
    return _Trial(ids, arm, weight, attended, times, arms), lines


LOST_REASONS = ["moved away", "no longer contactable", "withdrew consent", "illness unrelated to the trial"]
DISCONTINUED_REASONS = ["lack of time", "musculoskeletal injury", "loss of motivation", "relapse"]
NOT_ELIGIBLE = [
    ("EDSS above 6.5", 0.35),
    ("age outside 18-75 years", 0.2),
    ("relapse in the previous 3 months", 0.2),
    ("pregnancy", 0.1),
    ("cardiovascular contraindication to exercise", 0.15),
]
OTHER_REASONS = ["moved away before randomisation", "could not attend the training schedule"]


def _disposition(rng: np.random.Generator, trial: _Trial) -> list[str]:
    """Dropouts into ``trial.attended``; the disposition log's lines."""
    n, n_times = trial.attended.shape
    treated = trial.arm > 0
    lost = rng.random(n) < 0.04 if n_times > 1 else np.zeros(n, dtype=bool)
    first_missed = rng.integers(1, max(n_times, 2), n)
    for i in np.flatnonzero(lost):
        trial.attended[i, first_missed[i] :] = False
    if n_times > 2:  # an intermediate visit missed, back at the next
        skip = ~lost & (rng.random(n) < 0.015)
        which = rng.integers(1, n_times - 1, n)
        trial.attended[np.flatnonzero(skip), which[skip]] = False
    discontinued = treated & ((lost & (rng.random(n) < 0.7)) | (rng.random(n) < 0.03))
    not_received = treated & ~discontinued & (rng.random(n) < 0.005)
    lost_reason = rng.integers(len(LOST_REASONS), size=n)
    disc_reason = rng.integers(len(DISCONTINUED_REASONS), size=n)

    rows = []
    for i, pid in enumerate(trial.ids):
        rows.append(
            [
                pid,
                "yes",
                "",
                "no",
                trial.arms[trial.arm[i]]["id"],
                "no" if not_received[i] else "yes",
                "scheduling conflict before the first session" if not_received[i] else "",
                "yes" if discontinued[i] else "no",
                DISCONTINUED_REASONS[disc_reason[i]] if discontinued[i] else "",
                "yes" if lost[i] else "no",
                LOST_REASONS[lost_reason[i]] if lost[i] else "",
                *("yes" if a else "no" for a in trial.attended[i]),
            ]
        )
    n_screen_fail = int(round(0.3 * n))
    kinds = rng.random(n_screen_fail)
    names, probs = zip(*NOT_ELIGIBLE, strict=True)
    which = rng.choice(len(names), size=n_screen_fail, p=np.array(probs))
    other = rng.integers(len(OTHER_REASONS), size=n_screen_fail)
    blank = [""] * (7 + n_times)
    for k in range(n_screen_fail):
        if kinds[k] < 0.6:
            rows.append(["", "no", names[which[k]], "", *blank])
        elif kinds[k] < 0.9:
            rows.append(["", "yes", "", "yes", *blank])
        else:
            rows.append(["", "yes", OTHER_REASONS[other[k]], "no", *blank])
    order = rng.permutation(len(rows))
    width = max(5, len(str(len(rows))))
    header = [*BASE_COLUMNS, *(f"attended_{t['id']}" for t in trial.times)]
    lines = [",".join(header)]
    lines += [",".join([f"S{k + 1:0{width}d}", *rows[i]]) for k, i in enumerate(order)]
    return lines


# ------------------------------------------------------------------------------------ ELISA
def _true_concentrations(rng: np.random.Generator, trial: _Trial, analytes: list[Analyte]) -> np.ndarray:
    """True serum concentrations, shape (analytes, participants, times), pg/mL, inside the kit range."""
    n, n_times = trial.attended.shape
    progress = np.arange(n_times) / max(n_times - 1, 1)
    dose = _dose(trial.arm, len(trial.arms))
    out = np.empty((len(analytes), n, n_times))
    for k, an in enumerate(analytes):
        subject = rng.normal(0, 0.35, n)[:, None]
        noise = rng.normal(0, 0.12, (n, n_times))
        log_c = math.log(an.median) + subject + an.effect * dose[:, None] * progress[None, :] + noise
        lo, hi = min(an.kit.levels) * 2.2, max(an.kit.levels) / 2.3  # in-well, inside [LLOQ, ULOQ]
        out[k] = np.clip(np.exp(log_c), lo * an.dilution, hi * an.dilution)
    return out


_NOISE = 0.02  # relative OD noise of samples and controls
_STD_NOISE = 0.015  # ... of standards


def _plate_ods(
    rng: np.random.Generator, kits: list[KitSpec], in_well: np.ndarray, role: np.ndarray, sd: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Milli-OD at 450 nm and 570 nm for a batch of plates (vectorised over plates × wells).

    ``in_well``: (plates, 96) true in-well concentration (NaN where none); ``role``: (plates, 96)
    codes 0 unused, 1 blank, 2 standard/control/sample; ``sd``: relative noise per well. As the
    demo plates: a per-well optical background (the 570 nm read), a per-plate non-specific
    background, the kit's 4PL with plate-to-plate variation of EC50 and top."""
    n = len(kits)
    a = np.array([k.a for k in kits])[:, None]
    b = np.array([k.b for k in kits])[:, None]
    c = (np.array([k.c for k in kits]) * (1 + rng.normal(0, 0.04, n)))[:, None]
    d = (np.array([k.d for k in kits]) * (1 + rng.normal(0, 0.02, n)))[:, None]
    bg = (0.048 + rng.normal(0, 0.003, n))[:, None]
    opt = 0.041 + rng.normal(0, 0.002, (n, 96))
    noise = rng.normal(0, 1, (n, 96))
    x = np.nan_to_num(in_well, nan=0.0)
    resp = d + (a - d) / (1 + (x / c) ** b)
    od = np.where(
        role == 2,
        opt + bg + resp * (1 + noise * sd),
        np.where(role == 1, opt + bg + noise * 0.0015, opt + 0.004 + noise * 0.001),
    )
    return np.rint(od * 1000).astype(np.int64), np.rint(opt * 1000).astype(np.int64)


def _layout(kit: KitSpec, n_samples: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Role codes, in-well concentrations of standards/controls and the noise SD per well."""
    role = np.zeros(96, dtype=np.int8)
    conc = np.full(96, np.nan)
    sd = np.full(96, _NOISE)
    for level, wells in zip(kit.levels, STD_WELLS, strict=True):
        for w in wells:
            role[_INDEX[w]], conc[_INDEX[w]], sd[_INDEX[w]] = 2, level, _STD_NOISE
    for nominal, wells in zip(kit.controls, CTRL_WELLS, strict=True):
        for w in wells:
            role[_INDEX[w]], conc[_INDEX[w]] = 2, nominal
    for w in BLANK_WELLS:
        role[_INDEX[w]] = 1
    for slot in SLOTS[:n_samples]:
        for w in slot:
            role[_INDEX[w]] = 2
    return role, conc, sd


def _map_text(kit: KitSpec, samples: list[tuple[str, str]], dilution: float) -> str:
    lines = ["well,role,participant_id,time,nominal_conc,dilution,replicate_group"]
    for i, (level, wells) in enumerate(zip(kit.levels, STD_WELLS, strict=True)):
        lines += [f"{w},standard,,,{number_text(level)},1,STD{i + 1}" for w in wells]
    for name, nominal, wells in zip(("CTRL_LOW", "CTRL_HIGH"), kit.controls, CTRL_WELLS, strict=True):
        lines += [f"{w},control,,,{number_text(nominal)},1,{name}" for w in wells]
    lines += [f"{w},blank,,,,1,BLANK" for w in BLANK_WELLS]
    dil = number_text(dilution)
    for (pid, time), slot in zip(samples, SLOTS, strict=False):
        lines += [f"{w},sample,{pid},{time},,{dil},{pid}_{time}" for w in slot]
    return "\n".join(lines) + "\n"


_HEADER = "," + ",".join(str(c) for c in COLS)


def _grid(milli: np.ndarray) -> list[str]:
    cells = [f"{v // 1000}.{v % 1000:03d}" for v in milli.tolist()]
    return [_HEADER] + [r + "," + ",".join(cells[12 * i : 12 * i + 12]) for i, r in enumerate(ROWS)]


def _export_text(k450: np.ndarray, k570: np.ndarray) -> str:
    return "\n".join(_grid(k450) + ["", "Wavelength: 570"] + _grid(k570)) + "\n"


@dataclass
class _PlatePlan:
    plate_id: str
    analyte: Analyte
    lot: str
    samples: list[tuple[str, str]]  # (participant_id, time)
    true: np.ndarray  # serum pg/mL per sample


def _write_plates(rng: np.random.Generator, folder: Path, plans: list[_PlatePlan]) -> list[str]:
    """Simulate and write the plates' maps and exports; the manifest lines."""
    (folder / "maps").mkdir(parents=True, exist_ok=True)
    (folder / "exports").mkdir(parents=True, exist_ok=True)
    roles, concs, sds = [], [], []
    for p in plans:
        role, conc, sd = _layout(p.analyte.kit, len(p.samples))
        for j, slot in enumerate(SLOTS[: len(p.samples)]):
            for w in slot:
                conc[_INDEX[w]] = p.true[j] / p.analyte.dilution
        roles.append(role)
        concs.append(conc)
        sds.append(sd)
    if not plans:
        return []
    role, conc, sd = np.array(roles), np.array(concs), np.array(sds)
    k450, k570 = _plate_ods(rng, [p.analyte.kit for p in plans], conc, role, sd)
    lines = []
    for i, p in enumerate(plans):
        (folder / "maps" / f"{p.plate_id}.csv").write_text(
            _map_text(p.analyte.kit, p.samples, p.analyte.dilution), encoding="utf-8"
        )
        (folder / "exports" / f"{p.plate_id}.csv").write_text(_export_text(k450[i], k570[i]), encoding="utf-8")
        lines.append(
            f"{p.plate_id},{p.analyte.kit.analyte},pg/mL,{p.lot},exports/{p.plate_id}.csv,maps/{p.plate_id}.csv,570"
        )
    return lines


def _plate_plans(trial: _Trial, analytes: list[Analyte], true: np.ndarray, pending: set) -> list[_PlatePlan]:
    """Per analyte, its samples (participants in id order, their visits in order) 37 to a plate."""
    plans = []
    idx = {t["id"]: j for j, t in enumerate(trial.times)}
    for k, an in enumerate(analytes):
        name = an.kit.analyte
        samples = [
            (pid, t["id"])
            for i, pid in enumerate(trial.ids)
            for t in trial.times
            if trial.attended[i, idx[t["id"]]] and (pid, t["id"], name) not in pending
        ]
        row = {pid: i for i, pid in enumerate(trial.ids)}
        for j in range(0, len(samples), SAMPLES_PER_PLATE):
            chunk = samples[j : j + SAMPLES_PER_PLATE]
            conc = np.array([true[k, row[p], idx[t]] for p, t in chunk])
            plans.append(_PlatePlan(f"{name}_P{j // SAMPLES_PER_PLATE + 1:04d}", an, an.kit.lot, chunk, conc))
    return plans


def _pending(trial: _Trial, analytes: list[Analyte], true: np.ndarray) -> list[dict]:
    """Final-visit samples of the first analyte for the last-randomised attenders (≤ one plate)."""
    if len(trial.times) < 2 or not analytes:
        return []
    last = len(trial.times) - 1
    attenders = np.flatnonzero(trial.attended[:, last])
    n = min(SAMPLES_PER_PLATE, max(1, len(attenders) // 20))
    return [
        {
            "participant_id": trial.ids[i],
            "time": trial.times[last]["id"],
            "analyte": analytes[0].kit.analyte,
            "concentration": float(true[0, i, last]),
        }
        for i in attenders[-n:]
    ]


# ------------------------------------------------------------------------------ functional
def _field_specs(defs: list[dict]) -> dict[str, tuple[str, tuple | None, int]]:
    """field -> (instrument, generator, direction) for every field the export must hold."""
    fields: dict[str, tuple[str, tuple | None, int]] = {}
    for d in defs:
        o = d["outcome"]
        src = o["source"]
        if "redcap_field" in src:
            fields[src["redcap_field"]] = (d["instrument"], d["gen"], 1 if o["higher_is_better"] else -1)
        else:
            for f in src["from"]:
                if f not in fields:
                    instrument, gen = _HIDDEN_FIELDS[f]
                    fields[f] = (instrument, gen, -1 if f == "t25fw_s" else 1)
    return fields


def _functional_values(rng: np.random.Generator, trial: _Trial, fields: dict) -> dict[str, np.ndarray]:
    """(participants, times) array of recorded values per field."""
    n, n_times = trial.attended.shape
    progress = (np.arange(n_times) / max(n_times - 1, 1))[None, :]
    dose = _dose(trial.arm, len(trial.arms))[:, None]
    impairment = rng.normal(0, 1, n)[:, None]  # shared across tests: worse on one, worse on all
    values = {}
    for field, (_instrument, gen, better) in fields.items():
        own = rng.normal(0, 1, (n, 1))
        within = rng.normal(0, 1, (n, n_times))
        person = -0.6 * better * impairment + 0.8 * own
        z = math.sqrt(0.85) * person + math.sqrt(0.15) * within
        if field == "edss":
            base = np.clip(np.round((2.5 + 0.9 * impairment) * 2) / 2, 0, 6.5)
            change = rng.choice([-0.5, 0.0, 0.5], size=(n, n_times), p=[0.04, 0.92, 0.04])
            change[:, 0] = 0
            values[field] = np.clip(base + change, 0, 6.5)
        elif field == "knee_mvic_nm":  # Nm/kg, times body mass, to 0.1 Nm
            rel = np.clip(1.7 * (1 + 0.2 * dose * progress) + 0.32 * z, 0.5, 3.2)
            values[field] = np.round(np.clip(rel * trial.weight[:, None], 20.5, 299), 1)
        else:
            mean, sd, res, lo, hi, effect = gen
            x = np.clip(mean * (1 + effect * dose * progress) + sd * z, lo, hi)
            values[field] = np.round(np.round(x / res) * res, 6)
    return values


def _redcap_lines(rng: np.random.Generator, trial: _Trial, defs: list[dict]) -> tuple[list[str], bool]:
    """The REDCap export's lines; whether it has the repeating instrument."""
    fields = _field_specs(defs)
    values = _functional_values(rng, trial, fields)
    res = {f: (g[2] if g else (0.5 if f == "edss" else 0.1)) for f, (_, g, _) in fields.items()}
    by_instrument = {i: [f for f in fields if fields[f][0] == i] for i in _INSTRUMENTS}
    by_instrument = {i: fs for i, fs in by_instrument.items() if fs}
    columns = ["record_id", "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance"]
    for instrument, fs in by_instrument.items():
        columns += fs + [f"{instrument}_complete"]
    pos = {c: j for j, c in enumerate(columns)}
    events = {v: k for k, v in _events(trial.times).items()}
    n, n_times = trial.attended.shape
    not_asked = rng.random((n, n_times, len(fields))) < 0.001
    retest = rng.random((n, n_times)) < 0.002
    field_index = {f: j for j, f in enumerate(fields)}
    lines = [",".join(columns)]
    for i in np.argsort(trial.ids, kind="stable"):
        pid = trial.ids[i]
        for t, tp in enumerate(trial.times):
            if not trial.attended[i, t]:
                continue  # nothing entered for the event: REDCap exports no row for it
            cells = [""] * len(columns)
            cells[0], cells[1] = pid, events[tp["id"]]
            for instrument, fs in by_instrument.items():
                if instrument == REPEATING:
                    continue
                for f in fs:
                    nask = not_asked[i, t, field_index[f]]
                    cells[pos[f]] = "NASK" if nask else _fmt(values[f][i, t], res[f])
                cells[pos[f"{instrument}_complete"]] = "2"
            lines.append(",".join(cells))
            if REPEATING not in by_instrument:
                continue
            instances = [{f: _fmt(values[f][i, t], res[f]) for f in by_instrument[REPEATING]}]
            if retest[i, t]:  # session 1 stopped early (pain), the retest is instance 2
                instances.insert(0, {f: _fmt(values[f][i, t] * 0.8, res[f]) for f in by_instrument[REPEATING]})
            for number, inst in enumerate(instances, start=1):
                cells = [""] * len(columns)
                cells[0], cells[1], cells[2], cells[3] = pid, events[tp["id"]], REPEATING, str(number)
                for f, v in inst.items():
                    cells[pos[f]] = v
                cells[pos[f"{REPEATING}_complete"]] = "2"
                lines.append(",".join(cells))
    return lines, REPEATING in by_instrument


# ------------------------------------------------------------------------------------ config
def _config(
    raw_dir: str, arms: list[dict], times: list[dict], analytes: list[Analyte], defs: list[dict], repeating: bool
) -> dict:
    n_arms, n_times = len(arms), len(times)
    biomarkers = [
        {
            "id": an.kit.analyte,
            "label": an.kit.analyte,
            "unit": "pg/mL",
            "domain": "biomarker",
            "higher_is_better": an.kit.analyte not in ("IL6", "TNFA"),
            "decimals": max(0, 2 - int(math.floor(math.log10(an.median)))),
        }
        for an in analytes
    ]
    redcap = {"record_id": "record_id", "events": _events(times)}
    if repeating:
        redcap["repeat_instances"] = {REPEATING: "last"}
    return {
        "trial": {
            "id": TRIAL_ID,
            "title": "Synthetic large trial: training intensity and serum biomarkers and function (seeded test data)",
            "short_title": "Synthetic large trial",
            "design": f"{n_arms}-arm randomised trial with unequal allocation, {n_times} visits; synthetic data "
            "written by trialflow.synthetic for profiling the pipeline.",
            "data_cutoff": "2026-03-31",
            "status": "interim",
        },
        "protocol": {  # every key: the report template needs them all once the block is there
            "registration": "Synthetic data; not registered.",
            "protocol_access": "Synthetic data; no protocol.",
            "setting": "Simulated multicentre outpatient trial.",
            "eligibility": ["Age 18 to 75 years", "EDSS 6.5 or lower", "No relapse in the previous 3 months"],
            "recruitment": "Simulated; no calendar dates.",
            "randomisation": "Computer-generated allocation with unequal arm sizes (seeded).",
            "blinding": "Outcome assessors blinded (simulated).",
            "control": "Usual care without a structured exercise programme.",
            "intervention": {
                "summary": f"Supervised training three times a week for {8 * (n_times - 1)} weeks at the arm's "
                "intensity.",
                "intensity": "Borg rating of perceived exertion, by arm.",
                "supervision": "Every session supervised.",
                "adherence": "Not simulated.",
                "table": {
                    "caption": "Training protocol.",
                    "columns": [
                        {"id": "category", "label": "Exercise category", "width": "16%"},
                        {"id": "content", "label": "Content of training"},
                        {"id": "weeks", "label": "Training weeks", "width": "12%"},
                        {"id": "dose", "label": "Sets × repetitions", "width": "14%"},
                    ],
                    "rows": [
                        {
                            "category": "Aerobic",
                            "weeks": f"Weeks 1-{8 * (n_times - 1)}",
                            "dose": "3 × 20-30 min",
                            "content": "Cycle ergometer or treadmill walking",
                        },
                        {
                            "category": "Strength",
                            "weeks": f"Weeks 1-{8 * (n_times - 1)}",
                            "dose": "3 × 8-12",
                            "content": "Leg press, knee extension and flexion, hip abduction",
                        },
                    ],
                },
            },
            "harms": "Not simulated.",
        },
        "on_error": "stop",
        "raw_dir": raw_dir,
        "inputs": {
            "participants": "participants.csv",
            "functional_redcap": REDCAP_FILE,
            "disposition": "disposition.csv",
        },
        "elisa": {
            "manifest": f"{ELISA_DIR}/plates.csv",
            "reads": {an.kit.analyte: {"wavelength_nm": 450, "reference_nm": 570} for an in analytes},
            "model": "4PL",
            "weighting": "1/y^2",
            "plates_per_job": 50,
            "plate_pages": "attention",  # ~1,260 plates: pages only for those that need a look
            "acceptance": {
                "standard_recovery": [80, 120],
                "lowest_standard_recovery": [75, 125],
                "min_standards_pass_fraction": 0.75,
                "control_tolerance_pct": 20,
                "max_cv_pct": 15,
                "max_cv_pct_near_lloq": 20,
            },
        },
        "redcap": redcap,
        "missing_codes": {"UNK": "unknown", "NASK": "not asked", "NAV": "temporarily unavailable", "-999": "not done"},
        "arms": arms,
        "time_points": times,
        "outcomes": biomarkers + [d["outcome"] for d in defs],
        "baseline": [
            {"id": "age_years", "label": "age (year)", "decimals": 1, "limits": [18, 100]},
            {"id": "height_cm", "label": "height (cm)", "decimals": 1, "limits": [100, 230]},
            {"id": "weight_kg", "label": "weight (kg)", "decimals": 1, "limits": [25, 300]},
            {
                "id": "bmi_kg_m2",
                "label": "BMI (kg/m²)",
                "decimals": 1,
                "derive": "bmi",
                "from": ["weight_kg", "height_cm"],
            },
        ],
        "analysis": {"alpha": 0.05, "baseline_tests": False},
        "sample_size": {
            "alpha": 0.05,
            "power": 0.9,
            "effect_size_f": 0.1,
            "groups": n_arms,
            "measurements": n_times,
            "correlation": 0.5,
            "nonsphericity": 1,
        },
        "report": {"p_value_style": "apa"},
    }


# ------------------------------------------------------------------------------------- API
def _write(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_synthetic_trial(
    out_dir: str | Path,
    participants: int = 2000,
    arms: int = 3,
    time_points: int = 4,
    analytes: int = 6,
    functional_outcomes: int = 20,
    seed: int = 2026,
    raw_dir: str | None = None,
) -> Path:
    """Write a seeded synthetic trial's raw folder and ``config.yaml`` into ``out_dir``; return the config's path.

    See the module docstring for what is written. ``raw_dir`` is written to the config as is
    (a path relative to the working directory the pipeline runs in); without it the config
    holds the absolute path of ``out_dir``. Same arguments, same bytes.
    """
    if participants < 4 * arms:
        raise ValueError(f"need at least 4 participants per arm ({4 * arms}), got {participants}")
    if not 2 <= arms <= 9 or not 2 <= time_points <= 12:
        raise ValueError("arms must be 2-9 and time_points 2-12")
    if analytes < 0 or functional_outcomes < 0 or analytes + functional_outcomes == 0:
        raise ValueError("need at least one outcome (analytes + functional_outcomes >= 1)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    arm_items, times = _arms(arms), _time_points(time_points)
    kits = _analytes(analytes)
    defs = _functional(functional_outcomes)

    trial, participant_lines = _make_people(np.random.default_rng([seed, 1]), participants, arm_items, times)
    disposition_lines = _disposition(np.random.default_rng([seed, 2]), trial)
    _write(out / "participants.csv", participant_lines)
    _write(out / "disposition.csv", disposition_lines)

    repeating = False
    if defs:
        redcap_lines, repeating = _redcap_lines(np.random.default_rng([seed, 3]), trial, defs)
        _write(out / REDCAP_FILE, redcap_lines)

    pending: list[dict] = []
    if kits:
        true = _true_concentrations(np.random.default_rng([seed, 4]), trial, kits)
        pending = _pending(trial, kits, true)
        keys = {(p["participant_id"], p["time"], p["analyte"]) for p in pending}
        plans = _plate_plans(trial, kits, true, keys)
        manifest = ["plate_id,analyte,unit,kit_lot,export_file,map_file,reference_nm"]
        manifest += _write_plates(np.random.default_rng([seed, 5]), out / ELISA_DIR, plans)
        _write(out / ELISA_DIR / "plates.csv", manifest)

    config = _config(raw_dir if raw_dir is not None else str(out.resolve()), arm_items, times, kits, defs, repeating)
    if not defs:
        del config["inputs"]["functional_redcap"], config["redcap"]
    if not kits:
        del config["elisa"]
        config["inputs"]["concentrations"] = "concentrations.csv"
        _write(out / "concentrations.csv", ["participant_id,time,analyte,concentration,unit"])
    text = (
        "# Synthetic large trial written by trialflow.synthetic (seeded; see its docstring).\n"
        "# Every key is described in schemas/config.schema.yaml.\n"
        + yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=110)
    )
    config_path = out / "config.yaml"
    config_path.write_text(text, encoding="utf-8")
    sidecar = {
        "generator": "trialflow.synthetic",
        "note": "not a pipeline input: the generator's parameters and the samples awaiting assay (add_plate)",
        "participants": participants,
        "arms": arms,
        "time_points": time_points,
        "analytes": analytes,
        "functional_outcomes": functional_outcomes,
        "seed": seed,
        "pending": pending,
        "added_plates": [],
    }
    (out / SIDECAR).write_text(json.dumps(sidecar, indent=1) + "\n", encoding="utf-8")
    return config_path


def add_plate(out_dir: str | Path, seed: int = 1) -> str:
    """A new plate arrives: assay up to 37 samples awaiting assay, append the plate to the manifest.

    Writes ``elisa/maps/<id>.csv`` and ``elisa/exports/<id>.csv`` for plate ``<analyte>_L01``
    (``_L02`` on the next call …), appends it to ``elisa/plates.csv`` and returns its id. The
    samples it holds had no result before, so a rerun reports new concentrations for them.
    ``seed`` seeds the plate's simulation. Raises ``ValueError`` when no sample awaits assay.
    """
    out = Path(out_dir)
    meta = json.loads((out / SIDECAR).read_text(encoding="utf-8"))
    pending = meta["pending"]
    if not pending:
        raise ValueError(f"{out}: no samples await assay (all {len(meta['added_plates'])} late plates written)")
    batch, rest = pending[:SAMPLES_PER_PLATE], pending[SAMPLES_PER_PLATE:]
    name = batch[0]["analyte"]
    batch = [s for s in batch if s["analyte"] == name]
    rest = [s for s in pending if s not in batch]
    analyte = next(a for a in _analytes(meta["analytes"]) if a.kit.analyte == name)
    plate_id = f"{name}_L{len(meta['added_plates']) + 1:02d}"
    plan = _PlatePlan(
        plate_id,
        analyte,
        analyte.kit.lot,
        [(s["participant_id"], s["time"]) for s in batch],
        np.array([s["concentration"] for s in batch]),
    )
    folder = out / ELISA_DIR
    manifest = folder / "plates.csv"
    if any(line.split(",", 1)[0] == plate_id for line in manifest.read_text(encoding="utf-8").splitlines()):
        raise ValueError(f"{manifest} already lists plate {plate_id}")
    (line,) = _write_plates(np.random.default_rng([seed, 6, len(meta["added_plates"])]), folder, [plan])
    with manifest.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")
    meta["pending"], meta["added_plates"] = rest, meta["added_plates"] + [plate_id]
    (out / SIDECAR).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return plate_id


def correct_redcap_value(out_dir: str | Path, seed: int = 1) -> str:
    """A data manager corrects one measured value in the REDCap export; returns what changed.

    Picks (by ``seed``) a row of a non-repeating instrument and one of its measured fields, and
    writes into it the value another participant has for that field at the same event: a value
    the pipeline accepts, which changes that outcome's analysis. Every other byte stays.
    Raises ``ValueError`` when no field has two different values at one event.
    """
    path = Path(out_dir) / REDCAP_FILE
    lines = path.read_text(encoding="utf-8").split("\n")
    columns = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:] if line]
    measured = [j for j, c in enumerate(columns) if j >= 4 and not c.endswith("_complete")]
    rng = np.random.default_rng([seed, 7])
    for i in rng.permutation(len(rows)):
        row = rows[i]
        if row[2]:  # a repeating instrument's instance: its retest logic is left alone
            continue
        for j in rng.permutation(measured):
            old = row[j]
            if parse_number(old) is None:
                continue
            donors = [
                r[j] for r in rows if r[1] == row[1] and not r[2] and parse_number(r[j]) is not None and r[j] != old
            ]
            if donors:
                row[j] = donors[int(rng.integers(len(donors)))]
                lines[1 + int(i)] = ",".join(row)
                path.write_text("\n".join(lines), encoding="utf-8")
                return f"{row[0]} {row[1]} {columns[j]}: {old} -> {row[j]}"
    raise ValueError(f"{path}: no measured value has another value at its event to be corrected to")


# ------------------------------------------------------------------------ command line
SYNTHETIC_SIZES = ("participants", "arms", "time_points", "analytes", "functional_outcomes", "seed")


def add_synthetic_size_arguments(parser: argparse.ArgumentParser) -> None:
    """The size and seed of the synthetic trial (``make-synthetic`` and benchmarks/bench_large_trial.py)."""
    parser.add_argument("--participants", type=int, default=2000)
    parser.add_argument("--arms", type=int, default=3)
    parser.add_argument("--time-points", type=int, default=4)
    parser.add_argument("--analytes", type=int, default=6)
    parser.add_argument("--functional-outcomes", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2026)


def synthetic_sizes(args: argparse.Namespace) -> dict:
    """Those options as keyword arguments of :func:`write_synthetic_trial`."""
    return {name: getattr(args, name) for name in SYNTHETIC_SIZES}


def add_synthetic_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``trialflow make-synthetic`` and of this module's command line."""
    parser.add_argument("out_dir", help="folder to write the raw files and config.yaml into")
    add_synthetic_size_arguments(parser)
    parser.add_argument(
        "--raw-dir",
        default=None,
        help="raw_dir written to config.yaml, relative to the directory Snakemake runs in "
        "(default: the absolute path of OUT)",
    )


def run_from_args(args: argparse.Namespace) -> int:
    config = write_synthetic_trial(args.out_dir, **synthetic_sizes(args), raw_dir=args.raw_dir)
    print(f"trialflow: synthetic trial written; run it with: snakemake --cores 2 --configfile {config}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_synthetic_arguments(parser)
    parser.add_argument("--add-plate", type=int, metavar="SEED", help="only add one late plate to OUT")
    parser.add_argument(
        "--correct-redcap-value", type=int, metavar="SEED", help="only correct one value in OUT's REDCap export"
    )
    args = parser.parse_args(argv)
    if args.add_plate is not None:
        print(add_plate(args.out_dir, args.add_plate))
        return 0
    if args.correct_redcap_value is not None:
        print(correct_redcap_value(args.out_dir, args.correct_redcap_value))
        return 0
    return run_from_args(args)


if __name__ == "__main__":
    raise SystemExit(main())
