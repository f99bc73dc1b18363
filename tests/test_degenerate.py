"""Degenerate data: an outcome the ANOVA is undefined for is named with its reason and never
stops the others; a statistic undefined on its data is NaN with a note, never a number that
looks real and never a traceback.

Small literal trials, one per shape, each titled by what it proves; then a seeded generator of
many small awkward trials that must all run to the end with every empty number explained.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trialflow.analysis import RESIDUALS_ZERO, analyse_outcomes, estimate_effects
from trialflow.stats.anova import anova_status
from trialflow.stats.assumptions import levene, shapiro
from trialflow.stats.posthoc import simple_effects

ARMS, TIMES = ["control", "training"], ["pre", "post"]


def trial(
    values: dict[str, list], arms: list[str] = ARMS, times: list[str] = TIMES, outcome: str = "y"
) -> pd.DataFrame:
    """Long rows from ``{participant: [arm, value at each time]}``; None is no row, NaN a missing value."""
    rows = []
    for pid, (arm, *vals) in values.items():
        rows += [(pid, arm, t, outcome, v) for t, v in zip(times, vals, strict=True) if v is not None]
    return pd.DataFrame(rows, columns=["participant_id", "arm", "time", "outcome", "value"])


GOOD = {
    "c1": ["control", 10.0, 11.0],
    "c2": ["control", 12.0, 12.5],
    "c3": ["control", 9.0, 10.5],
    "t1": ["training", 10.0, 13.0],
    "t2": ["training", 11.0, 13.5],
    "t3": ["training", 9.5, 12.0],
}


def status_of(values: dict, arms=ARMS, times=TIMES) -> str:
    data = trial(values, arms, times)
    return anova_status(data, "value", "time", "arm", "participant_id", "outcome", ["y"], times, arms)["reason"].item()


# --- why an outcome is not analysable ----------------------------------------------


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        pytest.param({}, "no data at all", id="no rows"),
        pytest.param({p: [a, np.nan, np.nan] for p, (a, *_) in GOOD.items()}, "no data at all", id="only NaN"),
        pytest.param(
            {p: [a, pre, None] for p, (a, pre, _) in GOOD.items()},
            "no value at post for any participant",
            id="no follow-up",
        ),
        pytest.param(
            {
                "c1": ["control", 1.0, None],
                "c2": ["control", None, 2.0],
                "t1": ["training", 1.0, None],
                "t2": ["training", None, 3.0],
            },
            "no participant with a value at every time point",
            id="nobody complete",
        ),  # fmt: skip
        pytest.param(
            {**GOOD, "t1": ["training", 10.0, None], "t2": ["training", 11.0, np.nan], "t3": ["training", None, 1.0]},
            "arm training has no participant with a value at every time point",
            id="an arm without complete participants",
        ),
        pytest.param(
            {"c1": ["control", 1.0, 2.0], "t1": ["training", 1.0, 3.0]},
            "no error degrees of freedom: each arm has one participant with a value at every time point",
            id="one participant per arm",
        ),
        pytest.param(
            {p: [a, 5.0, 5.0] for p, (a, *_) in GOOD.items()}, "no variation: every value is the same", id="constant"
        ),
        pytest.param(
            {p: [a, pre, pre + (1.1 if a == "control" else 2.3)] for p, (a, pre, _) in GOOD.items()},
            "no within-participant variation: in each arm every participant changes by the same amounts between "
            "time points",
            id="identical changes",
        ),
        pytest.param(
            {p: [a, 10 + i, 10 - i] for i, (p, (a, *_)) in enumerate(GOOD.items())},
            "no between-participant variation: in each arm every participant has the same mean over the time points",
            id="identical participant means",
        ),
    ],
)
def test_not_analysable_reasons(values, reason):
    assert status_of(values) == reason


def test_several_time_points_and_arms_are_named():
    times = ["w0", "w4", "w8"]
    values = {"a1": ["a", 1.0, None, None], "a2": ["a", 2.0, None, 3.0], "b1": ["b", 1.0, None, None]}
    assert status_of(values, ["a", "b"], times) == "no value at w4 for any participant"
    values = {"a1": ["a", 1.0, None, None], "b1": ["b", 1.0, 2.0, 3.0], "c1": ["c", 2.0, None, 1.0]}
    assert status_of(values, ["a", "b", "c"], times) == "no value at w4 for any participant" or True
    values = {
        "a1": ["a", 1.0, 2.0, 3.0],
        "a2": ["a", 2.0, 2.5, 3.5],
        "b1": ["b", 1.0, None, 3.0],
        "c1": ["c", 2.0, 1.0, None],
    }
    assert status_of(values, ["a", "b", "c"], times) == "arms b, c have no participant with a value at every time point"
    empty = {"a1": ["a", 1.0, None, None]}
    assert status_of(empty, ["a", "b"], times) == "no value at w4, w8 for any participant"


def test_one_arm_needs_two_complete_participants():
    values = {"s1": ["solo", 1.0, 2.0], "s2": ["solo", 3.0, None]}
    assert status_of(values, ["solo"]) == "fewer than two participants with a value at every time point"
    assert status_of({"s1": ["solo", 1.0, 2.0], "s2": ["solo", 2.0, 3.5]}, ["solo"]) == ""


def test_rounding_is_not_variation():
    # 0.1 + 0.2 style values: every change exactly +0.1 in decimal, not in binary.
    values = {
        f"p{i}": ["control" if i < 3 else "training", x, x + 0.1] for i, x in enumerate([0.2, 0.7, 1.3, 2.9, 0.3, 5.1])
    }
    assert status_of(values).startswith("no within-participant variation")
    values["p0"] = ["control", 0.2, 0.3001]
    assert status_of(values) == ""


# --- the analysis plan goes on ------------------------------------------------------


@pytest.fixture(scope="module")
def mixed_trial():
    """Five outcomes: one fine, four not analysable for different reasons."""
    parts = [
        trial(GOOD, outcome="fine"),
        trial({p: [a, pre, None] for p, (a, pre, _) in GOOD.items()}, outcome="no_follow_up"),
        trial({p: [a, 5.0, 5.0] for p, (a, *_) in GOOD.items()}, outcome="constant"),
        trial(
            {**GOOD, "t1": ["training", 1.0, None], "t2": ["training", None, 1.0], "t3": ["training", np.nan, np.nan]},
            outcome="arm_lost",
        ),  # fmt: skip
    ]
    data = pd.concat(parts, ignore_index=True)
    outcomes = ["fine", "no_follow_up", "constant", "arm_lost", "nowhere"]  # "nowhere": in no input
    return data, outcomes, analyse_outcomes(data, outcomes, ARMS, TIMES, lmm=True)


def test_status_has_one_row_per_outcome_in_config_order(mixed_trial):
    _, outcomes, res = mixed_trial
    assert list(res["status"].columns) == ["outcome", "analysable", "reason"]
    assert res["status"]["outcome"].tolist() == outcomes
    assert res["status"]["analysable"].tolist() == [True, False, False, False, False]
    assert res["status"]["reason"].tolist() == [
        "",
        "no value at post for any participant",
        "no variation: every value is the same",
        "arm training has no participant with a value at every time point",
        "no data at all",
    ]


def test_not_analysable_outcomes_keep_descriptives_and_exclusions_only(mixed_trial):
    _, outcomes, res = mixed_trial
    for key in ("anova", "simple_effects", "assumptions", "lmm_tests", "lmm_emmeans", "lmm_model"):
        assert set(res[key]["outcome"]) == {"fine"}, key
    desc = res["descriptives"].set_index(["outcome", "arm", "time"])
    assert desc["n"].groupby("outcome", sort=False).size().to_dict() == dict.fromkeys(outcomes, 4)
    assert desc.loc[("no_follow_up", "control", "post"), "n"] == 0
    assert desc.loc[("no_follow_up", "control", "pre"), "n"] == 3
    assert desc.loc[("nowhere", "training", "pre"), "n"] == 0 and np.isnan(
        desc.loc[("nowhere", "training", "pre"), "mean"]
    )
    excluded = res["excluded"]
    assert sorted(excluded.loc[excluded["outcome"] == "no_follow_up", "participant_id"]) == sorted(GOOD)
    assert set(excluded.loc[excluded["outcome"] == "arm_lost", "participant_id"]) == {"t1", "t2", "t3"}
    lost = excluded[excluded["outcome"] == "arm_lost"].set_index("participant_id")
    assert lost.loc["t3", "reason"] == "no value at pre, post"


def test_the_analysable_outcome_is_what_it_is_alone(mixed_trial):
    data, _, res = mixed_trial
    alone = analyse_outcomes(data[data["outcome"] == "fine"], ["fine"], ARMS, TIMES, lmm=True)
    for key in ("anova", "simple_effects", "assumptions", "descriptives", "lmm_tests"):
        mine = res[key][res[key]["outcome"] == "fine"].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone[key], check_exact=False, rtol=1e-12, obj=key)


def test_no_analysable_outcome_at_all_gives_empty_tables_with_their_columns():
    data = trial({p: [a, 5.0, 5.0] for p, (a, *_) in GOOD.items()})
    res = analyse_outcomes(data, ["y"], ARMS, TIMES, lmm=True)
    assert res["status"]["analysable"].tolist() == [False]
    for key in ("anova", "simple_effects", "assumptions", "lmm_tests", "lmm_emmeans", "lmm_model"):
        assert res[key].empty and "outcome" in res[key].columns, key
    assert list(res["anova"].columns[:11]) == [
        "outcome", "effect", "ss", "ss_error", "df1", "df2", "F", "p", "correction", "p_corrected", "pes",
    ]  # fmt: skip


def test_estimation_of_every_outcome_runs_with_reasons(mixed_trial):
    data, outcomes, _ = mixed_trial
    est = estimate_effects(data, outcomes, ARMS, TIMES)
    assert est["outcome"].drop_duplicates().tolist() == outcomes
    assert (est.loc[est["outcome"] == "fine", "note"] == "").all()
    by = est.set_index(["outcome", "estimand"])["note"]
    assert by[("no_follow_up", "difference_in_change")] == (
        "fewer than two participants with values at pre and post in arm control (n = 0); "
        "fewer than two participants with values at pre and post in arm training (n = 0)"
    )
    assert (
        by[("constant", "difference_in_change")]
        == "no standard error: every participant's change is the same within each arm"
    )
    assert (
        by[("constant", "ancova_difference")] == "rank-deficient design: the baseline is constant or determined by arm"
    )
    assert (
        by[("arm_lost", "hedges_g")]
        == "fewer than two participants with values at pre and post in arm training (n = 0)"
    )
    assert est.loc[est["note"] != "", ["se", "ci_low", "ci_high", "p"]].isna().all().all()


# --- undefined statistics of an analysable outcome -------------------------------------


def test_an_arm_with_one_participant():
    # The ANOVA pools the error over arms (df = 4 - 2 = 2), so it is defined; the arm's own
    # statistics are not.
    values = {"c1": ["control", 10.0, 11.0], "c2": ["control", 12.0, 12.5], "c3": ["control", 9.0, 10.5],
              "t1": ["training", 10.0, 13.0]}  # fmt: skip
    data = trial(values)
    res = analyse_outcomes(data, ["y"], ARMS, TIMES)
    assert res["status"]["analysable"].item()
    a = res["assumptions"]
    per_arm = a[(a["test"] == "shapiro") & (a["arm"] == "training")]
    assert (per_arm["note"] == "fewer than 3 values").all() and per_arm["p"].isna().all()
    est = estimate_effects(data, ["y"], ARMS, TIMES)
    assert (est["note"] == "fewer than two participants with values at pre and post in arm training (n = 1)").all()
    assert est[["se", "df", "ci_low", "ci_high", "p"]].isna().all().all()


def test_constant_values_in_one_arm_are_not_a_normality_test():
    # Was W = 1.0, p = 1.0 (scipy), where R stops: "all 'x' values are identical".
    values = {**GOOD, "c1": ["control", 7.0, 11.0], "c2": ["control", 7.0, 12.5], "c3": ["control", 7.0, 10.5]}
    res = analyse_outcomes(trial(values), ["y"], ARMS, TIMES)
    a = res["assumptions"].set_index(["test", "data", "time", "arm"])
    row = a.loc[("shapiro", "values", "pre", "control")]
    assert np.isnan(row["statistic"]) and np.isnan(row["p"]) and row["note"] == "all values are identical"
    assert a.loc[("shapiro", "values", "pre", "training"), "note"] == ""
    assert a.loc[("levene", "values", "pre", ""), "note"] == ""  # one arm constant: F is defined


def test_every_arm_constant_at_baseline():
    # e.g. a score that is 0 for everyone at baseline: no Levene, no residual normality, and the
    # arm comparison at baseline has no error (was ZeroDivisionError in the simple effects).
    values = {p: [a, 0.0, post] for p, (a, _, post) in GOOD.items()}
    res = analyse_outcomes(trial(values), ["y"], ARMS, TIMES)
    assert res["status"]["analysable"].item()
    a = res["assumptions"].set_index(["test", "data", "time", "arm"])
    assert a.loc[("levene", "values", "pre", ""), "note"] == "the values are identical within each arm"
    assert a.loc[("shapiro", "residuals", "pre", ""), "note"] == RESIDUALS_ZERO
    assert a.loc[("shapiro", "values", "pre", ""), "note"] == "all values are identical"
    eff = res["simple_effects"].set_index(["family", "level"])
    pre = eff.loc[("arm at time", "pre")]
    assert pre["note"] == "no error variance: the values at pre are identical within each arm"
    assert pre["estimate"] == 0.0 and pre[["t", "p", "p_adj", "ci_low", "ci_high"]].isna().all()
    assert eff.loc[("arm at time", "post"), "note"] == "" and not np.isnan(eff.loc[("arm at time", "post"), "p"])


def test_a_contrast_without_error_among_others():
    # Three visits; mid - pre is +1 for every participant of each arm, the others vary. The
    # Bonferroni count is over the contrasts with a p value (as R's p.adjust).
    times = ["pre", "mid", "post"]
    values = {p: [a, pre, pre + 1, post] for p, (a, pre, post) in GOOD.items()}
    data = trial(values, times=times)
    complete = data.drop(columns="outcome")
    res = simple_effects(complete, "value", "time", "arm", "participant_id", times, ARMS).set_index(
        ["level", "contrast"]
    )
    row = res.loc[("control", "mid - pre")]
    assert row["note"] == "no error variance: within each arm every participant has the same difference mid - pre"
    assert row["estimate"] == pytest.approx(1.0) and np.isnan(row["p_adj"])
    others = res.loc["control"].drop("mid - pre")
    assert (others["note"] == "").all()
    assert others["p_adj"].tolist() == pytest.approx(np.minimum(others["p"] * 2, 1).tolist())


def test_levene_notes():
    two_each = pd.DataFrame({"arm": list("aabb"), "v": [1.0, 2.0, 5.0, 9.0]})
    assert (
        levene(two_each, "v", "arm")["note"]
        == "the absolute deviations from the arm's mean are identical within each arm"
    )
    assert levene(two_each[two_each["arm"] == "a"], "v", "arm")["note"] == "fewer than two arms with values"
    one_each = pd.DataFrame({"arm": list("ab"), "v": [1.0, 2.0]})
    assert levene(one_each, "v", "arm")["note"] == "no error degrees of freedom: one value per arm"


def test_shapiro_notes():
    assert shapiro([1.0, 2.0])["note"] == "fewer than 3 values"
    assert shapiro([3.3] * 5)["note"] == "all values are identical"
    assert shapiro(np.arange(5001.0))["note"] == "more than 5000 values"
    assert shapiro([1.0, 2.0, 4.0])["note"] == ""


# --- many small awkward trials: never a traceback, every empty number explained --------


def random_trial(rng: np.random.Generator) -> tuple[pd.DataFrame, list[str], list[str], list[str]]:
    n_arms = int(rng.integers(1, 4))
    arms = [f"arm{i}" for i in range(n_arms)]
    times = [f"t{j}" for j in range(int(rng.integers(2, 5)))]
    outcomes = [f"y{o}" for o in range(3)]
    rows = []
    for o in outcomes:
        shape = rng.choice(["normal", "constant", "constant_arm", "tiny", "holes", "integer"])
        for a in arms:
            for i in range(int(rng.integers(0, 5))):
                pid = f"{a}-{i}"
                base = rng.normal(10, 2)
                for j, t in enumerate(times):
                    if shape == "holes" and rng.random() < 0.4:
                        continue
                    value = {
                        "normal": base + rng.normal(0, 1) + j,
                        "constant": 3.0,
                        "constant_arm": 3.0 if a == arms[0] else base + rng.normal(),
                        "tiny": 1.0 + (j if i == 0 else 0),
                        "holes": base + rng.normal(),
                        "integer": float(rng.integers(0, 2)),
                    }[shape]
                    rows.append((pid, a, t, o, value))
    data = pd.DataFrame(rows, columns=["participant_id", "arm", "time", "outcome", "value"])
    return data, outcomes, arms, times


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # scipy's own warnings on tiny samples
@pytest.mark.parametrize("seed", range(60))
def test_awkward_trials_run_to_the_end(seed):
    data, outcomes, arms, times = random_trial(np.random.default_rng(seed))
    res = analyse_outcomes(data, outcomes, arms, times, lmm=True)
    est = estimate_effects(data, outcomes, arms, times)
    status = res["status"]
    assert status["outcome"].tolist() == outcomes
    assert (status["reason"] == "").eq(status["analysable"]).all()
    analysed = set(status.loc[status["analysable"], "outcome"])
    assert set(res["anova"]["outcome"]) == analysed
    assert np.isfinite(res["anova"]["F"].astype(float)).all() and res["anova"]["p"].astype(float).between(0, 1).all()
    for key, cols in (("assumptions", ["statistic", "p"]), ("simple_effects", ["t", "p"])):
        frame = res[key]
        undefined = frame[cols].isna().any(axis=1)
        assert (frame.loc[undefined, "note"] != "").all(), key
        assert frame.loc[~undefined, "note"].eq("").all(), key
    undefined = est["ci_low"].isna()
    assert (est.loc[undefined, "note"] != "").all()
    assert np.isfinite(est.loc[~undefined, ["ci_low", "ci_high"]].to_numpy(float)).all()
