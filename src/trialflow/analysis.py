"""Run the per-outcome analysis plan on the validated analysis data set.

For every outcome: whether the repeated-measures ANOVA is defined on its data (``status``,
with the reason when it is not); descriptives per arm × time; for the analysable outcomes
Shapiro–Wilk per time point (pooled, residuals, per arm) and Levene (mean-centred) per time
point across arms, the repeated-measures ANOVA (all analysable outcomes in one vectorised
pass: the mixed ANOVA, or with one arm the one-way repeated-measures ANOVA), the simple
effects and on request the linear mixed model on all available values as a sensitivity
analysis. Participants left out of an outcome's ANOVA are returned with the reason, never
dropped silently; an outcome the ANOVA is undefined for never stops the others.
"""

from __future__ import annotations

import pickle

import pandas as pd

from trialflow.cache import ResultCache
from trialflow.stats.anova import ANOVA_COLUMNS, SPHERICITY_RULES, anova_status, mixed_anova, mixed_anova_many
from trialflow.stats.assumptions import levene, shapiro
from trialflow.stats.baseline import TEST_COLUMNS, compare_categorical, compare_numeric
from trialflow.stats.complete import complete_cases, explain_exclusions
from trialflow.stats.descriptives import describe
from trialflow.stats.estimation import ancova_follow_up, change_within_arm, difference_in_change, hedges_g_change
from trialflow.stats.lmm import EMM_COLUMNS, MODEL_COLUMNS, mixed_model
from trialflow.stats.lmm import TEST_COLUMNS as LMM_TEST_COLUMNS
from trialflow.stats.posthoc import COLUMNS as SIMPLE_EFFECT_COLUMNS
from trialflow.stats.posthoc import simple_effects

SUBJECT, ARM, TIME, VALUE = "participant_id", "arm", "time", "value"
ASSUMPTION_DATA = {"complete_cases": "complete cases", "all_available": "all available"}
ASSUMPTION_COLUMNS = [
    "outcome",
    "test",
    "time",
    "arm",
    "statistic",
    "p",
    "data",
    "df1",
    "df2",
    "center",
    "participants",
    "note",
]
RESIDUALS_ZERO = "the values are identical within each arm: every residual is 0"
# Columns of each table analyse_outcomes returns, for a table no outcome has rows in.
TABLE_COLUMNS = {
    "descriptives": ["outcome", ARM, TIME, "n", "mean", "sd"],
    "assumptions": ASSUMPTION_COLUMNS,
    "anova": [
        "outcome",
        *ANOVA_COLUMNS[: ANOVA_COLUMNS.index("pes") + 1],
        "n",
        *ANOVA_COLUMNS[ANOVA_COLUMNS.index("pes") + 1 :],
    ],
    "simple_effects": ["outcome", *SIMPLE_EFFECT_COLUMNS],
    "excluded": ["outcome", SUBJECT, ARM, "missing", "reason"],
    "lmm_tests": ["outcome", *LMM_TEST_COLUMNS],
    "lmm_emmeans": ["outcome", *EMM_COLUMNS],
    "lmm_model": ["outcome", *MODEL_COLUMNS],
}


def analyse_outcome(
    data: pd.DataFrame,
    outcome: str,
    arms: list[str],
    times: list[str],
    missing: pd.DataFrame | None = None,
    anova: pd.DataFrame | None = None,
    lmm: bool = False,
    sphericity: str = "auto",
    assumption_data: str = "complete_cases",
) -> dict[str, pd.DataFrame]:
    """All statistics of one outcome whose ANOVA is defined (see :func:`trialflow.stats.anova.anova_status`):
    frames keyed descriptives, assumptions, anova, simple_effects, excluded.

    ``anova``: this outcome's ANOVA table if already computed (by :func:`analyse_outcomes`,
    for all outcomes at once); ``lmm``: also fit the linear mixed model on all available values
    (keys lmm_tests, lmm_emmeans, lmm_model); ``sphericity`` and ``assumption_data``: as for
    :func:`analyse_outcomes`.
    """
    data = data[data["outcome"] == outcome]
    complete, excluded = complete_cases(data, VALUE, TIME, SUBJECT, levels=times)
    complete_ids = set(complete[SUBJECT])
    results = {
        "descriptives": _descriptives(data, outcome, arms, times),
        "assumptions": _assumptions(data, complete, outcome, arms, times, assumption_data),
    }

    if anova is None:
        anova = mixed_anova(complete, VALUE, TIME, ARM, SUBJECT, levels=times, sphericity=sphericity)
    results["anova"] = _anova_table(anova, outcome, len(complete_ids))

    effects = simple_effects(complete, VALUE, TIME, ARM, SUBJECT, levels=times, arms=arms)
    effects.insert(0, "outcome", outcome)
    results["simple_effects"] = effects
    results["excluded"] = explain_exclusions(excluded, data, outcome, missing)
    if lmm:
        fit = mixed_model(data, VALUE, TIME, ARM, SUBJECT, levels=times, arms=arms)
        for key in ("tests", "emmeans", "model"):
            fit[key].insert(0, "outcome", outcome)
            results[f"lmm_{key}"] = fit[key]
    return results


def _descriptives(data: pd.DataFrame, outcome: str, arms: list[str], times: list[str]) -> pd.DataFrame:
    """n, mean and SD of every arm × time cell of the design (n 0 for a cell without values)."""
    descriptives = describe(data, VALUE, [ARM, TIME])
    grid = pd.MultiIndex.from_product([arms, times], names=[ARM, TIME])
    descriptives = descriptives.set_index([ARM, TIME]).reindex(grid).reset_index()
    descriptives["n"] = descriptives["n"].fillna(0).astype("int64")
    descriptives.insert(0, "outcome", outcome)
    return descriptives


def _assumptions(
    data: pd.DataFrame, complete: pd.DataFrame, outcome: str, arms: list[str], times: list[str], which: str
) -> pd.DataFrame:
    """Shapiro–Wilk (values pooled and per arm, residuals) and Levene (mean-centred; two or more
    arms) at each time point, on the complete cases (the ANOVA's participants, as SPSS GLM) or on
    every participant with a value at that time point.

    "Residuals" are deviations from the arm × time mean: the normality of the error distribution
    that SPSS users (and the paper) describe.
    """
    if which not in ASSUMPTION_DATA:
        raise ValueError(f"unknown assumption_data {which!r}: use one of {', '.join(ASSUMPTION_DATA)}")
    rows = complete if which == "complete_cases" else data[data[ARM].isin(arms)].dropna(subset=[VALUE])
    participants = ASSUMPTION_DATA[which]
    checks = []
    for time in times:
        at = rows[rows[TIME] == time]
        residuals = at[VALUE] - at.groupby(ARM)[VALUE].transform("mean")
        pooled = shapiro(residuals)
        if len(at) >= 3 and (at.groupby(ARM)[VALUE].nunique() == 1).all():
            pooled = {**pooled, "statistic": float("nan"), "p": float("nan"), "note": RESIDUALS_ZERO}
        checks.append({"test": "shapiro", "data": "values", "time": time, "arm": "", **_only(shapiro(at[VALUE]))})
        checks.append({"test": "shapiro", "data": "residuals", "time": time, "arm": "", **_only(pooled)})
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
        if len(arms) < 2:  # one arm: no variances to compare
            continue
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
                "note": lev["note"],
            }
        )
    assumptions = pd.DataFrame(checks, columns=ASSUMPTION_COLUMNS[1:])
    assumptions["participants"] = participants
    assumptions.insert(0, "outcome", outcome)
    return assumptions


def _anova_table(anova: pd.DataFrame, outcome: str, n: int) -> pd.DataFrame:
    """An outcome's ANOVA rows with the outcome first and ``n`` (complete participants) after pes."""
    anova = anova.drop(columns="outcome", errors="ignore").reset_index(drop=True)
    anova.insert(0, "outcome", outcome)
    anova.insert(anova.columns.get_loc("pes") + 1, "n", n)
    return anova


def _only(result: dict) -> dict:
    return {"statistic": result["statistic"], "p": result["p"], "note": result["note"]}


def analyse_outcomes(
    data: pd.DataFrame,
    outcomes: list[str],
    arms: list[str],
    times: list[str],
    missing: pd.DataFrame | None = None,
    lmm: bool = False,
    cache: ResultCache | None = None,
    sphericity: str = "auto",
    assumption_data: str = "complete_cases",
) -> dict[str, pd.DataFrame]:
    """:func:`analyse_outcome` for every configured outcome, tables stacked in config order.

    Which outcomes are analysed: ``status`` (outcome, analysable, reason; one row per outcome in
    config order) says for each whether the repeated-measures ANOVA is defined on its data and,
    if not, why (:func:`trialflow.stats.anova.anova_status`: no data, no value at a time point,
    an arm without a complete participant, too few participants, no variation). An outcome that
    is not analysable gets its descriptives and its ``excluded`` rows, and no assumptions,
    anova, simple_effects or lmm rows; it is left out of the ANOVA pass, so it cannot stop the
    others. One arm: the one-way repeated-measures ANOVA (time only), simple effects of each
    time point against the first, Shapiro–Wilk but no Levene.

    ``missing`` (participant_id, time, outcome, reason) gives the recorded reason a value is absent.
    The ANOVAs of all analysable outcomes are computed in one pass (:func:`mixed_anova_many`, of
    which :func:`mixed_anova` is the batch of one). ``lmm``: add the linear mixed model tables.
    ``sphericity``: which p value anova's ``p_corrected`` is: "none", "gg", "hf" or "auto"
    (Greenhouse–Geisser when its ε < 0.75, else Huynh–Feldt; see :mod:`trialflow.stats.anova`).
    ``assumption_data``: the participants the assumption checks use, "complete_cases" (those in
    the ANOVA, as SPSS GLM does) or "all_available" (every participant with a value at the time
    point); assumptions' ``participants`` column says which.

    ``cache``: the other statistics of an outcome whose values (and recorded reasons for missing
    ones) are unchanged are read back instead of computed; they depend on that outcome's rows
    alone, so they are the same bytes. The one-pass ANOVA is always computed: its last digits
    depend on which outcomes share the pass.

    Returns
    -------
    dict of frames: status, descriptives, assumptions, anova, simple_effects, excluded (and
    lmm_tests, lmm_emmeans, lmm_model with ``lmm``).
    """
    if assumption_data not in ASSUMPTION_DATA:
        raise ValueError(f"unknown assumption_data {assumption_data!r}: use one of {', '.join(ASSUMPTION_DATA)}")
    if sphericity not in SPHERICITY_RULES:
        raise ValueError(f"unknown sphericity rule {sphericity!r}: use one of {', '.join(SPHERICITY_RULES)}")
    data = data[data[ARM].isin(arms)]  # the design's arms (the validation gate lets no other through)
    status = anova_status(data, VALUE, TIME, ARM, SUBJECT, "outcome", outcomes, times, arms)
    analysable = status.loc[status["analysable"], "outcome"].tolist()
    anovas = (
        mixed_anova_many(
            data[data["outcome"].isin(analysable)],
            VALUE,
            TIME,
            ARM,
            SUBJECT,
            "outcome",
            times,
            arms=arms,
            sphericity=sphericity,
        )
        if analysable
        else pd.DataFrame(columns=["outcome", *ANOVA_COLUMNS])
    )
    by_outcome = dict(tuple(anovas.groupby("outcome", sort=False)))
    kw = {"lmm": lmm, "sphericity": sphericity, "assumption_data": assumption_data}
    parts = []
    for outcome in outcomes:
        rows = data[data["outcome"] == outcome]
        gaps = missing[missing["outcome"] == outcome] if missing is not None else None
        if outcome not in by_outcome:  # not analysable: what data there are, and who lacks a value
            _, excluded = complete_cases(rows, VALUE, TIME, SUBJECT, levels=times)
            parts.append(
                {
                    "descriptives": _descriptives(rows, outcome, arms, times),
                    "excluded": explain_exclusions(excluded, rows, outcome, gaps),
                }
            )
            continue
        if cache is None:
            parts.append(analyse_outcome(rows, outcome, arms, times, gaps, anova=by_outcome[outcome], **kw))
            continue
        key = cache.key(rows[[SUBJECT, ARM, TIME, VALUE]], gaps, outcome, arms, times, lmm, assumption_data)
        kept = cache.get(key)
        if kept is None:
            part = analyse_outcome(rows, outcome, arms, times, gaps, anova=by_outcome[outcome], **kw)
            n = int(part["anova"]["n"].iloc[0])
            kept = pickle.dumps(({k: v for k, v in part.items() if k != "anova"}, n))
            cache.put(key, kept)
        part, n = pickle.loads(kept)
        parts.append({"anova": _anova_table(by_outcome[outcome], outcome, n), **part})
    keys = ["descriptives", "assumptions", "anova", "simple_effects", "excluded"]
    keys += ["lmm_tests", "lmm_emmeans", "lmm_model"] if lmm else []
    results = {"status": status}
    for key in keys:
        frames = [p[key] for p in parts if key in p]
        results[key] = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=TABLE_COLUMNS[key])
    return results


def describe_baseline(
    participants: pd.DataFrame, variables: list[dict | str], arms: list[str], tests: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Baseline characteristics per arm, and (``tests``, two or more arms) their tests between arms.

    Parameters
    ----------
    participants : one row per participant: ``participant_id``, ``arm`` and the variables.
    variables : dicts ``{"id", "type": "numeric" | "categorical", "levels": [...]}`` in the order
        the table prints them (other keys are ignored); ``levels`` (categorical, optional): the
        levels in order, default the sorted levels present. A plain string is a numeric variable.
    arms : the arms, in order; the first is the reference of the t statistics' sign.
    tests : compute the tests (CONSORT advises against testing baseline differences; the
        analysis plan decides). With one arm there is nothing to test.

    Returns
    -------
    baseline : numeric variables: variable, arm, n, mean, sd.
    baseline_categories : categorical variables: variable, level, arm, n, denominator (the
        arm's participants with a value), percent (100 n / denominator; NaN when it is 0);
        every level × arm, zeros kept.
    baseline_tests : variable, test, statistic, df, df2, p, note
        (:func:`trialflow.stats.baseline.compare_numeric`: student and welch for two arms,
        anova and welch_anova for three or more; :func:`~trialflow.stats.baseline.compare_categorical`:
        chi_square and fisher); empty (with these columns) without tests or with one arm.

    Raises
    ------
    ValueError : a categorical value outside the configured ``levels`` (the participants
        reader rejects those, with the file and line), an unknown type.
    """
    specs = [v if isinstance(v, dict) else {"id": v, "type": "numeric"} for v in variables]
    unknown = [v["id"] for v in specs if v.get("type", "numeric") not in ("numeric", "categorical")]
    if unknown:
        raise ValueError(f"baseline variables of unknown type: {', '.join(map(str, unknown))}")
    numeric = [v["id"] for v in specs if v.get("type", "numeric") == "numeric"]
    people = participants[participants[ARM].isin(arms)]

    long = people.melt(id_vars=[SUBJECT, ARM], value_vars=numeric, var_name="variable")
    long["variable"] = pd.Categorical(long["variable"], categories=numeric, ordered=True)
    long[ARM] = pd.Categorical(long[ARM], categories=arms, ordered=True)
    table = describe(long.sort_values(["variable", ARM]), "value", ["variable", ARM])
    table = table.astype({"variable": str, ARM: str}).reset_index(drop=True)

    categories, results = [], []
    for spec in specs:
        variable = spec["id"]
        if spec.get("type", "numeric") == "categorical":
            counts = _category_counts(people, variable, spec.get("levels"), arms)
            categories.append(counts)
            if tests and len(arms) >= 2:
                wide = counts.pivot(index="level", columns=ARM, values="n").reindex(
                    index=pd.unique(counts["level"]), columns=arms
                )
                results.append(compare_categorical(wide).assign(variable=variable))
        elif tests and len(arms) >= 2:
            samples = {arm: people.loc[people[ARM] == arm, variable].to_numpy(float) for arm in arms}
            results.append(compare_numeric(samples).assign(variable=variable))
    category_columns = ["variable", "level", ARM, "n", "denominator", "percent"]
    categories = pd.concat(categories, ignore_index=True) if categories else pd.DataFrame(columns=category_columns)
    test_columns = ["variable", *TEST_COLUMNS]
    results = pd.concat(results, ignore_index=True)[test_columns] if results else pd.DataFrame(columns=test_columns)
    return table, categories, results


def _category_counts(people: pd.DataFrame, variable: str, levels: list | None, arms: list[str]) -> pd.DataFrame:
    """n and percent of each level of ``variable`` in each arm (see :func:`describe_baseline`)."""
    values = people[variable]
    present = values.dropna()
    if levels is None:
        levels = sorted(pd.unique(present).tolist())
    else:
        outside = sorted(map(str, pd.unique(present[~present.isin(levels)])))
        if outside:
            raise ValueError(f"{variable}: values not among the configured levels: {', '.join(outside)}")
    rows = []
    for level in levels:
        for arm in arms:
            in_arm = values[people[ARM] == arm].dropna()
            n = int((in_arm == level).sum())
            denominator = len(in_arm)
            percent = 100 * n / denominator if denominator else float("nan")
            rows.append(
                {"variable": variable, "level": level, ARM: arm, "n": n, "denominator": denominator,
                 "percent": percent}
            )  # fmt: skip
    return pd.DataFrame(rows, columns=["variable", "level", ARM, "n", "denominator", "percent"])


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
    "note",
]


def estimate_effects(
    data: pd.DataFrame,
    outcomes: list[str],
    arms: list[str],
    times: list[str],
    conf: float = 0.95,
    cache: ResultCache | None = None,
) -> pd.DataFrame:
    """CONSORT estimation for each outcome between the first (baseline) and last time point.

    Two or more arms, each arm against the first (reference) arm: the difference in mean change
    (Student, pooled SD), Hedges' g of the change with its exact (noncentral t) CI, and the
    ANCOVA difference at follow-up adjusted for baseline (ICH E9 sensitivity analysis). One arm:
    the mean change with its paired-t CI (estimand mean_change, method paired_t) and the
    standardised mean change, Hedges' g of the changes (estimand standardised_mean_change,
    method noncentral_t; :func:`trialflow.stats.estimation.change_within_arm`).

    A row whose statistics are undefined on the data (an arm with fewer than two participants
    with both values, changes without spread, an ANCOVA without residual variance) has NaN
    numbers and the reason in ``note``; an outcome without data gets such rows too.

    Returns
    -------
    DataFrame with columns outcome, arm, reference_arm (empty for one arm), estimand
    (difference_in_change | hedges_g | ancova_difference; mean_change |
    standardised_mean_change), method, estimate, se, df, ci_low, ci_high, p, n, n_excluded,
    note ('' when the row is defined).
    With ``cache``, an outcome whose values did not change is read back (it depends on its own
    rows only).
    """
    rows = []
    if len(arms) == 1:
        kw = {"baseline": times[0], "follow_up": times[-1], "arm": arms[0], "conf": conf, "strict_labels": False}
    else:
        kw = {
            "baseline": times[0],
            "follow_up": times[-1],
            "reference_arm": arms[0],
            "treatment_arm": arms[1:],
            "conf": conf,
            "strict_labels": False,
        }
    for outcome in outcomes:
        # astype: a header-only analysis file reads as text; non-numbers still raise
        d = data.loc[data["outcome"] == outcome, [SUBJECT, ARM, TIME, VALUE]].astype({VALUE: float})
        key = cache.key(d, outcome, kw) if cache else None
        kept = cache.get(key) if cache else None
        if kept is not None:
            rows.append(pickle.loads(kept))
            continue
        if len(arms) == 1:
            part = change_within_arm(d, **kw).assign(outcome=outcome).reindex(columns=ESTIMATION_COLUMNS)
        else:
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
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=ESTIMATION_COLUMNS)
