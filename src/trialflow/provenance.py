"""Provenance manifest of a run: what went in, with which code and software, and what came out.

The manifest is a plain JSON document (``results/provenance.json``) that lets an auditor check
a results folder months later (``python -m trialflow.audit``):

* every raw input file: path relative to the raw folder, size, SHA-256;
* the resolved configuration, and the SHA-256 of its canonical JSON;
* the code version (git commit, and whether the working tree had uncommitted changes);
* the Python and package versions;
* the data cut-off;
* every output file: path, size, SHA-256.

It holds no time of the run, no command line and no path of the machine: the same inputs, config,
code and outputs give the same bytes in any folder (where, when and how the run was started is
the run record, :func:`run_record`, written beside the logs).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from trialflow.dag import config_sha256, package_code, plain
from trialflow.outputs import write_atomic

MANIFEST_VERSION = 2  # 2: the command moved to the run record (results/logs/run.json)
READABLE_VERSIONS = (1, 2)
PACKAGES = (
    "snakemake",
    "pandas",
    "numpy",
    "scipy",
    "pandera",
    "pingouin",
    "statsmodels",
    "jinja2",
    "weasyprint",
    "matplotlib",
    "pyreadstat",
    "rtflite",
)
_CHUNK = 1 << 20


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def file_record(path: str | Path, name: str) -> dict:
    """{path: name, size: bytes, sha256: hex} of one file."""
    path = Path(path)
    return {"path": name, "size": path.stat().st_size, "sha256": sha256_file(path)}


def _git(repo_dir: str | Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(repo_dir), *args], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def git_version(repo_dir: str | Path) -> dict:
    """{git_commit, git_dirty} of ``repo_dir``; both None when it is not a git repository (or no git).

    Dirty means ``git status --porcelain`` lists anything: changed, staged or untracked files.
    """
    commit = _git(repo_dir, "rev-parse", "HEAD")
    status = _git(repo_dir, "status", "--porcelain") if commit is not None else None
    return {
        "git_commit": commit.strip() if commit else None,
        "git_dirty": None if status is None else bool(status.strip()),
    }


def package_versions(names=PACKAGES) -> dict:
    """{package: installed version or None}."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def environment() -> dict:
    """{python: version, packages: {name: version}}."""
    return {"python": platform.python_version(), "packages": package_versions()}


def _under(path: Path, folder: Path) -> str | None:
    """``path`` relative to ``folder`` (posix), or None when it is outside."""
    try:
        return path.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return None


def input_records(raw_dir: Path, input_files: list[str]) -> list[dict]:
    """{path, size, sha256} of each raw file read (a path inside ``raw_dir`` or a name relative to it), by path."""
    records = {}
    for name in input_files:
        path = Path(name)
        relative = _under(path, raw_dir) if path.exists() else None
        if relative is None and (raw_dir / path).is_file():  # a name inside raw_dir
            path, relative = raw_dir / path, _under(raw_dir / path, raw_dir)
        if relative is None:
            raise ValueError(f"input file {name!r} is not a file inside the raw folder {raw_dir.as_posix()!r}")
        records[relative] = file_record(path, relative)
    return [records[k] for k in sorted(records)]


def _output_records(outputs: list[str]) -> list[dict]:
    cwd = Path.cwd()
    records = {}
    for name in outputs:
        path = Path(name)
        shown = (_under(path, cwd) or path.as_posix()) if path.is_absolute() else path.as_posix()
        records[shown] = file_record(path, shown)
    return [records[k] for k in sorted(records)]


def build_manifest(
    raw_dir: str | Path,
    input_files: list[str],
    config: dict,
    outputs: list[str],
    data_cutoff: str,
    repo_dir: str | Path,
) -> dict:
    """The provenance manifest of a run.

    Parameters
    ----------
    raw_dir : the raw folder (as in the config, usually relative to the working directory).
    input_files : the raw files read; paths inside ``raw_dir`` or names relative to it.
    config : the resolved configuration (Snakemake's ``config``).
    outputs : the output files, relative to the working directory (the current directory).
    data_cutoff : the data cut-off date (ISO text).
    repo_dir : the pipeline's repository (the Snakefile's folder), for the git commit.

    Returns
    -------
    dict with keys manifest_version, data_cutoff, code {git_commit, git_dirty},
    environment {python, packages}, config, config_sha256,
    inputs {raw_dir, files: [{path, size, sha256}]}, outputs [{path, size, sha256}];
    file lists sorted by path.
    """
    raw_dir = Path(raw_dir)
    plain_config = plain(config)
    return {
        "manifest_version": MANIFEST_VERSION,
        "data_cutoff": str(data_cutoff),
        "code": git_version(repo_dir),
        "environment": environment(),
        "config": plain_config,
        "config_sha256": config_sha256(plain_config),
        "inputs": {"raw_dir": raw_dir.as_posix(), "files": input_records(raw_dir, input_files)},
        "outputs": _output_records(outputs),
    }


REPORT_INPUTS_MAX = 50  # the report's appendix lists at most this many input files one by one


def folder_sha256(records: list[dict]) -> str:
    """One SHA-256 over a folder's files, from their records ({path, size, sha256}).

    It is the SHA-256 of the UTF-8 text with one line ``<sha256>  <name>\n`` per file (its SHA-256
    in lower-case hex, two spaces, its name inside the folder), the lines sorted by name in code
    point order: exactly what ``sha256sum`` prints for those files in that order. An auditor
    recomputes it from ``results/provenance.json`` with this function, or in the folder, when it
    holds exactly those files (names without a backslash or a line break), with
    ``LC_ALL=C ls | xargs -d '\n' sha256sum | sha256sum``.
    """
    pairs = sorted((Path(r["path"]).name, r["sha256"]) for r in records)
    text = "".join(f"{sha}  {name}\n" for name, sha in pairs)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def summarise_inputs(records: list[dict], listed: set[str]) -> tuple[list[dict], list[dict]]:
    """The input records for the report: those whose path is in ``listed`` one by one, every other
    file in a summary of its folder.

    Returns
    -------
    files : the records of ``listed`` ({path, size, sha256}), in the order given.
    folders : per folder (path relative to the raw folder, "." for the raw folder itself, sorted):
        ``folder``, ``files`` (count), ``bytes`` (total size) and ``sha256`` (:func:`folder_sha256`).
    """
    by_folder: dict[str, list[dict]] = {}
    for r in records:
        if r["path"] not in listed:
            by_folder.setdefault(Path(r["path"]).parent.as_posix(), []).append(r)
    folders = [
        {"folder": folder, "files": len(rs), "bytes": sum(r["size"] for r in rs), "sha256": folder_sha256(rs)}
        for folder, rs in sorted(by_folder.items())
    ]
    return [r for r in records if r["path"] in listed], folders


def manifest_text(manifest: dict) -> str:
    """The manifest as canonical pretty JSON: sorted keys, two-space indent, one final newline."""
    return json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write_manifest(manifest: dict, path: str | Path) -> None:
    """Write the manifest atomically as canonical pretty JSON (UTF-8)."""
    write_atomic(path, manifest_text(manifest).encode("utf-8"))


def read_manifest(path: str | Path) -> dict:
    """Read a manifest written by :func:`write_manifest`."""
    manifest = json.loads(Path(path).read_text(encoding="utf-8"))
    if manifest.get("manifest_version") not in READABLE_VERSIONS:
        versions = " or ".join(map(str, READABLE_VERSIONS))
        raise ValueError(f"{path}: not a trialflow provenance manifest of version {versions}")
    return manifest


def report_record(raw_dir: str | Path, raw_files: list[str], listed: list[str], config_hash: str, repo: str) -> dict:
    """What the report's provenance appendix prints: the inputs with SHA-256, the config hash,
    the code version and the package versions (the full manifest, outputs included, is
    results/provenance.json, written after the report). Above :data:`REPORT_INPUTS_MAX` files
    only the configured inputs (``listed``, names inside the raw folder) are listed one by one
    and the others (plate exports and maps) are summarised per folder (:func:`summarise_inputs`)."""
    inputs, folders = input_records(Path(raw_dir), raw_files), []
    if len(inputs) > REPORT_INPUTS_MAX:
        inputs, folders = summarise_inputs(inputs, {Path(n).as_posix() for n in listed})
    return {
        "inputs": inputs,
        "folders": folders,
        "config_sha256": config_hash,
        "git": git_version(repo),
        "code_sha256": package_code(),
        **environment(),
    }


def run_record(command: list[str]) -> dict:
    """Where, when and how a run happened: kept apart from the manifest (``results/logs/run.json``),
    so that the manifest of the same inputs, config and code is the same bytes in any folder, on
    any day, whatever the command line.

    Returns
    -------
    dict with keys command (as given), directory (the working directory), host, finished (UTC,
    ISO 8601, to the second).
    """
    return {
        "command": [str(c) for c in command],
        "directory": Path.cwd().as_posix(),
        "host": platform.node(),
        "finished": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    }
