"""Standard-curve models (4PL, 5PL), weighted least-squares fitting and back-calculation.

Models (``x`` = concentration > 0, ``y`` = blank-corrected OD)::

    4PL: y = d + (a - d) / (1 + (x/c)^b)
    5PL: y = d + (a - d) / (1 + (x/c)^b)^g

``a`` is the response at zero concentration, ``d`` the response at infinite
concentration, ``c`` the inflection concentration (4PL: the EC50), ``b > 0`` the slope
and ``g > 0`` the asymmetry (5PL).  With ``b > 0`` an increasing curve (sandwich ELISA)
has ``a < d``, a decreasing one (competitive ELISA) ``a > d``; both are supported.

Fitting minimises ``sum(w_i * (y_i - f(x_i))^2)``, where the weights are computed from
the *observed* response of each point:

==========  ====================================
weighting   ``w_i``
==========  ====================================
``none``    1
``1/y``     ``1 / max(|y_i|, WEIGHT_FLOOR)``
``1/y^2``   ``1 / max(|y_i|, WEIGHT_FLOOR)^2``
==========  ====================================

``WEIGHT_FLOOR`` (0.001 OD, the reader's print resolution) keeps a blank-corrected OD of
zero from getting an infinite weight.  The parameters are searched as ``(a, b, log c, d
[, log g])`` so that ``c`` and ``g`` stay positive; reported values are on the natural
scale.  Several starting points are tried (see :func:`starting_values`) and the solution
with the smallest cost is kept, which makes the fit deterministic for given data.

All starts are iterated at once by a Levenberg–Marquardt in numpy (analytic Jacobian,
Marquardt's scaling; 5.5 (4PL) and 3.2 (5PL) times faster than one
:func:`scipy.optimize.least_squares` call per start, ``benchmarks/bench_curves.py``), and
:func:`fit_curves` iterates the starts of many curves together (a batch of plates), each
curve's result the same bits as alone.
When its best solution is not strictly inside the search bounds, or a start it did not
follow to the end reached a smaller cost, the bounded fit decides instead:
:func:`scipy.optimize.least_squares` (trust-region reflective, bounds) from every start, then
MINPACK's Levenberg–Marquardt to polish.  Both reach the same minimum: the weighted residual
sums of squares agree to ~1e-13 relative on the synthetic trial's plates, the parameters to a
median ~1e-8 (more where the cost is flat to rounding: 5PL's ``g`` and ``c`` trading along a
valley, up to 4e-4; an asymptote near zero).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "MODELS",
    "WEIGHTINGS",
    "WEIGHT_FLOOR",
    "CurveFit",
    "curve_points",
    "fit_curve",
    "fit_curves",
    "five_pl",
    "four_pl",
    "inverse_five_pl",
    "inverse_four_pl",
    "starting_values",
    "weights_for",
]

MODELS = ("4PL", "5PL")
WEIGHTINGS = ("none", "1/y", "1/y^2")
WEIGHT_FLOOR = 1e-3

# Batched Levenberg–Marquardt (:func:`_levenberg_marquardt`): a start has converged when an accepted
# step moves no parameter by more than STEP_TOL relative to its value.
STEP_TOL = 1e-12
MAX_ITERATIONS = 500

_PARAM_NAMES = {"4PL": ("a", "b", "c", "d"), "5PL": ("a", "b", "c", "d", "g")}


def four_pl(x, a: float, b: float, c: float, d: float):
    """4PL response ``d + (a - d) / (1 + (x/c)^b)``.

    Parameters
    ----------
    x
        Concentration(s), >= 0.
    a, b, c, d
        Curve parameters (see module docstring).

    Returns
    -------
    numpy.ndarray or float
        Response(s), same shape as ``x``.
    """
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        u = np.power(x / c, b)
    return d + (a - d) / (1.0 + u)


def five_pl(x, a: float, b: float, c: float, d: float, g: float):
    """5PL response ``d + (a - d) / (1 + (x/c)^b)^g``.

    Parameters
    ----------
    x
        Concentration(s), >= 0.
    a, b, c, d, g
        Curve parameters (see module docstring).

    Returns
    -------
    numpy.ndarray or float
        Response(s), same shape as ``x``.
    """
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        u = np.power(x / c, b)
        return d + (a - d) / np.power(1.0 + u, g)


def inverse_four_pl(y, a: float, b: float, c: float, d: float):
    """Back-calculate concentration from response with a 4PL curve.

    ``x = c * ((a - y) / (y - d))^(1/b)``, defined only for responses strictly between
    the asymptotes ``a`` and ``d``; other responses give NaN (no extrapolation beyond
    the asymptotes).

    Parameters
    ----------
    y
        Response(s).
    a, b, c, d
        Curve parameters.

    Returns
    -------
    numpy.ndarray
        Concentration(s), NaN where ``y`` is not strictly between ``a`` and ``d``.
    """
    y = np.asarray(y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = (a - y) / (y - d)
        x = c * np.power(r, 1.0 / b)
    return np.where((r > 0) & np.isfinite(r), x, np.nan)


def inverse_five_pl(y, a: float, b: float, c: float, d: float, g: float):
    """Back-calculate concentration from response with a 5PL curve.

    ``x = c * (((a - d) / (y - d))^(1/g) - 1)^(1/b)``, defined only for responses
    strictly between the asymptotes; other responses give NaN.

    Parameters
    ----------
    y
        Response(s).
    a, b, c, d, g
        Curve parameters.

    Returns
    -------
    numpy.ndarray
        Concentration(s), NaN outside the asymptotes.
    """
    y = np.asarray(y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        q = (a - d) / (y - d)
        inner = np.expm1(np.log(q) / g)
        x = c * np.power(inner, 1.0 / b)
    return np.where((q > 1) & np.isfinite(q) & (inner > 0), x, np.nan)


@dataclass(frozen=True)
class CurveFit:
    """Result of :func:`fit_curve`.

    Attributes
    ----------
    model
        ``'4PL'`` or ``'5PL'``.
    weighting
        ``'none'``, ``'1/y'`` or ``'1/y^2'``.
    params
        ``{'a', 'b', 'c', 'd'[, 'g']}`` (NaN when the fit failed).
    r2
        Unweighted coefficient of determination ``1 - SS_res / SS_tot`` over the fitted
        points (NaN when the fit failed).
    n_points
        Number of points (wells) fitted.
    converged
        True when the optimiser reported convergence and all parameters are finite.
    message
        Optimiser message or the reason the fit was not attempted.
    cost
        Final weighted sum of squares ``sum(w * r^2)``.
    """

    model: str
    weighting: str
    params: dict[str, float]
    r2: float
    n_points: int
    converged: bool
    message: str
    cost: float = float("nan")
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    def _args(self) -> tuple[float, ...]:
        return tuple(self.params[k] for k in _PARAM_NAMES[self.model])

    def predict(self, x) -> np.ndarray:
        """Fitted response at concentration(s) ``x``.

        Returns
        -------
        numpy.ndarray
            Response(s); NaN everywhere if the fit did not converge.
        """
        fn = four_pl if self.model == "4PL" else five_pl
        return np.asarray(fn(x, *self._args()), dtype=float)

    def inverse(self, y) -> np.ndarray:
        """Back-calculated concentration(s) for response(s) ``y``.

        Returns
        -------
        numpy.ndarray
            Concentration(s); NaN outside the asymptotes or if the fit failed.
        """
        fn = inverse_four_pl if self.model == "4PL" else inverse_five_pl
        return np.asarray(fn(y, *self._args()), dtype=float)

    @property
    def increasing(self) -> bool:
        """True when the response increases with concentration (``a < d``)."""
        return bool(self.params["a"] < self.params["d"])


def weights_for(y, weighting: str) -> np.ndarray:
    """Least-squares weights ``w_i`` from observed responses (see module docstring).

    Parameters
    ----------
    y
        Observed (blank-corrected) responses.
    weighting
        ``'none'``, ``'1/y'`` or ``'1/y^2'``.

    Returns
    -------
    numpy.ndarray
        Weights, same length as ``y``.
    """
    y = np.asarray(y, dtype=float)
    if weighting == "none":
        return np.ones_like(y)
    floor = np.maximum(np.abs(y), WEIGHT_FLOOR)
    if weighting == "1/y":
        return 1.0 / floor
    if weighting == "1/y^2":
        return 1.0 / floor**2
    raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {weighting!r}")


def _model_and_jac(model: str) -> tuple[Callable, Callable]:
    """Response ``(S, n)`` and Jacobian ``(S, n, k)`` of ``S`` parameter vectors ``(S, k)`` in the
    search parametrisation (a, b, log c, d[, log g]) at log concentrations ``lx`` ``(n,)``."""

    def f4(p, lx):
        a, b, lc, d = (v[:, None] for v in p.T)
        u = np.exp(np.clip(b * (lx - lc), -700, 700))
        return d + (a - d) / (1.0 + u)

    def j4(p, lx):
        a, b, lc, d = (v[:, None] for v in p.T)
        t = lx - lc
        u = np.exp(np.clip(b * t, -700, 700))
        den = 1.0 + u
        inv = 1.0 / den
        common = (a - d) * u * inv * inv
        return np.stack([inv, -common * t, common * b, 1.0 - inv], axis=-1)

    def f5(p, lx):
        a, b, lc, d, lg = (v[:, None] for v in p.T)
        g = np.exp(lg)
        u = np.exp(np.clip(b * (lx - lc), -700, 700))
        return d + (a - d) * np.exp(-g * np.log1p(u))

    def j5(p, lx):
        a, b, lc, d, lg = (v[:, None] for v in p.T)
        g = np.exp(lg)
        t = lx - lc
        u = np.exp(np.clip(b * t, -700, 700))
        log_den = np.log1p(u)
        pw = np.exp(-g * log_den)  # (1+u)^-g
        common = (a - d) * g * pw * u / (1.0 + u)
        return np.stack([pw, -common * t, common * b, 1.0 - pw, -(a - d) * pw * log_den * g], axis=-1)

    if model == "4PL":
        return f4, j4
    if model == "5PL":
        return f5, j5
    raise ValueError(f"model must be one of {MODELS}, got {model!r}")


def starting_values(x, y) -> list[tuple[float, float, float, float]]:
    """Starting points ``(a, b, c, d)`` for a 4PL fit.

    The primary start takes ``a`` and ``d`` slightly beyond the mean responses at the
    lowest and highest concentration, then ``b`` and ``c`` from a straight-line fit of
    ``log((y - a) / (d - y))`` against ``log x`` (the linearised 4PL).  Further starts
    vary the asymptote overshoot and use ``b = 1``, ``c`` = geometric mean of ``x``.

    Parameters
    ----------
    x, y
        Concentrations (> 0) and responses.

    Returns
    -------
    list of tuple
        Candidate ``(a, b, c, d)`` starting points, best guess first.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    levels = np.unique(x)
    means = np.array([y[x == lv].mean() for lv in levels])
    y_lo, y_hi = means[0], means[-1]
    span = y_hi - y_lo
    if span == 0 or not np.isfinite(span):
        span = max(abs(y_hi), 1.0)
    lx = np.log(levels)
    c_geo = float(np.exp(lx.mean()))
    starts: list[tuple[float, float, float, float]] = []
    for over_a, over_d in ((0.05, 0.25), (0.02, 1.0), (0.2, 0.1)):
        a0 = y_lo - over_a * span
        d0 = y_hi + over_d * span
        ratio = (means - a0) / (d0 - means)
        ok = np.isfinite(ratio) & (ratio > 0)
        b0, c0 = 1.0, c_geo
        if ok.sum() >= 2:
            slope, intercept = np.polyfit(lx[ok], np.log(ratio[ok]), 1)
            if np.isfinite(slope) and slope > 0:
                b0 = float(np.clip(slope, 0.05, 20.0))
                c0 = float(np.exp(-intercept / slope))
        starts.append((float(a0), b0, c0, float(d0)))
        starts.append((float(a0), 1.0, c_geo, float(d0)))
    return starts


def fit_curve(x, y, model: str = "4PL", weighting: str = "1/y^2") -> CurveFit:
    """Fit a 4PL or 5PL standard curve by weighted least squares.

    Parameters
    ----------
    x
        Nominal concentrations of the standard wells (> 0), one per well.
    y
        Blank-corrected ODs of the same wells.
    model
        ``'4PL'`` (default) or ``'5PL'``.
    weighting
        ``'none'``, ``'1/y'`` or ``'1/y^2'`` (default); see :func:`weights_for`.

    Returns
    -------
    CurveFit
        Parameters, R², convergence status.  A fit that cannot be attempted (too few
        concentration levels, non-finite input) or does not converge is returned with
        ``converged=False``, NaN parameters and the reason in ``message``.
    """
    return fit_curves([(x, y)], model, weighting)[0]


def fit_curves(curves: Sequence[tuple], model: str = "4PL", weighting: str = "1/y^2") -> list[CurveFit]:
    """:func:`fit_curve` of many curves at once: ``curves`` are ``(x, y)`` pairs (e.g. the plates of
    a batch); one :class:`CurveFit` each, in order.

    Each result is the same, bit for bit, as :func:`fit_curve` on that curve alone: the
    Levenberg–Marquardt iterates every start of every curve in one set of array operations (one
    per iteration instead of one per curve and iteration, which cost ~4 ms a curve), and each
    curve stops, is chosen and falls back on its own (:func:`_levenberg_marquardt`).
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {weighting!r}")
    setups = [_least_squares_problem(x, y, model, weighting) for x, y in curves]
    problems = [p for p in setups if isinstance(p, _Problem)]
    if model == "5PL":
        for problem, fit4 in zip(problems, fit_curves([(p.x, p.y) for p in problems], "4PL", weighting), strict=True):
            if fit4.converged:  # also start the 5PL from the best 4PL solution (g = 1)
                p4 = fit4.params
                problem.starts.append([p4["a"], p4["b"], np.log(p4["c"]), p4["d"], 0.0])
    for problem in problems:
        problem.starts = np.clip(np.array(problem.starts, dtype=float), problem.lo + 1e-9, problem.hi - 1e-9)
    fun, jac = _model_and_jac(model)
    solved = iter(zip(problems, _levenberg_marquardt(fun, jac, problems), strict=True))
    return [
        setup if isinstance(setup, CurveFit) else _curve_fit(*next(solved), fun, jac, model, weighting)
        for setup in setups
    ]


@dataclass
class _Problem:
    """One curve's weighted least-squares problem in the search parametrisation (see module
    docstring): the data, its log concentrations and square-root weights, the search bounds and
    the starting points (a list until the 5PL's 4PL start is added, then a clipped array)."""

    x: np.ndarray
    y: np.ndarray
    lx: np.ndarray
    sw: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    starts: list | np.ndarray


def _failed(model: str, weighting: str, n_points: int, message: str) -> CurveFit:
    nan_params = {k: float("nan") for k in _PARAM_NAMES[model]}
    return CurveFit(model, weighting, nan_params, float("nan"), n_points, False, message)


def _least_squares_problem(x, y, model: str, weighting: str) -> _Problem | CurveFit:
    """The problem of fitting ``model`` to one curve, or the failed fit when it cannot be attempted."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape:
        raise ValueError("x and y must have the same length")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        return _failed(model, weighting, int(x.size), "non-finite standard concentration or OD")
    if np.any(x <= 0):
        return _failed(model, weighting, int(x.size), "standard concentrations must be > 0 (zero standards are blanks)")
    n_levels = np.unique(x).size
    need = len(_PARAM_NAMES[model])
    if n_levels < need:
        return _failed(model, weighting, int(x.size), f"{model} needs at least {need} standard levels, got {n_levels}")

    lx = np.log(x)
    y_min, y_max = float(y.min()), float(y.max())
    big = 10.0 * max(y_max - y_min, abs(y_max), abs(y_min), 1e-6)
    lx_min, lx_max = float(lx.min()), float(lx.max())
    lo = [y_min - big, 1e-3, lx_min - np.log(1e4), y_min - big]
    hi = [y_max + big, 50.0, lx_max + np.log(1e4), y_max + big]
    if model == "5PL":
        lo.append(np.log(1e-3))
        hi.append(np.log(1e3))
    starts = [[a0, b0, np.log(c0), d0] + [0.0] * (model == "5PL") for a0, b0, c0, d0 in starting_values(x, y)]
    return _Problem(x, y, lx, np.sqrt(weights_for(y, weighting)), np.array(lo), np.array(hi), starts)


def _curve_fit(
    problem: _Problem, best: _Solution | None, fun: Callable, jac: Callable, model: str, weighting: str
) -> CurveFit:
    """The fit of ``problem`` from its Levenberg–Marquardt solution, or from the bounded fit when
    there is none (``fun``, ``jac``: the model's, :func:`_model_and_jac`)."""
    x, y, lx, sw, lo, hi = problem.x, problem.y, problem.lx, problem.sw, problem.lo, problem.hi
    names = _PARAM_NAMES[model]
    if best is None:

        def resid(p):
            return sw * (fun(p[None], lx)[0] - y)

        def rjac(p):
            return sw[:, None] * jac(p[None], lx)[0]

        with np.errstate(over="ignore", invalid="ignore"):  # a start wandering far costs inf: no warning
            best = _trust_region_fits(resid, rjac, problem.starts, lo, hi)
    if best is None:
        return _failed(model, weighting, int(x.size), "least squares failed: no finite solution")

    p = best.x
    params = {"a": float(p[0]), "b": float(p[1]), "c": float(np.exp(p[2])), "d": float(p[3])}
    if model == "5PL":
        params["g"] = float(np.exp(p[4]))
    pred = fun(p[None], lx)[0]
    ss_res = float(np.sum((y - pred) ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")
    converged = bool(best.status > 0 and all(np.isfinite(v) for v in params.values()))
    at_bound = [
        names[i]
        for i in range(len(p))
        if np.isclose(p[i], lo[i], rtol=0, atol=1e-9) or np.isclose(p[i], hi[i], rtol=0, atol=1e-9)
    ]
    message = str(best.message)
    if at_bound:
        message += f" (parameter(s) at search bound: {', '.join(at_bound)})"
    return CurveFit(
        model=model,
        weighting=weighting,
        params=params,
        r2=r2,
        n_points=int(x.size),
        converged=converged,
        message=message,
        cost=float(2.0 * best.cost),
        extra={"nfev": int(best.nfev), "status": int(best.status)},
    )


@dataclass(frozen=True)
class _Solution:
    """The fields of a least-squares solution that :func:`_curve_fit` reads (as scipy's OptimizeResult)."""

    x: np.ndarray
    cost: float
    status: int
    nfev: int
    message: str


def _levenberg_marquardt(fun: Callable, jac: Callable, problems: list[_Problem]) -> list[_Solution | None]:
    """Levenberg–Marquardt from every start of every problem at once (numpy, one batched solve per
    iteration); problems with the same number of points are stacked, row by row.

    Marquardt's scaling (the diagonal of ``JᵀJ``) makes the steps invariant to the parameters'
    scales, like ``least_squares(x_scale="jac")``.  A start stops when an accepted step changes
    no parameter by more than ``STEP_TOL`` relative, or when no step lowers the cost any more (a
    stationary point to machine precision).  A problem stops when all its starts have; the
    others go on without it, so that its solution, its iteration count and a singular system are
    its own, as if it had been solved alone.  Its solution is the stopped start with the smallest
    cost, kept only if it lies strictly inside the search bounds and no start that did not stop
    there (still moving, non-finite or outside the bounds) reached a smaller cost; else None, and
    :func:`_trust_region_fits` decides.
    """
    solutions: list[_Solution | None] = [None] * len(problems)
    by_size: dict[int, list[int]] = {}
    for i, problem in enumerate(problems):
        by_size.setdefault(problem.lx.size, []).append(i)
    for members in by_size.values():
        for i, solution in zip(
            members, _stacked_levenberg_marquardt(fun, jac, [problems[i] for i in members]), strict=True
        ):
            solutions[i] = solution
    return solutions


def _stacked_levenberg_marquardt(fun: Callable, jac: Callable, problems: list[_Problem]) -> list[_Solution | None]:
    """:func:`_levenberg_marquardt` of problems with the same number of points."""
    sizes = [len(p.starts) for p in problems]
    owner = np.repeat(np.arange(len(problems)), sizes)  # the problem of each row (start)
    p_all = np.concatenate([p.starts for p in problems])

    def per_row(name: str) -> np.ndarray:
        return np.concatenate([np.broadcast_to(getattr(p, name), (len(p.starts), p.lx.size)) for p in problems])

    lx_all, y_all, sw_all = per_row("lx"), per_row("y"), per_row("sw")
    k = p_all.shape[1]
    lam = np.full(len(p_all), 1e-3)
    done = np.zeros(len(p_all), dtype=bool)
    active = np.ones(len(problems), dtype=bool)
    singular = np.zeros(len(problems), dtype=bool)
    iterations = np.full(len(problems), MAX_ITERATIONS)
    with np.errstate(all="ignore"):
        r_all = sw_all * (fun(p_all, lx_all) - y_all)
        cost = 0.5 * np.einsum("sn,sn->s", r_all, r_all)
        for iteration in range(1, MAX_ITERATIONS + 1):
            rows = np.flatnonzero(active[owner])
            p, lx, y, sw, r = p_all[rows], lx_all[rows], y_all[rows], sw_all[rows], r_all[rows]
            jw = sw[..., None] * jac(p, lx)
            grad = np.einsum("snk,sn->sk", jw, r)
            jtj = np.einsum("snk,snl->skl", jw, jw)
            scale = np.maximum(np.diagonal(jtj, axis1=1, axis2=2), 1e-300)
            damped = jtj + (lam[rows][:, None] * scale)[:, :, None] * np.eye(k)
            step = _steps(damped, grad, owner[rows], singular)
            trial = p + step
            r_trial = sw * (fun(trial, lx) - y)
            cost_trial = 0.5 * np.einsum("sn,sn->s", r_trial, r_trial)
            better = ~done[rows] & np.isfinite(cost_trial) & (cost_trial < cost[rows])
            small = np.all(np.abs(step) <= STEP_TOL * (np.abs(p) + STEP_TOL), axis=1)
            moved = rows[better]
            p_all[moved], r_all[moved], cost[moved] = trial[better], r_trial[better], cost_trial[better]
            lam[rows] = np.where(better, np.maximum(lam[rows] / 10.0, 1e-12), lam[rows] * 10.0)
            done[rows] |= small | (lam[rows] > 1e16) | ~np.isfinite(cost[rows])
            unfinished = np.bincount(owner, weights=~done, minlength=len(problems))
            finished = active & (unfinished == 0)
            iterations[finished] = iteration
            active &= ~finished & ~singular
            if not active.any():
                break
    solutions: list[_Solution | None] = []
    for j, problem in enumerate(problems):
        mine = owner == j
        p, c = p_all[mine], cost[mine]
        inside = np.all((p > problem.lo + 1e-9) & (p < problem.hi - 1e-9), axis=1) & np.isfinite(c)  # at_bound's margin
        stopped = done[mine] & inside
        if singular[j] or not stopped.any():
            solutions.append(None)
            continue
        i = int(np.argmin(np.where(stopped, c, np.inf)))
        if np.any(~stopped & np.isfinite(c) & (c < c[i])):
            solutions.append(None)
            continue
        solutions.append(
            _Solution(
                x=p[i],
                cost=float(c[i]),
                status=1,
                nfev=int(iterations[j]) * sizes[j],
                message=f"Levenberg–Marquardt from {sizes[j]} starts: relative step below {STEP_TOL:g}",
            )  # fmt: skip
        )
    return solutions


def _steps(damped: np.ndarray, grad: np.ndarray, owner: np.ndarray, singular: np.ndarray) -> np.ndarray:
    """The Levenberg–Marquardt steps of the active rows; a problem with a singular system is marked
    in ``singular`` (its rows' steps are NaN), as solving it alone would have stopped it."""
    try:
        return np.linalg.solve(damped, -grad[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        step = np.full(grad.shape, np.nan)
        for j in np.unique(owner):
            mine = owner == j
            try:
                step[mine] = np.linalg.solve(damped[mine], -grad[mine][:, :, None])[:, :, 0]
            except np.linalg.LinAlgError:
                singular[j] = True
        return step


def _trust_region_fits(resid: Callable, rjac: Callable, starts: np.ndarray, lo, hi):
    """The careful fit, when :func:`_levenberg_marquardt` does not settle inside the bounds: trust-region
    reflective (bounded) from every start, the smallest cost kept, then polished with MINPACK's
    Levenberg–Marquardt (kept only if it lowers the cost and stays inside the bounds: TRF can stop
    early in the flat valleys typical of sigmoid fits). Returns scipy's OptimizeResult or None."""
    # Imported here: scipy.optimize takes ~0.4 s to import, paid by every quantify job, and most
    # plates never get here.
    from scipy.optimize import least_squares

    tight = {"x_scale": "jac", "ftol": 1e-15, "xtol": 1e-15, "gtol": 1e-15, "max_nfev": 20000}
    best = None
    for p0 in starts:
        try:
            res = least_squares(resid, p0, jac=rjac, bounds=(lo, hi), method="trf", **tight)
        except (ValueError, FloatingPointError):  # pragma: no cover - defensive
            continue
        if np.all(np.isfinite(res.x)) and (best is None or res.cost < best.cost):
            best = res
    if best is None:
        return None
    try:
        pol = least_squares(resid, best.x, jac=rjac, method="lm", **tight)
        inside = np.all(pol.x > lo) and np.all(pol.x < hi)
        if np.all(np.isfinite(pol.x)) and inside and pol.cost <= best.cost and pol.status > 0:
            best = pol
    except (ValueError, FloatingPointError):  # pragma: no cover - defensive
        pass
    return best


def curve_points(fit: CurveFit, x_min: float, x_max: float, n: int = 200) -> pd.DataFrame:
    """Points of a fitted curve on a log-spaced concentration grid, for plotting.

    Parameters
    ----------
    fit
        A converged :class:`CurveFit`.
    x_min, x_max
        Concentration range (> 0), typically half the lowest and twice the highest
        standard.
    n
        Number of points.

    Returns
    -------
    pandas.DataFrame
        Columns ``conc`` (pg/mL, float) and ``od_fit`` (fitted blank-corrected OD, float),
        ``n`` rows (empty when the fit did not converge).
    """
    if not fit.converged or not (x_min > 0 and x_max > x_min):
        return pd.DataFrame({"conc": pd.Series(dtype=float), "od_fit": pd.Series(dtype=float)})
    conc = np.geomspace(x_min, x_max, n)
    return pd.DataFrame({"conc": conc, "od_fit": fit.predict(conc)})
