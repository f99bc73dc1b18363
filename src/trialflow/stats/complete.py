"""Which participants a repeated-measures analysis can use: those with a value at every time point.

Kept apart from the ANOVA (and scipy) so the validation gate can predict the exclusions
without paying for the statistics imports.
"""

from __future__ import annotations

import pandas as pd


def complete_cases(
    data: pd.DataFrame, dv: str, within: str, subject: str, levels: list[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``data`` into subjects with a value at every time point and those without.

    Parameters
    ----------
    levels : the time points a subject must have (default: every level present in data).

    Returns
    -------
    complete : the rows of subjects with a non-missing ``dv`` at every level.
    excluded : one row per other subject: ``subject`` column, ``missing`` (the levels
        without a value, ';'-joined) and ``reason`` in words.
    """
    levels = list(levels) if levels is not None else list(pd.unique(data[within]))
    valued = data.dropna(subset=[dv])
    # Every subject, also one without any value (an all-False row): excluded, not kept.
    subjects = pd.Index(pd.unique(data[subject])).sort_values()
    present = valued.groupby([subject, within]).size().unstack(within).reindex(index=subjects, columns=levels).notna()
    gaps = present[~present.all(axis=1)]
    rows = []
    for sid, row in zip(gaps.index, gaps.to_numpy(), strict=True):
        missing = [lev for lev, have in zip(levels, row, strict=True) if not have]
        rows.append({subject: sid, "missing": ";".join(missing), "reason": f"no value at {', '.join(missing)}"})
    excluded = pd.DataFrame(rows, columns=[subject, "missing", "reason"])
    keep = data[~data[subject].isin(excluded[subject]) & data[within].isin(levels)]
    return keep, excluded
