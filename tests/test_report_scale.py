"""The report for trials larger than the demo: m arms, k time points, many exclusions.

A seeded trial of 150 participants in three unequal arms with four visits (and one with four
arms) goes through the library's analysis; its report must fit A4 (wide tables compact, Table 3
on a landscape page from four arms), say "three groups" where the demo says "two", count
exclusions instead of naming 40+ participants, and keep every caption with its table. The demo's
layout (the paper's Tables 2-3) must not change: its switches all stay off.
"""

import re

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import ROOT, report_settings
from trialflow.analysis import analyse_outcomes, describe_baseline, estimate_effects
from trialflow.outputs import write_csv
from trialflow.report import PACKAGE_DIR, render_html
from trialflow.report.context import EXCLUSION_LIST_MAX, build_context
from trialflow.report.pdf import RestrictedFetcher
from trialflow.stats.complete import exclusion_counts, exclusion_reasons
from trialflow.stats.descriptives import count_per_arm
from trialflow.stats.harms import harms_by_term, summarise_harms

ARMS = [
    {"id": "control", "label": "Control"},
    {"id": "moderate", "label": "Moderate-intensity training"},
    {"id": "vigorous", "label": "High-intensity training"},
    {"id": "hiit", "label": "Interval training"},
]
TIMES = [
    {"id": "baseline", "label": "baseline"},
    {"id": "week8", "label": "week 8"},
    {"id": "week16", "label": "week 16"},
    {"id": "week24", "label": "week 24"},
]
OUTCOMES = [  # BDNF's five-digit means are the widest cells of Table 3
    {"id": "BDNF", "label": "BDNF", "unit": "pg/mL", "domain": "biomarker", "decimals": 0, "higher_is_better": True},
    {
        "id": "six_mwt",
        "label": "6-minute walk distance",
        "unit": "m",
        "domain": "mobility",
        "decimals": 0,
        "higher_is_better": True,
    },
]
BASELINE = [
    {"id": "age_years", "label": "age (year)", "decimals": 1},
    {"id": "height_cm", "label": "height (cm)", "decimals": 1},
    {"id": "weight_kg", "label": "weight (kg)", "decimals": 1},
    {"id": "bmi_kg_m2", "label": "BMI (kg/m²)", "decimals": 1},
]


def make_trial(folder, n_arms: int = 3, seed: int = 3) -> tuple[dict, dict, dict]:
    """A seeded trial with ``n_arms`` arms (sizes 60, 50, 40, 30), four visits and two outcomes, of
    which 45 participants miss a later visit of BDNF and 12 one of the walk (with a recorded
    reason); its results tables written as the pipeline writes them. Returns (config, results,
    figures)."""
    rng = np.random.default_rng(seed)
    arms, times = ARMS[:n_arms], [t["id"] for t in TIMES]
    arm_of = np.repeat([a["id"] for a in arms], [60, 50, 40, 30][:n_arms])
    ids = [f"P{i:03d}" for i in range(1, len(arm_of) + 1)]
    height = rng.normal(168, 9, len(ids)).round(1)
    weight = rng.normal(72, 12, len(ids)).round(1)
    people = pd.DataFrame(
        {
            "participant_id": ids,
            "arm": arm_of,
            "age_years": rng.integers(20, 70, len(ids)).astype(float),
            "height_cm": height,
            "weight_kg": weight,
            "bmi_kg_m2": weight / (height / 100) ** 2,
        }
    )
    rows = []
    for o, mean, sd in [("BDNF", 20000.0, 7000.0), ("six_mwt", 480.0, 80.0)]:
        for pid, arm in zip(ids, arm_of, strict=True):
            level = rng.normal(mean, sd)
            for j, t in enumerate(times):
                gain = j * sd * 0.1 * [a["id"] for a in arms].index(arm)
                value = level + gain + rng.normal(0, sd / 4)
                rows.append({"participant_id": pid, "arm": arm, "time": t, "outcome": o, "value": value})
    data = pd.DataFrame(rows)
    drop = rng.choice(len(ids), 45, replace=False)
    gone = {(ids[i], "BDNF", times[1 + i % 3]) for i in drop}  # week 8, 16 or 24
    gone |= {(ids[i], "six_mwt", "week24") for i in drop[:12]}
    key = list(zip(data["participant_id"], data["outcome"], data["time"], strict=True))
    data = data[[k not in gone for k in key]].reset_index(drop=True)
    missing = pd.DataFrame(
        [
            {"participant_id": p, "time": t, "outcome": o, "reason": "no data (assessment missed)"}
            for p, o, t in sorted(gone)
            if o == "six_mwt"
        ]
    )
    arm_ids, outcome_ids = [a["id"] for a in arms], [o["id"] for o in OUTCOMES]
    results = analyse_outcomes(data, outcome_ids, arm_ids, times, missing=missing)
    baseline, _, tests = describe_baseline(people, [v["id"] for v in BASELINE], arm_ids)
    events = pd.DataFrame(
        {
            "participant_id": ids[:6],
            "event_term": ["Knee pain", "Fall", "Knee pain", "Headache", "Fall", "Knee pain"],
            "severity": ["mild", "moderate", "severe", "mild", "mild", "moderate"],
            "serious": [False, False, True, False, False, False],
            "relatedness": ["possible", "unrelated", "probable", "unrelated", "unlikely", "definite"],
            "outcome": ["recovered"] * 6,
            "led_to_discontinuation": [False, False, True, False, False, False],
        }
    )
    tables = {
        **{k: results[k] for k in ["descriptives", "anova", "assumptions", "excluded"]},
        "baseline": baseline,
        "baseline_tests": tests,
        "participants_per_arm": count_per_arm(people, arm_ids),
        "outcome_status": results["status"],
        "exclusion_counts": exclusion_counts(results["excluded"], outcome_ids, arm_ids, times),
        "exclusion_reasons": exclusion_reasons(results["excluded"], arm_ids),
        "estimation": estimate_effects(data, outcome_ids, arm_ids, times),
        "harms": summarise_harms(events, people, arm_ids),
        "harms_by_term": harms_by_term(events, people, arm_ids),
    }
    paths = {}
    (folder / "stats").mkdir()
    for name, frame in tables.items():
        paths[name] = str(folder / "stats" / f"{name}.csv")
        write_csv(frame, paths[name])
    svg = folder / "figure.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    config = {
        "trial": {"id": "scale-test", "title": "A larger trial", "design": "Randomised.", "data_cutoff": "2026-03-31"},
        "arms": arms,
        "time_points": TIMES,
        "outcomes": OUTCOMES,
        "baseline": BASELINE,
        "analysis": {"alpha": 0.05, "baseline_tests": n_arms == 2},
        "report": {"p_value_style": "apa"},
    }
    return config, paths, {o["id"]: str(svg) for o in OUTCOMES}


@pytest.fixture(scope="module")
def three_arms(tmp_path_factory):
    config, results, figures = make_trial(tmp_path_factory.mktemp("three"))
    context = build_context(report_settings(config), results, figures)
    return {"config": config, "results": results, "figures": figures, "context": context, "html": render_html(context)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_analysis):
    """The demo's context and HTML (BDNF and GDNF), as the pipeline builds them."""
    folder = tmp_path_factory.mktemp("demo")
    results = {}
    names = [
        "descriptives",
        "anova",
        "assumptions",
        "excluded",
        "baseline",
        "baseline_tests",
        "participants_per_arm",
        "outcome_status",
    ]
    for name in names:
        results[name] = str(folder / f"{name}.csv")
        write_csv(demo_analysis[name], results[name])
    svg = folder / "figure.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["outcomes"] = [o for o in config["outcomes"] if o["id"] in ("BDNF", "GDNF")]
    context = build_context(report_settings(config), results, {"BDNF": str(svg), "GDNF": str(svg)})
    return {"context": context, "html": render_html(context)}


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def layout(html: str):
    """WeasyPrint's laid-out pages of ``html`` (as the report renders it, without writing a PDF)."""
    import weasyprint

    fetcher = RestrictedFetcher([PACKAGE_DIR])
    return weasyprint.HTML(string=html, base_url=PACKAGE_DIR.as_uri() + "/", url_fetcher=fetcher).render()


def boxes(box):
    yield box
    for child in getattr(box, "children", []):
        yield from boxes(child)


def cells_outside_the_text_width(document) -> list[str]:
    """The text of every table cell whose right edge is beyond its page's text area."""
    beyond = []
    for page in document.pages:
        area = page._page_box.children[0]  # the root box spans the text area
        right = area.position_x + area.margin_width() + 0.5
        for b in boxes(page._page_box):
            if type(b).__name__ == "TableCellBox" and b.position_x + b.margin_width() > right:
                beyond.append(" ".join(t.text for t in boxes(b) if hasattr(t, "text") and t.text))
    return beyond


ANOVA_CAPTION = "Results of the repeated-measures analysis of variance"


def table_3(html: str) -> str:
    """The ANOVA table (Table 3 of the paper; its number depends on the tables before it)."""
    start = html.rindex("<caption>", 0, html.index(ANOVA_CAPTION))
    return html[start : html.index("</table>", start)]


# --------------------------------------------------------------------------- wide tables


def test_three_arms_set_the_wide_tables_compact_and_the_demo_keeps_its_layout(three_arms, demo):
    html = three_arms["html"]
    assert three_arms["context"]["layout"] == {"wide": True, "landscape": False, "wide_table4": True}
    table3_tag = html[: html.index(ANOVA_CAPTION)].rsplit("<table", 1)[1]
    assert 'class="wide"' in table3_tag and "landscape" not in html
    header = table_3(html)[: table_3(html).index("</thead>")]
    assert [h in header for h in ("Time", "Groups", "Interaction")] == [True] * 3
    assert re.search(r'<table class="small wide" id="estimation">', html)
    assert '<td class="text time">week 16</td>' in table_3(html)
    # the demo: no switch on, Table 3 as the paper prints it
    assert demo["context"]["layout"] == {"wide": False, "landscape": False, "wide_table4": False}
    d = demo["html"]
    assert re.search(r"<table>\s*<caption><b>Table 3\.</b>", d) and 'class="wide"' not in d
    assert "small wide" not in d and "landscape" not in d


def test_every_table_of_a_three_arm_four_visit_report_fits_the_page_width(three_arms):
    document = layout(three_arms["html"])
    assert cells_outside_the_text_width(document) == []
    time_cells = [
        b
        for page in document.pages
        for b in boxes(page._page_box)
        if type(b).__name__ == "TableCellBox" and "time" in (b.element.get("class") or "").split()
    ]
    assert len(time_cells) == 4 * len(OUTCOMES)
    for cell in time_cells:  # "week 16" on one line
        assert sum(1 for b in boxes(cell) if type(b).__name__ == "LineBox") == 1


def test_four_arms_put_table_3_on_a_landscape_page_that_it_fits(tmp_path):
    config, results, figures = make_trial(tmp_path, n_arms=4)
    html = render_html(build_context(report_settings(config), results, figures))
    assert re.search(
        r'<div class="landscape">\s*<h2 class="new-page" id="outcomes">Outcomes</h2>\s*<table class="wide">\s*'
        r"<caption><b>Table 2\.</b> Results",
        html,
    )
    document = layout(html)
    assert cells_outside_the_text_width(document) == []
    texts = [" ".join(t.text for t in boxes(p._page_box) if hasattr(t, "text") and t.text) for p in document.pages]
    pages = [p for p, text in zip(document.pages, texts, strict=True) if "Interaction" in text]
    assert pages and all(p.width > p.height for p in pages)
    # the section's heading opens the landscape page (it used to stay alone on a portrait page)
    assert "Outcomes" in texts[document.pages.index(pages[0])]
    assert not any(text.strip().startswith("Outcomes") and "Table" not in text for text in texts)
    assert document.pages[0].width < document.pages[0].height  # the rest stays portrait


def test_a_caption_stays_with_its_table_at_the_foot_of_a_page():
    rows = "".join(f"<tr><td>row {i}</td></tr>" for i in range(5))
    html = (
        '<html><head><link rel="stylesheet" href="templates/report.css"></head><body>'
        '<div style="height: 243mm">text that leaves room for the caption only</div>'
        f"<table><caption>Table 2. Caption.</caption><thead><tr><th>head</th></tr></thead><tbody>{rows}</tbody></table>"
        "</body></html>"
    )
    pages = [" ".join(t.text for t in boxes(p._page_box) if hasattr(t, "text") and t.text) for p in layout(html).pages]
    caption_page = next(i for i, text in enumerate(pages) if "Caption." in text)
    assert "row 0" in pages[caption_page], pages


# --------------------------------------------------------------------------- sentences


def test_generated_sentences_count_the_configured_arms_and_time_points(three_arms, demo):
    text = text_of(three_arms["html"])
    assert "of the participants in the three groups (mean ± SD)" in text
    assert "two groups" not in text and "both groups" not in text
    assert "Pre-" not in text and "-test means" not in text and "pre and post" not in text.lower()
    assert (
        "Means (±SD) of BDNF (pg/mL) at baseline, week 8, week 16 and week 24 in the control, "
        "moderate-intensity training and high-intensity training groups." in text
    )
    assert re.search(
        r"at baseline \(p [=<] \.\d+\), week 8 \(p [=<] \.\d+\), week 16 \(p [=<] \.\d+\) and week 24", text
    )
    assert "a 3 × 4 mixed (repeated-measures) analysis of variance" in text
    assert "difference in mean change from baseline to week 24, each group against control (Student's t" in text
    assert "Interval training" not in text
    # the demo says what the paper says
    d = text_of(demo["html"])
    assert "of the participants in the two groups (mean ± SD)" in d
    assert "Pre- and Post-test means (±SD) of BDNF (pg/mL) in the control and training groups." in d
    assert re.search(r"at pre \(p=0\.\d+\) and post \(p=0\.\d+\)", d)
    assert "each group against" not in d.split("Statistical methods")[1].split("Sample size")[0]


def test_units_note_ends_its_sentence_before_the_next(three_arms, demo):
    for html in (three_arms["html"], demo["html"]):
        assert re.search(r"6-minute walk distance m\. P values|GDNF pg/mL\. P values", text_of(html))


@pytest.mark.parametrize("report", ["three_arms", "demo"])
def test_tables_are_numbered_in_the_order_they_print_without_gaps(report, request):
    html = request.getfixturevalue(report)["html"]
    numbers = re.findall(r"<caption><b>Table (A?)(\d+)\.</b>", html)
    for part in ("", "A"):
        printed = [int(n) for prefix, n in numbers if prefix == part]
        assert printed == list(range(1, len(printed) + 1)), (part, printed)
    # every number the text refers to is a table that is printed
    assert set(re.findall(r"Table (A?\d+)\b", re.sub(r"<caption>.*?</caption>", "", html))) <= {
        a + n for a, n in numbers
    }


# --------------------------------------------------------------------------- exclusions


def test_many_exclusions_are_counted_per_outcome_and_group_not_listed(three_arms):
    html, context = three_arms["html"], three_arms["context"]
    excluded = pd.read_csv(three_arms["results"]["excluded"])
    assert excluded["participant_id"].nunique() > EXCLUSION_LIST_MAX
    assert context["exclusions"] == [] and "<li>Participant" not in html
    numbers = context["table"]
    assert (numbers["exclusions"], numbers["reasons"]) == ("6", "7")  # no protocol table; harms before them
    assert "<b>Table 6.</b>" in html and "<b>Table 7.</b>" in html and "results/stats/excluded.csv" in html
    summary = context["exclusion_summary"]
    assert summary["n"] == excluded["participant_id"].nunique()
    # every count against a direct computation on excluded.csv
    for row, o in zip(summary["rows"], OUTCOMES, strict=True):
        for cell in row["cells"]:
            mine = excluded[(excluded["outcome"] == o["id"]) & (excluded["arm"] == cell["arm"])]
            assert cell["n"] == len(mine)
            for t in TIMES:
                assert cell["missing"][t["id"]] == sum(t["id"] in m.split(";") for m in mine["missing"])
    reasons = {r["reason"]: r for r in summary["reasons"]}
    walk = excluded[excluded["outcome"] == "six_mwt"]
    expected = walk.groupby("arm").size()
    got = reasons["week24: no data (assessment missed)"]
    assert got["total"] == len(walk) == 12
    assert got["cells"] == [int(expected.get(a["id"], 0)) for a in ARMS[:3]]
    assert sum(r["total"] for r in summary["reasons"]) == len(excluded)  # one reason per exclusion here
    table8 = text_of(html[html.index("<b>Table 6.</b>") :])
    assert "BDNF Control" in table8 and "Without a value at baseline week 8 week 16 week 24" in table8


def test_few_exclusions_are_still_listed_by_name(three_arms, tmp_path):
    results = dict(three_arms["results"])
    excluded = pd.read_csv(results["excluded"])
    keep = sorted(excluded["participant_id"].unique())[:EXCLUSION_LIST_MAX]
    results["excluded"] = str(tmp_path / "excluded.csv")
    write_csv(excluded[excluded["participant_id"].isin(keep)], results["excluded"])
    context = build_context(report_settings(three_arms["config"]), results, three_arms["figures"])
    assert context["exclusion_summary"] is None and len(context["exclusions"]) == EXCLUSION_LIST_MAX


# --------------------------------------------------------------------------- assumption appendix


def test_a_long_assumption_appendix_has_one_row_per_outcome_and_time_point(three_arms, demo, monkeypatch):
    from trialflow.report import context as context_module

    assert three_arms["context"]["assumption_grid"] is None and demo["context"]["assumption_grid"] is None
    checks = pd.read_csv(three_arms["results"]["assumptions"])
    monkeypatch.setattr(context_module, "ASSUMPTION_ROWS_MAX", len(checks) - 1)
    context = build_context(report_settings(three_arms["config"]), three_arms["results"], three_arms["figures"])
    grid = context["assumption_grid"]
    assert grid["shapiro_columns"] == ["Residuals", "All values", *[a["label"] for a in ARMS[:3]]]
    assert [(r["outcome"], r["time"]) for r in grid["rows"]] == [
        (o["label"], t["label"]) for o in OUTCOMES for t in TIMES
    ]
    columns = [("shapiro", "residuals", ""), ("shapiro", "values", "")]
    columns += [("shapiro", "values", a["id"]) for a in ARMS[:3]] + [("levene", "values", "")]
    for row, (o, t) in zip(grid["rows"], [(o, t) for o in OUTCOMES for t in TIMES], strict=True):
        for cell, (test, data, arm) in zip(row["cells"], columns, strict=True):
            expected = checks[
                (checks["outcome"] == o["id"]) & (checks["time"] == t["id"]) & (checks["test"] == test)
                & (checks["data"] == data) & (checks["arm"].fillna("") == arm)
            ]  # fmt: skip
            assert len(expected) == 1 and cell["statistic"] == expected["statistic"].iloc[0]
    html = render_html(context)
    assert "Shapiro–Wilk W (p)" in html and cells_outside_the_text_width(layout(html)) == []
    assert len(checks) == len(grid["rows"]) * len(columns)  # every check is in the grid


# --------------------------------------------------------------------------- participant flow


def test_participants_heading_opens_the_page_of_the_flow_diagram(three_arms):
    context = dict(three_arms["context"], consort_svg="data:image/svg+xml;base64,PHN2Zy8+")
    html = render_html(context)
    assert '<h2 class="new-page" id="participants">Participants</h2>' in html
    assert '<h2 id="participants">Participants</h2>' in three_arms["html"]  # no diagram, no page break


# --------------------------------------------------------------------------- provenance appendix


def test_provenance_appendix_summarises_plate_folders_and_says_how_their_hash_is_made(three_arms, tmp_path):
    from tests.test_provenance import named, plate_trial
    from trialflow.provenance import report_record

    config, files = plate_trial(tmp_path, 30)
    provenance = report_record(str(tmp_path), files, named(config), "0" * 64, str(ROOT))
    html = render_html(dict(three_arms["context"], provenance=provenance))
    section = html[html.index('id="provenance"') : html.index('id="checklist"')]
    assert len(provenance["folders"]) == 2
    for d in provenance["folders"]:
        row = (
            f'<td class="text">{d["folder"]}</td><td class="num">{d["files"]}</td>'
            f'<td class="num">{d["bytes"]}</td><td class="text mono">{d["sha256"]}</td>'
        )
        assert row in section
    assert "participants.csv" in section and "elisa/plates.csv" in section and "A_000.csv" not in section
    text = text_of(section)
    assert "Every input file, with its own size and SHA-256, is in results/provenance.json" in text
    assert "the lines sorted by file name in code point order" in text
    assert "LC_ALL=C ls | xargs -d '\\n' sha256sum | sha256sum" in text


def test_checklist_has_no_audit_row_without_a_publication(three_arms, demo):
    """Without inputs.published there is no "Reported vs reproduced" section, so no checklist row
    may point to it (WeasyPrint logged 'No anchor #published' on the synthetic trial)."""
    assert 'id="published"' not in three_arms["html"] and 'href="#published"' not in three_arms["html"]
    assert all(anchor != "published" for *_, anchor in three_arms["context"]["checklist"])
    demo_rows = [anchor for *_, anchor in demo["context"]["checklist"]]
    assert ("published" in demo_rows) == (demo["context"]["published"] is not None)
    # ... and no row links to a section the report does not have (this trial has no protocol block).
    html = three_arms["html"]
    assert set(re.findall(r'href="#([^"]+)"', html)) <= set(re.findall(r'id="([^"]+)"', html))
