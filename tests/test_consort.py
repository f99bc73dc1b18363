"""CONSORT flow from the disposition log: reading rules, counts, cross-checks and the SVG diagram."""

import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import demo_characteristics
from trialflow import consort
from trialflow.consort import diagram
from trialflow.demo.disposition import write_demo_disposition
from trialflow.problems import Problem

ROOT = Path(__file__).resolve().parents[1]
ARMS = [{"id": "control", "label": "Control"}, {"id": "training", "label": "Training"}]
TIMES = ["pre", "post"]
HEADER = (
    "screening_id,participant_id,eligible,exclusion_reason,declined,arm,received_allocated,"
    "not_received_reason,discontinued,discontinued_reason,lost_to_follow_up,lost_reason,"
    "attended_pre,attended_post"
)
LOG = f"""{HEADER}
S01,,no,EDSS > 4.5,,,,,,,,,,
S02,,no,EDSS > 4.5,,,,,,,,,,
S03,,no,pregnancy,no,,,,,,,,,
S04,,yes,,yes,,,,,,,,,
S05,,yes,moved away,no,,,,,,,,,
S06,P01,yes,,no,control,yes,,no,,no,,yes,yes
S07,P02,Yes,,no,control,no,withdrew before first session,no,,yes,moved abroad,yes,no
S08,P03,yes,,no,control,yes,,yes,knee injury,no,,yes,yes
S09,P04,yes,,no,training,yes,,no,,no,,yes,yes
S10,P05,yes,,no,training,yes,,no,,no,,yes,yes
S11,P06,yes,,no,training,yes,,no,,yes,no longer contactable,yes,no
"""
ANALYSED = {("control", "BDNF"): 2, ("training", "BDNF"): 1}
EXCLUSIONS = pd.DataFrame(
    [{"outcome": "BDNF", "participant_id": "P05", "arm": "training", "reason": "no value at post"}]
)


def write(tmp_path, text, name="disposition.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def log(tmp_path):
    frame, problems = consort.read_disposition(write(tmp_path, LOG), "disposition.csv", ARMS, TIMES)
    assert problems == []
    return frame


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg.encode("utf-8"))
    return [el.text or "" for el in root.iter("{http://www.w3.org/2000/svg}text")]


# --------------------------------------------------------------------------- counts


def test_reader_types_and_keeps_every_row(log):
    assert len(log) == 11
    assert log["randomised"].tolist() == [False] * 5 + [True] * 6
    assert bool(log.loc[6, "eligible"]) and bool(log.loc[6, "lost_to_follow_up"])  # "Yes" read as yes
    assert log.loc[0, "received_allocated"] is pd.NA
    assert log["source_line"].tolist() == list(range(2, 13))


def test_counts_derived_from_the_log(log):
    flow, problems = consort.derive_flow(log, ARMS, TIMES, ANALYSED, analysis_exclusions=EXCLUSIONS)
    assert problems == []
    assert flow["assessed"] == 11 and flow["randomised"] == 6
    ex = flow["excluded"]
    assert ex["n"] == 5
    assert ex["not_eligible"] == {
        "n": 3,
        "reasons": [{"reason": "EDSS > 4.5", "n": 2}, {"reason": "pregnancy", "n": 1}],
    }
    assert ex["declined"] == {"n": 1, "reasons": []}
    assert ex["other"] == {"n": 1, "reasons": [{"reason": "moved away", "n": 1}]}
    control, training = flow["arms"]
    assert (control["allocated"], control["received"], control["followed_up"]) == (3, 2, 2)
    assert control["not_received"] == {"n": 1, "reasons": [{"reason": "withdrew before first session", "n": 1}]}
    assert control["lost_to_follow_up"] == {"n": 1, "reasons": [{"reason": "moved abroad", "n": 1}]}
    assert control["discontinued"] == {"n": 1, "reasons": [{"reason": "knee injury", "n": 1}]}
    assert control["attended"] == {"pre": 3, "post": 2}
    assert control["analysis"] == [
        {"outcome": "BDNF", "label": "BDNF", "analysed": 2, "excluded": {"n": 0, "reasons": []}}
    ]
    assert (training["allocated"], training["received"], training["followed_up"]) == (3, 3, 2)
    assert training["lost_to_follow_up"]["reasons"] == [{"reason": "no longer contactable", "n": 1}]
    assert training["analysis"][0]["excluded"] == {"n": 1, "reasons": [{"reason": "no value at post", "n": 1}]}
    assert consort.check_flow(flow) == []


def test_unexplained_exclusion_from_analysis_is_shown_as_not_recorded(log):
    flow, problems = consort.derive_flow(log, ARMS, TIMES, ANALYSED)
    assert problems == []
    assert flow["arms"][1]["analysis"][0]["excluded"] == {
        "n": 1,
        "reasons": [{"reason": "reason not recorded", "n": 1}],
    }


def test_analysis_from_results_tables(log):
    analysis = pd.DataFrame(
        {"participant_id": ["P01", "P01", "P03", "P03", "P04", "P04", "P05"], "outcome": ["BDNF"] * 7}
    )
    excluded = pd.DataFrame({"outcome": ["BDNF"], "participant_id": ["P05"], "reason": ["no value at post"]})
    analysed, exclusions = consort.analysis_from_results(log, analysis, excluded, ["BDNF"])
    assert analysed == {("control", "BDNF"): 2, ("training", "BDNF"): 1}
    # P02 and P06 were lost to follow-up: counted there, not again as excluded from analysis
    assert exclusions.to_dict("records") == [
        {"outcome": "BDNF", "participant_id": "P05", "arm": "training", "reason": "no value at post"}
    ]


def test_analysis_from_results_names_people_without_values(log):
    analysis = pd.DataFrame({"participant_id": ["P01", "P03", "P04"], "outcome": ["BDNF"] * 3})
    excluded = pd.DataFrame({"outcome": ["BDNF"], "participant_id": ["P05"], "reason": [float("nan")]})
    analysed, exclusions = consort.analysis_from_results(log, analysis, excluded, [{"id": "BDNF", "label": "BDNF"}])
    assert analysed == {("control", "BDNF"): 2, ("training", "BDNF"): 1}
    assert exclusions["reason"].tolist() == ["reason not recorded"]
    analysis = analysis[analysis["participant_id"] != "P04"]
    _, exclusions = consort.analysis_from_results(log, analysis, None, ["BDNF"])
    assert exclusions[["participant_id", "reason"]].values.tolist() == [
        ["P04", "no BDNF values"],
        ["P05", "no BDNF values"],
    ]


def test_flow_frame_and_json_are_plain(log):
    flow, _ = consort.derive_flow(log, ARMS, TIMES, ANALYSED, analysis_exclusions=EXCLUSIONS)
    frame = consort.flow_frame(flow)
    assert list(frame.columns) == ["stage", "arm", "outcome", "item", "reason", "n"]
    row = frame[(frame["arm"] == "control") & (frame["item"] == "lost_to_follow_up") & (frame["reason"] != "")]
    assert row[["reason", "n"]].values.tolist() == [["moved abroad", 1]]
    assert consort.flow_json(flow) == consort.flow_json(flow)
    assert consort.flow_json(flow).endswith(b"}\n")


# --------------------------------------------------------------------------- reading rules


def problems_of(tmp_path, *rows, time_points=TIMES):
    _, problems = consort.read_disposition(
        write(tmp_path, "\n".join([HEADER, *rows]) + "\n"), "disposition.csv", ARMS, time_points
    )
    return problems


def one(tmp_path, row) -> Problem:
    problems = problems_of(tmp_path, row)
    assert len(problems) == 1, problems
    return problems[0]


@pytest.mark.parametrize(
    "row, column, value, rule, message",
    [
        ("S1,,maybe,x,,,,,,,,,,", "eligible", "maybe", "yes_no", "eligible must be yes or no"),
        ("S1,,,x,,,,,,,,,,", "eligible", "", "eligible_given", "eligible is empty; write yes or no"),
        (
            ",,no,x,,,,,,,,,,",
            "screening_id",
            "",
            "screening_id_given",
            "screening_id is empty; every person assessed needs one",
        ),
        (
            "S1,,no,,,,,,,,,,,",
            "exclusion_reason",
            "",
            "exclusion_reason_given",
            "eligible is 'no' but exclusion_reason is empty; say which criterion was not met",
        ),
        (
            "S1,,yes,,no,,,,,,,,,",
            "exclusion_reason",
            "",
            "exclusion_reason_given",
            "this eligible person was neither randomised nor declined, so exclusion_reason must say why "
            "(counted under 'other reasons')",
        ),
        ("S1,,yes,x,,,,,,,,,,", "declined", "", "declined_given", "declined is empty; write yes or no"),
        (
            "S1,,no,x,yes,,,,,,,,,",
            "declined",
            "yes",
            "declined_if_eligible",
            "declined is 'yes' but eligible is 'no'; a person not meeting the criteria is counted once, "
            "as not eligible, so leave declined empty or write no",
        ),
        (
            "S1,P1,no,,,control,yes,,no,,no,,yes,yes",
            "eligible",
            "no",
            "randomised_eligible",
            "this person was randomised but eligible is 'no'",
        ),
        (
            "S1,P1,yes,,yes,control,yes,,no,,no,,yes,yes",
            "declined",
            "yes",
            "randomised_not_declined",
            "this person was randomised but declined is 'yes'",
        ),
        (
            "S1,,yes,,no,control,yes,,no,,no,,yes,yes",
            "participant_id",
            "",
            "participant_id_given",
            "arm is given but participant_id is empty; a randomised person needs the participant_id "
            "used in the participants file",
        ),
        (
            "S1,P1,yes,,no,,yes,,no,,no,,yes,yes",
            "arm",
            "",
            "arm_given",
            "participant_id is given but arm is empty; a randomised person needs the arm they were allocated to",
        ),
        (
            "S1,P1,yes,,no,placebo,yes,,no,,no,,yes,yes",
            "arm",
            "placebo",
            "arm_known",
            "arm 'placebo' is not one of control, training (as configured)",
        ),
        (
            "S1,P1,yes,EDSS > 4.5,no,control,yes,,no,,no,,yes,yes",
            "exclusion_reason",
            "EDSS > 4.5",
            "exclusion_reason_unexpected",
            "exclusion_reason is given but this person was randomised",
        ),
        (
            "S1,P1,yes,,no,control,no,,no,,no,,yes,yes",
            "not_received_reason",
            "",
            "not_received_reason_given",
            "received_allocated is 'no' but not_received_reason is empty; give the reason",
        ),
        (
            "S1,P1,yes,,no,control,yes,,yes,,no,,yes,yes",
            "discontinued_reason",
            "",
            "discontinued_reason_given",
            "discontinued is 'yes' but discontinued_reason is empty; give the reason",
        ),
        (
            "S1,P1,yes,,no,control,yes,,no,,yes,,yes,no",
            "lost_reason",
            "",
            "lost_reason_given",
            "lost_to_follow_up is 'yes' but lost_reason is empty; give the reason",
        ),
        (
            "S1,P1,yes,,no,control,yes,,no,felt tired,no,,yes,yes",
            "discontinued_reason",
            "felt tired",
            "discontinued_reason_unexpected",
            "discontinued_reason is given but discontinued is 'no'",
        ),
        (
            "S1,P1,yes,,no,control,yes,,no,,,,yes,yes",
            "lost_to_follow_up",
            "",
            "lost_to_follow_up_given",
            "lost_to_follow_up is empty; write yes or no",
        ),
        (
            "S1,P1,yes,,no,control,yes,,no,,no,,yes,",
            "attended_post",
            "",
            "attended_post_given",
            "attended_post is empty; write yes or no",
        ),
        (
            "S1,P1,yes,,no,control,yes,,no,,yes,moved,yes,yes",
            "attended_post",
            "yes",
            "lost_not_attended",
            "lost_to_follow_up is 'yes' but attended_post is 'yes'; a person seen at the last time point "
            "was not lost to follow-up",
        ),
        (
            "S1,,no,EDSS > 4.5,,,,,,,,,yes,",
            "attended_pre",
            "yes",
            "blank_unless_randomised",
            "attended_pre must be empty for a person who was not randomised",
        ),
        (
            "S1,P 1,yes,,no,control,yes,,no,,no,,yes,yes",
            "participant_id",
            "P 1",
            "participant_id_format",
            "participant_id must start with a letter or digit and contain only letters, digits, '_', '.', '-'",
        ),
    ],
)
def test_each_rule_gives_its_exact_problem(tmp_path, row, column, value, rule, message):
    assert one(tmp_path, row) == Problem("disposition.csv", "2", column, value, rule, "error", message)


def test_rejected_rows_are_left_out(tmp_path):
    text = "\n".join([HEADER, "S1,,no,,,,,,,,,,,", "S2,,no,EDSS > 4.5,,,,,,,,,,"]) + "\n"
    frame, problems = consort.read_disposition(write(tmp_path, text), "d.csv", ARMS, TIMES)
    assert frame["screening_id"].tolist() == ["S2"] and len(problems) == 1


def test_duplicated_ids_are_errors_on_every_line(tmp_path):
    problems = problems_of(
        tmp_path, "S1,P1,yes,,no,control,yes,,no,,no,,yes,yes", "S1,P1,yes,,no,training,yes,,no,,no,,yes,yes"
    )
    assert [(p.line, p.rule, p.message) for p in problems] == [
        ("2", "screening_id_unique", "screening_id 'S1' appears on lines 2, 3; each must appear once"),
        ("3", "screening_id_unique", "screening_id 'S1' appears on lines 2, 3; each must appear once"),
        ("2", "participant_id_unique", "participant_id 'P1' appears on lines 2, 3; each must appear once"),
        ("3", "participant_id_unique", "participant_id 'P1' appears on lines 2, 3; each must appear once"),
    ]


def test_missing_column_is_named_and_extra_columns_are_warned(tmp_path):
    header = HEADER.replace(",attended_post", "") + ",notes"
    text = header + "\nS1,,no,EDSS > 4.5,,,,,,,,,,\n"
    frame, problems = consort.read_disposition(write(tmp_path, text), "d.csv", ARMS, TIMES)
    assert len(frame) == 0
    found = header.replace(",", ", ")
    assert problems == [
        Problem(
            "d.csv",
            "1",
            "attended_post",
            "",
            "column_present",
            "error",
            f"required column 'attended_post' is missing (columns found: {found})",
        ),
        Problem(
            "d.csv",
            "1",
            "notes",
            "",
            "column_unused",
            "warning",
            "this column is not one trialflow reads; it was ignored",
        ),
    ]


def test_a_workbook_log_names_cells(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Screening"
    for row in LOG.splitlines():
        sheet.append(row.split(","))
    sheet["C3"] = "perhaps"
    book.save(tmp_path / "log.xlsx")
    frame, problems = consort.read_disposition(tmp_path / "log.xlsx", "log.xlsx", ARMS, TIMES)
    assert len(frame) == 10
    assert [(p.line, p.rule) for p in problems] == [("Screening!C3", "yes_no")]


# --------------------------------------------------------------------------- cross-checks


def test_analysed_more_than_followed_up(log):
    _, problems = consort.derive_flow(log, ARMS, TIMES, {("control", "BDNF"): 3, ("training", "BDNF"): 2})
    assert problems == [
        Problem(
            "disposition log",
            "",
            "lost_to_follow_up",
            "3",
            "analysed_followed_up",
            "error",
            "BDNF, arm Control: analysed (n=3) is more than were followed up (n=2: 3 allocated − 1 lost to follow-up)",
        )
    ]


def test_randomised_not_the_sum_of_arms(log):
    _, problems = consort.derive_flow(log, ARMS[:1], TIMES, {("control", "BDNF"): 2})
    assert problems == [
        Problem(
            "disposition log",
            "",
            "",
            "6",
            "randomised_sum",
            "error",
            "randomised (n=6) is not the sum of the arms (Control 3 = 3)",
        )
    ]


def test_check_flow_finds_boxes_that_do_not_add_up(log):
    flow, _ = consort.derive_flow(log, ARMS, TIMES, ANALYSED, analysis_exclusions=EXCLUSIONS)
    flow["randomised"] = 7
    flow["arms"][0]["received"] = 3
    assert [p.message for p in consort.check_flow(flow)] == [
        "randomised (n=7) is not the sum of the arms (Control 3 + Training 3 = 6)",
        "assessed (n=11) is not excluded + randomised (n=5 + 7 = 12)",
        "arm Control: allocated (n=3) is not received + not received (n=3 + 1)",
    ]


def test_participants_file_and_log_must_agree(log):
    participants = pd.DataFrame(
        {
            "participant_id": ["P01", "P02", "P03", "P04", "P05", "P07"],
            "arm": ["control", "control", "training", "training", "training", "control"],
            "source_file": "participants.csv",
            "source_line": [2, 3, 4, 5, 6, 7],
        }
    )
    _, problems = consort.derive_flow(
        log, ARMS, TIMES, ANALYSED, analysis_exclusions=EXCLUSIONS, participants=participants, name="disposition.csv"
    )
    assert problems == [
        Problem(
            "disposition.csv",
            "9",
            "arm",
            "control",
            "arm_agrees",
            "error",
            "participant 'P03' is randomised to 'control' in the disposition log but to 'training' "
            "in the participants file",
        ),
        Problem(
            "participants.csv",
            "7",
            "participant_id",
            "P07",
            "participant_randomised",
            "error",
            "participant 'P07' is in the participants file but not randomised in the disposition log",
        ),
        Problem(
            "disposition.csv",
            "12",
            "participant_id",
            "P06",
            "participant_listed",
            "error",
            "participant 'P06' is randomised in the disposition log but not in the participants file",
        ),
    ]


def test_exclusion_from_analysis_of_someone_not_in_that_arm(log):
    wrong = pd.DataFrame([{"outcome": "BDNF", "participant_id": "P01", "arm": "training", "reason": "x"}])
    _, problems = consort.derive_flow(log, ARMS, TIMES, ANALYSED, analysis_exclusions=wrong)
    assert [p.rule for p in problems] == ["analysis_exclusion_randomised"]
    assert problems[0].message == (
        "participant 'P01' is listed as excluded from the BDNF analysis in arm "
        "'training' but is not randomised to that arm in the disposition log"
    )


# --------------------------------------------------------------------------- diagram


def test_svg_parses_and_shows_the_counts(log):
    flow, _ = consort.derive_flow(log, ARMS, TIMES, ANALYSED, analysis_exclusions=EXCLUSIONS)
    svg = diagram.flow_diagram_svg(flow)
    root = ET.fromstring(svg.encode("utf-8"))
    assert root.get("width") == "170mm" and root.get("font-family") == "STIXGeneral, serif"
    texts = svg_texts(svg)
    for expected in [
        "Assessed for eligibility (n=11)",
        "Excluded (n=5)",
        "Not meeting inclusion criteria (n=3)",
        "EDSS > 4.5 (n=2)",
        "Declined to participate (n=1)",
        "Other reasons (n=1)",
        "Randomised (n=6)",
        "Allocated to Control (n=3)",
        "Allocated to Training (n=3)",
        "knee injury (n=1)",
        "no value at post (n=1)",
        "Enrolment",
        "Allocation",
        "Follow-up",
        "Analysis",
    ]:
        assert expected in texts, expected
    assert texts.count("Lost to follow-up (n=1)") == 2
    assert "id=" not in svg
    assert svg == diagram.flow_diagram_svg(flow)


def test_one_changed_disposition_changes_the_diagram(tmp_path):
    people = ROOT / "raw" / "demo" / "participants.csv"
    write_demo_disposition(people, tmp_path / "d.csv", seed=7)
    before, problems = consort.read_disposition(tmp_path / "d.csv", "d.csv", ARMS, TIMES)
    assert problems == []
    analysed = {(a["id"], "BDNF"): 15 for a in ARMS}
    flow_before, _ = consort.derive_flow(before, ARMS, TIMES, analysed)
    after = before.copy()
    row = after.index[after["participant_id"] == "MS001"][0]  # a control participant
    after.loc[row, ["lost_to_follow_up", "attended_post", "lost_reason"]] = [True, False, "moved abroad"]
    flow_after, problems = consort.derive_flow(after, ARMS, TIMES, {**analysed, ("control", "BDNF"): 14})
    assert problems == []
    old, new = svg_texts(diagram.flow_diagram_svg(flow_before)), svg_texts(diagram.flow_diagram_svg(flow_after))
    assert old.count("Lost to follow-up (n=0)") == 2
    assert new.count("Lost to follow-up (n=0)") == 1 and "Lost to follow-up (n=1)" in new
    assert "moved abroad (n=1)" in new and "Analysed (n=14)" in new
    # the same change counted as still analysed is an error, not a silent diagram
    _, problems = consort.derive_flow(after, ARMS, TIMES, analysed)
    assert [p.rule for p in problems] == ["analysed_followed_up"]


def test_text_from_data_is_escaped(tmp_path):
    text = (
        "\n".join(
            [
                HEADER,
                "S1,,no,<script>alert(1)</script>,,,,,,,,,,",
                "S2,,no,{{7*7}} & ]]>,,,,,,,,,,",
                'S3,,no,"a ""quoted"" <b>reason</b>",,,,,,,,,,',
            ]
        )
        + "\n"
    )
    frame, problems = consort.read_disposition(write(tmp_path, text), "d.csv", ARMS, TIMES)
    assert problems == []
    flow, _ = consort.derive_flow(frame, ARMS, TIMES, {})
    svg = diagram.flow_diagram_svg(flow)
    assert "<script" not in svg and "<b>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt; (n=1)" in svg
    root = ET.fromstring(svg.encode("utf-8"))
    assert [el.tag for el in root.iter() if "script" in el.tag or el.tag.endswith("}b")] == []
    texts = svg_texts(svg)
    assert "<script>alert(1)</script> (n=1)" in texts
    assert "{{7*7}} & ]]> (n=1)" in texts
    assert 'a "quoted" <b>reason</b> (n=1)' in texts


def test_control_characters_do_not_break_the_xml(log):
    flow, _ = consort.derive_flow(log, ARMS, TIMES, ANALYSED)
    flow["excluded"]["other"]["reasons"] = [{"reason": "bad\x00\x1bbyte", "n": 1}]
    ET.fromstring(diagram.flow_diagram_svg(flow).encode("utf-8"))


@pytest.mark.parametrize("k", [2, 3, 5])
def test_any_number_of_arms_fits_the_page_width(k):
    arms = [{"id": f"a{i}", "label": f"Arm {i} with a rather long name"} for i in range(k)]
    rows = [
        {
            "screening_id": f"S{i}",
            "participant_id": f"P{i}",
            "eligible": True,
            "declined": False,
            "exclusion_reason": "",
            "arm": f"a{i % k}",
            "randomised": True,
            "received_allocated": True,
            "not_received_reason": "",
            "discontinued": i == 0,
            "discontinued_reason": "a very long reason that has to wrap over several lines of the box" * (i == 0),
            "lost_to_follow_up": False,
            "lost_reason": "",
            "attended_pre": True,
            "attended_post": True,
            "source_file": "d",
            "source_line": i + 2,
        }
        for i in range(3 * k)
    ]
    flow, problems = consort.derive_flow(pd.DataFrame(rows), arms, TIMES, {})
    assert problems == [] and [a["allocated"] for a in flow["arms"]] == [3] * k
    root = ET.fromstring(diagram.flow_diagram_svg(flow).encode("utf-8"))
    ns = "{http://www.w3.org/2000/svg}"
    for rect in root.iter(f"{ns}rect"):
        assert 0 <= float(rect.get("x")) and float(rect.get("x")) + float(rect.get("width")) <= 170
    assert sum(1 for el in root.iter(f"{ns}text") if "Allocated to Arm" in (el.text or "")) >= k


def test_wrapped_lines_fit_their_box():
    box = diagram._Box([(1, "word " * 40)], 40.0, 2.8)
    assert len(box.lines) > 3
    assert all(dx + diagram.text_width(t, 2.8) <= 40.0 - 2 * box.pad for dx, _, t in box.lines)


def test_text_is_measured_with_the_bundled_stix_font_not_the_estimate():
    # the estimate (0.55 em a character) would lay the diagram out differently, without an error
    assert (diagram.FONT_DIR / "STIXGeneral.ttf").is_file()
    for bold in (False, True):
        widths, fallback = diagram._advances(bold)
        assert fallback == 0.6 and len(widths) > 1000
    assert diagram.text_width("i", 10.0) < diagram.text_width("W", 10.0)


# --------------------------------------------------------------------------- demo


def test_demo_disposition_matches_the_demo_participants(tmp_path):
    people = ROOT / "raw" / "demo" / "participants.csv"
    write_demo_disposition(people, tmp_path / "a.csv", seed=2025)
    write_demo_disposition(people, tmp_path / "b.csv", seed=2025)
    write_demo_disposition(people, tmp_path / "c.csv", seed=1)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.csv").read_bytes() != (tmp_path / "c.csv").read_bytes()
    frame, problems = consort.read_disposition(tmp_path / "a.csv", "a.csv", ARMS, TIMES)
    assert problems == []
    from trialflow import ingest

    participants, _ = ingest.read_participants(
        people, "participants.csv", ["control", "training"], demo_characteristics()
    )
    flow, problems = consort.derive_flow(
        frame, ARMS, TIMES, {(a["id"], "BDNF"): 15 for a in ARMS}, participants=participants
    )
    assert problems == []
    assert (flow["assessed"], flow["excluded"]["n"], flow["randomised"]) == (45, 15, 30)
    assert [a["allocated"] for a in flow["arms"]] == [15, 15]
    assert all(a["attended"] == {"pre": 15, "post": 15} for a in flow["arms"])


def test_demo_flow_from_the_analysed_demo(tmp_path, demo_analysis):
    write_demo_disposition(ROOT / "raw" / "demo" / "participants.csv", tmp_path / "d.csv", seed=2025)
    log, problems = consort.read_disposition(tmp_path / "d.csv", "disposition.csv", ARMS, TIMES)
    outcomes = [{"id": "BDNF", "label": "BDNF"}, {"id": "GDNF", "label": "GDNF"}]
    analysed, exclusions = consort.analysis_from_results(
        log, demo_analysis["data"], demo_analysis["excluded"], outcomes
    )
    flow, more = consort.derive_flow(
        log,
        ARMS,
        TIMES,
        analysed,
        outcomes=outcomes,
        analysis_exclusions=exclusions,
        participants=demo_analysis["participants"],
        name="disposition.csv",
    )
    assert problems + more == []
    assert [[o["analysed"] for o in a["analysis"]] for a in flow["arms"]] == [[15, 15], [15, 15]]
    assert "Analysed (n=15)" in svg_texts(diagram.flow_diagram_svg(flow))


# --------------------------------------------------------------------------- diagram of a large trial


def large_flow(per_participant_reasons: bool = False) -> dict:
    """Three arms of 200, 26 outcomes; per outcome 4 to 29 participants of each arm excluded from
    the analysis for one of three visits missed (or, with ``per_participant_reasons``, each with a
    reason of their own, as a free-text log would give)."""
    arms = [{"id": a, "label": a.title()} for a in ("control", "moderate", "vigorous")]
    outcomes = [{"id": f"o{j}", "label": f"Outcome {j}"} for j in range(26)]
    rows, exclusions, analysed = [], [], {}
    for i in range(600):
        arm = arms[i % 3]["id"]
        rows.append(
            {"screening_id": f"S{i}", "participant_id": f"P{i:03d}", "eligible": True, "declined": False,
             "exclusion_reason": "", "arm": arm, "randomised": True, "received_allocated": True,
             "not_received_reason": "", "discontinued": False, "discontinued_reason": "",
             "lost_to_follow_up": False, "lost_reason": "", "attended_pre": True, "attended_post": True,
             "source_file": "d", "source_line": i + 2}
        )  # fmt: skip
    for j, o in enumerate(outcomes):
        for k, arm in enumerate(a["id"] for a in arms):
            out = [f"P{i:03d}" for i in range(k, 600, 3)][: 4 + j + k]
            analysed[(arm, o["id"])] = 200 - len(out)
            for n, pid in enumerate(out):
                reason = f"{pid}: sample haemolysed" if per_participant_reasons else f"missed visit {1 + n % 3}"
                exclusions.append({"outcome": o["id"], "participant_id": pid, "arm": arm, "reason": reason})
    flow, problems = consort.derive_flow(
        pd.DataFrame(rows), arms, TIMES, analysed, outcomes=outcomes, analysis_exclusions=pd.DataFrame(exclusions)
    )
    assert problems == []
    return flow


def analysis_box(svg: str, arm_label: str, texts: list[str]) -> list[str]:
    """The lines of one arm's Analysis box, in order (its column holds 'Allocated to <arm>')."""
    root = ET.fromstring(svg.encode("utf-8"))
    ns = "{http://www.w3.org/2000/svg}"
    items = [(float(el.get("x")), float(el.get("y")), el.text or "") for el in root.iter(f"{ns}text")]
    x = next(x for x, _, t in items if t.startswith(f"Allocated to {arm_label}"))
    top = next(y for _, y, t in items if t.startswith("Analysed"))
    return [t for tx, y, t in items if x - 0.01 <= tx < x + 20 and y >= top - 0.01 and t not in ("–", "•")]


def test_a_long_analysis_box_lists_reasons_with_counts_not_outcome_by_outcome():
    flow = large_flow()
    assert any(len(items) > diagram.ANALYSIS_BOX_MAX_ITEMS for items in map(diagram._analysis_items, flow["arms"]))
    svg = diagram.flow_diagram_svg(flow)
    box = " ".join(analysis_box(svg, "Control", svg_texts(svg)))
    assert box.startswith("Analysed (n=171 to 196 per outcome, 26 outcomes) Excluded from analysis (n=4 to 29 per")
    assert "reasons summed over the 26 outcomes:" in box
    # each reason's count is its sum over the outcomes in the flow table (results/consort/flow.csv)
    table = consort.flow_frame(flow)
    mine = table[(table["stage"] == "analysis") & (table["arm"] == "control") & (table["reason"] != "")]
    for reason, n in mine.groupby("reason")["n"].sum().items():
        assert f"{reason} (n={n})" in box
    assert "Outcome 3" not in box and "Every outcome and reason: results/consort/flow.csv" in box
    height = float(ET.fromstring(svg.encode("utf-8")).get("height").removesuffix("mm"))
    assert height < 200  # the full diagram ran to over a metre


def test_one_reason_per_participant_is_cut_to_the_most_frequent_and_the_rest_counted():
    flow = large_flow(per_participant_reasons=True)
    svg = diagram.flow_diagram_svg(flow)
    box = analysis_box(svg, "Control", svg_texts(svg))
    table = consort.flow_frame(flow)
    mine = table[(table["stage"] == "analysis") & (table["arm"] == "control") & (table["reason"] != "")]
    totals = mine.groupby("reason")["n"].sum().sort_index().sort_values(ascending=False, kind="stable")
    shown = [f"{r} (n={n})" for r, n in totals.iloc[: diagram.SUMMARY_REASONS].items()]
    rest = totals.iloc[diagram.SUMMARY_REASONS :]
    joined = " ".join(box)
    assert all(s in joined for s in shown)
    assert f"{len(rest)} other reasons (n={rest.sum()})" in joined
    assert sum(": sample haemolysed" in line for line in box) <= diagram.SUMMARY_REASONS * 2  # wrapped at most once


def test_an_analysis_box_up_to_the_threshold_is_drawn_in_full():
    def arm(n_outcomes):  # lines: Analysed + one per outcome, Excluded + per outcome a title and one reason
        return {
            "analysis": [
                {"outcome": f"o{j}", "label": f"O{j}", "analysed": 10 + j,
                 "excluded": {"n": 1, "reasons": [{"reason": f"r{j}", "n": 1}]}}
                for j in range(n_outcomes)
            ]
        }  # fmt: skip

    at = (diagram.ANALYSIS_BOX_MAX_ITEMS - 2) // 3  # 2 + 3 per outcome lines
    assert len(diagram._analysis_items(arm(at))) <= diagram.ANALYSIS_BOX_MAX_ITEMS
    assert diagram.analysis_items([arm(at)]) == [diagram._analysis_items(arm(at))]
    assert len(diagram._analysis_items(arm(at + 1))) > diagram.ANALYSIS_BOX_MAX_ITEMS
    summary = diagram.analysis_items([arm(1), arm(at + 1)])  # one long box summarises every box
    assert summary[0][0] == (0, "Analysed (n=10)") and summary[1][0][1].startswith("Analysed (n=10 to")
