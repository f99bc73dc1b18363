"""The paper's Table 2 (baseline) and Table 3 (outcomes, mixed ANOVA) as a Word document.

A journal submission usually wants tables as editable Word tables, not images. This module
writes them with python-docx from rows of **already formatted strings**: it never rounds or
formats a number, so the DOCX shows exactly what the PDF report prints when both are fed the
same strings.

Input
-----
``table2_rows``: one dict per printed row (one per arm), the same keys in every row; the key
order of the first row is the column order. Example::

    [{"group": "Control", "n": "15", "age": "37.1 ± 5.5", "bmi": "22.6 ± 3.1"},
     {"group": "Training", "n": "15", "age": "36.2 ± 5.8", "bmi": "22.0 ± 4.2"}]

Headers come from ``table2_headers`` (key → header text); a key without one is printed as
``group`` → "Group", ``n`` → "N", else the key itself.

``table3_rows``: one dict per printed row, keys ``variable``, ``time``, one key per arm label
(``arms``, default: every other key in first-seen order), ``p_time``, ``p_groups``,
``p_interaction``. A missing key is an empty cell; an unknown key is an error. A row with a
non-empty ``variable`` starts an outcome block (a thin rule above it). The η² row (with the MMRM
primary: the F row) is a row with only the effect keys filled. Example (one outcome)::

    [{"variable": "BDNF", "time": "pre", "Control": "227.77 ± 26.30", "Training": "228.78 ± 60.46",
      "p_time": "P<0.0001", "p_groups": "P<0.0001", "p_interaction": "P<0.0001"},
     {"time": "post", "Control": "223.07 ± 10.85", "Training": "450.43 ± 24.31"},
     {"p_time": "(η²=0.79)", "p_groups": "(η²=0.88)", "p_interaction": "(η²=0.81)"}]

Output is deterministic: the core properties carry the ``date`` given (created, modified,
last printed) and every zip entry carries that date, so the same input gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_ALIGN_VERTICAL, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from trialflow.outputs import write_atomic
from trialflow.report.formatting import df_value, fixed, mean_sd, p_value

TABLE3_KEYS = ("variable", "time", "p_time", "p_groups", "p_interaction")
DEFAULT_HEADERS = {"group": "Group", "n": "N"}
TABLE2_CAPTION = "Table 2. Baseline characteristics of the participants in each group (mean ± SD)."
TABLE3_CAPTION = "Table 3. Results of the repeated-measures analysis of variance in the studied groups."
TABLE3_CAPTION_MMRM = "Table 3. Results of the mixed model for repeated measures in the studied groups."
FONT = "Times New Roman"
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text) -> str:
    """Text Word can store: characters XML forbids become U+FFFD (python-docx would refuse them)."""
    return _XML_ILLEGAL.sub("\ufffd", "" if text is None else str(text))


def _as_datetime(date: dt.date | dt.datetime | str) -> dt.datetime:
    if isinstance(date, str):
        date = dt.datetime.fromisoformat(date)
    if not isinstance(date, dt.datetime):
        date = dt.datetime(date.year, date.month, date.day)
    if date.tzinfo is not None:
        date = date.astimezone(dt.UTC).replace(tzinfo=None)
    if date.year < 1980:
        raise ValueError("date must be 1980 or later (zip timestamps start in 1980)")
    return date.replace(microsecond=0)


def _border(cell, **edges: int) -> None:
    """Set single-line borders of a cell: edge name → width in eighths of a point (0 = none)."""
    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tc_pr.append(borders)
    for edge in ("top", "bottom"):
        if edge not in edges:
            continue
        element = borders.find(qn(f"w:{edge}"))
        if element is None:
            element = OxmlElement(f"w:{edge}")
            borders.append(element)
        element.set(qn("w:val"), "single" if edges[edge] else "nil")
        element.set(qn("w:sz"), str(edges[edge]))
        element.set(qn("w:space"), "0")
        element.set(qn("w:color"), "000000")


def _write(cell, text: str, align=WD_ALIGN_PARAGRAPH.CENTER, bold: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    paragraph.paragraph_format.space_before = Pt(1)
    paragraph.paragraph_format.space_after = Pt(1)
    run = paragraph.add_run(_clean(text))
    run.bold = bold


def _caption(document, text: str) -> None:
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.space_before = Pt(12)
    paragraph.paragraph_format.space_after = Pt(4)
    paragraph.paragraph_format.keep_with_next = True
    label, _, rest = _clean(text).partition(". ")
    if rest:
        paragraph.add_run(label + ".").bold = True
        paragraph.add_run(" " + rest)
    else:
        paragraph.add_run(label)


def _note(document, text: str) -> None:
    if text:
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.space_before = Pt(3)
        paragraph.add_run(_clean(text)).font.size = Pt(9)


def _rules(table, header_rows: int, block_starts: Sequence[int] = ()) -> None:
    """Three-line table: thick rule above and below, thin under the header, thin above blocks."""
    rows = table.rows
    for cell in rows[0].cells:
        _border(cell, top=12)
    for cell in rows[header_rows - 1].cells:
        _border(cell, bottom=6)
    for i in block_starts:
        for cell in rows[i].cells:
            _border(cell, top=4)
    for cell in rows[-1].cells:
        _border(cell, bottom=12)


def _table2(document, rows: Sequence[Mapping[str, str]], headers: Mapping[str, str]) -> None:
    keys = list(rows[0]) if rows else list(headers)
    for i, row in enumerate(rows, start=1):
        if list(row) != keys and set(row) != set(keys):
            raise ValueError(f"table 2 row {i} has keys {sorted(row)}, expected {keys} as in row 1")
    table = document.add_table(rows=1 + len(rows), cols=len(keys))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for j, key in enumerate(keys):
        left = WD_ALIGN_PARAGRAPH.LEFT if j == 0 else WD_ALIGN_PARAGRAPH.CENTER
        _write(table.cell(0, j), headers.get(key, DEFAULT_HEADERS.get(key, key)), left, bold=True)
        for i, row in enumerate(rows, start=1):
            _write(table.rows[i].cells[j], row.get(key, ""), left)  # table.cell() rescans the whole table
    _rules(table, header_rows=1)


def _table3(
    document,
    rows: Sequence[Mapping[str, str]],
    arms: Sequence[str] | None,
    mean_sd_header: str,
    effect_headers: Sequence[str],
) -> None:
    if arms is None:
        arms = list(dict.fromkeys(k for row in rows for k in row if k not in TABLE3_KEYS))
    allowed = set(TABLE3_KEYS) | set(arms)
    for i, row in enumerate(rows, start=1):
        unknown = [k for k in row if k not in allowed]
        if unknown:
            raise ValueError(f"table 3 row {i} has unknown keys {unknown}; allowed: {sorted(allowed)}")
    p_keys = ["p_time", "p_groups", "p_interaction"][: len(effect_headers)]  # one arm: time only
    keys = ["variable", "time", *arms, *p_keys]
    table = document.add_table(rows=2 + len(rows), cols=len(keys))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left = WD_ALIGN_PARAGRAPH.LEFT
    heads = {"variable": "Variable", "time": "Time", **dict(zip(p_keys, effect_headers, strict=True))}
    for j, key in enumerate(keys):
        if key in heads:
            merged = table.cell(0, j).merge(table.cell(1, j))
            _write(merged, heads[key], left if j < 2 else WD_ALIGN_PARAGRAPH.CENTER, bold=True)
        else:
            _write(table.cell(1, j), key, bold=True)
    if arms:
        span = table.cell(0, 2).merge(table.cell(0, 1 + len(arms)))
        _write(span, mean_sd_header, bold=True)
    starts = []
    for i, row in enumerate(rows, start=2):
        if row.get("variable", "") and i > 2:
            starts.append(i)
        cells = table.rows[i].cells  # one scan per row: table.cell() rescans the whole table per cell
        for j, key in enumerate(keys):
            _write(cells[j], row.get(key, ""), left if j < 2 else WD_ALIGN_PARAGRAPH.CENTER)
    _rules(table, header_rows=2, block_starts=starts)
    for cell in table.rows[0].cells + table.rows[1].cells:
        cell.vertical_alignment = WD_ALIGN_VERTICAL.BOTTOM


def tables_docx_bytes(
    table2_rows: Sequence[Mapping[str, str]],
    table3_rows: Sequence[Mapping[str, str]],
    *,
    date: dt.date | dt.datetime | str,
    table2_headers: Mapping[str, str] | None = None,
    arms: Sequence[str] | None = None,
    title: str = "Tables",
    table2_caption: str = TABLE2_CAPTION,
    table3_caption: str = TABLE3_CAPTION,
    table2_note: str = "",
    table3_note: str = "",
    mean_sd_header: str = "Mean ± SD",
    effect_headers: Sequence[str] = ("Time", "Groups", "Interaction"),
) -> bytes:
    """The DOCX as bytes (see :func:`write_tables_docx`)."""
    when = _as_datetime(date)
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(25))
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)

    props = document.core_properties
    props.title = _clean(title)
    props.author = props.last_modified_by = "trialflow"
    props.comments = props.subject = props.keywords = props.category = ""
    props.created = props.modified = props.last_printed = when
    props.revision = 1

    if table2_rows:
        _caption(document, table2_caption)
        _table2(document, table2_rows, table2_headers or {})
        _note(document, table2_note)
    if table3_rows:
        _caption(document, table3_caption)
        _table3(document, table3_rows, arms, mean_sd_header, effect_headers)
        _note(document, table3_note)
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip(buffer.getvalue(), when)


def _fixed_zip(data: bytes, when: dt.datetime) -> bytes:
    """Rewrite a zip with the same entries in the same order, every timestamp and attribute fixed."""
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second - when.second % 2)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 0
            entry.external_attr = 0
            target.writestr(entry, source.read(info.filename), compresslevel=9)
    return out.getvalue()


def write_tables_docx(
    table2_rows: Sequence[Mapping[str, str]],
    table3_rows: Sequence[Mapping[str, str]],
    path: str | Path,
    *,
    date: dt.date | dt.datetime | str,
    **options,
) -> None:
    """Write Table 2 and Table 3 to ``path`` as DOCX (A4, Times New Roman 10 pt, three-line tables).

    Parameters
    ----------
    table2_rows, table3_rows : rows of formatted strings (module docstring); an empty list
        leaves that table out.
    path : the .docx to write (atomically).
    date : the document's date (``datetime``, ``date`` or ISO text, ≥ 1980), e.g. the trial's data
        cut-off; written as created/modified/last-printed and as every zip entry's time.
    options : ``table2_headers`` (key → header), ``arms`` (Table 3 arm keys in order; also the
        headers), ``title``, ``table2_caption``, ``table3_caption``, ``table2_note``,
        ``table3_note``, ``mean_sd_header``, ``effect_headers`` (three texts).
    """
    write_atomic(path, tables_docx_bytes(table2_rows, table3_rows, date=date, **options))


def report_tables(context: dict) -> dict:
    """The report's baseline and ANOVA tables as :func:`write_tables_docx` takes them, from the
    report's context (:func:`trialflow.report.context.build_context`), so the DOCX prints the
    report's strings and table numbers.

    Returns
    -------
    dict with ``table2_rows``, ``table3_rows``, ``table2_caption``, ``table3_caption``,
    ``table2_headers`` and ``arms`` (keyword arguments of :func:`write_tables_docx`).
    """
    style, arms, times, baseline = context["style"], context["arms"], context["times"], context["baseline_variables"]
    if context["baseline_rows"]:  # the paper's layout: a row per arm
        table2 = [
            {
                "group": row["label"],
                "n": str(row["n"]),
                **{
                    v["id"]: mean_sd(c["mean"], c["sd"], c["decimals"])
                    for v, c in zip(baseline, row["cells"], strict=True)
                },
            }
            for row in context["baseline_rows"]
        ]
        headers = {"group": "Group", "n": "N", **{v["id"]: v["label"] for v in baseline}}
    else:  # a row per characteristic or level, a column per arm
        table2 = [
            {"characteristic": ("  " if row["kind"] == "level" else "") + row["label"]}
            | {a["id"]: _baseline_cell(row, c) for a, c in zip(arms, row["cells"] or [None] * len(arms), strict=True)}
            for row in context["baseline_table"]
        ]
        headers = {"characteristic": "Characteristic"} | {
            a["id"]: f"{a['label']} (n={context['n_per_arm'][a['id']]})" for a in arms
        }
    effects = [("time", "time"), ("groups", "group"), ("interaction", "interaction")]
    effects = [(k, e) for k, e in effects if e in context["effects"]]  # one arm: time only
    table3 = []
    for o in context["outcomes"]:
        for i, t in enumerate(times):
            row = {"variable": o["label"] if i == 0 else "", "time": t["label"]}
            row |= {
                a["label"]: mean_sd(
                    o["cells"][(a["id"], t["id"])]["mean"], o["cells"][(a["id"], t["id"])]["sd"], o["decimals"]
                )
                for a in arms
            }
            row |= {
                f"p_{k}": (_p(o, e, style) if i == 0 else _adjusted(o, e, style) if i == 1 else "") for k, e in effects
            }
            table3.append(row)
        table3.append({f"p_{k}": _size(o, e, context["primary"]) for k, e in effects})
    table = context["table"]
    return {
        "table2_rows": table2,
        "table3_rows": table3,
        "table2_caption": TABLE2_CAPTION.replace("Table 2.", f"Table {table.get('baseline', '')}."),
        "table3_caption": (TABLE3_CAPTION_MMRM if context["primary"] == "mmrm" else TABLE3_CAPTION).replace(
            "Table 3.", f"Table {table['anova']}."
        ),
        "table2_headers": headers,
        "effect_headers": [{"time": "Time", "group": "Groups", "interaction": "Interaction"}[e] for _, e in effects],
        "arms": [a["label"] for a in arms],
    }


def _baseline_cell(row: dict, cell: dict | None) -> str:
    if row["kind"] == "heading":
        return ""
    if row["kind"] == "numeric":
        return mean_sd(cell["mean"], cell["sd"], cell["decimals"])
    return f"{cell['n']} ({fixed(cell['percent'], 1)})"


def _adjusted(outcome: dict, effect: str, style: str) -> str:
    """Under the printed p: the p adjusted for multiplicity with its method, when the effect is
    in a family ('' otherwise); the report marks it with a footnote instead."""
    row = outcome.get("adjusted", {}).get(effect)
    if row is None:
        return ""
    return f"adj. {p_value(row['p_adjusted'], style)} ({row['method_words']}, family {row['family']})"


def _p(outcome: dict, effect: str, style: str) -> str:
    """The printed p of an effect, the primary analysis's (the ANOVA's: the analysis plan's
    sphericity rule); '–' when not analysable or not tested."""
    return p_value(outcome["p"][effect], style) if effect in outcome["p"] else "–"


def _size(outcome: dict, effect: str, primary: str) -> str:
    """Under the p values: partial η² of the ANOVA, or the MMRM's F with its degrees of freedom."""
    row = outcome["effects"].get(effect)
    if row is None:
        return "–"
    if primary == "mmrm":
        return f"(F({df_value(row['num_df'])}, {df_value(row['den_df'])})={fixed(row['F'], 2)})"
    return f"(η²={fixed(row['pes'], 2)})"
