"""The published-results check: the paper's printed numbers against our results and against themselves."""

import numpy as np
import pandas as pd
import pytest

from trialflow.published import (
    CHECK_F,
    CHECK_P,
    CHECK_PES,
    attainable_f,
    check_baseline_tests,
    check_internal_consistency,
    column_decimals,
    compare_reported,
    f_from_summary,
    p_accepts,
    shorten,
)
from trialflow.stats.anova import mixed_anova
from trialflow.stats.descriptives import describe

# --- the seed paper (tests/data/published.yaml) -------------------------------------------------


def test_demo_flags_exactly_three_discrepancies(published):
    checks = check_internal_consistency(published)
    assert len(checks) == 2 * 3 * 3  # outcomes x effects x (p, pes, attainability)
    flagged = checks[checks["verdict"] != "consistent"]
    assert {(r.outcome, r.effect, r.check): r.verdict for r in flagged.itertuples()} == {
        ("BDNF", "group", CHECK_F): "unattainable",
        ("GDNF", "group", CHECK_PES): "inconsistent",
        ("GDNF", "interaction", CHECK_PES): "inconsistent",
    }


def test_demo_eta2_recomputed_from_F(published):
    pes = check_internal_consistency(published).query("check == @CHECK_PES").set_index(["outcome", "effect"])
    expected = {
        ("BDNF", "time"): 0.7939,
        ("BDNF", "interaction"): 0.8075,
        ("BDNF", "group"): 0.9948,
        ("GDNF", "time"): 0.8391,
        ("GDNF", "group"): 0.7994,
        ("GDNF", "interaction"): 0.8876,
    }
    for key, value in expected.items():
        assert pes.loc[key, "recomputed"] == pytest.approx(value, abs=1e-4), key


def test_demo_gdnf_eta2_of_group_and_interaction_look_swapped(published):
    checks = check_internal_consistency(published)
    swapped = checks[checks["explanation"].str.contains("look swapped")]
    assert [(r.outcome, r.effect) for r in swapped.itertuples()] == [("GDNF", "group"), ("GDNF", "interaction")]
    assert "(0.88)" in swapped["explanation"].iloc[0] and "(0.79)" in swapped["explanation"].iloc[0]


def test_demo_eta2_truncated_by_the_paper_is_not_flagged(published):
    # 117.42 gives 0.8075 and 146.07 gives 0.8391: printed 0.80 and 0.83 are truncations.
    pes = check_internal_consistency(published).query("check == @CHECK_PES").set_index(["outcome", "effect"])
    for key in [("BDNF", "interaction"), ("GDNF", "time")]:
        assert pes.loc[key, "verdict"] == "consistent"
        assert "truncated" in pes.loc[key, "explanation"]


def test_demo_bdnf_group_F_is_far_above_what_the_means_and_sds_allow(published):
    attain = check_internal_consistency(published).query("check == @CHECK_F").set_index(["outcome", "effect"])
    bdnf = attain.loc[("BDNF", "group")]
    assert bdnf["recomputed_high"] < 600 < 5369.17  # about 507 at r = -1 in both arms
    assert "above the largest" in bdnf["explanation"]
    gdnf = attain.loc[("GDNF", "group")]
    assert gdnf["recomputed_low"] < 111.60 < gdnf["recomputed_high"]


def test_demo_p_printed_as_0001_or_001_are_upper_bounds(published):
    p = check_internal_consistency(published).query("check == @CHECK_P")
    assert (p["verdict"] == "consistent").all()
    assert (p["recomputed"] < 1e-10).all()
    assert p["explanation"].str.contains("upper bound").all()


def test_demo_baseline_p_values_do_not_follow_from_table_2(published):
    checks = check_baseline_tests(published).set_index("outcome")
    assert (checks["verdict"] == "inconsistent").all()
    # Student's t from the printed means and SDs (R: t.test(var.equal = TRUE) on summaries)
    assert checks["recomputed"].to_dict() == pytest.approx(
        {"age_years": 0.666, "height_cm": 0.475, "weight_kg": 0.812, "bmi_kg_m2": 0.825}, abs=1e-3
    )


def test_compare_reported_on_the_demo(demo_analysis, published):
    table = compare_reported(
        published,
        demo_analysis["descriptives"],
        demo_analysis["anova"],
        demo_analysis["baseline"],
        demo_analysis["baseline_tests"],
    )
    verdicts = table.set_index("quantity")["verdict"]
    assert (table.loc[table["table"] == "table3", "verdict"] == "match").all()  # every Mean ± SD and n
    differs = set(verdicts[verdicts != "match"].index)
    assert differs == {
        "BDNF group F",
        "BDNF group pes",
        "GDNF group pes",
        "GDNF interaction pes",
        "bmi_kg_m2 training mean",
        "bmi_kg_m2 control mean",
        "age_years Student t p",
        "height_cm Student t p",
        "weight_kg Student t p",
        "bmi_kg_m2 Student t p",
    }
    assert set(verdicts) == {"match", "differs"}
    row = table.set_index("quantity").loc["GDNF group F"]
    assert (row["printed"], row["decimals"]) == ("111.60", 2)
    assert row["reproduced"] == pytest.approx(111.686, abs=1e-3)  # 0.08 % off: within 0.5 %


def test_compare_reported_marks_what_our_results_lack(published):
    empty_desc = pd.DataFrame(columns=["outcome", "arm", "time", "n", "mean", "sd"])
    empty_anova = pd.DataFrame(columns=["outcome", "effect", "df1", "df2", "F", "p", "pes"])
    table = compare_reported(published, empty_desc, empty_anova)
    assert set(table["verdict"]) == {"missing"}


# --- rules on small literal cases ---------------------------------------------------------------


def test_printed_decimals_of_a_column_restore_trailing_zeros():
    assert column_decimals([107.861, 5369.17, 117.42, 146.07, 111.6, 221.14]) == [3, 2, 2, 2, 2, 2]
    assert column_decimals([0.79, 0.99, 0.8]) == [2, 2, 2]
    assert column_decimals(["0.80", 0.5]) == [2, 1]


def test_shorten_rounds_half_away_from_zero_or_truncates():
    assert str(shorten(0.125, 2)) == "0.13"  # Python's round(0.125, 2) gives 0.12
    assert str(shorten(-0.125, 2)) == "-0.13"
    assert str(shorten(0.8075, 2, "truncate")) == "0.80"


@pytest.mark.parametrize(
    ("printed", "p", "consistent"),
    [
        ("0.041", 0.0414, True),
        ("0.041", 0.046, False),
        (".000", 0.0003, True),
        (".000", 0.0007, False),
        ("0.0001", 1e-12, True),  # SPSS's .000 written as 0.0001: an upper bound
        ("0.0001", 0.00014, True),  # or the rounded value itself
        ("0.0001", 0.0002, False),
        ("0.001", 3e-11, True),
        ("0.01", 1e-6, False),  # 0.01 is not read as a bound: two decimals can show smaller p
        ("<0.05", 0.03, True),
        ("P<0.05", 0.2, False),
        ("p = .500", 0.5004, True),
    ],
)
def test_printed_p_readings(printed, p, consistent):
    assert p_accepts(printed, p, p)[0] is consistent


# --- a self-consistent synthetic case -----------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic():
    """Two unequal arms (12, 14), two time points; printed as a paper would print it."""
    rng = np.random.default_rng(20250630)
    rows = []
    for arm, n, mu, shift in [("a", 12, 50, 3), ("b", 14, 53, 7)]:
        pre = rng.normal(mu, 6, n)
        post = pre * 0.6 + rng.normal(mu * 0.4 + shift, 5, n)
        for i, (x, y) in enumerate(zip(pre, post, strict=True)):
            rows += [
                {"id": f"{arm}{i}", "arm": arm, "time": "t0", "value": x},
                {"id": f"{arm}{i}", "arm": arm, "time": "t1", "value": y},
            ]
    data = pd.DataFrame(rows)
    desc = describe(data, "value", ["arm", "time"])
    desc.insert(0, "outcome", "Y")
    anova = mixed_anova(data, "value", "time", "arm", "id", levels=["t0", "t1"])
    anova.insert(0, "outcome", "Y")

    def two(x):
        return float(shorten(x, 2))

    def spss_p(p):
        return ".000" if p < 0.0005 else f"{p:.3f}"

    cells = desc.set_index(["arm", "time"])
    published = {
        "design": {"arms": {"a": 12, "b": 14}, "time_points": ["t0", "t1"]},
        "table3_outcomes": {
            "Y": {
                arm: {t: [two(cells.loc[(arm, t), "mean"]), two(cells.loc[(arm, t), "sd"])] for t in ["t0", "t1"]}
                for arm in ["a", "b"]
            }
        },
        "anova": {"Y": {r.effect: {"F": two(r.F), "p": spss_p(r.p), "eta2": two(r.pes)} for r in anova.itertuples()}},
    }
    return {"data": data, "descriptives": desc, "anova": anova, "published": published}


def test_synthetic_printed_results_are_all_consistent(synthetic):
    checks = check_internal_consistency(synthetic["published"])
    assert len(checks) == 9
    assert (checks["verdict"] == "consistent").all(), checks[["effect", "check", "explanation"]]


def test_synthetic_results_reproduce_every_printed_number(synthetic):
    table = compare_reported(synthetic["published"], synthetic["descriptives"], synthetic["anova"])
    assert len(table) == 4 * 3 + 3 * 3
    assert (table["verdict"] == "match").all(), table[["quantity", "printed", "reproduced"]]


def test_synthetic_errors_are_caught(synthetic):
    published = synthetic["published"]
    bad = {**published, "anova": {"Y": {e: dict(v) for e, v in published["anova"]["Y"].items()}}}
    group, inter = bad["anova"]["Y"]["group"], bad["anova"]["Y"]["interaction"]
    group["F"] = round(group["F"] * 1.02, 2)  # 2 % off
    inter["p"] = "0.500"  # p = 0.008 printed as 0.500
    bad["anova"]["Y"]["time"]["F"] = 5000.0  # far beyond what the means and SDs allow
    checks = check_internal_consistency(bad).set_index(["effect", "check"])
    assert checks.loc[("interaction", CHECK_P), "verdict"] == "inconsistent"
    assert "different sides of 0.05" in checks.loc[("interaction", CHECK_P), "explanation"]
    assert checks.loc[("time", CHECK_F), "verdict"] == "unattainable"
    assert checks.loc[("group", CHECK_PES), "verdict"] == "consistent"  # 2 % of F moves pes < 0.005
    table = compare_reported(bad, synthetic["descriptives"], synthetic["anova"]).set_index("quantity")
    assert table.loc["Y group F", "verdict"] == "differs"
    assert table.loc["Y interaction p", "verdict"] == "differs"


def test_f_from_summaries_with_the_sample_correlation_is_the_anova_F(synthetic):
    # Independent of mixed_anova's matrix algebra: t² on subject means / change scores.
    data, anova = synthetic["data"], synthetic["anova"].set_index("effect")
    wide = data.pivot(index="id", columns="time", values="value").join(
        data.drop_duplicates("id").set_index("id")["arm"]
    )
    means = {a: tuple(g[["t0", "t1"]].mean()) for a, g in wide.groupby("arm")}
    sds = {a: tuple(g[["t0", "t1"]].std(ddof=1)) for a, g in wide.groupby("arm")}
    r = {a: float(np.corrcoef(g["t0"], g["t1"])[0, 1]) for a, g in wide.groupby("arm")}
    n = {"a": 12, "b": 14}
    for effect in ["group", "time", "interaction"]:
        assert f_from_summary(effect, means, sds, n, r) == pytest.approx(anova.loc[effect, "F"], rel=1e-10)
        low, high = attainable_f(effect, means, sds, n)
        assert low <= anova.loc[effect, "F"] <= high
        ends = sorted(f_from_summary(effect, means, sds, n, x) for x in (-1.0, 1.0))
        assert (low, high) == pytest.approx(tuple(ends), rel=1e-12)
