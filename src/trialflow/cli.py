"""Command line: ``trialflow <command>``. The pipeline itself runs with ``snakemake --cores 2``."""

from __future__ import annotations

import argparse
import sys

from trialflow import schedule, skeleton
from trialflow.demo import synthetic
from trialflow.demo.trial import write_demo_trial


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="trialflow", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="write a new trial's skeleton: a commented config and input templates")
    skeleton.add_arguments(init)
    demo = sub.add_parser("make-demo", help="write the seeded demo trial's raw files")
    demo.add_argument("out_dir", help="folder to write into, e.g. raw/demo")
    demo.add_argument("--seed", type=int, default=20251)
    synth = sub.add_parser(
        "make-synthetic", help="write a seeded synthetic large trial (raw files and config.yaml) for benchmarks"
    )
    synthetic.add_synthetic_arguments(synth)
    scheduled = sub.add_parser(
        "scheduled-run", help="locked, archived pipeline run for cron or a systemd timer (docs/scheduled-runs.md)"
    )
    schedule.add_arguments(scheduled)
    args = parser.parse_args(argv)
    if args.command == "init":
        return skeleton.run_from_args(args)
    if args.command == "scheduled-run":
        return schedule.run_from_args(args)
    if args.command == "make-synthetic":
        return synthetic.run_from_args(args)
    if args.command == "make-demo":
        write_demo_trial(args.out_dir, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
