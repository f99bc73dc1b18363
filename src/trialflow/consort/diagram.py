"""The CONSORT 2025 flow diagram as plain, deterministic SVG.

:func:`flow_diagram_svg` draws a flow counted by :func:`trialflow.consort.flow.derive_flow`:
no ids, no randomness, text escaped, sized for an A4 text width. Lines are wrapped with the
advance widths of the bundled STIX font (:func:`text_width`), the font the report prints with.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from fontTools.ttLib import TTFont

FONT_DIR = Path(__file__).parents[1] / "report" / "fonts"
PAGE_WIDTH = 170.0  # mm: the text width of an A4 page with 20 mm margins
LABEL_W = 5.5  # mm: the strip of stage labels on the left
GAP = 4.0  # mm between arm columns
# The Analysis box lists, per outcome, the numbers analysed and excluded with every reason. Above
# this many lines in any arm's box (a large trial with many outcomes or many distinct reasons;
# the demo's longest box has 36) every Analysis box is summarised instead: the range of n over
# the outcomes and the SUMMARY_REASONS most frequent reasons summed over them (docs/consort.md).
ANALYSIS_BOX_MAX_ITEMS = 60
SUMMARY_REASONS = 6


@lru_cache(maxsize=2)
def _advances(bold: bool) -> tuple[dict[int, float], float]:
    """Advance widths (in em) of the bundled STIX font; falls back to an estimate if it cannot be read."""
    try:
        font = TTFont(FONT_DIR / ("STIXGeneralBol.ttf" if bold else "STIXGeneral.ttf"), lazy=True)
        upm = font["head"].unitsPerEm
        hmtx = font["hmtx"]
        return {code: hmtx[glyph][0] / upm for code, glyph in font.getBestCmap().items()}, 0.6
    except Exception:  # pragma: no cover - the fonts ship with the package
        return {}, 0.55


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width of ``text`` in the units of ``size`` (STIX metrics)."""
    widths, fallback = _advances(bold)
    return sum(widths.get(ord(ch), fallback) for ch in text) * size


def _wrap(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    lines, current = [], ""
    for word in text.split(" "):
        trial = f"{current} {word}" if current else word
        if text_width(trial, size, bold) <= width:
            current = trial
            continue
        if current:
            lines.append(current)
        while text_width(word, size, bold) > width and len(word) > 1:  # a word longer than the line
            cut = len(word)
            while cut > 1 and text_width(word[:cut], size, bold) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    lines.append(current)
    return lines


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text: str) -> str:
    """Text safe as XML character data: markup escaped, characters XML forbids replaced."""
    return escape(_XML_ILLEGAL.sub("\ufffd", text))


def _num(v: float) -> str:
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s in {"-0", ""} else s


class _Box:
    """A box of text lines: items are (level, text); level 0 plain, 1 bullet '•', 2 indented dash '–'
    (a reason under a bullet), 3 dash '–' (a reason under a plain line)."""

    def __init__(self, items: list[tuple[int, str]], width: float, size: float, centre: bool = False):
        self.width, self.size, self.centre = width, size, centre
        self.pad, self.leading = 0.4 * size + 0.4, 1.22 * size
        self.lines: list[tuple[float, str, str]] = []  # (x offset of the text, marker, text)
        for level, text in items:
            indent = {0: 0.0, 1: 0.0, 2: 1.1 * size, 3: 0.0}[level]
            mark = {0: "", 1: "•", 2: "–", 3: "–"}[level]
            hang = indent + (0.8 * size if mark else 0.0)
            for i, part in enumerate(_wrap(text, width - 2 * self.pad - hang, size)):
                self.lines.append((hang, mark if i == 0 else "", part))
        self.height = 2 * self.pad + len(self.lines) * self.leading

    def svg(self, x: float, y: float, height: float | None = None) -> list[str]:
        h = height if height is not None else self.height
        out = [
            f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(self.width)}" height="{_num(h)}" '
            f'fill="#fff" stroke="#000" stroke-width="0.25"/>'
        ]
        for i, (dx, mark, text) in enumerate(self.lines):
            base = _num(y + self.pad + 0.8 * self.size + i * self.leading + 0.1 * self.leading)
            if mark:
                out.append(f'<text x="{_num(x + self.pad + dx - 0.8 * self.size)}" y="{base}">{mark}</text>')
            if self.centre:
                out.append(f'<text x="{_num(x + self.width / 2)}" y="{base}" text-anchor="middle">{_xml(text)}</text>')
            else:
                out.append(f'<text x="{_num(x + self.pad + dx)}" y="{base}">{_xml(text)}</text>')
        return out


def _with_reasons(items: list[tuple[int, str]], level: int, title: str, tally: dict) -> None:
    items.append((level, f"{title} (n={tally['n']})"))
    items += [(2 if level else 3, f"{r['reason']} (n={r['n']})") for r in tally["reasons"]]


def analysis_items(arms: list[dict]) -> list[list[tuple[int, str]]]:
    """The lines of each arm's Analysis box: in full, or summarised in every arm when any box would
    have more than ``ANALYSIS_BOX_MAX_ITEMS`` lines."""
    full = [_analysis_items(a) for a in arms]
    if any(len(items) > ANALYSIS_BOX_MAX_ITEMS for items in full):
        return [_analysis_summary_items(a) for a in arms]
    return full


def _analysis_items(arm: dict) -> list[tuple[int, str]]:
    analysis = arm["analysis"]
    items: list[tuple[int, str]] = []
    if not analysis:
        return [(0, "Analysed (n not available)")]
    # Outcomes with the same numbers share a line: a reason common to many outcomes is written once.
    analysed = _grouped(analysis, lambda o: o["analysed"])
    excluded = _grouped(analysis, lambda o: json.dumps(o["excluded"], sort_keys=True))
    if len(analysed) == 1:
        items.append((0, f"Analysed (n={analysis[0]['analysed']})"))
    else:
        items.append((0, "Analysed"))
        items += [(1, f"{_labels(group)} (n={group[0]['analysed']})") for group in analysed]
    if len(excluded) == 1:
        _with_reasons(items, 0, "Excluded from analysis", analysis[0]["excluded"])
    else:
        items.append((0, "Excluded from analysis"))
        for group in excluded:
            _with_reasons(items, 1, _labels(group), group[0]["excluded"])
    return items


def _grouped(analysis: list[dict], key) -> list[list[dict]]:
    """The outcomes grouped by ``key``, groups in order of their first outcome."""
    groups: dict = {}
    for o in analysis:
        groups.setdefault(key(o), []).append(o)
    return list(groups.values())


def _labels(group: list[dict]) -> str:
    return ", ".join(o["label"] for o in group)


def _span(values: list[int]) -> str:
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low} to {high}"


def _analysis_summary_items(arm: dict) -> list[tuple[int, str]]:
    """The Analysis box in a few lines: n analysed and excluded (their range over the outcomes) and
    the most frequent reasons for exclusion, each summed over the outcomes (a participant excluded
    from several outcomes counts once per outcome); every number per outcome is in flow.csv."""
    analysis = arm["analysis"]
    if not analysis:
        return [(0, "Analysed (n not available)")]
    k = len(analysis)
    totals: dict[str, int] = {}
    for o in analysis:
        for r in o["excluded"]["reasons"]:
            totals[r["reason"]] = totals.get(r["reason"], 0) + r["n"]
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    shown, rest = ranked[:SUMMARY_REASONS], ranked[SUMMARY_REASONS:]
    analysed = _span([o["analysed"] for o in analysis])
    excluded = _span([o["excluded"]["n"] for o in analysis])
    if k > 1:
        items = [(0, f"Analysed (n={analysed} per outcome, {k} outcomes)")]
        excluded_line = f"Excluded from analysis (n={excluded} per outcome)"
        reasons_line = f"; reasons summed over the {k} outcomes:"
    else:
        items = [(0, f"Analysed (n={analysed})")]
        excluded_line, reasons_line = f"Excluded from analysis (n={excluded})", "; reasons:"
    items.append((0, excluded_line + (reasons_line if ranked else "")))
    items += [(3, f"{reason} (n={n})") for reason, n in shown]
    if rest:
        items.append((3, f"{len(rest)} other reasons (n={sum(n for _, n in rest)})"))
    items.append((0, "Every outcome and reason: results/consort/flow.csv"))
    return items


def _arrow(x1: float, y1: float, x2: float, y2: float) -> list[str]:
    """A straight line with a filled head at (x2, y2); horizontal or vertical only."""
    size = 1.2
    if x1 == x2:
        d = 1 if y2 > y1 else -1
        head = [(x2, y2), (x2 - size / 2.4, y2 - d * size), (x2 + size / 2.4, y2 - d * size)]
        end = (x2, y2 - d * size)
    else:
        d = 1 if x2 > x1 else -1
        head = [(x2, y2), (x2 - d * size, y2 - size / 2.4), (x2 - d * size, y2 + size / 2.4)]
        end = (x2 - d * size, y2)
    points = " ".join(f"{_num(px)},{_num(py)}" for px, py in head)
    return [
        f'<line x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(end[0])}" y2="{_num(end[1])}" '
        f'stroke="#000" stroke-width="0.25"/>',
        f'<polygon points="{points}" fill="#000"/>',
    ]


def flow_diagram_svg(flow: dict, title: str = "CONSORT 2025 flow diagram") -> str:
    """The CONSORT 2025 flow diagram of ``flow`` (from :func:`derive_flow`) as an SVG document.

    170 mm wide (A4 text width), any number of arms ≥ 1 laid out as columns, font
    "STIXGeneral, serif" (the family name of the bundled STIX font).
    Deterministic: the same flow gives the same string. Every text from data is XML-escaped.
    When any arm's Analysis box would have more than ``ANALYSIS_BOX_MAX_ITEMS`` lines, every
    Analysis box is summarised (:func:`_analysis_summary_items`) so the diagram stays legible.
    """
    arms = flow["arms"]
    k = max(len(arms), 1)
    size = 2.8 if k <= 3 else 2.5 if k == 4 else 2.2  # mm; 2.8 mm ≈ 8 pt
    x0, x1 = LABEL_W + 2.0, PAGE_WIDTH - 0.5
    col_w = (x1 - x0 - (k - 1) * GAP) / k
    centres = [x0 + i * (col_w + GAP) + col_w / 2 for i in range(k)]
    spine = (x0 + x1) / 2
    body: list[str] = []
    stages: list[tuple[str, float, float]] = []

    # Enrolment: assessed → (excluded) → randomised, on the centre line
    ex = flow["excluded"]
    ex_items: list[tuple[int, str]] = [(0, f"Excluded (n={ex['n']})")]
    _with_reasons(ex_items, 1, "Not meeting inclusion criteria", ex["not_eligible"])
    _with_reasons(ex_items, 1, "Declined to participate", ex["declined"])
    _with_reasons(ex_items, 1, "Other reasons", ex["other"])
    main_w = min(62.0, (x1 - x0) * 0.42)
    side_x = spine + 6.0
    assessed = _Box([(0, f"Assessed for eligibility (n={flow['assessed']})")], main_w, size, centre=True)
    excluded = _Box(ex_items, x1 - side_x, size)
    randomised = _Box([(0, f"Randomised (n={flow['randomised']})")], main_w, size, centre=True)
    y = 1.0
    body += assessed.svg(spine - main_w / 2, y)
    y_ex = y + assessed.height + 4.0
    body += excluded.svg(side_x, y_ex)
    y_rand = y_ex + excluded.height + 4.0
    body += randomised.svg(spine - main_w / 2, y_rand)
    body += _arrow(spine, y + assessed.height, spine, y_rand)
    mid = y_ex + min(excluded.height / 2, 3.0)
    body += _arrow(spine, mid, side_x, mid)
    stages.append(("Enrolment", y, y_rand + randomised.height))

    # Allocation, follow-up and analysis: one column per arm, rows of equal height
    rows = [
        ("Allocation", [_allocation_items(a) for a in arms]),
        ("Follow-up", [_follow_up_items(a) for a in arms]),
        ("Analysis", analysis_items(arms)),
    ]
    y_bar = y_rand + randomised.height + 3.0
    y_row = y_bar + 4.0
    if arms:
        body.append(
            f'<line x1="{_num(spine)}" y1="{_num(y_rand + randomised.height)}" x2="{_num(spine)}" '
            f'y2="{_num(y_bar)}" stroke="#000" stroke-width="0.25"/>'
        )
        body.append(
            f'<line x1="{_num(min(centres[0], spine))}" y1="{_num(y_bar)}" '
            f'x2="{_num(max(centres[-1], spine))}" y2="{_num(y_bar)}" stroke="#000" stroke-width="0.25"/>'
        )
        for c in centres:
            body += _arrow(c, y_bar, c, y_row)
    for r, (stage, items) in enumerate(rows):
        boxes = [_Box(i, col_w, size) for i in items]
        label_len = text_width(stage, size, bold=True) + 3.0
        height = max([b.height for b in boxes] + [label_len])
        for i, b in enumerate(boxes):
            body += b.svg(centres[i] - col_w / 2, y_row, height)
            if r < len(rows) - 1:
                body += _arrow(centres[i], y_row + height, centres[i], y_row + height + 5.0)
        stages.append((stage, y_row, y_row + height))
        y_row += height + 5.0
    total_h = y_row - 5.0 + 1.0

    labels = []
    for stage, top, bottom in stages:
        cx, cy = 0.5 + LABEL_W / 2, (top + bottom) / 2
        labels.append(
            f'<rect x="0.5" y="{_num(top)}" width="{_num(LABEL_W)}" height="{_num(bottom - top)}" '
            f'rx="1" fill="#e6e6e6" stroke="#000" stroke-width="0.25"/>'
        )
        labels.append(
            f'<text x="{_num(cx)}" y="{_num(cy)}" font-weight="bold" text-anchor="middle" '
            f'dominant-baseline="central" transform="rotate(-90 {_num(cx)} {_num(cy)})">'
            f"{_xml(stage)}</text>"
        )
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{_num(PAGE_WIDTH)}mm" '
        f'height="{_num(total_h)}mm" viewBox="0 0 {_num(PAGE_WIDTH)} {_num(total_h)}" role="img" '
        f'font-family="STIXGeneral, serif" font-size="{_num(size)}">'
    )
    return "\n".join(
        ['<?xml version="1.0" encoding="UTF-8"?>', head, f"<title>{_xml(title)}</title>", *labels, *body, "</svg>", ""]
    )


def _allocation_items(arm: dict) -> list[tuple[int, str]]:
    items: list[tuple[int, str]] = [
        (0, f"Allocated to {arm['label']} (n={arm['allocated']})"),
        (1, f"Received allocated intervention (n={arm['received']})"),
    ]
    _with_reasons(items, 1, "Did not receive allocated intervention", arm["not_received"])
    return items


def _follow_up_items(arm: dict) -> list[tuple[int, str]]:
    items: list[tuple[int, str]] = []
    _with_reasons(items, 0, "Lost to follow-up", arm["lost_to_follow_up"])
    _with_reasons(items, 0, "Discontinued intervention", arm["discontinued"])
    return items
