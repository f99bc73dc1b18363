"""Scheduled reruns (``trialflow scheduled-run``): lock, kill -9 and rerun, incremental reruns, archive.

One full pipeline run is shared by the module (``baseline``); each test works on a copy of it
(``shutil.copytree`` keeps the modification times, so Snakemake sees the copy as finished).
The slow ones are a second full run (killed, then finished) and the audit's rebuild.

The runs use a copy of the pipeline (Snakefile, rules, package) taken when the module starts:
every rule has the package's code hash as a param, so an edit to the working tree while the
tests run would otherwise rerun jobs between one test step and the next.
"""

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT
from trialflow import schedule

TRIAL = "demo-ms-combined-training"
REPORT = f"reports/{TRIAL}/report.pdf"
ARCHIVE = "reports/archive"


def fresh_workdir(path):
    """A working directory holding only the demo's raw folder and config."""
    path.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "raw" / "demo", path / "raw" / "demo")
    shutil.copy(ROOT / "config.yaml", path / "config.yaml")
    return path


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """A copy of the pipeline, imported by every Snakemake run of this module (PYTHONPATH)."""
    copy = tmp_path_factory.mktemp("pipeline")
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copy(ROOT / "Snakefile", copy / "Snakefile")
    for folder in ("workflow", "schemas", "src"):
        shutil.copytree(ROOT / folder, copy / folder, ignore=ignore)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", os.pathsep.join([str(copy / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]))
        yield copy


def run(workdir, pipeline):
    return schedule.scheduled_run(workdir, snakefile=pipeline / "Snakefile")


def tree(folder, pattern="*"):
    """{relative path: SHA-256} of every file under ``folder`` matching ``pattern``."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob(pattern))
        if p.is_file()
    }


def published_outputs(workdir):
    """What must not depend on how the run went: statistics, figures and the report PDF."""
    return {
        **{f"stats/{k}": v for k, v in tree(workdir / "results/stats", "*.csv").items()},
        **{f"figures/{k}": v for k, v in tree(workdir / "results/figures", "*.svg").items()},
        REPORT: hashlib.sha256((workdir / REPORT).read_bytes()).hexdigest(),
    }


def archive_folders(workdir):
    return sorted(p.name for p in (workdir / ARCHIVE).iterdir())


def copy_of(baseline, tmp_path):
    target = tmp_path / "trial"
    shutil.copytree(baseline, target, symlinks=True)
    return target


def newer_than_outputs(path, workdir):
    """Give ``path`` a modification time after every output's, without waiting for the clock."""
    latest = max(p.stat().st_mtime_ns for top in ("results", "reports") for p in (workdir / top).rglob("*"))
    os.utime(path, ns=(latest + 1_000_000_000, latest + 1_000_000_000))


@pytest.fixture(scope="module")
def baseline(tmp_path_factory, pipeline):
    """One uninterrupted scheduled run of the demo trial."""
    workdir = fresh_workdir(tmp_path_factory.mktemp("baseline"))
    assert run(workdir, pipeline) == schedule.EXIT_OK
    return workdir


# --- archive ---------------------------------------------------------------------------------------


def test_a_successful_run_archives_the_report_under_cutoff_and_input_hash(baseline):
    manifest = schedule.read_manifest(baseline / "results/provenance.json")
    name = f"2025-06-30_{schedule.input_hash(manifest)}"
    assert re.fullmatch(r"2025-06-30_[0-9a-f]{12}", name)
    assert archive_folders(baseline) == [name, "latest"]
    folder = baseline / ARCHIVE / name
    assert {"report.pdf", "report.html", "elisa_qc.pdf", "provenance.json"} <= set(tree(folder))
    assert (folder / "report.pdf").read_bytes() == (baseline / REPORT).read_bytes()
    assert (folder / "provenance.json").read_bytes() == (baseline / "results/provenance.json").read_bytes()
    assert tree(baseline / ARCHIVE / "latest") == tree(folder)
    assert not (baseline / "results/qc/LAST_FAILURE.txt").exists()


def test_the_input_hash_is_sha256sum_of_the_input_hashes():
    manifest = {"inputs": {"files": [{"path": "a.csv", "sha256": "1" * 64}, {"path": "b.csv", "sha256": "2" * 64}]}}
    text = f"{'1' * 64}  a.csv\n{'2' * 64}  b.csv\n"
    assert schedule.input_hash(manifest) == hashlib.sha256(text.encode()).hexdigest()[:12]
    assert schedule.archive_name({**manifest, "data_cutoff": "2025-06-30"}).startswith("2025-06-30_")
    assert schedule.archive_name(manifest).startswith("no-cutoff_")


def test_an_unchanged_night_runs_no_job_and_archives_nothing_new(pipeline, baseline, tmp_path):
    workdir = copy_of(baseline, tmp_path)
    assert schedule.planned_jobs(workdir, pipeline / "Snakefile") == []
    before = tree(workdir / ARCHIVE)
    folders = archive_folders(workdir)
    assert run(workdir, pipeline) == schedule.EXIT_OK
    assert archive_folders(workdir) == folders
    assert tree(workdir / ARCHIVE) == before


def test_a_failing_night_keeps_latest_and_says_why(pipeline, baseline, tmp_path, capsys):
    workdir = copy_of(baseline, tmp_path)
    latest = tree(workdir / ARCHIVE / "latest")
    folders = archive_folders(workdir)
    participants = workdir / "raw/demo/participants.csv"
    lines = participants.read_text().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if ",training," in line)
    lines[index] = lines[index].replace(",training,", ",placebo,")
    participants.write_text("".join(lines))
    newer_than_outputs(participants, workdir)
    capsys.readouterr()

    assert run(workdir, pipeline) == schedule.EXIT_FAILED

    assert tree(workdir / ARCHIVE / "latest") == latest
    assert archive_folders(workdir) == folders
    failure = (workdir / "results/qc/LAST_FAILURE.txt").read_text()
    expected = (
        f"participants.csv, line {index + 1}, column 'arm': arm 'placebo' is not one of control, training "
        "(as configured) (value 'placebo') [arm_known]"
    )
    assert expected in failure
    assert "snakemake exited with 1" in failure
    assert "Snakemake output (last" in failure
    assert expected in capsys.readouterr().err  # printed where cron's log gets it
    assert (workdir / REPORT).read_bytes() == (baseline / REPORT).read_bytes()  # the report stays


def test_a_folder_of_the_same_name_holding_other_files_is_never_overwritten(baseline, tmp_path):
    workdir = copy_of(baseline, tmp_path)
    manifest = schedule.read_manifest(workdir / "results/provenance.json")
    name = schedule.archive_name(manifest)
    (workdir / ARCHIVE / name / "report.pdf").write_bytes(b"an earlier report of the same inputs")
    folder, created, refreshed = schedule.publish(workdir, workdir / ARCHIVE)
    assert (folder.name, created, refreshed) == (f"{name}-2", True, False)
    assert (workdir / ARCHIVE / name / "report.pdf").read_bytes() == b"an earlier report of the same inputs"


def test_replacing_a_folder_swaps_it_whole(tmp_path):
    old, new = tmp_path / "latest", tmp_path / ".tmp-new"
    old.mkdir()
    (old / "a").write_text("old")
    (old / "gone").write_text("old")
    new.mkdir()
    (new / "a").write_text("new")
    schedule.replace_dir(new, old)
    assert tree(old) == tree_of({"a": "new"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest"]


def tree_of(files):
    return {k: hashlib.sha256(v.encode()).hexdigest() for k, v in files.items()}


# --- the lock --------------------------------------------------------------------------------------


def test_a_second_run_during_the_first_is_refused_and_writes_nothing(pipeline, baseline, tmp_path, capsys):
    workdir = copy_of(baseline, tmp_path)
    before = tree(workdir)
    fd = schedule.try_lock(workdir)  # the first run
    assert fd is not None
    try:
        capsys.readouterr()
        assert run(workdir, pipeline) == schedule.EXIT_LOCKED == 75
        err = capsys.readouterr().err.strip()
        assert (
            err == f"trialflow scheduled-run: another run holds {workdir / '.trialflow.lock'}; not started "
            "(exit 75, try again later)"
        )
    finally:
        schedule.release_lock(fd)
    assert tree(workdir) == before
    assert sorted(p.name for p in workdir.iterdir()) == sorted(p.name for p in baseline.iterdir())


def test_the_lock_is_free_again_once_its_holder_is_gone(tmp_path):
    fd = schedule.try_lock(tmp_path)
    assert schedule.try_lock(tmp_path) is None
    schedule.release_lock(fd)
    again = schedule.try_lock(tmp_path)
    assert again is not None
    schedule.release_lock(again)


def test_the_command_line_refuses_too(baseline, tmp_path):
    workdir = copy_of(baseline, tmp_path)
    fd = schedule.try_lock(workdir)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "trialflow.cli", "scheduled-run", "--workdir", str(workdir)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        schedule.release_lock(fd)
    assert done.returncode == 75
    assert "another run holds" in done.stderr and done.stdout == ""


# --- reruns --------------------------------------------------------------------------------------


def test_a_changed_redcap_export_reruns_only_its_downstream_jobs(pipeline, baseline, tmp_path):
    workdir = copy_of(baseline, tmp_path)
    path = workdir / "raw/demo/functional_redcap.csv"
    path.write_text(path.read_text() + "\n")  # a trailing blank line: new bytes, same data
    newer_than_outputs(path, workdir)
    jobs = set(schedule.planned_jobs(workdir, pipeline / "Snakefile"))
    # Every step downstream of the export reruns (rules added downstream later may join them) ...
    assert DOWNSTREAM_OF_REDCAP <= jobs, jobs
    # ... and none that does not read it, directly or through another step.
    assert not jobs & NOT_DOWNSTREAM_OF_REDCAP, jobs


DOWNSTREAM_OF_REDCAP = {
    "read_functional",
    "build_analysis_data",
    "collect_validation",
    "check_validation",
    "analyse_outcomes",
    "plot_outcomes",
    "check_published",
    "render_report_html",
    "render_report",
    "write_provenance",
    "all",
}
# compare_baseline waits for the validation gate only by its existence (ancient), so it stays.
NOT_DOWNSTREAM_OF_REDCAP = {
    "read_participants",
    "quantify_batch",
    "combine_plates",
    "render_elisa_qc",
    "compare_baseline",
}


def test_a_run_killed_mid_way_finishes_on_the_next_run_with_identical_outputs(pipeline, baseline, tmp_path):
    workdir = fresh_workdir(tmp_path / "trial")
    command = [
        sys.executable,
        "-m",
        "trialflow.cli",
        "scheduled-run",
        "--workdir",
        str(workdir),
        "--snakefile",
        str(pipeline / "Snakefile"),
    ]
    log = open(tmp_path / "killed.log", "w")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while not (workdir / "results/data/participants.csv").exists():
            assert proc.poll() is None, (tmp_path / "killed.log").read_text()
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        log.close()
    assert not (workdir / REPORT).exists()  # killed mid-way
    assert (workdir / ".snakemake/locks").is_dir() and any((workdir / ".snakemake/locks").iterdir())
    wait_for_the_lock(workdir)  # the killed processes' descriptors close as the kernel reaps them

    assert run(workdir, pipeline) == schedule.EXIT_OK

    assert published_outputs(workdir) == published_outputs(baseline)
    assert archive_folders(workdir) == archive_folders(baseline)
    assert schedule.planned_jobs(workdir, pipeline / "Snakefile") == []


def wait_for_the_lock(workdir):
    for _ in range(1200):
        fd = schedule.try_lock(workdir)
        if fd is not None:
            schedule.release_lock(fd)
            return
        time.sleep(0.05)
    pytest.fail("the killed run's lock was never released")


# --- the audit -----------------------------------------------------------------------------------


@pytest.mark.pipeline
def test_a_raw_file_edited_after_publication_fails_the_audit(pipeline, baseline, tmp_path):
    workdir = copy_of(baseline, tmp_path)
    participants = workdir / "raw/demo/participants.csv"
    lines = participants.read_text().splitlines(keepends=True)
    column = lines[0].strip().split(",").index("weight_kg")
    cells = lines[1].rstrip("\n").split(",")
    cells[column] = f"{float(cells[column]) + 1:.1f}"  # a corrected weight: valid, but not what was published
    lines[1] = ",".join(cells) + "\n"
    participants.write_text("".join(lines))
    done = subprocess.run(
        [sys.executable, "-m", "trialflow.audit", "results/provenance.json", "--repo", str(pipeline)],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"^differ raw/demo/participants\.csv \(raw input changed since the run", done.stdout, re.M)
    assert re.search(r"^differ results/stats/baseline\.csv ", done.stdout, re.M)  # the rebuild's weight differs
