"""The demo trial through Snakemake against its floors: cold run / import floor, no-op / Snakemake's no-op.

    python benchmarks/bench_demo.py [--runs 3] [--work /tmp/trialflow-bench-demo] [--cores 2]

Each round measures, one after the other on this machine (whose speed drifts: compare within a
round, not across days):

* the **import floor**: a fresh Python importing the stack the pipeline's steps use
  (``IMPORTS`` below), the least any one-process pipeline would pay;
* **Snakemake's own no-op**: ``snakemake`` on a two-rule workflow whose output exists;
* the **demo cold**: the demo trial (``raw/``, ``config.yaml`` of this checkout, copied to
  ``WORK/demo``) from nothing, with this checkout's ``Snakefile`` and package (``PYTHONPATH``);
* the **demo no-op**: the same command again.

It prints, per round and as medians and ranges over the rounds, the wall seconds of each and the
ratios cold / import floor and no-op / Snakemake no-op (issue 20's targets: ≤ 3 and ≤ 1.3), plus
the speed probe of ``bench_large_trial.py`` before each round. Outputs of the runs stay in WORK.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_large_trial import REPO, breakdown, measure, speed_probe  # noqa: E402 (a sibling script)

IMPORTS = (
    "import pandas, pingouin, pandera.pandas, weasyprint, jinja2, matplotlib.pyplot, snakemake, scipy.stats, "
    "statsmodels.api"
)
TINY = """rule all:
    input: "b.txt"

rule b:
    output: "b.txt"
    shell: "echo b > {output}"
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/trialflow-bench-demo"), help="work folder (wiped)")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args(argv)
    work = args.work.resolve()
    if work.exists():
        shutil.rmtree(work)
    (work / "tiny").mkdir(parents=True)
    (work / "tiny" / "Snakefile").write_text(TINY)
    env = os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")]))}
    demo = work / "demo"
    tiny = [
        "snakemake",
        "-s",
        str(work / "tiny" / "Snakefile"),
        "--directory",
        str(work / "tiny"),
        "--cores",
        "1",
        "-q",
    ]
    pipeline = ["snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(demo),
                "--configfile", str(demo / "config.yaml"), "--cores", str(args.cores), "-q"]  # fmt: skip
    measure("tiny first", tiny, work / "tiny.log", args.timeout)  # creates b.txt: later runs are no-ops

    rounds = []
    for n in range(1, args.runs + 1):
        if demo.exists():
            shutil.rmtree(demo)
        demo.mkdir()
        shutil.copytree(REPO / "raw", demo / "raw")
        shutil.copy(REPO / "config.yaml", demo / "config.yaml")
        probe = speed_probe()
        floor = measure("import floor", [sys.executable, "-c", IMPORTS], work / "floor.log", args.timeout)
        noop_tiny = measure("snakemake no-op", tiny, work / "tiny.log", args.timeout)
        cold = measure("demo cold", pipeline, work / f"cold-{n}.log", args.timeout, env)
        noop = measure("demo no-op", pipeline, work / f"noop-{n}.log", args.timeout, env)
        if cold.returncode or noop.returncode:
            print(cold.output[-3000:], noop.output[-3000:], file=sys.stderr)
            return 1
        rounds.append((probe, floor, noop_tiny, cold, noop))
        print(
            f"round {n}: probe {probe:.2f} s | import floor {floor.wall:.2f} s | snakemake no-op {noop_tiny.wall:.2f} s"
            f" | demo cold {cold.wall:.1f} s ({cold.cpu:.1f} s CPU, {cold.jobs} jobs) = {cold.wall / floor.wall:.2f}×"
            f" floor | demo no-op {noop.wall:.2f} s = {noop.wall / noop_tiny.wall:.2f}× snakemake's",
            flush=True,
        )

    def summary(values: list[float], unit: str = "") -> str:
        return f"{statistics.median(values):.2f}{unit} ({min(values):.2f}–{max(values):.2f})"

    print(f"\nmedian (range) over {len(rounds)} rounds")
    print("| import floor | snakemake no-op | demo cold | demo cold CPU | cold / floor | demo no-op | no-op / no-op |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {summary([r[1].wall for r in rounds], ' s')} | {summary([r[2].wall for r in rounds], ' s')} "
        f"| {summary([r[3].wall for r in rounds], ' s')} | {summary([r[3].cpu for r in rounds], ' s')} "
        f"| {summary([r[3].wall / r[1].wall for r in rounds], '×')} | {summary([r[4].wall for r in rounds], ' s')} "
        f"| {summary([r[4].wall / r[2].wall for r in rounds], '×')} |"
    )
    print("\nwhere the last cold run's time went (rule script, processes, wall, CPU):")
    for label, processes, wall, cpu, _ in breakdown(rounds[-1][3]):
        print(f"  {label}: {processes} process(es), {wall:.1f} s wall, {cpu:.1f} s CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
