"""ELISA quantification of a batch of plates in one process: CPU seconds of ``quantify_batch``.

    PYTHONPATH=src python benchmarks/bench_quantify.py [--plates 200] [--calls 3] [--work /tmp/trialflow-bench-curves]

Writes the synthetic large trial into ``--work`` when its manifest is not there yet, then calls
:func:`trialflow.elisa.quantify_batch` on its first ``--plates`` plates (4PL, 1/y², default
acceptance rules) ``--calls`` times and prints the CPU seconds of each call and a hash of the
tables and problems it returned (equal hashes: the same output). To compare two versions, run it
from each (``PYTHONPATH=<checkout>/src``) alternately: this machine's speed drifts within minutes.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

from trialflow import elisa
from trialflow.demo.synthetic import write_synthetic_trial
from trialflow.elisa.plate_map import read_manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plates", type=int, default=200)
    parser.add_argument("--calls", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/trialflow-bench-curves"))
    args = parser.parse_args()
    manifest_file = args.work / "elisa" / "plates.csv"
    if not manifest_file.exists():
        write_synthetic_trial(args.work)
    manifest = read_manifest(manifest_file).head(args.plates)
    seconds, digest = [], ""
    for _ in range(args.calls):
        start = time.process_time()
        tables, fits, problems = elisa.quantify_batch(manifest, elisa.AcceptanceRules(), "4PL", "1/y^2")
        seconds.append(time.process_time() - start)
        h = hashlib.sha256()
        for name in sorted(tables):
            h.update(tables[name].to_csv(index=False).encode())
        h.update(repr(problems).encode())
        digest = h.hexdigest()[:16]
    print(
        f"{elisa.__file__}: {len(fits)} plates, CPU s per call: "
        f"{' '.join(f'{s:.2f}' for s in seconds)}, output {digest}"
    )


if __name__ == "__main__":
    main()
