"""What a job pays before it does any work: each rule script's start-up, as its own process.

    python benchmarks/bench_startup.py [--runs 5] [--timeline results.md-section.md]

Every rule runs its adapter in ``workflow/scripts`` as a fresh Python process (Snakemake's
``script:``). Before the step does anything, that process starts the interpreter, runs
Snakemake's preamble (unpickles the ``snakemake`` object: ``snakemake.iocontainers``,
``snakemake.logging``) and executes the script's own import statements (the step module and the
libraries it imports at module level). This times exactly that, per script: a fresh
``python -c`` with the preamble's imports and the script's import statements (read from the
script with ``ast``), ``--runs`` times, alternating scripts so that drift spreads evenly; the
median and range of wall seconds. Baselines in the same run: ``python -c pass`` and the preamble
alone.

With ``--timeline FILE`` (a ``bench_large_trial.py`` output), it also sums the start-up of the
jobs in each step's timeline: the part of those jobs' wall time no faster step code can remove
while every job is its own process.

With ``--fork``, a second column: the same imports in a child forked from this process after it
has imported every script's modules — what a job would pay if a long-lived, preloaded worker
forked it (the design issue 20 leaves for a decision), on top of its own ``python`` and
Snakemake's preamble, which the adapter process would still start.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "workflow" / "scripts"
# What Snakemake's preamble imports (snakemake.script.PythonScript.generate_preamble).
PREAMBLE = "import sys, pickle\nfrom snakemake.logging import logger\nfrom snakemake.iocontainers import Snakemake\n"


def script_imports(path: Path) -> str:
    """The script's top-level import statements, as source."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return "\n".join(ast.unparse(n) for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom))


def wall(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def forked(code: str) -> float:
    """Wall seconds to fork this (preloaded) process, run ``code`` in the child and reap it."""
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: the imports are already loaded, so this only looks them up
        exec(code, {})
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if status:
        raise RuntimeError(f"forked child failed ({status}): {code[:200]}")
    return time.perf_counter() - start


def timelines(path: Path) -> dict[str, list[tuple[str, float]]]:
    """{step: [(rule script, wall s), ...]} from the "Timeline: <step>" tables of a bench_large_trial output."""
    steps, step = {}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("### "):
            step = line.removeprefix("### Timeline: ") if line.startswith("### Timeline: ") else None
            if step:
                steps[step] = []
        elif step and (m := re.match(r"\|\s*[\d.]+\s*\|\s*[\d.]+\s*\|\s*([\d.]+)\s*\|\s*(\w+)\s*\|", line)):
            steps[step].append((m[2], float(m[1])))
    return steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeline", type=Path, help="a bench_large_trial.py output with Timeline sections")
    parser.add_argument("--fork", action="store_true", help="also time each script forked from a preloaded process")
    args = parser.parse_args(argv)
    codes = {"(python -c pass)": "pass", "(Snakemake preamble only)": PREAMBLE}
    codes |= {p.stem: PREAMBLE + script_imports(p) for p in sorted(SCRIPTS.glob("*.py"))}
    times: dict[str, list[float]] = {name: [] for name in codes}
    for _ in range(args.runs):
        for name, code in codes.items():
            times[name].append(wall(code))
    median = {name: statistics.median(t) for name, t in times.items()}
    fork = {}
    if args.fork:
        for code in codes.values():  # preload: every module any script imports
            exec(code, {})
        fork = {name: [] for name in codes}
        for _ in range(args.runs):
            for name, code in codes.items():
                fork[name].append(forked(code))
    print(f"start-up of each rule script, wall seconds, {args.runs} runs: median (min-max)")
    print("| script | median | range |" + (" forked: median | range |" if fork else ""))
    print("|---|---:|---:|" + ("---:|---:|" if fork else ""))
    for name, t in sorted(times.items(), key=lambda kv: -median[kv[0]]):
        row = f"| {name} | {median[name]:.2f} s | {min(t):.2f}-{max(t):.2f} s |"
        if fork:
            f = fork[name]
            row += f" {statistics.median(f) * 1000:.1f} ms | {min(f) * 1000:.1f}-{max(f) * 1000:.1f} ms |"
        print(row)
    if args.timeline:
        print("\n| step | jobs | job wall (sum) | start-up (sum of medians) | share |\n|---|---:|---:|---:|---:|")
        for step, jobs in timelines(args.timeline).items():
            # A 0.0-s row is a short-lived child of a job (e.g. a subprocess it ran), not a job.
            known = [(s, w) for s, w in jobs if s in median and w > 0]
            start = sum(median[s] for s, _ in known)
            total = sum(w for _, w in known)
            print(f"| {step} | {len(known)} | {total:.1f} s | {start:.1f} s | {start / total:.0%} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
