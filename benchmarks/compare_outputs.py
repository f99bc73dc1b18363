"""Do two versions of trialflow write the same bytes? Runs both on the demo and on a synthetic trial.

    python benchmarks/compare_outputs.py BASE [--head REV] [--work DIR] [--trials demo synthetic]

Each version is exported (``git archive``; without ``--head``, the working tree's tracked and
untracked files) into ``WORK/<side>/code`` and run from there: the demo with its own
``config.yaml``, and a seeded synthetic trial written by that version's own generator (its raw
files are compared too). Then every file under ``results/`` and ``reports/`` is compared byte for
byte, except ``results/logs/`` and ``results/cache/`` (neither is an output).

The report and the provenance manifest print a hash of the package's files, which differs
between any two versions by definition; both runs pin it to the same value (a
``sitecustomize`` on their PYTHONPATH replaces the package's code-hash function), so that the
PDFs can be compared byte for byte too. Neither export is a git checkout, so both record no
commit. Exit status 0 when every file matches (the ``--expect`` files may differ), 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PIN = "0" * 64
SIZES = ["--participants", "90", "--arms", "3", "--time-points", "4", "--analytes", "2",
         "--functional-outcomes", "3", "--seed", "2026"]  # fmt: skip  # tests/test_synthetic.py's size
# The package's code-hash function before and after the step layer (issue 14).
SITECUSTOMIZE = """
import importlib, os
pin = os.environ.get("TRIALFLOW_COMPARE_CODE")
for module, name in (("trialflow.dag", "package_code"), ("trialflow.pipeline", "code_version")):
    if pin:
        try:
            found = importlib.import_module(module)
        except ImportError:
            continue
        if hasattr(found, name):
            setattr(found, name, lambda: pin)
"""


def export(rev: str | None, target: Path) -> None:
    """The files of ``rev`` (None: the working tree, untracked files included) into ``target``."""
    target.mkdir(parents=True)
    if rev is None:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=REPO, capture_output=True, check=True
        ).stdout.split(b"\0")
        for name in filter(None, (n.decode() for n in listed)):
            if (REPO / name).is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / name, target / name)
        return
    with tempfile.TemporaryFile() as archive:
        subprocess.run(["git", "archive", rev], cwd=REPO, stdout=archive, check=True)
        archive.seek(0)
        with tarfile.open(fileobj=archive) as tar:
            tar.extractall(target, filter="data")


def run(command: list[str], cwd: Path, env: dict, log: Path) -> None:
    with open(log, "w") as out:
        done = subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)} in {cwd}; see {log}")


def run_side(side: Path, trials: list[str], cores: int) -> dict[str, Path]:
    """Run one version; the folders whose files are compared, by trial."""
    code = side / "code"
    shim = side / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = os.environ | {"PYTHONPATH": f"{shim}:{code / 'src'}", "TRIALFLOW_COMPARE_CODE": PIN}
    folders = {}
    if "demo" in trials:
        run(["snakemake", "--cores", str(cores), "-q"], code, env, side / "demo.log")
        folders["demo"] = code
    if "synthetic" in trials:
        trial = side / "synthetic"
        generate = [sys.executable, "-m", "trialflow.cli", "make-synthetic", "raw/synthetic", "--raw-dir",
                    "raw/synthetic", *SIZES]  # fmt: skip
        trial.mkdir()
        run(generate, trial, env, side / "generate.log")
        shutil.copy(trial / "raw/synthetic/config.yaml", trial / "config.yaml")
        command = ["snakemake", "-s", str(code / "Snakefile"), "--directory", str(trial), "--configfile",
                   "config.yaml", "--cores", str(cores), "-q"]  # fmt: skip
        run(command, trial, env, side / "synthetic.log")
        folders["synthetic"] = trial
    return folders


def outputs(folder: Path, raw: bool) -> dict[str, str]:
    """SHA-256 of every output file (and of the raw files of a generated trial), by path."""
    parts = ["results", "reports"] + (["raw/synthetic"] if raw else [])
    found = {}
    for part in parts:
        for path in sorted((folder / part).rglob("*")):
            name = path.relative_to(folder).as_posix()
            if path.is_file() and not name.startswith(("results/logs/", "results/cache/")):
                found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base", help="git revision of the reference version, e.g. main or a commit")
    parser.add_argument("--head", default=None, help="git revision to compare (default: the working tree)")
    parser.add_argument("--work", default="/tmp/trialflow-compare", help="working folder (wiped first)")
    parser.add_argument("--trials", nargs="+", default=["demo", "synthetic"], choices=["demo", "synthetic"])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--expect", nargs="*", default=[], help="files expected to differ (reported, not failed)")
    args = parser.parse_args(argv)
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    found = {}
    for side, rev in (("base", args.base), ("head", args.head)):
        export(rev, work / side / "code")
        print(f"{side}: {rev or 'working tree'} -> running {', '.join(args.trials)}", flush=True)
        found[side] = {
            trial: outputs(f, trial == "synthetic")
            for trial, f in run_side(work / side, args.trials, args.cores).items()
        }
    failed = 0
    for trial in args.trials:
        base, head = found["base"][trial], found["head"][trial]
        same = sorted(n for n in base if head.get(n) == base[n])
        print(f"\n{trial}: {len(same)} of {len(base)} files identical")
        for name in sorted(set(base) | set(head)):
            if base.get(name) == head.get(name):
                continue
            state = "missing in head" if name not in head else "new in head" if name not in base else "differs"
            expected = name in args.expect or name.rsplit("/", 1)[-1] in args.expect
            print(f"  {state}: {name}{' (expected)' if expected else ''}")
            failed += not expected
    print("\nall identical" if not failed else f"\n{failed} unexpected difference(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
