"""Printed numbers: their decimals, how they were shortened, printed p values, and the
paper's tables as the published dict holds them.

A printed value stands for every value that prints as it (:func:`prints_as`,
:func:`printing_interval`); a printed p may be a bound (:func:`p_accepts`). The published dict
has the layout of ``tests/data/published.yaml`` (keys ``design``, ``table2_baseline``,
``table3_outcomes``, ``anova``); :func:`table3_cells`, :func:`table2_cells` and
:func:`anova_entries` walk it in printed order, with each value's printed decimals.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

PES_CONVENTIONS = ("round", "truncate")  # how a printed partial η² may have been shortened
MEAN_SD_CONVENTIONS = ("round",)
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


def printed_number(value) -> float:
    """The value of a printed number (a p as ``"<.001"`` gives 0.001)."""
    if isinstance(value, str):
        match = _P_TEXT.match(value)
        if not match:
            raise ValueError(f"not a printed number: {value!r}")
        return float(match.group(2))
    return float(value)


def as_printed(value, decimals: int | None = None) -> str:
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


def printing_interval(printed: float, decimals: int, conventions) -> tuple[float, float]:
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


def overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether two closed intervals meet."""
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
    return overlap((low, high), (value - half, value + half)), f"p rounded to {d} decimals"


# --- the published dict ---------------------------------------------------------------------------


def design_arms(published: dict) -> dict[str, int]:
    """The arms of the design with their n, in published order."""
    return {str(k): int(v) for k, v in published.get("design", {}).get("arms", {}).items()}


def design_times(published: dict) -> list[str]:
    """The time points of the design, in published order."""
    return [str(t) for t in published.get("design", {}).get("time_points", [])]


def anova_df(published: dict, effect: str) -> tuple[float, float]:
    """df of an effect of the mixed ANOVA from the design (arms with their n, time points).

    An ``anova`` entry may give ``df1``/``df2`` itself; they win.
    """
    arms, k = design_arms(published), len(design_times(published))
    a, n_total = len(arms), sum(arms.values())
    if a < 2 or k < 2:
        raise ValueError("published['design'] needs 'arms' (with n) and 'time_points' to give the df")
    return {
        "group": (a - 1, n_total - a),
        "time": (k - 1, (n_total - a) * (k - 1)),
        "interaction": ((a - 1) * (k - 1), (n_total - a) * (k - 1)),
    }[effect]


def anova_entries(published: dict):
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


def table3_cells(published: dict):
    """(outcome, arm, time, mean, sd, mean decimals, sd decimals) in published order."""
    for outcome, arms in published.get("table3_outcomes", {}).items():
        cells = [(arm, time, ms[0], ms[1]) for arm, times in arms.items() for time, ms in times.items()]
        dec = column_decimals([v for *_, m, s in cells for v in (m, s)])
        for i, (arm, time, mean, sd) in enumerate(cells):
            yield str(outcome), str(arm), str(time), mean, sd, dec[2 * i], dec[2 * i + 1]


def table2_cells(published: dict):
    """(variable, arm, mean, sd, mean decimals, sd decimals) in published order."""
    table = published.get("table2_baseline", {})
    arms = [a for a in table if isinstance(table[a], dict) and a != "independent_t_p"]
    variables = list(dict.fromkeys(v for a in arms for v, ms in table[a].items() if isinstance(ms, list)))
    for variable in variables:
        cells = [(arm, *table[arm][variable]) for arm in arms if variable in table[arm]]
        dec = column_decimals([v for _, m, s in cells for v in (m, s)])
        for i, (arm, mean, sd) in enumerate(cells):
            yield variable, arm, mean, sd, dec[2 * i], dec[2 * i + 1]
