"""The mixed-ANOVA kernel of ``trialflow.stats.anova``: batches of outcomes, and what it refuses.

``mixed_anova_many`` is the one implementation; the pipeline runs it on all outcomes of a trial
at once, each outcome on its own complete cases. ``mixed_anova`` is its batch of one. Its values
are pinned to R (afex) in ``test_reference_r.py``, in batches of several outcomes. Here, on
seeded data with unequal arms and a different missing-visit pattern per outcome:

* outcomes in one batch do not affect each other: each outcome of a batch of many gives what its
  rows give alone, ``complete_cases`` then ``mixed_anova`` (a batch of one over exactly the
  participants that ``complete_cases`` keeps and ``excluded.csv`` does not name), to 1e-12
  relative (the difference is summation order: more participants and outcomes in the arrays);
* row order and rows at other time points do not matter, nor (beyond rounding) level order;
* what is refused, and with which message (an arm of the design without a complete participant
  is refused, never left out silently);
* one arm: the one-way repeated-measures ANOVA (time only), batched like the mixed ANOVA;
* the sphericity rule: which correction ``p_corrected`` follows, and a singular error matrix;
* Mauchly's W and the Greenhouse–Geisser ε of :func:`mauchly` / :func:`sphericity_epsilons`
  against their closed forms, on stacks of matrices.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trialflow.stats.anova import ANOVA_COLUMNS, mauchly, mixed_anova, mixed_anova_many, sphericity_epsilons
from trialflow.stats.complete import complete_cases

DATA_DIR = Path(__file__).parent / "data" / "anova"
NUMERIC = [c for c in ANOVA_COLUMNS if c not in ("effect", "correction", "note")]
P_COLUMNS = ["p", "p_gg", "p_hf", "mauchly_p"]
INCOMPLETE = "mixed_anova needs every subject at every time point; use complete_cases first"
TOO_FEW = "mixed_anova needs at least one arm and two time points"


def simulate(
    seed: int,
    arm_sizes: dict[str, int],
    levels: list[str],
    n_outcomes: int,
    missing_rates: list[float] | None = None,
) -> pd.DataFrame:
    """Seeded long data: per outcome its own scale, arm × time means and correlation, and its
    own missing visits (absent rows or NaN values, at a per-outcome rate)."""
    rng = np.random.default_rng(seed)
    k = len(levels)
    ids = [f"S{i:05d}" for i in range(sum(arm_sizes.values()))]
    arms = np.repeat(list(arm_sizes), list(arm_sizes.values()))
    rates = missing_rates if missing_rates is not None else [0.0] + list(rng.uniform(0.01, 0.15, n_outcomes - 1))
    frames = []
    for o in range(n_outcomes):
        scale = 10.0 ** rng.uniform(-2, 4)
        rho = rng.uniform(0.0, 0.8)
        cov = scale**2 * (rho * np.ones((k, k)) + (1 - rho) * np.diag(rng.uniform(0.5, 2.0, k)))
        means = {a: scale * rng.normal(0, 1, k) for a in arm_sizes}
        y = np.vstack([rng.multivariate_normal(means[a], cov) for a in arms])
        long = pd.DataFrame(
            {
                "participant_id": np.repeat(ids, k),
                "arm": np.repeat(arms, k),
                "time": np.tile(levels, len(ids)),
                "outcome": f"Y{o:02d}",
                "value": y.ravel(),
            }
        )
        gone = rng.random(len(long)) < rates[o]
        as_nan = gone & (rng.random(len(long)) < 0.5)
        long.loc[as_nan, "value"] = np.nan
        frames.append(long[~(gone & ~as_nan)])
    return pd.concat(frames, ignore_index=True)


def many(data: pd.DataFrame, levels: list[str]) -> pd.DataFrame:
    return mixed_anova_many(data, "value", "time", "arm", "participant_id", "outcome", levels)


def alone(data: pd.DataFrame, levels: list[str]) -> pd.DataFrame:
    """Each outcome by itself: complete_cases, then mixed_anova (a batch of one)."""
    parts = []
    for name, sub in data.groupby("outcome", sort=False):
        complete, _ = complete_cases(sub, "value", "time", "participant_id", levels=levels)
        res = mixed_anova(complete, "value", "time", "arm", "participant_id", levels=levels)
        res.insert(0, "outcome", name)
        parts.append(res)
    return pd.concat(parts, ignore_index=True)


def assert_same(got: pd.DataFrame, want: pd.DataFrame, rtol: float = 1e-12) -> None:
    assert list(got.columns) == ["outcome", *ANOVA_COLUMNS]
    assert got[["outcome", "effect", "correction", "note"]].equals(want[["outcome", "effect", "correction", "note"]])
    for col in NUMERIC:
        np.testing.assert_allclose(got[col], want[col], rtol=rtol, atol=0, equal_nan=True, err_msg=col)


LEVELS_4 = ["t1", "t2", "t3", "t4"]


@pytest.fixture(scope="module")
def three_by_four() -> pd.DataFrame:
    return simulate(7, {"A": 41, "B": 67, "C": 29}, LEVELS_4, 12)


# --- outcomes in one batch do not affect each other ---------------------------


def test_three_arms_four_times_different_missing_patterns(three_by_four):
    data = three_by_four
    sizes = {
        name: len(complete_cases(sub, "value", "time", "participant_id", levels=LEVELS_4)[0]) // 4
        for name, sub in data.groupby("outcome")
    }
    assert len(set(sizes.values())) > 5  # the complete-case sets really differ between outcomes
    assert sizes["Y00"] == 137
    assert_same(many(data, LEVELS_4), alone(data, LEVELS_4))


@pytest.mark.parametrize(
    ("arm_sizes", "levels"),
    [
        ({"control": 11, "training": 17}, ["pre", "post"]),
        ({"control": 10, "training": 13}, ["pre", "mid", "post"]),
        ({"a": 5, "b": 9, "c": 14, "d": 3}, ["v1", "v2", "v3", "v4", "v5"]),
    ],
)
def test_other_designs(arm_sizes, levels):
    data = simulate(11, arm_sizes, levels, 6)
    assert_same(many(data, levels), alone(data, levels))


def test_outcomes_with_identical_complete_case_sets():
    # Same missing pattern copied onto three outcomes: the batch code must not mix them up.
    data = simulate(5, {"A": 20, "B": 25, "C": 15}, LEVELS_4, 3, missing_rates=[0.0, 0.0, 0.0])
    drop = data["participant_id"].isin(["S00003", "S00030", "S00055"]) & (data["time"] == "t2")
    data = data[~drop]
    assert_same(many(data, LEVELS_4), alone(data, LEVELS_4))


def test_an_arm_without_complete_participants_is_refused_never_left_out():
    # The planned comparison of three arms cannot be estimated without C: the kernel refuses and
    # names outcome and arm (analyse_outcomes asks anova_status first and leaves Y02 out of the
    # pass, with the reason); it used to drop arm C from Y02 silently.
    data = simulate(9, {"A": 12, "B": 14, "C": 10}, LEVELS_4, 3, missing_rates=[0.0, 0.05, 0.0])
    gone = (data["outcome"] == "Y02") & (data["arm"] == "C") & (data["time"] == "t3")
    with pytest.raises(ValueError, match=r"never left out silently: Y02 \(arm C\)$"):
        many(data[~gone], LEVELS_4)
    # The same with the design's arms given: an arm of the design absent from the data.
    with pytest.raises(ValueError, match=r"Y00 \(arm D\)"):
        mixed_anova_many(data, "value", "time", "arm", "participant_id", "outcome", LEVELS_4, arms=["A", "B", "C", "D"])


def test_rows_of_arms_outside_the_design_are_ignored(three_by_four):
    two = three_by_four[three_by_four["arm"] != "C"]
    got = mixed_anova_many(
        three_by_four, "value", "time", "arm", "participant_id", "outcome", LEVELS_4, arms=["A", "B"]
    )
    pd.testing.assert_frame_equal(got, many(two, LEVELS_4), check_exact=True)


def test_no_error_degrees_of_freedom_is_refused():
    data = simulate(12, {"A": 1, "B": 1}, ["pre", "post"], 1, missing_rates=[0.0])
    with pytest.raises(ValueError, match="no error degrees of freedom .* for Y00"):
        many(data, ["pre", "post"])


def test_r_reference_data_sets_as_outcomes():
    # The data sets pinned against afex, stacked as outcomes of one trial (same participants
    # and design): three_by_four_unequal_missing and a rescaled, shifted copy with other visits
    # missing.
    d = pd.read_csv(DATA_DIR / "three_by_four_unequal_missing.csv", dtype={"participant_id": str})
    other = d.assign(value=d["value"] * 1000 + 5).iloc[7:]
    data = pd.concat([d.assign(outcome="ref"), other.assign(outcome="copy")], ignore_index=True)
    got = many(data, LEVELS_4)
    assert_same(got, alone(data, LEVELS_4))
    # afex (tests/test_reference_r.py): F(time) = 76.0994354343165 on this data set.
    assert got.loc[(got["outcome"] == "ref") & (got["effect"] == "time"), "F"].item() == pytest.approx(
        76.0994354343165, rel=1e-9
    )


def test_a_participant_with_only_missing_values_counts_as_absent():
    # Rows with a NaN value are no value: a participant whose every value of an outcome is NaN
    # is simply not among that outcome's complete cases (nor among complete_cases').
    data = simulate(4, {"A": 10, "B": 12}, ["pre", "post"], 2, missing_rates=[0.0, 0.0])
    blank = (data["outcome"] == "Y01") & (data["participant_id"] == "S00004")
    with_nan = data.assign(value=data["value"].mask(blank))
    got = many(with_nan, ["pre", "post"])
    assert_same(got, alone(data[~blank], ["pre", "post"]))
    assert_same(got, alone(with_nan, ["pre", "post"]))
    assert got.set_index(["outcome", "effect"]).loc[("Y01", "group"), "df2"] == 22 - 1 - 2


def test_mixed_anova_is_the_batch_of_one(three_by_four):
    # Not a second implementation: the very numbers of mixed_anova_many on the one outcome.
    sub = three_by_four[three_by_four["outcome"] == "Y00"]
    got = mixed_anova(sub.drop(columns="outcome"), "value", "time", "arm", "participant_id", levels=LEVELS_4)
    want = many(sub, LEVELS_4).drop(columns="outcome")
    pd.testing.assert_frame_equal(got, want, check_exact=True)


# --- what does not matter ---------------------------------------------------------


def test_row_order_and_level_order_do_not_matter(three_by_four):
    shuffled = three_by_four.sample(frac=1.0, random_state=3)
    got = mixed_anova_many(shuffled, "value", "time", "arm", "participant_id", "outcome", ["t3", "t1", "t4", "t2"])
    want = many(three_by_four, LEVELS_4)
    order = {name: i for i, name in enumerate(want["outcome"].unique())}
    got = got.sort_values("outcome", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    # Another level order is another contrast basis: equal up to rounding (as before the
    # kernels were merged: 1e-9).
    assert_same(got, want, rtol=1e-9)


def test_rows_at_other_time_points_are_ignored(three_by_four):
    extra = three_by_four[three_by_four["time"] == "t1"].assign(time="follow-up")
    data = pd.concat([three_by_four, extra], ignore_index=True)
    assert_same(many(data, LEVELS_4), many(three_by_four, LEVELS_4))


# --- what is refused --------------------------------------------------------------


def test_a_participant_in_two_arms_is_an_error(three_by_four):
    data = three_by_four.copy()
    data.loc[data.index[0], "arm"] = "C" if data["arm"].iloc[0] != "C" else "A"
    with pytest.raises(ValueError, match="more than one arm"):
        many(data, LEVELS_4)
    one = data[data["outcome"] == "Y00"].drop(columns="outcome")
    with pytest.raises(ValueError, match="participants in more than one arm: S00000"):
        mixed_anova(one, "value", "time", "arm", "participant_id", levels=LEVELS_4)


def test_a_duplicate_value_is_an_error(three_by_four):
    data = pd.concat([three_by_four, three_by_four.iloc[[5]]], ignore_index=True)
    with pytest.raises(ValueError, match="more than one value"):
        many(data, LEVELS_4)


def test_an_outcome_without_one_arm_of_a_two_arm_design_is_an_error():
    data = simulate(2, {"A": 6, "B": 6}, ["pre", "post"], 2, missing_rates=[0.0, 0.0])
    data = data[~((data["outcome"] == "Y01") & (data["arm"] == "B"))]
    with pytest.raises(ValueError, match=r"Y01 \(arm B\)"):
        many(data, ["pre", "post"])


def test_an_unknown_sphericity_rule_is_an_error(three_by_four):
    with pytest.raises(ValueError, match="unknown sphericity rule 'greenhouse'"):
        mixed_anova_many(
            three_by_four, "value", "time", "arm", "participant_id", "outcome", LEVELS_4, sphericity="greenhouse"
        )


@pytest.fixture()
def complete_two_by_three() -> pd.DataFrame:
    return simulate(3, {"A": 5, "B": 6}, ["pre", "mid", "post"], 1, missing_rates=[0.0]).drop(columns="outcome")


@pytest.mark.parametrize(
    "make_incomplete",
    [
        pytest.param(lambda d: d.drop(index=d.index[4]), id="a missing row"),
        pytest.param(lambda d: d.assign(value=d["value"].mask(d.index == d.index[4])), id="a NaN value"),
        pytest.param(
            lambda d: d.assign(value=d["value"].mask(d["participant_id"] == "S00001")),
            id="a participant without values",
        ),
    ],
)
def test_mixed_anova_refuses_incomplete_data(complete_two_by_three, make_incomplete):
    # Never leaves a participant out silently (mixed_anova_many would, for the batch): the
    # caller is sent to complete_cases, which names who is excluded and why.
    data = make_incomplete(complete_two_by_three)
    with pytest.raises(ValueError, match=f"^{INCOMPLETE}$"):
        mixed_anova(data, "value", "time", "arm", "participant_id")


def test_mixed_anova_refuses_a_level_without_data(complete_two_by_three):
    with pytest.raises(ValueError, match=f"^{INCOMPLETE}$"):
        mixed_anova(complete_two_by_three, "value", "time", "arm", "participant_id", levels=["pre", "mid", "late"])


def test_mixed_anova_refuses_no_arm_or_one_time_point(complete_two_by_three):
    d = complete_two_by_three
    with pytest.raises(ValueError, match=f"^{TOO_FEW}$"):
        mixed_anova(d, "value", "time", "arm", "participant_id", levels=["pre"])
    with pytest.raises(ValueError, match=f"^{TOO_FEW}$"):
        mixed_anova(d.iloc[:0], "value", "time", "arm", "participant_id")


def test_mixed_anova_works_on_data_with_an_outcome_column(complete_two_by_three):
    # The batch of one adds its own outcome column; one already in the data is left alone.
    d = complete_two_by_three
    got = mixed_anova(d.assign(outcome="x", _outcome="y"), "value", "time", "arm", "participant_id")
    pd.testing.assert_frame_equal(got, mixed_anova(d, "value", "time", "arm", "participant_id"), check_exact=True)


# --- Mauchly and the epsilons on stacks of error matrices --------------------------


def _spd_stack(seed: int, n: int, p: int) -> np.ndarray:
    a = np.random.default_rng(seed).normal(size=(n, p, p + 3))
    return a @ a.transpose(0, 2, 1)


def test_mauchly_w_and_gg_epsilon_closed_forms():
    # W = det(E) / (tr(E) / p)^p and GG = tr(E)² / (p tr(E²)): per matrix of the stack,
    # with E = c I (spherical: W = 1, p value 1, GG = 1) and E = diag(1, 2, 3) (W = 6/8, GG = 6/7).
    E = np.stack([_spd_stack(1, 1, 3)[0], 4.0 * np.eye(3), np.diag([1.0, 2.0, 3.0]), _spd_stack(2, 1, 3)[0]])
    df = np.array([20.0, 20.0, 30.0, 9.0])
    w, w_p = mauchly(E, df)
    gg, hf = sphericity_epsilons(E, df)
    trace = np.trace(E, axis1=1, axis2=2)
    np.testing.assert_allclose(w, np.linalg.det(E) / (trace / 3) ** 3, rtol=1e-12)
    np.testing.assert_allclose(gg, trace**2 / (3 * np.trace(E @ E, axis1=1, axis2=2)), rtol=1e-12)
    np.testing.assert_allclose([w[1], w[2], gg[1], gg[2]], [1.0, 0.75, 1.0, 6 / 7], rtol=1e-12)
    assert w_p[1] == pytest.approx(1.0, rel=1e-12)
    assert hf[1] > 1  # reported uncapped (afex); corrected p values use min(ε, 1)
    assert np.all((w_p > 0) & (w_p <= 1 + 1e-12))


def test_mauchly_and_epsilons_do_not_depend_on_the_contrast_basis_or_scale():
    # E of another orthonormal contrast basis is Q E Qᵀ; another unit scales E by c².
    E = _spd_stack(3, 5, 4)
    q, _ = np.linalg.qr(np.random.default_rng(4).normal(size=(4, 4)))
    rotated = 7.5**2 * (q @ E @ q.T)
    df = np.arange(10.0, 15.0)
    before = [*mauchly(E, df), *sphericity_epsilons(E, df)]
    after = [*mauchly(rotated, df), *sphericity_epsilons(rotated, df)]
    for a, b in zip(before, after, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_two_time_points_need_no_sphericity():
    E = _spd_stack(5, 3, 1)
    df = np.array([10.0, 11.0, 12.0])
    w, w_p = mauchly(E, df)
    gg, hf = sphericity_epsilons(E, df)
    assert np.isnan(w).all() and np.isnan(w_p).all()
    assert (gg == 1).all() and (hf == 1).all()


# --- one arm: the one-way repeated-measures ANOVA, in batches ------------------------


@pytest.mark.parametrize("levels", [["pre", "post"], ["pre", "mid", "post"], ["v1", "v2", "v3", "v4", "v5"]])
def test_one_arm_batches_like_the_mixed_anova(levels):
    # Values pinned to afex (within only) and t.test(paired = TRUE) in test_designs.py; here the
    # batch of several one-arm outcomes, each with its own complete cases, against each alone.
    data = simulate(21, {"solo": 25}, levels, 5)
    got = many(data, levels)
    assert_same(got, alone(data, levels))
    assert set(got["effect"]) == {"time"} and len(got) == 5


def test_one_arm_time_effect_is_the_mean_contrast_of_the_mixed_kernel():
    # The same participants as one arm, or as the only arm of a two-arm design's batch: the
    # one-way time SS is n |mean contrast|^2, and the error is the within-participant residual.
    data = simulate(22, {"solo": 9}, ["a", "b", "c"], 1, missing_rates=[0.0])
    res = many(data, ["a", "b", "c"]).iloc[0]
    wide = data.pivot(index="participant_id", columns="time", values="value")[["a", "b", "c"]].to_numpy()
    centred = wide - wide.mean(axis=1, keepdims=True)
    ss_time = len(wide) * np.sum(centred.mean(axis=0) ** 2)
    ss_error = np.sum((centred - centred.mean(axis=0)) ** 2)
    assert res["ss"] == pytest.approx(ss_time, rel=1e-12)
    assert res["ss_error"] == pytest.approx(ss_error, rel=1e-12)
    assert (res["df1"], res["df2"]) == (2.0, 16.0)


# --- the sphericity rule -----------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "expected"),
    [("none", "none"), ("gg", "gg"), ("hf", "hf"), ("auto", None)],
)
def test_the_sphericity_rule_picks_the_p_value(three_by_four, rule, expected):
    got = mixed_anova_many(
        three_by_four, "value", "time", "arm", "participant_id", "outcome", LEVELS_4, sphericity=rule
    )
    within = got[got["effect"] != "group"]
    want = expected or within["eps_gg"].lt(0.75).map({True: "gg", False: "hf"})
    assert (within["correction"] == want).all()
    picked = within["correction"].map({"none": "p", "gg": "p_gg", "hf": "p_hf"})
    chosen = [row[col] for (_, row), col in zip(within.iterrows(), picked, strict=True)]
    np.testing.assert_array_equal(within["p_corrected"], chosen)
    group = got[got["effect"] == "group"]
    assert (group["correction"] == "none").all() and group["p_corrected"].equals(group["p"])
    assert (got["note"] == "").all()


def test_auto_picks_both_corrections_across_outcomes():
    # One batch: the R reference set with clearly non-spherical errors (GG epsilon 0.58) and a
    # near-spherical simulated outcome on the same participants.
    d = pd.read_csv(DATA_DIR / "three_by_four_unequal_missing.csv", dtype={"participant_id": str})
    rng = np.random.default_rng(1)
    spherical = d.assign(value=rng.normal(size=len(d)))
    data = pd.concat([d.assign(outcome="ref"), spherical.assign(outcome="noise")], ignore_index=True)
    time = many(data, LEVELS_4).query("effect == 'time'").set_index("outcome")
    assert time.loc["ref", "eps_gg"] < 0.75 <= time.loc["noise", "eps_gg"]
    assert time["correction"].to_dict() == {"ref": "gg", "noise": "hf"}
    assert time.loc["ref", "p_corrected"] == time.loc["ref", "p_gg"]
    assert time.loc["noise", "p_corrected"] == time.loc["noise", "p_hf"]


def test_two_time_points_are_never_corrected():
    data = simulate(4, {"A": 10, "B": 12}, ["pre", "post"], 3)
    for rule in ("none", "gg", "hf", "auto"):
        got = mixed_anova_many(
            data, "value", "time", "arm", "participant_id", "outcome", ["pre", "post"], sphericity=rule
        )
        assert (got["correction"] == "none").all()
        assert got["p_corrected"].equals(got["p"])


def test_a_singular_error_matrix_has_no_sphericity_statistics_and_says_why():
    # 4 participants in 2 arms: 2 error df for 3 time contrasts (car: "corresponding
    # non-sphericity tests and corrections not available"; afex then prints the uncorrected p).
    data = simulate(13, {"A": 2, "B": 2}, LEVELS_4, 1, missing_rates=[0.0])
    got = many(data, LEVELS_4)
    within = got[got["effect"] != "group"]
    for col in ("eps_gg", "eps_hf", "p_gg", "p_hf", "mauchly_w", "mauchly_p"):
        assert within[col].isna().all(), col
    assert (within["correction"] == "none").all() and within["p_corrected"].equals(within["p"])
    assert within["note"].str.startswith("no sphericity test or correction: fewer error degrees of freedom (2)").all()
    assert np.isfinite(within["F"]).all()
    assert got.loc[got["effect"] == "group", "note"].item() == ""
