"""Audit a run from its provenance manifest: same raw inputs, same code, same outputs?

``python -m trialflow.audit results/provenance.json`` (run in the folder the pipeline ran in):

1. re-hashes every raw input listed in the manifest: a changed or missing file is a
   ``differ`` line naming it;
2. rebuilds everything in a fresh temporary folder: copies the raw folder and writes the
   manifest's resolved config there, then runs
   ``snakemake -s <repo>/Snakefile -d <tmp> --cores 2 --configfile <tmp>/config.yaml -q``;
3. compares every output listed in the manifest by SHA-256 with its rebuilt copy.

One line per file, ``match  path`` or ``differ path (reason)``; ``note`` lines say where the code
or the software differ from the manifest's (they explain a difference, they are not one).
Exit status 0 only if everything matches, 1 otherwise, 2 if the manifest cannot be read.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from trialflow.provenance import (
    config_sha256,
    environment,
    git_version,
    manifest_text,
    read_manifest,
    sha256_file,
)

REBUILT_RAW = "raw"  # where the raw folder goes in the rebuild when the config names it absolutely


@dataclass(frozen=True)
class AuditLine:
    """One finding: status ``match`` | ``differ`` | ``note``, the file (or thing) and why."""

    status: str
    path: str
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "differ"

    def __str__(self) -> str:
        text = f"{self.status:<6} {self.path}"
        return f"{text} ({self.reason})" if self.reason else text


class RebuildError(RuntimeError):
    """The rebuild did not finish."""


def check_raw_inputs(manifest: dict, raw_dir: str | Path) -> list[AuditLine]:
    """Re-hash the raw inputs listed in the manifest; one line per file."""
    raw_dir = Path(raw_dir)
    lines = []
    for record in manifest["inputs"]["files"]:
        path = raw_dir / record["path"]
        shown = path.as_posix()
        if not path.is_file():
            lines.append(AuditLine("differ", shown, "raw input missing"))
            continue
        size = path.stat().st_size
        if sha256_file(path) == record["sha256"]:
            lines.append(AuditLine("match", shown))
        else:
            lines.append(
                AuditLine(
                    "differ",
                    shown,
                    f"raw input changed since the run: SHA-256 differs, {record['size']} bytes then, {size} now",
                )
            )
    return lines


def check_config(manifest: dict) -> list[AuditLine]:
    """The manifest's config against its own recorded SHA-256 (an edited manifest differs)."""
    if config_sha256(manifest["config"]) == manifest["config_sha256"]:
        return [AuditLine("match", "config")]
    return [AuditLine("differ", "config", "the manifest's config does not have its recorded SHA-256")]


def compare_versions(manifest: dict, repo_dir: str | Path) -> list[AuditLine]:
    """Notes where today's code, Python or packages are not the manifest's."""
    notes = []
    then, now = manifest.get("code", {}), git_version(repo_dir)
    if then != now:

        def describe(code):
            if code.get("git_commit") is None:
                return "unknown"
            return code["git_commit"][:12] + (" with uncommitted changes" if code.get("git_dirty") else "")

        notes.append(AuditLine("note", "code", f"run with {describe(then)}, rebuilt with {describe(now)}"))
    env_then, env_now = manifest.get("environment", {}), environment()
    if env_then.get("python") != env_now["python"]:
        notes.append(AuditLine("note", "python", f"{env_then.get('python')} then, {env_now['python']} now"))
    packages_then = env_then.get("packages", {})
    for name in sorted(set(packages_then) | set(env_now["packages"])):
        if packages_then.get(name) != env_now["packages"].get(name):
            notes.append(
                AuditLine("note", name, f"{packages_then.get(name)} then, {env_now['packages'].get(name)} now")
            )
    return notes


def prepare_workdir(manifest: dict, raw_dir: str | Path, workdir: str | Path) -> Path:
    """Copy the raw folder and write the manifest's config into ``workdir``; return the config path.

    The raw folder goes where the config expects it (its ``raw_dir``, when relative). The config
    is written as JSON, which YAML reads, byte for byte the resolved config of the run.
    """
    workdir = Path(workdir)
    config = dict(manifest["config"])
    recorded = Path(manifest["inputs"]["raw_dir"])
    target = recorded if not recorded.is_absolute() and ".." not in recorded.parts else Path(REBUILT_RAW)
    if target != recorded:
        config["raw_dir"] = target.as_posix()
    shutil.copytree(raw_dir, workdir / target)
    configfile = workdir / "config.yaml"
    configfile.write_text(manifest_text(config), encoding="utf-8")
    return configfile


def run_snakemake(repo_dir: str | Path, workdir: str | Path, configfile: str | Path, cores: int = 2) -> None:
    """Run the pipeline of ``repo_dir`` in ``workdir``; raise :class:`RebuildError` if it fails."""
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(Path(repo_dir) / "Snakefile"),
        "-d",
        str(workdir),
        "--cores",
        str(cores),
        "--configfile",
        str(configfile),
        "-q",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        said = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        errors = [line for line in said if re.match(r"(Error in rule \w+|\w*Error\b)", line)]
        why = (errors or said or [""])[0].rstrip(":")
        raise RebuildError(
            f"snakemake exited with {done.returncode}"
            + (f": {why}" if why else "")
            + "; --keep DIR keeps the rebuild and its logs"
        )


def compare_outputs(manifest: dict, rebuilt_dir: str | Path) -> list[AuditLine]:
    """Every output listed in the manifest against its rebuilt copy, by SHA-256."""
    lines = []
    for record in manifest["outputs"]:
        path = Path(rebuilt_dir) / record["path"]
        if Path(record["path"]).is_absolute():
            lines.append(AuditLine("differ", record["path"], "absolute path: not part of the rebuild"))
        elif not path.is_file():
            lines.append(AuditLine("differ", record["path"], "not produced by the rebuild"))
        elif sha256_file(path) != record["sha256"]:
            lines.append(
                AuditLine(
                    "differ",
                    record["path"],
                    f"SHA-256 differs: {record['size']} bytes in the manifest, {path.stat().st_size} rebuilt",
                )
            )
        else:
            lines.append(AuditLine("match", record["path"]))
    return lines


def audit(
    manifest_path: str | Path,
    repo_dir: str | Path,
    raw_dir: str | Path | None = None,
    cores: int = 2,
    keep: str | Path | None = None,
) -> list[AuditLine]:
    """Audit a run; the lines in the order: config, raw inputs, notes, outputs.

    Parameters
    ----------
    manifest_path : the run's ``provenance.json``.
    repo_dir : the pipeline's repository (holds the Snakefile).
    raw_dir : the raw folder; default the manifest's ``raw_dir`` from the current directory.
    cores : Snakemake's ``--cores`` for the rebuild.
    keep : rebuild into this (new or empty) folder and keep it, instead of a temporary one.
    """
    manifest = read_manifest(manifest_path)
    raw_dir = Path(manifest["inputs"]["raw_dir"] if raw_dir is None else raw_dir)
    lines = check_config(manifest) + check_raw_inputs(manifest, raw_dir) + compare_versions(manifest, repo_dir)
    if not raw_dir.is_dir():
        return lines + [
            AuditLine("differ", record["path"], f"not rebuilt: no raw folder {raw_dir.as_posix()}")
            for record in manifest["outputs"]
        ]
    with tempfile.TemporaryDirectory(prefix="trialflow-audit-") as scratch:
        workdir = Path(keep) if keep is not None else Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        configfile = prepare_workdir(manifest, raw_dir, workdir)
        try:
            run_snakemake(repo_dir, workdir, configfile, cores)
        except RebuildError as err:
            return lines + [
                AuditLine("differ", record["path"], f"rebuild failed: {err}") for record in manifest["outputs"]
            ]
        return lines + compare_outputs(manifest, workdir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m trialflow.audit",
        description="Re-hash a run's raw inputs, rebuild it in a temporary folder and compare every output "
        "with the provenance manifest. Run it in the folder the pipeline ran in.",
    )
    parser.add_argument("manifest", help="the run's provenance manifest, e.g. results/provenance.json")
    parser.add_argument("--repo", default=".", help="the pipeline's repository, holding the Snakefile (default: .)")
    parser.add_argument("--raw", default=None, help="the raw folder (default: the manifest's raw_dir)")
    parser.add_argument("--cores", type=int, default=2, help="Snakemake --cores for the rebuild (default: 2)")
    parser.add_argument("--keep", default=None, metavar="DIR", help="rebuild into DIR and keep it")
    args = parser.parse_args(argv)
    try:
        read_manifest(args.manifest)
    except (OSError, ValueError) as err:
        print(f"audit: cannot read the manifest {args.manifest}: {err}", file=sys.stderr)
        return 2
    lines = audit(args.manifest, args.repo, args.raw, cores=args.cores, keep=args.keep)
    for line in lines:
        print(line)
    differ = sum(not line.ok for line in lines)
    checked = sum(line.status != "note" for line in lines)
    print(f"audit: {checked - differ} of {checked} match" + ("" if differ else "; the run is reproduced"))
    return 0 if differ == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
