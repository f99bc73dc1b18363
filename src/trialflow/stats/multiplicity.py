"""Multiplicity adjustment across the hypotheses of a family (one p value per outcome).

The stepwise methods are those of R's ``p.adjust`` and return its adjusted p values:

* ``bonferroni``: min(1, m p);
* ``holm``: step-down Bonferroni (Holm 1979);
* ``hochberg``: step-up (Hochberg 1988; valid under independence or positive dependence);
* ``hommel``: the closed Simes procedure (Hommel 1988; the same validity as Hochberg, never less powerful);
* ``bh``: Benjamini–Hochberg (1995), controlling the false discovery rate rather than the
  familywise error rate (for panels of exploratory biomarkers).

``fixed_sequence``: hypotheses tested in a pre-specified order at the full level until the first
non-rejection; the adjusted p of the i-th is max(p_1, ..., p_i) (Westfall & Krishen 2001).

``graphical``: the sequentially rejective Bonferroni-based graphical procedure of Bretz et al.
(2009, Statistics in Medicine 28:586–604), with initial weights w (sum ≤ 1) and a transition
matrix G (g_ii = 0, rows sum ≤ 1): Holm, fixed-sequence, fallback and gatekeeping procedures are
special cases. Adjusted p values follow their Algorithm 2 (p. 592): repeatedly take the remaining
hypothesis with the smallest p_j / w_j, its adjusted p is the running maximum of these ratios
(capped at 1), remove it and pass its weight on along G, updating G.

A hypothesis is rejected at level α when its adjusted p ≤ α (for every method here this is the
decision of the procedure itself). A hypothesis whose p is undefined (NaN: the test is not
defined on the data) stays in its family as never rejected: it is adjusted as p = 1, so the
others are not adjusted over a smaller family than the one pre-specified, and its own adjusted
p is NaN with a note.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trialflow.analysis_plan import MMRM_TESTS, graph_problems

STEPWISE = ("bonferroni", "holm", "hochberg", "hommel", "bh")
METHODS = (*STEPWISE, "fixed_sequence", "graphical")
METHOD_NAMES = {
    "bonferroni": "Bonferroni",
    "holm": "Holm",
    "hochberg": "Hochberg",
    "hommel": "Hommel",
    "bh": "Benjamini–Hochberg (false discovery rate)",
    "fixed_sequence": "fixed-sequence",
    "graphical": "graphical (Bretz et al. 2009)",
}
COLUMNS = ["family", "outcome", "effect", "p", "p_adjusted", "method", "alpha", "rejected", "note"]
UNDEFINED = "p undefined (the test is not defined on the data): counted in the family as not rejected"
# An adjusted p that exceeds α by floating-point error only (e.g. 0.01875 / 0.75) is rejected,
# as graphicalMCP does (its test "adjusted p that exceeds alpha by floating point diff is rejected").
REJECT_TOLERANCE = 1e-12


def adjust_p(p: np.ndarray, method: str) -> np.ndarray:
    """Adjusted p values of ``p`` by a stepwise ``method`` (see :data:`STEPWISE`), as R's
    ``p.adjust(p, method)`` with ``bh`` for its "BH"; ``p`` must have no NaN."""
    p = np.asarray(p, dtype=float)
    n = len(p)
    if n == 0:
        return p.copy()
    if np.isnan(p).any():
        raise ValueError("adjust_p: p values must be defined (NaN found)")
    if method == "bonferroni":
        return np.minimum(1.0, n * p)
    if method == "holm":
        order = np.argsort(p, kind="stable")
        adjusted = np.minimum(1.0, np.maximum.accumulate((n - np.arange(n)) * p[order]))
        return _unsort(adjusted, order)
    if method in ("hochberg", "bh"):
        order = np.argsort(-p, kind="stable")  # decreasing
        i = np.arange(n, 0, -1)  # rank of each from the largest down: n, n-1, ..., 1
        factor = (n + 1 - i) if method == "hochberg" else n / i
        adjusted = np.minimum(1.0, np.minimum.accumulate(factor * p[order]))
        return _unsort(adjusted, order)
    if method == "hommel":
        return _hommel(p)
    raise ValueError(f"unknown stepwise method {method!r}: use one of {', '.join(STEPWISE)}")


def _unsort(values: np.ndarray, order: np.ndarray) -> np.ndarray:
    out = np.empty_like(values)
    out[order] = values
    return out


def _hommel(p: np.ndarray) -> np.ndarray:
    """Hommel's adjusted p values, R's ``p.adjust(method = "hommel")`` algorithm."""
    n = len(p)
    order = np.argsort(p, kind="stable")
    s = p[order]
    i = np.arange(1, n + 1)
    q = np.full(n, np.min(n * s / i))
    pa = q.copy()
    for m in range(n - 1, 1, -1):
        i1 = np.arange(n - m + 1)  # R's seq_len(n - m + 1), 0-based
        i2 = np.arange(n - m + 1, n)  # R's (n - m + 2):n, 0-based
        q1 = np.min(m * s[i2] / np.arange(2, m + 1))
        q[i1] = np.minimum(m * s[i1], q1)
        q[i2] = q[n - m]
        pa = np.maximum(pa, q)
    return _unsort(np.maximum(pa, s), order)


def fixed_sequence_p(p: np.ndarray) -> np.ndarray:
    """Adjusted p values of hypotheses tested in the given order: the running maximum."""
    return np.maximum.accumulate(np.asarray(p, dtype=float)) if len(p) else np.asarray(p, dtype=float)


def graphical_p(p: np.ndarray, weights: np.ndarray, transitions: np.ndarray) -> np.ndarray:
    """Adjusted p values of the Bonferroni-based graphical procedure (Bretz et al. 2009, Algorithm 2).

    Parameters
    ----------
    p : one p value per hypothesis (no NaN).
    weights : initial weights, each in [0, 1], summing to at most 1.
    transitions : m × m transition matrix, entries in [0, 1], zero diagonal, rows summing to at most 1.

    Returns
    -------
    Adjusted p values in the order of ``p``; rejected at α when ≤ α. Hypotheses left when every
    remaining weight is 0 can never be rejected: their adjusted p is 1.
    """
    p = np.asarray(p, dtype=float)
    w = np.asarray(weights, dtype=float).copy()
    g = np.asarray(transitions, dtype=float).copy()
    problems = graph_problems(w.tolist(), g.tolist())
    if problems:
        raise ValueError("not a graph: " + "; ".join(problems))
    m = len(p)
    adjusted = np.ones(m)
    left = list(range(m))
    running = 0.0
    while left:
        ratios = [p[j] / w[j] if w[j] > 0 else np.inf for j in left]
        k = int(np.argmin(ratios))  # the first of ties, as in the hypotheses' order
        if not np.isfinite(ratios[k]):
            break  # every remaining weight is 0: none of them can be rejected
        j = left.pop(k)
        running = max(running, ratios[k])
        adjusted[j] = min(1.0, running)
        # Remove j (Bretz et al. 2009, Algorithm 1, step 2): its weight goes on along G, and the
        # transitions through j are joined into direct ones.
        new_w, new_g = w.copy(), np.zeros_like(g)
        for a in left:
            new_w[a] = w[a] + w[j] * g[j, a]
            for b in left:
                if a == b:
                    continue
                denominator = 1 - g[a, j] * g[j, a]
                new_g[a, b] = (g[a, b] + g[a, j] * g[j, b]) / denominator if denominator > 0 else 0.0
        new_w[j] = 0.0
        w, g = new_w, new_g
    return adjusted


def adjust_family(
    p: pd.DataFrame,
    family: str,
    method: str,
    alpha: float,
    weights: list[float] | None = None,
    transitions: list[list[float]] | None = None,
) -> pd.DataFrame:
    """Adjust one family's p values.

    Parameters
    ----------
    p : the family's hypotheses, in the family's order (the order of a fixed sequence, of the
        graph's weights and transition rows): columns outcome, effect, p (NaN when undefined).
    family : the family's id.
    method : one of :data:`METHODS`.
    alpha : the family's significance level (FWER; false discovery rate for ``bh``).
    weights, transitions : the graph, for ``graphical`` only.

    Returns
    -------
    DataFrame with columns family, outcome, effect, p, p_adjusted, method, alpha, rejected
    (p_adjusted ≤ alpha, up to :data:`REJECT_TOLERANCE`), note (why p_adjusted is undefined;
    '' otherwise), one row per hypothesis in the family's order; nothing rounded.
    """
    if method not in METHODS:
        raise ValueError(f"unknown multiplicity method {method!r}: use one of {', '.join(METHODS)}")
    raw = p["p"].to_numpy(float)
    undefined = np.isnan(raw)
    filled = np.where(undefined, 1.0, raw)
    if method in STEPWISE:
        adjusted = adjust_p(filled, method)
    elif method == "fixed_sequence":
        adjusted = fixed_sequence_p(filled)
    else:
        if weights is None or transitions is None:
            raise ValueError(f"family {family}: the graphical method needs weights and transitions")
        if len(weights) != len(raw):
            raise ValueError(f"family {family}: {len(weights)} weights for {len(raw)} hypotheses")
        adjusted = graphical_p(filled, np.asarray(weights, float), np.asarray(transitions, float))
    adjusted = np.where(undefined, np.nan, adjusted)
    return pd.DataFrame(
        {
            "family": family,
            "outcome": p["outcome"].to_numpy(),
            "effect": p["effect"].to_numpy(),
            "p": raw,
            "p_adjusted": adjusted,
            "method": method,
            "alpha": float(alpha),
            "rejected": ~undefined & (adjusted <= alpha + REJECT_TOLERANCE),
            "note": np.where(undefined, UNDEFINED, ""),
        },
        columns=COLUMNS,
    )


def adjust_families(p: pd.DataFrame, families: list[dict]) -> pd.DataFrame:
    """:func:`adjust_family` for every family, stacked in the families' order.

    ``p``: columns outcome, effect, p (one row per outcome × effect; an absent row is an
    undefined p). ``families``: dicts with id, outcomes (in the family's order), effect, method,
    alpha and, for ``graphical``, weights and transitions.
    """
    by_key = {(o, e): v for o, e, v in zip(p["outcome"], p["effect"], p["p"].astype(float), strict=True)}
    parts = []
    for f in families:
        rows = pd.DataFrame(
            {
                "outcome": f["outcomes"],
                "effect": f["effect"],
                "p": [by_key.get((o, f["effect"]), np.nan) for o in f["outcomes"]],
            }
        )
        parts.append(adjust_family(rows, f["id"], f["method"], f["alpha"], f.get("weights"), f.get("transitions")))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)


def primary_p(tests: pd.DataFrame, primary: str) -> pd.DataFrame:
    """The p value of each outcome and effect that the families adjust: the primary analysis's
    (``analysis.primary``), the one the report's outcome table prints.

    ``tests``: for ``rm_anova`` the rows of anova.csv (its ``p_corrected``, the sphericity rule's);
    for ``mmrm`` those of mmrm_tests.csv (the Type III test of :data:`MMRM_TESTS` of each effect).

    Returns
    -------
    DataFrame with columns outcome, effect (time, group, interaction), p; unrounded. An effect the
    analysis did not test (an outcome it could not fit) has no row: :func:`adjust_families` counts
    it as undefined.
    """
    if primary == "rm_anova":
        return tests[["outcome", "effect", "p_corrected"]].rename(columns={"p_corrected": "p"}).reset_index(drop=True)
    if primary == "mmrm":
        effect = {test: name for name, test in MMRM_TESTS.items()}
        picked = tests[tests["effect"].isin(effect)]
        return pd.DataFrame(
            {"outcome": picked["outcome"].to_numpy(), "effect": picked["effect"].map(effect).to_numpy(),
             "p": picked["p"].to_numpy(float)}
        )  # fmt: skip
    raise ValueError(f"unknown primary analysis {primary!r}: rm_anova or mmrm")
