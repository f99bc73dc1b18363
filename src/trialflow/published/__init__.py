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

:mod:`~trialflow.published.printed` reads printed numbers and the published dict;
:mod:`~trialflow.published.compare` answers the first question and
:mod:`~trialflow.published.consistency` the second.
"""

from trialflow.published.compare import COMPARE_COLUMNS, F_REL_TOL, compare_reported
from trialflow.published.consistency import (
    CHECK_COLUMNS,
    CHECK_F,
    CHECK_P,
    CHECK_PES,
    CHECK_T,
    attainable_f,
    check_baseline_tests,
    check_internal_consistency,
    f_from_summary,
    implied_r,
)
from trialflow.published.printed import (
    MEAN_SD_CONVENTIONS,
    PES_CONVENTIONS,
    anova_df,
    column_decimals,
    p_accepts,
    printed_decimals,
    prints_as,
    read_p,
    shorten,
)

__all__ = [
    "CHECK_COLUMNS",
    "CHECK_F",
    "CHECK_P",
    "CHECK_PES",
    "CHECK_T",
    "COMPARE_COLUMNS",
    "F_REL_TOL",
    "MEAN_SD_CONVENTIONS",
    "PES_CONVENTIONS",
    "anova_df",
    "attainable_f",
    "check_baseline_tests",
    "check_internal_consistency",
    "column_decimals",
    "compare_reported",
    "f_from_summary",
    "implied_r",
    "p_accepts",
    "printed_decimals",
    "prints_as",
    "read_p",
    "shorten",
]
