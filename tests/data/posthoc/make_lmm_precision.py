"""Write ``lmm_precision.csv``: a seeded data set the linear mixed model was never tuned on.

Run from anywhere:  python tests/data/posthoc/make_lmm_precision.py

Three arms (11, 14 and 13 participants) × four visits, a random intercept (SD 1.6) and
residual SD 2.1, with monotone dropout (five participants) and intermittent missed visits
(four): the data of the REML precision test in ``tests/test_lmm.py`` (R:
``tests/data/posthoc/lmm_precision.R``). Values are written with ``%.3f`` so R and pandas read
identical numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "lmm_precision.csv"
TIMES = ["w0", "w4", "w8", "w12"]


def make() -> pd.DataFrame:
    rng = np.random.default_rng(20261202)
    means = {"placebo": [30.0, 30.4, 30.9, 31.0], "low": [30.0, 31.5, 32.2, 33.0], "high": [30.0, 32.8, 34.1, 35.6]}
    rows, pid = [], 0
    for arm, n in [("placebo", 11), ("low", 14), ("high", 13)]:
        for _ in range(n):
            pid += 1
            u = rng.normal(0, 1.6)
            for t, mean in zip(TIMES, means[arm], strict=True):
                rows.append((f"Q{pid:03d}", arm, t, round(mean + u + rng.normal(0, 2.1), 3)))
    d = pd.DataFrame(rows, columns=["participant_id", "arm", "time", "value"])
    dropout = {"Q003": "w8", "Q009": "w12", "Q016": "w4", "Q022": "w12", "Q031": "w8"}  # missing from then on
    order = {t: i for i, t in enumerate(TIMES)}
    gone = d.apply(lambda r: r.participant_id in dropout and order[r.time] >= order[dropout[r.participant_id]], axis=1)
    missed = (
        d[["participant_id", "time"]]
        .apply(tuple, axis=1)
        .isin([("Q005", "w4"), ("Q013", "w8"), ("Q027", "w4"), ("Q036", "w8")])
    )
    return d[~gone & ~missed].reset_index(drop=True)


if __name__ == "__main__":
    make().to_csv(OUT, index=False, float_format="%.3f")
    print(f"wrote {OUT}")
