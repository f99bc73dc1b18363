"""analysis.primary: rm_anova | mmrm — the analysis behind Table 3, its sentences, the estimation
table and the multiplicity input; the other one in the appendix as a sensitivity analysis.

The demo's BDNF and GDNF with three participants' BDNF post values removed: with complete data
and two time points the unstructured MMRM and the RM-ANOVA test the same hypotheses with the same
numbers, so without missing values a report that printed the wrong analysis would pass.
"""

import copy
from html import escape

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import ROOT, report_settings, validated
from trialflow import analysis_plan as plan
from trialflow.report.formatting import df_value, fixed, p_value

ARMS, TIMES, OUTCOMES = ["control", "training"], ["pre", "post"], ["BDNF", "GDNF"]
GONE = ["MS001", "MS002", "MS016"]  # their BDNF post values are removed (two control, one training)


def demo_config() -> dict:
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["outcomes"] = [o for o in config["outcomes"] if o["id"] in OUTCOMES]
    return config


def with_primary(config: dict, primary: str) -> dict:
    config = copy.deepcopy(config)
    config["analysis"]["primary"] = primary
    return config


# --- the config check, before any job -------------------------------------------------------------


def test_the_schema_defaults_to_the_anova_and_knows_both():
    assert validated(demo_config())["analysis"]["primary"] == "rm_anova"
    assert validated(with_primary(demo_config(), "mmrm"))["analysis"]["primary"] == "mmrm"
    with pytest.raises(Exception, match="mmrm"):
        validated(with_primary(demo_config(), "lmm"))


def test_the_demo_can_have_either_primary_analysis():
    for primary in ("rm_anova", "mmrm"):
        assert plan.primary_problems(validated(with_primary(demo_config(), primary))) == []


def test_mmrm_as_primary_is_refused_with_one_arm_naming_the_key():
    config = with_primary(demo_config(), "mmrm")
    config["arms"] = config["arms"][:1]
    assert plan.primary_problems(validated(config)) == [
        "analysis.primary: mmrm compares the arms (each arm minus the first at each visit) and `arms` has one; "
        "use rm_anova (the one-way repeated-measures ANOVA)"
    ]


def test_mmrm_as_primary_is_refused_when_its_settings_cannot_fit_naming_each_key():
    config = with_primary(demo_config(), "mmrm")
    config["analysis"]["mmrm"] = {
        "df": "kenward_roger",
        "method": "ml",
        "covariates": {"characteristics": ["site"]},
        "outcomes": {"GDNF": {"method": "reml", "covariates": {"characteristics": ["age_years", "arm"]}}, "CRP": {}},
    }
    assert plan.primary_problems(validated(config)) == [
        "analysis.primary: mmrm: analysis.mmrm.outcomes.CRP is not an outcome id (BDNF, GDNF)",
        "analysis.primary: mmrm: analysis.mmrm.covariates.characteristics names 'site', not a baseline "
        "characteristic (`baseline`: age_years, height_cm, weight_kg, bmi_kg_m2)",
        "analysis.primary: mmrm: analysis.mmrm.outcomes.GDNF.covariates.characteristics names 'arm', not a "
        "baseline characteristic (`baseline`: age_years, height_cm, weight_kg, bmi_kg_m2)",
        "analysis.primary: mmrm: Kenward–Roger degrees of freedom need REML, and analysis.mmrm gives BDNF "
        "df: kenward_roger with method: ml",
    ]
    assert plan.primary_problems(validated(with_primary(config, "rm_anova"))) == []  # a sensitivity: its note


def test_a_family_whose_effect_the_mmrm_does_not_test_is_refused():
    """With the baseline value as covariate and two time points one visit is left: the MMRM has
    only the arm effect, so a family adjusting the interaction has no p to adjust."""
    config = with_primary(demo_config(), "mmrm")
    config["analysis"]["mmrm"] = {"outcomes": {"GDNF": {"covariates": {"baseline_value": True}}}}
    config["analysis"]["multiplicity"] = {"families": [{"id": "bio", "outcomes": OUTCOMES, "method": "holm"}]}
    (problem,) = plan.primary_problems(validated(config))
    assert problem.startswith(
        "analysis.primary: mmrm: analysis.multiplicity.families[0] (bio) adjusts the p of interaction, "
        "which the MMRM of GDNF does not test"
    )
    assert "`effect: group`" in problem
    config["analysis"]["multiplicity"]["families"][0]["effect"] = "group"
    assert plan.primary_problems(validated(config)) == []
    assert plan.mmrm_effects(validated(config), "GDNF") == ["group"]
    assert plan.mmrm_effects(validated(config), "BDNF") == ["time", "group", "interaction"]


def test_the_workflow_refuses_the_config_before_any_job_and_adjusts_the_mmrms_p(tmp_path):
    """common.smk runs primary_problems with the other checks; with the MMRM primary the
    multiplicity job reads its tests (two dry runs, no job)."""
    from tests.test_estimands import _dry_run

    config = with_primary(validated(yaml.safe_load((ROOT / "config.yaml").read_text())), "mmrm")
    config["analysis"]["multiplicity"] = {"families": [{"id": "bio", "outcomes": OUTCOMES, "method": "holm"}]}
    done = _dry_run(tmp_path / "mmrm", config)
    assert done.returncode == 0, done.stderr[-2000:]
    job = done.stdout.split("rule adjust_multiplicity:")[1].split("rule ")[0]
    assert "results/stats/mmrm_tests.csv" in job and "results/stats/anova.csv" not in job
    config["arms"] = config["arms"][:1]
    done = _dry_run(tmp_path / "one_arm", config)
    out = done.stdout + done.stderr
    assert done.returncode != 0 and "Traceback" not in out
    assert "analysis.primary: mmrm compares the arms" in out


# --- the multiplicity input follows the primary analysis ------------------------------------------


ANOVA = pd.DataFrame(
    {
        "outcome": ["y", "y", "y"],
        "effect": ["time", "group", "interaction"],
        "p": [0.01, 0.02, 0.03],
        "p_corrected": [0.011, 0.02, 0.031],
    }
)
MMRM_TESTS = pd.DataFrame(
    {
        "outcome": ["y", "y", "y", "z"],
        "effect": ["arm", "visit", "arm:visit", "arm"],
        "num_df": [1, 1, 1, 1],
        "den_df": [27.5, 26.1, 26.1, 28.0],
        "F": [1.0, 2.0, 3.0, 4.0],
        "p": [0.2, 0.3, 0.004, 0.05],
    }
)


def test_primary_p_is_the_anovas_printed_p_or_the_mmrms_test_of_the_same_effect():
    from trialflow.stats.multiplicity import primary_p

    anova = primary_p(ANOVA, "rm_anova")
    assert anova.to_dict("list") == {
        "outcome": ["y"] * 3,
        "effect": ["time", "group", "interaction"],
        "p": [0.011, 0.02, 0.031],  # p_corrected (the sphericity rule's), not p
    }
    mmrm = primary_p(MMRM_TESTS, "mmrm")
    assert mmrm.to_dict("list") == {
        "outcome": ["y", "y", "y", "z"],
        "effect": ["group", "time", "interaction", "group"],  # arm, visit, arm:visit
        "p": [0.2, 0.3, 0.004, 0.05],
    }
    with pytest.raises(ValueError, match="unknown primary analysis"):
        primary_p(ANOVA, "lmm")


def test_the_step_adjusts_the_primary_analysis_p(tmp_path):
    from trialflow.outputs import write_csv
    from trialflow.steps.analysis import adjust_multiplicity

    families = [{"id": "f", "outcomes": ["y", "z"], "effect": "interaction", "method": "bonferroni", "alpha": 0.05}]
    write_csv(MMRM_TESTS, tmp_path / "mmrm_tests.csv")
    write_csv(ANOVA, tmp_path / "anova.csv")
    outcomes = [{"id": "y", "label": "Y"}, {"id": "z", "label": "Z"}]
    adjust_multiplicity(str(tmp_path / "mmrm_tests.csv"), families, outcomes, str(tmp_path / "m.csv"), primary="mmrm")
    table = pd.read_csv(tmp_path / "m.csv")
    assert table["p"].iloc[0] == 0.004 and table["p_adjusted"].iloc[0] == pytest.approx(0.008, rel=1e-12)
    assert np.isnan(table["p"].iloc[1]) and table["note"].iloc[1].startswith("p undefined")  # z: no arm:visit
    adjust_multiplicity(str(tmp_path / "anova.csv"), families, outcomes, str(tmp_path / "a.csv"))
    assert pd.read_csv(tmp_path / "a.csv")["p"].iloc[0] == 0.031


# --- the report ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tables(tmp_path_factory, demo_analysis):
    """Every table the report reads, for the demo's BDNF and GDNF with three BDNF post values
    removed; written as the rules write them (library calls, no Snakemake)."""
    from trialflow import analysis
    from trialflow.outputs import write_csv
    from trialflow.stats import mmrm
    from trialflow.stats.complete import exclusion_counts, exclusion_reasons

    data = demo_analysis["data"]
    gone = (data["outcome"] == "BDNF") & (data["time"] == "post") & data["participant_id"].isin(GONE)
    assert gone.sum() == len(GONE)
    data = data[~gone].reset_index(drop=True)
    res = analysis.analyse_outcomes(data, OUTCOMES, ARMS, TIMES, lmm=True)
    fitted = mmrm.fit_mmrm_outcomes(data, demo_analysis["participants"], OUTCOMES, ARMS, TIMES, {}, {})
    frames = {
        **{k: res[k] for k in ("descriptives", "anova", "assumptions", "excluded", "lmm_tests")},
        "outcome_status": res["status"],
        "exclusion_counts": exclusion_counts(res["excluded"], OUTCOMES, ARMS, TIMES),
        "exclusion_reasons": exclusion_reasons(res["excluded"], ARMS),
        "estimation": analysis.estimate_effects(data, OUTCOMES, ARMS, TIMES),
        **{k: demo_analysis[k] for k in ("baseline", "baseline_tests", "participants_per_arm", "participants")},
        **{f"mmrm_{k}": v for k, v in fitted.items()},
    }
    folder = tmp_path_factory.mktemp("results") / "stats"
    folder.mkdir()
    results = {}
    for name, frame in frames.items():
        results[name] = str(folder / f"{name}.csv")
        write_csv(frame, results[name])
    svg = folder / "figure.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>')
    return {"results": results, "figures": {o: str(svg) for o in OUTCOMES}, "frames": frames}


def context(tables, primary, results=None):
    from trialflow.report.context import build_context

    settings = report_settings(with_primary(demo_config(), primary))
    return build_context(settings, results or tables["results"], tables["figures"])


def test_the_analyses_differ_on_these_data(tables):
    """The premise of the tests below: ANOVA and MMRM print different numbers here (the demo's
    effects are large, so both p values print as P<0.0001; their F and df do not)."""
    anova = tables["frames"]["anova"].set_index(["outcome", "effect"])
    tests = tables["frames"]["mmrm_tests"].set_index(["outcome", "effect"])
    for effect, test in plan.MMRM_TESTS.items():
        assert fixed(anova.loc[("BDNF", effect), "F"], 2) != fixed(tests.loc[("BDNF", test), "F"], 2)
        assert df_value(anova.loc[("BDNF", effect), "df2"]) != df_value(tests.loc[("BDNF", test), "den_df"])
        assert anova.loc[("BDNF", effect), "p_corrected"] != tests.loc[("BDNF", test), "p"]


def test_with_the_mmrm_primary_table_3_prints_its_tests(tables):
    from trialflow.report import render_html

    ctx = context(tables, "mmrm")
    tests = tables["frames"]["mmrm_tests"].set_index(["outcome", "effect"])
    bdnf = next(o for o in ctx["outcomes"] if o["id"] == "BDNF")
    for effect, test in plan.MMRM_TESTS.items():
        assert bdnf["p"][effect] == tests.loc[("BDNF", test), "p"]  # unrounded, from mmrm_tests.csv
    html = render_html(ctx)
    assert "Table 3.</b> Results of the mixed model for repeated measures in the studied groups." in html
    row = tests.loc[("BDNF", "arm:visit")]
    assert html.count(escape(p_value(row["p"], "published"))) >= 3  # BDNF's three effects (GDNF's too)
    assert f"(F({df_value(row['num_df'])}, {df_value(row['den_df'])})={fixed(row['F'], 2)})" in html
    assert "P values of the MMRM's Type III F tests" in html and "results/stats/mmrm_tests.csv" in html
    assert "η<sub>p</sub><sup>2</sup>=" not in html.split('id="outcomes"')[1].split("Table 4.")[0]
    fits = tables["frames"]["mmrm_fit"].set_index("outcome")
    assert ctx["n_mmrm"] == {"BDNF": int(fits.loc["BDNF", "n_participants"]), "GDNF": 30}
    assert ctx["n_mmrm"]["BDNF"] > ctx["n_anova"]["BDNF"]  # the MMRM keeps those without a post value


def test_with_the_mmrm_primary_the_sentence_methods_and_estimation_follow_it(tables):
    from trialflow.report import render_html

    ctx = context(tables, "mmrm")
    assert ctx["table"]["estimation"] == "5" and ctx["table"]["estimation_sensitivity"] == "A2"
    assert "mmrm" not in ctx["table"]  # its contrasts are the estimation table, not a sensitivity one
    bdnf = next(o for o in ctx["outcomes"] if o["id"] == "BDNF")
    c = tables["frames"]["mmrm_contrasts"]
    post = c[(c["outcome"] == "BDNF") & (c["visit"] == "post")].iloc[0]
    t = tables["frames"]["mmrm_tests"].set_index(["outcome", "effect"]).loc[("BDNF", "arm:visit")]
    assert bdnf["sentence"].startswith(
        "Regarding BDNF, the mixed model for repeated measures (MMRM) presented in Table 3"
    )
    assert (
        f"the group × time interaction effect (F({df_value(t['num_df'])},{df_value(t['den_df'])})={fixed(t['F'], 2)}, "
        f"{p_value(t['p'], 'published', capital=False)})" in bdnf["sentence"]
    )
    assert (
        f"At post, the difference in least-squares means (Training − Control) was {fixed(post['estimate'], 2)} pg/mL "
        f"(95 % CI {fixed(post['ci_low'], 2)} to {fixed(post['ci_high'], 2)}, "
        f"{p_value(post['p'], 'published', capital=False)}; Table 5)." in bdnf["sentence"]
    )
    assert "partial η²" not in bdnf["sentence"] and bdnf["assumption_text"] == ""
    html = render_html(ctx)
    methods = html.split('id="methods"')[1].split("</p>")[0]
    assert "mixed model for repeated measures (MMRM) on all available values" in methods
    assert "unstructured covariance" in methods and "REML" in methods and "Satterthwaite degrees of freedom" in methods
    assert "Sensitivity analyses (appendix)" in methods and "Table A1)" in methods and "Table A2)" in methods
    assert "Bonferroni adjustment.\nThe significance level" in methods
    estimation = html.split('id="estimation"')[1].split("</table>")[0]
    assert "Table 5.</b> Estimated effects: difference in least-squares means" in estimation
    assert f"{fixed(post['estimate'], 2)} ({fixed(post['ci_low'], 2)} to {fixed(post['ci_high'], 2)})" in estimation
    appendix = html.split('id="appendix"')[1]
    assert "Table A1.</b> Sensitivity analysis: repeated-measures ANOVA" in appendix
    e = tables["frames"]["estimation"]
    dic = e[(e["outcome"] == "BDNF") & (e["estimand"] == "difference_in_change")].iloc[0]
    assert "Table A2.</b> Sensitivity analysis on complete cases: estimated effects" in appendix
    assert f"{fixed(dic['estimate'], 2)} ({fixed(dic['ci_low'], 2)} to {fixed(dic['ci_high'], 2)})" in appendix
    assert "Sensitivity analysis: mixed model for repeated measures" not in html  # not twice
    assert html.count('id="estimation"') == 1


def test_with_the_anova_primary_the_report_is_as_before_with_the_mmrm_in_the_appendix(tables):
    from trialflow.report import render_html

    ctx = context(tables, "rm_anova")
    anova = tables["frames"]["anova"].set_index(["outcome", "effect"])
    bdnf = next(o for o in ctx["outcomes"] if o["id"] == "BDNF")
    assert bdnf["p"]["interaction"] == anova.loc[("BDNF", "interaction"), "p_corrected"]
    assert bdnf["sentence"].startswith("Regarding BDNF, the repeated-measures ANOVA presented in Table 3")
    assert "least-squares" not in bdnf["sentence"] and bdnf["contrasts"] == []
    assert "estimation_sensitivity" not in ctx["table"] and ctx["table"]["mmrm"] == "A4"
    html = render_html(ctx)
    assert "Results of the repeated-measures analysis of variance in the studied groups." in html
    assert "Sensitivity analysis: mixed model for repeated measures" in html
    assert "MMRM" not in html.split("Table 4.")[1].split("</table>")[0]  # Table 4: the ANOVA's n only


def test_an_outcome_the_mmrm_could_not_fit_is_not_analysable_with_its_reason(tables, tmp_path):
    from trialflow.outputs import write_csv
    from trialflow.report import render_html

    results = dict(tables["results"])
    frames = tables["frames"]
    fit = frames["mmrm_fit"].copy()
    fit.loc[fit["outcome"] == "GDNF", ["converged", "structure", "note"]] = [False, "", "no values"]
    for name, frame in (
        ("mmrm_fit", fit),
        ("mmrm_tests", frames["mmrm_tests"][frames["mmrm_tests"]["outcome"] != "GDNF"]),
        ("mmrm_contrasts", frames["mmrm_contrasts"][frames["mmrm_contrasts"]["outcome"] != "GDNF"]),
    ):
        results[name] = str(tmp_path / f"{name}.csv")
        write_csv(frame, results[name])
    ctx = context(tables, "mmrm", results)
    gdnf = next(o for o in ctx["outcomes"] if o["id"] == "GDNF")
    assert not gdnf["analysable"] and gdnf["p"] == {}
    assert gdnf["sentence"] == (
        "GDNF could not be analysed with the mixed model for repeated measures (MMRM): no values (Figure 2)."
    )
    html = render_html(ctx)
    assert "GDNF: no MMRM (no values)." in html and ctx["n_mmrm"]["GDNF"] is None


def test_the_docx_table_3_follows_the_primary_analysis(tables):
    from trialflow.docx_tables import report_tables

    t = tables["frames"]["mmrm_tests"].set_index(["outcome", "effect"]).loc[("BDNF", "arm:visit")]
    docx = report_tables(context(tables, "mmrm"))
    assert docx["table3_caption"] == "Table 3. Results of the mixed model for repeated measures in the studied groups."
    assert docx["table3_rows"][0]["p_interaction"] == p_value(t["p"], "published")
    assert (
        docx["table3_rows"][2]["p_interaction"]
        == f"(F({df_value(t['num_df'])}, {df_value(t['den_df'])})={fixed(t['F'], 2)})"
    )
    anova = report_tables(context(tables, "rm_anova"))
    assert anova["table3_rows"][2]["p_interaction"].startswith("(η²=")


def test_an_effect_the_outcomes_mmrm_does_not_test_prints_a_dash(tables, demo_analysis, tmp_path):
    """GDNF with its baseline value as covariate: one visit (post), only the arm test; its time
    and interaction cells are '–', its sentence states the arm effect and the contrast at post."""
    from trialflow.outputs import write_csv
    from trialflow.report import render_html
    from trialflow.stats import mmrm

    settings = {"outcomes": {"GDNF": {"covariates": {"baseline_value": True}}}}
    analysis_data = demo_analysis["data"]
    gone = (analysis_data["outcome"] == "BDNF") & (analysis_data["time"] == "post")
    gone &= analysis_data["participant_id"].isin(GONE)
    fitted = mmrm.fit_mmrm_outcomes(
        analysis_data[~gone], demo_analysis["participants"], OUTCOMES, ARMS, TIMES, settings, {}
    )
    assert sorted(fitted["tests"].loc[fitted["tests"]["outcome"] == "GDNF", "effect"]) == ["arm"]
    results = dict(tables["results"])
    for name, frame in fitted.items():
        results[f"mmrm_{name}"] = str(tmp_path / f"mmrm_{name}.csv")
        write_csv(frame, results[f"mmrm_{name}"])
    ctx = context(tables, "mmrm", results)
    assert ctx["effects"] == ["time", "group", "interaction"]  # BDNF's MMRM tests all three
    gdnf = next(o for o in ctx["outcomes"] if o["id"] == "GDNF")
    arm = fitted["tests"].set_index(["outcome", "effect"]).loc[("GDNF", "arm")]
    assert gdnf["p"] == {"group": arm["p"]} and gdnf["analysable"]
    assert "the main effect of group (F(1," in gdnf["sentence"] and "At post," in gdnf["sentence"]
    assert "adjusted for baseline (pre) × visit" in render_html(ctx)
    from trialflow.docx_tables import report_tables

    rows = report_tables(ctx)["table3_rows"]
    gdnf_first = next(i for i, r in enumerate(rows) if r.get("variable") == "GDNF")
    assert rows[gdnf_first]["p_time"] == "–" and rows[gdnf_first]["p_interaction"] == "–"
    assert rows[gdnf_first + 2]["p_time"] == "–" and rows[gdnf_first + 2]["p_groups"].startswith("(F(1, ")
