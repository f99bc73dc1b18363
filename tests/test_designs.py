"""Designs: one arm (the one-way repeated-measures ANOVA, paired t, one-arm estimation), and the
analysis plan on one, two and more arms.

Every reference number of the one-arm design was printed by
``tests/data/anova/reference_one_arm.R`` (R 4.2.2, afex 1.2-1, car 3.1-1, emmeans 1.8.4-1,
lme4 1.1-31; output in ``tests/data/anova/reference_one_arm_output.txt``) with
``format(x, digits = 15)``, from CSVs written by ``tests/data/anova/make_datasets.py``. In R::

    d <- read.csv("tests/data/anova/<name>.csv", stringsAsFactors = FALSE)
    d$time <- factor(d$time, levels = <visit order>); d$participant_id <- factor(d$participant_id)
    fit <- afex::aov_ez(id = "participant_id", dv = "value", data = d, within = "time", type = 3,
                        include_aov = TRUE)

and the call above each block. The data sets: ``one_by_two`` (pre/post, 14 participants: F = t²
of the paired t), ``one_by_three`` (compound symmetry: GG ε 0.94, the "auto" rule picks HF),
``one_by_four_missing`` (non-spherical, GG ε 0.61: "auto" picks GG; 3 of 18 participants miss a
visit and are left out, as afex does) and ``one_by_four_few`` (3 participants, 4 visits: a
singular error matrix, where car reports no Mauchly test and no epsilons).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trialflow.analysis import analyse_outcomes, estimate_effects
from trialflow.stats.anova import mixed_anova, mixed_anova_many
from trialflow.stats.assumptions import shapiro
from trialflow.stats.complete import complete_cases
from trialflow.stats.estimation import change_within_arm
from trialflow.stats.lmm import mixed_model
from trialflow.stats.posthoc import simple_effects

DATA_DIR = Path(__file__).parent / "data" / "anova"
REL = 1e-6
REL_LMM = 1e-6  # lme4's bobyqa and trialflow's Brent search agree to ~1e-8 (tests/test_lmm.py)
LEVELS = {
    "one_by_two": ["pre", "post"],
    "one_by_three": ["pre", "mid", "post"],
    "one_by_four_missing": ["t1", "t2", "t3", "t4"],
    "one_by_four_few": ["t1", "t2", "t3", "t4"],
}

ANOVA_R = {
    # s <- summary(fit$Anova, multivariate = FALSE): ss, ss_error, df1, df2 (s$univariate.tests),
    #   eps_gg, eps_hf (s$pval.adjustments), mauchly_w, mauchly_p (s$sphericity.tests);
    # anova(fit, es = "pes", correction = "none"): F, p, pes; correction = "GG" / "HF": p_gg, p_hf
    "one_by_two": {
        "ss": 35.426250892857,
        "ss_error": 92.5191256071429,
        "df1": 1,
        "df2": 13,
        "F": 4.97779522433776,
        "p": 0.0439121219698517,
        "pes": 0.276885745010544,
    },
    "one_by_three": {
        "ss": 69.0084597222221,
        "ss_error": 99.0551476111111,
        "df1": 2,
        "df2": 22,
        "F": 7.66333779971364,
        "p": 0.00298151537301052,
        "pes": 0.410609178377044,
        "eps_gg": 0.939155857788772,
        "eps_hf": 1.12587384848522,
        "p_gg": 0.00370769584273343,
        "p_hf": 0.00298151537301052,
        "mauchly_w": 0.935214009786956,
        "mauchly_p": 0.71541002289551,
    },
    "one_by_four_missing": {
        "ss": 52.2747876500001,
        "ss_error": 96.8283636,
        "df1": 3,
        "df2": 42,
        "F": 7.55818852958496,
        "p": 0.000374717488643869,
        "pes": 0.350594787647052,
        "eps_gg": 0.612616059314819,
        "eps_hf": 0.700745587437932,
        "p_gg": 0.00321191954495219,
        "p_hf": 0.00196127267361759,
        "mauchly_w": 0.391565871749953,
        "mauchly_p": 0.0363105829089485,
    },
    # car: "one or more error SSP matrix: corresponding non-sphericity tests and corrections not
    # available" (2 error df, 3 contrasts); afex prints the uncorrected p for correction = "GG".
    "one_by_four_few": {
        "ss": 7.60126291666666,
        "ss_error": 9.60196483333333,
        "df1": 3,
        "df2": 6,
        "F": 1.58327239239177,
        "p": 0.288835574490229,
        "pes": 0.441850972801698,
    },
}
AUTO = {"one_by_two": "none", "one_by_three": "hf", "one_by_four_missing": "gg", "one_by_four_few": "none"}

# tt <- t.test(wide$post, wide$pre, paired = TRUE)   (wide = fit$data$wide)
PAIRED_T = {"t": 2.23109731395513, "df": 13, "p": 0.0439121219698514, "t_squared": 4.97779522433777}

# emm <- emmeans::emmeans(fit, trt.vs.ctrl ~ time, adjust = "bonferroni", model = "multivariate")
#   estimate, se, df, t, p, ci_low, ci_high: summary(emm$contrasts, adjust = "none", infer = c(TRUE, TRUE))
#   p_adj: summary(emm$contrasts)
SIMPLE_R = {
    "one_by_two": {
        "post - pre": (2.24964285714285, 1.00831229685578, 13, 2.23109731395512, 0.0439121219698516,
                       0.0439121219698516, 0.0713165750896168, 4.42796913919609),
    },
    "one_by_three": {
        "mid - pre": (2.27875, 0.886334502532079, 11, 2.5709819413439, 0.0260048558844271,
                      0.0520097117688543, 0.327940913049691, 4.22955908695031),
        "post - pre": (3.31458333333333, 0.946265566369167, 11, 3.50280455205765, 0.004945818741792,
                       0.009891637483584, 1.23186686424908, 5.39729980241757),
    },
    "one_by_four_missing": {
        "t2 - t1": (1.1724, 0.362071300528869, 14, 3.23803626050311, 0.00595270646218229,
                    0.0178581193865469, 0.395834294548592, 1.9489657054514),
        "t3 - t1": (2.20773333333333, 0.546382514419607, 14, 4.04063687081657, 0.00121532410330236,
                    0.00364597230990707, 1.0358593898951, 3.37960727677156),
        "t4 - t1": (2.307, 0.743664568522792, 14, 3.10220507692414, 0.00779816115994084,
                    0.0233944834798225, 0.711998133156182, 3.90200186684383),
    },
    "one_by_four_few": {
        "t2 - t1": (1.29633333333333, 1.17716854263855, 2, 1.10123001624532, 0.385612397569984,
                    1.0, -3.76861411002564, 6.3612807766923),
        "t3 - t1": (1.882, 0.680972099281608, 2, 2.76369619546148, 0.10978180945315,
                    0.32934542835945, -1.04798646185723, 4.81198646185723),
        "t4 - t1": (2.01066666666667, 0.463242317199588, 2, 4.34042096763014, 0.0491965105804344,
                    0.147589531741303, 0.0174958460323906, 4.00383748730094),
    },
}  # fmt: skip
SIMPLE_COLUMNS = ["estimate", "se", "df", "t", "p", "p_adj", "ci_low", "ci_high"]

# shapiro.test(subset(d_complete, time == "<t>")$value)   (d_complete: the participants afex used)
SHAPIRO_R = {
    "one_by_two": {"pre": (0.926283141084277, 0.270429058119569), "post": (0.96981462487357, 0.874164705085961)},
    "one_by_four_missing": {
        "t1": (0.848738616761396, 0.0166671494703665),
        "t2": (0.928618027027742, 0.260176484765481),
        "t3": (0.931573275824734, 0.288020249292388),
        "t4": (0.98287914566508, 0.985406529078433),
    },
}

# Estimation between the first and the last time point, participants with both values:
# pair <- the participants with a value at both; tt <- t.test(pair$value.<last>, pair$value.<first>, paired = TRUE)
#   n, estimate (mean change), se (tt$stderr), df, ci_low, ci_high, p
# g: x <- the changes; n <- length(x); df <- n - 1; d <- mean(x) / sd(x)
#   J <- exp(lgamma(df / 2) - log(sqrt(df / 2)) - lgamma((df - 1) / 2)); t <- d * sqrt(n)
#   f <- function(ncp, p) pt(t, df, ncp) - p
#   lo <- uniroot(f, c(t - 50, t + 50), p = 0.975, tol = 1e-14)$root   (hi: p = 0.025)
#   g = J * d, ci = J * c(lo, hi) / sqrt(n)      (R's own noncentral t, independent of scipy's)
ESTIMATION_R = {
    "one_by_two": {
        "n": 14, "mean_change": 2.24964285714286, "se": 1.00831229685578, "df": 13,
        "ci_low": 0.0713165750896205, "ci_high": 4.42796913919609, "p": 0.0439121219698514,
        "d": 0.596285838955121, "J": 0.940982467471149, "g": 0.561094520058094,
        "g_low": 0.0149349446001269, "g_high": 1.08925609335702,
    },
    "one_by_three": {
        "n": 12, "mean_change": 3.31458333333333, "se": 0.946265566369167, "df": 11,
        "ci_low": 1.23186686424909, "ci_high": 5.39729980241758, "p": 0.00494581874179195,
        "d": 1.01117257552457, "J": 0.929959809975779, "g": 0.940349856187545,
        "g_low": 0.272916814146332, "g_high": 1.58054503641759,
    },
    # t1 -> t4: P004 (missed t2 only) counts here, P009 and P015 do not: 16 participants
    "one_by_four_missing": {
        "n": 16, "mean_change": 2.53125, "se": 0.730886741682093, "df": 15,
        "ci_low": 0.973401786586038, "ci_high": 4.08909821341396, "p": 0.00347596634671253,
        "d": 0.865814720545647, "J": 0.949007587142702, "g": 0.821664738857657,
        "g_low": 0.263099360710028, "g_high": 1.36066401565362,
    },
    "one_by_four_few": {
        "n": 3, "mean_change": 2.01066666666667, "se": 0.463242317199589, "df": 2,
        "ci_low": 0.0174958460323912, "ci_high": 4.00383748730094, "p": 0.0491965105804344,
        "d": 2.50594321405756, "J": 0.564189583547756, "g": 1.41382705833346,
        "g_low": 0.00339672494778158, "g_high": 2.83636833613637,
    },
}  # fmt: skip

# options(contrasts = c("contr.sum", "contr.poly"))
# lfit <- lme4::lmer(value ~ time + (1 | participant_id), data = d, REML = TRUE)   (all rows)
# car::Anova(lfit, type = 3): chi2, df, p; VarCorr, sigma(lfit)^2, REMLcrit(lfit);
# emmeans::emmeans(lfit, ~ time, lmer.df = "asymptotic"): emmean, SE
LMM_R = {
    "one_by_two": {
        "chi2": 4.97779617113745, "df": 1, "p": 0.0256746695928322, "var_subject": 17.9508640976663,
        "var_residual": 7.11685446227543, "reml": 154.8624869546,
        "emmeans": {"pre": (40.2377857142858, 1.3381148402548), "post": (42.4874285714287, 1.3381148402548)},
    },
    "one_by_four_missing": {
        "chi2": 23.3461935301319, "df": 3, "p": 3.41994203774676e-05, "var_subject": 4.0221706702033,
        "var_residual": 2.45678681994808, "reml": 286.560164945334,
        "emmeans": {
            "t1": (9.90791673123545, 0.609143854048511), "t2": (10.9659058822128, 0.608444194620401),
            "t3": (11.9372696724119, 0.609143854048511), "t4": (12.2749092220836, 0.608444194620401),
        },
    },
}  # fmt: skip


def _load(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / f"{name}.csv", dtype={"participant_id": str, "arm": str, "time": str})


def _complete(name: str) -> pd.DataFrame:
    complete, _ = complete_cases(_load(name), "value", "time", "participant_id", levels=LEVELS[name])
    return complete


def _batch() -> pd.DataFrame:
    """Every one-arm data set with four visits as an outcome of one pass, as the pipeline runs them."""
    names = [n for n, lv in LEVELS.items() if len(lv) == 4]
    data = pd.concat([_load(n).assign(outcome=n) for n in names], ignore_index=True)
    return mixed_anova_many(data, "value", "time", "arm", "participant_id", "outcome", LEVELS[names[0]])


# --- the one-way repeated-measures ANOVA -------------------------------------------


@pytest.mark.parametrize("name", list(ANOVA_R))
def test_one_way_rm_anova_matches_afex(name):
    res = mixed_anova(_complete(name), "value", "time", "arm", "participant_id", levels=LEVELS[name])
    assert res["effect"].tolist() == ["time"]
    row = res.iloc[0]
    for key, want in ANOVA_R[name].items():
        assert row[key] == pytest.approx(want, rel=REL), key
    assert row["correction"] == AUTO[name]
    want_p = {"none": "p", "gg": "p_gg", "hf": "p_hf"}[AUTO[name]]
    assert row["p_corrected"] == pytest.approx(ANOVA_R[name][want_p], rel=REL)


def test_one_way_rm_anova_in_a_batch_matches_afex():
    # one_by_four_missing and one_by_four_few share a pass (different participants, one with
    # missed visits left out), as the pipeline's outcomes do.
    batch = _batch().set_index("outcome")
    for name in ("one_by_four_missing", "one_by_four_few"):
        for key, want in ANOVA_R[name].items():
            assert batch.loc[name, key] == pytest.approx(want, rel=REL), (name, key)


def test_two_visits_f_is_the_paired_t_squared():
    row = mixed_anova(_complete("one_by_two"), "value", "time", "arm", "participant_id").iloc[0]
    assert row["F"] == pytest.approx(PAIRED_T["t_squared"], rel=REL)
    assert row["F"] == pytest.approx(PAIRED_T["t"] ** 2, rel=REL)
    assert row["p"] == pytest.approx(PAIRED_T["p"], rel=REL)
    assert row["df2"] == PAIRED_T["df"]
    assert (row["eps_gg"], row["eps_hf"]) == (1.0, 1.0) and np.isnan(row["mauchly_w"])


def test_a_singular_error_matrix_is_said_not_computed():
    row = mixed_anova(_complete("one_by_four_few"), "value", "time", "arm", "participant_id").iloc[0]
    assert all(np.isnan(row[c]) for c in ("eps_gg", "eps_hf", "p_gg", "p_hf", "mauchly_w", "mauchly_p"))
    assert row["note"].startswith("no sphericity test or correction")
    assert row["p_corrected"] == row["p"]


@pytest.mark.parametrize("rule", ["none", "gg", "hf", "auto"])
def test_the_sphericity_rule_on_one_arm(rule):
    ref = ANOVA_R["one_by_four_missing"]
    row = mixed_anova(_complete("one_by_four_missing"), "value", "time", "arm", "participant_id", sphericity=rule)
    picked = {"none": "none", "gg": "gg", "hf": "hf", "auto": "gg"}[rule]  # GG epsilon 0.61 < 0.75
    assert row["correction"].item() == picked
    assert row["p_corrected"].item() == pytest.approx(ref[{"none": "p", "gg": "p_gg", "hf": "p_hf"}[picked]], rel=REL)


# --- simple effects: each visit against baseline --------------------------------------


@pytest.mark.parametrize("name", list(SIMPLE_R))
def test_simple_effects_match_emmeans_treatment_vs_control(name):
    res = simple_effects(_complete(name), "value", "time", "arm", "participant_id", LEVELS[name], ["solo"])
    assert (res["family"] == "time within arm").all() and (res["level"] == "solo").all()
    assert res["contrast"].tolist() == list(SIMPLE_R[name])
    for _, row in res.iterrows():
        for col, want in zip(SIMPLE_COLUMNS, SIMPLE_R[name][row["contrast"]], strict=True):
            assert row[col] == pytest.approx(want, rel=REL), (row["contrast"], col)
    assert (res["note"] == "").all() and (res["adjust"] == "bonferroni").all()


def test_two_arm_simple_effects_still_compare_every_pair():
    d = _load("two_by_three")
    complete, _ = complete_cases(d, "value", "time", "participant_id", levels=["pre", "mid", "post"])
    res = simple_effects(
        complete, "value", "time", "arm", "participant_id", ["pre", "mid", "post"], ["control", "training"]
    )
    within = res[res["family"] == "time within arm"]
    assert within["contrast"].drop_duplicates().tolist() == ["mid - pre", "post - pre", "post - mid"]
    assert (res["family"] == "arm at time").sum() == 3


# --- assumption checks, estimation, mixed model -----------------------------------------


@pytest.mark.parametrize("name", list(SHAPIRO_R))
def test_shapiro_on_the_complete_cases_matches_r(name):
    complete = _complete(name)
    for time, (w, p) in SHAPIRO_R[name].items():
        got = shapiro(complete.loc[complete["time"] == time, "value"])
        assert (got["statistic"], got["p"], got["note"]) == (pytest.approx(w, rel=REL), pytest.approx(p, rel=REL), "")


@pytest.mark.parametrize("name", list(ESTIMATION_R))
def test_one_arm_estimation_matches_r(name):
    ref = ESTIMATION_R[name]
    lv = LEVELS[name]
    res = change_within_arm(_load(name), baseline=lv[0], follow_up=lv[-1], arm="solo").set_index("estimand")
    mean = res.loc["mean_change"]
    assert (mean["method"], mean["n"], mean["note"]) == ("paired_t", ref["n"], "")
    for col, key in [("estimate", "mean_change"), ("se", "se"), ("df", "df"), ("ci_low", "ci_low"),
                     ("ci_high", "ci_high"), ("p", "p")]:  # fmt: skip
        assert mean[col] == pytest.approx(ref[key], rel=REL), col
    g = res.loc["standardised_mean_change"]
    assert (g["method"], g["note"]) == ("noncentral_t", "")
    for col, key in [("d", "d"), ("J", "J"), ("estimate", "g"), ("ci_low", "g_low"), ("ci_high", "g_high")]:
        assert g[col] == pytest.approx(ref[key], rel=REL), col


def test_hedges_g_of_two_changes_is_empty_with_a_reason():
    # J(1) = Gamma(1/2) / (sqrt(1/2) Gamma(0)) = 0: no small-sample correction with df = 1.
    d = _load("one_by_two")
    d = d[d["participant_id"].isin(["P001", "P002"])]
    res = change_within_arm(d, baseline="pre", follow_up="post", arm="solo").set_index("estimand")
    assert res.loc["mean_change", "note"] == "" and not math.isnan(res.loc["mean_change", "ci_low"])
    assert res.loc["standardised_mean_change", "note"] == "Hedges' small-sample correction needs df >= 2 (J(1) = 0)"
    assert math.isnan(res.loc["standardised_mean_change", "estimate"])


@pytest.mark.parametrize("name", list(LMM_R))
def test_one_arm_mixed_model_matches_lme4(name):
    ref = LMM_R[name]
    fit = mixed_model(_load(name), "value", "time", "arm", "participant_id", LEVELS[name], ["solo"])
    test = fit["tests"].set_index("effect")
    assert test.index.tolist() == ["time"]
    assert test.loc["time", "chi2"] == pytest.approx(ref["chi2"], rel=REL_LMM)
    assert test.loc["time", "df"] == ref["df"]
    assert test.loc["time", "p"] == pytest.approx(ref["p"], rel=REL_LMM)
    model = fit["model"].iloc[0]
    assert model["var_subject"] == pytest.approx(ref["var_subject"], rel=REL_LMM)
    assert model["var_residual"] == pytest.approx(ref["var_residual"], rel=REL_LMM)
    assert model["reml_criterion"] == pytest.approx(ref["reml"], rel=1e-9)
    emm = fit["emmeans"].set_index("time")
    for time, (mean, se) in ref["emmeans"].items():
        assert emm.loc[time, "emmean"] == pytest.approx(mean, rel=REL_LMM)
        assert emm.loc[time, "se"] == pytest.approx(se, rel=REL_LMM)


# --- the analysis plan on one arm ---------------------------------------------------


@pytest.fixture(scope="module")
def one_arm_plan():
    data = pd.concat(
        [_load("one_by_four_missing").assign(outcome="grip"), _load("one_by_four_few").assign(outcome="few")],
        ignore_index=True,
    )
    return data, analyse_outcomes(data, ["grip", "few"], ["solo"], LEVELS["one_by_four_missing"], lmm=True)


def test_one_arm_analysis_plan(one_arm_plan):
    _, res = one_arm_plan
    assert res["status"].to_dict("records") == [
        {"outcome": "grip", "analysable": True, "reason": ""},
        {"outcome": "few", "analysable": True, "reason": ""},
    ]
    anova = res["anova"].set_index("outcome")
    assert anova["effect"].tolist() == ["time", "time"]
    assert anova.loc["grip", "n"] == 15 and anova.loc["few", "n"] == 3
    assert anova.loc["grip", "F"] == pytest.approx(ANOVA_R["one_by_four_missing"]["F"], rel=REL)
    assert anova.loc["grip", "correction"] == "gg"
    assert set(res["assumptions"]["test"]) == {"shapiro"}  # no Levene with one arm
    assert (res["assumptions"]["participants"] == "complete cases").all()
    assert len(res["simple_effects"]) == 6 and set(res["simple_effects"]["family"]) == {"time within arm"}
    assert res["lmm_tests"]["effect"].tolist() == ["time", "time"]
    assert sorted(res["excluded"]["participant_id"]) == ["P004", "P009", "P015"]
    assert res["descriptives"]["arm"].unique().tolist() == ["solo"] and len(res["descriptives"]) == 8


def test_one_arm_assumptions_on_all_available_values(one_arm_plan):
    data, _ = one_arm_plan
    res = analyse_outcomes(data, ["grip"], ["solo"], LEVELS["one_by_four_missing"], assumption_data="all_available")
    a = res["assumptions"]
    assert (a["participants"] == "all available").all()
    pooled = a[(a["data"] == "values") & (a["arm"] == "")].set_index("time")
    rows = data[data["outcome"] == "grip"]
    for time in LEVELS["one_by_four_missing"]:
        want = shapiro(rows.loc[rows["time"] == time, "value"])
        assert pooled.loc[time, "statistic"] == want["statistic"]
    assert (a["note"] == "").all()


def test_one_arm_estimation_table(one_arm_plan):
    data, _ = one_arm_plan
    est = estimate_effects(data, ["grip", "few"], ["solo"], LEVELS["one_by_four_missing"])
    assert est[["outcome", "estimand", "method"]].values.tolist() == [
        ["grip", "mean_change", "paired_t"],
        ["grip", "standardised_mean_change", "noncentral_t"],
        ["few", "mean_change", "paired_t"],
        ["few", "standardised_mean_change", "noncentral_t"],
    ]
    assert (est["arm"] == "solo").all() and est["reference_arm"].isna().all()
    grip = est[est["outcome"] == "grip"].set_index("estimand")
    assert grip.loc["mean_change", "estimate"] == pytest.approx(
        ESTIMATION_R["one_by_four_missing"]["mean_change"], rel=REL
    )
    assert grip.loc["standardised_mean_change", "estimate"] == pytest.approx(
        ESTIMATION_R["one_by_four_missing"]["g"], rel=REL
    )
    assert grip["n_excluded"].tolist() == [2, 2]  # P009, P015: no t4 or no t1


# --- two and more arms: unequal sizes, several visits --------------------------------


def test_four_arms_five_visits_unequal_arms_and_missing_visits():
    rng = np.random.default_rng(20)
    sizes = {"a": 20, "b": 5, "c": 12, "d": 9}
    levels = ["v1", "v2", "v3", "v4", "v5"]
    rows = []
    for arm, n in sizes.items():
        for i in range(n):
            u = rng.normal()
            for j, t in enumerate(levels):
                if rng.random() > 0.05:
                    rows.append((f"{arm}{i}", arm, t, "y", 10 + u + 0.3 * j * (arm == "a") + rng.normal()))
    data = pd.DataFrame(rows, columns=["participant_id", "arm", "time", "outcome", "value"])
    res = analyse_outcomes(data, ["y"], list(sizes), levels, lmm=True)
    assert res["status"]["analysable"].all()
    anova = res["anova"].set_index("effect")
    assert anova.index.tolist() == ["group", "time", "interaction"]
    assert anova.loc["group", "df1"] == 3 and anova.loc["interaction", "df1"] == 12
    assert len(res["simple_effects"]) == 4 * 10 + 5 * 6
    assert res["assumptions"].groupby("test").size().to_dict() == {"levene": 5, "shapiro": 5 * 6}
    est = estimate_effects(data, ["y"], list(sizes), levels)
    assert len(est) == 3 * 3 and (est["note"] == "").all()


def test_unknown_settings_are_refused_before_anything_is_computed():
    data = _load("one_by_two").assign(outcome="y")
    with pytest.raises(ValueError, match="unknown sphericity rule 'huynh'"):
        analyse_outcomes(data, ["y"], ["solo"], LEVELS["one_by_two"], sphericity="huynh")
    with pytest.raises(ValueError, match="unknown assumption_data 'everyone'"):
        analyse_outcomes(data, ["y"], ["solo"], LEVELS["one_by_two"], assumption_data="everyone")


def test_rows_of_arms_outside_the_design_are_left_out_of_every_table():
    one = _load("one_by_two").assign(outcome="y")
    stray = one.assign(arm="other", participant_id=one["participant_id"] + "x", value=one["value"] * 3)
    got = analyse_outcomes(pd.concat([one, stray], ignore_index=True), ["y"], ["solo"], LEVELS["one_by_two"])
    want = analyse_outcomes(one, ["y"], ["solo"], LEVELS["one_by_two"])
    for key in want:
        pd.testing.assert_frame_equal(got[key], want[key], obj=key)
