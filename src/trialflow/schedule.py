"""Scheduled reruns as data arrive: ``trialflow scheduled-run``, for cron or a systemd timer.

One run, in the trial's working directory (``docs/scheduled-runs.md``):

1. takes the lock ``<workdir>/.trialflow.lock`` (``flock``, non-blocking): a run started while
   another holds it is refused with one line and exit status 75 (EX_TEMPFAIL). The kernel
   releases the lock when its holders die, so a killed run leaves no stale lock of ours; with
   ours free no trialflow run is active, so a Snakemake lock left in ``.snakemake/locks`` by a
   killed run is removed (``snakemake --unlock``), and ``--rerun-incomplete`` redoes the jobs
   it left unfinished;
2. runs Snakemake as usual: only what new or changed inputs require is run, an unchanged night
   runs no job;
3. after a successful run archives what it published: the report files under
   ``reports/<trial id>/`` that the provenance manifest lists, and ``results/provenance.json``,
   are copied into ``<archive>/<data cutoff>_<input hash>/`` (a folder is never changed once
   written) and ``<archive>/latest/`` is replaced by a copy of it in one step;
4. after a failed run leaves ``latest`` as it was and writes what went wrong (the first
   validation problems, the failed steps, the end of Snakemake's output) to
   ``results/qc/LAST_FAILURE.txt``; the next successful run removes that file.

A fault of the machine rather than of the data (a full disk, a read-only file system, a
permission refused) ends the run with one line naming what was being done, the path and the
cause, and its own exit status (:data:`EXIT_STORAGE`, :data:`EXIT_PERMISSION`); the failure is
written to ``LAST_FAILURE.txt`` when that is still possible and to standard error always.

Every file it writes is written to a temporary name and renamed; folders are built under a
temporary name and renamed.
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import datetime as dt
import errno
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from trialflow.dag import COMMAND_ENV
from trialflow.outputs import read_text_csv, write_atomic
from trialflow.problems import describe
from trialflow.provenance import read_manifest, sha256_file

EXIT_OK = 0
EXIT_FAILED = 1  # the pipeline failed, or its report could not be archived (LAST_FAILURE.txt says why)
EXIT_USAGE = 2  # no Snakefile, no working directory, bad arguments
EXIT_STORAGE = 74  # EX_IOERR: the disk is full or read-only (ENOSPC, EDQUOT, EROFS, EIO)
EXIT_LOCKED = 75  # EX_TEMPFAIL: another run holds the lock; try again later
EXIT_PERMISSION = 77  # EX_NOPERM: permission refused (EACCES, EPERM)
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO})
PERMISSION_ERRNOS = frozenset({errno.EACCES, errno.EPERM})
# How Snakemake's output says a job hit a storage fault (its jobs' exceptions are text by then).
STORAGE_WORDS = tuple(os.strerror(e) for e in sorted(STORAGE_ERRNOS - {errno.EIO}))

LOCK_NAME = ".trialflow.lock"
MANIFEST = "results/provenance.json"
VALIDATION = "results/qc/validation.csv"
FAILURE = "results/qc/LAST_FAILURE.txt"
DEFAULT_ARCHIVE = "reports/archive"
LATEST = "latest"
TMP_PREFIX = ".tmp-"  # temporary folders inside the archive (removed by the next run if left behind)
TAIL_LINES = 40
SHOWN_PROBLEMS = 10
PREFIX = "trialflow scheduled-run:"
_RULE_LINE = re.compile(r"^(?:local)?rule (\w+):", flags=re.M)
_STALE_TEMP = re.compile(r"^\..+\.tmp$")  # write_atomic's temporary files, left by a killed job


class ArchiveError(RuntimeError):
    """The finished run's report cannot be archived (missing, or not what the manifest lists)."""


# --- the lock -------------------------------------------------------------------------------------


def lock_path(workdir: str | Path) -> Path:
    return Path(workdir) / LOCK_NAME


def try_lock(workdir: str | Path) -> int | None:
    """Take the working directory's lock without waiting: its file descriptor, or None if held.

    The lock is an ``flock`` on ``<workdir>/.trialflow.lock`` (an empty file, created once). It is
    held while the descriptor is open in any process (the Snakemake child inherits it) and is
    released by the kernel when they all exit, however they end. ``flock -n .trialflow.lock CMD``
    (util-linux) takes the same lock, e.g. for a run by hand.
    """
    fd = os.open(lock_path(workdir), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def release_lock(fd: int) -> None:
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


# --- running Snakemake ----------------------------------------------------------------------------


def find_snakefile(workdir: str | Path, snakefile: str | Path | None = None) -> Path | None:
    """The Snakefile to run: the one given, else ``<workdir>/Snakefile``, else this package's repository's."""
    if snakefile is not None:
        path = Path(snakefile).resolve()
        return path if path.is_file() else None
    for path in (Path(workdir) / "Snakefile", Path(__file__).resolve().parents[2] / "Snakefile"):
        if path.is_file():
            return path.resolve()
    return None


def snakemake_command(snakefile: Path, workdir: Path, configfile: Path | None, cores: int | None = None) -> list[str]:
    """``python -m snakemake -s SNAKEFILE -d WORKDIR [--cores N] [--configfile FILE]`` (this Python)."""
    command = [sys.executable, "-m", "snakemake", "-s", str(snakefile), "-d", str(workdir)]
    if cores is not None:
        command += ["--cores", str(cores)]
    if configfile is not None:
        command += ["--configfile", str(configfile)]
    return command


def _child_env() -> dict:
    env = dict(os.environ)
    env.pop(COMMAND_ENV, None)  # the manifest records this run's command, not an inherited one
    return env


def snakemake_locked(workdir: str | Path) -> bool:
    """Whether Snakemake's own lock files are present (``.snakemake/locks``)."""
    locks = Path(workdir) / ".snakemake" / "locks"
    return locks.is_dir() and any(locks.iterdir())


def run_streamed(
    command: list[str], cwd: Path, pass_fds: tuple[int, ...] = (), tail: int = TAIL_LINES, echo=None
) -> tuple[int, list[str]]:
    """Run ``command``, echoing its merged output line by line; its exit status and last lines."""
    echo = echo or (lambda line: print(line, flush=True))
    last = collections.deque(maxlen=tail)
    with subprocess.Popen(
        command,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        pass_fds=pass_fds,
        env=_child_env(),
    ) as proc:
        for line in proc.stdout:
            line = line.rstrip("\n")
            echo(line)
            last.append(line)
    return proc.returncode, list(last)


def planned_jobs(
    workdir: str | Path, snakefile: str | Path | None = None, configfile: str | Path | None = None
) -> list[str]:
    """The rule of every job a run would start now (``snakemake -n --rerun-incomplete``), in its order.

    An empty list: nothing to do. Raises ``RuntimeError`` if Snakemake cannot plan the run.
    """
    workdir = Path(workdir).resolve()
    found = find_snakefile(workdir, snakefile)
    if found is None:
        raise RuntimeError(f"no Snakefile found for {workdir}")
    command = snakemake_command(found, workdir, _resolve(workdir, configfile), cores=1) + ["-n", "--rerun-incomplete"]
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, check=False, env=_child_env())
    if done.returncode != 0:
        raise RuntimeError(f"snakemake -n exited with {done.returncode}:\n{(done.stderr + done.stdout)[-3000:]}")
    return _RULE_LINE.findall(done.stdout + "\n" + done.stderr)


def _resolve(workdir: Path, path: str | Path | None) -> Path | None:
    if path is None:
        return None
    path = Path(path)
    return (path if path.is_absolute() else workdir / path).resolve()


# --- the archive ----------------------------------------------------------------------------------


def input_hash(manifest: dict) -> str:
    """First 12 hex digits of the SHA-256 over the manifest's raw inputs.

    Hashed are the lines ``<sha256>  <path>`` (as ``sha256sum`` prints them) of the manifest's
    input files in its order (sorted by path): a changed, added, removed or renamed input changes it.
    """
    text = "".join(f"{f['sha256']}  {f['path']}\n" for f in manifest["inputs"]["files"])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def archive_name(manifest: dict) -> str:
    """``<data cutoff>_<input hash>``, e.g. ``2025-06-30_3f9c2a61b0de``."""
    cutoff = re.sub(r"[^A-Za-z0-9._-]+", "-", str(manifest.get("data_cutoff") or "")).strip("-.") or "no-cutoff"
    return f"{cutoff}_{input_hash(manifest)}"


def published_files(workdir: str | Path) -> tuple[dict, dict[str, tuple[Path, str]]]:
    """What a successful run publishes: its manifest and {name in the archive: (file, SHA-256 it must have)}.

    The report files the manifest lists under ``reports/<trial id>/`` and the manifest itself.
    """
    workdir = Path(workdir)
    manifest_file = workdir / MANIFEST
    try:
        manifest = read_manifest(manifest_file)
    except (OSError, ValueError) as err:
        raise ArchiveError(f"cannot read the provenance manifest {MANIFEST}: {err}") from None
    folder = f"reports/{manifest['config']['trial']['id']}/"
    files = {
        record["path"][len(folder) :]: (workdir / record["path"], record["sha256"])
        for record in manifest["outputs"]
        if record["path"].startswith(folder)
    }
    if not files:
        raise ArchiveError(f"the manifest {MANIFEST} lists no report under {folder}")
    files["provenance.json"] = (manifest_file, sha256_file(manifest_file))
    return manifest, files


def _folder_holds(folder: Path, expected: dict[str, str]) -> bool:
    """Whether ``folder`` holds exactly the files ``expected`` ({relative path: SHA-256}; the
    submission exports are in a subfolder)."""
    if not folder.is_dir():
        return False
    paths = (p.relative_to(folder) for p in folder.rglob("*") if p.is_file())
    names = {p.as_posix() for p in paths if not any(part.startswith(".") for part in p.parts)}
    return names == set(expected) and all(sha256_file(folder / n) == h for n, h in expected.items())


def _copy_into_new_folder(sources: dict[str, Path], expected: dict[str, str], parent: Path, final: Path) -> None:
    """Copy ``sources`` into a temporary folder in ``parent``, check them, rename it to ``final``."""
    tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{final.name}-", dir=parent))
    try:
        for name, source in sources.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)  # submission/ under the report's folder
            shutil.copy2(source, tmp / name)
            if sha256_file(tmp / name) != expected[name]:
                raise ArchiveError(f"{source} does not have the SHA-256 the provenance manifest lists for it")
        os.chmod(tmp, 0o755)
        replace_dir(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def replace_dir(new: Path, target: Path) -> None:
    """Put folder ``new`` in place of ``target`` in one step (``target`` may exist; ``new`` is consumed).

    On Linux an existing ``target`` is swapped with ``new`` atomically (``renameat2`` with
    RENAME_EXCHANGE): a reader sees the old folder or the new one, never neither. Where that is
    not available the old folder is renamed aside first, leaving a moment without ``target``.
    """
    if not target.exists():
        os.rename(new, target)
        return
    if _exchange(new, target):
        shutil.rmtree(new)
        return
    aside = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}old-", dir=target.parent))
    os.rename(target, aside / target.name)
    os.rename(new, target)
    shutil.rmtree(aside)


def _exchange(a: Path, b: Path) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def publish(workdir: str | Path, archive: str | Path) -> tuple[Path, bool, bool]:
    """Archive the finished run's report; (its archive folder, whether new, whether ``latest`` changed).

    A folder already holding exactly these files is reused (an unchanged night adds nothing). A
    folder of that name holding anything else is never touched: the next free ``<name>-2``,
    ``<name>-3``, ... is used (same inputs, other config or code).
    """
    workdir, archive = Path(workdir), Path(archive)
    manifest, files = published_files(workdir)
    expected = {name: digest for name, (_, digest) in files.items()}
    sources = {name: path for name, (path, _) in files.items()}
    archive.mkdir(parents=True, exist_ok=True)
    name = archive_name(manifest)
    folder, created, number = archive / name, False, 1
    while folder.exists() and not _folder_holds(folder, expected):
        number += 1
        folder = archive / f"{name}-{number}"
    if not folder.exists():
        _copy_into_new_folder(sources, expected, archive, folder)
        created = True
    latest = archive / LATEST
    refreshed = not _folder_holds(latest, expected)
    if refreshed:
        _copy_into_new_folder(sources, expected, archive, latest)
    return folder, created, refreshed


def remove_leftovers(workdir: Path, archive: Path) -> list[Path]:
    """Remove what a killed run can leave behind: temporary archive folders and temporary result files.

    Only called while holding the lock, when nothing else writes there.
    """
    removed = []
    if archive.is_dir():
        for path in archive.glob(f"{TMP_PREFIX}*"):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    for top in ("results", "reports"):
        for path in sorted((workdir / top).rglob(".*.tmp")) if (workdir / top).is_dir() else []:
            if path.is_file() and _STALE_TEMP.match(path.name) and archive not in path.parents:
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


# --- failures ------------------------------------------------------------------------------------


def _stamp(path: Path):
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def failure_report(workdir: Path, archive: Path, reason: str, output_tail: list[str], validation_fresh: bool) -> str:
    """The text of ``LAST_FAILURE.txt``: what failed, the first problems, the failed steps, the output's end."""
    now = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    lines = [f"trialflow scheduled-run failed at {now} in {workdir}", f"reason: {reason}"]
    latest = archive / LATEST / "provenance.json"
    if latest.is_file():
        try:
            cutoff = read_manifest(latest).get("data_cutoff", "")
        except (OSError, ValueError):
            cutoff = "?"
        lines.append(f"The last good report is unchanged in {archive / LATEST} (data cut-off {cutoff}).")
    else:
        lines.append(f"No report has been archived in {archive} yet.")
    shown_problems = False
    validation = workdir / VALIDATION
    if validation_fresh and validation.is_file():
        table = read_text_csv(validation)
        errors = table[table["severity"] == "error"] if "severity" in table else table
        if len(errors):
            shown_problems = True
            first = min(len(errors), SHOWN_PROBLEMS)
            lines += ["", f"Problems found ({VALIDATION}: {len(errors)} error(s), first {first}):"]
            lines += [f"  - {describe(r)}" for r in errors.head(SHOWN_PROBLEMS).to_dict("records")]
    elif validation.is_file():
        lines += ["", f"({VALIDATION} was not rewritten by this run: it is the previous run's.)"]
    failed = _failed_steps(output_tail)
    if failed:
        lines += ["", "Failed steps:"]
        for rule, log in failed:
            lines.append(f"  - {rule}" + (f" (log: {log})" if log else ""))
            log_path = workdir / log if log else None
            if not shown_problems and log_path is not None and log_path.is_file():
                text = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
                lines += [f"      {line}" for line in text[-15:]]
    lines += ["", f"Snakemake output (last {len(output_tail)} lines):"]
    lines += [f"  {line}" for line in output_tail]
    lines += ["", "Fix the raw file (or the config), then run again; a successful run removes this file."]
    return "\n".join(lines) + "\n"


def _failed_steps(output: list[str]) -> list[tuple[str, str]]:
    """(rule, log file) of each ``Error in rule`` in Snakemake's output."""
    found, rule = [], None
    for line in output:
        match = re.match(r"\s*Error in rule (\w+):", line)
        if match:
            rule = match.group(1)
            found.append((rule, ""))
            continue
        match = re.match(r"\s*log: (\S+)", line)
        if match and rule is not None and found and found[-1] == (rule, ""):
            found[-1] = (rule, match.group(1))
    return found


def fault_status(err: OSError) -> int:
    """The exit status of a run ended by ``err``: EXIT_STORAGE, EXIT_PERMISSION, else EXIT_FAILED."""
    if err.errno in STORAGE_ERRNOS:
        return EXIT_STORAGE
    return EXIT_PERMISSION if err.errno in PERMISSION_ERRNOS else EXIT_FAILED


def fault_line(doing: str, err: OSError) -> str:
    """One line for an operator: what was being done, the path, the cause, the exit status."""
    name = errno.errorcode.get(err.errno, "") if err.errno is not None else ""
    cause = f"{err.strerror or err}" + (f" ({name})" if name else "")
    path = f" {err.filename}:" if err.filename else ""
    return f"{PREFIX} {doing} failed:{path} {cause}; exit {fault_status(err)}"


def _output_status(tail: list[str]) -> int:
    """EXIT_STORAGE when Snakemake's output says a job hit a full or read-only disk, else EXIT_FAILED."""
    return EXIT_STORAGE if any(word in line for line in tail for word in STORAGE_WORDS) else EXIT_FAILED


def _fail(
    workdir: Path, archive: Path, reason: str, tail: list[str], validation_fresh: bool, status: int = EXIT_FAILED
) -> int:
    try:
        text = failure_report(workdir, archive, reason, tail, validation_fresh)
    except OSError as err:  # the logs or validation.csv cannot be read: the reason alone
        text = (
            f"trialflow scheduled-run failed in {workdir}\nreason: {reason}\n({fault_line('reading the logs', err)})\n"
        )
    print(text, end="", file=sys.stderr, flush=True)
    try:
        write_atomic(workdir / FAILURE, text.encode("utf-8"))
    except OSError as err:
        status = status if status != EXIT_FAILED else fault_status(err)
        print(fault_line(f"recording the failure in {workdir / FAILURE}", err), file=sys.stderr, flush=True)
        print(f"{PREFIX} FAILED ({reason}); not recorded in {FAILURE}: the text above is the record", file=sys.stderr)
        return status
    print(f"{PREFIX} FAILED ({reason}); written to {workdir / FAILURE}", file=sys.stderr, flush=True)
    return status


def _fault(workdir: Path, archive: Path, doing: str, err: OSError) -> int:
    """A run ended by a fault of the machine: one line, recorded where it still can be."""
    line = fault_line(doing, err)
    print(line, file=sys.stderr, flush=True)
    return _fail(workdir, archive, line.removeprefix(f"{PREFIX} "), [], False, fault_status(err))


# --- the run -------------------------------------------------------------------------------------


def scheduled_run(
    workdir: str | Path = ".",
    configfile: str | Path | None = None,
    cores: int = 2,
    archive: str | Path = DEFAULT_ARCHIVE,
    snakefile: str | Path | None = None,
) -> int:
    """One scheduled run in ``workdir``; its exit status (EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_STORAGE,
    EXIT_LOCKED, EXIT_PERMISSION).

    ``configfile`` and ``archive``, when relative, are inside ``workdir``.
    """
    workdir = Path(workdir).resolve()
    if not workdir.is_dir():
        print(f"{PREFIX} no working directory {workdir}", file=sys.stderr)
        return EXIT_USAGE
    found = find_snakefile(workdir, snakefile)
    if found is None:
        print(f"{PREFIX} no Snakefile (give --snakefile, or run in the pipeline's folder)", file=sys.stderr)
        return EXIT_USAGE
    archive = _resolve(workdir, archive)
    try:
        fd = try_lock(workdir)
    except OSError as err:
        return _fault(workdir, archive, f"taking the lock {lock_path(workdir)}", err)
    if fd is None:
        print(
            f"{PREFIX} another run holds {lock_path(workdir)}; not started (exit {EXIT_LOCKED}, try again later)",
            file=sys.stderr,
            flush=True,
        )
        return EXIT_LOCKED
    try:
        return _run_locked(workdir, _resolve(workdir, configfile), cores, archive, found, fd)
    except OSError as err:
        return _fault(workdir, archive, "the scheduled run", err)
    finally:
        release_lock(fd)


def _run_locked(workdir: Path, configfile: Path | None, cores: int, archive: Path, snakefile: Path, fd: int) -> int:
    for path in remove_leftovers(workdir, archive):
        print(f"{PREFIX} removed {path} left by an interrupted run", flush=True)
    base = snakemake_command(snakefile, workdir, configfile)
    if snakemake_locked(workdir):
        print(f"{PREFIX} removing the Snakemake lock left by an interrupted run (snakemake --unlock)", flush=True)
        code, tail = run_streamed(base + ["--unlock"], workdir, pass_fds=(fd,))
        if code != 0:
            return _fail(workdir, archive, f"snakemake --unlock exited with {code}", tail, False)
    before = _stamp(workdir / VALIDATION)
    command = snakemake_command(snakefile, workdir, configfile, cores) + ["--rerun-incomplete"]
    print(f"{PREFIX} {' '.join(['snakemake', *command[3:]])}", flush=True)
    code, tail = run_streamed(command, workdir, pass_fds=(fd,))
    if code != 0:
        fresh = _stamp(workdir / VALIDATION) not in (None, before)
        return _fail(workdir, archive, f"snakemake exited with {code}", tail, fresh, _output_status(tail))
    try:
        folder, created, refreshed = publish(workdir, archive)
    except ArchiveError as err:
        return _fail(workdir, archive, f"archiving the report failed: {err}", tail, False)
    except OSError as err:
        line = fault_line("archiving the report", err)
        return _fail(workdir, archive, line.removeprefix(f"{PREFIX} "), tail, False, fault_status(err))
    print(
        f"{PREFIX} {'archived the report in' if created else 'report unchanged, already archived in'} {folder}"
        + (f"; {archive / LATEST} updated" if refreshed else ""),
        flush=True,
    )
    failure = workdir / FAILURE
    if failure.exists():
        failure.unlink()
        print(f"{PREFIX} removed {failure} (the previous failure is resolved)", flush=True)
    return EXIT_OK


# --- command line ---------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workdir", default=".", help="the trial's working directory (default: .)")
    parser.add_argument(
        "--configfile",
        default=None,
        help="config file, relative to the working directory (default: the Snakefile's config.yaml)",
    )
    parser.add_argument("--cores", type=int, default=2, help="Snakemake --cores (default: 2)")
    parser.add_argument(
        "--archive",
        default=DEFAULT_ARCHIVE,
        help=f"archive folder, relative to the working directory (default: {DEFAULT_ARCHIVE})",
    )
    parser.add_argument(
        "--snakefile",
        default=None,
        help="the pipeline's Snakefile (default: <workdir>/Snakefile, else the installed repository's)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="only list the jobs a run would start now; takes no lock, writes nothing"
    )


def run_from_args(args: argparse.Namespace) -> int:
    if args.dry_run:
        try:
            jobs = planned_jobs(args.workdir, args.snakefile, args.configfile)
        except RuntimeError as err:
            print(f"{PREFIX} {err}", file=sys.stderr)
            return EXIT_FAILED
        counts = collections.Counter(jobs)
        print(
            f"{PREFIX} "
            + (
                f"{len(jobs)} job(s) would run: " + ", ".join(f"{rule} {n}" for rule, n in counts.items())
                if jobs
                else "nothing to do"
            )
        )
        return EXIT_OK
    return scheduled_run(args.workdir, args.configfile, args.cores, args.archive, args.snakefile)
