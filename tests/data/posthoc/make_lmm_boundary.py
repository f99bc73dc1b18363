"""Write ``lmm_boundary.csv``: a seeded data set whose REML subject variance is 0.

Run from anywhere:  python tests/data/posthoc/make_lmm_boundary.py

Two arms (12 and 16 participants) × three visits with a *negative* within-participant
correlation (ρ = −0.35), two visits missing. A random-intercept model cannot represent a
negative correlation, so REML puts the subject variance on the boundary, 0 (lme4: "boundary
(singular) fit"): the case where statsmodels' gradient optimizers fail and trialflow's
``mixed_model`` must still agree with lme4 (``tests/test_lmm.py``; R:
``tests/data/posthoc/lmm_reference.R``). Values are written with ``%.3f`` so R and pandas read
identical numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "lmm_boundary.csv"


def make() -> pd.DataFrame:
    rng = np.random.default_rng(20240607)
    times = ["pre", "mid", "post"]
    sd, rho = 3.0, -0.35
    cov = sd**2 * ((1 - rho) * np.eye(3) + rho * np.ones((3, 3)))
    means = {"control": [20.0, 20.5, 21.0], "training": [20.0, 23.0, 25.0]}
    rows, pid = [], 0
    for arm, n in [("control", 12), ("training", 16)]:
        for y in rng.multivariate_normal(means[arm], cov, size=n):
            pid += 1
            rows += [(f"B{pid:03d}", arm, t, round(float(v), 3)) for t, v in zip(times, y, strict=True)]
    d = pd.DataFrame(rows, columns=["participant_id", "arm", "time", "value"])
    missed = d[["participant_id", "time"]].apply(tuple, axis=1).isin([("B004", "post"), ("B020", "mid")])
    return d[~missed].reset_index(drop=True)


if __name__ == "__main__":
    make().to_csv(OUT, index=False, float_format="%.3f")
    print(f"wrote {OUT}")
