"""Linear mixed model: a sensitivity analysis to the complete-case mixed ANOVA.

The mixed ANOVA (:mod:`trialflow.stats.anova`) uses only the participants seen at every time
point. This model uses every available value, so participants with a missed visit still
contribute (valid if values are missing at random given the observed ones, not only
completely at random).

Model
-----
For participant *i* in arm *a* at time *t*::

    value_it = mu + alpha_a + tau_t + (alpha tau)_at + u_i + e_it,
    u_i ~ N(0, sigma_u^2),  e_it ~ N(0, sigma_e^2), independent

i.e. ``value ~ C(arm) * C(time)`` with a random intercept per participant (compound-symmetric
covariance within a participant; with one arm ``value ~ C(time)``, and only the time effect is
tested), fitted by REML (profiled, see Fitting). The fixed effects
use sum-to-zero contrasts (R's ``contr.sum``: the last level is minus the sum of the others), so
the Type III tests of the main effects are tests at the *unweighted* means, as in the ANOVA.
It is the model of R's

    options(contrasts = c("contr.sum", "contr.poly"))
    fit <- lme4::lmer(value ~ arm * time + (1 | participant_id), data = d, REML = TRUE)
    car::Anova(fit, type = 3)                                  # the tests
    emmeans::emmeans(fit, ~ arm * time, lmer.df = "asymptotic")  # the marginal means

and is checked against it in ``tests/test_lmm.py``.

Tests are Wald chi-square tests (Type III): for the coefficients b_L of one term,
chi2 = b_L' (Cov b_L)^-1 b_L on df = number of coefficients (group: arms − 1, time: k − 1,
interaction: (arms − 1)(k − 1)); p from the chi-square distribution. They are asymptotic
(no small-sample denominator df); R's Kenward–Roger F tests
(``car::Anova(fit, type = 3, test.statistic = "F")``, pbkrtest) are the small-sample
alternative and are not computed here.

Fitting: with one variance ratio θ = σ²_u / σ²_e the REML criterion profiles to a function of θ
alone, computed in closed form and vectorised over participants (:class:`_RemlProfile`: β, its
covariance, σ²_e and the criterion all follow from θ). θ is found by a bounded Brent search
over the intra-class correlation θ / (1 + θ) in [0, 1), then solved to ~1e-13 (relative) as the
root of the criterion's closed-form derivative (:meth:`_RemlProfile.score`, bracketed Brent
root, xtol 1e-14); the boundary θ = 0 is evaluated exactly: if it is no worse, σ²_u = 0 is the
estimate (lme4's singular fit), flagged ``boundary``. This replaced statsmodels'
``MixedLM.fit``, whose default BFGS stops short of the boundary (the demo's BDNF: σ²_u ≈ 7.5,
REML criterion 0.1 above the optimum) and whose fallback took ~7 s per outcome at 2,000
participants; the profile search takes milliseconds. The search alone placed θ to ~1e-7, as
lme4's own optimizer does (both compare criterion values, flat to second order at the minimum):
Wald χ² differed from lme4/car by up to 3e-8. With the score's root the tests agree with
car::Anova at the REML optimum to 1e-9 relative (``tests/test_lmm.py``, R:
``tests/data/posthoc/lmm_precision.R``).

Cov b is the usual GLS covariance (sum_i X_i' V_i^-1 X_i)^-1 at the REML variance estimates,
V_i = sigma_e^2 I + sigma_u^2 J, which is what lme4's ``vcov`` returns. statsmodels'
``bse_fe`` is *not* used: it inverts the observed information of all parameters jointly,
which couples the fixed effects with the variance parameters and gives standard errors up to
~1e-4 (relative) different from lme4's on the 3 × 4 reference data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats

TEST_COLUMNS = ["effect", "test", "chi2", "df", "p", "n_subjects", "n_obs"]
EMM_COLUMNS = ["arm", "time", "emmean", "se", "ci_low", "ci_high", "n_obs"]
FIXED_COLUMNS = ["term", "r_name", "estimate", "se", "z", "p"]
MODEL_COLUMNS = [
    "n_obs",
    "n_subjects",
    "var_subject",
    "var_residual",
    "reml_criterion",
    "converged",
    "boundary",
    "optimizer_notes",
]


def sum_contrasts(n_levels: int) -> np.ndarray:
    """R's ``contr.sum``: an n × (n − 1) coding, identity on top, a row of −1 for the last level."""
    return np.vstack([np.eye(n_levels - 1), -np.ones((1, n_levels - 1))])


def mixed_model(
    data: pd.DataFrame,
    dv: str,
    within: str,
    between: str,
    subject: str,
    levels: list[str],
    arms: list[str],
    conf: float = 0.95,
) -> dict[str, pd.DataFrame]:
    """Random-intercept linear mixed model on all available data (see the module docstring).

    Parameters
    ----------
    data : long frame, one row per subject × time point; rows with a missing ``dv`` are
        dropped, participants with some missed visits are kept.
    dv, within, between, subject : column names of the value, time, arm and subject id.
    levels, arms : the time points and arms, in order. The order only changes the names and
        signs of the fixed-effect coefficients (the last level is the one left out of the
        sum coding), never the tests or the marginal means.

    Returns
    -------
    dict of frames:

    ``tests``
        effect (group | time | interaction, as :func:`trialflow.stats.anova.mixed_anova`; time
        only with one arm),
        test ('Wald chi-square, Type III'), chi2, df, p, n_subjects, n_obs.
    ``emmeans``
        arm, time, emmean (the model's cell mean), se (model-based, asymptotic), ci_low,
        ci_high (normal-theory ``conf`` interval, as emmeans with ``lmer.df = "asymptotic"``),
        n_obs (values in the cell).
    ``fixed_effects``
        term (e.g. ``arm[A]:time[t1]``), r_name (lme4's name, e.g. ``arm1:time1``), estimate,
        se, z, p (Wald z).
    ``model``
        one row: n_obs, n_subjects, var_subject (σ²_u), var_residual (σ²_e), reml_criterion
        (−2 × REML log-likelihood, as lme4's ``REMLcrit``), converged (the θ search converged),
        boundary (σ_u / σ_e < 1e-4, lme4's ``isSingular`` rule: the subject variance is
        estimated as 0, typically because the within-participant correlation is negative;
        the model is then ordinary least squares), optimizer_notes (a note on a boundary fit,
        '' if none).
    """
    levels, arms = list(levels), list(arms)
    if len(arms) < 1 or len(levels) < 2:
        raise ValueError("mixed_model needs at least one arm and two time points")
    d = data[data[within].isin(levels) & data[between].isin(arms)].dropna(subset=[dv])
    d = d.reset_index(drop=True)
    cells = d.groupby([between, within]).size()
    empty = [f"{a} × {t}" for a in arms for t in levels if cells.get((a, t), 0) == 0]
    if empty:
        raise ValueError(f"mixed_model needs a value in every arm × time cell; none in {', '.join(empty)}")

    X, names, r_names, term_cols = _design(d[between], d[within], arms, levels)
    y = d[dv].to_numpy(float)
    groups = d[subject].to_numpy()

    profile = _RemlProfile(X, y, groups)
    theta, converged = _reml_theta(profile)
    crit, var_e, beta, cov = profile(theta)
    crit0, var_e0, beta0, cov0 = profile(0.0)
    snapped = crit0 <= crit  # the boundary is at least as good: report sigma_u^2 = 0 exactly, as lme4
    notes = []
    if snapped:
        theta, crit, var_e, beta, cov = 0.0, crit0, var_e0, beta0, cov0
        notes.append("subject variance at the boundary 0 (singular fit): the model is ordinary least squares")
    var_u = theta * var_e
    se = np.sqrt(np.diag(cov))
    z = beta / se
    fixed = pd.DataFrame(
        {"term": names, "r_name": r_names, "estimate": beta, "se": se, "z": z, "p": 2 * stats.norm.sf(np.abs(z))}
    )

    n_subjects, n_obs = int(d[subject].nunique()), len(d)
    tests = []
    for effect in ("group", "time", "interaction") if len(arms) > 1 else ("time",):
        cols = term_cols[effect]
        b = beta[cols]
        chi2 = float(b @ np.linalg.solve(cov[np.ix_(cols, cols)], b))
        tests.append(
            {
                "effect": effect,
                "test": "Wald chi-square, Type III",
                "chi2": chi2,
                "df": float(len(cols)),
                "p": float(stats.chi2.sf(chi2, len(cols))),
                "n_subjects": n_subjects,
                "n_obs": n_obs,
            }
        )

    zcrit = stats.norm.ppf(0.5 + conf / 2)
    grid_arm = pd.Series([a for a in arms for _ in levels])
    grid_time = pd.Series([t for _ in arms for t in levels])
    L, *_ = _design(grid_arm, grid_time, arms, levels)
    emm = L @ beta
    emm_se = np.sqrt(np.einsum("ij,jk,ik->i", L, cov, L))
    emmeans = pd.DataFrame(
        {
            "arm": grid_arm,
            "time": grid_time,
            "emmean": emm,
            "se": emm_se,
            "ci_low": emm - zcrit * emm_se,
            "ci_high": emm + zcrit * emm_se,
            "n_obs": [int(cells.get((a, t), 0)) for a, t in zip(grid_arm, grid_time, strict=True)],
        }
    )
    info = pd.DataFrame(
        [
            {
                "n_obs": n_obs,
                "n_subjects": n_subjects,
                "var_subject": var_u,
                "var_residual": var_e,
                "reml_criterion": crit,
                "converged": converged,
                "boundary": bool(snapped or np.sqrt(theta) < 1e-4),
                "optimizer_notes": "; ".join(notes),
            }
        ]
    )
    return {
        "tests": pd.DataFrame(tests, columns=TEST_COLUMNS),
        "emmeans": emmeans.reindex(columns=EMM_COLUMNS),
        "fixed_effects": fixed.reindex(columns=FIXED_COLUMNS),
        "model": info[MODEL_COLUMNS],
    }


def _reml_theta(profile: _RemlProfile) -> tuple[float, bool]:
    """θ = σ²_u / σ²_e minimising the profiled REML criterion, and whether the search converged.

    Two stages. A bounded Brent search over the intra-class correlation ρ = θ / (1 + θ) in
    [0, 1) (a finite interval for every θ ≥ 0) finds the minimum's neighbourhood; it compares
    criterion values, which near a minimum change only with the square of the step, so it
    places θ to ~1e-8 relative at best. The minimum is then solved as the root of the
    criterion's derivative (:meth:`_RemlProfile.score`, closed form), bracketed around that
    estimate and found by Brent's method to xtol 1e-14 (and 4 × machine epsilon relative):
    θ to ~1e-13 relative. Without a sign change of the score near the estimate (a minimum
    at or next to the boundary θ = 0) the first estimate stands; the caller compares with θ = 0.
    """
    res = optimize.minimize_scalar(
        lambda rho: profile(rho / (1 - rho))[0], bounds=(0.0, 1 - 1e-9), method="bounded", options={"xatol": 1e-12}
    )
    theta = float(res.x / (1 - res.x))
    if not res.success or theta <= 0:
        return theta, bool(res.success)
    low, high = theta * (1 - 1e-4), theta * (1 + 1e-4)
    for _ in range(40):  # widen until the score changes sign (or give up: the search's θ stands)
        if profile.score(low) < 0 < profile.score(high):
            root = optimize.brentq(profile.score, low, high, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=200)
            return float(root), True
        low, high = low / 2, high * 2
    return theta, bool(res.success)


def _design(arm: pd.Series, time: pd.Series, arms: list[str], levels: list[str]):
    """Sum-coded design matrix of ``arm * time``, column names (ours and lme4's) and term columns."""
    ca, ct = sum_contrasts(len(arms)), sum_contrasts(len(levels))
    A = ca[pd.Categorical(arm, categories=arms).codes]
    T = ct[pd.Categorical(time, categories=levels).codes]
    # Interaction columns in R's order: the arm index varies fastest (arm1:time1, arm2:time1, ...).
    AT = np.column_stack([A[:, i] * T[:, j] for j in range(T.shape[1]) for i in range(A.shape[1])] or [A[:, :0]])
    X = np.column_stack([np.ones(len(A)), A, T, AT])
    na, nt = len(arms) - 1, len(levels) - 1
    names = (
        ["(Intercept)"]
        + [f"arm[{arms[i]}]" for i in range(na)]
        + [f"time[{levels[j]}]" for j in range(nt)]
        + [f"arm[{arms[i]}]:time[{levels[j]}]" for j in range(nt) for i in range(na)]
    )
    r_names = (
        ["(Intercept)"]
        + [f"arm{i + 1}" for i in range(na)]
        + [f"time{j + 1}" for j in range(nt)]
        + [f"arm{i + 1}:time{j + 1}" for j in range(nt) for i in range(na)]
    )
    term_cols = {
        "group": list(range(1, 1 + na)),
        "time": list(range(1 + na, 1 + na + nt)),
        "interaction": list(range(1 + na + nt, 1 + na + nt + na * nt)),
    }
    return X, names, r_names, term_cols


class _RemlProfile:
    """The REML criterion, GLS estimate and covariance as functions of θ = σ²_u / σ²_e.

    With V_i = σ²_e (I + θ J): (I + θ J)^-1 = I − c_i J, c_i = θ / (1 + n_i θ), so every
    X' V^-1 X is X'X − Σ_i c_i s_i s_i' / σ²_e (s_i = column sums of X_i): no per-subject loop.
    σ²_e is profiled out, σ²_e(θ) = r' (I + θ J)^-1 r / (n − p), and
    −2 REML log-likelihood = (n − p)(log 2π σ²_e + 1) + Σ log(1 + n_i θ) + log |X' (I + θ J)^-1 X|,
    lme4's ``REMLcrit`` (and −2 × statsmodels' REML ``llf``).
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, groups: np.ndarray):
        codes, _ = pd.factorize(groups)
        self.X, self.y, self.codes = X, y, codes
        self.n_i = np.bincount(codes).astype(float)
        self.sx = np.zeros((len(self.n_i), X.shape[1]))
        np.add.at(self.sx, codes, X)
        self.sy = np.bincount(codes, weights=y)
        self.xtx, self.xty = X.T @ X, X.T @ y

    def score(self, theta: float) -> float:
        """d(REML criterion)/dθ, in closed form: with A = X' (I + θ J)^-1 X, r the GLS
        residuals at θ, R_i the sum of participant i's residuals and d_i = 1 + n_i θ,

            Σ n_i / d_i − Σ s_i' A^-1 s_i / d_i² − (n − p) Σ (R_i / d_i)² / (r' (I + θ J)^-1 r),

        the REML score tr(P ZZ') − (n − p) y'P ZZ' P y / y'P y of the profiled criterion
        (P = V^-1 − V^-1 X A^-1 X' V^-1, V = I + θ ZZ'), written per participant.
        """
        d = 1 + self.n_i * theta
        c = theta / d
        xtvx = self.xtx - (self.sx * c[:, None]).T @ self.sx
        beta = np.linalg.solve(xtvx, self.xty - (self.sx * c[:, None]).T @ self.sy)
        r = self.y - self.X @ beta
        sums = np.bincount(self.codes, weights=r, minlength=len(self.n_i))
        n, p = self.X.shape
        quadratic = r @ r - np.sum(c * sums**2)
        leverage = np.einsum("ij,ij->i", self.sx, np.linalg.solve(xtvx, self.sx.T).T)
        return float(np.sum(self.n_i / d) - np.sum(leverage / d**2) - (n - p) * np.sum((sums / d) ** 2) / quadratic)

    def __call__(self, theta: float) -> tuple[float, float, np.ndarray, np.ndarray]:
        """(REML criterion, σ²_e, β, Cov β) at θ."""
        c = theta / (1 + self.n_i * theta)
        xtvx = self.xtx - (self.sx * c[:, None]).T @ self.sx
        beta = np.linalg.solve(xtvx, self.xty - (self.sx * c[:, None]).T @ self.sy)
        r = self.y - self.X @ beta
        n, p = self.X.shape
        var_e = (r @ r - np.sum(c * np.bincount(self.codes, weights=r, minlength=len(self.n_i)) ** 2)) / (n - p)
        crit = (
            (n - p) * (np.log(2 * np.pi * var_e) + 1) + np.sum(np.log1p(self.n_i * theta)) + np.linalg.slogdet(xtvx)[1]
        )
        return float(crit), float(var_e), beta, var_e * np.linalg.inv(xtvx)
