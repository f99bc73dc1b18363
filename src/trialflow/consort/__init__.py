"""CONSORT 2025 participant flow, derived from a screening/disposition log (never typed).

The log has one row per person assessed for eligibility (format: ``docs/consort.md``).

:mod:`~trialflow.consort.read`
    :func:`read_disposition` validates the log row by row; :func:`read_disposition_table`
    reads back the accepted log from ``results/data/disposition.csv``.
:mod:`~trialflow.consort.flow`
    :func:`derive_flow` counts every box of the CONSORT 2025 flow diagram from it and
    cross-checks the counts against the participants file and the numbers analysed;
    :func:`cross_check` runs those checks at the validation gate; :func:`flow_frame` and
    :func:`flow_json` are the flow as written to ``results/consort/``.
:mod:`~trialflow.consort.diagram`
    :func:`~trialflow.consort.diagram.flow_diagram_svg` draws the diagram as plain,
    deterministic SVG (no ids, no randomness, text escaped, sized for an A4 text width). It is
    imported on its own (``from trialflow.consort.diagram import flow_diagram_svg``), not by
    this package: the steps that read and check the log (ingest, the validation gate) then
    neither load its font metrics nor rerun when the drawing changes.

Arms, time points and outcomes may be given as ids (``["control", "training"]``) or as the
config's entries (``[{"id": "control", "label": "Control"}, ...]``); labels default to ids.
"""

from trialflow.consort.flow import (
    NOT_RECORDED,
    analysis_exclusions,
    analysis_from_results,
    check_flow,
    cross_check,
    derive_flow,
    flow_frame,
    flow_json,
)
from trialflow.consort.read import (
    BASE_COLUMNS,
    attended_column,
    disposition_columns,
    read_disposition,
    read_disposition_table,
)

__all__ = [
    "BASE_COLUMNS",
    "NOT_RECORDED",
    "analysis_exclusions",
    "analysis_from_results",
    "attended_column",
    "check_flow",
    "cross_check",
    "derive_flow",
    "disposition_columns",
    "flow_frame",
    "flow_json",
    "read_disposition",
    "read_disposition_table",
]
