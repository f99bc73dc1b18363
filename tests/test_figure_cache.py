"""plot_outcomes' figure cache: a figure whose inputs did not change is copied, not drawn again,
and the bytes are the same as drawing it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trialflow.analysis import analyse_outcomes
from trialflow.outputs import write_csv
from trialflow.steps import figures as figure_step

ARMS = [{"id": "control", "label": "Control"}, {"id": "training", "label": "Training"}]
TIMES = [{"id": "pre", "label": "Pre"}, {"id": "post", "label": "Post"}]
OUTCOMES = [
    {"id": "BDNF", "label": "BDNF", "unit": "pg/mL"},
    {"id": "grip", "label": "Hand-grip strength", "unit": "kg"},
]


def _results(folder, shift=0.0):
    """Descriptives and simple effects of two outcomes; ``shift`` moves BDNF's post values."""
    rng = np.random.default_rng(3)
    rows = []
    for i in range(20):
        arm = ARMS[i % 2]["id"]
        for outcome, centre in (("BDNF", 200.0), ("grip", 30.0)):
            base = rng.normal(centre, centre / 10)
            post = base + (centre / 5 if arm == "training" else 0) + (shift if outcome == "BDNF" else 0)
            rows += [(f"P{i:02d}", arm, "pre", outcome, base), (f"P{i:02d}", arm, "post", outcome, post)]
    data = pd.DataFrame(rows, columns=["participant_id", "arm", "time", "outcome", "value"])
    res = analyse_outcomes(data, ["BDNF", "grip"], ["control", "training"], ["pre", "post"])
    paths = {key: folder / f"{key}.csv" for key in ("descriptives", "simple_effects")}
    for key, path in paths.items():
        write_csv(res[key], path)
    return paths


def _plot(paths, out, cache, code="v1"):
    figures = [out / f"{o['id']}.svg" for o in OUTCOMES]
    figure_step.plot_outcomes(
        paths["descriptives"],
        paths["simple_effects"],
        OUTCOMES,
        ARMS,
        TIMES,
        0.05,
        [str(f) for f in figures],
        cache=str(cache) if cache else None,
        code=code,
    )
    return {f.stem: f.read_bytes() for f in figures}


@pytest.fixture
def drawn(monkeypatch):
    """Counts the figures actually drawn."""
    calls = []
    real = figure_step.plot_outcome

    def counting(*args):
        calls.append(args[2]["id"])
        return real(*args)

    monkeypatch.setattr(figure_step, "plot_outcome", counting)
    return calls


def test_unchanged_figures_are_copied_with_the_same_bytes(tmp_path, drawn):
    paths = _results(tmp_path)
    cache = tmp_path / "cache"
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir(), (tmp_path / "fresh").mkdir()
    first = _plot(paths, tmp_path / "a", cache)
    assert drawn == ["BDNF", "grip"]
    second = _plot(paths, tmp_path / "b", cache)
    assert drawn == ["BDNF", "grip"]  # nothing drawn the second time
    fresh = _plot(paths, tmp_path / "fresh", None)
    assert first == second == fresh
    assert len(list(cache.glob("*"))) == 2


def test_a_changed_outcome_is_drawn_again_and_only_it(tmp_path, drawn):
    cache = tmp_path / "cache"
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir(), (tmp_path / "fresh").mkdir()
    _plot(_results(tmp_path), tmp_path / "a", cache)
    changed = _results(tmp_path, shift=25.0)
    drawn.clear()
    got = _plot(changed, tmp_path / "b", cache)
    assert drawn == ["BDNF"]
    assert got == _plot(changed, tmp_path / "fresh", None)
    assert len(list(cache.glob("*"))) == 2  # the old BDNF figure is gone


def test_a_new_code_version_draws_everything_again(tmp_path, drawn):
    paths = _results(tmp_path)
    cache = tmp_path / "cache"
    (tmp_path / "a").mkdir()
    _plot(paths, tmp_path / "a", cache, code="v1")
    drawn.clear()
    _plot(paths, tmp_path / "a", cache, code="v2")
    assert drawn == ["BDNF", "grip"]
