"""The demo trial through a real (single-node) Slurm cluster gives the same outputs as a local run.

Runs workflow/cluster/run_demo_on_slurm.py end to end: it installs Debian's slurm-wlm and munge
when missing, starts the cluster, runs the pipeline with the Slurm profile in one copy of the
repository and locally in another, and compares results/ and reports/ byte for byte. The whole
DAG goes into one Slurm job (--one-slurm-job) and the two runs go one after the other (--serial:
on 2 cores they only slow each other down) to keep the time down; docs/cluster.md says what a
run with one Slurm job per rule job showed.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = [
    pytest.mark.pipeline,
    pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="starting Slurm needs root"),
    pytest.mark.skipif(
        shutil.which("apt-get") is None and shutil.which("slurmctld") is None,
        reason="no Slurm installed and no apt-get to install it (Debian only)",
    ),
]

CLUSTER = ROOT / "workflow" / "cluster" / "single_node_slurm.sh"


def cluster(action):
    return subprocess.run(["bash", str(CLUSTER), action], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def slurm_cluster():
    """The single-node cluster; stopped afterwards unless it was running before."""
    was_running = shutil.which("sinfo") is not None and cluster("status").returncode == 0
    yield
    if not was_running:
        cluster("stop")


@pytest.fixture(scope="module")
def comparison(slurm_cluster, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("slurm-vs-local")
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "workflow/cluster/run_demo_on_slurm.py"),
            "--one-slurm-job",
            "--serial",
            "--workdir",
            str(workdir),
        ],
        capture_output=True,
        text=True,
        timeout=1500,
    )
    return {"done": done, "out": done.stdout + done.stderr, "dir": workdir}


def test_slurm_and_local_runs_give_the_same_outputs(comparison):
    out = comparison["out"]
    assert comparison["done"].returncode == 0, out[-6000:]
    assert "slurm: succeeded" in out and "local: succeeded" in out
    assert " 0 differ" in out, out[-6000:]
    assert "\ndiffer " not in out


def test_the_jobs_went_through_slurm(comparison):
    out = comparison["out"]
    assert "1 Slurm job(s) submitted" in out, out[-6000:]
    assert "1 of them started on a node and 1 completed with exit status 0" in out


def test_the_manifests_are_identical_and_each_run_record_names_its_command(comparison):
    out = comparison["out"]
    assert "differ  results/provenance.json" not in out
    commands = {
        name: json.loads((comparison["dir"] / name / "results/logs/run.json").read_text())["command"]
        for name in ("slurm", "local")
    }
    # The user's command reaches the run record from inside the Slurm job, not the job's own command line.
    assert commands["slurm"][:3] == ["snakemake", "--profile", "workflow/profiles/slurm"]
    assert commands["local"] == ["snakemake", "--cores", "2"]


def test_start_is_idempotent_and_status_shows_the_node(comparison):
    again = cluster("start")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "started" not in again.stdout  # nothing restarted
    status = cluster("status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert "slurmctld running" in status.stdout and "slurmd running" in status.stdout
