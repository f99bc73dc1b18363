"""Baseline characteristics (``trialflow.analysis.describe_baseline``, ``trialflow.stats.baseline``).

The tests are pinned to R: every number below was printed by ``tests/data/baseline/reference.R``
(R 4.2.2; output in ``tests/data/baseline/reference_output.txt``) from
``tests/data/baseline/participants.csv`` with ``format(x, digits = 15)``; the R call is in the
comment above each value. In R::

    d <- read.csv("tests/data/baseline/participants.csv", stringsAsFactors = FALSE)
    d$arm <- factor(d$arm, levels = c("control", "training", "high"))
    d$edss <- factor(d$edss, levels = c("0-2", "2.5-4", "4.5-6", ">6"))
    two <- subset(d, arm != "high"); two$arm <- droplevels(two$arm)

Counts and percentages are checked against an independent pandas computation (a crosstab).
Notes: a test R refuses (``t.test``: "data are essentially constant", "not enough 'x'
observations"; ``oneway.test``: "not enough observations") or prints as NaN
(``chisq.test`` with an expected count of 0) is NaN here with the reason in ``note``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trialflow.analysis import describe_baseline
from trialflow.stats.baseline import FISHER_TOO_LARGE, TEST_COLUMNS, compare_categorical, compare_numeric, fisher_exact

REL = 1e-6
PEOPLE = pd.read_csv(Path(__file__).parent / "data" / "baseline" / "participants.csv")
ARMS_2, ARMS_3 = ["control", "training"], ["control", "training", "high"]
EDSS = ["0-2", "2.5-4", "4.5-6", ">6"]
VARIABLES = [
    {"id": "age", "type": "numeric", "label": "Age"},
    {"id": "sex", "type": "categorical", "levels": ["F", "M"]},
    {"id": "height", "type": "numeric"},
    {"id": "site", "type": "categorical"},  # levels: the sorted levels present
    {"id": "edss", "type": "categorical", "levels": EDSS},  # nobody has ">6"
]

# variable -> test -> (statistic, df, df2, p); NaN where R gives none.
R_TWO = {
    "age": {
        # t.test(two$age[two$arm == "control"], two$age[two$arm == "training"], var.equal = TRUE)
        "student": (-0.357438297328272, 24, np.nan, 0.723887822694054),
        # t.test(two$age[two$arm == "control"], two$age[two$arm == "training"], var.equal = FALSE)
        "welch": (-0.360423437125776, 23.9238716148224, np.nan, 0.721693247074656),
    },
    "height": {
        # t.test(two$height[two$arm == "control"], two$height[two$arm == "training"], var.equal = TRUE)
        "student": (-0.526685422637704, 22, np.nan, 0.603682504739626),
        # t.test(two$height[two$arm == "control"], two$height[two$arm == "training"], var.equal = FALSE)
        "welch": (-0.527433938498885, 21.4596027700165, np.nan, 0.603303244962956),
    },
    "sex": {
        # tab <- table(two$sex, two$arm); chisq.test(tab, correct = FALSE)
        "chi_square": (0.0967261904761907, 1, np.nan, 0.755794277855861),
        # fisher.test(tab)
        "fisher": (np.nan, np.nan, np.nan, 1.0),
    },
    "site": {
        # tab <- table(two$site, two$arm); chisq.test(tab, correct = FALSE)
        "chi_square": (0.515873015873016, 2, np.nan, 0.772644287329751),
        # fisher.test(tab)   (a 3 x 2 table)
        "fisher": (np.nan, np.nan, np.nan, 0.857854354556465),
    },
    "edss": {
        # tab <- table(two$edss, two$arm); chisq.test(tab, correct = FALSE): X-squared = NaN, p NA
        # (the level ">6" has no participant, an expected count of 0)
        "chi_square": (np.nan, np.nan, np.nan, np.nan),
        # fisher.test(tab)   (the same p without the empty row)
        "fisher": (np.nan, np.nan, np.nan, 0.357901467223042),
    },
}
R_THREE = {
    "age": {
        # oneway.test(age ~ arm, data = d, var.equal = TRUE)
        "anova": (0.487236905167948, 2, 33, 0.618671074382462),
        # oneway.test(age ~ arm, data = d, var.equal = FALSE)
        "welch_anova": (0.6723438811612, 2, 21.6789109622912, 0.520838102280153),
    },
    "height": {
        # oneway.test(height ~ arm, data = d, var.equal = TRUE)
        "anova": (3.87521455082975, 2, 31, 0.0314644580804395),
        # oneway.test(height ~ arm, data = d, var.equal = FALSE)
        "welch_anova": (4.23322732164552, 2, 20.3898858321729, 0.028995650417346),
    },
    "sex": {
        # tab <- table(d$sex, d$arm); chisq.test(tab, correct = FALSE)
        "chi_square": (7.7891198584697, 2, np.nan, 0.0203523289436813),
        # fisher.test(tab)   (a 2 x 3 table)
        "fisher": (np.nan, np.nan, np.nan, 0.0193678352835871),
    },
    "site": {
        # tab <- table(d$site, d$arm); chisq.test(tab, correct = FALSE)
        "chi_square": (3.96265664160401, 4, np.nan, 0.411083314083281),
        # fisher.test(tab)   (a 3 x 3 table)
        "fisher": (np.nan, np.nan, np.nan, 0.438223393047313),
    },
    "edss": {
        # tab <- table(d$edss, d$arm); chisq.test(tab, correct = FALSE): NaN (level ">6" empty)
        "chi_square": (np.nan, np.nan, np.nan, np.nan),
        # fisher.test(tab)   (a 4 x 3 table with a zero row)
        "fisher": (np.nan, np.nan, np.nan, 0.453672877266881),
    },
}
EMPTY_LEVEL = "level >6 has no participant: an expected count of 0"


def _check(tests: pd.DataFrame, reference: dict) -> None:
    got = tests.set_index(["variable", "test"])
    assert len(got) == sum(len(v) for v in reference.values())
    for variable, by_test in reference.items():
        for test, want in by_test.items():
            row = got.loc[(variable, test)]
            for col, value in zip(["statistic", "df", "df2", "p"], want, strict=True):
                if np.isnan(value):
                    assert np.isnan(row[col]), (variable, test, col)
                else:
                    assert row[col] == pytest.approx(value, rel=REL), (variable, test, col)


@pytest.mark.parametrize(("arms", "reference"), [(ARMS_2, R_TWO), (ARMS_3, R_THREE)], ids=["two arms", "three arms"])
def test_tests_match_r(arms, reference):
    _, _, tests = describe_baseline(PEOPLE[PEOPLE["arm"].isin(arms)], VARIABLES, arms)
    assert list(tests.columns) == ["variable", *TEST_COLUMNS]
    assert tests["variable"].drop_duplicates().tolist() == [v["id"] for v in VARIABLES]  # config order
    _check(tests, reference)
    notes = tests.set_index(["variable", "test"])["note"]
    assert notes[("edss", "chi_square")] == EMPTY_LEVEL
    assert (notes.drop(("edss", "chi_square")) == "").all()


def test_rows_of_arms_outside_the_design_are_ignored():
    # The participants of arm "high" are not in a two-arm design's tables.
    base, cats, tests = describe_baseline(PEOPLE, VARIABLES, ARMS_2)
    _check(tests, R_TWO)
    assert set(base["arm"]) == set(cats["arm"]) == set(ARMS_2)


def test_numeric_table_is_n_mean_sd_per_arm():
    base, _, _ = describe_baseline(PEOPLE, VARIABLES, ARMS_3)
    assert list(base.columns) == ["variable", "arm", "n", "mean", "sd"]
    assert base[["variable", "arm"]].values.tolist() == [[v, a] for v in ("age", "height") for a in ARMS_3]
    want = PEOPLE.groupby("arm")["height"].agg(["count", "mean", "std"]).reindex(ARMS_3)
    got = base[base["variable"] == "height"].set_index("arm")
    assert got["n"].tolist() == [11, 13, 10]  # P05 and P20 have no height
    np.testing.assert_allclose(got[["mean", "sd"]].to_numpy(), want[["mean", "std"]].to_numpy(), rtol=1e-12)


def test_categories_are_counts_and_percent_of_the_arm_with_a_value():
    people = PEOPLE.copy()
    people.loc[people["participant_id"].isin(["P01", "P27"]), "sex"] = np.nan  # unknown sex
    _, cats, _ = describe_baseline(people, VARIABLES, ARMS_3)
    assert list(cats.columns) == ["variable", "level", "arm", "n", "denominator", "percent"]
    assert cats["variable"].drop_duplicates().tolist() == ["sex", "site", "edss"]
    edss = cats[cats["variable"] == "edss"]
    assert edss["level"].drop_duplicates().tolist() == EDSS  # configured order, empty level kept
    assert (edss.loc[edss["level"] == ">6", ["n", "percent"]] == 0).all().all()
    sites = cats[cats["variable"] == "site"]["level"].drop_duplicates().tolist()
    assert sites == ["S1", "S2", "S3"]  # default: the sorted levels present
    for variable in ("sex", "site", "edss"):
        mine = cats[cats["variable"] == variable].set_index(["level", "arm"])
        table = pd.crosstab(people[variable], people["arm"])
        for (level, arm), row in mine.iterrows():
            n = int(table.loc[level, arm]) if level in table.index else 0
            denominator = int(people.loc[people["arm"] == arm, variable].notna().sum())
            assert (row["n"], row["denominator"]) == (n, denominator), (variable, level, arm)
            assert row["percent"] == pytest.approx(100 * n / denominator, rel=1e-12)
    sex = cats[cats["variable"] == "sex"].set_index(["level", "arm"])
    assert sex.loc[("F", "control"), "denominator"] == 11 and sex.loc[("M", "high"), "denominator"] == 9


def test_a_string_is_a_numeric_variable():
    a = describe_baseline(PEOPLE, ["age", "height"], ARMS_2)
    b = describe_baseline(PEOPLE, [{"id": "age", "type": "numeric"}, {"id": "height", "type": "numeric"}], ARMS_2)
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x, y)
    assert a[1].empty and list(a[1].columns) == ["variable", "level", "arm", "n", "denominator", "percent"]


def test_one_arm_has_no_tests_but_its_summaries():
    base, cats, tests = describe_baseline(PEOPLE[PEOPLE["arm"] == "high"], VARIABLES, ["high"])
    assert tests.empty and list(tests.columns) == ["variable", *TEST_COLUMNS]
    assert base["arm"].unique().tolist() == ["high"] and len(base) == 2
    assert len(cats) == 2 + 3 + 4


def test_without_tests():
    _, _, tests = describe_baseline(PEOPLE, VARIABLES, ARMS_3, tests=False)
    assert tests.empty and list(tests.columns) == ["variable", *TEST_COLUMNS]


def test_a_value_outside_the_configured_levels_is_refused_not_dropped():
    people = PEOPLE.assign(sex=PEOPLE["sex"].replace({"F": "female"}))
    with pytest.raises(ValueError, match="sex: values not among the configured levels: female"):
        describe_baseline(people, VARIABLES, ARMS_2)


def test_an_unknown_type_is_refused():
    with pytest.raises(ValueError, match="unknown type: bmi"):
        describe_baseline(PEOPLE, [{"id": "bmi", "type": "derived"}], ARMS_2)


# --- undefined tests: NaN and a note ------------------------------------------------


def _notes(frame: pd.DataFrame) -> dict:
    undefined = frame[frame["note"] != ""]
    assert undefined[["statistic", "p"]].isna().all().all()
    return dict(zip(frame["test"], frame["note"], strict=True))


@pytest.mark.filterwarnings("ignore:Precision loss occurred in moment calculation")  # scipy, on a constant arm
def test_numeric_notes():
    same = "the values are identical within each arm"
    assert _notes(compare_numeric({"a": [40.0, 40.0, 40.0], "b": [41.0, 41.0]})) == {"student": same, "welch": same}
    # R: t.test(c(1), c(2, 3, 4), var.equal = TRUE) gives t = -1.73205080756888, df = 2,
    # p = 0.225403330758517; var.equal = FALSE stops: "not enough 'x' observations"
    one = compare_numeric({"a": [1.0], "b": [2.0, 3.0, 4.0]}).set_index("test")
    assert one.loc["student", ["statistic", "df", "p"]].tolist() == pytest.approx(
        [-1.73205080756888, 2, 0.225403330758517], rel=REL
    )
    assert one.loc["welch", "note"] == "needs two values in each arm: arm a has one"
    empty = "arm b has no participant with a value"
    assert _notes(compare_numeric({"a": [1.0, 2.0], "b": [np.nan]})) == {"student": empty, "welch": empty}
    assert (
        _notes(compare_numeric({"a": [1.0], "b": [2.0]}))["student"]
        == "no error degrees of freedom: 2 values in 2 arms"
    )
    # one constant arm: Student and Welch are defined (R computes both)
    assert set(_notes(compare_numeric({"a": [5.0, 5.0, 5.0], "b": [1.0, 2.0, 4.0]})).values()) == {""}
    # three arms: R's oneway.test needs two values per arm ("not enough observations"), and
    # Welch's a variance in each (weights n / s^2)
    three = _notes(compare_numeric({"a": [1.0, 2.0, 3.0], "b": [2.0, 4.0, 5.0], "c": [7.0]}))
    assert three == {"anova": "needs two values in each arm: arm c has one"} | {
        "welch_anova": "needs two values in each arm: arm c has one"
    }
    flat = _notes(compare_numeric({"a": [1.0, 2.0, 3.0], "b": [2.0, 4.0, 5.0], "c": [7.0, 7.0]}))
    assert flat == {"anova": "", "welch_anova": "needs a variance in every arm: the values of arm c are identical"}


def test_categorical_notes():
    def table(rows, arms=("a", "b")):
        return pd.DataFrame(rows, columns=list(arms), index=[f"L{i}" for i in range(len(rows))])

    constant = "fewer than two levels observed: the variable is constant"
    assert _notes(compare_categorical(table([[5, 6]]))) == {"chi_square": constant, "fisher": constant}
    assert _notes(compare_categorical(table([[5, 6], [0, 0]]))) == {
        "chi_square": constant,
        "fisher": constant,
    }
    no_arm = "arm b has no participant with a value"
    assert _notes(compare_categorical(table([[5, 0], [3, 0]]))) == {"chi_square": no_arm, "fisher": no_arm}
    empty = compare_categorical(table([[5, 2], [0, 0], [3, 6]])).set_index("test")
    assert empty.loc["chi_square", "note"] == "level L1 has no participant: an expected count of 0"
    assert empty.loc["fisher", "note"] == ""
    assert empty.loc["fisher", "p"] == fisher_exact([[5, 2], [3, 6]])


# --- Fisher's exact test of r x c tables --------------------------------------------

FISHER_R = [
    # fisher.test(matrix(c(3, 1, 4, 1, 5, 9), nrow = 2, byrow = TRUE))
    ([[3, 1, 4], [1, 5, 9]], 0.241127114461342),
    # fisher.test(matrix(c(2, 7, 1, 8, 2, 8, 1, 8, 2), nrow = 3, byrow = TRUE))
    ([[2, 7, 1], [8, 2, 8], [1, 8, 2]], 0.00305004741640929),
    # fisher.test(matrix(c(17, 17, 10, 12, 10, 13, 10, 11, 16, 9, 12, 13), nrow = 3, byrow = TRUE))
    ([[17, 17, 10, 12], [10, 13, 10, 11], [16, 9, 12, 13]], 0.741236578655875),
    # fisher.test(matrix(c(3, 1, 1, 5), nrow = 2, byrow = TRUE))
    ([[3, 1], [1, 5]], 0.19047619047619),
]


@pytest.mark.parametrize(("table", "p"), FISHER_R, ids=["2x3", "3x3", "3x4", "2x2"])
def test_fisher_exact_matches_r(table, p):
    assert fisher_exact(table) == pytest.approx(p, rel=REL)
    assert fisher_exact(np.array(table).T) == pytest.approx(p, rel=REL)  # either orientation


def test_fisher_exact_2x2_is_the_hypergeometric_two_sided_p():
    # Independent: scipy's 2 x 2 fisher_exact (exact, R's definition) on random tables.
    from scipy import stats

    rng = np.random.default_rng(5)
    for _ in range(30):
        t = rng.integers(0, 15, size=(2, 2))
        if (t.sum(axis=0) == 0).any() or (t.sum(axis=1) == 0).any():
            continue
        assert fisher_exact(t) == pytest.approx(stats.fisher_exact(t).pvalue, rel=1e-9)


def test_fisher_exact_says_when_a_table_is_too_large():
    # 5 x 5 with 100 participants: R's fisher.test stops too ("FEXACT error 7 ... increase
    # workspace"); trialflow gives up within seconds and says so.
    t = np.random.default_rng(0).multinomial(100, np.ones(25) / 25).reshape(5, 5)
    assert np.isnan(fisher_exact(t))
    res = compare_categorical(pd.DataFrame(t, columns=list("abcde"))).set_index("test")
    assert res.loc["fisher", "note"] == FISHER_TOO_LARGE and not np.isnan(res.loc["chi_square", "p"])
