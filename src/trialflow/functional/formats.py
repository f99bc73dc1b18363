"""Recognising REDCap exports that are not the "raw data" CSV, so they get one clear message.

REDCap offers the same data in several shapes; trialflow reads one of them, *Data Exports,
Reports, and Stats → Export Data → CSV / Microsoft Excel (raw data)*: variable names as the
header, coded values, unique event names. The others, read as a CSV, would give a row error
for every line (or every record), none saying what is wrong. :func:`export_format_problem`
looks at the file's first bytes and header before any row is read and names what it is:

* a CDISC ODM (XML) export, or a REDCap project XML file (``<ODM ...>``); other XML; a web page;
* a JSON export (the API's ``format=json``: ``[{"record_id": ...}]``);
* the project's data dictionary (``Variable / Field Name, Form Name, ...``, or the API's
  ``field_name, form_name, ...``) instead of its data;
* the "CSV / Microsoft Excel (labels)" export: field labels as the header (``Record ID``,
  ``Event Name``, ``Repeat Instrument``, ``Complete?``) instead of variable names;
* the header-less data file of the SPSS, SAS or Stata export (``..._DATA_NOHDRS_...csv``).

:func:`event_labels_problem` catches the one labels shape the header does not show: unique
event names replaced by event labels (``Baseline (Arm 1: Arm 1)``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Iterable
from pathlib import Path

from trialflow.problems import Problem
from trialflow.readers import OLE_MAGIC, ZIP_MAGIC, decode, parse_number, sniff_delimiter

RULE = "export_format"
HOW_TO_EXPORT = (
    "export the data again from REDCap: Data Exports, Reports, and Stats → All data (all records "
    "and fields), or your report → Export Data → 'CSV / Microsoft Excel (raw data)'"
)
# Header cells of REDCap's "CSV (labels)" export that the raw export never has.
LABEL_HEADERS = frozenset(
    {
        "record id",
        "event name",
        "repeat instrument",
        "repeat instance",
        "complete?",
        "survey identifier",
        "survey timestamp",
        "data access group",
    }
)
_VARIABLE = re.compile(r"[a-z][a-z0-9_]*")  # a REDCap variable name
_EVENT_LABEL = re.compile(r".*\(Arm \d+: .*\)")  # "Baseline (Arm 1: Arm 1)"


def _problem(name: str, what: str, detail: str = "") -> Problem:
    return Problem(
        name,
        "1",
        "",
        "",
        RULE,
        "error",
        f"{name} is {what}, not a REDCap raw-data CSV export{detail}; {HOW_TO_EXPORT}",
    )


def export_format_problem(path: str | Path, name: str, record_id: str = "record_id") -> Problem | None:
    """One error naming what the file is when it is not a REDCap raw-data CSV, else ``None``.

    Only the file's start is looked at (the markup, or the first non-blank line as a header).
    A workbook, or a file that cannot be read or decoded, gets ``None``: the table reader reads
    the one and names the fault of the other.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError:
        return None
    if raw.startswith((ZIP_MAGIC, OLE_MAGIC)):
        return None
    try:
        text, _ = decode(raw)
    except ValueError:
        return None
    head = text.lstrip("\ufeff \t\r\n")
    if head.startswith("<"):
        start = head[:4000].lower()
        if "<odm" in start:
            return _problem(name, "a CDISC ODM (XML) export or a REDCap project XML file")
        if "<html" in start or "<!doctype html" in start:
            return _problem(name, "a web page (HTML), saved from the browser")
        return _problem(name, "an XML file")
    if head.startswith(("[", "{")):
        return _problem(name, "a JSON export (an API export with format=json)")
    lines = [line for line in head.splitlines() if line.strip()]
    if not lines:
        return None
    sep = re.fullmatch(r'"?sep=(.)"?', lines[0].strip(), flags=re.IGNORECASE)  # Excel's "sep=;" line
    first = lines[1] if sep and len(lines) > 1 else lines[0]
    delimiter = sep.group(1) if sep else sniff_delimiter(first)
    header = [c.strip() for c in next(csv.reader([first], delimiter=delimiter), [])]
    return _header_problem(header, name, record_id)


def _header_problem(header: list[str], name: str, record_id: str) -> Problem | None:
    lowered = {c.casefold() for c in header}
    if "variable / field name" in lowered or {"field_name", "form_name", "field_type"} <= lowered:
        return _problem(name, "the project's data dictionary (the list of its fields)")
    if record_id in header:
        return None
    labels = [c for c in header if c.casefold() in LABEL_HEADERS]
    if not labels and any(c == "" or parse_number(c) is not None for c in header):
        return _problem(
            name,
            "a file without a header row (its first row holds data)",
            "; REDCap's SPSS, SAS and Stata exports write their data that way, for their own syntax files",
        )
    if labels or (header and not _VARIABLE.fullmatch(header[0]) and _looks_like_label(header[0])):
        shown = ", ".join(repr(c) for c in (labels or header[:1])[:3])
        return _problem(
            name,
            "a 'CSV / Microsoft Excel (labels)' export",
            f" (its header holds field labels such as {shown} instead of variable names such as "
            f"{record_id!r}, and its cells hold labels instead of codes)",
        )
    return None


def _looks_like_label(cell: str) -> bool:
    """A header cell as a person writes a label (``Study ID``, ``Complete?``), not a column name
    such as ``Participant_ID``: it has a space or a label's punctuation."""
    return bool(re.search(r"[ ?:()/]", cell.strip()))


def event_labels_problem(events: Iterable[str], name: str, configured: Collection[str]) -> Problem | None:
    """One error when ``redcap_event_name`` holds event labels (``Baseline (Arm 1: Arm 1)``)
    rather than unique event names, and none of them is configured, else ``None``."""
    found = sorted({e for e in events if e})
    if not found or set(found) & set(configured) or not any(_EVENT_LABEL.fullmatch(e) for e in found):
        return None
    shown = ", ".join(repr(e) for e in found[:2])
    return _problem(
        name,
        "an export with event labels",
        f" (redcap_event_name holds labels such as {shown} instead of unique event names such as 'baseline_arm_1')",
    )
