"""Mixed model for repeated measures (MMRM): all available data, a structured or unstructured
covariance within participants, small-sample degrees of freedom.

Model
-----
For participant *i* with values at the visits ``o_i`` (any subset of the model's visits)::

    y_i = X_i beta + e_i,    e_i ~ N(0, Sigma[o_i, o_i]),   participants independent

The mean model is arm × visit (one mean per cell), plus optional covariates: categorical
factors (treatment-coded, first level in sorted order the reference), numeric covariates, and
the baseline value of the outcome with one slope per visit (baseline × visit). It is the model of
R's ``nlme::gls(value ~ arm * visit + factor + numeric + baseline * visit, ...)``: the cell-means
coding used here spans the same column space, so every estimate below is the same.

Sigma is T × T (T visits) with one of the structures of :data:`STRUCTURES`, fitted by REML (or
ML). The GLS likelihood is block-diagonal, so it is computed per pattern of observed visits:
participants with the same visits share one inverse and one determinant, and every sum over
them is a contraction of the pattern's sufficient statistics (:class:`_Pattern`), so a fit costs
the same for 200 or 20,000 participants. The gradient is analytic (the derivative of -2 log L
with respect to Sigma is one T × T matrix, ``_Likelihood.grad_sigma``), and so are the observed
and expected information; the derivatives of Sigma with respect to its parameters are taken by
complex step (exact to rounding). Fisher scoring, then Newton steps (BFGS if both stall), until
the gradient is ~1e-10.

Convergence and fallback
------------------------
A fit has converged when the optimiser's gradient is below :data:`GRADIENT_TOL` (relative), the
observed information of the covariance parameters is positive definite and Sigma is
well-conditioned (smallest eigenvalue above :data:`CONDITION_TOL` times the largest). When the
requested structure does not converge (typically unstructured, with few participants or
near-collinear visits), the structures of the ``fallback`` list are tried in order
(:data:`DEFAULT_FALLBACK`, as statistical analysis plans pre-specify); the fit table names the
structure that was used and why the others were not.

Inference
---------
The covariance of beta is Phi = (sum_i X_i' Sigma_i^-1 X_i)^-1 at the estimates. The least-squares
means are the cells of the reference grid (numeric covariates and the baseline at their means over
the analysed rows, factors averaged with equal weights over their levels, as emmeans and SAS
LSMEANS do); contrasts are each arm minus the first arm at each visit; the tests (arm, visit,
arm:visit) are joint tests of the reference grid's marginal means, as ``emmeans::joint_tests``
(for arm × visit alone the same hypotheses as SAS's Type III). Degrees of freedom (``df``):

* ``satterthwaite``: 2 (l' Phi l)^2 / (g' A g), g_k = l' dPhi/dtheta_k l, A the inverse observed
  information of the covariance parameters; F tests as SAS PROC MIXED and lmerTest (one
  Satterthwaite df per eigen-direction of L Phi L', combined through E = sum nu/(nu - 2)).
* ``kenward_roger``: REML only; the adjusted covariance Phi_A = Phi + 2 Phi (sum W_ij (Q_ij -
  P_i Phi P_j - R_ij / 4)) Phi and the scaled F with its df (Kenward & Roger 1997), W the
  inverse observed information (as SAS PROC MIXED DDFM=KR and the R package mmrm; pbkrtest uses
  the expected information: ``kr_information="expected"``), all in the covariance parameters the
  covariance table reports (SAS's parameterisation; the R_ij term is not invariant to it).
  Standard errors, t and F use Phi_A.
* ``residual``: n_obs - rank(X).
* ``between_within``: between-participant df N - rank(X_between) for arm (and anything that
  involves an arm comparison: least-squares means and contrasts take the smaller of the two),
  within df n_obs - N - (rank(X) - rank(X_between)) for visit and arm:visit (SAS DDFM=BW).

References: Mallinckrodt et al. (2008) Drug Inf J 42:303-319; Kenward & Roger (1997) Biometrics
53:983-997; Satterthwaite (1946) Biometrics Bull 2:110-114; Fai & Cornelius (1996) J Stat Comput
Simul 54:363-378. Reference values: tests/test_mmrm.py (R nlme + emmeans, lme4 + pbkrtest,
lmerTest) and tests/test_mmrm_sas.py (SAS PROC MIXED outputs published with the R package mmrm).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import linalg, optimize, stats

STRUCTURES = (
    "unstructured",
    "toeplitz_heterogeneous",
    "toeplitz",
    "ar1_heterogeneous",
    "ar1",
    "cs_heterogeneous",
    "cs",
)
DEFAULT_FALLBACK = ("toeplitz_heterogeneous", "ar1_heterogeneous", "cs_heterogeneous", "cs")
DF_METHODS = ("satterthwaite", "kenward_roger", "residual", "between_within")
KR_INFORMATION = ("observed", "expected")  # W of Kenward-Roger: SAS PROC MIXED's, pbkrtest's
METHODS = ("reml", "ml")
GRADIENT_TOL = 1e-6  # max |gradient| of -2 log L, relative to max(1, |-2 log L|)
CONDITION_TOL = 1e-8  # smallest / largest eigenvalue of Sigma below this: a singular (boundary) fit

LSMEANS_COLUMNS = ["arm", "visit", "estimate", "se", "df", "ci_low", "ci_high", "n_obs"]
CONTRAST_COLUMNS = ["visit", "contrast", "estimate", "se", "df", "t", "p", "ci_low", "ci_high"]
TEST_COLUMNS = ["effect", "num_df", "den_df", "F", "p"]
COVARIANCE_COLUMNS = ["structure", "parameter", "estimate"]
FIT_COLUMNS = [
    "structure",
    "requested_structure",
    "df_method",
    "method",
    "criterion",
    "converged",
    "n_participants",
    "n_obs",
    "n_excluded",
    "covariates",
    "note",
]

_STEP = 1e-20  # complex-step size


# ---------------------------------------------------------------------------------------------
# covariance structures: theta (unconstrained, fitted) -> phi (reported) -> Sigma
# ---------------------------------------------------------------------------------------------


def _cs_rho(x, n_visits: int):
    """(e^x - 1) / (e^x + T - 1): maps the real line onto (-1/(T-1), 1), the CS correlations that
    keep Sigma positive definite."""
    e = np.exp(x)
    return (e - 1) / (e + n_visits - 1)


def _toeplitz_from_pacf(pacf) -> list:
    """Autocorrelations at lags 1..k from partial autocorrelations in (-1, 1) (Durbin–Levinson);
    every such sequence gives a positive definite Toeplitz correlation matrix."""
    r, phi = [], []
    for k, p in enumerate(pacf, start=1):
        if k == 1:
            r_k = p
        else:
            r_k = sum(phi[j] * r[k - 2 - j] for j in range(k - 1)) + p * (1 - sum(phi[j] * r[j] for j in range(k - 1)))
        phi = [phi[j] - p * phi[k - 2 - j] for j in range(k - 1)] + [p]
        r.append(r_k)
    return r


def _lag_matrix(values, n_visits: int, diagonal):
    """T × T matrix with ``diagonal`` on the diagonal and values[lag - 1] at |i - j| = lag."""
    lags = np.abs(np.subtract.outer(np.arange(n_visits), np.arange(n_visits)))
    return np.concatenate([np.atleast_1d(diagonal), np.asarray(values).reshape(-1)])[lags]


@dataclass(frozen=True)
class Structure:
    """One covariance structure for T visits: ``natural`` maps the unconstrained parameters theta
    to the reported ones phi, ``sigma`` maps phi to Sigma (both work on complex arrays, for the
    complex-step derivatives), ``start`` gives theta from a positive definite starting Sigma."""

    name: str
    names: list[str]
    natural: Callable
    sigma: Callable
    start: Callable


def make_structure(name: str, visits: Sequence[str]) -> Structure:
    """The structure ``name`` (one of :data:`STRUCTURES`) for the ``visits``. Its parameters
    (SAS PROC MIXED's): unstructured ``cov(v1,v2)`` for v1 <= v2; Toeplitz ``variance``,
    ``cov(lag k)``; heterogeneous structures ``var(v)`` and ``rho`` (``rho(lag k)``); CS
    ``between`` (the covariance) and ``residual``."""
    n = len(visits)
    if n == 1 and name != "unstructured":
        name = "unstructured"  # one visit: every structure is a single variance
    tri = [(i, j) for i in range(n) for j in range(i, n)]

    def diag_sd(theta):
        return np.exp(theta[:n])

    if name == "unstructured":

        def natural(theta):
            low = np.zeros((n, n), dtype=np.result_type(theta, float))
            low[np.tril_indices(n)] = theta
            low[np.diag_indices(n)] = np.exp(np.diag(low))
            s = low @ low.T
            return np.array([s[i, j] for i, j in tri])

        def sigma(phi):
            s = np.zeros((n, n), dtype=np.result_type(phi, float))
            for (i, j), v in zip(tri, phi, strict=True):
                s[i, j] = s[j, i] = v
            return s

        def start(s0):
            low = np.linalg.cholesky(s0)
            low[np.diag_indices(n)] = np.log(np.diag(low))
            return low[np.tril_indices(n)]

        names = [f"cov({visits[i]},{visits[j]})" for i, j in tri]
    elif name in ("cs", "cs_heterogeneous"):
        het = name == "cs_heterogeneous"

        def corr(rho):
            return (1 - rho) * np.eye(n) + rho * np.ones((n, n))

        if het:

            def natural(theta):
                return np.concatenate([np.exp(2 * theta[:n]), [_cs_rho(theta[n], n)]])

            def sigma(phi):
                sd = np.sqrt(phi[:n])
                return sd[:, None] * corr(phi[n]) * sd[None, :]

            names = [f"var({v})" for v in visits] + ["rho"]
        else:

            def natural(theta):
                var, rho = np.exp(2 * theta[0]), _cs_rho(theta[1], n)
                return np.array([rho * var, (1 - rho) * var])

            def sigma(phi):
                return phi[1] * np.eye(n) + phi[0] * np.ones((n, n))

            names = ["between", "residual"]

        def start(s0):
            sd = np.sqrt(np.diag(s0))
            r = s0 / np.outer(sd, sd)
            rho = float(np.clip(r[np.triu_indices(n, 1)].mean(), -0.5 / (n - 1), 0.9))
            x = np.log((1 + (n - 1) * rho) / (1 - rho))  # inverse of _cs_rho
            return np.concatenate([np.log(sd) if het else [np.log(sd).mean()], [x]])

    elif name in ("ar1", "ar1_heterogeneous", "toeplitz", "toeplitz_heterogeneous"):
        het = name.endswith("_heterogeneous")
        ar1 = name.startswith("ar1")

        def corr_of(theta_corr):
            if ar1:
                rho = np.tanh(theta_corr[0])
                return [rho**k for k in range(1, n)], [rho]
            lags = _toeplitz_from_pacf(np.tanh(theta_corr))
            return lags, lags

        def lags_from_phi(phi_corr):
            return [phi_corr[0] ** k for k in range(1, n)] if ar1 else list(phi_corr)

        n_sd = n if het else 1

        def natural(theta):
            _, reported = corr_of(theta[n_sd:])
            if het:
                return np.concatenate([np.exp(2 * theta[:n]), reported])
            var = np.exp(2 * theta[0])
            return np.concatenate([[var], reported if ar1 else [var * r for r in reported]])

        def sigma(phi):
            if het:
                sd = np.sqrt(phi[:n])
                return sd[:, None] * _lag_matrix(lags_from_phi(phi[n:]), n, 1.0) * sd[None, :]
            if ar1:
                return phi[0] * _lag_matrix(lags_from_phi(phi[1:]), n, 1.0)
            return _lag_matrix(list(phi[1:]), n, phi[0])

        def start(s0):
            sd = np.sqrt(np.diag(s0))
            r = s0 / np.outer(sd, sd)
            lag_r = [np.mean(np.diag(r, k)) for k in range(1, n)]
            if ar1:
                x = [np.arctanh(np.clip(lag_r[0], -0.9, 0.9))]
            else:  # the lag-1 correlation as the first partial autocorrelation, the others 0
                x = [np.arctanh(np.clip(lag_r[0], -0.9, 0.9))] + [0.0] * (n - 2)
            return np.concatenate([np.log(sd) if het else [np.log(sd).mean()], x])

        if het:
            names = [f"var({v})" for v in visits] + (["rho"] if ar1 else [f"rho(lag {k})" for k in range(1, n)])
        else:
            names = ["variance"] + (["rho"] if ar1 else [f"cov(lag {k})" for k in range(1, n)])
    else:
        raise ValueError(f"unknown covariance structure {name!r}; one of {', '.join(STRUCTURES)}")
    return Structure(name, names, natural, sigma, start)


def _complex_jacobian(fun: Callable, x: np.ndarray) -> np.ndarray:
    """d fun / d x_k for every k by complex step: an array with a leading axis of len(x)."""
    out = []
    for k in range(len(x)):
        step = np.zeros(len(x), dtype=complex)
        step[k] = _STEP * 1j
        out.append(np.imag(fun(x + step)) / _STEP)
    return np.array(out)


# ---------------------------------------------------------------------------------------------
# the likelihood, per pattern of observed visits
# ---------------------------------------------------------------------------------------------


@dataclass
class _Pattern:
    """Participants seen at the same visits, reduced to sufficient statistics: with
    x (participants, m, p) and y (participants, m), gx[a, b] = sum_n x_na' x_nb (m, m, p, p),
    gy[a, b] = sum_n x_na' y_nb (m, m, p) and syy[a, b] = sum_n y_na y_nb (m, m). Every sum over
    participants in the likelihood, its derivatives and the KR matrices is a contraction of one
    of these with an m × m matrix, so a fit costs the same for 200 or 20,000 participants."""

    visits: np.ndarray  # indices into the model's visits
    n: int
    gx: np.ndarray
    gy: np.ndarray
    syy: np.ndarray

    @classmethod
    def of(cls, visits: np.ndarray, x: np.ndarray, y: np.ndarray) -> _Pattern:
        n, m, p = x.shape
        flat = x.reshape(n, m * p)
        gx = (flat.T @ flat).reshape(m, p, m, p).transpose(0, 2, 1, 3)
        gy = (flat.T @ y).reshape(m, p, m).transpose(0, 2, 1)
        return cls(visits, n, np.ascontiguousarray(gx), np.ascontiguousarray(gy), y.T @ y)

    def residual_products(self, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """sum_n r_na r_nb (m, m) and sum_n x_na' r_nb (m, m, p) for r = y - x beta."""
        gxb = self.gx @ beta  # [a, b, p]: sum_n x_na' x_nb beta
        gxr = self.gy - gxb
        rr = self.syy - np.einsum("abp,p->ab", self.gy, beta) - np.einsum("bap,p->ab", self.gy, beta)
        rr = rr + np.einsum("abp,p->ab", gxb, beta)
        return rr, gxr


@dataclass
class _Likelihood:
    """-2 log L (REML or ML) of the GLS with a block-diagonal covariance, and everything that
    follows from one Sigma: beta, Phi, and the T × T derivative of the criterion by Sigma."""

    patterns: list[_Pattern]
    n_visits: int
    n_obs: int
    n_coef: int
    reml: bool
    cache: dict = field(default_factory=dict)

    def evaluate(self, sigma: np.ndarray) -> dict:
        key = sigma.tobytes()
        if key in self.cache:
            return self.cache[key]
        p = self.n_coef
        xtwx, xtwy, logdet, parts = np.zeros((p, p)), np.zeros(p), 0.0, []
        for pat in self.patterns:
            v = sigma[np.ix_(pat.visits, pat.visits)]
            try:
                chol = linalg.cho_factor(v, lower=True)
            except linalg.LinAlgError:
                return self._fail(key)
            w = linalg.cho_solve(chol, np.eye(len(pat.visits)))
            xtwx += np.tensordot(w, pat.gx, axes=([0, 1], [0, 1]))
            xtwy += np.tensordot(w, pat.gy, axes=([0, 1], [0, 1]))
            logdet += pat.n * 2 * np.sum(np.log(np.diag(chol[0])))
            parts.append((pat, w))
        try:
            c_chol = linalg.cho_factor(xtwx, lower=True)
        except linalg.LinAlgError:
            return self._fail(key)
        phi = linalg.cho_solve(c_chol, np.eye(p))
        beta = phi @ xtwy
        quad, grad, resid = 0.0, np.zeros((self.n_visits, self.n_visits)), []
        for pat, w in parts:
            rr, gxr = pat.residual_products(beta)
            resid.append((rr, gxr))
            quad += np.sum(w * rr)
            g = pat.n * w - w @ rr @ w
            if self.reml:  # the diagonal block of P: W - W (sum_n X_n Phi X_n') W
                g -= w @ np.tensordot(pat.gx, phi, axes=([2, 3], [1, 0])) @ w
            grad[np.ix_(pat.visits, pat.visits)] += g
        n_eff = self.n_obs - (p if self.reml else 0)
        value = logdet + quad + n_eff * np.log(2 * np.pi)
        if self.reml:
            value += 2 * np.sum(np.log(np.diag(c_chol[0])))
        out = {"value": value, "beta": beta, "phi": phi, "grad_sigma": grad, "parts": parts, "resid": resid, "ok": True}
        self.cache = {key: out}
        return out

    def _fail(self, key) -> dict:
        out = {"value": np.inf, "ok": False}
        self.cache = {key: out}
        return out


def _criterion(lik: _Likelihood, structure: Structure, theta: np.ndarray) -> tuple[float, np.ndarray, dict | None]:
    """-2 log L at theta, its analytic gradient by theta, and the evaluation (None if Sigma is
    not positive definite)."""
    with np.errstate(over="ignore", invalid="ignore"):  # a step too far: Sigma not finite, refused below
        phi = np.real(structure.natural(theta))
        sigma = np.real(structure.sigma(phi))
    if not np.all(np.isfinite(sigma)):
        return np.inf, np.zeros_like(theta), None
    ev = lik.evaluate(sigma)
    if not ev["ok"]:
        return np.inf, np.zeros_like(theta), None
    d_sigma = _complex_jacobian(lambda t: structure.sigma(structure.natural(t)), theta)
    return ev["value"], np.einsum("kab,ab->k", d_sigma, ev["grad_sigma"]), ev


def _numeric_hessian(grad: Callable, x: np.ndarray) -> np.ndarray:
    """Central differences of an analytic gradient, symmetrised."""
    n = len(x)
    out = np.empty((n, n))
    for k in range(n):
        h = 1e-5 * max(1.0, abs(x[k]))
        e = np.zeros(n)
        e[k] = h
        out[:, k] = (grad(x + e) - grad(x - e)) / (2 * h)
    return (out + out.T) / 2


def _optimise(lik: _Likelihood, structure: Structure, theta0: np.ndarray) -> tuple[np.ndarray, bool, str]:
    """Fisher scoring (the expected information, always positive definite) with step halving;
    BFGS on the analytic gradient when scoring stalls. Converged: the gradient is below
    GRADIENT_TOL relative to the criterion (the caller then checks the observed information)."""
    theta = np.asarray(theta0, dtype=float)
    value, grad, ev = _criterion(lik, structure, theta)
    if ev is None:
        return theta, False, "the starting covariance is not positive definite"
    for iteration in range(100):
        if np.max(np.abs(grad)) < 1e-10 * max(1.0, abs(value)):
            break
        phi = np.real(structure.natural(theta))
        jac = _complex_jacobian(structure.natural, theta)  # (theta, phi)
        d1 = _complex_jacobian(structure.sigma, phi)
        hess = jac @ _information(lik, ev, d1, None)["expected"] @ jac.T
        if iteration >= 5:  # scoring converges linearly: Newton on the observed Hessian if it is positive definite
            observed = _numeric_hessian(lambda t: _criterion(lik, structure, t)[1], theta)
            if np.all(np.isfinite(observed)) and np.linalg.eigvalsh(observed).min() > 0:
                hess = observed
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        for _ in range(30):
            new_value, new_grad, new_ev = _criterion(lik, structure, theta - step)
            if new_ev is not None and new_value <= value + 1e-13 * max(1.0, abs(value)):
                break
            step = step / 2
        else:
            break
        if np.array_equal(theta - step, theta):
            break
        theta, value, grad, ev = theta - step, new_value, new_grad, new_ev
        vals = np.linalg.eigvalsh(np.real(structure.sigma(np.real(structure.natural(theta)))))
        if vals.min() <= CONDITION_TOL * vals.max():
            return theta, False, "the covariance matrix approaches a singular one (a boundary of the parameter space)"
    if np.max(np.abs(grad)) > 1e-10 * max(1.0, abs(value)):
        res = optimize.minimize(
            lambda t: _criterion(lik, structure, t)[:2],
            theta,
            jac=True,
            method="BFGS",
            options={"gtol": 1e-10, "maxiter": 500},
        )
        if np.isfinite(res.fun) and res.fun <= value:
            theta = res.x
            value, grad, ev = _criterion(lik, structure, theta)
    if ev is None or not np.isfinite(value):
        return theta, False, "the likelihood is not finite at the estimates"
    if np.max(np.abs(grad)) > GRADIENT_TOL * max(1.0, abs(value)):
        return theta, False, f"the gradient did not vanish (max {np.max(np.abs(grad)):.2g})"
    return theta, True, ""


# ---------------------------------------------------------------------------------------------
# inference in the reported parameters phi
# ---------------------------------------------------------------------------------------------


def _sigma_derivatives(structure: Structure, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """dSigma/dphi_k (complex step) and d2Sigma/dphi_k dphi_l (central differences of those)."""
    first = _complex_jacobian(structure.sigma, phi)
    n = len(phi)
    second = np.zeros((n, n, *first.shape[1:]))
    for l_ in range(n):
        h = 1e-5 * max(1e-2, abs(phi[l_]))
        e = np.zeros(n)
        e[l_] = h
        second[:, l_] = (_complex_jacobian(structure.sigma, phi + e) - _complex_jacobian(structure.sigma, phi - e)) / (
            2 * h
        )
    second = (second + second.transpose(1, 0, 2, 3)) / 2
    second[np.abs(second) < 1e-9 * max(1.0, np.max(np.abs(first)))] = 0.0  # linear structures: exactly 0
    return first, second


def _information(lik: _Likelihood, ev: dict, d1: np.ndarray, d2: np.ndarray | None) -> dict:
    """Observed Hessian of -2 log L by phi (analytic), the expected information, and the KR
    matrices P_k = X'W D_k W X, Q_kl = X'W D_k W D_l W X, R_kl = X'W D_kl W X (D: derivatives of
    Sigma). With u = P y: d2(-2 log L) = -tr(P V_k P V_l) + 2 u' V_k P V_l u + <D_kl, dL/dSigma>."""
    k_n, p = len(d1), lik.n_coef
    phi_b = ev["phi"]
    t1 = np.zeros((k_n, k_n))  # sum_i tr(W D_k W D_l)
    quad = np.zeros((k_n, k_n))  # sum_i r_i' W D_k W D_l W r_i
    pm = np.zeros((k_n, p))  # X'W D_k W r
    pk = np.zeros((k_n, p, p))
    qkl = np.zeros((k_n, k_n, p, p))
    rkl = np.zeros((k_n, k_n, p, p))
    for (pat, w), (rr, gxr) in zip(ev["parts"], ev["resid"], strict=True):
        idx = np.ix_(pat.visits, pat.visits)
        dk = np.array([d[idx] for d in d1])  # (k, a, b)
        dw = dk @ w  # D_k W
        wdw = w @ dw  # W D_k W
        wdwdw = np.einsum("kab,lbc->klac", wdw, dw)  # W D_k W D_l W
        t1 += pat.n * np.einsum("kab,lba->kl", dw, dw)
        pk += np.tensordot(wdw, pat.gx, axes=([1, 2], [0, 1]))
        qkl += np.tensordot(wdwdw, pat.gx, axes=([2, 3], [0, 1]))
        if d2 is None:
            continue  # the expected information only (Fisher scoring)
        rkl += np.tensordot(w @ d2[:, :, idx[0], idx[1]] @ w, pat.gx, axes=([2, 3], [0, 1]))
        quad += np.einsum("klab,ba->kl", wdwdw, rr)
        pm += np.tensordot(wdw, gxr, axes=([1, 2], [0, 1]))
    t2 = np.einsum("pq,klqp->kl", phi_b, qkl)
    phi_p = phi_b @ pk  # Phi P_k
    t3 = np.einsum("kpq,lqp->kl", phi_p, phi_p)
    trace_pvpv = t1 - 2 * t2 + t3 if lik.reml else t1
    if d2 is None:
        return {"expected": (trace_pvpv + trace_pvpv.T) / 2}
    quad_p = quad - pm @ phi_b @ pm.T  # REML: from the projection P; ML: from profiling beta out
    observed = -trace_pvpv + 2 * quad_p + np.einsum("klab,ab->kl", d2, ev["grad_sigma"])
    return {
        "observed": (observed + observed.T) / 2,
        "expected": (trace_pvpv + trace_pvpv.T) / 2,  # E[d2(-2 log L)] = tr(P V_k P V_l)
        "P": pk,
        "Q": qkl,
        "R": rkl,
    }


def _satterthwaite_1d(l_: np.ndarray, phi_b: np.ndarray, dphi: np.ndarray, cov_theta: np.ndarray) -> float:
    var = l_ @ phi_b @ l_
    g = (dphi @ l_) @ l_
    denom = g @ cov_theta @ g
    return float(2 * var**2 / denom) if denom > 0 else np.inf


def _satterthwaite_md(lmat, phi_b, dphi, cov_theta) -> float:
    """SAS PROC MIXED / lmerTest: Satterthwaite df of each eigen-direction of L Phi L', combined."""
    vals, vecs = np.linalg.eigh(lmat @ phi_b @ lmat.T)
    q = len(vals)
    rows = (vecs.T @ lmat) / np.sqrt(vals)[:, None]
    nus = np.array([_satterthwaite_1d(r, phi_b, dphi, cov_theta) for r in rows])
    e = np.sum(np.where(nus > 2, nus / (nus - 2), 0.0))
    return float(2 * e / (e - q)) if e > q else np.nan


def _kr_covariance(phi_b: np.ndarray, info: dict, w: np.ndarray) -> np.ndarray:
    """Kenward & Roger's (1997) adjusted covariance of beta, Phi_A = Phi + 2 Phi (sum_ij W_ij (Q_ij -
    P_i Phi P_j - R_ij / 4)) Phi, with W = ``w`` (inverse information of the covariance parameters,
    of log L). With ``info["R"]`` zero it is SAS's DDFM=KR(LINEAR)."""
    inner = np.zeros_like(phi_b)
    for i, j in itertools.product(range(len(w)), repeat=2):
        inner += w[i, j] * (info["Q"][i, j] - info["P"][i] @ phi_b @ info["P"][j] - info["R"][i, j] / 4)
    return phi_b + 2 * phi_b @ inner @ phi_b


def _kenward_roger(lmat, phi_b, pk, cov_theta) -> tuple[float, float]:
    """Kenward & Roger (1997): denominator df m and the F scale lambda for the rows ``lmat``."""
    q = lmat.shape[0]
    theta_mat = lmat.T @ np.linalg.solve(lmat @ phi_b @ lmat.T, lmat)
    mats = [theta_mat @ phi_b @ p_ @ phi_b for p_ in pk]
    tr = np.array([np.trace(m) for m in mats])
    a1 = tr @ cov_theta @ tr
    a2 = sum(cov_theta[i, j] * np.trace(mats[i] @ mats[j]) for i in range(len(pk)) for j in range(len(pk)))
    if not a2 > 0:  # the variance of the contrast does not depend on the covariance parameters
        return np.inf, 1.0
    b = (a1 + 6 * a2) / (2 * q)
    g = ((q + 1) * a1 - (q + 4) * a2) / ((q + 2) * a2)
    c1, c2, c3 = g / (3 * q + 2 * (1 - g)), (q - g) / (3 * q + 2 * (1 - g)), (q + 2 - g) / (3 * q + 2 * (1 - g))
    e_star = 1 / (1 - a2 / q)
    v_star = 2 / q * (1 + c1 * b) / ((1 - c2 * b) ** 2 * (1 - c3 * b))
    rho = v_star / (2 * e_star**2)
    m = 4 + (q + 2) / (q * rho - 1)
    return float(m), float(m / (e_star * (m - 2)))


# ---------------------------------------------------------------------------------------------
# data -> design
# ---------------------------------------------------------------------------------------------


@dataclass
class _Design:
    patterns: list[_Pattern]
    grid: np.ndarray  # (arms * visits, p): the reference grid
    n_obs: int
    n_participants: int
    rank_between: int
    cell_counts: np.ndarray  # (arms, visits)
    excluded: int
    note: str


def _design(
    data: pd.DataFrame,
    arms: Sequence[str],
    visits: Sequence[str],
    baseline: str | None,
    factors: Sequence[str],
    numeric: Sequence[str],
) -> _Design:
    d = data[data["arm"].isin(arms) & data["time"].isin([*visits, *([baseline] if baseline else [])])]
    d = d[d["value"].notna()]
    n_arms, n_visits = len(arms), len(visits)
    notes = []
    values = d.pivot(index="participant_id", columns="time", values="value")
    people = d.groupby("participant_id", sort=True).first()
    keep, covars = pd.Series(True, index=values.index), {}
    reasons = []
    if baseline is not None:
        base = values[baseline] if baseline in values else pd.Series(np.nan, index=values.index)
        reasons.append((base.isna(), f"no value at the baseline {baseline}"))
        covars["baseline"] = base
    for col in (*factors, *numeric):
        reasons.append((people[col].isna(), f"no {col}"))
    values = values.reindex(columns=list(visits))
    reasons.append((values.isna().all(axis=1), "no value at any visit"))
    for missing, why in reasons:
        missing = missing & keep  # each participant counted once, under the first reason
        if missing.any():
            notes.append(f"{int(missing.sum())} participant(s) left out: {why}")
        keep &= ~missing
    excluded = int((~keep).sum())
    values, people = values[keep], people.loc[keep[keep].index]
    arm_idx = people["arm"].map({a: i for i, a in enumerate(arms)}).to_numpy(dtype=int)
    factor_levels = {f: sorted(people[f].astype(str).unique()) for f in factors}
    # columns: cells, factor dummies, numeric, baseline x visit
    n_cells = n_arms * n_visits
    n_fac = sum(len(lv) - 1 for lv in factor_levels.values())
    p = n_cells + n_fac + len(numeric) + (n_visits if baseline is not None else 0)
    between = np.zeros((len(people), n_fac + len(numeric)))
    col = 0
    for f, levels in factor_levels.items():
        lv = people[f].astype(str).to_numpy()
        for level in levels[1:]:
            between[:, col] = lv == level
            col += 1
    for c in numeric:
        between[:, col] = people[c].astype(float).to_numpy()
        col += 1
    base_values = covars["baseline"][keep].to_numpy(float) if baseline is not None else None
    y_all = values.to_numpy(float)
    observed = ~np.isnan(y_all)
    # observations used, for covariate means over rows (emmeans' reference grid)
    rows_per_person = observed.sum(axis=1)
    weights = np.repeat(np.arange(len(people)), rows_per_person)
    grid = np.zeros((n_cells, p))
    for a, v in itertools.product(range(n_arms), range(n_visits)):
        row = grid[a * n_visits + v]
        row[a * n_visits + v] = 1.0
        col = n_cells
        for levels in factor_levels.values():
            row[col : col + len(levels) - 1] = 1.0 / len(levels)
            col += len(levels) - 1
        for k in range(len(numeric)):
            row[col + k] = between[weights, n_fac + k].mean()
        col += len(numeric)
        if baseline is not None:
            row[col + v] = base_values[weights].mean()
    patterns = []
    masks = observed @ (1 << np.arange(n_visits))
    for mask in np.unique(masks):
        who = np.flatnonzero(masks == mask)
        vis = np.flatnonzero(observed[who[0]])
        x = np.zeros((len(who), len(vis), p))
        for j, v in enumerate(vis):
            x[np.arange(len(who)), j, arm_idx[who] * n_visits + v] = 1.0
            x[:, j, n_cells : n_cells + between.shape[1]] = between[who]
            if baseline is not None:
                x[:, j, n_cells + between.shape[1] + v] = base_values[who]
        patterns.append(_Pattern.of(vis, x, y_all[np.ix_(who, vis)]))
    counts = np.zeros((n_arms, n_visits), dtype=int)
    for a in range(n_arms):
        counts[a] = observed[arm_idx == a].sum(axis=0)
    xb = np.column_stack([np.eye(n_arms)[arm_idx], between] + ([base_values] if baseline is not None else []))
    rank_between = int(np.linalg.matrix_rank(xb)) if len(xb) else 0
    return _Design(patterns, grid, int(observed.sum()), len(people), rank_between, counts, excluded, "; ".join(notes))


# ---------------------------------------------------------------------------------------------
# the fit
# ---------------------------------------------------------------------------------------------


def _cross_products(design: _Design) -> np.ndarray:
    """X'X over every analysed row."""
    return sum(np.einsum("aapq->pq", pat.gx) for pat in design.patterns)


def _start_sigma(design: _Design, n_visits: int) -> np.ndarray:
    """Pairwise (co)variances of the OLS residuals, made positive definite: the optimiser's start."""
    beta = np.linalg.lstsq(_cross_products(design), sum(np.einsum("aap->p", pat.gy) for pat in design.patterns))[0]
    total, count = np.zeros((n_visits, n_visits)), np.zeros((n_visits, n_visits))
    for pat in design.patterns:
        rr, _ = pat.residual_products(beta)
        total[np.ix_(pat.visits, pat.visits)] += rr
        count[np.ix_(pat.visits, pat.visits)] += pat.n
    s = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    diag = np.diag(s)
    fill = diag[diag > 0].mean() if np.any(diag > 0) else 1.0
    s[np.diag_indices(n_visits)] = np.where(diag > 0, diag, fill)
    vals, vecs = np.linalg.eigh(s)
    floor = max(vals.max(), 1e-8) * 1e-3
    return (vecs * np.maximum(vals, floor)) @ vecs.T


def fit_mmrm(
    data: pd.DataFrame,
    arms: Sequence[str],
    visits: Sequence[str],
    *,
    covariance: str = "unstructured",
    fallback: Sequence[str] = DEFAULT_FALLBACK,
    df: str = "satterthwaite",
    method: str = "reml",
    baseline: str | None = None,
    factors: Sequence[str] = (),
    numeric: Sequence[str] = (),
    alpha: float = 0.05,
    kr_information: str = "observed",
) -> dict[str, pd.DataFrame]:
    """Fit the MMRM of one outcome.

    Parameters
    ----------
    data
        Long data: ``participant_id``, ``arm``, ``time``, ``value`` (NaN or no row: missing), and a
        column per covariate (the same value on every row of a participant). Rows of other arms
        and of time points that are neither a visit nor the baseline are ignored.
    arms
        Arms in order; contrasts are each arm minus the first.
    visits
        The modelled visits in order (AR(1) and Toeplitz use this order as time).
    covariance, fallback
        Structure of Sigma (:data:`STRUCTURES`) and those tried in order when it does not converge.
    df
        :data:`DF_METHODS`. ``kenward_roger`` needs ``method="reml"``.
    method
        ``reml`` or ``ml``.
    baseline
        A time point whose value is a covariate with one slope per visit (baseline × visit);
        participants without it are left out (counted in ``n_excluded``).
    factors, numeric
        Columns of ``data`` used as categorical / numeric covariates.
    kr_information
        :data:`KR_INFORMATION`: the information matrix whose inverse W enters Kenward–Roger's
        adjusted covariance and df. ``observed`` (default) is SAS PROC MIXED's DDFM=KR (and the R
        package mmrm's); ``expected`` is pbkrtest's (and emmeans' for lmer fits). They differ when
        values are missing.

    Returns
    -------
    dict of DataFrames, unrounded: ``lsmeans`` (:data:`LSMEANS_COLUMNS`), ``contrasts``
    (:data:`CONTRAST_COLUMNS`), ``tests`` (:data:`TEST_COLUMNS`), ``covariance``
    (:data:`COVARIANCE_COLUMNS`), ``fit`` (one row, :data:`FIT_COLUMNS`; ``criterion`` is -2 log L,
    REML or ML, with the 2 pi constant, as SAS prints it). When no structure converges or the
    model is not estimable, only ``fit`` has a row, and its ``note`` says why.
    """
    if df not in DF_METHODS:
        raise ValueError(f"unknown df method {df!r}; one of {', '.join(DF_METHODS)}")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; one of {', '.join(METHODS)}")
    if kr_information not in KR_INFORMATION:
        raise ValueError(f"unknown kr_information {kr_information!r}; one of {', '.join(KR_INFORMATION)}")
    for s in (covariance, *fallback):
        if s not in STRUCTURES:
            raise ValueError(f"unknown covariance structure {s!r}; one of {', '.join(STRUCTURES)}")
    design = _design(data, list(arms), list(visits), baseline, list(factors), list(numeric))
    covariate_text = ", ".join(([f"baseline ({baseline}) × visit"] if baseline else []) + list(factors) + list(numeric))
    fit_row = {
        "structure": "",
        "requested_structure": covariance,
        "df_method": df,
        "method": method,
        "criterion": np.nan,
        "converged": False,
        "n_participants": design.n_participants,
        "n_obs": design.n_obs,
        "n_excluded": design.excluded,
        "covariates": covariate_text,
        "note": design.note,
    }
    empty = {
        "lsmeans": pd.DataFrame(columns=LSMEANS_COLUMNS),
        "contrasts": pd.DataFrame(columns=CONTRAST_COLUMNS),
        "tests": pd.DataFrame(columns=TEST_COLUMNS),
        "covariance": pd.DataFrame(columns=COVARIANCE_COLUMNS),
    }

    def refuse(reason: str) -> dict[str, pd.DataFrame]:
        fit_row["note"] = "; ".join(filter(None, [design.note, reason]))
        return {**empty, "fit": pd.DataFrame([fit_row], columns=FIT_COLUMNS)}

    if df == "kenward_roger" and method != "reml":
        return refuse("Kenward–Roger needs REML")
    if design.n_participants == 0:
        return refuse("no values")
    empty_cells = [f"{arms[a]} at {visits[v]}" for a, v in zip(*np.nonzero(design.cell_counts == 0), strict=True)]
    if empty_cells:
        return refuse("no values in " + ", ".join(empty_cells))
    p = design.grid.shape[1]
    if not design.patterns or np.linalg.matrix_rank(_cross_products(design), hermitian=True) < p:
        return refuse("the mean model is not estimable (a covariate is constant or collinear with the design)")
    if design.n_obs - p <= 0:
        return refuse("no residual degrees of freedom")
    lik = _Likelihood(design.patterns, len(visits), design.n_obs, p, method == "reml")
    s0 = _start_sigma(design, len(visits))
    failures = []
    for name in dict.fromkeys((covariance, *fallback)):
        structure = make_structure(name, visits)
        theta, ok, why = _optimise(lik, structure, structure.start(s0))
        phi = np.real(structure.natural(theta))
        sigma = structure.sigma(phi)
        if ok:
            vals = np.linalg.eigvalsh(sigma)
            if vals.min() <= CONDITION_TOL * vals.max():
                ok, why = False, "the covariance matrix is singular at the estimates"
        if ok:
            d1, d2 = _sigma_derivatives(structure, phi)
            info = _information(lik, lik.evaluate(sigma), d1, d2)
            if not np.all(np.isfinite(info["observed"])) or np.linalg.eigvalsh(info["observed"]).min() <= 0:
                ok, why = False, "the observed information of the covariance parameters is not positive definite"
        if ok:
            break
        failures.append(f"{structure.name}: {why}")
    else:
        return refuse("no covariance structure converged (" + "; ".join(failures) + ")")
    fit_row["note"] = "; ".join(filter(None, [design.note, *(f"{f}, fell back" for f in failures)]))
    return _inference(
        lik, design, structure, phi, sigma, info, list(arms), list(visits), df, alpha, fit_row, kr_information
    )


def _inference(
    lik, design, structure, phi, sigma, info, arms, visits, df, alpha, fit_row, kr_information="observed"
) -> dict[str, pd.DataFrame]:
    ev = lik.evaluate(sigma)
    beta, phi_b = ev["beta"], ev["phi"]
    dphi = phi_b @ info["P"] @ phi_b  # dPhi/dphi_k = Phi P_k Phi
    cov_obs = 2 * np.linalg.inv(info["observed"])  # inverse observed information of log L
    # W of Kenward-Roger: SAS PROC MIXED uses the inverse observed information (reproduced to 1e-6 in
    # tests/test_mmrm_sas.py, where the expected one is off by up to 17 % in df), pbkrtest the expected
    cov_kr = cov_obs if kr_information == "observed" else 2 * np.linalg.inv(info["expected"])
    n_arms, n_visits = len(arms), len(visits)
    vcov = _kr_covariance(phi_b, info, cov_kr) if df == "kenward_roger" else phi_b
    resid_df = design.n_obs - lik.n_coef
    df_between = design.n_participants - design.rank_between
    df_within = design.n_obs - design.n_participants - (lik.n_coef - design.rank_between)

    def one_df(l_: np.ndarray, within: bool) -> float:
        if df == "satterthwaite":
            return _satterthwaite_1d(l_, phi_b, dphi, cov_obs)
        if df == "kenward_roger":
            return _kenward_roger(l_[None, :], phi_b, info["P"], cov_kr)[0]
        if df == "residual":
            return float(resid_df)
        return float(df_within if within else min(df_between, df_within))

    grid = design.grid
    lsm = []
    for a, v in itertools.product(range(n_arms), range(n_visits)):
        l_ = grid[a * n_visits + v]
        est, se, d = l_ @ beta, np.sqrt(l_ @ vcov @ l_), one_df(l_, n_arms == 1)
        half = stats.t.ppf(1 - alpha / 2, d) * se
        lsm.append([arms[a], visits[v], est, se, d, est - half, est + half, int(design.cell_counts[a, v])])
    contrasts = []
    for v, a in itertools.product(range(n_visits), range(1, n_arms)):
        l_ = grid[a * n_visits + v] - grid[v]
        est, se, d = l_ @ beta, np.sqrt(l_ @ vcov @ l_), one_df(l_, False)
        t = est / se
        half = stats.t.ppf(1 - alpha / 2, d) * se
        p_ = 2 * stats.t.sf(abs(t), d)
        contrasts.append([visits[v], f"{arms[a]} - {arms[0]}", est, se, d, t, p_, est - half, est + half])
    tests = []
    diff_a = np.hstack([-np.ones((n_arms - 1, 1)), np.eye(n_arms - 1)])
    diff_v = np.hstack([-np.ones((n_visits - 1, 1)), np.eye(n_visits - 1)])
    effects = []
    if n_arms > 1:
        effects.append(("arm", np.kron(diff_a, np.ones((1, n_visits)) / n_visits), False))
    if n_visits > 1:
        effects.append(("visit", np.kron(np.ones((1, n_arms)) / n_arms, diff_v), True))
    if n_arms > 1 and n_visits > 1:
        effects.append(("arm:visit", np.kron(diff_a, diff_v), True))
    for name, cmat, within in effects:
        lmat = cmat @ grid
        q = lmat.shape[0]
        est = lmat @ beta
        f = float(est @ np.linalg.solve(lmat @ vcov @ lmat.T, est) / q)
        if df == "satterthwaite":
            den = _satterthwaite_md(lmat, phi_b, dphi, cov_obs) if q > 1 else one_df(lmat[0], within)
        elif df == "kenward_roger":
            den, lam = _kenward_roger(lmat, phi_b, info["P"], cov_kr)
            f = f * lam
        elif df == "residual":
            den = float(resid_df)
        else:
            den = float(df_within if within else df_between)
        tests.append([name, q, den, f, stats.f.sf(f, q, den) if np.isfinite(den) else np.nan])
    cov_rows = [[structure.name, n, float(v)] for n, v in zip(structure.names, phi, strict=True)]
    fit_row.update(structure=structure.name, criterion=float(ev["value"]), converged=True)
    return {
        "lsmeans": pd.DataFrame(lsm, columns=LSMEANS_COLUMNS),
        "contrasts": pd.DataFrame(contrasts, columns=CONTRAST_COLUMNS),
        "tests": pd.DataFrame(tests, columns=TEST_COLUMNS),
        "covariance": pd.DataFrame(cov_rows, columns=COVARIANCE_COLUMNS),
        "fit": pd.DataFrame([fit_row], columns=FIT_COLUMNS),
    }


def fit_mmrm_outcomes(
    data: pd.DataFrame,
    participants: pd.DataFrame,
    outcomes: Sequence[str],
    arms: Sequence[str],
    times: Sequence[str],
    settings: dict,
    characteristic_types: dict[str, str],
    alpha: float = 0.05,
) -> dict[str, pd.DataFrame]:
    """:func:`fit_mmrm` for every outcome of the analysis data, each table with an ``outcome``
    column first.

    ``settings`` is the config block ``analysis.mmrm`` (``covariance``, ``fallback``, ``df``,
    ``method``, ``covariates`` with ``baseline_value`` and ``characteristics``, and ``outcomes``:
    per-outcome overrides of any of these). With ``baseline_value`` the first time point is the
    baseline covariate (× visit) and the later ones are the visits; otherwise every time point is
    a visit. ``characteristics`` are baseline characteristics of the participants file
    (``characteristic_types``: their configured type, categorical -> factor, numeric -> numeric).
    """
    tables: dict[str, list[pd.DataFrame]] = {k: [] for k in ("lsmeans", "contrasts", "tests", "covariance", "fit")}
    overrides = settings.get("outcomes") or {}
    for outcome in outcomes:
        s = {**settings, **overrides.get(outcome, {})}
        covariates = {**settings.get("covariates", {}), **overrides.get(outcome, {}).get("covariates", {})}
        chars = list(covariates.get("characteristics", []))
        unknown = [c for c in chars if c not in characteristic_types]
        if unknown:
            raise ValueError(f"analysis.mmrm covariates {unknown} are not baseline characteristics of the config")
        baseline = times[0] if covariates.get("baseline_value", False) else None
        visits = list(times[1:]) if baseline else list(times)
        rows = data[data["outcome"] == outcome][["participant_id", "arm", "time", "value"]]
        if chars:
            rows = rows.merge(participants[["participant_id", *chars]], on="participant_id", how="left")
        result = fit_mmrm(
            rows,
            arms,
            visits,
            covariance=s.get("covariance", "unstructured"),
            fallback=tuple(s.get("fallback", DEFAULT_FALLBACK)),
            df=s.get("df", "satterthwaite"),
            method=s.get("method", "reml"),
            baseline=baseline,
            factors=[c for c in chars if characteristic_types[c] == "categorical"],
            numeric=[c for c in chars if characteristic_types[c] != "categorical"],
            alpha=alpha,
        )
        for key, table in result.items():
            tables[key].append(table.assign(outcome=outcome)[["outcome", *table.columns]])
    columns = {
        "lsmeans": LSMEANS_COLUMNS,
        "contrasts": CONTRAST_COLUMNS,
        "tests": TEST_COLUMNS,
        "covariance": COVARIANCE_COLUMNS,
        "fit": FIT_COLUMNS,
    }
    return {
        key: pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["outcome", *columns[key]])
        for key, parts in tables.items()
    }
