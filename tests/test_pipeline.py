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
import yaml
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
        "render_report_html",
        "render_report",
        "read_disposition",
        "consort_flow",
        "tables_docx",
        "write_adam",  # the submission exports: from the analysis data set, and the RTF from the report
        "write_spss",
        "write_rtf",
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
    from trialflow.report import render_html
    from trialflow.report.context import build_context
    from trialflow.report.pdf import write_pdf

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
    assert "submission/adsl.xpt" in attachments and "submission/analysis_wide.sav" in attachments
    assert "submission/tables.rtf" not in attachments  # read from the report itself
    for name, contents in attachments.items():
        folder = run["dir"] / ("reports/demo-ms-combined-training" if name.startswith("submission/") else "results")
        assert contents[0] == (folder / name).read_bytes(), name


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


# --- Submission exports (reports/<trial>/submission/; tests/test_exports.py has the unit tests) ---

SUBMISSION = "reports/demo-ms-combined-training/submission"
SUBMISSION_FILES = [
    "adsl.xpt", "adlb.xpt", "adft.xpt", "adsl.json", "adlb.json", "adft.json", "define.xml",
    "analysis_wide.sav", "analysis_glm.sps", "tables.rtf",
]  # fmt: skip


def test_submission_files_are_written_and_listed_in_the_manifest(run):
    manifest = json.loads((run["dir"] / "results/provenance.json").read_text())
    listed = {o["path"] for o in manifest["outputs"]}
    for name in SUBMISSION_FILES:
        assert (run["dir"] / SUBMISSION / name).stat().st_size > 0, name
        assert f"{SUBMISSION}/{name}" in listed, name


def test_adam_files_read_back_as_the_analysis_data(run):
    from tests import test_exports as checks
    from trialflow.exports import adam
    from trialflow.outputs import read_csv

    folder = run["dir"] / SUBMISSION
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    frames = {}
    for name in ("ADSL", "ADLB", "ADFT"):
        data = (folder / f"{name.lower()}.json").read_bytes()
        document = json.loads(data)
        frame = pd.DataFrame(document["rows"], columns=[c["name"] for c in document["columns"]], dtype=object)
        checks.check_dataset_json(data, frame)  # valid against the CDISC schema
        labels = {c["name"]: c["label"] for c in document["columns"]}
        label = adam.ADSL_LABEL if name == "ADSL" else adam.BDS_DATASETS[name]
        checks.check_xpt(folder / f"{name.lower()}.xpt", frame.infer_objects(), name, label, labels)  # XPT = JSON
        frames[name] = frame.infer_objects()
    checks.check_define((folder / "define.xml").read_bytes(), frames, {n: f"{n.lower()}.xpt" for n in frames})
    # The values are the analysis data set's, each traced to its raw file.
    analysis = read_csv(run["dir"] / "results/data/analysis.csv")
    bds = pd.concat([frames["ADLB"], frames["ADFT"]])
    assert len(bds) == len(analysis)
    labels = {o["id"]: f"{o['label']} ({o['unit']})" for o in config["outcomes"]}
    expected = {(f"demo-ms-combined-training-{r.participant_id}", labels[r.outcome], r.time): (r.value, r.source_file)
                for r in analysis.itertuples()}  # fmt: skip
    for r in bds.itertuples():
        value, source = expected[(r.USUBJID, r.PARAM, r.AVISIT)]
        assert r.AVAL == value and r.SRCDOM == source
    participants = read_csv(run["dir"] / "results/data/participants.csv")
    assert sorted(frames["ADSL"]["SUBJID"]) == sorted(participants["participant_id"])
    assert set(frames["ADLB"]["PARAMCD"]) == {"BDNF", "GDNF"} and "KMVICREL" in set(frames["ADFT"]["PARAMCD"])


def test_sav_holds_the_analysis_data_wide(run):
    from tests import test_exports as checks
    from trialflow.outputs import read_csv

    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    participants = read_csv(run["dir"] / "results/data/participants.csv")
    analysis = read_csv(run["dir"] / "results/data/analysis.csv")
    checks.check_sav(run["dir"] / SUBMISSION / "analysis_wide.sav", participants, analysis, config)
    syntax = (run["dir"] / SUBMISSION / "analysis_glm.sps").read_text()
    assert syntax.count("\nGLM ") == len(config["outcomes"])


def test_rtf_table_3_prints_the_results_of_the_run(run, tmp_path):
    from tests.test_exports import rtf_text
    from trialflow.exports.rtf import report_tables
    from trialflow.outputs import read_csv
    from trialflow.report.formatting import mean_sd, p_value

    text = rtf_text(run["dir"] / SUBMISSION / "tables.rtf", tmp_path)  # LibreOffice; skips without it
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    for number in ["1", "2", "3", "4", "A1", "A2", "A3"]:
        assert f"Table {number}. " in text, number
    table3 = text[text.index("Table 3. Results of the repeated-measures") : text.index("Table 4. ")]
    cells = table3.split("\n")
    descriptives = read_csv(run["dir"] / "results/stats/descriptives.csv").set_index(["outcome", "arm", "time"])
    anova = read_csv(run["dir"] / "results/stats/anova.csv").set_index(["outcome", "effect"])
    for o in config["outcomes"]:
        for arm in config["arms"]:
            for t in config["time_points"]:
                row = descriptives.loc[(o["id"], arm["id"], t["id"])]
                assert mean_sd(row["mean"], row["sd"], o["decimals"]) in cells, (o["id"], arm["id"], t["id"])
        for effect in ("time", "group", "interaction"):
            assert p_value(anova.loc[(o["id"], effect), "p_corrected"], "published") in cells
            assert f"(ηp²={anova.loc[(o['id'], effect), 'pes']:.2f})" in cells
    rtf = (run["dir"] / SUBMISSION / "tables.rtf").read_text()  # page fields are not text in LibreOffice's .txt
    printed = report_tables((run["dir"] / "reports/demo-ms-combined-training/report.html").read_text())
    assert rtf.count("Page \\chpgn  of {\\field{\\*\\fldinst NUMPAGES }}") == len(printed) >= 10  # one header per table


R_GLM = r"""
suppressMessages({library(haven); library(car)})
args <- commandArgs(trailingOnly = TRUE)
d <- read_sav(args[1])
options(contrasts = c("contr.sum", "contr.poly"))
d$arm <- factor(as.numeric(d$arm))
for (o in args[-(1:2)]) {
  y <- as.matrix(d[, paste0(o, c("_pre", "_post"))])
  keep <- complete.cases(y)
  fit <- lm(y[keep, ] ~ arm, data = d[keep, ])
  a <- summary(Anova(fit, idata = data.frame(time = factor(c("pre", "post"))), idesign = ~time, type = "III"),
               multivariate = FALSE)$univariate.tests
  for (e in c("arm", "time", "arm:time")) cat(o, e, sprintf("%.15g", a[e, "F value"]), sprintf("%.15g", a[e, "Pr(>F)"]), "\n")
}
for (f in c("adsl", "adlb", "adft")) {
  x <- read_xpt(file.path(args[2], paste0(f, ".xpt")))
  cat("XPT", f, nrow(x), ncol(x), attr(x$USUBJID, "label"), "\n")
}
"""


def test_r_reads_the_xpt_and_sav_and_its_glm_reproduces_table_3(run, tmp_path):
    """R (haven) reads every XPT and the .sav; the SPSS GLM Repeated Measures model on the wide
    data (multivariate lm with car::Anova, Type III, sphericity assumed) gives anova.csv's F and p."""
    if shutil.which("Rscript") is None:
        pytest.skip("Rscript is not installed (apt-get install -y r-cran-haven r-cran-car)")
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    script = tmp_path / "glm.R"
    script.write_text(R_GLM)
    folder = run["dir"] / SUBMISSION
    ids = [o["id"] for o in config["outcomes"]]
    result = subprocess.run(
        ["Rscript", str(script), str(folder / "analysis_wide.sav"), str(folder), *ids],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines()]
    xpt = {parts[1]: parts[2:4] for parts in lines if parts[0] == "XPT"}
    manifest_rows = {n: len(json.loads((folder / f"{n}.json").read_text())["rows"]) for n in ("adsl", "adlb", "adft")}
    assert {n: int(v[0]) for n, v in xpt.items()} == manifest_rows
    anova = pd.read_csv(run["dir"] / "results/stats/anova.csv").set_index(["outcome", "effect"])
    effects = {"arm": "group", "time": "time", "arm:time": "interaction"}
    glm = [parts for parts in lines if parts[0] in ids]
    assert len(glm) == 3 * len(ids)
    for outcome, effect, f, p in glm:
        row = anova.loc[(outcome, effects[effect])]
        assert float(f) == pytest.approx(row["F"], rel=1e-6), (outcome, effect)
        assert float(p) == pytest.approx(row["p"], rel=1e-6), (outcome, effect)
