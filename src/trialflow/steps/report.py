"""Steps of the report stage: the report (HTML, then PDF/A) and its Tables 2–3 as DOCX."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from trialflow import provenance
from trialflow.docx_tables import report_tables, write_tables_docx
from trialflow.outputs import write_atomic
from trialflow.report import render_html
from trialflow.report.context import ReportSettings, build_context

log = logging.getLogger(__name__)
ATTACH_MAX_BYTES = 1_000_000  # a submission export larger than this stays beside the PDF, not in it
# A report rule's inputs that are not results tables (workflow/rules/report.smk).
NOT_TABLES = ("html", "figures", "raw", "consort", "multiplicity_graphs", "submission")


def input_tables(inputs: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str] | None]:
    """A report rule's named inputs as (results tables, ELISA tables by name without their
    ``elisa_`` prefix, or None without plates)."""
    tables = {k: v for k, v in inputs.items() if k not in NOT_TABLES}
    elisa = {k.removeprefix("elisa_"): v for k, v in tables.items() if k.startswith("elisa_")}
    return {k: v for k, v in tables.items() if not k.startswith("elisa_")}, elisa or None


def render_report_html(
    settings: dict,
    results: dict[str, str],
    figures: dict[str, str],
    html: str,
    elisa: dict[str, str] | None = None,
    consort: str | None = None,
    raw_dir: str | None = None,
    raw_files: list[str] | None = None,
    listed: list[str] = (),
    config_sha256: str = "",
    repo: str | None = None,
    multiplicity_graphs: list[str] = (),
) -> None:
    """The report as HTML from the results tables and figures (:func:`render_report_pdf` lays it out).

    ``settings``: the config keys of :class:`trialflow.report.context.ReportSettings`;
    ``elisa``: the ELISA tables (their plate summary is printed; the per-plate pages are the
    ELISA QC report); ``consort``: the flow diagram; ``raw_files`` (in ``raw_dir``) are hashed
    for the provenance appendix, ``listed`` among them one by one in a large trial, with the
    config's ``config_sha256`` and the git state of ``repo``; ``multiplicity_graphs``: the
    drawings of the graphical multiplicity families.
    """
    record = provenance.report_record(raw_dir, raw_files, listed, config_sha256, repo) if raw_files else None
    context = build_context(
        ReportSettings.from_config(settings),
        results,
        figures,
        elisa=elisa,
        consort_svg=consort,
        provenance=record,
        multiplicity_graphs=multiplicity_graphs,
    )
    write_atomic(html, render_html(context).encode("utf-8"))


def render_report_pdf(
    settings: dict,
    html: str,
    pdf: str,
    results: dict[str, str],
    elisa: dict[str, str] | None = None,
    submission: list[str] = (),
) -> None:
    """The report's HTML as PDF/A-3b carrying the analysis data set and every results table it
    prints (``results``, ``elisa``), and the submission exports (docs/submission.md) as
    ``submission/<name>`` when at most :data:`ATTACH_MAX_BYTES` each. A job of its own, so that
    what reads the HTML (the RTF tables) runs while WeasyPrint lays out the pages."""
    attachments = {
        f"{Path(p).parent.name}/{Path(p).name}": p
        for p in [*results.values(), *(elisa or {}).values()]
        if str(p).endswith(".csv")
    }
    for path in submission:
        if Path(path).stat().st_size <= ATTACH_MAX_BYTES:
            attachments[f"submission/{Path(path).name}"] = path
        else:
            log.info("not attached to the PDF (over %d bytes): %s", ATTACH_MAX_BYTES, path)
    created = ReportSettings.from_config(settings).trial["data_cutoff"]
    from trialflow.report.pdf import write_pdf  # WeasyPrint: ~0.6 s the HTML and DOCX jobs do not pay

    page = Path(html).read_bytes().decode("utf-8")  # not read_text: the exact string, no newline translation
    write_pdf(page, pdf, attachments=attachments, created=created)
    log.info("report written: %s", pdf)


def tables_docx(settings: dict, results: dict[str, str], figures: dict[str, str], docx: str) -> None:
    """The paper's Tables 2 and 3 as a DOCX for a journal submission, with the report's strings."""
    report_settings = ReportSettings.from_config(settings)
    context = build_context(report_settings, results, figures)
    write_tables_docx(**report_tables(context), path=docx, date=report_settings.trial["data_cutoff"])
