"""The report's numbered tables as RTF, one file per table, with rtflite.

The tables are read from the report's own HTML (``report.html``): the caption is the title
(the report's numbering, Table 1 ... and A1 ...), the header rows keep their column spans, the
note under the table is the footnote, and every cell is the string the report prints, so the RTF
and the PDF cannot disagree. Each page repeats the title and header and carries "Page x of y"
(x and y count the pages of the whole file).

Text goes to rtflite already escaped (:func:`rtf_escape`) with its conversion off: rtflite's own
conversion reads ``_`` and ``^`` as LaTeX sub- and superscripts and escapes neither braces nor
backslashes, and it leaves characters 128-255 (², °, ×) raw in a file read as Windows-1252 —
² came out as "Â²" in LibreOffice (tests/test_exports.py, rtflite 2.6); written as ``\\'hh``,
LibreOffice still read × as U+FFFD, so every character beyond ASCII is a ``\\u`` escape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.html

SUPERSCRIPTS = str.maketrans("0123456789+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻")
A4 = (8.27, 11.69)  # inches; every table on a landscape A4 page (rtflite's assembly keeps one page setup)
# rtflite's default header, with the space after \chpgn doubled: RTF takes one space after a
# control word as its end, so "\chpgn of" prints "1of".
PAGE_X_OF_Y = "Page \\chpgn  of {\\field{\\*\\fldinst NUMPAGES }}"


def rtf_escape(text: str) -> str:
    """``text`` as RTF text in ASCII: ``\\``, ``{``, ``}`` escaped, every other character beyond
    ASCII as ``\\uN?`` (its UTF-16 units, signed; ``?`` for a reader without Unicode)."""
    out = []
    for ch in text:
        if ch in "\\{}":
            out.append("\\" + ch)
        elif ch.isascii():
            out.append(ch)
        else:
            units = ch.encode("utf-16-le")
            for i in range(0, len(units), 2):
                unit = int.from_bytes(units[i : i + 2], "little")
                out.append(f"\\uc1\\u{unit - 65536 if unit >= 32768 else unit}?")
    return "".join(out)


@dataclass
class Table:
    """One printed table: ``number`` ('3', 'A1'), ``title`` (the caption as printed), ``header``
    (rows of (text, column span)), ``body`` (rows of one string per column), ``footnote``."""

    number: str
    title: str
    header: list[list[tuple[str, int]]] = field(default_factory=list)
    body: list[list[str]] = field(default_factory=list)
    footnote: str = ""


def _text(element) -> str:
    for sup in element.iter("sup"):
        sup.text = (sup.text or "").translate(SUPERSCRIPTS)
    return " ".join(element.text_content().split())


def _cells(row) -> list[tuple[str, int, int]]:
    return [(_text(c), int(c.get("colspan", 1)), int(c.get("rowspan", 1))) for c in row if c.tag in ("td", "th")]


def report_tables(html: str) -> list[Table]:
    """The numbered tables of the report's HTML, in the order printed."""
    tree = lxml.html.fromstring(html)
    tables = []
    for element in tree.iter("table"):
        caption = element.find("caption")
        title = _text(caption) if caption is not None else ""
        numbered = re.match(r"Table (A?\d+)\.", title)
        if not numbered:
            continue
        table = Table(numbered.group(1), title)
        width = 0
        rows = [_cells(r) for r in element.xpath("./thead/tr")]
        hanging: dict[int, int] = {}  # column -> header rows it still spans from above
        for cells in rows:
            row, column, queue = [], 0, list(cells)
            while queue or any(c >= column for c in hanging):
                if hanging.get(column, 0) > 0:
                    hanging[column] -= 1
                    row.append(("", 1))
                    column += 1
                    continue
                if not queue:
                    break
                text, span, down = queue.pop(0)
                row.append((text, span))
                if down > 1:
                    for c in range(column, column + span):
                        hanging[c] = down - 1
                column += span
            table.header.append(row)
            width = max(width, column)
        for r in element.xpath("./tbody/tr | ./tr"):
            row = []
            for text, span, _ in _cells(r):
                row += [text] + [""] * (span - 1)
            width = max(width, len(row))
            table.body.append(row)
        table.body = [row + [""] * (width - len(row)) for row in table.body]
        note = element.getnext()
        if note is not None and note.tag == "p" and "note" in (note.get("class") or ""):
            table.footnote = _text(note)
        tables.append(table)
    return tables


def _widths(table: Table) -> list[float]:
    """Relative column widths: the longest cell of each column (one-column header cells
    included), at least 6 and at most 30 characters."""
    n = len(table.body[0]) if table.body else sum(s for _, s in table.header[-1])
    longest = [6] * n
    rows = [[text for text, _ in row] for row in table.header if all(span == 1 for _, span in row)]
    for row in [*rows, *table.body]:
        for j, text in enumerate(row):
            longest[j] = max(longest[j], min(len(text), 30))
    return [float(w) for w in longest]


def table_rtf(table: Table, source: str) -> str:
    """The RTF text of one table: title, header and footnote on every page, "Page x of y" above."""
    import polars as pl  # rtflite's frame library; imported here, as rtflite, only when writing RTF
    import rtflite as rtf

    widths = _widths(table)
    n = len(widths)
    columns = [f"c{j}" for j in range(n)]
    frame = pl.DataFrame(
        {c: [rtf_escape(row[j]) for row in table.body] for j, c in enumerate(columns)},
        schema={c: pl.String for c in columns},
    )
    headers = []
    for row in table.header:
        spans, column = [], 0
        for _, span in row:
            spans.append(sum(widths[column : column + span]))
            column += span
        headers.append(
            rtf.RTFColumnHeader(
                text=[rtf_escape(text) for text, _ in row],
                col_rel_width=spans,
                text_justification=["l"] + ["c"] * (len(row) - 1),
                text_convert=False,
            )
        )
    document = rtf.RTFDocument(
        df=frame,
        rtf_page=rtf.RTFPage(orientation="landscape", width=A4[1], height=A4[0]),
        rtf_page_header=rtf.RTFPageHeader(text=PAGE_X_OF_Y, text_convert=False),
        rtf_title=rtf.RTFTitle(text=[rtf_escape(table.title)], text_justification=["l"], text_convert=False),
        rtf_column_header=headers,
        rtf_body=rtf.RTFBody(col_rel_width=widths, text_justification=[["l"] + ["c"] * (n - 1)], text_convert=False),
        rtf_footnote=rtf.RTFFootnote(text=[rtf_escape(table.footnote)], text_convert=False) if table.footnote else None,
        rtf_source=rtf.RTFSource(text=[rtf_escape(source)], text_convert=False),
    )
    return document.rtf_encode()
