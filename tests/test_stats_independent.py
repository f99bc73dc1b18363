"""The statistics checked against computations that share no code with them.

* Closed-form identities of the 2 × 2 mixed design (they hold for unequal arms too):
  interaction F = t² of Student's t on the change scores; group F = t² of Student's t on the
  subject means; time F (Type III) = t² of the unweighted mean change over its pooled SE.
* statsmodels OLS with sum-to-zero contrasts and Type III sums of squares on subject means.
* Levene (mean-centred) = one-way ANOVA F on absolute deviations from the group means.
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

from trialflow.analysis import analyse_outcome
from trialflow.stats.anova import mixed_anova
from trialflow.stats.assumptions import levene
from trialflow.stats.baseline import compare_numeric


def _two_by_two(n_a: int, n_b: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for arm, n, shift in [("control", n_a, 0.0), ("training", n_b, 3.0)]:
        pre = rng.normal(10, 2, n)
        post = pre * 0.5 + rng.normal(5 + shift, 1.5, n)
        for i in range(n):
            pid = f"{arm[0]}{i:02d}"
            rows += [
                {"participant_id": pid, "arm": arm, "time": "pre", "value": pre[i]},
                {"participant_id": pid, "arm": arm, "time": "post", "value": post[i]},
            ]
    return pd.DataFrame(rows)


def _closed_form(data):
    wide = data.pivot(index="participant_id", columns="time", values="value")
    arm = data.drop_duplicates("participant_id").set_index("participant_id")["arm"].reindex(wide.index)
    change, mean = wide["post"] - wide["pre"], (wide["post"] + wide["pre"]) / 2
    a, b = (arm == "control"), (arm == "training")
    t_inter = stats.ttest_ind(change[b], change[a]).statistic
    t_group = stats.ttest_ind(mean[b], mean[a]).statistic
    n_a, n_b = a.sum(), b.sum()
    pooled = (((change[a] - change[a].mean()) ** 2).sum() + ((change[b] - change[b].mean()) ** 2).sum()) / (
        n_a + n_b - 2
    )
    t_time = ((change[a].mean() + change[b].mean()) / 2) / np.sqrt(pooled / 4 * (1 / n_a + 1 / n_b))
    return {"interaction": t_inter**2, "group": t_group**2, "time": t_time**2}


@pytest.mark.parametrize("n_a,n_b", [(15, 15), (11, 17), (4, 9)])
def test_2x2_F_equals_closed_form_identities(n_a, n_b):
    data = _two_by_two(n_a, n_b, seed=n_a * 100 + n_b)
    res = mixed_anova(data, "value", "time", "arm", "participant_id").set_index("effect")
    for effect, f in _closed_form(data).items():
        assert res.loc[effect, "F"] == pytest.approx(f, rel=1e-10), effect
        assert res.loc[effect, "df2"] == n_a + n_b - 2


def test_demo_F_equals_closed_form_identities(demo_analysis):
    for outcome in ["BDNF", "GDNF"]:
        data = demo_analysis["data"][demo_analysis["data"]["outcome"] == outcome]
        res = demo_analysis["anova"].query("outcome == @outcome").set_index("effect")
        for effect, f in _closed_form(data).items():
            assert res.loc[effect, "F"] == pytest.approx(f, rel=1e-8), (outcome, effect)


def test_group_effect_matches_statsmodels_type3_with_sum_contrasts():
    data = _two_by_two(11, 17, seed=7)
    means = data.groupby(["participant_id", "arm"], as_index=False)["value"].mean()
    # Subject totals / sqrt(k) carry the between-subject SS of the split-plot model.
    means["total"] = means["value"] * 2 / np.sqrt(2)
    fit = smf.ols("total ~ C(arm, Sum)", data=means).fit()
    table = sm.stats.anova_lm(fit, typ=3)
    res = mixed_anova(data, "value", "time", "arm", "participant_id").set_index("effect")
    assert res.loc["group", "ss"] == pytest.approx(table.loc["C(arm, Sum)", "sum_sq"], rel=1e-10)
    assert res.loc["group", "F"] == pytest.approx(table.loc["C(arm, Sum)", "F"], rel=1e-10)
    assert res.loc["group", "p"] == pytest.approx(table.loc["C(arm, Sum)", "PR(>F)"], rel=1e-8)


def test_time_and_interaction_match_statsmodels_type3_on_change_scores():
    data = _two_by_two(11, 17, seed=8)
    wide = data.pivot(index="participant_id", columns="time", values="value")
    arm = data.drop_duplicates("participant_id").set_index("participant_id")["arm"].reindex(wide.index)
    frame = pd.DataFrame({"z": (wide["post"] - wide["pre"]) / np.sqrt(2), "arm": arm})
    table = sm.stats.anova_lm(smf.ols("z ~ C(arm, Sum)", data=frame).fit(), typ=3)
    res = mixed_anova(data, "value", "time", "arm", "participant_id").set_index("effect")
    # Intercept of the contrast scores under sum-to-zero coding = the Type III time effect.
    assert res.loc["time", "ss"] == pytest.approx(table.loc["Intercept", "sum_sq"], rel=1e-10)
    assert res.loc["interaction", "ss"] == pytest.approx(table.loc["C(arm, Sum)", "sum_sq"], rel=1e-10)
    assert res.loc["time", "ss_error"] == pytest.approx(table.loc["Residual", "sum_sq"], rel=1e-10)


def test_partial_eta_squared_from_F_and_df(demo_analysis):
    a = demo_analysis["anova"]
    assert a["pes"].tolist() == pytest.approx((a["F"] * a["df1"] / (a["F"] * a["df1"] + a["df2"])).tolist(), rel=1e-10)


def test_levene_is_mean_centred_anova_on_absolute_deviations():
    data = _two_by_two(11, 17, seed=9).query("time == 'post'").copy()
    data["dev"] = (data["value"] - data.groupby("arm")["value"].transform("mean")).abs()
    expected = stats.f_oneway(*[g["dev"] for _, g in data.groupby("arm")])
    res = levene(data, "value", "arm")
    assert res["center"] == "mean"
    assert res["statistic"] == pytest.approx(expected.statistic, rel=1e-10)
    assert res["p"] == pytest.approx(expected.pvalue, rel=1e-10)


def test_student_and_welch_t_closed_form():
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, 12), rng.normal(0.5, 2, 19)
    res = compare_numeric({"a": a, "b": b}).set_index("test")
    sp = ((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / (len(a) + len(b) - 2)
    t_student = (a.mean() - b.mean()) / np.sqrt(sp * (1 / len(a) + 1 / len(b)))
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    t_welch = (a.mean() - b.mean()) / np.sqrt(va + vb)
    df_welch = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    assert res.loc["student", "statistic"] == pytest.approx(t_student, rel=1e-12)
    assert res.loc["student", "df"] == len(a) + len(b) - 2
    assert res.loc["welch", "statistic"] == pytest.approx(t_welch, rel=1e-12)
    assert res.loc["welch", "df"] == pytest.approx(df_welch, rel=1e-12)
    assert res.loc["welch", "p"] == pytest.approx(2 * stats.t.sf(abs(t_welch), df_welch), rel=1e-10)


def test_participant_missing_a_visit_is_excluded_and_named():
    data = _two_by_two(6, 6, seed=1)
    data["outcome"] = "X"
    data = data[~((data["participant_id"] == "t03") & (data["time"] == "post"))]
    res = analyse_outcome(data, "X", ["control", "training"], ["pre", "post"])
    assert res["excluded"].to_dict("records") == [
        {"outcome": "X", "participant_id": "t03", "arm": "training", "missing": "post", "reason": "no value at post"}
    ]
    assert res["anova"]["df2"].iloc[0] == 12 - 1 - 2
    desc = res["descriptives"].set_index(["arm", "time"])
    assert desc.loc[("training", "pre"), "n"] == 6 and desc.loc[("training", "post"), "n"] == 5
