"""Run the per-outcome analysis plan on the validated analysis data set.

For every outcome: descriptives per arm × time; Shapiro–Wilk per time point (pooled) and
per arm × time; Levene (mean-centred) per time point across arms; the mixed ANOVA on the
participants with a value at every time point (all outcomes in one vectorised pass); on
request the linear mixed model on all available values as a sensitivity analysis.
Participants left out of an outcome's ANOVA are returned with the reason, never dropped
silently.
"""

from __future__ import annotations

import pickle

import pandas as pd

from trialflow.cache import ResultCache
from trialflow.stats.anova import mixed_anova, mixed_anova_many
from trialflow.stats.assumptions import levene, shapiro
from trialflow.stats.complete import complete_cases, explain_exclusions
from trialflow.stats.descriptives import compare_two_arms, describe
from trialflow.stats.estimation import ancova_follow_up, difference_in_change, hedges_g_change
from trialflow.stats.lmm import mixed_model
from trialflow.stats.posthoc import simple_effects

SUBJECT, ARM, TIME, VALUE = "participant_id", "arm", "time", "value"


def analyse_outcome(
    data: pd.DataFrame,
    outcome: str,
    arms: list[str],
    times: list[str],
    missing: pd.DataFrame | None = None,
    anova: pd.DataFrame | None = None,
    lmm: bool = False,
) -> dict[str, pd.DataFrame]:
    """All statistics of one outcome: frames keyed descriptives, assumptions, anova, simple_effects, excluded.

    ``anova``: this outcome's mixed-ANOVA table if already computed (by :func:`analyse_outcomes`,
    for all outcomes at once); ``lmm``: also fit the linear mixed model on all available values
    (keys lmm_tests, lmm_emmeans, lmm_model).
    """
    data = data[data["outcome"] == outcome]
    complete, excluded = complete_cases(data, VALUE, TIME, SUBJECT, levels=times)
    complete_ids = set(complete[SUBJECT])
    descriptives = describe(data, VALUE, [ARM, TIME])
    grid = pd.MultiIndex.from_product([arms, times], names=[ARM, TIME])
    descriptives = descriptives.set_index([ARM, TIME]).reindex(grid).reset_index()
    descriptives["n"] = descriptives["n"].fillna(0).astype("int64")
    descriptives.insert(0, "outcome", outcome)

    # Checked on the participants the ANOVA uses. "residuals" are deviations from the arm x time
    # mean: the normality of the error distribution that SPSS users (and the paper) describe.
    checks = []
    for time in times:
        at = complete[complete[TIME] == time]
        residuals = at[VALUE] - at.groupby(ARM)[VALUE].transform("mean")
        checks.append({"test": "shapiro", "data": "values", "time": time, "arm": "", **_only(shapiro(at[VALUE]))})
        checks.append({"test": "shapiro", "data": "residuals", "time": time, "arm": "", **_only(shapiro(residuals))})
        for arm in arms:
            checks.append(
                {
                    "test": "shapiro",
                    "data": "values",
                    "time": time,
                    "arm": arm,
                    **_only(shapiro(at.loc[at[ARM] == arm, VALUE])),
                }
            )
        lev = levene(at, VALUE, ARM, center="mean")
        checks.append(
            {
                "test": "levene",
                "data": "values",
                "time": time,
                "arm": "",
                "statistic": lev["statistic"],
                "p": lev["p"],
                "df1": lev["df1"],
                "df2": lev["df2"],
                "center": "mean",
            }
        )
    assumptions = pd.DataFrame(
        checks, columns=["test", "time", "arm", "statistic", "p", "data", "df1", "df2", "center"]
    )
    assumptions.insert(0, "outcome", outcome)

    if anova is None:
        anova = mixed_anova(complete, VALUE, TIME, ARM, SUBJECT, levels=times)
    anova = _anova_table(anova, outcome, len(complete_ids))

    effects = simple_effects(complete, VALUE, TIME, ARM, SUBJECT, levels=times, arms=arms)
    effects.insert(0, "outcome", outcome)

    results = {
        "descriptives": descriptives,
        "assumptions": assumptions,
        "anova": anova,
        "simple_effects": effects,
        "excluded": explain_exclusions(excluded, data, outcome, missing),
    }
    if lmm:
        fit = mixed_model(data, VALUE, TIME, ARM, SUBJECT, levels=times, arms=arms)
        for key in ("tests", "emmeans", "model"):
            fit[key].insert(0, "outcome", outcome)
            results[f"lmm_{key}"] = fit[key]
    return results


def _anova_table(anova: pd.DataFrame, outcome: str, n: int) -> pd.DataFrame:
    """An outcome's ANOVA rows with the outcome first and ``n`` (complete participants) after pes."""
    anova = anova.drop(columns="outcome", errors="ignore").reset_index(drop=True)
    anova.insert(0, "outcome", outcome)
    anova.insert(anova.columns.get_loc("pes") + 1, "n", n)
    return anova


def _only(result: dict) -> dict:
    return {"statistic": result["statistic"], "p": result["p"]}


def analyse_outcomes(
    data: pd.DataFrame,
    outcomes: list[str],
    arms: list[str],
    times: list[str],
    missing: pd.DataFrame | None = None,
    lmm: bool = False,
    cache: ResultCache | None = None,
) -> dict[str, pd.DataFrame]:
    """:func:`analyse_outcome` for every configured outcome, tables stacked in config order.

    ``missing`` (participant_id, time, outcome, reason) gives the recorded reason a value is absent.
    The mixed ANOVAs of all outcomes are computed in one pass (:func:`mixed_anova_many`, of which
    :func:`mixed_anova` is the batch of one). ``lmm``: add the linear mixed model tables.

    ``cache``: the other statistics of an outcome whose values (and recorded reasons for missing
    ones) are unchanged are read back instead of computed; they depend on that outcome's rows
    alone, so they are the same bytes. The one-pass ANOVA is always computed: its last digits
    depend on which outcomes share the pass.
    """
    anovas = mixed_anova_many(data[data["outcome"].isin(outcomes)], VALUE, TIME, ARM, SUBJECT, "outcome", times)
    by_outcome = dict(tuple(anovas.groupby("outcome", sort=False)))
    parts = []
    for outcome in outcomes:
        rows = data[data["outcome"] == outcome]
        gaps = missing[missing["outcome"] == outcome] if missing is not None else None
        if cache is None or outcome not in by_outcome:
            parts.append(analyse_outcome(rows, outcome, arms, times, gaps, anova=by_outcome.get(outcome), lmm=lmm))
            continue
        key = cache.key(rows[[SUBJECT, ARM, TIME, VALUE]], gaps, outcome, arms, times, lmm)
        kept = cache.get(key)
        if kept is None:
            part = analyse_outcome(rows, outcome, arms, times, gaps, anova=by_outcome[outcome], lmm=lmm)
            n = int(part["anova"]["n"].iloc[0])
            kept = pickle.dumps(({k: v for k, v in part.items() if k != "anova"}, n))
            cache.put(key, kept)
        part, n = pickle.loads(kept)
        parts.append({"anova": _anova_table(by_outcome[outcome], outcome, n), **part})
    keys = parts[0].keys()
    return {key: pd.concat([p[key] for p in parts], ignore_index=True) for key in keys}


def describe_baseline(
    participants: pd.DataFrame, variables: list[str], arms: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Baseline characteristics per arm, and Student and Welch t-tests between the first two arms.

    Returns
    -------
    baseline : variable, arm, n, mean, sd.
    tests : variable, test (student | welch), statistic, df, p (empty unless exactly two arms).
    """
    long = participants.melt(id_vars=[SUBJECT, ARM], value_vars=variables, var_name="variable")
    long["variable"] = pd.Categorical(long["variable"], categories=variables, ordered=True)
    long[ARM] = pd.Categorical(long[ARM], categories=arms, ordered=True)
    table = describe(long.sort_values(["variable", ARM]), "value", ["variable", ARM])
    table = table.astype({"variable": str, ARM: str})
    tests = []
    if len(arms) == 2:
        for variable in variables:
            a, b = (participants.loc[participants[ARM] == arm, variable] for arm in arms)
            res = compare_two_arms(a, b)
            res.insert(0, "variable", variable)
            tests.append(res)
    tests = (
        pd.concat(tests, ignore_index=True)
        if tests
        else pd.DataFrame(columns=["variable", "test", "statistic", "df", "p"])
    )
    return table.reset_index(drop=True), tests


ESTIMATION_COLUMNS = [
    "outcome",
    "arm",
    "reference_arm",
    "estimand",
    "method",
    "estimate",
    "se",
    "df",
    "ci_low",
    "ci_high",
    "p",
    "n",
    "n_excluded",
]


def estimate_effects(
    data: pd.DataFrame,
    outcomes: list[str],
    arms: list[str],
    times: list[str],
    conf: float = 0.95,
    cache: ResultCache | None = None,
) -> pd.DataFrame:
    """CONSORT estimation for each outcome and each arm against the first (reference) arm,
    between the first (baseline) and last time point: the difference in mean change
    (Student, pooled SD), Hedges' g of the change with its exact (noncentral t) CI, and the
    ANCOVA difference at follow-up adjusted for baseline (ICH E9 sensitivity analysis).

    Returns
    -------
    DataFrame with columns outcome, arm, reference_arm, estimand (difference_in_change |
    hedges_g | ancova_difference), method, estimate, se, df, ci_low, ci_high, p, n, n_excluded.
    With ``cache``, an outcome whose values did not change is read back (it depends on its own
    rows only).
    """
    rows = []
    kw = {
        "baseline": times[0],
        "follow_up": times[-1],
        "reference_arm": arms[0],
        "treatment_arm": arms[1:],
        "conf": conf,
    }
    for outcome in outcomes:
        d = data.loc[data["outcome"] == outcome, [SUBJECT, ARM, TIME, VALUE]]
        key = cache.key(d, outcome, kw) if cache else None
        kept = cache.get(key) if cache else None
        if kept is not None:
            rows.append(pickle.loads(kept))
            continue
        dic = difference_in_change(d, **kw)
        dic = dic[(dic["estimand"] == "difference_in_mean_change") & (dic["method"] == "student_pooled")]
        g = hedges_g_change(d, **kw)
        g = g[g["ci_method"] == "noncentral_t"].assign(method="noncentral_t", n=g["n_treatment"] + g["n_reference"])
        anc = ancova_follow_up(d, **kw)
        anc = anc[anc["estimand"] == "adjusted_difference"].assign(method="ancova_baseline_adjusted")
        parts = [(dic, "difference_in_change"), (g, "hedges_g"), (anc, "ancova_difference")]
        part = pd.concat(
            [f.assign(outcome=outcome, estimand=e).reindex(columns=ESTIMATION_COLUMNS) for f, e in parts],
            ignore_index=True,
        )
        if cache:
            cache.put(key, pickle.dumps(part))
        rows.append(part)
    return pd.concat(rows, ignore_index=True)
