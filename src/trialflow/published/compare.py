"""Printed vs reproduced: every number the paper prints next to the one our results give."""

from __future__ import annotations

import math

import pandas as pd

from trialflow.published.printed import (
    PES_CONVENTIONS,
    anova_entries,
    as_printed,
    column_decimals,
    design_arms,
    p_accepts,
    printed_number,
    prints_as,
    read_p,
    table2_cells,
    table3_cells,
)

F_REL_TOL = 0.005  # default relative tolerance of a reproduced F (0.5 %)
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
    arms = design_arms(published)

    def add(table, outcome, arm, time, effect, statistic, printed_value, decimals, reproduced, rule_kind):
        reported = printed_number(printed_value)
        row = {
            "quantity": " ".join(str(x) for x in (outcome, arm, time, effect, statistic) if x),
            "table": table,
            "outcome": outcome,
            "arm": arm,
            "time": time,
            "effect": effect,
            "statistic": statistic,
            "printed": as_printed(printed_value, decimals),
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

    for outcome, arm, time, mean, sd, md, sdd in table3_cells(published):
        key = (outcome, arm, time)
        if arm in arms:
            add("table3", outcome, arm, time, "", "n", arms[arm], 0, look(desc, key, "n"), "value")
        add("table3", outcome, arm, time, "", "mean", mean, md, look(desc, key, "mean"), "value")
        add("table3", outcome, arm, time, "", "sd", sd, sdd, look(desc, key, "sd"), "value")

    for outcome, effect, entry, _df1, _df2, fd, ed in anova_entries(published):
        key = (outcome, effect)
        add("anova", outcome, "", "", effect, "F", entry["F"], fd, look(aov, key, "F"), "F")
        if "p" in entry:
            add("anova", outcome, "", "", effect, "p", entry["p"], read_p(entry["p"])[2], look(aov, key, "p"), "p")
        if "eta2" in entry:
            add("anova", outcome, "", "", effect, "pes", entry["eta2"], ed, look(aov, key, "pes"), "pes")

    if baseline is not None:
        base = baseline.set_index(["variable", "arm"])
        for variable, arm, mean, sd, md, sdd in table2_cells(published):
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
