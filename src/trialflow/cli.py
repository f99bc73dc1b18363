"""Command line: ``trialflow <command>``. The pipeline itself runs with ``snakemake --cores 2``."""

from __future__ import annotations

import argparse
import sys

SYNTHETIC_SIZES = ("participants", "arms", "time_points", "analytes", "functional_outcomes", "seed")


def add_synthetic_size_arguments(parser: argparse.ArgumentParser) -> None:
    """The size and seed of the synthetic trial (``make-synthetic`` and benchmarks/bench_large_trial.py)."""
    parser.add_argument("--participants", type=int, default=2000)
    parser.add_argument("--arms", type=int, default=3)
    parser.add_argument("--time-points", type=int, default=4)
    parser.add_argument("--analytes", type=int, default=6)
    parser.add_argument("--functional-outcomes", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2026)


def synthetic_sizes(args: argparse.Namespace) -> dict:
    """Those options as keyword arguments of ``trialflow.synthetic.write_synthetic_trial``."""
    return {name: getattr(args, name) for name in SYNTHETIC_SIZES}


def add_synthetic_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``make-synthetic`` (trialflow.synthetic; imported only when the command runs)."""
    parser.add_argument("out_dir", help="folder to write the raw files and config.yaml into")
    add_synthetic_size_arguments(parser)
    parser.add_argument(
        "--raw-dir",
        default=None,
        help="raw_dir written to config.yaml, relative to the directory Snakemake runs in "
        "(default: the absolute path of OUT)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="trialflow", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("make-demo", help="write the seeded demo trial's raw files")
    demo.add_argument("out_dir", help="folder to write into, e.g. raw/demo")
    demo.add_argument("--seed", type=int, default=20251)
    synth = sub.add_parser(
        "make-synthetic", help="write a seeded synthetic large trial (raw files and config.yaml) for benchmarks"
    )
    add_synthetic_arguments(synth)
    from trialflow import schedule

    scheduled = sub.add_parser(
        "scheduled-run", help="locked, archived pipeline run for cron or a systemd timer (docs/scheduled-runs.md)"
    )
    schedule.add_arguments(scheduled)
    args = parser.parse_args(argv)
    if args.command == "scheduled-run":
        return schedule.run_from_args(args)
    if args.command == "make-synthetic":
        from trialflow import synthetic

        return synthetic.run_from_args(args)
    if args.command == "make-demo":
        from trialflow.demo import write_demo_trial

        write_demo_trial(args.out_dir, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
