"""Provenance manifest and audit: deterministic manifests; an audit that catches a changed byte."""

import datetime as dt
import hashlib
import json
import re
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from trialflow import audit as audit_module
from trialflow.audit import AuditLine, RebuildError, audit, main
from trialflow.dag import COMMAND_ENV, config_sha256, remember_command, snakemake_command
from trialflow.provenance import PACKAGES, build_manifest, git_version, read_manifest, write_manifest

CONFIG = {
    "trial": {"id": "tiny", "data_cutoff": "2025-06-30"},
    "raw_dir": "raw/tiny",
    "inputs": {"values": "values.txt", "notes": "notes.txt"},
}
OUTPUTS = ["results/total.txt", "results/notes.txt"]


def fake_pipeline(workdir, configfile):
    """A two-output "pipeline": the sum of the values, and the notes in capitals."""
    config = yaml.safe_load(Path(configfile).read_text())
    raw = Path(workdir) / config["raw_dir"]
    try:
        values = [float(x) for x in (raw / config["inputs"]["values"]).read_text().split()]
        notes = (raw / config["inputs"]["notes"]).read_text()
    except FileNotFoundError as err:
        raise RebuildError(f"snakemake exited with 1: {err}") from err
    out = Path(workdir) / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "total.txt").write_text(f"{sum(values)}\n")
    (out / "notes.txt").write_text(notes.upper())


@pytest.fixture
def run(tmp_path, monkeypatch):
    """A finished run of the fake pipeline in ``tmp_path/run`` (the current directory) with its manifest."""
    workdir, repo = tmp_path / "run", tmp_path / "repo"
    (workdir / "raw" / "tiny").mkdir(parents=True)
    repo.mkdir()
    (workdir / "raw/tiny/values.txt").write_text("1.5\n2.5\n3\n")
    (workdir / "raw/tiny/notes.txt").write_text("all visits done\n")
    (workdir / "config.yaml").write_text(yaml.safe_dump(CONFIG))
    monkeypatch.chdir(workdir)
    fake_pipeline(workdir, workdir / "config.yaml")
    manifest = build_manifest(
        "raw/tiny", ["raw/tiny/values.txt", "raw/tiny/notes.txt"], CONFIG, OUTPUTS, "2025-06-30", repo
    )
    write_manifest(manifest, "results/provenance.json")
    seen = []

    def rebuild(repo_dir, rebuild_dir, configfile, cores=2):
        seen.append(Path(rebuild_dir))
        fake_pipeline(rebuild_dir, configfile)

    monkeypatch.setattr(audit_module, "run_snakemake", rebuild)
    return {"dir": workdir, "repo": repo, "manifest": manifest, "rebuilds": seen}


# --- the manifest ---------------------------------------------------------------------------------


def test_manifest_records_inputs_config_code_environment_and_outputs(run):
    m = run["manifest"]
    assert m["inputs"]["raw_dir"] == "raw/tiny"
    assert [f["path"] for f in m["inputs"]["files"]] == ["notes.txt", "values.txt"]  # relative, sorted
    values = m["inputs"]["files"][1]
    assert values["size"] == 10
    assert values["sha256"] == hashlib.sha256(b"1.5\n2.5\n3\n").hexdigest()
    assert [f["path"] for f in m["outputs"]] == ["results/notes.txt", "results/total.txt"]
    assert m["outputs"][1]["sha256"] == hashlib.sha256(b"7.0\n").hexdigest()
    assert m["config"] == CONFIG
    canonical = json.dumps(CONFIG, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert m["config_sha256"] == hashlib.sha256(canonical.encode()).hexdigest()
    assert m["code"] == {"git_commit": None, "git_dirty": None}  # not a git repository
    assert m["data_cutoff"] == "2025-06-30" and "command" not in m  # how it was run: the run record
    assert set(m["environment"]["packages"]) == set(PACKAGES)
    assert m["environment"]["packages"]["pandas"] == metadata.version("pandas")


def test_manifest_is_the_same_bytes_whatever_the_order_and_the_moment(run):
    again = build_manifest(
        Path("raw/tiny"),
        ["notes.txt", "raw/tiny/values.txt"],
        dict(reversed(CONFIG.items())),
        list(reversed(OUTPUTS)),
        "2025-06-30",
        run["repo"],
    )
    write_manifest(again, "again.json")
    assert Path("again.json").read_bytes() == Path("results/provenance.json").read_bytes()
    text = Path("again.json").read_text()
    assert text.endswith("}\n") and json.loads(text) == run["manifest"]
    today = dt.date.today().isoformat()
    assert today not in text or today == "2025-06-30"  # no time of the run


def test_manifest_writes_atomically_and_reads_back(run, tmp_path):
    assert read_manifest("results/provenance.json") == run["manifest"]
    assert [p.name for p in Path("results").iterdir() if p.name.startswith(".")] == []
    (tmp_path / "other.json").write_text('{"manifest_version": 99}')
    with pytest.raises(ValueError, match="not a trialflow provenance manifest"):
        read_manifest(tmp_path / "other.json")


def test_input_outside_the_raw_folder_is_refused(run):
    with pytest.raises(ValueError, match="not a file inside the raw folder"):
        build_manifest("raw/tiny", ["config.yaml"], CONFIG, OUTPUTS, "2025-06-30", run["repo"])


def test_config_dates_are_written_as_iso_text():
    assert config_sha256({"cutoff": dt.date(2025, 6, 30)}) == config_sha256({"cutoff": "2025-06-30"})


def test_the_command_kept_by_the_main_process_reaches_the_jobs(monkeypatch):
    monkeypatch.delenv(COMMAND_ENV, raising=False)
    typed = ["/usr/local/bin/snakemake", "--cores", "2", "--configfile", "mytrial.yaml"]
    assert remember_command(typed) == ["snakemake", "--cores", "2", "--configfile", "mytrial.yaml"]
    # a job re-reads the Snakefile with Snakemake's internal argv: the first command wins
    assert remember_command(["snakemake", "--target-jobs", "write_provenance:"])[1:3] == ["--cores", "2"]
    assert snakemake_command() == ["snakemake", "--cores", "2", "--configfile", "mytrial.yaml"]


def test_git_version_of_this_repository():
    code = git_version(ROOT)
    if shutil.which("git") is None or code["git_commit"] is None:
        pytest.skip("no git, or the tests do not run inside the repository")
    assert re.fullmatch(r"[0-9a-f]{40}", code["git_commit"])
    assert isinstance(code["git_dirty"], bool)


# --- the report's appendix for many input files ---------------------------------------------------


def plate_trial(folder: Path, plates: int) -> tuple[dict, list[str]]:
    """A raw folder with three configured inputs and ``plates`` plate exports and maps."""
    config = {
        "inputs": {"participants": "participants.csv", "disposition": "disposition.csv", "concentrations": "c.csv"},
        "elisa": {"manifest": "elisa/plates.csv"},
    }
    (folder / "elisa" / "exports").mkdir(parents=True)
    (folder / "elisa" / "maps").mkdir()
    files = {"participants.csv": "id,arm\n", "disposition.csv": "screening_id\n", "elisa/plates.csv": "plate\n"}
    for i in range(plates):  # upper and lower case names: the order is code point order, as LC_ALL=C
        files[f"elisa/exports/{'Ab'[i % 2]}_{i:03d}.csv"] = f"export {i}\n" * (i + 1)
        files[f"elisa/maps/map_{i:03d}.csv"] = f"map {i}\n"
    for name, text in files.items():
        (folder / name).write_text(text)
    return config, [str(folder / name) for name in files]


def named(config: dict) -> list[str]:
    """The inputs a config names, as the report's rule lists them (common.smk, named_inputs)."""
    return [*config["inputs"].values(), config["elisa"]["manifest"]]


def test_folder_sha256_is_the_sha256_of_what_sha256sum_prints(tmp_path):
    from trialflow.provenance import file_record, folder_sha256

    _, files = plate_trial(tmp_path, 12)
    exports = sorted((tmp_path / "elisa" / "exports").iterdir())
    records = [file_record(p, f"elisa/exports/{p.name}") for p in reversed(exports)]  # any order in
    listing = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in exports)
    assert folder_sha256(records) == hashlib.sha256(listing.encode()).hexdigest()
    if shutil.which("sha256sum") and shutil.which("xargs"):  # the recipe the report prints
        done = subprocess.run(
            "LC_ALL=C ls | xargs -d '\\n' sha256sum | sha256sum",
            shell=True, cwd=tmp_path / "elisa" / "exports", capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert done.stdout.split()[0] == folder_sha256(records)


def test_report_lists_the_configured_inputs_and_summarises_plate_folders_above_the_threshold(tmp_path):
    from trialflow.provenance import REPORT_INPUTS_MAX, file_record, folder_sha256, report_record

    plates = REPORT_INPUTS_MAX // 2  # 3 + 2 x plates files: just above the threshold
    config, files = plate_trial(tmp_path, plates)
    appendix = report_record(str(tmp_path), files, named(config), "", str(tmp_path))
    assert [f["path"] for f in appendix["inputs"]] == ["disposition.csv", "elisa/plates.csv", "participants.csv"]
    exports = sorted((tmp_path / "elisa" / "exports").iterdir())
    assert appendix["folders"] == [
        {
            "folder": "elisa/exports",
            "files": plates,
            "bytes": sum(p.stat().st_size for p in exports),
            "sha256": folder_sha256([file_record(p, p.name) for p in exports]),
        },
        {
            "folder": "elisa/maps",
            "files": plates,
            "bytes": sum(p.stat().st_size for p in (tmp_path / "elisa" / "maps").iterdir()),
            "sha256": folder_sha256([file_record(p, p.name) for p in (tmp_path / "elisa" / "maps").iterdir()]),
        },
    ]
    # up to the threshold every file is listed, as in the demo
    config, files = plate_trial(tmp_path / "small", (REPORT_INPUTS_MAX - 3) // 2)
    appendix = report_record(str(tmp_path / "small"), files, named(config), "", str(tmp_path))
    assert len(appendix["inputs"]) == len(files) <= REPORT_INPUTS_MAX and appendix["folders"] == []


# --- the audit ------------------------------------------------------------------------------------


def test_audit_of_an_untouched_run_matches_everything(run, capsys):
    assert main(["results/provenance.json", "--repo", str(run["repo"])]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "match  raw/tiny/values.txt" in out and "match  raw/tiny/notes.txt" in out
    assert "match  results/total.txt" in out and "match  results/notes.txt" in out
    assert out[-1] == "audit: 5 of 5 match; the run is reproduced"
    # rebuilt in a fresh folder, elsewhere, and gone afterwards
    (rebuild_dir,) = run["rebuilds"]
    assert rebuild_dir != run["dir"] and not rebuild_dir.exists()


def test_a_changed_raw_byte_fails_the_audit_and_names_the_file(run, capsys):
    raw = run["dir"] / "raw/tiny/values.txt"
    raw.write_bytes(raw.read_bytes().replace(b"2.5", b"2.6"))
    assert main(["results/provenance.json", "--repo", str(run["repo"])]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^differ raw/tiny/values\.txt \(raw input changed since the run", out, flags=re.M)
    assert re.search(r"^differ results/total\.txt \(SHA-256 differs", out, flags=re.M)
    assert "match  results/notes.txt" in out  # the output that does not depend on it still matches


def test_a_missing_raw_file_fails_the_audit(run):
    (run["dir"] / "raw/tiny/notes.txt").unlink()
    lines = audit("results/provenance.json", run["repo"])
    assert AuditLine("differ", "raw/tiny/notes.txt", "raw input missing") in lines
    failed = [line for line in lines if line.path.startswith("results/")]
    assert len(failed) == 2 and all(not line.ok and "rebuild failed" in line.reason for line in failed)


def test_an_output_the_rebuild_does_not_reproduce_differs(run, monkeypatch):
    def drifting(repo_dir, rebuild_dir, configfile, cores=2):
        fake_pipeline(rebuild_dir, configfile)
        (Path(rebuild_dir) / "results/notes.txt").write_text("something else\n")

    monkeypatch.setattr(audit_module, "run_snakemake", drifting)
    lines = {line.path: line for line in audit("results/provenance.json", run["repo"])}
    assert lines["results/notes.txt"].status == "differ"
    assert lines["results/total.txt"].status == "match"


def test_an_edited_manifest_config_differs(run):
    manifest = read_manifest("results/provenance.json")
    manifest["config"]["raw_dir"] = "raw/tiny/"
    write_manifest(manifest, "results/provenance.json")
    lines = {line.path: line for line in audit("results/provenance.json", run["repo"])}
    assert lines["config"].status == "differ"


def test_the_raw_folder_is_never_written(run):
    before = {p: p.read_bytes() for p in (run["dir"] / "raw").rglob("*") if p.is_file()}
    audit("results/provenance.json", run["repo"])
    assert {p: p.read_bytes() for p in (run["dir"] / "raw").rglob("*") if p.is_file()} == before


def test_unreadable_manifest_exits_2(tmp_path, capsys):
    assert main([str(tmp_path / "none.json")]) == 2
    assert "cannot read the manifest" in capsys.readouterr().err


# --- the real pipeline, end to end ----------------------------------------------------------------


@pytest.mark.pipeline
def test_audit_reproduces_a_real_demo_run(tmp_path, monkeypatch):
    workdir = tmp_path / "trial"
    shutil.copytree(ROOT / "raw" / "demo", workdir / "raw" / "demo")
    shutil.copy(ROOT / "config.yaml", workdir / "config.yaml")
    command = ["snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir), "--cores", "2", "-q"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    monkeypatch.chdir(workdir)
    config = yaml.safe_load(Path("config.yaml").read_text())
    outputs = sorted(
        p.as_posix()
        for top in ["results", "reports"]
        for p in Path(top).rglob("*")
        # Not outputs: logs (with the run record), the caches, and the manifest itself (the
        # pipeline's manifest does not list itself either).
        if p.is_file()
        and "logs" not in p.parts
        and p.parts[:2] != ("results", "cache")
        and p.as_posix() != "results/provenance.json"
    )
    manifest = build_manifest(
        config["raw_dir"],
        list(config["inputs"].values()),
        config,
        outputs,
        config["trial"]["data_cutoff"],
        ROOT,
    )
    write_manifest(manifest, "provenance.json")
    lines = audit("provenance.json", ROOT)
    assert [str(line) for line in lines if not line.ok] == []
    assert {line.path for line in lines if line.status == "match"} >= set(outputs) | {"raw/demo/concentrations.csv"}
