"""Printed vs printed: do the paper's numbers agree with each other?

:func:`check_internal_consistency`: p and partial η² recomputed from each F and its df, and
whether a printed F can arise at all from the printed means and SDs (:func:`attainable_f`);
:func:`check_baseline_tests`: the baseline t-test p from Table 2's means and SDs.
"""

from __future__ import annotations

import math
from itertools import combinations

import pandas as pd
from scipy import stats

from trialflow.published.printed import (
    PES_CONVENTIONS,
    anova_entries,
    as_printed,
    column_decimals,
    design_arms,
    design_times,
    overlap,
    p_accepts,
    printed_decimals,
    printed_number,
    printing_interval,
    read_p,
    shorten,
    table2_cells,
    table3_cells,
)

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
    for outcome, effect, entry, df1, df2, f_dec, pes_dec in anova_entries(published):
        F = printed_number(entry["F"])
        f_lo, f_hi = _f_interval(F, f_dec)
        f_text = f"{_df_text(df1, df2)} = {as_printed(entry['F'], f_dec)}"
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
        explanation = f"{text}; the printed {as_printed(printed)} is {reading}."
    else:
        explanation = (
            f"{text} (p from {low:.3g} to {high:.3g} for every F that prints as the printed one); "
            f"the printed {as_printed(printed)}, read as {reading}, cannot come from it."
        )
        if relation == "=" and (value < 0.05) != (p < 0.05):
            explanation += " The two fall on different sides of 0.05."
    return {
        "check": CHECK_P,
        "printed": as_printed(printed),
        "reported": value,
        "recomputed": p,
        "recomputed_low": low,
        "recomputed_high": high,
        "verdict": "consistent" if ok else "inconsistent",
        "explanation": explanation,
    }


def _check_pes(printed, decimals, F, f_lo, f_hi, df1, df2, f_text) -> dict:
    reported = printed_number(printed)
    pes, low, high = _pes(F, df1, df2), _pes(f_lo, df1, df2), _pes(f_hi, df1, df2)
    ok = overlap((low, high), printing_interval(reported, decimals, PES_CONVENTIONS))
    rounded, truncated = shorten(pes, decimals, "round"), shorten(pes, decimals, "truncate")
    shown = as_printed(printed, decimals)
    text = f"{f_text} gives partial η² = F·df1/(F·df1 + df2) = {pes:.4f}"
    if not ok:
        explanation = f"{text} ({rounded} rounded, {truncated} truncated), not the printed {shown}."
    elif overlap((low, high), printing_interval(reported, decimals, ("round",))):
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
    arms, times = design_arms(published), design_times(published)
    out = {}
    if len(arms) != 2 or len(times) != 2:
        return out
    cells: dict[str, dict] = {}
    for outcome, arm, time, mean, sd, md, sdd in table3_cells(published):
        cells.setdefault(outcome, {})[(arm, time)] = (printed_number(mean), printed_number(sd), md, sdd)
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
    F = printed_number(printed)
    ok = overlap((f_lo, f_hi), (low, high))
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
    shown = as_printed(printed, f_dec)
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
                return overlap(
                    (row["recomputed_low"], row["recomputed_high"]), printing_interval(printed, d, PES_CONVENTIONS)
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
    for variable, arm, mean, sd, md, sdd in table2_cells(published):
        cells.setdefault(variable, {})[arm] = (printed_number(mean), printed_number(sd), md, sdd, int(table[arm]["n"]))
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
        shown = as_printed(printed, d)
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
                "reported": printed_number(printed),
                "recomputed": p,
                "recomputed_low": low,
                "recomputed_high": high,
                "verdict": "consistent" if ok else "inconsistent",
                "explanation": explanation,
            }
        )
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)
