"""REDCap projects of every shape: classic projects (visits as repeat instances or a visit field),
a field name per time point, exports that are not the raw-data CSV, configured identifier-like fields."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from trialflow import functional as F
from trialflow import schemas
from trialflow.readers import read, row_balance

DATA = Path(__file__).parent / "data" / "functional"
CODES = {"UNK": "unknown", "NASK": "not asked", "-999": "not done"}
TIMES = ["pre", "post"]
VISITS = {"instrument": "functional_tests", "instances": {"1": "pre", "2": "post", "3": None}}
VISIT_FIELD = {"field": "visit", "values": {"0": None, "1": "pre", "2": "post"}}
HOW = (
    "export the data again from REDCap: Data Exports, Reports, and Stats → All data (all records "
    "and fields), or your report → Export Data → 'CSV / Microsoft Excel (raw data)' [export_format]"
)


def validated(config: dict) -> dict:
    """``config`` as the workflow sees it: checked against the schema, defaults filled."""
    from snakemake.utils import validate

    validate(config, str(Path(__file__).parents[1] / "schemas" / "config.schema.yaml"))
    return config


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def participants() -> pd.DataFrame:
    """The fixture's participants as the participants step writes them (arm, body mass, line)."""
    people = pd.read_csv(DATA / "participants.csv", dtype={"participant_id": str, "arm": str})
    people["source_file"] = "participants.csv"
    people["source_line"] = people.index + 2
    return people


def outcome(oid, unit, source, *, hard=(0, 1000), domain="mobility", **extra):
    cfg = {
        "id": oid,
        "label": oid,
        "unit": unit,
        "domain": domain,
        "higher_is_better": True,
        "decimals": 1,
        "hard_limits": list(hard),
        "source": source,
    }
    return cfg | extra


def cell(frame: pd.DataFrame, pid: str, time: str, key: str, column: str = "value", by: str = "field"):
    rows = frame[(frame["participant_id"] == pid) & (frame["time"] == time) & (frame[by] == key)]
    assert len(rows) == 1, rows
    return rows.iloc[0][column]


def balance(path: Path, name: str, problems) -> tuple[int, int, int]:
    """Rows read, accepted, rejected, counted as the ingest step counts them for an export whose
    rows fan out into values (every row without an error of its own is accepted)."""
    table = read(path, name)
    accepted = table.rows_read - row_balance(table, 0, problems).rejected
    counted = row_balance(table, accepted, problems)
    assert counted.ok
    return counted.read, counted.accepted, counted.rejected


# --- classic project: visits as instances of a repeating instrument ---------------------------


def read_classic(path=DATA / "redcap_classic_repeat.csv", **kwargs):
    kwargs.setdefault("repeat_visits", VISITS)
    return F.read_redcap(path, "redcap.csv", None, ["tug_s", "knee_mvic_nm"], CODES, **kwargs)


def test_classic_project_visits_as_instances_map_to_time_points():
    raw, problems = read_classic()
    schemas.FunctionalValues.validate(raw)
    assert raw[["participant_id", "time", "field", "value", "source_line"]].values.tolist()[:4] == [
        ["P01", "pre", "tug_s", 7.5, 3],
        ["P01", "pre", "knee_mvic_nm", 150.0, 3],
        ["P01", "post", "tug_s", 7.1, 4],
        ["P01", "post", "knee_mvic_nm", 152.5, 4],
    ]
    assert cell(raw, "P02", "post", "knee_mvic_nm", "missing_reason") == "unknown (missing-data code UNK)"
    assert cell(raw, "P02", "post", "tug_s") == 6.9  # instance 2; instance 3 (line 9) is mapped to null
    assert len(raw) == 5 * 2  # P03 has no instance 2
    # the record's non-repeating row and the adverse-event log hold no configured field: not visits
    assert [(p.column, p.rule, p.severity) for p in problems] == [("birth_date", "direct_identifier", "warning")]
    assert balance(DATA / "redcap_classic_repeat.csv", "redcap.csv", problems) == (10, 10, 0)


def test_an_unmapped_instance_is_an_error_naming_it_and_the_mapping(tmp_path):
    path = write(
        tmp_path,
        "redcap.csv",
        """
        record_id,redcap_repeat_instrument,redcap_repeat_instance,tug_s
        P01,functional_tests,1,7.50
        P01,functional_tests,4,7.10
        """,
    )
    raw, problems = read_classic(path)
    assert raw["time"].tolist() == ["pre"]
    assert [str(p) for p in problems] == [
        "redcap.csv, line 1, column 'knee_mvic_nm': configured field 'knee_mvic_nm' is not a column of "
        "the REDCap export redcap.csv; export the instrument that holds it, or correct the field name "
        "in config (see the data dictionary) [field_present]",
        "redcap.csv, line 3, column 'redcap_repeat_instance': instance 4 of 'functional_tests' is not "
        "mapped to a time point (configured instances: 1 -> pre, 2 -> post, 3 -> ignored); add it to "
        "redcap.repeat_visits.instances in config, mapped to a time point, or to null to ignore its "
        "rows (value '4') [instance_known]",
    ]


def test_a_configured_field_outside_the_visit_instrument_is_an_error(tmp_path):
    path = write(
        tmp_path,
        "redcap.csv",
        """
        record_id,redcap_repeat_instrument,redcap_repeat_instance,tug_s,knee_mvic_nm
        P01,,,,140.0
        P01,functional_tests,1,7.50,150.0
        P01,strength,1,,151.0
        """,
    )
    raw, problems = read_classic(path)
    assert len(raw) == 2
    assert [(p.line, p.column, p.value, p.rule) for p in problems] == [
        ("2", "knee_mvic_nm", "140.0", "field_in_visit_instrument"),
        ("4", "knee_mvic_nm", "151.0", "field_in_visit_instrument"),
    ]
    assert problems[0].message == (
        "configured field(s) knee_mvic_nm have a value on the record's non-repeating row, which is "
        "not a visit (visits are the instances of 'functional_tests'); move them to that instrument "
        "in REDCap, or map visits another way in config"
    )
    assert balance(path, "redcap.csv", problems) == (3, 1, 2)


def test_two_rows_of_one_instance_are_an_error_and_neither_is_used(tmp_path):
    path = write(
        tmp_path,
        "redcap.csv",
        """
        record_id,redcap_repeat_instrument,redcap_repeat_instance,tug_s,knee_mvic_nm
        P01,functional_tests,1,7.50,150.0
        P01,functional_tests,1,7.90,150.0
        P01,functional_tests,2,7.10,152.5
        """,
    )
    raw, problems = read_classic(path)
    assert raw["time"].unique().tolist() == ["post"]
    assert [str(p) for p in problems] == [
        "redcap.csv, line 3, column 'redcap_repeat_instance': record 'P01' has 2 rows for instance 1 of "
        "'functional_tests' (lines 2, 3); a visit has one row, so it cannot be told which holds the "
        "visit's values; none of them is used (value '1') [repeat_instance_unique]"
    ]


def test_a_longitudinal_export_is_refused_by_a_classic_mapping():
    raw, problems = read_classic(DATA / "redcap_repeat.csv")
    assert raw.empty
    assert [str(p) for p in problems] == [
        "redcap.csv, line 1, column 'redcap_event_name': the export has 'redcap_event_name', so the "
        "project is longitudinal: map its events to time points with redcap.events instead of "
        "redcap.repeat_visits [column_present]"
    ]


def test_a_classic_export_is_refused_by_an_event_mapping_with_the_way_out():
    raw, problems = F.read_redcap(
        DATA / "redcap_classic_repeat.csv", "redcap.csv", {"baseline_arm_1": "pre"}, ["tug_s"], CODES
    )
    assert raw.empty
    assert [(p.column, p.rule) for p in problems if p.severity == "error"] == [("redcap_event_name", "column_present")]
    assert problems[-1].message == (
        "required column 'redcap_event_name' of a REDCap export is missing, so this is an export of a "
        "classic (not longitudinal) project: configure redcap.visit_field or redcap.repeat_visits "
        "instead of redcap.events"
    )


# --- classic project: visits told apart by a field -------------------------------------------


def read_visits(path=DATA / "redcap_classic_visit.csv", visit_field=VISIT_FIELD):
    return F.read_redcap(path, "redcap.csv", {}, ["sixmwt_m", "edss"], CODES, visit_field=visit_field)


def test_classic_project_with_a_visit_field_maps_its_coded_values():
    raw, problems = read_visits()
    assert problems == []
    schemas.FunctionalValues.validate(raw)
    assert cell(raw, "P01", "pre", "sixmwt_m") == 480.0  # visit 1 (line 4); visit 0 (screening) ignored
    assert cell(raw, "P01", "pre", "sixmwt_m", "source_line") == 4
    assert cell(raw, "P01", "post", "sixmwt_m") == 495.0
    assert cell(raw, "P02", "post", "sixmwt_m", "missing_reason") == "not asked (missing-data code NASK)"
    assert len(raw) == 5 * 2
    assert balance(DATA / "redcap_classic_visit.csv", "redcap.csv", problems) == (9, 9, 0)


def test_visit_codes_written_as_numbers_in_yaml_are_read_as_the_export_writes_them():
    raw, _ = read_visits(visit_field={"field": "visit", "values": {0: None, 1: "pre", 2: "post"}})
    assert len(raw) == 10


def test_visit_field_rules_unmapped_value_no_visit_and_two_rows_of_one_visit(tmp_path):
    path = write(
        tmp_path,
        "redcap.csv",
        """
        record_id,visit,sixmwt_m,edss
        P01,1,480,2.0
        P01,5,490,2.0
        P02,,430,
        P02,1,430,2.5
        P02,1,435,2.5
        P03,,,
        """,
    )
    raw, problems = read_visits(path)
    assert raw["participant_id"].unique().tolist() == ["P01"]
    assert [str(p) for p in problems] == [
        "redcap.csv, line 3, column 'visit': visit '5' is not mapped to a time point (configured values "
        "of visit: 0 -> ignored, 1 -> pre, 2 -> post); add it to redcap.visit_field.values in config, "
        "mapped to a time point, or to null to ignore its rows (value '5') [visit_known]",
        "redcap.csv, line 4, column 'visit': this row has values of configured field(s) (sixmwt_m) but "
        "no visit, so it belongs to no time point [visit_present]",
        "redcap.csv, line 6, column 'visit': record 'P02' has 2 rows for visit '1' (lines 5, 6); a visit "
        "has one row, so it cannot be told which holds the visit's values; none of them is used "
        "(value '1') [visit_row_unique]",
    ]
    # line 7 (no visit, no configured value) is accepted and holds nothing to read
    assert balance(path, "redcap.csv", problems) == (6, 3, 3)


def test_two_visits_mapped_to_one_time_point_for_a_record_are_an_error(tmp_path):
    path = write(
        tmp_path,
        "redcap.csv",
        """
        record_id,visit,sixmwt_m,edss
        P01,1,480,2.0
        P01,1b,485,2.0
        P02,1,430,2.5
        """,
    )
    raw, problems = read_visits(path, {"field": "visit", "values": {"1": "pre", "1b": "pre"}})
    assert raw["participant_id"].unique().tolist() == ["P02"]
    assert [str(p) for p in problems] == [
        "redcap.csv, line 3, column 'visit': record 'P01' has pre from 2 visits: visit '1' (line 2) and "
        "visit '1b' (line 3); config maps them to the same time point, so it cannot be told which one "
        "counts; none of them is used (value '1b') [time_once]"
    ]


def test_a_record_in_two_arms_of_a_longitudinal_project_is_an_error_not_a_duplicate_value(tmp_path):
    path = write(
        tmp_path,
        "redcap.csv",
        """
        record_id,redcap_event_name,tug_s
        P01,baseline_arm_1,7.50
        P01,baseline_arm_2,7.60
        """,
    )
    events = {"baseline_arm_1": "pre", "baseline_arm_2": "pre"}
    raw, problems = F.read_redcap(path, "redcap.csv", events, ["tug_s"], CODES)
    assert raw.empty
    assert [(p.line, p.rule) for p in problems] == [("3", "time_once")]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "redcap: configure exactly one of events (a longitudinal project), visit_field"),
        ({"events": {"a": "pre"}, "visit_field": VISIT_FIELD}, "redcap: configure exactly one of events"),
        ({"visit_field": {"field": "visit"}}, "redcap: visit_field takes field: <name> and values:"),
        ({"repeat_visits": {"instrument": "t", "instances": {"one": "pre"}}}, "redcap: repeat_visits.instances are"),
        (
            {"repeat_visits": VISITS, "repeat_instances": {"functional_tests": "last"}},
            "redcap: repeat_instances chooses among the instances of an instrument at one event",
        ),
    ],
)
def test_the_visit_mapping_must_be_exactly_one_of_the_three(kwargs, message):
    events = kwargs.pop("events", None)
    with pytest.raises(F.OutcomeConfigError) as err:
        F.read_redcap(DATA / "redcap_classic_repeat.csv", "redcap.csv", events, ["tug_s"], CODES, **kwargs)
    assert str(err.value).startswith(message)


def test_config_schema_accepts_each_layout_and_refuses_two_at_once():
    base = {
        "trial": {"id": "t", "title": "T"},
        "raw_dir": "raw",
        "inputs": {"participants": "p.csv", "functional_redcap": "r.csv"},
        "arms": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}],
        "time_points": [{"id": "pre", "label": "Pre"}, {"id": "post", "label": "Post"}],
        "outcomes": [outcome("chol", "mmol/L", {"redcap_field": {"pre": "chol_b", "post": "chol_4"}}, domain="lipids")],
    }
    assert validated(base | {"redcap": {"visit_field": VISIT_FIELD}})["redcap"]["visit_field"] == VISIT_FIELD
    assert validated(base | {"redcap": {"repeat_visits": VISITS}})["redcap"]["events"] == {}
    for wrong in (
        {"visit_field": VISIT_FIELD, "repeat_visits": VISITS},
        {"visit_field": VISIT_FIELD, "events": {"baseline_arm_1": "pre"}},
        {"repeat_visits": VISITS, "repeat_instances": {"x": "last"}},
        {"repeat_visits": {"instrument": "t", "instances": {"first": "pre"}}},
    ):
        with pytest.raises(Exception, match="validating"):
            validated(base | {"redcap": wrong})


# --- one outcome, a field name per time point -------------------------------------------------

CHOL = outcome("chol", "mmol/L", {"redcap_field": {"pre": "chol_b", "post": "chol_4"}}, hard=(0, 20), domain="lipids")
KNEE_REL = outcome(
    "knee_rel",
    "Nm/kg",
    {"derive": "per_body_mass", "from": [{"pre": "knee_b_nm", "post": "knee_4_nm"}]},
    hard=(0, 8),
    domain="strength",
)


def test_a_field_per_time_point_reads_each_field_at_its_own_event_only():
    definitions = F.outcome_definitions([CHOL, KNEE_REL], TIMES)
    assert F.source_fields(definitions) == ["chol_b", "chol_4", "knee_b_nm", "knee_4_nm"]
    times = F.source_times(definitions)
    assert times == {"chol_b": ("pre",), "chol_4": ("post",), "knee_b_nm": ("pre",), "knee_4_nm": ("post",)}
    events = {"baseline_arm_1": "pre", "week_4_arm_1": "post"}
    raw, problems = F.read_redcap(
        DATA / "redcap_per_event.csv", "redcap.csv", events, F.source_fields(definitions), CODES, times=times
    )
    schemas.FunctionalValues.validate(raw)
    assert cell(raw, "P01", "pre", "chol_b", "source_line") == 2
    assert cell(raw, "P01", "post", "chol_4") == 4.8
    assert cell(raw, "P01", "post", "chol_4", "source_column") == "chol_4"
    assert cell(raw, "P01", "post", "chol_4", "source_line") == 3
    assert not ((raw["field"] == "chol_b") & (raw["time"] == "post")).any()
    assert [str(p) for p in problems] == [
        "redcap.csv, line 5, column 'chol_b': chol_b has a value at post (event 'week_4_arm_1'), but config "
        "reads chol_b only at pre; the value is not used (value '5.9') [field_time]"
    ]
    data, missing, more = F.build_functional_outcomes(raw, participants(), definitions, TIMES)
    assert more == []
    chol = data[data["outcome"] == "chol"].set_index(["participant_id", "time"])
    assert chol["value"].to_dict() == {
        ("P01", "pre"): 5.2,
        ("P01", "post"): 4.8,
        ("P02", "pre"): 6.1,
        ("P02", "post"): 5.7,
        ("P03", "pre"): 4.9,
    }
    assert chol.loc[("P02", "post"), "source_line"] == "5"
    knee = data[data["outcome"] == "knee_rel"].set_index(["participant_id", "time"])
    assert knee.loc[("P02", "post"), "value"] == pytest.approx(121.0 / 50.0)
    assert knee.loc[("P02", "post"), "source_file"] == "redcap.csv:5 + participants.csv:3"
    assert missing.set_index(["participant_id", "time", "outcome"]).loc[("P03", "post", "chol"), "reason"] == (
        "no data for this participant at post (assessment missed or not entered)"
    )
    assert len(data) + len(missing) == 3 * 2 * 2
    assert F.definitions_table(definitions)["source"].tolist() == [
        "REDCap field chol_b (pre), chol_4 (post)",
        "derived: per_body_mass(knee_b_nm (pre), knee_4_nm (post), participants.weight_kg)",
    ]
    assert F.definitions_table(definitions)["domain"].tolist() == ["lipids", "strength"]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            {"redcap_field": {"pre": "chol_b"}},
            "outcome 'chol': its source names a field per time point, but none for post; name one for "
            "every time point (pre, post)",
        ),
        (
            {"redcap_field": {"pre": "chol_b", "post": "chol_4", "week_12": "chol_12"}},
            "outcome 'chol': its source names a field per time point, but week_12 is not a configured "
            "time point (time points: pre, post)",
        ),
        ({"redcap_field": {"pre": ""}}, "outcome 'chol': source {redcap_field: name} takes one non-empty name"),
    ],
)
def test_a_time_point_the_mapping_leaves_out_is_a_config_error_naming_the_outcome(source, message):
    with pytest.raises(F.OutcomeConfigError) as err:
        F.outcome_definitions([outcome("chol", "mmol/L", source)], TIMES)
    assert str(err.value).startswith(message)


def test_building_outcomes_checks_the_time_points_of_a_mapping_too():
    (definition,) = F.outcome_definitions([outcome("chol", "mmol/L", {"redcap_field": {"pre": "chol_b"}})])
    with pytest.raises(F.OutcomeConfigError, match="none for post"):
        F.build_functional_outcomes(pd.DataFrame(columns=F.RAW_COLUMNS), participants(), [definition], TIMES)


def test_domain_is_free_text():
    (d,) = F.outcome_definitions([outcome("qol", "points", {"redcap_field": "qol"}, domain="quality of life")])
    assert d.domain == "quality of life"


# --- exports that are not a raw-data CSV: one message, not a row error per line ----------------


@pytest.mark.parametrize(
    ("file", "what"),
    [
        ("redcap_odm.xml", "a CDISC ODM (XML) export or a REDCap project XML file, not a REDCap raw-data CSV export; "),
        ("redcap.json", "a JSON export (an API export with format=json), not a REDCap raw-data CSV export; "),
        (
            "redcap_labels.csv",
            "a 'CSV / Microsoft Excel (labels)' export, not a REDCap raw-data CSV export (its header holds "
            "field labels such as 'Record ID', 'Event Name', 'Repeat Instrument' instead of variable names "
            "such as 'record_id', and its cells hold labels instead of codes); ",
        ),
        (
            "redcap_event_labels.csv",
            "an export with event labels, not a REDCap raw-data CSV export (redcap_event_name holds labels "
            "such as 'Baseline (Arm 1: Arm 1)', 'Week 8 (Arm 1: Arm 1)' instead of unique event names such "
            "as 'baseline_arm_1'); ",
        ),
        (
            "redcap_nohdrs.csv",
            "a file without a header row (its first row holds data), not a REDCap raw-data CSV export; "
            "REDCap's SPSS, SAS and Stata exports write their data that way, for their own syntax files; ",
        ),
        (
            "redcap_dictionary.csv",
            "the project's data dictionary (the list of its fields), not a REDCap raw-data CSV export; ",
        ),
    ],
)
def test_an_export_in_another_shape_gets_one_message_naming_it_and_the_export_to_choose(file, what):
    events = {"baseline_arm_1": "pre", "week_8_arm_1": "post"}
    raw, problems = F.read_redcap(DATA / file, file, events, ["tug_s"], CODES)
    assert raw.empty
    assert [str(p) for p in problems] == [f"{file}, line 1: {file} is {what}{HOW}"]
    read_, accepted, rejected = balance(DATA / file, file, problems)
    assert accepted == 0 and rejected == read_  # the whole file is refused


def test_an_xml_export_under_a_csv_name_is_recognised_by_its_content(tmp_path):
    path = tmp_path / "functional_redcap.csv"
    path.write_bytes((DATA / "redcap_odm.xml").read_bytes())
    _, problems = F.read_redcap(path, "functional_redcap.csv", {"baseline_arm_1": "pre"}, ["tug_s"], CODES)
    assert [p.rule for p in problems] == ["export_format"]
    assert "CDISC ODM (XML)" in problems[0].message


@pytest.mark.parametrize("first", ["study_id", "Participant_ID"])
def test_a_raw_export_with_an_unexpected_first_column_is_not_taken_for_a_labels_export(tmp_path, first):
    path = write(tmp_path, "redcap.csv", f"{first},redcap_event_name,tug_s\nP01,baseline_arm_1,7.5\n")
    _, problems = F.read_redcap(path, "redcap.csv", {"baseline_arm_1": "pre"}, ["tug_s"], CODES)
    assert [(p.column, p.rule) for p in problems] == [("record_id", "column_present")]


def test_a_labels_export_is_recognised_by_a_label_in_its_first_column_too(tmp_path):
    path = write(tmp_path, "redcap.csv", '"Study ID","Timed Up and Go (s)"\n"P01","7.50"\n')
    _, problems = F.read_redcap(path, "redcap.csv", {"baseline_arm_1": "pre"}, ["tug_s"], CODES)
    assert [p.rule for p in problems] == ["export_format"]
    assert "its header holds field labels such as 'Study ID'" in problems[0].message


def test_a_raw_export_saved_as_a_workbook_is_read_not_refused(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.append(["record_id", "redcap_event_name", "tug_s"])
    wb.active.append(["P01", "baseline_arm_1", 7.5])
    wb.save(tmp_path / "redcap.xlsx")
    raw, problems = F.read_redcap(tmp_path / "redcap.xlsx", "redcap.xlsx", {"baseline_arm_1": "pre"}, ["tug_s"], CODES)
    assert problems == [] and raw["value"].tolist() == [7.5]


# --- identifier-like columns of a REDCap export ----------------------------------------------


def test_a_configured_field_named_like_an_identifier_is_read_with_a_warning(tmp_path):
    path = write(
        tmp_path,
        "redcap.csv",
        """
        record_id,redcap_event_name,birth_date,telephone_1,next_of_kin_name,tug_s
        P01,baseline_arm_1,1980,0123 456,Jane Roe,7.5
        """,
    )
    raw, problems = F.read_redcap(path, "redcap.csv", {"baseline_arm_1": "pre"}, ["birth_date", "tug_s"], CODES)
    assert cell(raw, "P01", "pre", "birth_date") == 1980.0
    assert [(p.column, p.rule, "kept because the configuration reads it" in p.message) for p in problems] == [
        ("birth_date", "direct_identifier", True),
        ("telephone_1", "direct_identifier", False),
        ("next_of_kin_name", "direct_identifier", False),
    ]
    assert "Jane" not in repr(problems) and "0123" not in repr(problems)


def test_missing_data_codes_and_empty_cells_are_read_the_same_in_classic_projects(tmp_path):
    path = write(
        tmp_path,
        "redcap.csv",
        """
        record_id,redcap_repeat_instrument,redcap_repeat_instance,tug_s,knee_mvic_nm
        P01,functional_tests,1,-999.0,
        """,
    )
    raw, problems = read_classic(path)
    assert problems == []
    assert math.isnan(cell(raw, "P01", "pre", "tug_s"))
    assert cell(raw, "P01", "pre", "tug_s", "missing_reason") == "not done (missing-data code -999)"
    assert cell(raw, "P01", "pre", "knee_mvic_nm", "missing_reason") == "empty in the export"


# --- the ingest step with a classic project ----------------------------------------------------


def test_ingest_step_reads_a_classic_project_with_a_field_per_time_point(tmp_path):
    from trialflow.outputs import read_csv
    from trialflow.steps.ingest import read_functional

    participants().to_csv(tmp_path / "participants.csv", index=False)
    out = {k: str(tmp_path / f"{k}.csv") for k in ("table", "missing", "problems", "balance")}
    read_functional(
        redcap_export=str(DATA / "redcap_classic_repeat.csv"),
        redcap_name="functional_redcap.csv",
        participants=str(tmp_path / "participants.csv"),
        outcomes=[
            outcome("tug", "s", {"redcap_field": "tug_s"}, hard=(1, 300)),
            outcome("knee", "Nm", {"redcap_field": {"pre": "knee_mvic_nm", "post": "knee_mvic_nm"}}),
            {
                "id": "BDNF",
                "label": "BDNF",
                "unit": "pg/mL",
                "domain": "biomarker",
                "higher_is_better": True,
                "decimals": 0,
            },
        ],
        time_points=TIMES,
        redcap={"record_id": "record_id", "events": {}, "repeat_visits": VISITS},
        missing_codes=CODES,
        **out,
    )
    data = read_csv(out["table"])
    assert len(data) == 5 + 4 and set(data["outcome"]) == {"tug", "knee"}
    assert read_csv(out["balance"]).iloc[0].to_dict() == {
        "file": "functional_redcap.csv",
        "rows_read": 10,
        "rows_accepted": 10,
        "rows_rejected": 0,
        "balanced": True,
    }
    assert read_csv(out["problems"])["rule"].tolist() == ["direct_identifier"]
    assert len(read_csv(out["missing"])) == 3 * 2 * 2 - len(data)
