"""Reruns follow what changed: a rule reruns when the code its step runs changes, and only then.

The workflow and the package are copied into a scratch folder and run from there (PYTHONPATH),
so that the test can edit the package without touching the repository.
"""

import os
import re
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.pipeline

ANALYSIS_AND_AFTER = {
    "compare_baseline", "analyse_outcomes", "estimate_effects", "fit_mmrm", "summarise_harms", "compute_sample_size",
    # (all of steps/analysis.py) and what reads their results:
    "plot_outcomes", "check_published", "render_report_html", "render_report", "tables_docx", "write_provenance", "all",
    "write_adam", "write_rtf",  # the ADaM flags read the ANOVA's exclusions; the RTF reads the report
}  # fmt: skip


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    """The repository's workflow, package and demo trial in a scratch folder, run once."""
    top = tmp_path_factory.mktemp("rerun")
    for name in ["Snakefile", "config.yaml"]:
        shutil.copy(ROOT / name, top / name)
    for name in ["workflow", "schemas", "src", "raw/demo"]:
        shutil.copytree(ROOT / name, top / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    assert snakemake(top).returncode == 0
    return top


def snakemake(top, *args):
    env = os.environ | {"PYTHONPATH": str(top / "src")}
    command = ["snakemake", "--cores", "2", *args]
    return subprocess.run(command, cwd=top, env=env, capture_output=True, text=True, timeout=600)


def planned_after_editing(top, module: str) -> set[str]:
    """The rules a dry run plans after a comment is added to ``module`` (a file of the package);
    the file is restored afterwards."""
    path = top / "src" / "trialflow" / module
    before = path.read_bytes()
    try:
        path.write_bytes(before + b"\n# an edit\n")
        dry = snakemake(top, "-n")
        assert dry.returncode == 0, dry.stderr[-2000:]
        return set(re.findall(r"^rule (\w+):", dry.stdout, flags=re.M))
    finally:
        path.write_bytes(before)


def test_an_edit_of_the_demo_generator_reruns_nothing(copy):
    assert planned_after_editing(copy, "demo/synthetic.py") == set()


def test_an_edit_of_the_anova_reruns_the_analysis_and_what_depends_on_it(copy):
    assert planned_after_editing(copy, "stats/anova.py") == ANALYSIS_AND_AFTER


def test_an_edit_of_the_report_style_rerenders_the_reports_only(copy):
    assert planned_after_editing(copy, "report/templates/report.css") == {
        "render_report_html", "render_report", "tables_docx", "render_elisa_qc", "write_rtf", "write_provenance", "all",
    }  # fmt: skip


def test_what_the_report_waits_for_runs_first_and_its_longest_inputs_before_the_rest(copy):
    """Scheduling priorities (workflow/rules/common.smk): when both cores are busy, the jobs after
    the validation gate that the report waits for go before those nothing waits for (the DOCX, the
    ELISA QC report), and the longest chains to it (statistics, the MMRM, figures, the ADaM
    datasets its PDF/A attaches: ~8 s on the large trial) before the short ones."""
    dry = snakemake(copy, "-n", "--forceall")
    assert dry.returncode == 0, dry.stderr[-2000:]
    blocks = re.split(r"^(?:local)?rule (\w+):\n", dry.stdout, flags=re.M)[1:]
    priority = {rule: int(m[1]) if (m := re.search(r"^\s+priority: (\d+)$", body, flags=re.M)) else 0
                for rule, body in zip(blocks[::2], blocks[1::2], strict=True)}  # fmt: skip
    longest = {"analyse_outcomes", "fit_mmrm", "plot_outcomes", "write_adam"}
    short = {"estimate_effects", "consort_flow", "write_spss"}
    idle = {"tables_docx", "render_elisa_qc"}
    assert longest | short | idle <= priority.keys()
    assert min(priority[r] for r in longest) > max(priority[r] for r in short) > max(priority[r] for r in idle)
