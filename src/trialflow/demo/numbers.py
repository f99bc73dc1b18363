"""Numeric helpers shared by the demo and synthetic generators.

:func:`exact_sample` draws values with an exact sample mean and covariance (the demo trial's
concentrations and functional outcomes); :func:`number_text` writes a number as plate maps
hold it (the demo and synthetic plates).
"""

from __future__ import annotations

import numpy as np


def exact_sample(rng: np.random.Generator, n: int, cov: np.ndarray, means: np.ndarray) -> np.ndarray:
    """n draws whose sample mean and sample covariance (n − 1) equal ``means`` and ``cov`` exactly."""
    z = rng.standard_normal((n, len(means)))
    z -= z.mean(axis=0)
    whiten = np.linalg.cholesky(np.atleast_2d(np.cov(z, rowvar=False)))
    z = z @ np.linalg.inv(whiten).T
    return z @ np.linalg.cholesky(cov).T + means


def number_text(v: float) -> str:
    """The shortest text that reads back as ``v``, without a trailing ``.0`` (``2000``, ``62.5``)."""
    s = repr(float(v))
    return s[:-2] if s.endswith(".0") else s
