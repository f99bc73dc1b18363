"""``mixed_anova_many`` (all outcomes in one pass) equals the per-outcome mixed ANOVA.

The reference is the pipeline's per-outcome path, ``complete_cases`` then ``mixed_anova``
(itself pinned to afex in ``test_reference_r.py``), run outcome by outcome on seeded data
with unequal arms, 3 arms × 4 times and a different missing-visit pattern per outcome.
Tolerances: 1e-9 absolute on p values, 1e-9 relative on everything else.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trialflow.stats.anova import ANOVA_COLUMNS, mixed_anova, mixed_anova_many
from trialflow.stats.complete import complete_cases

DATA_DIR = Path(__file__).parent / "data" / "anova"
P_COLUMNS = ["p", "p_gg", "p_hf", "mauchly_p"]
REL_COLUMNS = [c for c in ANOVA_COLUMNS if c not in P_COLUMNS and c != "effect"]
KEY = ["participant_id", "arm", "time", "outcome", "value"]


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


def per_outcome(data: pd.DataFrame, levels: list[str]) -> pd.DataFrame:
    parts = []
    for name, sub in data.groupby("outcome", sort=False):
        complete, _ = complete_cases(sub, "value", "time", "participant_id", levels=levels)
        res = mixed_anova(complete, "value", "time", "arm", "participant_id", levels=levels)
        res.insert(0, "outcome", name)
        parts.append(res)
    return pd.concat(parts, ignore_index=True)


def assert_same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == ["outcome", *ANOVA_COLUMNS]
    assert got[["outcome", "effect"]].equals(want[["outcome", "effect"]])
    for col in REL_COLUMNS:
        np.testing.assert_allclose(got[col], want[col], rtol=1e-9, atol=0, equal_nan=True, err_msg=col)
    for col in P_COLUMNS:
        np.testing.assert_allclose(got[col], want[col], rtol=0, atol=1e-9, equal_nan=True, err_msg=col)


def _without_all_nan_participants(data: pd.DataFrame) -> pd.DataFrame:
    # complete_cases does not exclude a participant whose every value of an outcome is NaN
    # (mixed_anova then refuses the data); mixed_anova_many excludes them. Drop those rows so
    # the per-outcome reference runs.
    has_value = data.groupby(["outcome", "participant_id"])["value"].transform(lambda v: v.notna().any())
    return data[has_value]


LEVELS_4 = ["t1", "t2", "t3", "t4"]


@pytest.fixture(scope="module")
def three_by_four() -> pd.DataFrame:
    return _without_all_nan_participants(simulate(7, {"A": 41, "B": 67, "C": 29}, LEVELS_4, 12))


def test_three_arms_four_times_different_missing_patterns(three_by_four):
    data = three_by_four
    sizes = {
        name: len(complete_cases(sub, "value", "time", "participant_id", levels=LEVELS_4)[0]) // 4
        for name, sub in data.groupby("outcome")
    }
    assert len(set(sizes.values())) > 5  # the complete-case sets really differ between outcomes
    assert sizes["Y00"] == 137
    assert_same(
        mixed_anova_many(data, "value", "time", "arm", "participant_id", "outcome", LEVELS_4),
        per_outcome(data, LEVELS_4),
    )


def test_row_order_and_level_order_do_not_matter(three_by_four):
    shuffled = three_by_four.sample(frac=1.0, random_state=3)
    got = mixed_anova_many(shuffled, "value", "time", "arm", "participant_id", "outcome", ["t3", "t1", "t4", "t2"])
    want = mixed_anova_many(three_by_four, "value", "time", "arm", "participant_id", "outcome", LEVELS_4)
    order = {name: i for i, name in enumerate(want["outcome"].unique())}
    got = got.sort_values("outcome", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    assert_same(got, want)


@pytest.mark.parametrize(
    ("arm_sizes", "levels"),
    [
        ({"control": 11, "training": 17}, ["pre", "post"]),
        ({"control": 10, "training": 13}, ["pre", "mid", "post"]),
        ({"a": 5, "b": 9, "c": 14, "d": 3}, ["v1", "v2", "v3", "v4", "v5"]),
    ],
)
def test_other_designs(arm_sizes, levels):
    data = _without_all_nan_participants(simulate(11, arm_sizes, levels, 6))
    got = mixed_anova_many(data, "value", "time", "arm", "participant_id", "outcome", levels)
    assert_same(got, per_outcome(data, levels))


def test_outcomes_with_identical_complete_case_sets():
    # Same missing pattern copied onto three outcomes: the batch code must not mix them up.
    data = simulate(5, {"A": 20, "B": 25, "C": 15}, LEVELS_4, 3, missing_rates=[0.0, 0.0, 0.0])
    drop = data["participant_id"].isin(["S00003", "S00030", "S00055"]) & (data["time"] == "t2")
    data = data[~drop]
    assert_same(
        mixed_anova_many(data, "value", "time", "arm", "participant_id", "outcome", LEVELS_4),
        per_outcome(data, LEVELS_4),
    )


def test_an_arm_without_complete_participants_drops_out_of_that_outcome_only():
    data = simulate(9, {"A": 12, "B": 14, "C": 10}, LEVELS_4, 3, missing_rates=[0.0, 0.05, 0.0])
    gone = (data["outcome"] == "Y02") & (data["arm"] == "C") & (data["time"] == "t3")
    data = data[~gone]
    got = mixed_anova_many(data, "value", "time", "arm", "participant_id", "outcome", LEVELS_4)
    assert_same(got, per_outcome(data, LEVELS_4))
    df1 = got.set_index(["outcome", "effect"])["df1"]
    assert df1[("Y02", "group")] == 1 and df1[("Y00", "group")] == 2


def test_r_reference_data_sets_as_outcomes():
    # The data sets pinned against afex, stacked as outcomes of one trial (same participants
    # and design): three_by_four_unequal_missing and a rescaled, shifted copy with other visits
    # missing.
    d = pd.read_csv(DATA_DIR / "three_by_four_unequal_missing.csv", dtype={"participant_id": str})
    other = d.assign(value=d["value"] * 1000 + 5).iloc[7:]
    data = pd.concat([d.assign(outcome="ref"), other.assign(outcome="copy")], ignore_index=True)
    got = mixed_anova_many(data, "value", "time", "arm", "participant_id", "outcome", LEVELS_4)
    assert_same(got, per_outcome(data, LEVELS_4))
    # afex (tests/test_reference_r.py): F(time) = 76.0994354343165 on this data set.
    assert got.loc[(got["outcome"] == "ref") & (got["effect"] == "time"), "F"].item() == pytest.approx(
        76.0994354343165, rel=1e-9
    )


def test_rows_at_other_time_points_are_ignored(three_by_four):
    extra = three_by_four[three_by_four["time"] == "t1"].assign(time="follow-up")
    data = pd.concat([three_by_four, extra], ignore_index=True)
    got = mixed_anova_many(data, "value", "time", "arm", "participant_id", "outcome", LEVELS_4)
    assert_same(got, mixed_anova_many(three_by_four, "value", "time", "arm", "participant_id", "outcome", LEVELS_4))


def test_a_participant_in_two_arms_is_an_error(three_by_four):
    data = three_by_four.copy()
    data.loc[data.index[0], "arm"] = "C" if data["arm"].iloc[0] != "C" else "A"
    with pytest.raises(ValueError, match="more than one arm"):
        mixed_anova_many(data, "value", "time", "arm", "participant_id", "outcome", LEVELS_4)


def test_a_duplicate_value_is_an_error(three_by_four):
    data = pd.concat([three_by_four, three_by_four.iloc[[5]]], ignore_index=True)
    with pytest.raises(ValueError, match="more than one value"):
        mixed_anova_many(data, "value", "time", "arm", "participant_id", "outcome", LEVELS_4)


def test_an_outcome_with_one_arm_is_an_error():
    data = simulate(2, {"A": 6, "B": 6}, ["pre", "post"], 2, missing_rates=[0.0, 0.0])
    data = data[~((data["outcome"] == "Y01") & (data["arm"] == "B"))]
    with pytest.raises(ValueError, match="Y01"):
        mixed_anova_many(data, "value", "time", "arm", "participant_id", "outcome", ["pre", "post"])


def test_a_participant_with_only_missing_values_counts_as_absent():
    # Rows with a NaN value are no value: a participant whose every value of an outcome is NaN
    # is simply not among that outcome's complete cases.
    data = simulate(4, {"A": 10, "B": 12}, ["pre", "post"], 2, missing_rates=[0.0, 0.0])
    blank = (data["outcome"] == "Y01") & (data["participant_id"] == "S00004")
    with_nan = data.assign(value=data["value"].mask(blank))
    got = mixed_anova_many(with_nan, "value", "time", "arm", "participant_id", "outcome", ["pre", "post"])
    assert_same(got, per_outcome(data[~blank], ["pre", "post"]))
    assert got.set_index(["outcome", "effect"]).loc[("Y01", "group"), "df2"] == 22 - 1 - 2
