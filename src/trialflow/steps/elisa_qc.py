"""Step of the ELISA QC report: a page per plate with its standard curve (matplotlib, which only
this step of the report stage needs), rendered as HTML and PDF/A."""

from __future__ import annotations

import logging
from pathlib import Path

from trialflow.figures import plot_plate_curve
from trialflow.outputs import write_atomic
from trialflow.report import render_html
from trialflow.report.context import elisa_context
from trialflow.report.pdf import write_pdf

log = logging.getLogger(__name__)


def render_elisa_qc(
    trial: dict, acceptance: dict, plate_pages: str, elisa: dict[str, str], html: str, pdf: str
) -> None:
    """The ELISA QC report: plate summary, then a page per plate (``plate_pages``: all, or those
    that need attention) with its standard curve, parameters, recoveries and controls; the
    ELISA tables attached."""
    context = {
        "trial": trial,
        "elisa": elisa_context(elisa, acceptance, plate_pages=plate_pages, draw=plot_plate_curve),
    }
    page = render_html(context, template="elisa_qc.html.j2")
    write_atomic(html, page.encode("utf-8"))
    attachments = {f"elisa/{Path(p).name}": p for p in elisa.values()}
    write_pdf(page, pdf, attachments=attachments, created=trial["data_cutoff"])
    log.info("ELISA QC report written: %s", pdf)
