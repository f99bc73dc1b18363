"""The whole pipeline through Snakemake on the demo trial, in a scratch working directory."""

import hashlib
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from tests.conftest import ROOT, report_settings

pytestmark = pytest.mark.pipeline


def snakemake(workdir, *args):
    cmd = ["snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir), "--cores", "2", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def _tree_hashes(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("trial")
    shutil.copytree(ROOT / "raw" / "demo", workdir / "raw" / "demo")
    shutil.copy(ROOT / "config.yaml", workdir / "config.yaml")
    raw_before = _tree_hashes(workdir / "raw")
    result = snakemake(workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    return {"dir": workdir, "result": result, "raw_before": raw_before}


def test_run_ends_with_the_report_path(run):
    assert "report written to reports/demo-ms-combined-training/report.pdf" in run["result"].stdout
    assert (run["dir"] / "reports/demo-ms-combined-training/report.pdf").stat().st_size > 10_000


def test_results_tables_have_the_promised_columns(run):
    expected = {
        "descriptives.csv": ["outcome", "arm", "time", "n", "mean", "sd"],
        "anova.csv": ["outcome", "effect", "df1", "df2", "F", "p", "pes"],
        "assumptions.csv": ["outcome", "test", "time", "arm", "statistic", "p"],
        "baseline.csv": ["variable", "arm", "n", "mean", "sd"],
        "baseline_tests.csv": ["variable", "test", "statistic", "df", "p"],
    }
    for name, columns in expected.items():
        frame = pd.read_csv(run["dir"] / "results" / "stats" / name)
        assert [c for c in frame.columns if c in columns] == columns, name
    anova = pd.read_csv(run["dir"] / "results/stats/anova.csv")
    assert set(anova["effect"]) == {"time", "group", "interaction"}
    from trialflow.stats import mmrm  # the MMRM tables (sensitivity analysis with the default config)

    for name, columns in {
        "lsmeans": mmrm.LSMEANS_COLUMNS,
        "contrasts": mmrm.CONTRAST_COLUMNS,
        "tests": mmrm.TEST_COLUMNS,
        "covariance": mmrm.COVARIANCE_COLUMNS,
        "fit": mmrm.FIT_COLUMNS,
    }.items():
        frame = pd.read_csv(run["dir"] / "results" / "stats" / f"mmrm_{name}.csv")
        assert list(frame.columns) == ["outcome", *columns], name
    fit = pd.read_csv(run["dir"] / "results/stats/mmrm_fit.csv")
    assert fit["converged"].all() and set(fit["structure"]) == {"unstructured"}


def test_raw_folder_is_untouched(run):
    assert _tree_hashes(run["dir"] / "raw") == run["raw_before"]


def test_pdf_prints_tables_2_and_3_as_the_paper(run):
    text = "\n".join(
        page.extract_text() for page in PdfReader(run["dir"] / "reports/demo-ms-combined-training/report.pdf").pages
    )
    text = re.sub(r"[ \t]+", " ", text)
    for cell in [
        "227.77 ± 26.30",
        "228.78 ± 60.46",
        "223.07 ± 10.85",
        "450.43 ± 24.31",
        "103.51 ± 19.07",
        "101.78 ± 17.01",
        "94.60 ± 11.50",
        "188.05 ± 9.32",
        "37.1 ± 5.5",
        "36.2 ± 5.8",
        "160.0 ± 5.2",
        "161.5 ± 6.1",
        "58.2 ± 9.7",
        "57.3 ± 10.8",
    ]:
        assert cell in text, cell
    assert "Table 2." in text and "Table 3." in text
    assert "P<0.0001" in text
    assert re.search(r"=0\.79\)", text)  # BDNF time partial eta squared, printed as in the paper
    assert "Page 1 of" in text


def test_second_run_runs_no_job(run):
    dry = snakemake(run["dir"], "-n")
    assert "Nothing to be done" in dry.stdout + dry.stderr


def test_changing_the_redcap_export_reruns_only_what_depends_on_it(run):
    path = run["dir"] / "raw/demo/functional_redcap.csv"
    time.sleep(1.1)  # a newer modification time than every output
    path.write_text(path.read_text() + "\n")  # a trailing blank line: new bytes, same data
    dry = snakemake(run["dir"], "-n")
    jobs = set(re.findall(r"^rule (\w+):", dry.stdout, flags=re.M))
    assert jobs == {
        "read_functional",
        "build_analysis_data",
        "collect_validation",
        "analyse_outcomes",
        "plot_outcomes",
        "estimate_effects",
        "fit_mmrm",
        "check_validation",
        "check_published",
        "render_report",
        "read_disposition",
        "consort_flow",
        "tables_docx",
        "write_provenance",
        "all",
    }


def test_snakemake_lint_reports_only_the_conda_environment_lint():
    out = subprocess.run(
        ["snakemake", "--lint", "-s", str(ROOT / "Snakefile"), "-d", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    lints = re.findall(r"^\s+\* (.+?):?$", out.stdout + out.stderr, flags=re.M)
    assert lints, "expected snakemake --lint to report the conda-environment lint at least"
    assert set(lints) == {"Specify a conda environment or container for each rule."}


def test_apa_style_switch_changes_the_printed_p_values(run):
    import yaml

    from trialflow.report import render_html
    from trialflow.report.context import build_context

    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    d = run["dir"]
    names = [
        "baseline",
        "baseline_tests",
        "participants_per_arm",
        "outcome_status",
        "descriptives",
        "anova",
        "assumptions",
        "excluded",
    ]
    results = {n: str(d / "results/stats" / f"{n}.csv") for n in names}
    results["participants"] = str(d / "results/data/participants.csv")
    results["outcome_status"] = str(d / "results/stats/outcome_status.csv")
    figures = {o["id"]: str(d / f"results/figures/{o['id']}.svg") for o in config["outcomes"]}
    published = render_html(build_context(report_settings(config), results, figures))
    config["report"]["p_value_style"] = "apa"
    apa = render_html(build_context(report_settings(config), results, figures))
    assert "P&lt;0.0001" in published and "p &lt; .001" not in published
    assert "p &lt; .001" in apa and "P&lt;0.0001" not in apa


def test_same_inputs_in_another_directory_give_identical_outputs(run, tmp_path):
    shutil.copytree(ROOT / "raw" / "demo", tmp_path / "raw" / "demo")
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    assert snakemake(tmp_path).returncode == 0
    first = {k: v for k, v in _tree_hashes(run["dir"] / "reports").items()}
    second = _tree_hashes(tmp_path / "reports")
    assert first == second
    for sub in ["stats", "figures", "data"]:
        assert _tree_hashes(tmp_path / "results" / sub) == _tree_hashes(run["dir"] / "results" / sub), sub
    # The manifest an auditor compares is the same bytes; where and how each run happened is its run record.
    manifest = "results/provenance.json"
    assert (tmp_path / manifest).read_bytes() == (run["dir"] / manifest).read_bytes()
    for folder in (tmp_path, run["dir"]):
        record = json.loads((folder / "results/logs/run.json").read_text())
        assert Path(record["directory"]) == folder.resolve()
        assert record["command"][record["command"].index("-d") + 1] == str(folder)


def test_input_error_stops_before_analysis_and_keeps_the_previous_report(run, tmp_path):
    workdir = tmp_path / "trial"
    shutil.copytree(run["dir"], workdir, symlinks=True)
    shutil.rmtree(workdir / ".snakemake", ignore_errors=True)
    report = workdir / "reports/demo-ms-combined-training/report.pdf"
    before = hashlib.sha256(report.read_bytes()).hexdigest()
    people = workdir / "raw/demo/participants.csv"
    time.sleep(1.1)
    people.write_text(people.read_text().replace("MS003,control", "MS003,placebo"))
    raw_before = _tree_hashes(workdir / "raw")
    result = snakemake(workdir)
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert "input error(s); nothing was analysed (on_error: stop)" in out
    assert "participants.csv, line 4, column 'arm': arm 'placebo' is not one of control, training" in out
    assert "Traceback" not in out.split("RuleException")[0]
    validation = pd.read_csv(workdir / "results/qc/validation.csv", dtype=str)
    assert "placebo" in set(validation["value"])
    balance = pd.read_csv(workdir / "results/qc/row_balance.csv").set_index("file")
    assert balance.loc["participants.csv", ["rows_read", "rows_accepted", "rows_rejected"]].tolist() == [30, 29, 1]
    assert hashlib.sha256(report.read_bytes()).hexdigest() == before
    assert _tree_hashes(workdir / "raw") == raw_before


INJECTIONS = ["<script>alert(1)</script>", "<img src=file:///etc/passwd>", '=HYPERLINK("http://x","y")', "{{7*7}}"]


def test_injection_strings_from_data_print_as_literal_text_and_load_nothing(run, tmp_path):
    import yaml

    from trialflow.outputs import write_csv
    from trialflow.report import render_html, write_pdf
    from trialflow.report.context import build_context

    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    d = run["dir"]
    names = [
        "baseline",
        "baseline_tests",
        "participants_per_arm",
        "outcome_status",
        "descriptives",
        "anova",
        "assumptions",
        "excluded",
        "estimation",
    ]
    results = {n: str(d / "results/stats" / f"{n}.csv") for n in names}
    results["participants"] = str(d / "results/data/participants.csv")
    results["outcome_status"] = str(d / "results/stats/outcome_status.csv")
    validation = pd.DataFrame(
        [
            {
                "file": f"participants{i}.csv",
                "line": str(i + 2),
                "column": "participant_id",
                "value": text,
                "rule": "arm_known",
                "severity": "error",
                "message": f"bad {text}",
            }
            for i, text in enumerate(INJECTIONS)
        ]
    )
    write_csv(validation, tmp_path / "validation.csv")
    results["validation"] = str(tmp_path / "validation.csv")
    figures = {o["id"]: str(d / f"results/figures/{o['id']}.svg") for o in config["outcomes"]}
    html = render_html(build_context(report_settings(config), results, figures))
    assert "<script>" not in html and "<img src=file" not in html and "49" not in html.split("{{7*7}}")[0][-5:]
    write_pdf(html, tmp_path / "report.pdf")  # the restrictive fetcher would fail the render on any load
    text = "\n".join(p.extract_text() for p in PdfReader(tmp_path / "report.pdf").pages)
    for injection in INJECTIONS:  # exactly as read: the formula without the spreadsheet's apostrophe
        assert injection in text.replace("\n", "")
    assert "'=HYPERLINK" not in text.replace("\n", "") and "'=HYPERLINK" not in html
    # The exported validation table opens in a spreadsheet as text, not as a formula.
    assert "'=HYPERLINK" in (tmp_path / "validation.csv").read_text()


def test_report_is_pdfa3b_with_the_results_attached_byte_for_byte(run):
    # veraPDF cannot be installed here (no registry ships it); this checks PDF/A-3b's
    # structural requirements that WeasyPrint's pdf/a-3b variant is responsible for.
    reader = PdfReader(run["dir"] / "reports/demo-ms-combined-training/report.pdf")
    root = reader.trailer["/Root"]
    xmp = reader.xmp_metadata.rdf_root.toxml()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert "/OutputIntents" in root and "/Metadata" in root and "/AF" in root
    assert "/Encrypt" not in reader.trailer
    for page in reader.pages:  # every font embedded
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts", [font])
            for f in descendants:
                descriptor = f.get_object().get("/FontDescriptor")
                assert descriptor is not None and any(
                    k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
                )
    attachments = reader.attachments
    assert "data/analysis.csv" in attachments and "stats/anova.csv" in attachments
    for name, contents in attachments.items():
        assert contents[0] == (run["dir"] / "results" / name).read_bytes(), name


def test_tables_docx_and_flow_diagram_come_from_the_run(run):
    import docx

    document = docx.Document(run["dir"] / "reports/demo-ms-combined-training/tables.docx")
    cells = {c.text for t in document.tables for row in t.rows for c in row.cells}
    assert {"227.77 ± 26.30", "450.43 ± 24.31", "37.1 ± 5.5"} <= cells
    flow = pd.read_csv(run["dir"] / "results/consort/flow.csv")
    assert "Assessed for eligibility (n=45)" in (run["dir"] / "results/figures/consort_flow.svg").read_text()
    assert len(flow) > 0


def test_harms_table_from_the_adverse_events_file(run):
    harms = pd.read_csv(run["dir"] / "results/stats/harms.csv").set_index(["arm", "measure"])
    assert harms.loc[("training", "any"), ["participants", "events", "denominator"]].tolist() == [6, 7, 15]
    text = "\n".join(
        page.extract_text() for page in PdfReader(run["dir"] / "reports/demo-ms-combined-training/report.pdf").pages
    )
    text = re.sub(r"[ \t]+", " ", text)
    assert "Table 7. Adverse events per group" in text
    assert "Multiple sclerosis relapse 1 (6.7) 1 0 (0.0) 0" in text
    balance = pd.read_csv(run["dir"] / "results/qc/row_balance.csv").set_index("file")
    assert balance.loc["adverse_events.csv", ["rows_read", "rows_accepted", "rows_rejected"]].tolist() == [9, 9, 0]
    assert balance.loc["disposition.csv", ["rows_read", "rows_accepted", "rows_rejected"]].tolist() == [45, 45, 0]


def test_bad_disposition_log_stops_at_the_gate_before_any_analysis(run, tmp_path):
    workdir = tmp_path / "trial"
    shutil.copytree(ROOT / "raw" / "demo", workdir / "raw" / "demo")
    shutil.copy(ROOT / "config.yaml", workdir / "config.yaml")
    log = workdir / "raw/demo/disposition.csv"
    lines = log.read_text().splitlines(keepends=True)
    for i, line in enumerate(lines):  # MS003 randomised to the other arm in the log only
        cells = line.split(",")
        if cells[1] == "MS003":
            cells[5] = "training" if cells[5] == "control" else "control"
            lines[i] = ",".join(cells)
    log.write_text("".join(lines))
    result = snakemake(workdir)
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert "input error(s); nothing was analysed (on_error: stop)" in out
    assert "participant 'MS003' is randomised to 'training' in the disposition log" in out
    validation = pd.read_csv(workdir / "results/qc/validation.csv", dtype=str, keep_default_na=False)
    assert "arm_agrees" in set(validation["rule"])
    assert not (workdir / "results/stats").exists() or not any((workdir / "results/stats").glob("anova.csv"))
    assert not (workdir / "results/consort/flow.json").exists()
    assert not (workdir / "reports").exists()


@pytest.mark.parametrize("protocol", [None, {}, {"registration": "ISRCTN00000000"}, {"intervention": {"summary": "x"}}])
def test_report_renders_with_any_subset_of_the_optional_protocol_texts(run, protocol):
    import yaml

    from trialflow.report import render_html
    from trialflow.report.context import build_context

    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config.pop("protocol")
    if protocol is not None:
        config["protocol"] = protocol
    d = run["dir"]
    names = [
        "baseline",
        "baseline_tests",
        "participants_per_arm",
        "outcome_status",
        "descriptives",
        "anova",
        "assumptions",
        "excluded",
        "estimation",
    ]
    results = {n: str(d / "results/stats" / f"{n}.csv") for n in names}
    results["participants"] = str(d / "results/data/participants.csv")
    results["outcome_status"] = str(d / "results/stats/outcome_status.csv")
    figures = {o["id"]: str(d / f"results/figures/{o['id']}.svg") for o in config["outcomes"]}
    html = render_html(
        build_context(report_settings(config), results, figures)
    )  # StrictUndefined: a missing key raises
    assert ("ISRCTN00000000" in html) == bool(protocol and "registration" in protocol)
