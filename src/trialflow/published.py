"""Check a paper's printed results: against our reanalysis, and against each other.

Two questions an auditor asks of a published trial:

* Does the reanalysis reproduce every printed number? :func:`compare_reported`.
* Do the printed numbers agree with each other? :func:`check_internal_consistency` (p and
  partial η² recomputed from F and its df; whether a printed F can arise at all from the printed
  means and SDs) and :func:`check_baseline_tests` (baseline t-test p from Table 2).

The published figures come as the dict of ``tests/data/published.yaml`` (keys ``design``,
``table2_baseline``, ``table3_outcomes``, ``anova``). What "equal at the printed precision"
means for each kind of number is written out in ``docs/published-check.md``. The returned
tables are unrounded; only the printed values are, necessarily, as printed.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from itertools import combinations

import pandas as pd
from scipy import stats

F_REL_TOL = 0.005  # default relative tolerance of a reproduced F (0.5 %)
PES_CONVENTIONS = ("round", "truncate")  # how a printed partial η² may have been shortened
MEAN_SD_CONVENTIONS = ("round",)

COMPARE_COLUMNS = [
    "quantity",
    "table",
    "outcome",
    "arm",
    "time",
    "effect",
    "statistic",
    "printed",
    "reported",
    "decimals",
    "reproduced",
    "difference",
    "verdict",
    "rule",
]
CHECK_COLUMNS = [
    "outcome",
    "effect",
    "check",
    "printed",
    "reported",
    "recomputed",
    "recomputed_low",
    "recomputed_high",
    "verdict",
    "explanation",
]

CHECK_P = "p from F"
CHECK_PES = "partial eta squared from F"
CHECK_F = "F attainable from means and SDs"
CHECK_T = "p from means and SDs (Student t)"

_P_TEXT = re.compile(r"^\s*(?:[pP]\s*)?(<=|>=|<|>|=|≤|≥)?\s*(\d*\.?\d+)\s*$")


# --- printed numbers ---------------------------------------------------------------------------


def printed_decimals(value) -> int:
    """Decimals a value was printed with: exact for text (``"0.80"`` → 2), else from the shortest repr.

    A number read from YAML has lost its trailing zeros (0.80 → 0.8); :func:`column_decimals`
    restores them from the other values of the same table column.
    """
    if isinstance(value, str):
        match = _P_TEXT.match(value)
        if not match:
            raise ValueError(f"not a printed number: {value!r}")
        text = match.group(2)
        return len(text.split(".")[1]) if "." in text else 0
    if isinstance(value, int):
        return 0
    exponent = Decimal(repr(float(value))).as_tuple().exponent
    return max(0, -int(exponent))


def column_decimals(values: list) -> list[int]:
    """Printed decimals of the values of one table column.

    Text values keep their own decimals. A number gets the larger of its own decimals and the
    column's usual decimals (the most common count; ties go to the larger), because a table
    prints a column with one precision and YAML drops trailing zeros: 111.60 → 111.6 → 2, while
    107.861 keeps 3.
    """
    own = [printed_decimals(v) for v in values]
    numeric = [d for v, d in zip(values, own, strict=True) if not isinstance(v, str)]
    if not numeric:
        return own
    counts = Counter(numeric)
    usual = max(counts, key=lambda d: (counts[d], d))
    return [d if isinstance(v, str) else max(d, usual) for v, d in zip(values, own, strict=True)]


def _number(value) -> float:
    if isinstance(value, str):
        match = _P_TEXT.match(value)
        if not match:
            raise ValueError(f"not a printed number: {value!r}")
        return float(match.group(2))
    return float(value)


def _as_printed(value, decimals: int | None = None) -> str:
    """A printed value as text: text as it is, a number with ``decimals`` (default: its own)."""
    if isinstance(value, str):
        return value.strip()
    return f"{float(value):.{printed_decimals(value) if decimals is None else decimals}f}"


def shorten(value: float, decimals: int, convention: str = "round") -> Decimal:
    """``value`` to ``decimals`` places: ``round`` half away from zero (as SPSS and journals print;
    Python's round() is half-even) or ``truncate`` toward zero. Exact on the value's shortest repr.
    """
    mode = {"round": ROUND_HALF_UP, "truncate": ROUND_DOWN}[convention]
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), rounding=mode)


def prints_as(value: float, printed: float, decimals: int, conventions=("round",)) -> bool:
    """Whether ``value`` shortened by one of ``conventions`` prints as ``printed``."""
    target = Decimal(repr(float(printed)))
    return any(shorten(value, decimals, c) == target for c in conventions)


def _printing_interval(printed: float, decimals: int, conventions) -> tuple[float, float]:
    """All values that print as ``printed`` under one of ``conventions`` (closed, for overlaps)."""
    unit = 10.0**-decimals
    lows, highs = [], []
    for convention in conventions:
        if convention == "round":
            lows.append(printed - unit / 2)
            highs.append(printed + unit / 2)
        elif printed > 0:
            lows.append(printed)
            highs.append(printed + unit)
        elif printed < 0:
            lows.append(printed - unit)
            highs.append(printed)
        else:
            lows.append(-unit)
            highs.append(unit)
    return min(lows), max(highs)


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


# --- printed p values -----------------------------------------------------------------------------


def read_p(printed) -> tuple[str, float, int]:
    """A printed p as (relation, value, decimals): ``"0.0001"`` → ('=', 0.0001, 4), ``"<.001"`` → ('<', 0.001, 3)."""
    if not isinstance(printed, str):
        return "=", float(printed), printed_decimals(printed)
    match = _P_TEXT.match(printed)
    if not match:
        raise ValueError(f"not a printed p value: {printed!r}")
    relation = {"<=": "<", "≤": "<", ">=": ">", "≥": ">", None: "="}.get(match.group(1), match.group(1))
    return relation, float(match.group(2)), printed_decimals(match.group(2))


def p_accepts(printed, low: float, high: float, decimals: int | None = None) -> tuple[bool, str]:
    """Whether some p in [low, high] can be printed as ``printed``, and how the print is read.

    * ``<x`` / ``>x``: a bound;
    * zero (``.000``, SPSS): p below half a unit of the last place;
    * ``0.001``, ``0.0001``, … (one unit in the 3rd or a later place, the smallest value the
      precision can show): the rounded value or an upper bound, since authors write SPSS's
      ``.000`` this way; so any p below it is consistent;
    * anything else: p rounded half away from zero to the printed decimals.
    """
    relation, value, own_decimals = read_p(printed)
    d = own_decimals if decimals is None else decimals
    half = 0.5 * 10.0**-d
    if relation == "<":
        return low < value, f"an upper bound (p < {value:g})"
    if relation == ">":
        return high > value, f"a lower bound (p > {value:g})"
    if value == 0:
        return low < half, f"SPSS's .000, that is p < {half:g}"
    if d >= 3 and Decimal(repr(value)) == Decimal(1).scaleb(-d):
        return low < value + half, (
            f"the smallest value {d} decimals can show, read as an upper bound (p < {value:g}; SPSS prints .000)"
        )
    return _overlap((low, high), (value - half, value + half)), f"p rounded to {d} decimals"


# --- the published dict ---------------------------------------------------------------------------


def _arms(published: dict) -> dict[str, int]:
    return {str(k): int(v) for k, v in published.get("design", {}).get("arms", {}).items()}


def _times(published: dict) -> list[str]:
    return [str(t) for t in published.get("design", {}).get("time_points", [])]


def anova_df(published: dict, effect: str) -> tuple[float, float]:
    """df of an effect of the mixed ANOVA from the design (arms with their n, time points).

    An ``anova`` entry may give ``df1``/``df2`` itself; they win.
    """
    arms, k = _arms(published), len(_times(published))
    a, n_total = len(arms), sum(arms.values())
    if a < 2 or k < 2:
        raise ValueError("published['design'] needs 'arms' (with n) and 'time_points' to give the df")
    return {
        "group": (a - 1, n_total - a),
        "time": (k - 1, (n_total - a) * (k - 1)),
        "interaction": ((a - 1) * (k - 1), (n_total - a) * (k - 1)),
    }[effect]


def _anova_entries(published: dict):
    """(outcome, effect, entry, df1, df2, F decimals, pes decimals) in published order."""
    entries = [
        (str(o), str(e), entry) for o, effects in published.get("anova", {}).items() for e, entry in effects.items()
    ]
    f_dec = column_decimals([entry["F"] for _, _, entry in entries])
    with_pes = [entry["eta2"] for _, _, entry in entries if "eta2" in entry]
    pes_iter = iter(column_decimals(with_pes))
    pes_dec = [next(pes_iter) if "eta2" in entry else 0 for _, _, entry in entries]
    for (outcome, effect, entry), fd, ed in zip(entries, f_dec, pes_dec, strict=True):
        df1, df2 = (entry["df1"], entry["df2"]) if "df1" in entry else anova_df(published, effect)
        yield outcome, effect, entry, float(df1), float(df2), fd, ed


def _table3_cells(published: dict):
    """(outcome, arm, time, mean, sd, mean decimals, sd decimals) in published order."""
    for outcome, arms in published.get("table3_outcomes", {}).items():
        cells = [(arm, time, ms[0], ms[1]) for arm, times in arms.items() for time, ms in times.items()]
        dec = column_decimals([v for *_, m, s in cells for v in (m, s)])
        for i, (arm, time, mean, sd) in enumerate(cells):
            yield str(outcome), str(arm), str(time), mean, sd, dec[2 * i], dec[2 * i + 1]


def _table2_cells(published: dict):
    """(variable, arm, mean, sd, mean decimals, sd decimals) in published order."""
    table = published.get("table2_baseline", {})
    arms = [a for a in table if isinstance(table[a], dict) and a != "independent_t_p"]
    variables = list(dict.fromkeys(v for a in arms for v, ms in table[a].items() if isinstance(ms, list)))
    for variable in variables:
        cells = [(arm, *table[arm][variable]) for arm in arms if variable in table[arm]]
        dec = column_decimals([v for _, m, s in cells for v in (m, s)])
        for i, (arm, mean, sd) in enumerate(cells):
            yield variable, arm, mean, sd, dec[2 * i], dec[2 * i + 1]


# --- 1. printed vs reproduced ---------------------------------------------------------------------


def compare_reported(
    published: dict,
    descriptives: pd.DataFrame,
    anova: pd.DataFrame,
    baseline: pd.DataFrame | None = None,
    baseline_tests: pd.DataFrame | None = None,
    f_rel_tol: float = F_REL_TOL,
) -> pd.DataFrame:
    """Every printed number next to the one our results give, with a verdict.

    Parameters
    ----------
    published : the paper's figures (layout of ``tests/data/published.yaml``).
    descriptives : outcome, arm, time, n, mean, sd (``results/stats/descriptives.csv``).
    anova : outcome, effect, df1, df2, F, p, pes (``results/stats/anova.csv``).
    baseline, baseline_tests : optional; variable, arm, n, mean, sd and variable, test, p
        (``baseline.csv``, ``baseline_tests.csv``) to compare Table 2 and its t-test p values.
    f_rel_tol : relative tolerance for F (default 0.5 %).

    Returns
    -------
    DataFrame, one row per printed number: quantity (e.g. 'BDNF control pre mean',
    'BDNF time F'), table (table3 | anova | table2), outcome (or baseline variable), arm, time,
    effect, statistic (n | mean | sd | F | p | pes), printed (as the paper prints it), reported
    (its value), decimals (printed decimals), reproduced (unrounded), difference (reproduced −
    reported), verdict (match | differs | missing: not in our results) and rule (the rule applied).

    Rules: n, means and SDs match when the reproduced value rounded half away from zero to the
    printed decimals is the printed value; F when within ``f_rel_tol`` relative (or equal at the
    printed precision); p when it prints as the printed p (see :func:`p_accepts`); partial η²
    when rounded *or truncated* it is the printed value.
    """
    rows: list[dict] = []
    desc = descriptives.set_index(["outcome", "arm", "time"])
    aov = anova.set_index(["outcome", "effect"])
    arms = _arms(published)

    def add(table, outcome, arm, time, effect, statistic, printed_value, decimals, reproduced, rule_kind):
        reported = _number(printed_value)
        row = {
            "quantity": " ".join(str(x) for x in (outcome, arm, time, effect, statistic) if x),
            "table": table,
            "outcome": outcome,
            "arm": arm,
            "time": time,
            "effect": effect,
            "statistic": statistic,
            "printed": _as_printed(printed_value, decimals),
            "reported": reported,
            "decimals": decimals,
            "reproduced": reproduced,
            "difference": reproduced - reported if reproduced is not None else math.nan,
        }
        if reproduced is None or (isinstance(reproduced, float) and math.isnan(reproduced)):
            row |= {"reproduced": math.nan, "verdict": "missing", "rule": "not in the results tables"}
        else:
            ok, rule = _compare_rule(rule_kind, printed_value, reported, decimals, float(reproduced), f_rel_tol)
            row |= {"verdict": "match" if ok else "differs", "rule": rule}
        rows.append(row)

    def look(frame, key, column):
        return float(frame.loc[key, column]) if key in frame.index else None

    for outcome, arm, time, mean, sd, md, sdd in _table3_cells(published):
        key = (outcome, arm, time)
        if arm in arms:
            add("table3", outcome, arm, time, "", "n", arms[arm], 0, look(desc, key, "n"), "value")
        add("table3", outcome, arm, time, "", "mean", mean, md, look(desc, key, "mean"), "value")
        add("table3", outcome, arm, time, "", "sd", sd, sdd, look(desc, key, "sd"), "value")

    for outcome, effect, entry, _df1, _df2, fd, ed in _anova_entries(published):
        key = (outcome, effect)
        add("anova", outcome, "", "", effect, "F", entry["F"], fd, look(aov, key, "F"), "F")
        if "p" in entry:
            add("anova", outcome, "", "", effect, "p", entry["p"], read_p(entry["p"])[2], look(aov, key, "p"), "p")
        if "eta2" in entry:
            add("anova", outcome, "", "", effect, "pes", entry["eta2"], ed, look(aov, key, "pes"), "pes")

    if baseline is not None:
        base = baseline.set_index(["variable", "arm"])
        for variable, arm, mean, sd, md, sdd in _table2_cells(published):
            key = (variable, arm)
            n_printed = published["table2_baseline"][arm].get("n")
            if n_printed is not None:
                add("table2", variable, arm, "", "", "n", n_printed, 0, look(base, key, "n"), "value")
            add("table2", variable, arm, "", "", "mean", mean, md, look(base, key, "mean"), "value")
            add("table2", variable, arm, "", "", "sd", sd, sdd, look(base, key, "sd"), "value")
    if baseline_tests is not None:
        printed_p = published.get("table2_baseline", {}).get("independent_t_p", {})
        student = baseline_tests[baseline_tests["test"] == "student"].set_index("variable")
        p_dec = column_decimals(list(printed_p.values()))
        for (variable, p), d in zip(printed_p.items(), p_dec, strict=True):
            add("table2", variable, "", "", "Student t", "p", p, d, look(student, variable, "p"), "p")

    return pd.DataFrame(rows, columns=COMPARE_COLUMNS)


def _compare_rule(kind, printed_value, reported, decimals, reproduced, f_rel_tol) -> tuple[bool, str]:
    if kind == "value":
        return (prints_as(reproduced, reported, decimals), f"rounded half away from zero to {decimals} decimals")
    if kind == "F":
        close = abs(reproduced - reported) <= f_rel_tol * abs(reported)
        return (
            close or prints_as(reproduced, reported, decimals),
            f"within {f_rel_tol:.2%} relative, or equal at {decimals} decimals",
        )
    if kind == "p":
        ok, reading = p_accepts(printed_value, reproduced, reproduced, decimals)
        return ok, f"printed p read as {reading}"
    ok = prints_as(reproduced, reported, decimals, PES_CONVENTIONS)
    return ok, f"rounded or truncated to {decimals} decimals"


# --- 2. printed vs printed ------------------------------------------------------------------------


def f_from_summary(effect: str, means: dict, sds: dict, n: dict, r: dict | float) -> float:
    """F(1, N − 2) of a 2 × 2 mixed ANOVA from per-arm (pre, post) means, SDs, n and within-arm r.

    ``group`` is t² of Student's t on the subject means: mean (m_pre + m_post)/2, SD
    √(s_pre² + s_post² + 2 r s_pre s_post)/2. ``interaction`` is t² on the change scores: mean
    m_post − m_pre, SD √(s_pre² + s_post² − 2 r s_pre s_post). ``time`` tests the unweighted mean
    of the arms' mean changes against the same pooled change variance (Type III, as
    :func:`trialflow.stats.anova.mixed_anova`). With the sample correlation of each arm this
    is exactly the ANOVA's F.

    Parameters
    ----------
    means, sds : {arm: (pre, post)} for the two arms; n : {arm: n}; r : {arm: r} or one r for both.
    """
    arms = list(means)
    rs = r if isinstance(r, dict) else dict.fromkeys(arms, r)
    contrast, scale = _effect_parts(effect)
    var = {a: scale**2 * (sds[a][0] ** 2 + sds[a][1] ** 2 + 2 * contrast * rs[a] * sds[a][0] * sds[a][1]) for a in arms}
    pooled = sum((n[a] - 1) * var[a] for a in arms) / (sum(n.values()) - len(arms))
    level = _effect_level(effect, means, arms)
    factor = _se_factor(effect, n, arms)
    return level**2 / (pooled * factor) if pooled > 0 else math.inf


def _effect_parts(effect: str) -> tuple[int, float]:
    """(sign of the covariance term, scale) of the per-subject quantity an effect tests."""
    return (1, 0.5) if effect == "group" else (-1, 1.0)


def _effect_level(effect: str, means: dict, arms: list[str]) -> float:
    a, b = arms
    if effect == "group":
        return (means[a][0] + means[a][1]) / 2 - (means[b][0] + means[b][1]) / 2
    change = {x: means[x][1] - means[x][0] for x in arms}
    return change[a] - change[b] if effect == "interaction" else (change[a] + change[b]) / 2


def _se_factor(effect: str, n: dict, arms: list[str]) -> float:
    inverse = sum(1 / n[a] for a in arms)
    return inverse / 4 if effect == "time" else inverse


def attainable_f(
    effect: str, means: dict, sds: dict, n: dict, mean_decimals: dict | None = None, sd_decimals: dict | None = None
) -> tuple[float, float]:
    """The range of F a 2 × 2 mixed ANOVA can give for ``effect`` from rounded means and SDs.

    The within-subject correlation r of each arm is unknown, anywhere in [−1, 1]; F is monotone
    in the pooled variance, which is linear in each r, so the extremes are at r = ±1 (group:
    largest F at r = −1; time and interaction: at r = +1). The printed means and SDs are
    themselves rounded: the range allows every value that prints as them (half a unit of the last
    printed place, given per arm as {arm: (pre decimals, post decimals)}; None = exact).

    Returns
    -------
    (lowest F, highest F); the highest is inf when a pooled SD can be zero.
    """
    arms = list(means)
    half_m = {a: [0.5 * 10.0**-d for d in mean_decimals[a]] if mean_decimals else [0.0, 0.0] for a in arms}
    half_s = {a: [0.5 * 10.0**-d for d in sd_decimals[a]] if sd_decimals else [0.0, 0.0] for a in arms}
    _, scale = _effect_parts(effect)
    weights = {"group": 0.5, "interaction": 1.0, "time": 0.5}[effect]
    slack = weights * sum(sum(half_m[a]) for a in arms)
    level = abs(_effect_level(effect, means, arms))
    small = {a: scale * max(0.0, abs(sds[a][0] - sds[a][1]) - sum(half_s[a])) for a in arms}
    large = {a: scale * (sds[a][0] + sds[a][1] + sum(half_s[a])) for a in arms}
    df = sum(n.values()) - len(arms)
    factor = _se_factor(effect, n, arms)

    def f_at(level_value, sd):
        pooled = sum((n[a] - 1) * sd[a] ** 2 for a in arms) / df
        return level_value**2 / (pooled * factor) if pooled > 0 else math.inf

    return f_at(max(0.0, level - slack), large), f_at(level + slack, small)


def implied_r(effect: str, means: dict, sds: dict, n: dict, F: float) -> float:
    """The within-subject correlation (same in both arms) at which the summaries give ``F``."""
    arms = list(means)
    contrast, scale = _effect_parts(effect)
    df = sum(n.values()) - len(arms)
    target = _effect_level(effect, means, arms) ** 2 / (F * _se_factor(effect, n, arms)) * df
    constant = sum((n[a] - 1) * scale**2 * (sds[a][0] ** 2 + sds[a][1] ** 2) for a in arms)
    slope = sum((n[a] - 1) * scale**2 * 2 * contrast * sds[a][0] * sds[a][1] for a in arms)
    return (target - constant) / slope if slope else math.nan


def _f_interval(F: float, decimals: int) -> tuple[float, float]:
    half = 0.5 * 10.0**-decimals
    return max(0.0, F - half), F + half


def _pes(F: float, df1: float, df2: float) -> float:
    return F * df1 / (F * df1 + df2)


def _df_text(df1: float, df2: float) -> str:
    return f"F({df1:g}, {df2:g})"


def check_internal_consistency(published: dict) -> pd.DataFrame:
    """Do the printed ANOVA results agree with each other and with the printed means and SDs?

    For every printed effect of every outcome:

    * ``p from F``: p recomputed from F and df (df from the design: arms, n, time points);
      consistent when some F that prints as the printed F gives a p that can print as the
      printed p (:func:`p_accepts`: ``0.0001``/``0.001`` are read as upper bounds).
    * ``partial eta squared from F``: pes = F·df1 / (F·df1 + df2); consistent when it prints as
      the printed η² rounded *or truncated* to the printed decimals. When two effects of one
      outcome are inconsistent and swapping their printed η² makes both consistent, the
      explanation says they look swapped.
    * ``F attainable from means and SDs`` (2 arms × 2 time points only): the range of F the
      printed means, SDs and n allow over every within-subject correlation in [−1, 1]
      (:func:`attainable_f`); outside it the F is ``unattainable``.

    Returns
    -------
    DataFrame, one row per check: outcome, effect, check, printed (as printed), reported (its
    value), recomputed (p or pes at the printed F; for attainability the attainable F nearest
    the printed one), recomputed_low, recomputed_high (the range: from F's rounding for p and
    pes, the attainable range for F), verdict (consistent | inconsistent | unattainable) and
    explanation in words.
    """
    rows: list[dict] = []
    summaries = _two_by_two_summaries(published)
    for outcome, effect, entry, df1, df2, f_dec, pes_dec in _anova_entries(published):
        F = _number(entry["F"])
        f_lo, f_hi = _f_interval(F, f_dec)
        f_text = f"{_df_text(df1, df2)} = {_as_printed(entry['F'], f_dec)}"
        base = {"outcome": outcome, "effect": effect}
        if "p" in entry:
            rows.append(base | _check_p(entry["p"], F, f_lo, f_hi, df1, df2, f_text))
        if "eta2" in entry:
            rows.append(base | _check_pes(entry["eta2"], pes_dec, F, f_lo, f_hi, df1, df2, f_text))
        if outcome in summaries and effect in ("group", "time", "interaction"):
            rows.append(base | _check_attainable(effect, summaries[outcome], entry["F"], f_dec, f_lo, f_hi))
    frame = pd.DataFrame(rows, columns=CHECK_COLUMNS)
    return _explain_swaps(frame)


def _check_p(printed, F, f_lo, f_hi, df1, df2, f_text) -> dict:
    p = float(stats.f.sf(F, df1, df2))
    low, high = float(stats.f.sf(f_hi, df1, df2)), float(stats.f.sf(f_lo, df1, df2))
    ok, reading = p_accepts(printed, low, high)
    relation, value, _ = read_p(printed)
    text = f"{f_text} gives p = {p:.3g}"
    if ok:
        explanation = f"{text}; the printed {_as_printed(printed)} is {reading}."
    else:
        explanation = (
            f"{text} (p from {low:.3g} to {high:.3g} for every F that prints as the printed one); "
            f"the printed {_as_printed(printed)}, read as {reading}, cannot come from it."
        )
        if relation == "=" and (value < 0.05) != (p < 0.05):
            explanation += " The two fall on different sides of 0.05."
    return {
        "check": CHECK_P,
        "printed": _as_printed(printed),
        "reported": value,
        "recomputed": p,
        "recomputed_low": low,
        "recomputed_high": high,
        "verdict": "consistent" if ok else "inconsistent",
        "explanation": explanation,
    }


def _check_pes(printed, decimals, F, f_lo, f_hi, df1, df2, f_text) -> dict:
    reported = _number(printed)
    pes, low, high = _pes(F, df1, df2), _pes(f_lo, df1, df2), _pes(f_hi, df1, df2)
    ok = _overlap((low, high), _printing_interval(reported, decimals, PES_CONVENTIONS))
    rounded, truncated = shorten(pes, decimals, "round"), shorten(pes, decimals, "truncate")
    shown = _as_printed(printed, decimals)
    text = f"{f_text} gives partial η² = F·df1/(F·df1 + df2) = {pes:.4f}"
    if not ok:
        explanation = f"{text} ({rounded} rounded, {truncated} truncated), not the printed {shown}."
    elif _overlap((low, high), _printing_interval(reported, decimals, ("round",))):
        explanation = f"{text}, which rounds to the printed {shown}."
    else:
        explanation = f"{text}; the printed {shown} is this value truncated (rounded it would be {rounded})."
    return {
        "check": CHECK_PES,
        "printed": shown,
        "reported": reported,
        "recomputed": pes,
        "recomputed_low": low,
        "recomputed_high": high,
        "verdict": "consistent" if ok else "inconsistent",
        "explanation": explanation,
    }


def _two_by_two_summaries(published: dict) -> dict[str, dict]:
    """Per outcome: means, sds, decimals and n of a 2 arms × 2 time points Table 3, if that is the design."""
    arms, times = _arms(published), _times(published)
    out = {}
    if len(arms) != 2 or len(times) != 2:
        return out
    cells: dict[str, dict] = {}
    for outcome, arm, time, mean, sd, md, sdd in _table3_cells(published):
        cells.setdefault(outcome, {})[(arm, time)] = (_number(mean), _number(sd), md, sdd)
    for outcome, cell in cells.items():
        if not all((a, t) in cell for a in arms for t in times):
            continue
        out[outcome] = {
            "means": {a: tuple(cell[(a, t)][0] for t in times) for a in arms},
            "sds": {a: tuple(cell[(a, t)][1] for t in times) for a in arms},
            "mean_decimals": {a: tuple(cell[(a, t)][2] for t in times) for a in arms},
            "sd_decimals": {a: tuple(cell[(a, t)][3] for t in times) for a in arms},
            "n": dict(arms),
            "times": times,
        }
    return out


def _check_attainable(effect, summary, printed, f_dec, f_lo, f_hi) -> dict:
    low, high = attainable_f(
        effect, summary["means"], summary["sds"], summary["n"], summary["mean_decimals"], summary["sd_decimals"]
    )
    F = _number(printed)
    ok = _overlap((f_lo, f_hi), (low, high))
    nearest = min(max(F, low), high)
    ns = ", ".join(str(v) for v in summary["n"].values())
    extreme = {"group": ("+1", "−1"), "time": ("−1", "+1"), "interaction": ("−1", "+1")}[effect]
    first, second = summary["times"]
    what = (
        f"the subject means ({first} + {second})/2" if effect == "group" else f"the change scores ({second} − {first})"
    )
    span = (
        f"The printed means and SDs (n = {ns}) allow {effect} F values only from {low:.2f} "
        f"(within-subject correlation r = {extreme[0]} in both arms) to {high:.2f} (r = {extreme[1]}), "
        f"allowing for their rounding; the F is t² on {what}"
    )
    shown = _as_printed(printed, f_dec)
    if ok:
        r = implied_r(effect, summary["means"], summary["sds"], summary["n"], F)
        at = (
            f"r = {r:.3f} in both arms gives it".replace("-", "−")
            if -1 <= r <= 1
            else "only thanks to the rounding of the means and SDs"
        )
        explanation = f"{span}. The printed {shown} lies inside ({at})."
    else:
        side = "above the largest" if F > high else "below the smallest"
        explanation = (
            f"{span}. The printed {shown} is {side} possible value: "
            "these means and SDs cannot give it, whatever the correlation."
        )
    return {
        "check": CHECK_F,
        "printed": shown,
        "reported": F,
        "recomputed": nearest,
        "recomputed_low": low,
        "recomputed_high": high,
        "verdict": "consistent" if ok else "unattainable",
        "explanation": explanation,
    }


def _explain_swaps(frame: pd.DataFrame) -> pd.DataFrame:
    """Say so when swapping the printed η² of two inconsistent effects makes both consistent."""
    frame = frame.copy()
    bad = frame[(frame["check"] == CHECK_PES) & (frame["verdict"] == "inconsistent")]
    for _, rows in bad.groupby("outcome", sort=False):
        for i, j in combinations(rows.index, 2):
            a, b = frame.loc[i], frame.loc[j]
            decimals = printed_decimals(a["printed"])

            def fits(printed, row, d=decimals):
                return _overlap(
                    (row["recomputed_low"], row["recomputed_high"]), _printing_interval(printed, d, PES_CONVENTIONS)
                )

            if fits(a["reported"], b) and fits(b["reported"], a):
                note = (
                    f" The printed η² of {a['effect']} ({a['printed']}) and {b['effect']} ({b['printed']}) "
                    "look swapped: exchanged, both agree with their F."
                )
                frame.loc[i, "explanation"] += note
                frame.loc[j, "explanation"] += note
    return frame


def check_baseline_tests(published: dict) -> pd.DataFrame:
    """Printed baseline t-test p values against the printed Table 2 means, SDs and n.

    Student's t (pooled variance, two-sided, df = n1 + n2 − 2) between the two arms; the range
    of p covers every mean and SD that prints as the printed ones. Consistent when that range
    meets the values the printed p stands for (:func:`p_accepts`).

    Returns
    -------
    DataFrame with the columns of :func:`check_internal_consistency`; outcome is the baseline
    variable, effect 'arm', check 'p from means and SDs (Student t)'.
    """
    table = published.get("table2_baseline", {})
    printed_p = table.get("independent_t_p", {})
    cells: dict[str, dict] = {}
    for variable, arm, mean, sd, md, sdd in _table2_cells(published):
        cells.setdefault(variable, {})[arm] = (_number(mean), _number(sd), md, sdd, int(table[arm]["n"]))
    p_dec = column_decimals(list(printed_p.values()))
    rows = []
    for (variable, printed), d in zip(printed_p.items(), p_dec, strict=True):
        arms = list(cells.get(variable, {}))
        if len(arms) != 2:
            continue
        (m1, s1, md1, sd1, n1), (m2, s2, md2, sd2, n2) = (cells[variable][a] for a in arms)
        slack_m = 0.5 * (10.0**-md1 + 10.0**-md2)
        df = n1 + n2 - 2

        def t_of(diff, sa, sb, n1=n1, n2=n2, df=df):
            pooled = ((n1 - 1) * sa**2 + (n2 - 1) * sb**2) / df
            return diff / math.sqrt(pooled * (1 / n1 + 1 / n2)) if pooled > 0 else math.inf

        t = t_of(abs(m1 - m2), s1, s2)
        t_high = t_of(abs(m1 - m2) + slack_m, max(0.0, s1 - 0.5 * 10.0**-sd1), max(0.0, s2 - 0.5 * 10.0**-sd2))
        t_low = t_of(max(0.0, abs(m1 - m2) - slack_m), s1 + 0.5 * 10.0**-sd1, s2 + 0.5 * 10.0**-sd2)
        p, low, high = (float(2 * stats.t.sf(x, df)) for x in (t, t_high, t_low))
        ok, reading = p_accepts(printed, low, high, d)
        shown = _as_printed(printed, d)
        text = (
            f"Student's t({df}) = {t:.3f} from the printed means and SDs gives p = {p:.3f} "
            f"(from {low:.3f} to {high:.3f} over the values that print as them)"
        )
        explanation = (
            f"{text}; the printed {shown} is {reading}."
            if ok
            else f"{text}; the printed {shown} cannot come from them."
        )
        rows.append(
            {
                "outcome": variable,
                "effect": "arm",
                "check": CHECK_T,
                "printed": shown,
                "reported": _number(printed),
                "recomputed": p,
                "recomputed_low": low,
                "recomputed_high": high,
                "verdict": "consistent" if ok else "inconsistent",
                "explanation": explanation,
            }
        )
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)
