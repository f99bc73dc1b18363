"""ResultCache and the per-outcome analysis cache: a cached result is what computing it gives,
and a change in an outcome's values (or in the code) computes it again."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trialflow import analysis
from trialflow.cache import ResultCache

ARMS, TIMES = ["control", "training"], ["pre", "mid", "post"]


def _data(shift: float = 0.0, seed: int = 5) -> pd.DataFrame:
    """Three outcomes, 24 participants, 3 visits, a missed visit; ``shift`` moves one BDNF value."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(24):
        arm = ARMS[i % 2]
        for outcome, centre in (("BDNF", 200.0), ("GDNF", 100.0), ("grip", 30.0)):
            for j, time in enumerate(TIMES):
                if outcome == "grip" and i == 3 and time == "mid":
                    continue  # missed visit: P03 is excluded from grip's ANOVA
                value = rng.normal(centre, centre / 10) + (j * centre / 20 if arm == "training" else 0)
                rows.append((f"P{i:02d}", arm, time, outcome, value))
    data = pd.DataFrame(rows, columns=["participant_id", "arm", "time", "outcome", "value"])
    data.loc[(data["outcome"] == "BDNF") & (data["participant_id"] == "P00") & (data["time"] == "post"), "value"] += (
        shift
    )
    return data


MISSING = pd.DataFrame([{"participant_id": "P03", "time": "mid", "outcome": "grip", "reason": "not asked (NASK)"}])


@pytest.fixture
def computed(monkeypatch):
    """The outcomes analysed (not read back from the cache)."""
    calls = []
    real = analysis.analyse_outcome

    def counting(data, outcome, *args, **kwargs):
        calls.append(outcome)
        return real(data, outcome, *args, **kwargs)

    monkeypatch.setattr(analysis, "analyse_outcome", counting)
    return calls


def _run(data, cache=None):
    return analysis.analyse_outcomes(
        data, ["BDNF", "GDNF", "grip"], ARMS, TIMES, missing=MISSING, lmm=True, cache=cache
    )


def _same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        pd.testing.assert_frame_equal(a[key], b[key], check_exact=True, obj=key)


def test_cached_statistics_equal_computed_ones(tmp_path, computed):
    fresh = _run(_data())
    computed.clear()
    first = _run(_data(), ResultCache(tmp_path, "v1"))
    assert computed == ["BDNF", "GDNF", "grip"]
    second = _run(_data(), ResultCache(tmp_path, "v1"))
    assert computed == ["BDNF", "GDNF", "grip"]  # nothing analysed the second time
    _same(first, fresh)
    _same(second, fresh)
    assert second["excluded"]["reason"].tolist() == ["mid: not asked (NASK)"]


def test_a_changed_outcome_is_analysed_again_and_only_it(tmp_path, computed):
    _run(_data(), ResultCache(tmp_path, "v1"))
    computed.clear()
    store = ResultCache(tmp_path, "v1")
    got = _run(_data(shift=40.0), store)
    assert computed == ["BDNF"]
    _same(got, _run(_data(shift=40.0)))
    store.prune()
    assert len(list(tmp_path.iterdir())) == 3  # the old BDNF entry is gone


def test_new_code_or_library_versions_analyse_everything_again(tmp_path, computed):
    _run(_data(), ResultCache(tmp_path, "v1"))
    computed.clear()
    _run(_data(), ResultCache(tmp_path, "v2"))
    assert computed == ["BDNF", "GDNF", "grip"]


def test_the_key_sees_every_bit_every_type_and_every_name():
    cache = ResultCache("unused", "salt")
    frame = pd.DataFrame({"x": [1.0, 2.0], "id": ["a", "b"]})
    base = cache.key(frame, "BDNF", ["pre", "post"])
    nudged = frame.assign(x=[1.0, np.nextafter(2.0, 3.0)])
    assert cache.key(nudged, "BDNF", ["pre", "post"]) != base
    assert cache.key(frame.astype({"x": "float32"}), "BDNF", ["pre", "post"]) != base
    assert cache.key(frame.rename(columns={"x": "y"}), "BDNF", ["pre", "post"]) != base
    assert cache.key(frame.iloc[::-1], "BDNF", ["pre", "post"]) != base  # row order is part of the data
    assert cache.key(frame, "BDNF", ["post", "pre"]) != base
    assert ResultCache("unused", "other").key(frame, "BDNF", ["pre", "post"]) != base
    assert cache.key(frame.copy(), "BDNF", ["pre", "post"]) == base


def test_cached_estimates_equal_computed_ones_and_only_a_changed_outcome_is_estimated(tmp_path, monkeypatch):
    calls = []
    real = analysis.difference_in_change

    def counting(d, **kwargs):
        calls.append(len(d))
        return real(d, **kwargs)

    monkeypatch.setattr(analysis, "difference_in_change", counting)  # the name estimate_effects calls
    outcomes = ["BDNF", "GDNF", "grip"]
    fresh = analysis.estimate_effects(_data(), outcomes, ARMS, TIMES)
    assert len(calls) == 3
    first = analysis.estimate_effects(_data(), outcomes, ARMS, TIMES, cache=ResultCache(tmp_path, "v1"))
    second = analysis.estimate_effects(_data(), outcomes, ARMS, TIMES, cache=ResultCache(tmp_path, "v1"))
    assert len(calls) == 6  # computed once with the cache, then read back
    pd.testing.assert_frame_equal(first, fresh, check_exact=True)
    pd.testing.assert_frame_equal(second, fresh, check_exact=True)
    changed = analysis.estimate_effects(_data(shift=40.0), outcomes, ARMS, TIMES, cache=ResultCache(tmp_path, "v1"))
    assert len(calls) == 7  # BDNF only
    pd.testing.assert_frame_equal(changed, analysis.estimate_effects(_data(shift=40.0), outcomes, ARMS, TIMES))
