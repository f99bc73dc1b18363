"""How often Snakemake's scheduler wakes up: job-selection passes per finished job, on a toy workflow.

    python benchmarks/bench_scheduler.py [--jobs 24] [--seconds 1.5] [--cores 2] [--inputs 0]

Runs, in a temporary folder, a workflow of ``--jobs`` independent jobs that each sleep
``--seconds`` (and read ``--inputs`` small files, as a batch of plates reads its exports and
maps) with ``snakemake --cores N --verbose``, and counts in its debug log the job-selection
passes ("Resources before job selection") against the finished jobs, with the Snakemake
process's CPU seconds (``os.wait4``). Then the same with ``--max-jobs-per-timespan 1000000/1h``,
which shows the passes without the rate limiter's re-evaluation timer; that run's process then
waits for that timer before it exits, so its wall time is not a result (it is killed once the
workflow is done).

Why: in Snakemake 9.27 the scheduler's loop arms a re-evaluation timer (the default
``--max-jobs-per-timespan 100/1s``) at the end of *every* pass, and every pass started by a
finished job starts one more such 1-s chain: the passes grow with finished jobs × seconds, and
each pass stats the input files of every ready job (``JobScheduler.update_input_sizes``). On the
ten-times trial (12,659 plates) this is most of Snakemake's own 237-282 s of CPU
(``benchmarks/results.md``).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SNAKEFILE = """
rule all:
    input:
        expand("out/{{i}}.txt", i=range({jobs})),


rule one:
    input:
        [f"in/{{{{i}}}}_{{k}}.txt" for k in range({inputs})],
    output:
        "out/{{i}}.txt",
    shell:
        "sleep {seconds}; touch {{output}}"
"""


def run(work: Path, cores: int, extra: list[str], wait_for_exit: bool) -> dict:
    """One snakemake run in ``work``: passes, finished jobs, CPU and wall seconds."""
    log = work / "snakemake.log"
    cmd = ["snakemake", "--cores", str(cores), "--verbose", *extra]
    start = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=work, stdout=out, stderr=subprocess.STDOUT)
        if not wait_for_exit:  # a long re-evaluation timer keeps the process alive after the work
            while "steps (100%) done" not in log.read_text(errors="replace"):
                time.sleep(0.2)
            done = time.perf_counter() - start
            proc.kill()  # SIGTERM would wait for the timer too
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start if wait_for_exit else done
    text = log.read_text(errors="replace")
    return {
        "passes": text.count("Resources before job selection"),
        "finished": len(re.findall(r"Finished jobid", text)),
        "cpu": usage.ru_utime + usage.ru_stime,
        "wall": wall,
        "exit": os.waitstatus_to_exitcode(status) if wait_for_exit else "killed once done",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--inputs", type=int, default=0, help="input files per job")
    args = parser.parse_args(argv)
    variants = [
        ("default (100/1s)", [], True),
        ("--max-jobs-per-timespan 1000000/1h", ["--max-jobs-per-timespan", "1000000/1h"], False),
    ]
    print(
        f"{args.jobs} jobs of {args.seconds} s, {args.inputs} input files each, --cores {args.cores}; "
        f"Python {sys.version.split()[0]}"
    )
    print("| scheduler | job-selection passes | finished jobs | passes per job | Snakemake CPU | wall | exit |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, extra, wait_for_exit in variants:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            (work / "Snakefile").write_text(
                SNAKEFILE.format(jobs=args.jobs, inputs=args.inputs, seconds=args.seconds), encoding="utf-8"
            )
            (work / "in").mkdir()
            for i in range(args.jobs):
                for k in range(args.inputs):
                    (work / "in" / f"{i}_{k}.txt").write_text("x")
            r = run(work, args.cores, extra, wait_for_exit)
        print(
            f"| {name} | {r['passes']} | {r['finished']} | {r['passes'] / max(r['finished'], 1):.1f} | "
            f"{r['cpu']:.1f} s | {r['wall']:.1f} s | {r['exit']} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
