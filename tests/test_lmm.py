"""The linear mixed model sensitivity analysis (``trialflow.stats.lmm``) against lme4 and car.

Reference values were printed by ``tests/data/posthoc/lmm_reference.R`` (R 4.2.2, lme4 1.1-31,
car 3.1-1, emmeans 1.8.4-1; output in ``tests/data/posthoc/lmm_reference_output.txt``) with
``format(x, digits = 15)`` on ALL rows of two data sets:

* ``tests/data/anova/three_by_four_unequal_missing.csv`` (35 participants, 135 values: the four
  with a missed visit are kept; the ANOVA uses 31);
* ``tests/data/posthoc/lmm_boundary.csv`` (written by ``make_lmm_boundary.py``; negative
  within-participant correlation, so the REML subject variance is 0: lme4's "boundary
  (singular) fit", where statsmodels' default optimizer fails).

In R, for each::

    options(contrasts = c("contr.sum", "contr.poly"))
    d <- read.csv(<file>, stringsAsFactors = FALSE)
    d$time <- factor(d$time, levels = <visit order>); d$arm <- factor(d$arm)
    fit <- lme4::lmer(value ~ arm * time + (1 | participant_id), data = d, REML = TRUE)

Both optimise the profiled REML criterion (lme4: bobyqa on the relative covariance factor, to
~1e-8; trialflow: bounded Brent on the intra-class correlation, then the root of the REML
score), so these are compared at rel = 1e-7. At the end of this file the tests are compared at
1e-9 with R's fit at the exact REML optimum (``tests/data/posthoc/lmm_precision.R``). On the boundary both report a subject variance of exactly 0.
Mapping: lme4's ``arm`` / ``time`` / ``arm:time`` rows are trialflow's ``group`` / ``time`` /
``interaction``; lme4's coefficient names (``arm1:time2``) are in the ``r_name`` column.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from trialflow.stats.anova import mixed_anova
from trialflow.stats.complete import complete_cases
from trialflow.stats.lmm import mixed_model, sum_contrasts

DATA_DIR = Path(__file__).parent / "data" / "anova"
REL_R = 1e-7
LEVELS = {
    "two_by_two_equal": ["pre", "post"],
    "two_by_two_unequal": ["pre", "post"],
    "two_by_three": ["pre", "mid", "post"],
    "three_by_four_unequal_missing": ["t1", "t2", "t3", "t4"],
}
MISSING = "three_by_four_unequal_missing"

REF = {
    "three_by_four_unequal_missing": {
        # fixef(fit); sqrt(diag(vcov(fit)))   r_name: (estimate, se)
        "fixed": {
            "(Intercept)": (12.5002907637107, 0.269745101352347),
            "arm1": (-1.79946107924859, 0.404717658030851),
            "arm2": (-0.571878243107435, 0.375322491633361),
            "time1": (-2.50064658381653, 0.229449935246969),
            "time2": (-0.973101632753244, 0.233661185053379),
            "time3": (0.976938929989832, 0.23145436769438),
            "arm1:time1": (1.66226134379885, 0.344183447650284),
            "arm2:time1": (0.598150729879937, 0.319120013759763),
            "arm1:time2": (0.761271948291115, 0.347005075254163),
            "arm2:time2": (0.133339194563034, 0.327771470616121),
            "arm1:time3": (-0.399213058896406, 0.345522932924),
            "arm2:time3": (-0.674101450593096, 0.320564244297455),
        },
        # car::Anova(fit, type = 3)   (Type III Wald chi-square tests; arm, time, arm:time)
        "tests": {
            "group": {"chi2": 44.0334041422718, "df": 2, "p": 2.74326511511818e-10},
            "time": {"chi2": 199.78923492367, "df": 3, "p": 4.6849249854192e-43},
            "interaction": {"chi2": 93.7929160386226, "df": 6, "p": 4.9305246295913e-18},
        },
        # emmeans::emmeans(fit, ~ arm * time, lmer.df = "asymptotic")   (arm, time): (emmean, SE)
        "emmeans": {
            ("A", "t1"): (9.86244444444441, 0.68229991684435),
            ("B", "t1"): (10.0259166666667, 0.590889060987217),
            ("C", "t1"): (10.1105714285714, 0.547056969397694),
            ("A", "t2"): (10.489, 0.68229991684435),
            ("B", "t2"): (11.088650082413, 0.609120304461299),
            ("C", "t2"): (13.0039173104593, 0.562201851541361),
            ("A", "t3"): (11.2785555555555, 0.68229991684435),
            ("B", "t3"): (12.23125, 0.590889060987217),
            ("C", "t3"): (16.9218835255461, 0.561384134635036),
            ("A", "t4"): (11.1733187378485, 0.711085244678186),
            ("B", "t4"): (14.3678333333333, 0.590889060987217),
            ("C", "t4"): (19.4501480796901, 0.562201851541361),
        },
        # as.data.frame(VarCorr(fit))$vcov (participant_id, Residual); REMLcrit(fit)
        "model": {"var_subject": 1.85054135257966, "var_residual": 2.3392572361526, "reml_criterion": 544.0915981525},
    },
    "lmm_boundary": {
        # fixef(fit); sqrt(diag(vcov(fit)))   r_name: (estimate, se)
        "fixed": {
            "(Intercept)": (21.5877318181818, 0.37445642496062),
            "arm1": (-1.08253484848485, 0.37445642496062),
            "time1": (-1.23175265151515, 0.526089518178507),
            "time2": (0.886626515151515, 0.529784562864898),
            "arm1:time1": (0.480139015151515, 0.526089518178507),
            "arm1:time2": (0.681093181818182, 0.529784562864898),
        },
        # car::Anova(fit, type = 3)   (Type III Wald chi-square tests; arm, time, arm:time)
        "tests": {
            "group": {"chi2": 8.3575926242785, "df": 1, "p": 0.00384079069136675},
            "time": {"chi2": 5.84419802162808, "df": 2, "p": 0.053820598636157},
            "interaction": {"chi2": 4.79156143486412, "df": 2, "p": 0.0911015266013782},
        },
        # emmeans::emmeans(fit, ~ arm * time, lmer.df = "asymptotic")   (arm, time): (emmean, SE)
        "emmeans": {
            ("control", "pre"): (19.7535833333333, 0.967657201201823),
            ("training", "pre"): (20.958375, 0.838015718395729),
            ("control", "mid"): (22.0729166666667, 0.967657201201823),
            ("training", "mid"): (22.8758, 0.865498912321787),
            ("control", "post"): (19.6890909090909, 1.01068498412319),
            ("training", "post"): (24.176625, 0.838015718395729),
        },
        # as.data.frame(VarCorr(fit))$vcov (participant_id, Residual); REMLcrit(fit)
        "model": {"var_subject": 0, "var_residual": 11.2363255084529, "reml_criterion": 423.708468303967},
    },
}


FILES = {
    MISSING: (DATA_DIR / f"{MISSING}.csv", LEVELS[MISSING]),
    "lmm_boundary": (Path(__file__).parent / "data" / "posthoc" / "lmm_boundary.csv", ["pre", "mid", "post"]),
}


def _load(name: str) -> pd.DataFrame:
    path = FILES[name][0] if name in FILES else DATA_DIR / f"{name}.csv"
    return pd.read_csv(path, dtype={"participant_id": str, "arm": str, "time": str, "value": float})


def _fit(d: pd.DataFrame, name: str, arms: list[str] | None = None, levels: list[str] | None = None) -> dict:
    arms = arms if arms is not None else sorted(d["arm"].unique())
    levels = levels if levels is not None else (FILES[name][1] if name in FILES else LEVELS[name])
    return mixed_model(d, "value", "time", "arm", "participant_id", levels, arms)


@functools.cache
def _r_fit(name: str) -> dict:
    return _fit(_load(name), name)


def _missing_fit() -> dict:
    return _r_fit(MISSING)


# --- against lme4 / car / emmeans ---------------------------------------------


def _cases(part: str):
    return [pytest.param(ds, key, ref, id=f"{ds}-{key}") for ds, refs in REF.items() for key, ref in refs[part].items()]


@pytest.mark.parametrize(("dataset", "r_name", "ref"), _cases("fixed"))
def test_fixed_effects_match_lme4(dataset, r_name, ref):
    row = _r_fit(dataset)["fixed_effects"].set_index("r_name").loc[r_name]
    assert row["estimate"] == pytest.approx(ref[0], rel=REL_R)
    assert row["se"] == pytest.approx(ref[1], rel=REL_R)


@pytest.mark.parametrize(("dataset", "effect", "ref"), _cases("tests"))
def test_type3_wald_tests_match_car_anova(dataset, effect, ref):
    row = _r_fit(dataset)["tests"].set_index("effect").loc[effect]
    assert row["test"] == "Wald chi-square, Type III"
    assert row["chi2"] == pytest.approx(ref["chi2"], rel=REL_R)
    assert row["df"] == ref["df"]
    assert row["p"] == pytest.approx(ref["p"], rel=REL_R)


@pytest.mark.parametrize(("dataset", "cell", "ref"), _cases("emmeans"))
def test_marginal_means_match_emmeans(dataset, cell, ref):
    row = _r_fit(dataset)["emmeans"].set_index(["arm", "time"]).loc[cell]
    assert row["emmean"] == pytest.approx(ref[0], rel=REL_R)
    assert row["se"] == pytest.approx(ref[1], rel=REL_R)
    z = stats.norm.ppf(0.975)
    assert row["ci_low"] == pytest.approx(row["emmean"] - z * row["se"], rel=1e-12)
    assert row["ci_high"] == pytest.approx(row["emmean"] + z * row["se"], rel=1e-12)


@pytest.mark.parametrize("dataset", list(REF))
def test_variance_components_match_lme4(dataset):
    info, ref = _r_fit(dataset)["model"].iloc[0], REF[dataset]["model"]
    assert bool(info["converged"])
    assert info["var_residual"] == pytest.approx(ref["var_residual"], rel=REL_R)
    assert info["reml_criterion"] == pytest.approx(ref["reml_criterion"], rel=REL_R)
    if ref["var_subject"] == 0:  # lme4: isSingular(fit) is TRUE
        assert info["var_subject"] == 0
        assert bool(info["boundary"])
        assert "boundary" in info["optimizer_notes"]
    else:
        assert info["var_subject"] == pytest.approx(ref["var_subject"], rel=REL_R)
        assert not bool(info["boundary"])
        assert info["optimizer_notes"] == ""


def test_participants_with_missed_visits_are_kept():
    # R: nrow(d) = 135, nlevels(d$participant_id) = 35 (the ANOVA uses 31 complete participants).
    tests = _missing_fit()["tests"]
    assert set(tests["n_subjects"]) == {35}
    assert set(tests["n_obs"]) == {135}
    emm = _missing_fit()["emmeans"]
    assert emm["n_obs"].sum() == 135
    assert emm.set_index(["arm", "time"]).loc[("A", "t4"), "n_obs"] == 8


# --- independent identities ---------------------------------------------------


@pytest.mark.parametrize("dataset", list(LEVELS))
def test_on_complete_data_wald_chi2_over_df_is_the_anova_f(dataset):
    # With every participant at every time point and a positive subject variance, REML gives
    # var_residual = MS_error(within) and var_residual / k + var_subject = MS_error(between) / k,
    # so each Type III Wald chi2 / df equals the sphericity-assuming mixed-ANOVA F (unweighted
    # means, as mixed_anova): an identity that does not involve R.
    d = _load(dataset)
    complete, _ = complete_cases(d, "value", "time", "participant_id", levels=LEVELS[dataset])
    res = _fit(complete, dataset)
    tests = res["tests"].set_index("effect")
    anova = mixed_anova(complete, "value", "time", "arm", "participant_id", levels=LEVELS[dataset]).set_index("effect")
    for effect in ("group", "time", "interaction"):
        assert tests.loc[effect, "chi2"] / tests.loc[effect, "df"] == pytest.approx(anova.loc[effect, "F"], rel=1e-6)
        assert tests.loc[effect, "df"] == anova.loc[effect, "df1"]
    within_error = anova.loc["time", "ss_error"] / anova.loc["time", "df2"]
    assert res["model"].iloc[0]["var_residual"] == pytest.approx(within_error, rel=1e-6)


def test_on_complete_data_marginal_means_are_the_cell_means():
    d = _load("two_by_three")
    res = _fit(d, "two_by_three")
    cell_means = d.groupby(["arm", "time"])["value"].mean()
    emm = res["emmeans"].set_index(["arm", "time"])["emmean"]
    for cell, mean in cell_means.items():
        assert emm.loc[cell] == pytest.approx(mean, rel=1e-9)


def test_level_order_changes_nothing_but_coefficient_names():
    d = _load(MISSING)
    ref = _missing_fit()
    other = _fit(d, MISSING, arms=["C", "A", "B"], levels=["t4", "t2", "t1", "t3"])
    a, b = ref["tests"].set_index("effect"), other["tests"].set_index("effect")
    for effect in ("group", "time", "interaction"):
        assert b.loc[effect, "chi2"] == pytest.approx(a.loc[effect, "chi2"], rel=1e-6)
    ea = ref["emmeans"].set_index(["arm", "time"])
    eb = other["emmeans"].set_index(["arm", "time"]).loc[ea.index]
    np.testing.assert_allclose(eb["emmean"], ea["emmean"], rtol=1e-6)
    np.testing.assert_allclose(eb["se"], ea["se"], rtol=1e-6)


def test_missing_values_are_dropped_like_absent_rows():
    d = _load(MISSING)
    with_nan = pd.concat(
        [d, pd.DataFrame({"participant_id": ["P003"], "arm": ["A"], "time": ["t4"], "value": [np.nan]})],
        ignore_index=True,
    )
    got = _fit(with_nan, MISSING)["tests"]
    pd.testing.assert_frame_equal(got, _missing_fit()["tests"], rtol=1e-9)


def test_sum_contrasts_are_rs_contr_sum():
    # contr.sum(3) in R: rows (1, 0), (0, 1), (-1, -1).
    np.testing.assert_array_equal(sum_contrasts(3), [[1, 0], [0, 1], [-1, -1]])


def test_an_empty_arm_by_time_cell_is_an_error():
    d = _load(MISSING)
    d = d[~((d["arm"] == "A") & (d["time"] == "t2"))]
    with pytest.raises(ValueError, match="A × t2"):
        _fit(d, MISSING)


# --- REML solved to full precision ---------------------------------------------------------------

# tests/data/posthoc/lmm_precision.R (output: lmm_precision_output.txt): the REML variance ratio
# solved in R as the root of the REML score (dense matrices, uniroot tol 1e-15), lme4 evaluated at
# it without optimising (lmerControl(optimizer = NULL)), then
#   car::Anova(fit, type = 3)          # chisq, Pr(>Chisq); format(x, digits = 15)
#   as.data.frame(VarCorr(fit))$vcov; REMLcrit(fit)
# lmm_precision.csv (make_lmm_precision.py) is data the model was never tuned on: three arms,
# four visits, monotone dropout and intermittent missed visits.
REL_PRECISE = 1e-9
PRECISE = {
    "lmm_precision": {
        "file": Path(__file__).parent / "data" / "posthoc" / "lmm_precision.csv",
        "levels": ["w0", "w4", "w8", "w12"],
        "ratio": 0.19875733843135365,
        "var_subject": 1.18002143750173,
        "var_residual": 5.93699556864050,
        "reml_criterion": 651.902860246486,
        "tests": {
            "group": (6.8799474578916, 3.20655277120120e-02),
            "time": (36.4363215917519, 6.05513668689632e-08),
            "interaction": (15.4495258458794, 1.70342687012568e-02),
        },
    },
    MISSING: {
        "file": DATA_DIR / f"{MISSING}.csv",
        "levels": LEVELS[MISSING],
        "ratio": 0.79108071902850419,
        "var_subject": 1.85054130733586,
        "var_residual": 2.33925725001671,
        "reml_criterion": 544.0915981525,
        "tests": {
            "group": (44.0334048829492, 2.74326409918105e-10),
            "time": (199.7892337326895, 4.68492776142025e-43),
            "interaction": (93.7929154886531, 4.93052592882060e-18),
        },
    },
}


@functools.cache
def _precise_fit(name: str) -> dict:
    ref = PRECISE[name]
    d = pd.read_csv(ref["file"], dtype={"participant_id": str, "arm": str, "time": str, "value": float})
    return mixed_model(d, "value", "time", "arm", "participant_id", ref["levels"], sorted(d["arm"].unique()))


@pytest.mark.parametrize("name", list(PRECISE))
def test_wald_tests_match_car_anova_at_the_reml_optimum_to_1e9(name):
    tests = _precise_fit(name)["tests"].set_index("effect")
    for effect, (chi2, p) in PRECISE[name]["tests"].items():
        assert tests.loc[effect, "chi2"] == pytest.approx(chi2, rel=REL_PRECISE), effect
        assert tests.loc[effect, "p"] == pytest.approx(p, rel=REL_PRECISE), effect


@pytest.mark.parametrize("name", list(PRECISE))
def test_variance_components_are_solved_to_1e9(name):
    info, ref = _precise_fit(name)["model"].iloc[0], PRECISE[name]
    assert bool(info["converged"]) and not bool(info["boundary"])
    assert info["var_subject"] / info["var_residual"] == pytest.approx(ref["ratio"], rel=1e-10)
    assert info["var_subject"] == pytest.approx(ref["var_subject"], rel=REL_PRECISE)
    assert info["var_residual"] == pytest.approx(ref["var_residual"], rel=REL_PRECISE)
    assert info["reml_criterion"] == pytest.approx(ref["reml_criterion"], rel=1e-12)


def test_the_reml_score_is_the_derivative_of_the_criterion():
    # Central differences of the criterion (h = 1e-5: truncation ~1e-10, rounding ~1e-8 absolute).
    from trialflow.stats.lmm import _design, _RemlProfile

    d = _load(MISSING)
    X, *_ = _design(d["arm"], d["time"], ["A", "B", "C"], LEVELS[MISSING])
    profile = _RemlProfile(X, d["value"].to_numpy(float), d["participant_id"].to_numpy())
    for theta in (0.05, 0.3, 0.79, 2.0):
        h = 1e-5
        numeric = (profile(theta + h)[0] - profile(theta - h)[0]) / (2 * h)
        assert profile.score(theta) == pytest.approx(numeric, rel=1e-6, abs=1e-6)
