"""Faults of the machine in ``trialflow scheduled-run``: a full disk, a read-only file system, a
permission refused. Each ends the run with one line, a documented exit status
(docs/scheduled-runs.md) and, where the failure file cannot be written, the record on stderr.

The faults are injected (monkeypatched ``OSError``\\ s with their errno): these tests run as root,
for whom a directory without write permission is still writable, and a read-only mount needs
privileges a test should not take. Snakemake is not started (``run_streamed`` is replaced).
"""

import errno
import os

import pytest

from trialflow import schedule


@pytest.fixture
def workdir(tmp_path):
    (tmp_path / "Snakefile").write_text("# never run: run_streamed is replaced\n")
    (tmp_path / "results" / "qc").mkdir(parents=True)
    return tmp_path


def oserror(code, path):
    return OSError(code, os.strerror(code), str(path))


def snakemake_fails_with(monkeypatch, lines):
    monkeypatch.setattr(schedule, "snakemake_locked", lambda workdir: False)
    monkeypatch.setattr(schedule, "run_streamed", lambda *a, **k: (1, lines))


def test_the_exit_statuses_are_distinct_and_documented():
    statuses = [schedule.EXIT_OK, schedule.EXIT_FAILED, schedule.EXIT_USAGE, schedule.EXIT_STORAGE]
    statuses += [schedule.EXIT_LOCKED, schedule.EXIT_PERMISSION]
    assert len(set(statuses)) == 6
    doc = (schedule.Path(schedule.__file__).parents[2] / "docs" / "scheduled-runs.md").read_text()
    for status in statuses:
        assert f"\n| {status} |" in doc


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (errno.ENOSPC, schedule.EXIT_STORAGE),
        (errno.EDQUOT, schedule.EXIT_STORAGE),
        (errno.EROFS, schedule.EXIT_STORAGE),
        (errno.EACCES, schedule.EXIT_PERMISSION),
        (errno.EPERM, schedule.EXIT_PERMISSION),
        (errno.ENOENT, schedule.EXIT_FAILED),
    ],
)
def test_a_fault_is_classified_by_its_errno(code, status):
    assert schedule.fault_status(oserror(code, "/x")) == status


def test_a_read_only_working_directory_is_one_line_and_exit_74(workdir, monkeypatch, capsys):
    def refuse(path):
        raise oserror(errno.EROFS, schedule.lock_path(path))

    monkeypatch.setattr(schedule, "try_lock", refuse)
    monkeypatch.setattr(schedule, "write_atomic", lambda path, data: refuse(workdir))
    assert schedule.scheduled_run(workdir) == schedule.EXIT_STORAGE
    err = capsys.readouterr().err
    lock = workdir / ".trialflow.lock"
    assert err.splitlines()[0] == (
        f"trialflow scheduled-run: taking the lock {lock} failed: {lock}: Read-only file system (EROFS); exit 74"
    )
    assert "Traceback" not in err
    # LAST_FAILURE.txt could not be written: stderr holds the record and says so
    assert f"trialflow scheduled-run: recording the failure in {workdir / schedule.FAILURE} failed" in err
    assert "not recorded in results/qc/LAST_FAILURE.txt: the text above is the record" in err
    assert not (workdir / schedule.FAILURE).exists()


def test_a_full_disk_while_archiving_is_recorded_in_last_failure(workdir, monkeypatch, capsys):
    monkeypatch.setattr(schedule, "snakemake_locked", lambda workdir: False)
    monkeypatch.setattr(schedule, "run_streamed", lambda *a, **k: (0, ["done"]))

    def full(workdir, archive):
        raise oserror(errno.ENOSPC, archive / "latest")

    monkeypatch.setattr(schedule, "publish", full)
    assert schedule.scheduled_run(workdir) == schedule.EXIT_STORAGE
    text = (workdir / schedule.FAILURE).read_text()
    archive = workdir / "reports" / "archive"
    assert (
        f"reason: archiving the report failed: {archive / 'latest'}: No space left on device (ENOSPC); exit 74" in text
    )
    assert "Traceback" not in capsys.readouterr().err


def test_a_job_that_hit_a_full_disk_gives_exit_74(workdir, monkeypatch):
    snakemake_fails_with(monkeypatch, ["OSError: [Errno 28] No space left on device: 'results/x.csv'"])
    assert schedule.scheduled_run(workdir) == schedule.EXIT_STORAGE
    assert "reason: snakemake exited with 1" in (workdir / schedule.FAILURE).read_text()


def test_a_failed_run_whose_failure_file_cannot_be_written_prints_the_record(workdir, monkeypatch, capsys):
    snakemake_fails_with(monkeypatch, ["Error in rule read_participants:", "    log: results/logs/x.log"])

    def denied(path, data):
        raise oserror(errno.EACCES, path)

    monkeypatch.setattr(schedule, "write_atomic", denied)
    assert schedule.scheduled_run(workdir) == schedule.EXIT_PERMISSION
    err = capsys.readouterr().err
    assert "reason: snakemake exited with 1" in err
    assert "Failed steps:\n  - read_participants (log: results/logs/x.log)" in err
    assert f"{workdir / schedule.FAILURE}: Permission denied (EACCES); exit 77" in err


def test_a_data_failure_keeps_exit_1(workdir, monkeypatch):
    snakemake_fails_with(monkeypatch, ["Error in rule check_validation:"])
    assert schedule.scheduled_run(workdir) == schedule.EXIT_FAILED
    assert (workdir / schedule.FAILURE).is_file()


def test_a_permission_refused_mid_run_is_one_line(workdir, monkeypatch, capsys):
    def refused(workdir, archive):
        raise oserror(errno.EACCES, workdir / "reports")

    monkeypatch.setattr(schedule, "remove_leftovers", refused)
    assert schedule.scheduled_run(workdir) == schedule.EXIT_PERMISSION
    err = capsys.readouterr().err
    assert err.splitlines()[0] == (
        f"trialflow scheduled-run: the scheduled run failed: {workdir / 'reports'}: Permission denied (EACCES); exit 77"
    )
    assert "reason: the scheduled run failed" in (workdir / schedule.FAILURE).read_text()
