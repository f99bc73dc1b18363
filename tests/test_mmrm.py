"""The MMRM (trialflow.stats.mmrm) against independent computations in R.

The reference values are in tests/data/mmrm/reference.csv, written by
tests/data/mmrm/reference.R (run ``Rscript tests/data/mmrm/reference.R``; R 4.x with nlme 3.1,
emmeans, lme4, lmerTest, pbkrtest, numDeriv) from the seeded data sets of
tests/data/mmrm/make_data.py. Per case (data set / structure / method) it holds:

* ``criterion``, ``lsmean*``, ``contrast*``, ``F``: R's
  ``nlme::gls(value ~ arm * visit [+ site + age + baseline * visit], correlation = corSymm(form =
  ~ visit_index | id), weights = varIdent(form = ~ 1 | visit), method = "REML")`` (corARMA(p = T - 1)
  for Toeplitz, corAR1, corCompSymm; no varIdent for the homogeneous structures) with
  ``emmeans(fit, ~ arm | visit)`` and ``contrast(..., "trt.vs.ctrl")``; F = Wald F of the
  arm × visit grid's marginal means from emmeans' estimates and vcov.
* ``double_*``: the same model double-programmed in R: the REML (ML) log-likelihood written out
  per participant, nlme's estimates polished by ``optim`` on it, Satterthwaite df from
  ``numDeriv::hessian`` and ``numDeriv::grad`` of l' Phi(theta) l, F-test df combined as SAS PROC
  MIXED does. emmeans' own gls Satterthwaite df are *not* used: with corSymm it falls back to
  "appx-satterthwaite" (a refit-based gradient), which is off by up to 1e-2 (on the demo's
  complete data it gives 28.36 where the exact df is 28, the two-sample t test's).
* ``three_arm/cs_lmer``: compound symmetry as the random-intercept model
  ``lmerTest::lmer(value ~ arm * visit + (1 | id))`` (contr.sum), with
  ``anova(m, type = 3, ddf = "Satterthwaite" | "Kenward-Roger")`` and
  ``emmeans(m, ~ arm | visit, lmer.df = "satterthwaite" | "kenward-roger")``: the references for
  multi-df Satterthwaite F tests (lmerTest, SAS's method) and for Kenward–Roger (pbkrtest: the
  adjusted covariance, the scaled F and its df).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from trialflow.stats import mmrm

DATA = Path(__file__).parent / "data" / "mmrm"
REF = pd.read_csv(DATA / "reference.csv", dtype={"key": str}, keep_default_na=False)
REF["value"] = REF["value"].astype(float)
RTOL = 1e-6

THREE_ARM = (["placebo", "low", "high"], ["w1", "w2", "w3", "w4"])


def load(case: str):
    """Data, arms, visits and covariate arguments of a reference case."""
    name = case.split("/")[0]
    if name == "three_arm":
        return pd.read_csv(DATA / "three_arm.csv"), *THREE_ARM, {}
    if name == "covariates":
        covariates = {"baseline": "base", "factors": ["site"], "numeric": ["age"]}
        return pd.read_csv(DATA / "covariates.csv"), ["control", "active"], ["v1", "v2", "v3"], covariates
    if name == "singular":
        return pd.read_csv(DATA / "singular.csv"), ["control", "active"], ["t1", "t2", "t3", "t4"], {}
    demo = pd.read_csv(DATA / "demo.csv")
    return demo[demo["outcome"] == name.removeprefix("demo_")], ["control", "training"], ["pre", "post"], {}


@functools.cache
def fit(case: str):
    """The fit of a reference case (each case is fitted once per test session)."""
    data, arms, visits, covariates = load(case)
    _, structure, method = case.split("/")
    return mmrm.fit_mmrm(data, arms, visits, covariance=structure, fallback=(), method=method, **covariates)


def indexed(result):
    lsm = result["lsmeans"].assign(key=lambda t: t["arm"] + "@" + t["visit"]).set_index("key")
    con = result["contrasts"].assign(key=lambda t: t["contrast"].str.replace(" ", "") + "@" + t["visit"])
    return lsm, con.set_index("key"), result["tests"].set_index("effect")


def reference(case: str, kind: str) -> pd.Series:
    rows = REF[(REF["case"] == case) & (REF["kind"] == kind)]
    assert len(rows), (case, kind)
    return rows.set_index("key")["value"]


GLS_CASES = sorted(
    {c for c in REF["case"] if "lmer" not in c and c != "singular/unstructured/reml"},
    key=list(REF["case"]).index,
)


@pytest.mark.parametrize("case", GLS_CASES)
def test_estimates_and_satterthwaite_match_the_double_programmed_r_fit(case):
    result = fit(case)
    assert result["fit"]["converged"].iloc[0], result["fit"]["note"].iloc[0]
    lsm, con, tests = indexed(result)
    checks = {
        "double_lsmean": lsm["estimate"],
        "double_lsmean_se": lsm["se"],
        "double_contrast": con["estimate"],
        "double_contrast_se": con["se"],
        "double_F": tests["F"],
    }
    if case.endswith("/reml"):
        checks |= {"double_lsmean_df": lsm["df"], "double_contrast_df": con["df"], "double_den_df": tests["den_df"]}
    for kind, mine in checks.items():
        ref = reference(case, kind)
        # the singular case's Toeplitz correlation is near 1 at lag 1: R's optim stops 5e-12 above
        # our criterion there, which moves numDeriv's df by ~1e-5
        rtol = 2e-5 if case.startswith("singular") and kind.endswith("df") else RTOL
        np.testing.assert_allclose(mine[ref.index].to_numpy(), ref.to_numpy(), rtol=rtol, err_msg=kind)
    np.testing.assert_allclose(
        result["fit"]["criterion"].iloc[0], reference(case, "double_criterion").iloc[0], rtol=1e-10
    )


@pytest.mark.parametrize("case", GLS_CASES)
def test_estimates_match_nlme_and_emmeans(case):
    """Against nlme's own optimum. nlme stops earlier than we do (three_arm/cs_heterogeneous: its
    REML criterion is 2e-8 above ours and the double-programmed R fit's), so the estimates agree
    to 2e-5; the criterion to 1e-9. ML: nlme's vcov scales sigma^2 by N / (N - p) (its
    ``sigma`` is the REML-type one even for ML); SAS and we report the plain GLS covariance at
    the ML estimates, so the SEs are compared after that factor."""
    result = fit(case)
    lsm, con, tests = indexed(result)
    n_obs, n_coef = result["fit"]["n_obs"].iloc[0], len(result["lsmeans"])  # ML: arm x visit only
    scale = np.sqrt(n_obs / (n_obs - n_coef)) if case.endswith("/ml") else 1.0
    for kind, mine in {
        "lsmean": lsm["estimate"],
        "lsmean_se": lsm["se"] * scale,
        "contrast": con["estimate"],
        "contrast_se": con["se"] * scale,
        "F": tests["F"] / scale**2,
    }.items():
        ref = reference(case, kind)
        np.testing.assert_allclose(mine[ref.index].to_numpy(), ref.to_numpy(), rtol=2e-5, err_msg=kind)
    np.testing.assert_allclose(result["fit"]["criterion"].iloc[0], reference(case, "criterion").iloc[0], rtol=1e-9)


@pytest.mark.parametrize(
    "df, tag, anova_tag",
    [("satterthwaite", "satterthwaite", "Satterthwaite"), ("kenward_roger", "kenward-roger", "Kenward-Roger")],
)
def test_compound_symmetry_matches_lmertest_and_pbkrtest(df, tag, anova_tag):
    case = "three_arm/cs_lmer"
    # pbkrtest's Kenward-Roger takes W from the expected information (SAS's, the default, from the
    # observed one: tests/test_mmrm_sas.py); with this set's missing values they differ by ~2e-5
    data = pd.read_csv(DATA / "three_arm.csv")
    result = mmrm.fit_mmrm(data, *THREE_ARM, covariance="cs", fallback=(), df=df, kr_information="expected")
    lsm, con, tests = indexed(result)
    cov = result["covariance"].set_index("parameter")["estimate"]
    np.testing.assert_allclose(cov["between"], reference(case, "cs_between").iloc[0], rtol=RTOL)
    np.testing.assert_allclose(cov["residual"], reference(case, "cs_residual").iloc[0], rtol=RTOL)
    for kind, mine in {
        f"{tag}_lsmean_se": lsm["se"],
        f"{tag}_lsmean_df": lsm["df"],
        f"{tag}_contrast_se": con["se"],
        f"{tag}_contrast_df": con["df"],
        f"{anova_tag}_F": tests["F"],
        f"{anova_tag}_den_df": tests["den_df"],
    }.items():
        ref = reference(case, kind)
        np.testing.assert_allclose(mine[ref.index].to_numpy(), ref.to_numpy(), rtol=RTOL, err_msg=kind)


def test_kenward_roger_adjusts_the_covariance_upwards():
    """Phi_A >= Phi where the data are unbalanced (pbkrtest agrees, above); KR's p values use it."""
    data = pd.read_csv(DATA / "three_arm.csv")
    sat = mmrm.fit_mmrm(data, *THREE_ARM, covariance="unstructured", df="satterthwaite")["contrasts"]
    kr = mmrm.fit_mmrm(data, *THREE_ARM, covariance="unstructured", df="kenward_roger")["contrasts"]
    assert (kr["se"] >= sat["se"] - 1e-12).all() and (kr["se"] > sat["se"]).any()
    np.testing.assert_allclose(kr["estimate"], sat["estimate"], rtol=1e-12)
    np.testing.assert_allclose(kr["t"], kr["estimate"] / kr["se"], rtol=1e-12)
    np.testing.assert_allclose(kr["p"], 2 * stats.t.sf(kr["t"].abs(), kr["df"]), rtol=1e-12)


def test_unstructured_that_does_not_converge_falls_back_in_the_stated_order():
    """singular.csv: visit 4 = visit 3 + 1, so the unstructured Sigma is singular; nlme's corSymm
    fit fails on it too (reference kind ``nlme_fails``). The first fallback (heterogeneous
    Toeplitz) converges and is the model of nlme's corARMA(p = 3) + varIdent."""
    assert reference("singular/unstructured/reml", "nlme_fails").iloc[0] == 1
    data, arms, visits, _ = load("singular/x/reml")
    result = mmrm.fit_mmrm(data, arms, visits)  # default: unstructured, then DEFAULT_FALLBACK
    row = result["fit"].iloc[0]
    assert row["requested_structure"] == "unstructured"
    assert row["structure"] == mmrm.DEFAULT_FALLBACK[0] == "toeplitz_heterogeneous"
    assert row["converged"] and "unstructured: the covariance matrix approaches a singular one" in row["note"]
    direct = fit("singular/toeplitz_heterogeneous/reml")
    pd.testing.assert_frame_equal(result["contrasts"], direct["contrasts"])
    nothing = mmrm.fit_mmrm(data, arms, visits, fallback=())
    assert not nothing["fit"]["converged"].iloc[0] and nothing["lsmeans"].empty
    assert "no covariance structure converged" in nothing["fit"]["note"].iloc[0]


@pytest.mark.parametrize("df", ["satterthwaite", "kenward_roger"])
def test_complete_two_visit_data_give_the_two_sample_t_test_at_each_visit(df):
    """Unstructured, complete data: the contrast at a visit is the pooled two-sample t test of that
    visit (scipy.stats.ttest_ind), with n - 2 df; with Kenward–Roger too (its adjustment vanishes
    and its df is exact for complete data under the unstructured covariance, Kenward & Roger 1997)."""
    data, arms, visits, _ = load("demo_BDNF/unstructured/reml")
    con = mmrm.fit_mmrm(data, arms, visits, df=df)["contrasts"].set_index("visit")
    for visit in visits:
        at = data[data["time"] == visit]
        t = stats.ttest_ind(at.loc[at["arm"] == "training", "value"], at.loc[at["arm"] == "control", "value"])
        np.testing.assert_allclose(con.loc[visit, "t"], t.statistic, rtol=1e-8)
        np.testing.assert_allclose(con.loc[visit, "p"], t.pvalue, rtol=1e-6)
        np.testing.assert_allclose(con.loc[visit, "df"], 28, rtol=1e-8)


def test_residual_and_between_within_df_are_the_stated_counts():
    """three_arm: 60 participants, 202 values, 12 cell means, 3 between-participant columns
    (the arms): residual 202 - 12 = 190; between 60 - 3 = 57; within 202 - 60 - (12 - 3) = 133
    (SAS DDFM=BW; estimates that compare or contain arms take the smaller)."""
    data = pd.read_csv(DATA / "three_arm.csv")
    res = mmrm.fit_mmrm(data, *THREE_ARM, df="residual")
    assert (res["contrasts"]["df"] == 190).all() and (res["tests"]["den_df"] == 190).all()
    bw = mmrm.fit_mmrm(data, *THREE_ARM, df="between_within")
    assert (bw["contrasts"]["df"] == 57).all() and (bw["lsmeans"]["df"] == 57).all()
    assert bw["tests"].set_index("effect")["den_df"].to_dict() == {"arm": 57, "visit": 133, "arm:visit": 133}


def test_tables_have_their_columns_and_are_deterministic():
    data = pd.read_csv(DATA / "three_arm.csv")
    first, second = (mmrm.fit_mmrm(data, *THREE_ARM) for _ in range(2))
    for key, columns in {
        "lsmeans": mmrm.LSMEANS_COLUMNS,
        "contrasts": mmrm.CONTRAST_COLUMNS,
        "tests": mmrm.TEST_COLUMNS,
        "covariance": mmrm.COVARIANCE_COLUMNS,
        "fit": mmrm.FIT_COLUMNS,
    }.items():
        assert list(first[key].columns) == columns
        pd.testing.assert_frame_equal(first[key], second[key])
    assert len(first["lsmeans"]) == 12 and len(first["contrasts"]) == 8 and len(first["covariance"]) == 10


def test_one_arm_design_tests_visit_only():
    data = pd.read_csv(DATA / "three_arm.csv")
    res = mmrm.fit_mmrm(data[data["arm"] == "placebo"], ["placebo"], THREE_ARM[1])
    assert res["contrasts"].empty and list(res["tests"]["effect"]) == ["visit"]
    assert res["fit"]["converged"].iloc[0]


def test_undefined_fits_say_why_instead_of_a_number():
    data = pd.read_csv(DATA / "three_arm.csv")
    empty_cell = data[~((data["arm"] == "low") & (data["time"] == "w4"))]
    res = mmrm.fit_mmrm(empty_cell, *THREE_ARM)
    assert res["lsmeans"].empty and "no values in low at w4" in res["fit"]["note"].iloc[0]
    ml_kr = mmrm.fit_mmrm(data, *THREE_ARM, method="ml", df="kenward_roger")
    assert ml_kr["contrasts"].empty and "Kenward–Roger needs REML" in ml_kr["fit"]["note"].iloc[0]
    with pytest.raises(ValueError, match="unknown covariance structure"):
        mmrm.fit_mmrm(data, *THREE_ARM, covariance="banded")


def test_participants_without_a_covariate_are_counted_not_dropped_silently():
    data, arms, visits, covariates = load("covariates/x/reml")
    missing_age = data.assign(age=np.where(data["participant_id"] == "C001", np.nan, data["age"]))
    row = mmrm.fit_mmrm(missing_age, arms, visits, **covariates)["fit"].iloc[0]
    full = mmrm.fit_mmrm(data, arms, visits, **covariates)["fit"].iloc[0]
    assert row["n_excluded"] == full["n_excluded"] + 1 and row["n_participants"] == full["n_participants"] - 1
    assert "1 participant(s) left out: no age" in row["note"]


def test_every_outcome_with_its_own_settings_and_covariates_from_the_participants_file():
    """fit_mmrm_outcomes (what rule fit_mmrm runs): per-outcome overrides replace the trial-wide
    settings; characteristics become factors or numeric covariates by their configured type; with
    baseline_value the first time point is the covariate. Each outcome equals its own fit_mmrm."""
    data, arms, _, _ = load("covariates/x/reml")
    people = data.drop_duplicates("participant_id")[["participant_id", "site", "age"]]
    long = pd.concat([data.assign(outcome="y1"), data.assign(outcome="y2", value=data["value"] * 2)])
    long = long.drop(columns=["site", "age"])
    settings = {
        "covariance": "unstructured",
        "df": "satterthwaite",
        "covariates": {"baseline_value": True, "characteristics": ["site", "age"]},
        "outcomes": {"y2": {"covariance": "cs", "covariates": {"characteristics": ["site"]}}},
    }
    times = ["base", "v1", "v2", "v3"]
    tables = mmrm.fit_mmrm_outcomes(
        long, people, ["y1", "y2"], arms, times, settings, {"site": "categorical", "age": "numeric"}
    )
    assert list(tables["contrasts"].columns) == ["outcome", *mmrm.CONTRAST_COLUMNS]
    y1 = fit("covariates/unstructured/reml")["contrasts"]
    pd.testing.assert_frame_equal(
        tables["contrasts"][tables["contrasts"]["outcome"] == "y1"].drop(columns="outcome"), y1
    )
    y2 = mmrm.fit_mmrm(
        data.assign(value=data["value"] * 2), arms, times[1:], covariance="cs", baseline="base", factors=["site"]
    )["contrasts"]
    got = tables["contrasts"][tables["contrasts"]["outcome"] == "y2"].drop(columns="outcome").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, y2)
    fits = tables["fit"].set_index("outcome")
    assert fits.loc["y1", "covariates"] == "baseline (base) × visit, site, age"
    assert fits.loc["y2", "covariates"] == "baseline (base) × visit, site" and fits.loc["y2", "structure"] == "cs"


def test_the_step_refuses_a_covariate_or_an_outcome_the_config_does_not_have(tmp_path):
    from trialflow.problems import InputError
    from trialflow.steps.analysis import fit_mmrm

    with pytest.raises(InputError, match="name site, which are not baseline characteristics"):
        fit_mmrm(
            "unused.csv", "unused.csv", ["y"], ["a", "b"], ["t1", "t2"], [{"id": "age", "label": "Age"}],
            {"covariates": {"characteristics": ["site"]}}, 0.05, {},
        )  # fmt: skip
    with pytest.raises(InputError, match="names grip, which are not outcomes of the config"):
        fit_mmrm(
            "unused.csv", "unused.csv", ["y"], ["a", "b"], ["t1", "t2"], [],
            {"outcomes": {"grip": {"df": "residual"}}}, 0.05, {},
        )  # fmt: skip


@pytest.mark.parametrize(
    "name, change, why",
    [
        ("constant", lambda d: d.assign(value=1.0), "no covariance structure converged"),
        ("empty", lambda d: d.iloc[:0], "no values"),
        ("one participant per arm", lambda d: d[d["participant_id"].isin(["P001", "P021", "P041"])], "no values in"),
    ],
)
def test_degenerate_data_give_a_reason_not_a_number(name, change, why):
    res = mmrm.fit_mmrm(change(pd.read_csv(DATA / "three_arm.csv")), *THREE_ARM)
    assert res["lsmeans"].empty and res["contrasts"].empty and res["tests"].empty, name
    assert not res["fit"]["converged"].iloc[0] and why in res["fit"]["note"].iloc[0], name


def test_report_rows_label_each_contrast_and_name_a_fallback(tmp_path):
    """report.context.mmrm_rows: what the appendix table prints, from mmrm_contrasts.csv and
    mmrm_fit.csv (the unrounded values unchanged, labels from the config)."""
    from trialflow.outputs import write_csv
    from trialflow.report.context import mmrm_rows

    data, arms, visits, _ = load("singular/x/reml")
    tables = mmrm.fit_mmrm_outcomes(data.assign(outcome="y"), data[["participant_id"]], ["y"], arms, visits, {}, {})
    results = {}
    for key in ("contrasts", "fit"):
        results[f"mmrm_{key}"] = str(tmp_path / f"mmrm_{key}.csv")
        write_csv(tables[key], results[f"mmrm_{key}"])
    rows = mmrm_rows(
        results,
        [{"id": "y", "label": "Grip", "decimals": 1}],
        [{"id": "control", "label": "Control"}, {"id": "active", "label": "Training"}],
        [{"id": v, "label": v.upper()} for v in visits],
    )
    assert [r["contrast_label"] for r in rows["rows"]] == ["Training − Control"] * 4
    assert [r["visit_label"] for r in rows["rows"]] == ["T1", "T2", "T3", "T4"]
    np.testing.assert_array_equal([r["estimate"] for r in rows["rows"]], tables["contrasts"]["estimate"])
    assert rows["fell_back"][0]["structure_words"] == "heterogeneous Toeplitz" and not rows["unfitted"]
    assert rows["rows"][0]["decimals"] == 1
