"""Standard-curve fitting: all plates at once, plate by plate, and the trust-region fit, side by side.

    PYTHONPATH=src python benchmarks/bench_curves.py [--plates 1265] [--work /tmp/trialflow-bench-curves]

Writes the synthetic large trial (``trialflow.demo.synthetic``: 2,000 participants, 6 analytes,
1,265 plates), reads the standards of its first ``--plates`` plates as ``quantify_plate`` does
(blank-corrected ODs of the usable standard wells), then fits every plate's curve three times in
one process: all plates in one call of :func:`trialflow.elisa.curve.fit_curves` (as
``quantify_batch`` fits a batch's first curves), plate by plate with
:func:`~trialflow.elisa.curve.fit_curve` (all starts of a plate at once), and with the batched step
switched off (``least_squares`` trust-region from each start, then MINPACK LM: the fit before the
batching). For 4PL and 5PL it prints the CPU seconds of each, whether the first two agree bit for
bit, how many plates fell back to the trust-region fit, and how far the batched and trust-region
solutions are apart (parameters, relative; weighted residual sum of squares, relative: negative =
the batched fit is better).
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import time
from pathlib import Path

import numpy as np

from trialflow.demo.synthetic import write_synthetic_trial
from trialflow.elisa import curve
from trialflow.elisa.plate_map import read_manifest, read_plate_map
from trialflow.elisa.quantify import _merge_map, read_choice
from trialflow.elisa.readers import read_plate_export


def standards(work: Path, plates: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(nominal concentration, blank-corrected OD) of the usable standard wells of each plate."""
    if work.exists():
        shutil.rmtree(work)
    write_synthetic_trial(work)
    manifest = read_manifest(work / "elisa" / "plates.csv").head(plates)
    data = []
    for r in manifest.itertuples():
        w = _merge_map(read_plate_export(r.export_path, choice=read_choice(r, None)), read_plate_map(r.map_path))
        usable = w["flag"] == ""
        blank = w.loc[(w["role"] == "blank") & usable, "od"].mean()
        s = w[(w["role"] == "standard") & usable]
        data.append((s["nominal_conc"].to_numpy(float), s["od"].to_numpy(float) - blank))
    return data


def fit_all(data, model: str, batched: bool) -> tuple[list[curve.CurveFit], float]:
    original = curve._levenberg_marquardt
    if not batched:
        curve._levenberg_marquardt = lambda fun, jac, problems: [None] * len(problems)
    try:
        start = time.process_time()
        fits = [curve.fit_curve(x, y, model, "1/y^2") for x, y in data]
        return fits, time.process_time() - start
    finally:
        curve._levenberg_marquardt = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plates", type=int, default=1265)
    parser.add_argument("--work", type=Path, default=Path("/tmp/trialflow-bench-curves"))
    args = parser.parse_args()
    data = standards(args.work, args.plates)
    print(f"{len(data)} plates, weighting 1/y^2, CPU seconds (time.process_time), one process")
    print(
        "| model | all plates at once CPU | plate by plate CPU | the same bits | trust-region CPU | fell back "
        "| params rel. diff median / max | WRSS rel. diff min / max |"
    )
    print("|---|---:|---:|---|---:|---:|---|---|")
    for model in ("4PL", "5PL"):
        start = time.process_time()
        together = curve.fit_curves(data, model, "1/y^2")
        t_together = time.process_time() - start
        new, t_new = fit_all(data, model, batched=True)
        same = all(
            repr(dataclasses.asdict(a)) == repr(dataclasses.asdict(b)) for a, b in zip(together, new, strict=True)
        )
        old, t_old = fit_all(data, model, batched=False)
        rel = [
            max(abs(n.params[k] - o.params[k]) / abs(o.params[k]) for k in o.params)
            for n, o in zip(new, old, strict=True)
        ]
        wrss = [(n.cost - o.cost) / o.cost for n, o in zip(new, old, strict=True)]
        fell_back = sum("Levenberg" not in n.message for n in new)
        print(
            f"| {model} | {t_together:.2f} s | {t_new:.2f} s | {'yes' if same else 'NO'} | {t_old:.2f} s "
            f"| {fell_back} | "
            f"{np.median(rel):.1e} / {max(rel):.1e} | {min(wrss):.1e} / {max(wrss):.1e} |"
        )


if __name__ == "__main__":
    main()
