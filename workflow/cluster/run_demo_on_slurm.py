"""Run the demo trial through Slurm and locally, in two fresh copies of the repository; compare.

    python workflow/cluster/run_demo_on_slurm.py [--one-slurm-job] [--workdir DIR] [--keep]

1. starts the single-node cluster (``workflow/cluster/single_node_slurm.sh start``; root, Debian);
2. copies the repository twice into a scratch folder (a clone of its commit with the working
   tree's changes laid over it, without results/ or reports/), and runs, at the same time,
   ``snakemake --profile workflow/profiles/slurm`` in one copy and ``snakemake --cores 2`` in
   the other, each with its copy's ``src/`` first on PYTHONPATH (so both run the copied code,
   not whatever the installed package points at) and no SLURM_* variables inherited;
3. shows that the Slurm run's jobs went through Slurm: the Slurm job ids Snakemake reports, each
   started on the node and completed with exit status 0 in slurmctld's log;
4. compares every file under results/ and reports/ of the two copies byte for byte, except the
   paths in EXCLUDED (printed: the logs, and with them the run record, which names the command
   that started each run), and prints one line per differing file.

``--one-slurm-job`` puts every job of the DAG into one Snakemake group, so the whole pipeline is
one Slurm job (its jobs run inside that allocation): the same profile, executor, status polling
and environment in the job, in a fraction of the time (the test uses it). Without it every rule
job is its own Slurm job, as on a real cluster.

Exit status: 0 when both runs succeed and no compared file differs, 1 on a difference,
2 when a run fails or no job went through Slurm.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CLUSTER_SCRIPT = HERE / "single_node_slurm.sh"
PROFILE = "workflow/profiles/slurm"
COMPARED = ("results", "reports")
# Paths (relative to the copy) left out of the comparison, with the reason printed.
EXCLUDED = {
    "results/logs/": "the rules' log files and the run record: executor messages, timings, the command",
}
NOT_COPIED = {".git", ".snakemake", "results", "reports", ".pytest_cache", ".ruff_cache"}
SUBMITTED = re.compile(r"has been submitted with SLURM jobid (\d+)")


def say(text: str = "") -> None:
    print(text, flush=True)


def copy_repository(source: Path, target: Path) -> None:
    """A copy of ``source`` as its working tree stands: a clone of its commit, then the tree's changes.

    Tracked files as they are on disk (edited or deleted), untracked files that are not ignored;
    results/, reports/ and .snakemake/ stay behind (ignored). Without git: a plain copy.
    """
    listed = subprocess.run(
        ["git", "-C", str(source), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=False,
    )
    clone = ["git", "clone", "--quiet", str(source), str(target)]
    cloned = listed.returncode == 0 and subprocess.run(clone, check=False).returncode == 0
    if not cloned:
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, ignore=lambda folder, names: [n for n in names if n in NOT_COPIED])
        return
    for name in filter(None, listed.stdout.split("\0")):
        src, dst = source / name, target / name
        if src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
        elif dst.is_file() and not src.exists():
            dst.unlink()


def run_environment(copy: Path) -> dict:
    """The environment of a run: the copy's own code first, nothing of an enclosing Slurm job."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    env.pop("TRIALFLOW_SNAKEMAKE_COMMAND", None)  # each run records its own command
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(copy / "src"), env.get("PYTHONPATH")]))
    return env


def rule_names(copy: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "snakemake", "--list-rules"],
        cwd=copy,
        env=run_environment(copy),
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in done.stdout.split() if re.fullmatch(r"\w+", line) and line != "all"]


def one_job_arguments(copy: Path) -> list[str]:
    """Snakemake arguments that make the whole DAG one group job: one Slurm job of 2 CPUs."""
    groups = [f"{rule}=trialflow" for rule in rule_names(copy)]
    # Group resources add up over jobs that could run in parallel; --cores/--resources cap them
    # (jobs beyond the cap are stacked in series), so the group asks for what the node has.
    return ["--groups", *groups, "--group-components", "trialflow=1000", "--cores", "2", "--resources", "mem_mb=4000"]


class Run:
    """One Snakemake run in its copy, output to ``<name>.log`` beside the copy."""

    def __init__(self, name: str, copy: Path, arguments: list[str]):
        self.name, self.copy = name, copy
        self.command = [sys.executable, "-m", "snakemake", *arguments]
        self.log = copy.parent / f"{name}.log"
        self.returncode: int | None = None
        self.seconds = 0.0

    def start(self) -> None:
        shown = " ".join(["snakemake", *self.command[3:]])
        say(f"{self.name}: {shown}  (in {self.copy}, output in {self.log})")
        self._out = open(self.log, "w", encoding="utf-8")  # closed in _finish
        self._started = time.monotonic()
        self._process = subprocess.Popen(
            self.command,
            cwd=self.copy,
            env=run_environment(self.copy),
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def poll(self) -> bool:
        """True once the run has ended (its time is then taken)."""
        if self.returncode is None and self._process.poll() is not None:
            self._finish(self._process.returncode)
        return self.returncode is not None

    def stop(self) -> None:
        say(f"{self.name}: still running at the time limit; stopping it (Snakemake cancels its Slurm jobs)")
        os.killpg(self._process.pid, signal.SIGTERM)
        try:
            self._process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
        self._finish(-1)

    def _finish(self, returncode: int) -> None:
        self.returncode = returncode
        self.seconds = time.monotonic() - self._started
        self._out.close()
        status = "succeeded" if returncode == 0 else f"FAILED (exit status {returncode})"
        say(f"{self.name}: {status} in {self.seconds:.0f} s")
        if returncode != 0:
            say("".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines(True)[-40:]))


def run_all(runs: list[Run], timeout: float, serial: bool) -> None:
    """Run one after the other, or all at once; stop any run still going after ``timeout`` seconds."""
    for batch in ([run] for run in runs) if serial else [runs]:
        for run in batch:
            run.start()
        deadline = time.monotonic() + timeout
        while not all([run.poll() for run in batch]):  # a list: poll every run, each time
            if time.monotonic() > deadline:
                for run in batch:
                    if not run.poll():
                        run.stop()
                break
            time.sleep(0.5)


def slurmctld_log() -> Path | None:
    done = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True, check=False)
    match = re.search(r"^SlurmctldLogFile\s*=\s*(\S+)", done.stdout, re.MULTILINE)
    return Path(match.group(1)) if match else None


def log_size(path: Path | None) -> int:
    return path.stat().st_size if path is not None and path.is_file() else 0


def check_slurm_jobs(run: Run, log: Path | None, offset: int) -> bool:
    """Print the run's Slurm jobs and what slurmctld's log (from ``offset`` on) says of each.

    True if every job was started on a node (by the main or the backfill scheduler) and completed
    with exit status 0. Only the part of the log written since the run started is read: job ids
    start again at 1 when the cluster's state is made anew.
    """
    ids = SUBMITTED.findall(run.log.read_text(encoding="utf-8", errors="replace"))
    if not ids:
        say(f"{run.name}: ERROR: Snakemake reported no job submitted to Slurm")
        return False
    text = ""
    if log is not None and log.is_file():
        with open(log, encoding="utf-8", errors="replace") as fh:
            fh.seek(offset)
            text = fh.read()
    started = {
        i
        for i in ids
        if re.search(rf"(sched: Allocate JobId={i} NodeList=|sched/backfill: _start_job: Started JobId={i} in )", text)
    }
    completed = {i for i in ids if re.search(rf"_job_complete: JobId={i} WEXITSTATUS 0\b", text)}
    say(
        f"{run.name}: {len(ids)} Slurm job(s) submitted (job ids {', '.join(ids)}); slurmctld's log ({log}) "
        f"shows {len(started)} of them started on a node and {len(completed)} completed with exit status 0"
    )
    return len(started) == len(completed) == len(ids)


def files_under(copy: Path) -> dict[str, Path]:
    found = {}
    for top in COMPARED:
        for path in sorted((copy / top).rglob("*")):
            if path.is_file():
                found[path.relative_to(copy).as_posix()] = path
    return found


def excluded(name: str) -> bool:
    return any(name.startswith(prefix) for prefix in EXCLUDED)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def describe_json_difference(a: Path, b: Path) -> str:
    """The top-level keys in which two JSON files differ, with both values when short."""
    try:
        left, right = json.loads(a.read_text(encoding="utf-8")), json.loads(b.read_text(encoding="utf-8"))
    except ValueError:
        return ""
    if not (isinstance(left, dict) and isinstance(right, dict)):
        return ""
    parts = []
    for key in sorted(set(left) | set(right)):
        if left.get(key) == right.get(key):
            continue
        shown_left, shown_right = json.dumps(left.get(key)), json.dumps(right.get(key))
        if key == "outputs" and isinstance(left.get(key), list) and isinstance(right.get(key), list):
            lrec = {r.get("path"): r for r in left[key] if isinstance(r, dict)}
            rrec = {r.get("path"): r for r in right[key] if isinstance(r, dict)}
            changed = sorted(p for p in set(lrec) | set(rrec) if lrec.get(p) != rrec.get(p))
            parts.append(f"outputs: the recorded SHA-256/size of {', '.join(changed)}")
        elif len(shown_left) + len(shown_right) <= 300:
            parts.append(f"{key}: {shown_left} vs {shown_right}")
        else:
            parts.append(f"{key}")
    return "; ".join(parts)


def compare(first: Path, second: Path, names: tuple[str, str]) -> int:
    """Print one line per differing file; return their number."""
    say("")
    say(f"comparing {' and '.join(f'{t}/' for t in COMPARED)} of the {names[0]} and the {names[1]} run, byte for byte")
    for prefix, why in EXCLUDED.items():
        say(f"  excluded: {prefix}  ({why})")
    say("  (Snakemake's own metadata, .snakemake/, lies outside results/ and reports/ and is not compared)")
    a, b = files_under(first), files_under(second)
    differing = compared = 0
    left_out = sorted(n for n in set(a) | set(b) if excluded(n))
    unequal = [n for n in left_out if n not in a or n not in b or sha256(a[n]) != sha256(b[n])]
    for name in unequal:
        say(f"note    {name}  differs, excluded (not counted)")
    if left_out:
        say(f"  {len(left_out) - len(unequal)} of {len(left_out)} excluded files are identical all the same")
    for name in sorted(set(a) | set(b)):
        if excluded(name):
            continue
        compared += 1
        if name not in b:
            say(f"differ  {name}  (only in the {names[0]} run)")
        elif name not in a:
            say(f"differ  {name}  (only in the {names[1]} run)")
        elif sha256(a[name]) != sha256(b[name]):
            size_a, size_b = a[name].stat().st_size, b[name].stat().st_size
            detail = describe_json_difference(a[name], b[name]) if name.endswith(".json") else ""
            say(f"differ  {name}  ({size_a} vs {size_b} bytes{'; ' + detail if detail else ''})")
        else:
            continue
        differing += 1
    say(f"{compared - differing} of {compared} compared files identical, {differing} differ")
    return differing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--one-slurm-job", action="store_true", help="run the whole DAG as one Slurm job")
    parser.add_argument("--workdir", type=Path, help="scratch folder for the copies (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (always kept on failure)")
    parser.add_argument("--no-cluster-start", action="store_true", help="use the running cluster as it is")
    parser.add_argument("--serial", action="store_true", help="run the Slurm run first, then the local run")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds each run may take (default 1800)")
    args = parser.parse_args(argv)

    if not args.no_cluster_start:
        subprocess.run(["bash", str(CLUSTER_SCRIPT), "start"], check=True)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="trialflow-slurm-vs-local-"))
    workdir.mkdir(parents=True, exist_ok=True)
    copies = {"slurm": workdir / "slurm", "local": workdir / "local"}
    for copy in copies.values():
        if copy.exists():
            shutil.rmtree(copy)
        copy_repository(REPO, copy)

    slurm_arguments = ["--profile", PROFILE]
    if args.one_slurm_job:
        slurm_arguments += one_job_arguments(copies["slurm"])
    runs = [Run("slurm", copies["slurm"], slurm_arguments), Run("local", copies["local"], ["--cores", "2"])]
    controller_log = slurmctld_log()
    offset = log_size(controller_log)
    run_all(runs, args.timeout, args.serial)

    status = 0
    if any(run.returncode != 0 for run in runs) or not check_slurm_jobs(runs[0], controller_log, offset):
        status = 2
    elif compare(copies["slurm"], copies["local"], ("slurm", "local")):
        status = 1
    say(f"wall time: slurm run {runs[0].seconds:.0f} s, local run {runs[1].seconds:.0f} s")
    if status == 0 and not args.keep and args.workdir is None:
        shutil.rmtree(workdir)
    else:
        say(f"copies and logs kept in {workdir}")
    return status


if __name__ == "__main__":
    sys.exit(main())
