"""4PL/5PL fitting and back-calculation (trialflow.elisa.curve)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.optimize import curve_fit

from trialflow.elisa import curve
from trialflow.elisa.curve import (
    WEIGHT_FLOOR,
    curve_points,
    fit_curve,
    five_pl,
    four_pl,
    inverse_five_pl,
    inverse_four_pl,
    weights_for,
)

WEIGHTINGS = [("none", 0), ("1/y", 1), ("1/y^2", 2)]
TRUE_4PL = {"a": 0.004, "b": 1.02, "c": 1250.0, "d": 3.35}
TRUE_5PL = {"a": 0.01, "b": 1.3, "c": 900.0, "d": 3.2, "g": 0.6}
STD_X = np.repeat(2000.0 / 2.0 ** np.arange(7), 2)  # 7-level 2-fold series, duplicates


def _rel(fit, truth):
    return max(abs(fit.params[k] - v) / abs(v) for k, v in truth.items())


@pytest.mark.parametrize("weighting", [w for w, _ in WEIGHTINGS])
def test_4pl_exact_points_recover_parameters(weighting):
    y = four_pl(STD_X, **TRUE_4PL)
    fit = fit_curve(STD_X, y, "4PL", weighting)
    assert fit.converged
    assert _rel(fit, TRUE_4PL) < 1e-6
    assert fit.r2 == pytest.approx(1.0, abs=1e-12)
    assert set(fit.params) == {"a", "b", "c", "d"}


@pytest.mark.parametrize("weighting", [w for w, _ in WEIGHTINGS])
def test_5pl_exact_points_recover_parameters(weighting):
    y = five_pl(STD_X, **TRUE_5PL)
    fit = fit_curve(STD_X, y, "5PL", weighting)
    assert fit.converged
    assert _rel(fit, TRUE_5PL) < 1e-6
    assert fit.r2 == pytest.approx(1.0, abs=1e-12)


def test_decreasing_curve_competitive_elisa():
    truth = {"a": 2.8, "b": 0.9, "c": 150.0, "d": 0.05}
    y = four_pl(STD_X, **truth)
    fit = fit_curve(STD_X, y, "4PL", "1/y^2")
    assert fit.converged and not fit.increasing
    assert _rel(fit, truth) < 1e-6
    conc = np.array([40.0, 400.0])
    np.testing.assert_allclose(fit.inverse(four_pl(conc, **truth)), conc, rtol=1e-8)


def test_back_calculation_is_exact_inverse():
    conc = np.geomspace(1.0, 50000.0, 50)
    np.testing.assert_allclose(inverse_four_pl(four_pl(conc, **TRUE_4PL), **TRUE_4PL), conc, rtol=1e-9)
    np.testing.assert_allclose(inverse_five_pl(five_pl(conc, **TRUE_5PL), **TRUE_5PL), conc, rtol=1e-9)
    # back-calculated standards from a fit on exact points recover nominal to 1e-6
    for model, truth, fn in (("4PL", TRUE_4PL, four_pl), ("5PL", TRUE_5PL, five_pl)):
        fit = fit_curve(STD_X, fn(STD_X, **truth), model, "1/y^2")
        np.testing.assert_allclose(fit.inverse(fn(STD_X, **truth)), STD_X, rtol=1e-6)


def test_inverse_outside_asymptotes_is_nan_not_extrapolated():
    a, d = TRUE_4PL["a"], TRUE_4PL["d"]
    y = np.array([a - 0.01, a, d, d + 0.5, np.nan])
    assert np.isnan(inverse_four_pl(y, **TRUE_4PL)).all()
    a5, d5 = TRUE_5PL["a"], TRUE_5PL["d"]
    assert np.isnan(inverse_five_pl(np.array([a5 - 0.01, d5 + 0.1]), **TRUE_5PL)).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("model", ["4PL", "5PL"])
@pytest.mark.parametrize(("weighting", "power"), WEIGHTINGS)
def test_matches_independent_curve_fit(seed, model, weighting, power):
    """least_squares (TRF + LM polish) vs scipy.optimize.curve_fit on noisy data."""
    rng = np.random.default_rng(seed)
    x = np.repeat(4000.0 / 2.0 ** np.arange(8), 3)
    if model == "4PL":
        truth, fn = {"a": 0.08, "b": 1.1, "c": 600.0, "d": 3.2}, four_pl
    else:
        truth, fn = {"a": 0.08, "b": 1.4, "c": 500.0, "d": 3.1, "g": 0.7}, five_pl
    y = fn(x, **truth) * (1 + rng.normal(0, 0.01, x.size))
    fit = fit_curve(x, y, model, weighting)
    # curve_fit minimises sum(((y - f) / sigma)^2): sigma = |y|^(power/2) gives w = 1/y^power
    popt, _ = curve_fit(
        fn,
        x,
        y,
        p0=list(truth.values()),
        sigma=np.abs(y) ** (power / 2),
        maxfev=100000,
        ftol=1e-15,
        xtol=1e-15,
        gtol=1e-15,
    )
    assert fit.converged
    got = np.array([fit.params[k] for k in truth])
    np.testing.assert_allclose(got, popt, rtol=1e-6)


def test_weights_use_observed_response_with_floor():
    y = np.array([2.0, 0.5, 0.0, -0.0005])
    np.testing.assert_array_equal(weights_for(y, "none"), np.ones(4))
    np.testing.assert_allclose(weights_for(y, "1/y"), [0.5, 2.0, 1 / WEIGHT_FLOOR, 1 / WEIGHT_FLOOR])
    np.testing.assert_allclose(weights_for(y, "1/y^2"), [0.25, 4.0, 1e6, 1e6])
    with pytest.raises(ValueError):
        weights_for(y, "1/x")


def test_fit_refuses_too_few_levels_and_bad_input():
    x = np.array([100.0, 100.0, 200.0, 200.0, 400.0, 400.0])
    fit = fit_curve(x, four_pl(x, **TRUE_4PL), "4PL")
    assert not fit.converged and "at least 4" in fit.message
    assert np.isnan(fit.params["c"])
    assert np.isnan(fit.inverse([1.0])).all()
    bad = fit_curve(STD_X, np.full(STD_X.size, np.nan), "4PL")
    assert not bad.converged
    with pytest.raises(ValueError):
        fit_curve(STD_X, four_pl(STD_X, **TRUE_4PL), "3PL")
    with pytest.raises(ValueError):
        fit_curve(STD_X, four_pl(STD_X, **TRUE_4PL), "4PL", "1/x")


def test_curve_points_for_plotting():
    fit = fit_curve(STD_X, four_pl(STD_X, **TRUE_4PL), "4PL")
    pts = curve_points(fit, 15.625, 4000.0, n=50)
    assert list(pts.columns) == ["conc", "od_fit"] and len(pts) == 50
    np.testing.assert_allclose(pts["od_fit"], four_pl(pts["conc"], **TRUE_4PL), rtol=1e-8)
    failed = fit_curve(STD_X[:4], four_pl(STD_X[:4], **TRUE_4PL))
    assert curve_points(failed, 1, 10).empty


def _trust_region_only(monkeypatch, x, y, model, weighting):
    """The fit as before the batched Levenberg–Marquardt: trust-region reflective from every start."""
    with monkeypatch.context() as m:
        m.setattr(curve, "_levenberg_marquardt", lambda fun, jac, problems: [None] * len(problems))
        return fit_curve(x, y, model, weighting)


@pytest.mark.parametrize("model", ["4PL", "5PL"])
@pytest.mark.parametrize("weighting", [w for w, _ in WEIGHTINGS])
def test_batched_fit_finds_the_trust_region_minimum(monkeypatch, model, weighting):
    """The batched Levenberg–Marquardt (all starts at once) reaches the minimum that scipy's
    least_squares (TRF from each start, then MINPACK LM) reaches: the weighted residual sum of
    squares equal to 1e-11 relative (or smaller) and parameters to 1e-5 (asymptotes: of the span; the valley of a sigmoid is
    flat: cost equal to rounding moves c and b by ~1e-6), on increasing and decreasing curves with
    noise, or the fit is the trust-region one (fallback). Checked on 16 random plates per case."""
    rng = np.random.default_rng(20261203)
    batched = 0
    for _ in range(8):
        x = np.repeat(np.geomspace(4000, 4000 / 2**7, 8), 2)
        a, d = rng.uniform(0.02, 0.2), rng.uniform(1.5, 3.5)
        truth = {"a": a, "b": rng.uniform(0.6, 2.0), "c": rng.uniform(200, 1500), "d": d}
        if model == "5PL":
            truth["g"] = rng.uniform(0.5, 2.0)
        fn = four_pl if model == "4PL" else five_pl
        for increasing in (True, False):
            t = truth if increasing else truth | {"a": d, "d": a}
            y = fn(x, **t) * (1 + rng.normal(0, 0.03, x.size))
            fit = fit_curve(x, y, model, weighting)
            ref = _trust_region_only(monkeypatch, x, y, model, weighting)
            assert fit.converged and ref.converged
            assert fit.cost <= ref.cost * (1 + 1e-11)
            for k in t:  # the asymptotes to 1e-5 of the curve's span (one of them can be ~0)
                span = abs(ref.params["a"] - ref.params["d"]) if k in "ad" else 0.0
                assert fit.params[k] == pytest.approx(ref.params[k], rel=1e-5, abs=1e-5 * span), k
            batched += "Levenberg" in fit.message
    assert batched >= 8  # the fast path is the usual one (5PL falls back more: g runs to its bounds)


def test_a_fit_at_a_search_bound_is_the_trust_region_one(monkeypatch):
    """A step-like curve whose slope runs into the bound b = 50: the unbounded batched fit leaves
    the box, so the bounded trust-region fit decides and the message names the bound."""
    x = np.repeat(np.geomspace(1000, 1000 / 2**7, 8), 2)
    y = np.where(x > 100, 2.0, 0.1) + np.tile([0.001, -0.001], 8)
    fit = fit_curve(x, y, "4PL", "none")
    ref = _trust_region_only(monkeypatch, x, y, "4PL", "none")
    assert "Levenberg" not in fit.message
    assert fit.params == ref.params and fit.message == ref.message
    assert "search bound: b" in fit.message


@pytest.mark.parametrize("model", ["4PL", "5PL"])
def test_fitting_many_curves_at_once_gives_each_the_fit_it_gets_alone(model):
    """fit_curves stacks the curves' Levenberg–Marquardt iterations; every result must be the one
    fit_curve gives that curve alone, bit for bit (parameters, cost, iterations, message): curves
    with different numbers of points, increasing and decreasing, one that cannot be fitted (three
    levels) and a step, whose slope runs to its search bound (the trust-region fallback decides)."""
    rng = np.random.default_rng(7)
    curves = []
    for n_levels, reps in ((8, 2), (7, 2), (8, 3), (6, 1)):
        x = np.repeat(np.geomspace(4000, 4000 / 2 ** (n_levels - 1), n_levels), reps)
        for increasing in (True, False, True):
            a, d = (0.05, 2.5) if increasing else (2.5, 0.05)
            y = four_pl(x, a, rng.uniform(0.7, 1.8), rng.uniform(200, 1500), d) * (1 + rng.normal(0, 0.03, x.size))
            curves.append((x, y))
    curves.insert(3, (STD_X[:6], four_pl(STD_X[:6], **TRUE_4PL)[::-1]))  # 3 levels: not fitted
    step_x = np.repeat(np.geomspace(4000, 31.25, 8), 2)
    curves.insert(7, (step_x, np.where(step_x > 500, 2.0, 0.1)))  # a step: b at its bound
    together = curve.fit_curves(curves, model, "1/y^2")
    for (x, y), fit in zip(curves, together, strict=True):
        alone = fit_curve(x, y, model, "1/y^2")
        # every field (NaN equal to NaN for the curve that could not be fitted), bit for bit
        np.testing.assert_equal(dataclasses.asdict(fit), dataclasses.asdict(alone))
    assert not together[3].converged and "at least" in together[3].message
    assert "Levenberg" not in together[7].message  # the bounded fit decided this one
    assert sum("Levenberg" in f.message for f in together) >= len(curves) // 2


def test_a_singular_system_stops_only_its_own_curve():
    damped = np.stack([np.eye(2) * 2.0, np.zeros((2, 2)), np.array([[3.0, 1.0], [1.0, 2.0]])])
    grad = np.array([[1.0, 2.0], [1.0, 1.0], [0.5, -1.0]])
    singular = np.zeros(3, dtype=bool)
    step = curve._steps(damped, grad, np.array([0, 1, 2]), singular)
    assert singular.tolist() == [False, True, False]
    assert np.isnan(step[1]).all()
    for i in (0, 2):  # the others as solved alone
        assert np.array_equal(step[i], np.linalg.solve(damped[i], -grad[i]))
