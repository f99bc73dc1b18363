"""Number formats for the report, registered as Jinja filters (templates never format numbers)."""

from __future__ import annotations

import math


def fixed(value: float, decimals: int) -> str:
    """Round half away from zero as SPSS and journals print (Python's round() is half-even)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    q = 10**decimals
    rounded = math.floor(abs(value) * q + 0.5 + 1e-9) / q
    return f"{math.copysign(rounded, value) if rounded else 0.0:.{decimals}f}"


def mean_sd(mean: float, sd: float, decimals: int) -> str:
    return f"{fixed(mean, decimals)} ± {fixed(sd, decimals)}"


def p_value(p: float, style: str, capital: bool = True) -> str:
    """p in the configured style.

    published: ``P=0.0123`` (3 decimals from 0.001, 4 below), ``P<0.0001`` below 0.0001 — the
    paper prints SPSS's ".000" as "0.0001"; we write "<" because the value is smaller.
    apa: ``p = .012``, ``p < .001``.
    """
    if p is None or math.isnan(p):
        return "–"
    if style == "apa":
        if p < 0.001:
            return "p < .001"
        return "p = " + fixed(p, 3).lstrip("0")
    letter = "P" if capital else "p"
    if p < 0.0001:
        return f"{letter}<0.0001"
    return f"{letter}={fixed(p, 4 if p < 0.001 else 3)}"


def statistic(value: float, decimals: int = 2) -> str:
    return fixed(value, decimals)


def df_value(df: float) -> str:
    """Degrees of freedom: whole numbers without decimals, corrected ones with two."""
    return str(int(round(df))) if abs(df - round(df)) < 1e-9 else fixed(df, 2)


NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def count_word(n: int) -> str:
    """A count in running text as journals write it: words up to ten, digits above ("three groups", "12 groups")."""
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


def and_join(items) -> str:
    """Items as a list in running text: "a", "a and b", "a, b and c"."""
    items = [str(i) for i in items]
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
