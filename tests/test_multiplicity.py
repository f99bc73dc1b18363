"""Multiplicity adjustment (``trialflow.stats.multiplicity``) and its plan (``trialflow.analysis_plan``).

Stepwise methods against R 4.2.2's ``p.adjust`` (values printed with ``format(x, digits = 15)``);
the graphical procedure against the worked examples published with graphicalMCP (the R package
of the Bretz et al. graphical approach) and against the procedures it is known to reduce to
(Bretz et al. 2009, section 3: Holm, fixed sequence); fixed sequence against its closed form.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from trialflow import analysis_plan as plan
from trialflow.stats.multiplicity import adjust_families, adjust_family, adjust_p, fixed_sequence_p, graphical_p

# R: p <- c(0.0021, 0.0437, 0.012, 0.3, 0.0437, 0.0009, 0.81, 0.026)   (a tie at 0.0437)
P8 = [0.0021, 0.0437, 0.012, 0.3, 0.0437, 0.0009, 0.81, 0.026]
R_P8 = {
    # p.adjust(p, "bonferroni")
    "bonferroni": [0.0168, 0.3496, 0.0960, 1.0, 0.3496, 0.0072, 1.0, 0.2080],
    # p.adjust(p, "holm")
    "holm": [0.0147, 0.1748, 0.0720, 0.6, 0.1748, 0.0072, 0.81, 0.1300],
    # p.adjust(p, "hochberg")
    "hochberg": [0.0147, 0.1311, 0.0720, 0.6, 0.1311, 0.0072, 0.81, 0.1300],
    # p.adjust(p, "hommel")
    "hommel": [0.01470, 0.13110, 0.06555, 0.6, 0.13110, 0.00720, 0.81, 0.08740],
    # p.adjust(p, "BH")
    "bh": [0.0084, 0.0582666666666667, 0.032, 0.3428571428571428, 0.0582666666666667, 0.0072, 0.81, 0.052],
}
# R: r <- c(0.011, 0.02, 0.029, 0.041, 0.6)
P5 = [0.011, 0.02, 0.029, 0.041, 0.6]
R_P5 = {
    "hommel": [0.0483333333333333, 0.06, 0.0615, 0.082, 0.6],  # p.adjust(r, "hommel")
    "hochberg": [0.055, 0.080, 0.082, 0.082, 0.600],  # p.adjust(r, "hochberg")
    "holm": [0.055, 0.080, 0.087, 0.087, 0.600],  # p.adjust(r, "holm")
    "bh": [0.0483333333333333, 0.0483333333333333, 0.0483333333333333, 0.05125, 0.6],  # p.adjust(r, "BH")
}


@pytest.mark.parametrize("method", list(R_P8))
def test_stepwise_methods_match_r_p_adjust(method):
    np.testing.assert_allclose(adjust_p(np.array(P8), method), R_P8[method], rtol=1e-12)


@pytest.mark.parametrize("method", list(R_P5))
def test_stepwise_methods_match_r_p_adjust_second_set(method):
    np.testing.assert_allclose(adjust_p(np.array(P5), method), R_P5[method], rtol=1e-12)


@pytest.mark.parametrize("method", ["hochberg", "hommel"])
def test_two_hypotheses_hommel_is_hochberg(method):
    # R: p.adjust(c(0.04, 0.03), "hochberg") and p.adjust(c(0.04, 0.03), "hommel"): 0.04, 0.04
    np.testing.assert_allclose(adjust_p(np.array([0.04, 0.03]), method), [0.04, 0.04], rtol=1e-12)


@pytest.mark.parametrize("method", list(R_P8))
def test_one_hypothesis_is_not_adjusted(method):
    # R: p.adjust(0.03, method) is 0.03 for every method
    assert adjust_p(np.array([0.03]), method) == pytest.approx([0.03], rel=1e-12)


def test_fixed_sequence_is_the_running_maximum():
    # Closed form: H_i is rejected iff p_1, ..., p_i are all <= alpha, so adjusted p_i = max(p_1..p_i).
    np.testing.assert_array_equal(
        fixed_sequence_p(np.array([0.01, 0.04, 0.02, 0.2, 0.001])), [0.01, 0.04, 0.04, 0.2, 0.2]
    )
    res = adjust_family(_rows([0.01, 0.04, 0.06, 0.001]), "f", "fixed_sequence", 0.05)
    assert res["rejected"].tolist() == [True, True, False, False]  # testing stops at the third


# --- the graphical approach ----------------------------------------------------------------------

PARALLEL_GATE = {  # graphicalMCP's vignette "Get started": two primaries, each gating one secondary
    "weights": [0.5, 0.5, 0, 0],
    "transitions": [[0, 0, 1, 0], [0, 0, 0, 1], [0, 1, 0, 0], [1, 0, 0, 0]],
}


def test_graphical_vignette_example():
    # graphicalMCP vignette (cran/graphicalMCP inst/doc/graphicalMCP.R):
    #   graph_test_shortcut(example_graph, p = c(0.01, 0.005, 0.03, 0.01), alpha = 0.025)$outputs$rejected
    # is H1 TRUE, H2 TRUE, H3 FALSE, H4 TRUE. Worked by hand with Bretz et al. (2009), Algorithm 2:
    # H2 first (0.005 / 0.5 = 0.01), then H1 (0.01 / 0.5 = 0.02), then H4 (0.01 / 0.5), then H3 with
    # weight 1: adjusted p 0.02, 0.01, 0.03, 0.02.
    p = [0.01, 0.005, 0.03, 0.01]
    adjusted = graphical_p(np.array(p), np.array(PARALLEL_GATE["weights"]), np.array(PARALLEL_GATE["transitions"]))
    np.testing.assert_allclose(adjusted, [0.02, 0.01, 0.03, 0.02], rtol=1e-12)
    res = adjust_family(_rows(p), "gate", "graphical", 0.025, **PARALLEL_GATE)
    assert res["rejected"].tolist() == [True, True, False, True]


def test_graphical_example_where_alpha_is_met_up_to_rounding():
    # graphicalMCP tests/testthat/test-graph_test_shortcut.R, "adjusted p that exceeds alpha by
    # floating point diff is rejected": this graph and p give rejected H1, H2, H4 (not H3, H5, H6)
    # at alpha 0.025; H2's adjusted p is 0.01875 / 0.75 = 0.025 up to rounding.
    g = [
        [0.0000, 0.5000, 0.2500, 0.0000, 0.2500, 0.0000],
        [0.5000, 0.0000, 0.0000, 0.2500, 0.0000, 0.2500],
        [0.0000, 0.0000, 0.0000, 0.0000, 1.0000, 0.0000],
        [0.0001, 0.0000, 0.0000, 0.0000, 0.0000, 0.9999],
        [0.0000, 0.0001, 0.9999, 0.0000, 0.0000, 0.0000],
        [0.0000, 0.0000, 0.0000, 1.0000, 0.0000, 0.0000],
    ]
    res = adjust_family(_rows([0.001, 0.01875, 0.013, 0.0002, 0.03, 0.04]), "g", "graphical", 0.025,
                        weights=[0.5, 0.5, 0, 0, 0, 0], transitions=g)  # fmt: skip
    assert res["rejected"].tolist() == [True, True, False, True, False, False]
    assert res["p_adjusted"].iloc[1] == pytest.approx(0.025, rel=1e-12)


@pytest.mark.parametrize("p", [P8[:5], P5, [0.3, 0.02, 0.02, 0.5]])
def test_graph_with_equal_weights_and_full_transitions_is_holm(p):
    # Bretz et al. (2009), section 3 (Figure 2): w_i = 1/m, g_ij = 1/(m - 1) is Holm's procedure.
    m = len(p)
    g = (np.ones((m, m)) - np.eye(m)) / (m - 1)
    np.testing.assert_allclose(
        graphical_p(np.array(p), np.full(m, 1 / m), g), adjust_p(np.array(p), "holm"), rtol=1e-12
    )


def test_graph_of_a_chain_is_the_fixed_sequence():
    # Bretz et al. (2009), section 3: w = (1, 0, 0, 0) and g_{i,i+1} = 1 is the fixed-sequence test.
    p = np.array([0.01, 0.04, 0.02, 0.2])
    g = np.diag(np.ones(3), k=1)
    np.testing.assert_allclose(graphical_p(p, np.array([1.0, 0, 0, 0]), g), fixed_sequence_p(p), rtol=1e-12)


def test_graph_with_weight_left_nowhere_cannot_reject():
    # All remaining weights 0: those hypotheses can never be rejected (adjusted p 1).
    adjusted = graphical_p(np.array([0.001, 0.001, 0.001]), np.array([0.5, 0.5, 0]), np.zeros((3, 3)))
    np.testing.assert_allclose(adjusted, [0.002, 0.002, 1.0])


def test_not_a_graph_is_refused():
    with pytest.raises(ValueError, match="sum to at most 1"):
        graphical_p(np.array([0.01, 0.02]), np.array([0.7, 0.7]), np.array([[0, 1], [1, 0]]))


# --- families ------------------------------------------------------------------------------------


def _rows(p):
    return pd.DataFrame({"outcome": [f"o{i + 1}" for i in range(len(p))], "effect": "interaction", "p": p})


def test_an_undefined_p_stays_in_the_family_as_not_rejected():
    # Holm over three hypotheses with the undefined one counted as p = 1:
    # R: p.adjust(c(0.01, 1, 0.02), "holm") = 0.03, 1, 0.04
    res = adjust_family(_rows([0.01, np.nan, 0.02]), "f", "holm", 0.05)
    np.testing.assert_allclose(res["p_adjusted"].to_numpy(), [0.03, np.nan, 0.04])
    assert res["rejected"].tolist() == [True, False, True]
    assert res["note"].iloc[1].startswith("p undefined") and res["note"].iloc[0] == ""


def test_adjust_families_takes_each_familys_p_in_its_order():
    p = pd.DataFrame(
        {
            "outcome": ["a", "a", "b", "b", "c", "c"],
            "effect": ["interaction", "group"] * 3,
            "p": [0.01, 0.5, 0.03, 0.5, 0.2, 0.001],
        }
    )
    fams = [
        {"id": "primary", "outcomes": ["b", "a"], "effect": "interaction", "method": "fixed_sequence", "alpha": 0.05},
        {"id": "panel", "outcomes": ["c"], "effect": "group", "method": "bh", "alpha": 0.1},
    ]
    res = adjust_families(p, fams)
    assert res.columns.tolist() == [
        "family",
        "outcome",
        "effect",
        "p",
        "p_adjusted",
        "method",
        "alpha",
        "rejected",
        "note",
    ]
    assert res["outcome"].tolist() == ["b", "a", "c"]
    np.testing.assert_allclose(res["p_adjusted"], [0.03, 0.03, 0.001])
    assert res["alpha"].tolist() == [0.05, 0.05, 0.1]


def test_no_families_is_an_empty_table_with_its_columns():
    res = adjust_families(pd.DataFrame(columns=["outcome", "effect", "p"]), [])
    assert len(res) == 0 and "p_adjusted" in res.columns


# --- the plan in the config ----------------------------------------------------------------------

CONFIG = {
    "arms": [{"id": "control"}, {"id": "training"}],
    "outcomes": [
        {"id": "BDNF", "role": "primary"},
        {"id": "GDNF", "role": "key_secondary"},
        {"id": "grip"},
        {"id": "tug", "role": "key_secondary"},
    ],
    "analysis": {
        "alpha": 0.05,
        "multiplicity": {
            "families": [
                {"id": "confirmatory", "outcomes": ["BDNF", "GDNF", "tug"], "method": "graphical",
                 "weights": [1, 0, 0], "transitions": [[0, 0.5, 0.5], [0, 0, 1], [0, 1, 0]]},
                {"id": "others", "role": "secondary", "method": "holm", "alpha": 0.1},
            ]
        },
    },
}  # fmt: skip


def test_families_fill_the_defaults():
    fams = plan.families(CONFIG)
    assert fams[0]["effect"] == "interaction" and fams[0]["alpha"] == 0.05 and fams[0]["role"] == ""
    assert fams[1]["outcomes"] == ["grip"]  # no role: secondary (the default)
    assert fams[1]["alpha"] == 0.1 and "weights" not in fams[1]
    one_arm = {**CONFIG, "arms": [{"id": "only"}]}
    assert plan.families(one_arm)[0]["effect"] == "time"


def test_a_valid_plan_has_no_problems():
    assert plan.config_problems(CONFIG) == []


def _broken(edit) -> list[str]:
    config = copy.deepcopy(CONFIG)
    edit(config["analysis"]["multiplicity"]["families"])
    return plan.config_problems(config)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda f: f[0].update(weights=[0.6, 0.6, 0]), "weights sum to at most 1"),
        (lambda f: f[0].update(transitions=[[0, 0.7, 0.5], [0, 0, 1], [0, 1, 0]]), "row 1 sums to at most 1"),
        (lambda f: f[0].update(transitions=[[0.5, 0, 0.5], [0, 0, 1], [0, 1, 0]]), "diagonal entry is 0"),
        (lambda f: f[0].update(transitions=[[0, 1], [1, 0]]), "3 × 3"),
        (lambda f: f[0].update(weights=[1, 0]), "2 weights for 3 hypotheses"),
        (lambda f: f[0].pop("transitions"), "needs `weights` and `transitions`"),
        (lambda f: f[1].update(weights=[1]), "are for the graphical method"),
        (lambda f: f[0].update(outcomes=["BDNF", "nope", "tug"]), "'nope' is not an outcome id"),
        (lambda f: f[0].update(outcomes=["BDNF", "BDNF", "tug"]), "listed more than once"),
        (lambda f: f[1].update(role="exploratory"), "no outcome has the role 'exploratory'"),
        (lambda f: f[1].update(outcomes=["grip"]), "not both"),
        (lambda f: f[1].pop("role"), "name its hypotheses by `outcomes`"),
        (
            lambda f: f.append({"id": "others", "outcomes": ["grip"], "method": "holm", "effect": "group"}),
            "more than once",
        ),
        (
            lambda f: f.append({"id": "again", "outcomes": ["BDNF"], "method": "holm"}),
            "already in family 'confirmatory'",
        ),
    ],
)
def test_a_plan_that_cannot_be_tested_is_refused_naming_the_key(edit, message):
    problems = _broken(edit)
    assert any(message in p for p in problems), problems
    assert all(p.startswith("analysis.multiplicity.families") for p in problems)


def test_group_or_interaction_needs_two_arms():
    config = {**copy.deepcopy(CONFIG), "arms": [{"id": "only"}]}
    config["analysis"]["multiplicity"]["families"][1]["effect"] = "interaction"
    assert any("needs two or more arms" in p for p in plan.config_problems(config))


def test_the_graph_is_drawn_deterministically():
    fam = plan.families(CONFIG)[0]
    svg = plan.graph_svg(["BDNF", "GDNF", "T<UG"], fam["weights"], fam["transitions"], "Family confirmatory")
    assert svg == plan.graph_svg(["BDNF", "GDNF", "T<UG"], fam["weights"], fam["transitions"], "Family confirmatory")
    assert svg.count("<circle") == 3
    assert svg.count("<polygon") == 4  # one arrow per non-zero transition
    assert "H3: T&lt;UG" in svg and ">0.5<" in svg and ">H1<" in svg


# --- the step and the report ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_tables(tmp_path_factory, demo_analysis):
    """The demo's results tables (BDNF, GDNF; library calls, no Snakemake) and its multiplicity
    table for a graphical family across the two interactions, written by the step."""
    from trialflow.outputs import write_csv
    from trialflow.steps.analysis import adjust_multiplicity

    d = tmp_path_factory.mktemp("results")
    results = {}
    names = ["descriptives", "anova", "assumptions", "excluded", "baseline", "baseline_tests", "participants_per_arm"]
    for name in [*names, "participants", "outcome_status"]:
        results[name] = str(d / f"{name}.csv")
        write_csv(demo_analysis[name] if name != "outcome_status" else demo_analysis["status"], results[name])
    config = _demo_config()
    config["analysis"]["multiplicity"] = {
        "families": [
            {"id": "biomarkers", "outcomes": ["GDNF", "BDNF"], "method": "graphical", "weights": [0.8, 0.2],
             "transitions": [[0, 1], [1, 0]]},
        ]
    }  # fmt: skip
    assert plan.config_problems(config) == []
    graphs = [str(d / "multiplicity_biomarkers.svg")]
    results["multiplicity"] = str(d / "multiplicity.csv")
    adjust_multiplicity(results["anova"], plan.families(config), config["outcomes"], results["multiplicity"], graphs)
    return {"results": results, "graphs": graphs, "config": config, "anova": demo_analysis["anova"]}


def _demo_config():
    import yaml

    from tests.conftest import ROOT

    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["outcomes"] = [o for o in config["outcomes"] if o["id"] in ("BDNF", "GDNF")]
    return config


def test_the_step_adjusts_the_printed_p_of_the_familys_effect(demo_tables):
    table = pd.read_csv(demo_tables["results"]["multiplicity"])
    anova = demo_tables["anova"].set_index(["outcome", "effect"])["p_corrected"]
    p_g, p_b = anova[("GDNF", "interaction")], anova[("BDNF", "interaction")]
    # Closed form of a two-hypothesis graph with full transitions (Bretz et al. 2009, section 3,
    # the weighted Holm procedure): the smaller of p_i / w_i is adjusted to itself, the other to
    # max(that, p_j) (its weight is then 1).
    first = min(p_g / 0.8, p_b / 0.2)
    expected = [first, max(first, p_b)] if p_g / 0.8 <= p_b / 0.2 else [max(first, p_g), first]
    assert table["outcome"].tolist() == ["GDNF", "BDNF"]
    assert table["p"].tolist() == pytest.approx([p_g, p_b], rel=1e-12)
    assert table["p_adjusted"].tolist() == pytest.approx(expected, rel=1e-12)
    assert table["rejected"].tolist() == [True, True] and set(table["method"]) == {"graphical"}
    svg = open(demo_tables["graphs"][0], encoding="utf-8").read()
    assert "H1: GDNF" in svg and "H2: BDNF" in svg and ">0.8<" in svg


def test_the_report_prints_adjusted_p_next_to_the_raw_one_with_the_method(demo_tables):
    from tests.conftest import report_settings
    from trialflow.report import render_html
    from trialflow.report.context import build_context

    svg = demo_tables["graphs"][0]
    figures = {"BDNF": svg, "GDNF": svg}
    settings = report_settings(demo_tables["config"])
    html = render_html(
        build_context(settings, demo_tables["results"], figures, multiplicity_graphs=demo_tables["graphs"])
    )
    assert html.count('adj. P&lt;0.0001<sup class="adj">a</sup>') == 2  # both interactions, under their raw p
    assert "adjusted for multiplicity, graphical (Bretz et al. 2009) across GDNF and BDNF" in html
    assert "family biomarkers, familywise error rate 0.05" in html
    assert "tested with the graphical (Bretz et al. 2009) procedure at a familywise error rate of 0.05" in html
    assert "Multiplicity graph of family biomarkers" in html and "H1 GDNF, H2 BDNF" in html
    assert "its null hypothesis is rejected at the 0.05 level" in html  # the results sentence
    from trialflow.docx_tables import report_tables

    context = build_context(settings, demo_tables["results"], figures, multiplicity_graphs=demo_tables["graphs"])
    rows = report_tables(context)["table3_rows"]  # the DOCX Table 3: under BDNF's and GDNF's raw p
    assert rows[1]["p_interaction"] == "adj. P<0.0001 (graphical (Bretz et al. 2009), family biomarkers)"
    assert rows[1]["p_time"] == "" and rows[4]["p_interaction"].startswith("adj. P<0.0001")
    without = {k: v for k, v in demo_tables["results"].items() if k != "multiplicity"}
    plain = render_html(build_context(settings, without, figures))
    assert "adj." not in plain and "multiplicity" not in plain.lower()
