"""Tests for trialflow.stats.estimation.

Reference values come from R 4.2.2 (stats::t.test, stats::lm, emmeans 1.8.4-1,
effectsize 0.8.3) run on the complete cases of ``TRIAL`` below, and from independent
Python computations (scipy.stats.ttest_ind, statsmodels OLS, pingouin). The R session
that produced the pinned numbers:

    d <- read.csv("complete.csv")   # participant_id, baseline, week12, arm; complete cases
    d$chg <- d$week12 - d$baseline
    d$arm <- factor(d$arm, levels = c("placebo", "active", "high"))
    a <- d$chg[d$arm == "active"]; p <- d$chg[d$arm == "placebo"]; h <- d$chg[d$arm == "high"]
"""

import io
import math

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import statsmodels.formula.api as smf
from scipy import special, stats

from trialflow.stats.estimation import (
    NOTE_ANCOVA,
    NOTE_NO_SPREAD,
    NOTE_NO_SPREAD_ARM,
    ancova_follow_up,
    difference_in_change,
    hedges_g_change,
    paired_changes,
)

# id, arm, baseline, week4, week12 ("-" = no row, "NA" = row with a missing value).
# Incomplete: P103 (no week12 row), P115 (baseline NA), P121 (baseline NA, no week12 row),
# P130 (week12 NA). Complete cases: placebo 12, active 10, high 8.
TRIAL = """\
P101 placebo   48.3  47.6  46.2
P102 placebo   35.7  37.9  41.4
P103 placebo   44.2  41.4     -
P104 placebo   48.7  47.9  45.5
P105 placebo   53.5  48.8  47.8
P106 placebo   38.2  38.7  37.8
P107 placebo   56.9  56.5  55.9
P108 placebo   43.1  43.0  46.1
P109 placebo   51.9  52.8  50.3
P110 placebo   51.6  54.0  58.0
P111 placebo   56.0  59.1  55.4
P112 placebo   34.3  36.8  43.4
P113 placebo   43.1  41.0  45.0
P114 active    40.4  42.0  44.8
P115 active      NA  36.6  39.0
P116 active    48.9  49.4  49.9
P117 active    45.9  49.8  57.0
P118 active    50.5  52.9  51.9
P119 active    42.2  45.2  52.9
P120 active    39.1  41.5  43.6
P121 active      NA  40.4     -
P122 active    49.7  55.5  58.2
P123 active    52.7  58.4  60.4
P124 active    41.1  49.8  58.7
P125 active    45.2  48.4  53.6
P126 high      55.0  56.0  54.0
P127 high      39.9  45.2  51.3
P128 high      46.0  49.1  54.5
P129 high      43.8  52.9  54.2
P130 high      42.0  51.5    NA
P131 high      41.0  47.2  51.2
P132 high      42.7  51.5  56.8
P133 high      63.6  67.7  68.0
P134 high      64.5  65.1  67.7
"""

KW = {"baseline": "baseline", "follow_up": "week12", "reference_arm": "placebo"}


def _long(text=TRIAL):
    rows = []
    for line in io.StringIO(text):
        pid, arm, *vals = line.split()
        for time, v in zip(("baseline", "week4", "week12"), vals, strict=True):
            if v != "-":
                rows.append((pid, arm, time, np.nan if v == "NA" else float(v)))
    return pd.DataFrame(rows, columns=["participant_id", "arm", "time", "value"])


@pytest.fixture
def trial():
    return _long()


@pytest.fixture
def changes(trial):
    w = paired_changes(trial, **KW)
    return {arm: g["change"].to_numpy() for arm, g in w.groupby("arm")}


# --------------------------------------------------------------------------------------
# Complete cases
# --------------------------------------------------------------------------------------
def test_paired_changes_lists_excluded(trial):
    w = paired_changes(trial, **KW, treatment_arm="active")
    assert w.attrs["excluded_ids"] == ["P103", "P115", "P121"]
    assert [r["reason"] for r in w.attrs["excluded"]] == [
        "no follow-up row",
        "missing baseline value",
        "missing baseline value; no follow-up row",
    ]
    assert w["arm"].value_counts().to_dict() == {"placebo": 12, "active": 10}
    assert (w["n_excluded"] == 3).all()
    row = w.set_index("participant_id").loc["P101"]
    assert (row["baseline"], row["follow_up"], row["change"]) == (48.3, 46.2, 46.2 - 48.3)
    # all arms: P130 (high, follow-up NA) is excluded too
    assert paired_changes(trial, **KW).attrs["excluded_ids"] == ["P103", "P115", "P121", "P130"]


def test_incomplete_raise_refuses(trial):
    with pytest.raises(ValueError, match=r"3 incomplete participant\(s\): P103 \(no follow-up"):
        difference_in_change(trial, **KW, treatment_arm="active", incomplete="raise")
    complete = trial[~trial["participant_id"].isin(["P103", "P115", "P121", "P130"])]
    res = ancova_follow_up(complete, **KW, incomplete="raise")
    assert res.attrs["excluded_ids"] == [] and (res["n_excluded"] == 0).all()


# --------------------------------------------------------------------------------------
# difference_in_change
# --------------------------------------------------------------------------------------
def test_difference_in_change_matches_r(trial):
    res = difference_in_change(trial, **KW, treatment_arm="active")
    assert list(res.columns) == [
        "estimand",
        "arm",
        "reference_arm",
        "method",
        "n",
        "mean_baseline",
        "mean_follow_up",
        "estimate",
        "sd",
        "se",
        "df",
        "t",
        "p",
        "ci_low",
        "ci_high",
        "conf",
        "n_excluded",
        "note",
    ]
    assert (res["note"] == "").all()
    assert res.attrs["excluded_ids"] == ["P103", "P115", "P121"]
    per_arm = res[res["estimand"] == "mean_change"].set_index("arm")
    # R: c(mean(p), sd(p), t.test(p)$conf.int)
    assert per_arm.loc["placebo", ["estimate", "sd", "ci_low", "ci_high"]].tolist() == pytest.approx(
        [0.958333333333332, 4.35962015303947, -1.81163716018371, 3.72830382685037], rel=1e-12
    )
    # R: c(mean(a), sd(a), t.test(a)$conf.int)
    assert per_arm.loc["active", ["estimate", "sd", "ci_low", "ci_high"]].tolist() == pytest.approx(
        [7.53, 5.00134426373995, 3.95225384179686, 11.1077461582031], rel=1e-12
    )
    assert per_arm.loc["placebo", "n"] == 12 and per_arm.loc["active", "n"] == 10
    assert per_arm["t"].isna().all() and per_arm["p"].isna().all()
    assert per_arm.loc["placebo", "mean_baseline"] == pytest.approx(46.775, rel=1e-14)

    diff = res[res["estimand"] == "difference_in_mean_change"].set_index("method")
    cols = ["estimate", "t", "df", "p", "ci_low", "ci_high"]
    # R: s <- t.test(a, p, var.equal = TRUE)
    #    c(diff(rev(s$estimate)), s$statistic, s$parameter, s$p.value, s$conf.int)
    assert diff.loc["student_pooled", cols].tolist() == pytest.approx(
        [6.57166666666667, 3.29404718131396, 20, 0.0036255714803362, 2.41014265084669, 10.7331906824866], rel=1e-11
    )
    # R: w <- t.test(a, p, var.equal = FALSE)   (Welch)
    assert diff.loc["welch", cols].tolist() == pytest.approx(
        [6.57166666666667, 3.2513877946943, 18.0762927652363, 0.00441306140140534, 2.3265921033785, 10.8167412299548],
        rel=1e-11,
    )
    assert (diff["arm"] == "active").all() and (diff["reference_arm"] == "placebo").all()
    assert (diff["n"] == 22).all()


def test_difference_in_change_matches_scipy_and_pingouin(trial, changes):
    res = difference_in_change(trial, **KW, treatment_arm="active", conf=0.90)
    diff = res[res["estimand"] == "difference_in_mean_change"].set_index("method")
    for method, equal_var in (("student_pooled", True), ("welch", False)):
        tt = stats.ttest_ind(changes["active"], changes["placebo"], equal_var=equal_var)
        ci = tt.confidence_interval(0.90)
        row = diff.loc[method]
        assert row["t"] == pytest.approx(tt.statistic, rel=1e-12)
        assert row["p"] == pytest.approx(tt.pvalue, rel=1e-10)
        assert row["df"] == pytest.approx(tt.df, rel=1e-12)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-12)
    # pingouin 0.7 ttest: Welch when correction=True; CI column "CI90" (no % sign in 0.7)
    pw = pg.ttest(changes["active"], changes["placebo"], correction=True, confidence=0.90)
    assert diff.loc["welch", "df"] == pytest.approx(pw["dof"].iloc[0], rel=1e-12)
    assert [diff.loc["welch", "ci_low"], diff.loc["welch", "ci_high"]] == pytest.approx(
        list(pw["CI90"].iloc[0]), rel=1e-10
    )


def test_difference_in_change_general_arms(trial):
    res = difference_in_change(trial, **KW)  # treatment_arm=None -> active and high
    assert res.attrs["excluded_ids"] == ["P103", "P115", "P121", "P130"]
    assert res.loc[res["estimand"] == "mean_change", "arm"].tolist() == ["placebo", "active", "high"]
    high = res[(res["estimand"] == "difference_in_mean_change") & (res["arm"] == "high")]
    high = high.set_index("method")
    cols = ["estimate", "t", "df", "p", "ci_low", "ci_high"]
    # R: t.test(h, p, var.equal = TRUE) / t.test(h, p, var.equal = FALSE)
    assert high.loc["student_pooled", cols].tolist() == pytest.approx(
        [6.69166666666667, 3.1712092761967, 18, 0.00528649839498041, 2.25844616259223, 11.1248871707411], rel=1e-11
    )
    assert high.loc["welch", cols].tolist() == pytest.approx(
        [6.69166666666667, 3.07999596472927, 13.6412084879071, 0.00836234088184497, 2.02033150088361, 11.3630018324497],
        rel=1e-11,
    )
    # the placebo-vs-active rows are unaffected by the third arm (pairwise pooling)
    two = difference_in_change(trial, **KW, treatment_arm="active")
    act = res[(res["estimand"] == "difference_in_mean_change") & (res["arm"] == "active")]
    assert act["ci_low"].tolist() == pytest.approx(two["ci_low"].iloc[2:].tolist(), rel=1e-14)


def test_other_time_points_are_ignored(trial):
    res = difference_in_change(trial, **KW, treatment_arm="active")
    no_week4 = trial[trial["time"] != "week4"]
    res2 = difference_in_change(no_week4, **KW, treatment_arm="active")
    pd.testing.assert_frame_equal(res, res2)


# --------------------------------------------------------------------------------------
# hedges_g_change
# --------------------------------------------------------------------------------------
def test_hedges_g_matches_r_effectsize(trial):
    res = hedges_g_change(trial, **KW, treatment_arm=["active", "high"])
    assert res.attrs["excluded_ids"] == ["P103", "P115", "P121", "P130"]
    nct = res[res["ci_method"] == "noncentral_t"].set_index("arm")
    # R: as.data.frame(effectsize::hedges_g(a, p))  -> Hedges_g, CI_low, CI_high
    #    1.35675229179315 0.434443938704164 2.25233004168055
    # R: as.data.frame(effectsize::hedges_g(h, p))
    #    1.38614759930971 0.403609387850536 2.33856948646863
    assert nct.loc["active", "estimate"] == pytest.approx(1.35675229179315, rel=1e-12)
    assert nct.loc["high", "estimate"] == pytest.approx(1.38614759930971, rel=1e-12)
    # effectsize finds the limits with optim(abstol = 1e-9), so agree to ~1e-7 only;
    # the tighter check of the defining equation is in test_hedges_g_noncentral_t_limits.
    assert (nct.loc["active", "ci_low"], nct.loc["active", "ci_high"]) == pytest.approx(
        (0.434443938704164, 2.25233004168055), abs=1e-6
    )
    assert (nct.loc["high", "ci_low"], nct.loc["high", "ci_high"]) == pytest.approx(
        (0.403609387850536, 2.33856948646863), abs=1e-6
    )
    # R: as.data.frame(effectsize::cohens_d(a, p))$Cohens_d -> 1.41042673896914
    assert nct.loc["active", "d"] == pytest.approx(1.41042673896914, rel=1e-12)


def test_hedges_g_noncentral_t_limits(trial, changes):
    res = hedges_g_change(trial, **KW, treatment_arm="active", conf=0.95)
    row = res[res["ci_method"] == "noncentral_t"].iloc[0]
    n1, n0 = changes["active"].size, changes["placebo"].size
    hn = math.sqrt(1 / n1 + 1 / n0)
    t_obs = row["d"] / hn
    ncp_lo, ncp_hi = row["ci_low"] / row["J"] / hn, row["ci_high"] / row["J"] / hn
    # Defining equations of the exact interval. R cross-check of the same limits:
    #   pt(t, 20, ncp = 0.434443849889 / J / hn) -> 0.975000000000029
    #   pt(t, 20, ncp = 2.252330014337 / J / hn) -> 0.0249999999998151
    assert stats.nct.cdf(t_obs, n1 + n0 - 2, ncp_lo) == pytest.approx(0.975, abs=1e-11)
    assert stats.nct.cdf(t_obs, n1 + n0 - 2, ncp_hi) == pytest.approx(0.025, abs=1e-11)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((0.434443849889, 2.252330014337), abs=1e-11)


def test_hedges_g_closed_form_and_pingouin(trial, changes):
    a, p = changes["active"], changes["placebo"]
    n1, n0 = a.size, p.size
    df = n1 + n0 - 2
    sp = math.sqrt(((n1 - 1) * a.var(ddof=1) + (n0 - 1) * p.var(ddof=1)) / df)
    d = (a.mean() - p.mean()) / sp
    j_exact = math.gamma(df / 2) / (math.sqrt(df / 2) * math.gamma((df - 1) / 2))

    res = hedges_g_change(trial, **KW, treatment_arm="active")
    ho = res[res["ci_method"] == "normal_hedges_olkin"].iloc[0]
    assert ho["d"] == pytest.approx(d, rel=1e-13)
    assert ho["J"] == pytest.approx(j_exact, rel=1e-13)
    g = j_exact * d
    se = math.sqrt((n1 + n0) / (n1 * n0) + g**2 / (2 * (n1 + n0)))  # Hedges & Olkin (1985)
    z = stats.norm.ppf(0.975)
    assert ho["estimate"] == pytest.approx(g, rel=1e-13)
    assert ho["se"] == pytest.approx(se, rel=1e-13)
    assert (ho["ci_low"], ho["ci_high"]) == pytest.approx((g - z * se, g + z * se), rel=1e-13)

    # pingouin: Hedges' g with J = 1 - 3 / (4 (n1 + n2) - 9) (= our "approx")
    approx = hedges_g_change(trial, **KW, treatment_arm="active", correction="approx")
    g_pg = pg.compute_effsize(a, p, eftype="hedges")
    assert approx["estimate"].iloc[0] == pytest.approx(g_pg, rel=1e-12)
    assert approx["J"].iloc[0] == pytest.approx(1 - 3 / (4 * df - 1), rel=1e-15)
    assert ho["J"] == pytest.approx(approx["J"].iloc[0], abs=2e-3)  # exact vs approx J
    # pingouin.compute_esci uses the same Hedges-Olkin SE but a t_{n1+n2-2} quantile instead
    # of z: back out its SE and compare.
    lo, hi = pg.compute_esci(stat=g_pg, nx=n1, ny=n0, eftype="hedges", decimals=15)
    se_pg = (hi - lo) / (2 * stats.t.ppf(0.975, df))
    assert approx["se"].iloc[0] == pytest.approx(se_pg, rel=1e-10)


def test_hedges_g_is_empty_with_a_reason_when_the_changes_do_not_vary():
    # every change +1 in ctl and +2 in trt: the pooled SD is 0 and g undefined (was a ValueError)
    df = _long("A1 ctl 1 1 2\nA2 ctl 2 2 3\nB1 trt 1 1 3\nB2 trt 2 2 4\n")
    res = hedges_g_change(df, baseline="baseline", follow_up="week12", reference_arm="ctl")
    assert len(res) == 2 and res[["estimate", "ci_low", "ci_high", "se", "d"]].isna().all().all()
    assert (res["note"] == NOTE_NO_SPREAD).all()
    # up to rounding: changes of exactly +0.1 from values such as 1.1 and 1.2 are not spread
    df = _long("A1 ctl 1.1 1 1.2\nA2 ctl 2.3 2 2.4\nB1 trt 1.7 1 1.9\nB2 trt 0.3 2 0.5\n")
    res = hedges_g_change(df, baseline="baseline", follow_up="week12", reference_arm="ctl")
    assert (res["note"] == NOTE_NO_SPREAD).all()
    with pytest.raises(ValueError, match="correction"):
        hedges_g_change(_long(), **KW, correction="olkin")


# --------------------------------------------------------------------------------------
# ancova_follow_up
# --------------------------------------------------------------------------------------
def test_ancova_two_arms_matches_r(trial):
    res = ancova_follow_up(trial, **KW, treatment_arm="active")
    assert res.attrs["excluded_ids"] == ["P103", "P115", "P121"]
    assert res["df"].eq(19.0).all()  # R: f2$df.residual
    diff = res[res["estimand"] == "adjusted_difference"].iloc[0]
    cols = ["estimate", "se", "t", "p", "ci_low", "ci_high"]
    # R: f2 <- lm(week12 ~ arm + baseline, data = droplevels(subset(d, arm != "high")))
    #    summary(f2)$coefficients["armactive", ]; confint(f2)["armactive", ]
    assert diff[cols].tolist() == pytest.approx(
        [
            6.159663364164721,
            1.79904481242450,
            3.42385210286319,
            0.002846604981036529,
            2.394219296801765,
            9.925107431527676,
        ],
        rel=1e-10,
    )
    slope = res[res["estimand"] == "baseline_slope"].iloc[0]
    assert slope[cols].tolist() == pytest.approx(
        [
            0.658088545641542,
            0.14174894093766,
            4.64263465595106,
            0.000177493112915566,
            0.361404602572116,
            0.954772488710968,
        ],
        rel=1e-10,
    )
    # R: data.frame(summary(emmeans(f2, "arm")))
    means = res[res["estimand"] == "adjusted_mean"].set_index("arm")
    assert means.loc["placebo", ["estimate", "se", "ci_low", "ci_high"]].tolist() == pytest.approx(
        [47.3728802890161, 1.20993021876391, 44.8404672369877, 49.9052933410444], rel=1e-11
    )
    assert means.loc["active", ["estimate", "se", "ci_low", "ci_high"]].tolist() == pytest.approx(
        [53.5325436531808, 1.32595779153206, 50.7572821003741, 56.3078052059875], rel=1e-11
    )
    assert res["covariate_mean"].iloc[0] == pytest.approx(46.2272727272727, rel=1e-12)


def test_ancova_three_arms_matches_r_emmeans(trial):
    res = ancova_follow_up(trial, **KW)
    assert res["df"].eq(26.0).all()
    means = res[res["estimand"] == "adjusted_mean"].set_index("arm")
    # R: f3 <- lm(week12 ~ arm + baseline, data = d); data.frame(summary(emmeans(f3, "arm")))
    expected = {
        "placebo": [47.9500118938582, 1.13047238859212, 45.6262926195342, 50.2737311681823],
        "active": [54.0808668495956, 1.24715650734863, 51.5172999341454, 56.6444337650457],
        "high": [55.6613985972183, 1.40472796363741, 52.7739389146767, 58.5488582797598],
    }
    for arm, vals in expected.items():
        assert means.loc[arm, ["estimate", "se", "ci_low", "ci_high"]].tolist() == pytest.approx(vals, rel=1e-11)
    # R: summary(contrast(emmeans(f3, "arm"), "trt.vs.ctrl", adjust = "none"), infer = TRUE)
    diffs = res[res["estimand"] == "adjusted_difference"].set_index("arm")
    cols = ["estimate", "se", "ci_low", "ci_high", "t", "p"]
    assert diffs.loc["active", cols].tolist() == pytest.approx(
        [
            6.13085495573733,
            1.68021391533679,
            2.67712578954515,
            9.58458412192952,
            3.64885381544315,
            0.001159958736001589,
        ],
        rel=1e-10,
    )
    assert diffs.loc["high", cols].tolist() == pytest.approx(
        [
            7.71138670336003,
            1.80760471861902,
            3.99580199080886,
            11.42697141591120,
            4.26608020212040,
            0.000232913753895776,
        ],
        rel=1e-10,
    )


@pytest.mark.parametrize("treatment_arm", ["active", None])
def test_ancova_matches_statsmodels(trial, treatment_arm):
    res = ancova_follow_up(trial, **KW, treatment_arm=treatment_arm)
    w = paired_changes(trial, **KW, treatment_arm=treatment_arm)
    w = w.rename(columns={"baseline": "value_pre", "follow_up": "value_post"})
    fit = smf.ols("value_post ~ C(arm, Treatment(reference='placebo')) + value_pre", data=w).fit()
    ci = fit.conf_int(0.05)
    for _, row in res[res["estimand"] == "adjusted_difference"].iterrows():
        name = f"C(arm, Treatment(reference='placebo'))[T.{row['arm']}]"
        assert row["estimate"] == pytest.approx(fit.params[name], rel=1e-10, abs=1e-10)
        assert row["se"] == pytest.approx(fit.bse[name], rel=1e-10, abs=1e-10)
        assert row["t"] == pytest.approx(fit.tvalues[name], rel=1e-10, abs=1e-10)
        assert row["p"] == pytest.approx(fit.pvalues[name], rel=1e-10, abs=1e-10)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(tuple(ci.loc[name]), rel=1e-10, abs=1e-10)
        assert row["df"] == fit.df_resid
    slope = res[res["estimand"] == "baseline_slope"].iloc[0]
    assert slope["estimate"] == pytest.approx(fit.params["value_pre"], rel=1e-10, abs=1e-10)
    assert slope["se"] == pytest.approx(fit.bse["value_pre"], rel=1e-10, abs=1e-10)
    # adjusted means = model prediction at the mean baseline
    xbar = w["value_pre"].mean()
    pred = fit.get_prediction(pd.DataFrame({"arm": ["placebo", "active"], "value_pre": [xbar, xbar]})).summary_frame(
        0.05
    )
    means = res[res["estimand"] == "adjusted_mean"].set_index("arm")
    assert means.loc[["placebo", "active"], "estimate"].tolist() == pytest.approx(pred["mean"].tolist(), rel=1e-10)
    assert means.loc[["placebo", "active"], "se"].tolist() == pytest.approx(pred["mean_se"].tolist(), rel=1e-10)


def test_ancova_with_a_constant_baseline_is_empty_with_a_reason():
    df = _long("A1 ctl 5 1 2\nA2 ctl 5 2 3\nA3 ctl 5 2 4\nB1 trt 5 1 3\nB2 trt 5 2 5\n")
    res = ancova_follow_up(df, baseline="baseline", follow_up="week12", reference_arm="ctl")
    assert res[["estimate", "se", "p", "ci_low", "ci_high"]].isna().all().all()
    assert (res["note"] == NOTE_ANCOVA["rank"]).all()


# --------------------------------------------------------------------------------------
# Refusals shared by all functions
# --------------------------------------------------------------------------------------
FUNCS = [difference_in_change, hedges_g_change, ancova_follow_up, paired_changes]


def _mutate(kind):
    df = _long()
    if kind == "missing_column":
        return df.drop(columns="time"), KW, "lacks required column"
    if kind == "bad_baseline":
        return df, {**KW, "baseline": "screening"}, "baseline time label 'screening'"
    if kind == "same_times":
        return df, {**KW, "follow_up": "baseline"}, "must differ"
    if kind == "bad_arm":
        return df, {**KW, "treatment_arm": "nope"}, r"arm\(s\) \['nope'\] not found"
    if kind == "ref_is_treatment":
        return df, {**KW, "treatment_arm": "placebo"}, "also listed as a treatment"
    if kind == "two_arms":
        df.loc[(df["participant_id"] == "P101") & (df["time"] == "week4"), "arm"] = "active"
        return df, KW, r"more than one arm: \['P101'\]"
    if kind == "duplicate":
        dup = df[(df["participant_id"] == "P102") & (df["time"] == "week12")]
        return pd.concat([df, dup]), KW, r"duplicated \(participant_id, time\).*P102"
    if kind == "non_numeric":
        df["value"] = df["value"].astype(object)
        df.loc[0, "value"] = "12,3"
        return df, KW, "'value' must be numeric"
    if kind == "infinite":
        df.loc[0, "value"] = np.inf
        return df, KW, r"infinite values.*P101"
    if kind == "missing_arm":
        df.loc[3, "arm"] = None
        return df, KW, "column 'arm' has missing entries"
    raise AssertionError(kind)


@pytest.mark.parametrize("func", FUNCS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    "kind",
    [
        "missing_column",
        "bad_baseline",
        "same_times",
        "bad_arm",
        "ref_is_treatment",
        "two_arms",
        "duplicate",
        "non_numeric",
        "infinite",
        "missing_arm",
    ],
)
def test_refuses_malformed_data(func, kind):
    df, kw, match = _mutate(kind)
    with pytest.raises(ValueError, match=match):
        func(df, **kw)


@pytest.mark.parametrize("func", FUNCS[:3], ids=lambda f: f.__name__)
@pytest.mark.parametrize("conf", [0, 1, 95, -0.5])
def test_refuses_bad_conf(func, conf):
    with pytest.raises(ValueError, match="conf"):
        func(_long(), **KW, conf=conf)


def test_refuses_bad_incomplete_option():
    with pytest.raises(ValueError, match="incomplete must be"):
        paired_changes(_long(), **KW, incomplete="drop")


def test_not_a_dataframe():
    with pytest.raises(ValueError, match="pandas DataFrame"):
        difference_in_change({"a": [1]}, **KW)


def test_hedges_j_exact_formula():
    # J(df) = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2)); check df = 10 by closed form
    from trialflow.stats.estimation import _hedges_j

    assert _hedges_j(10, "exact") == pytest.approx(
        math.exp(special.gammaln(5) - special.gammaln(4.5)) / math.sqrt(5), rel=1e-14
    )


def test_treatment_arm_accepts_any_iterable(trial):
    ref = hedges_g_change(trial, **KW, treatment_arm=["active", "high"])
    for arms in (("active", "high"), np.array(["active", "high"]), pd.Index(["active", "high"])):
        pd.testing.assert_frame_equal(hedges_g_change(trial, **KW, treatment_arm=arms), ref)


def test_degenerate_fits_are_empty_with_a_reason():
    # constant change in both arms -> no SE for the difference (was a ValueError)
    df = _long("A1 ctl 1 1 2\nA2 ctl 2 2 3\nB1 trt 1 1 3\nB2 trt 2 2 4\n")
    res = difference_in_change(df, baseline="baseline", follow_up="week12", reference_arm="ctl")
    diff = res[res["estimand"] == "difference_in_mean_change"]
    assert diff["estimate"].tolist() == [1.0, 1.0]  # the difference itself is defined
    assert diff[["se", "df", "t", "p", "ci_low", "ci_high"]].isna().all().all()
    assert (diff["note"] == NOTE_NO_SPREAD).all()
    per_arm = res[res["estimand"] == "mean_change"]
    assert (per_arm["note"] == NOTE_NO_SPREAD_ARM).all() and per_arm["se"].isna().all()
    # follow-up exactly linear in arm and baseline -> zero residual variance (was a ValueError)
    df = _long("A1 ctl 1 1 2\nA2 ctl 2 2 3\nA3 ctl 4 2 5\nB1 trt 1 1 3\nB2 trt 2 2 4\n")
    res = ancova_follow_up(df, baseline="baseline", follow_up="week12", reference_arm="ctl")
    assert res[["estimate", "se", "p"]].isna().all().all() and (res["note"] == NOTE_ANCOVA["rss"]).all()


def _too_few():
    """TRIAL with one complete participant left in arm high (P134)."""
    return _long()[lambda d: ~d["participant_id"].isin([f"P{i}" for i in range(126, 134)])]


def test_an_arm_with_one_complete_participant_gives_empty_rows_with_a_reason():
    # Was a ValueError ("fewer than 2 complete participants") that stopped the whole estimation.
    note = "fewer than two participants with values at baseline and week12 in arm high (n = 1)"
    d = _too_few()
    dic = difference_in_change(d, **KW)
    high = dic[dic["arm"] == "high"]
    assert (high["note"] == note).all() and high[["se", "df", "p", "ci_low", "ci_high"]].isna().all().all()
    active = dic[(dic["arm"] == "active") & (dic["estimand"] == "difference_in_mean_change")]
    full = difference_in_change(_long(), **KW)
    full_active = full[(full["arm"] == "active") & (full["estimand"] == "difference_in_mean_change")]
    pd.testing.assert_frame_equal(
        active.drop(columns="n_excluded").reset_index(drop=True),
        full_active.drop(columns="n_excluded").reset_index(drop=True),
        check_exact=True,
    )
    g = hedges_g_change(d, **KW)
    assert (g.loc[g["arm"] == "high", "note"] == note).all() and g.loc[g["arm"] == "high", "estimate"].isna().all()
    assert (g.loc[g["arm"] == "active", "note"] == "").all()
    # ANCOVA: arm high is left out of the model. With one participant it would add one value and
    # one parameter, so the other arm's adjusted difference is the same as with P134 in the model.
    anc = ancova_follow_up(d, **KW)
    rows = anc.set_index(["estimand", "arm"])
    assert rows.loc[("adjusted_difference", "high"), "note"] == note
    assert np.isnan(rows.loc[("adjusted_difference", "high"), "estimate"])
    two = ancova_follow_up(d[d["arm"] != "high"], **KW, treatment_arm="active").set_index(["estimand", "arm"])
    for col in ("estimate", "se", "df", "p"):
        assert rows.loc[("adjusted_difference", "active"), col] == pytest.approx(
            two.loc[("adjusted_difference", "active"), col], rel=1e-12
        )
    # paired_changes only lists the changes: nothing to refuse
    assert paired_changes(d, **KW)["arm"].value_counts()["high"] == 1


def test_a_reference_arm_without_participants_empties_every_comparison():
    d = _long()[lambda d: d["arm"] != "placebo"]
    note = "fewer than two participants with values at baseline and week12 in arm placebo (n = 0)"
    for func in (difference_in_change, hedges_g_change, ancova_follow_up):
        res = func(d, **KW, treatment_arm=["active", "high"], strict_labels=False)
        compared = res[res["reference_arm"].notna()]
        assert len(compared) and compared["estimate"].isna().all(), func.__name__
        assert compared["note"].str.contains(note, regex=False).all(), func.__name__


def test_labels_without_rows_are_no_data_when_not_strict():
    # strict_labels=False: the design's labels; an empty follow-up is no data, not a typo.
    d = _long()[lambda d: d["time"] != "week12"]
    for func in (difference_in_change, hedges_g_change, ancova_follow_up):
        res = func(d, **KW, strict_labels=False)
        assert res["estimate"].isna().all() and (res["note"] != "").all(), func.__name__
        with pytest.raises(ValueError, match="follow_up time label 'week12' not found"):
            func(d, **KW)


def test_exact_hedges_ci_survives_scipy_nct_nan_in_the_far_tail():
    # stats.nct.cdf(-5, 27, 10) is NaN in scipy 1.17; a negative effect with t about -5 must still
    # give a finite exact CI that contains g.
    import numpy as np
    import pandas as pd

    from trialflow.stats.estimation import hedges_g_change

    rng = np.random.default_rng(11)
    rows = []
    for arm, shift in [("control", 0.0), ("training", -3.0)]:
        for i in range(15):
            pre = rng.normal(12, 2)
            rows += [
                {"participant_id": f"{arm}{i}", "arm": arm, "time": "pre", "value": pre},
                {"participant_id": f"{arm}{i}", "arm": arm, "time": "post", "value": pre + shift + rng.normal(0, 1)},
            ]
    g = hedges_g_change(pd.DataFrame(rows), baseline="pre", follow_up="post", reference_arm="control")
    exact = g[g["ci_method"] == "noncentral_t"].iloc[0]
    assert np.isfinite(exact["ci_low"]) and np.isfinite(exact["ci_high"])
    assert exact["ci_low"] < exact["estimate"] < exact["ci_high"] < 0
