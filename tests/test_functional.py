"""Functional outcomes: REDCap and long-CSV readers, outcome definitions, limits, derivations."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import demo_characteristics
from trialflow import functional as F
from trialflow import ingest, schemas
from trialflow.demo.functional import DEMO_CONFIG_YAML, demo_config, write_demo_redcap

DATA = Path(__file__).parent / "data" / "functional"
EVENTS = {"baseline_arm_1": "pre", "week_8_arm_1": "post"}
CODES = {"UNK": "unknown", "NASK": "not asked", "-999": "not done"}
TIMES = ["pre", "post"]


def outcome(
    oid,
    label,
    unit,
    field=None,
    *,
    domain="mobility",
    higher=True,
    hard=(0, 1000),
    plausible=None,
    decimals=1,
    step=None,
    source=None,
):
    cfg = {
        "id": oid,
        "label": label,
        "unit": unit,
        "domain": domain,
        "higher_is_better": higher,
        "decimals": decimals,
        "hard_limits": list(hard),
        "source": source or {"redcap_field": field},
    }
    if plausible:
        cfg["plausible_limits"] = list(plausible)
    if step:
        cfg["step"] = step
    return F.OutcomeDefinition.from_config(cfg)


TUG = outcome("tug", "Timed Up and Go", "s", "tug_s", higher=False, hard=(1, 300), plausible=(3, 30), decimals=2)
SIX_MWT = outcome("six_mwt", "6-minute walk distance", "m", "sixmwt_m", plausible=(150, 800))
EDSS = outcome("edss", "EDSS", "points", "edss", domain="disability", higher=False, hard=(0, 10), step=0.5)
MVIC = outcome("knee_mvic", "knee-extension MVIC", "Nm", "knee_mvic_nm", domain="strength", hard=(0, 500))
MVIC_REL = outcome(
    "knee_mvic_rel",
    "knee-extension MVIC per body mass",
    "Nm/kg",
    domain="strength",
    hard=(0, 8),
    plausible=(0.4, 4),
    decimals=2,
    source={"derive": "per_body_mass", "from": ["knee_mvic_nm"]},
)
GAIT_SPEED = outcome(
    "gait_speed",
    "gait speed (T25FW)",
    "m/s",
    hard=(0.04, 7.62),
    decimals=2,
    source={"derive": "speed_from_time", "from": ["t25fw_s"], "distance_m": 7.62},
)
T25FW = outcome("t25fw", "Timed 25-Foot Walk", "s", "t25fw_s", higher=False, hard=(1, 180))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def participants() -> pd.DataFrame:
    people, problems = ingest.read_participants(
        DATA / "participants.csv", "participants.csv", ["control", "training"], demo_characteristics()
    )
    assert problems == []
    return people


def cell(frame: pd.DataFrame, pid: str, time: str, key: str, column: str = "value", by: str = "field"):
    rows = frame[(frame["participant_id"] == pid) & (frame["time"] == time) & (frame[by] == key)]
    assert len(rows) == 1, rows
    return rows.iloc[0][column]


def read_fixture(**kwargs):
    return F.read_redcap(
        DATA / "redcap_repeat.csv", "redcap.csv", EVENTS, ["tug_s", "sixmwt_m", "edss", "knee_mvic_nm"], CODES, **kwargs
    )


# --- REDCap export: repeat-instrument columns, events, missing codes -------------------------


def test_redcap_export_with_repeat_instrument_columns_reads_plain_rows_and_single_instances():
    raw, problems = read_fixture(repeat_instances={"strength": "last"})
    assert list(raw.columns) == F.RAW_COLUMNS
    # non-repeating field from the event row, repeating field from its single instance
    assert cell(raw, "P01", "pre", "tug_s") == 7.5
    assert cell(raw, "P01", "pre", "tug_s", "source_line") == 2
    assert cell(raw, "P01", "pre", "knee_mvic_nm") == 150.0
    assert cell(raw, "P01", "pre", "knee_mvic_nm", "source_line") == 3
    assert cell(raw, "P01", "pre", "knee_mvic_nm", "source_column") == "knee_mvic_nm"
    assert set(raw["source_file"]) == {"redcap.csv"}
    # the two instances of the adverse-event log hold no configured field: ignored, no error
    assert [p.rule for p in problems] == ["repeat_instance_choice"]
    # one row per record x time x field; P03 has no week-8 rows at all
    assert len(raw) == 4 * (2 + 2 + 1)
    assert raw[["participant_id", "time", "field"]].duplicated().sum() == 0


def test_several_instances_of_a_repeating_instrument_are_an_error_unless_config_chooses():
    raw, problems = read_fixture()
    assert len(problems) == 1
    assert str(problems[0]) == (
        "redcap.csv, line 12, column 'redcap_repeat_instance': record 'P02' has 2 instances of "
        "repeating instrument 'strength' at event 'week_8_arm_1' (lines 11, 12); say which one the "
        "analysis uses (repeat_instances: {strength: first} or last) or remove the extra instance "
        "in REDCap (value '2') [repeat_instance_choice]"
    )
    assert problems[0].severity == "error"
    # the ambiguous field is not read; the event's other fields still are
    assert ((raw["participant_id"] == "P02") & (raw["time"] == "post") & (raw["field"] == "knee_mvic_nm")).sum() == 0
    assert cell(raw, "P02", "post", "tug_s") == 6.9


@pytest.mark.parametrize(("rule", "value", "line"), [("last", 121.0, 12), ("first", 90.0, 11)])
def test_configured_repeat_choice_uses_that_instance_and_warns(rule, value, line):
    raw, problems = read_fixture(repeat_instances={"strength": rule})
    assert cell(raw, "P02", "post", "knee_mvic_nm") == value
    assert cell(raw, "P02", "post", "knee_mvic_nm", "source_line") == line
    other = 23 - line
    assert [(p.severity, p.line, p.message) for p in problems] == [
        (
            "warning",
            str(line),
            f"record 'P02' has 2 instances of repeating instrument 'strength' at event 'week_8_arm_1'; "
            f"instance {line - 10} (line {line}) is used as configured (strength: {rule}); set aside: "
            f"{other - 10} (line {other})",
        )
    ]


def test_chosen_instance_is_used_whole_never_mixed_with_another_instance(tmp_path):
    path = write(
        tmp_path,
        "redcap.csv",
        """
        record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,knee_mvic_nm,grip_kg
        P01,baseline_arm_1,strength,1,140.0,25.0
        P01,baseline_arm_1,strength,2,150.0,
    """,
    )
    raw, _ = F.read_redcap(
        path, "redcap.csv", EVENTS, ["knee_mvic_nm", "grip_kg"], CODES, repeat_instances={"strength": "last"}
    )
    assert cell(raw, "P01", "pre", "knee_mvic_nm") == 150.0
    assert math.isnan(cell(raw, "P01", "pre", "grip_kg"))  # not 25.0 from instance 1
    assert cell(raw, "P01", "pre", "grip_kg", "missing_reason") == "empty in the export"
    assert cell(raw, "P01", "pre", "grip_kg", "source_line") == 3


def test_events_map_to_time_points_and_an_event_mapped_to_null_is_ignored(tmp_path):
    path = write(
        tmp_path,
        "redcap.csv",
        """
        record_id,redcap_event_name,tug_s
        P01,screening_arm_1,9.90
        P01,baseline_arm_1,7.50
        P01,week_8_arm_1,7.10
    """,
    )
    events = {"screening_arm_1": None, **EVENTS}
    raw, problems = F.read_redcap(path, "redcap.csv", events, ["tug_s"], CODES)
    assert problems == []
    assert raw[["time", "value", "source_line"]].values.tolist() == [["pre", 7.5, 3], ["post", 7.1, 4]]


def test_unknown_event_is_an_error_naming_it(tmp_path):
    path = write(
        tmp_path,
        "redcap.csv",
        """
        record_id,redcap_event_name,tug_s
        P01,baseline_arm_1,7.50
        P01,week_12_arm_1,7.10
    """,
    )
    raw, problems = F.read_redcap(path, "redcap.csv", EVENTS, ["tug_s"], CODES)
    assert len(raw) == 1
    assert [str(p) for p in problems] == [
        "redcap.csv, line 3, column 'redcap_event_name': event 'week_12_arm_1' is not mapped to "
        "a time point (configured events: baseline_arm_1 -> pre, week_8_arm_1 -> post); add it to "
        "the events in config, mapped to a time point, or to null to ignore its rows "
        "(value 'week_12_arm_1') [event_known]"
    ]


def test_missing_data_codes_become_explicit_missing_with_the_reason_never_numbers():
    raw, _ = read_fixture(repeat_instances={"strength": "last"})
    assert math.isnan(cell(raw, "P01", "post", "sixmwt_m"))
    assert cell(raw, "P01", "post", "sixmwt_m", "missing_reason") == ("unknown (missing-data code UNK)")
    assert cell(raw, "P03", "pre", "sixmwt_m", "missing_reason") == ("not done (missing-data code -999)")
    assert math.isnan(cell(raw, "P03", "pre", "sixmwt_m"))
    assert cell(raw, "P02", "post", "sixmwt_m", "missing_reason") == "empty in the export"
    assert cell(raw, "P02", "post", "sixmwt_m", "source_line") == 10
    present = raw[raw["missing_reason"] == ""]
    assert present["value"].notna().all() and not (present["value"] == -999).any()


def test_a_numeric_code_written_differently_is_still_the_code(tmp_path):
    path = write(
        tmp_path,
        "redcap.csv",
        """
        record_id,redcap_event_name,sixmwt_m
        P01,baseline_arm_1,-999.0
    """,
    )
    raw, problems = F.read_redcap(path, "redcap.csv", EVENTS, ["sixmwt_m"], CODES)
    assert problems == []
    assert raw["missing_reason"].tolist() == ["not done (missing-data code -999)"]


def test_text_that_is_neither_number_nor_configured_code_is_an_error(tmp_path):
    path = write(
        tmp_path,
        "redcap.csv",
        """
        record_id,redcap_event_name,sixmwt_m
        P01,baseline_arm_1,n/a
    """,
    )
    raw, problems = F.read_redcap(path, "redcap.csv", EVENTS, ["sixmwt_m"], CODES)
    assert raw.empty
    assert [str(p) for p in problems] == [
        "redcap.csv, line 2, column 'sixmwt_m': sixmwt_m is neither a number nor a configured "
        "missing-data code (UNK, NASK, -999); write a plain number such as 57.3 or a code "
        "(value 'n/a') [number_or_code]"
    ]


def test_field_in_config_but_absent_from_export_is_an_error_naming_field_and_file(tmp_path):
    path = write(
        tmp_path,
        "functional_redcap.csv",
        """
        record_id,redcap_event_name,tug_s
        P01,baseline_arm_1,7.50
    """,
    )
    raw, problems = F.read_redcap(path, "functional_redcap.csv", EVENTS, ["tug_s", "grip_kg"], CODES)
    assert [(p.file, p.column, p.rule, p.severity, p.message) for p in problems] == [
        (
            "functional_redcap.csv",
            "grip_kg",
            "field_present",
            "error",
            "configured field 'grip_kg' is not a column of the REDCap export functional_redcap.csv; "
            "export the instrument that holds it, or correct the field name in config (see the data "
            "dictionary)",
        )
    ]
    assert raw["field"].tolist() == ["tug_s"]  # the fields that are there are still read


def test_two_rows_for_one_record_and_event_are_an_error(tmp_path):
    path = write(
        tmp_path,
        "redcap.csv",
        """
        record_id,redcap_event_name,tug_s
        P01,baseline_arm_1,7.50
        P01,baseline_arm_1,7.90
    """,
    )
    raw, problems = F.read_redcap(path, "redcap.csv", EVENTS, ["tug_s"], CODES)
    assert raw.empty
    assert [(p.line, p.rule) for p in problems] == [("3", "event_row_unique")]


# --- outcomes: derivations, limits, arms, missing --------------------------------------------


def build_fixture(definitions):
    raw, problems = read_fixture(repeat_instances={"strength": "last"})
    data, missing, more = F.build_functional_outcomes(raw, participants(), definitions, TIMES)
    return data, missing, problems + more


def test_derived_per_body_mass_is_value_over_weight_and_cites_both_inputs():
    data, _, problems = build_fixture([MVIC, MVIC_REL])
    assert [p.severity for p in problems] == ["warning"]  # the configured repeat choice
    rel = data[data["outcome"] == "knee_mvic_rel"].set_index(["participant_id", "time"])
    # fixture: P01 60 kg, P02 50 kg, P03 64 kg (participants.csv lines 2, 3, 4)
    assert rel.loc[("P01", "pre"), "value"] == pytest.approx(150.0 / 60.0)
    assert rel.loc[("P01", "post"), "value"] == pytest.approx(152.5 / 60.0)
    assert rel.loc[("P02", "post"), "value"] == pytest.approx(121.0 / 50.0)
    assert rel.loc[("P03", "pre"), "value"] == pytest.approx(140.4 / 64.0)
    assert rel.loc[("P01", "pre"), "source_file"] == "redcap.csv:3 + participants.csv:2"
    assert rel.loc[("P02", "post"), "source_file"] == "redcap.csv:12 + participants.csv:3"
    assert (
        rel.loc[("P02", "post"), "source_line"] == "12"
    )  # analysis rows carry the place as text (a line, or a plate well)
    assert (rel["unit"] == "Nm/kg").all()


def test_derived_gait_speed_is_distance_over_time(tmp_path):
    path = write(
        tmp_path,
        "redcap.csv",
        """
        record_id,redcap_event_name,t25fw_s
        P01,baseline_arm_1,5.08
        P01,week_8_arm_1,6.35
    """,
    )
    raw, _ = F.read_redcap(path, "redcap.csv", EVENTS, ["t25fw_s"], CODES)
    data, _, problems = F.build_functional_outcomes(raw, participants(), [T25FW, GAIT_SPEED], TIMES)
    speed = data[data["outcome"] == "gait_speed"].set_index("time")
    assert speed.loc["pre", "value"] == pytest.approx(1.5)  # 7.62 m / 5.08 s
    assert speed.loc["post", "value"] == pytest.approx(1.2)  # 7.62 m / 6.35 s
    assert speed.loc["pre", "source_file"] == "redcap.csv"  # a constant is not a source
    assert speed.loc["post", "source_line"] == "3"
    assert problems == []


def test_lower_is_better_outcomes_are_carried_through_unchanged():
    data, _, _ = build_fixture([TUG])
    tug = data.set_index(["participant_id", "time"])["value"]
    assert tug.to_dict() == {
        ("P01", "pre"): 7.5,
        ("P01", "post"): 7.4,
        ("P02", "pre"): 8.1,
        ("P02", "post"): 6.9,
        ("P03", "pre"): 6.8,
    }  # not negated or inverted
    table = F.definitions_table([TUG, SIX_MWT])
    assert table.set_index("outcome")["higher_is_better"].to_dict() == {"tug": False, "six_mwt": True}


def test_analysis_rows_follow_the_analysis_data_contract_with_arms_from_participants():
    data, _, _ = build_fixture([TUG, SIX_MWT, EDSS, MVIC, MVIC_REL])
    assert list(data.columns) == list(schemas.AnalysisData.to_schema().columns)
    schemas.AnalysisData.validate(data)
    arms = data.drop_duplicates("participant_id").set_index("participant_id")["arm"].to_dict()
    assert arms == {"P01": "control", "P02": "training", "P03": "training"}


def test_every_participant_time_and_outcome_is_once_in_data_or_missing_with_a_reason():
    definitions = [TUG, SIX_MWT, EDSS, MVIC, MVIC_REL]
    data, missing, _ = build_fixture(definitions)
    keys = ["participant_id", "time", "outcome"]
    both = pd.concat([data[keys], missing[keys]])
    assert len(both) == 3 * 2 * len(definitions) and not both.duplicated().any()
    assert list(missing.columns) == F.MISSING_COLUMNS
    reasons = missing.set_index(keys)
    assert reasons.loc[("P01", "post", "six_mwt")].tolist() == [
        "unknown (missing-data code UNK)",
        "redcap.csv:4 (sixmwt_m)",
    ]
    assert reasons.loc[("P02", "post", "six_mwt")].tolist() == ["empty in the export", "redcap.csv:10 (sixmwt_m)"]
    assert reasons.loc[("P03", "post", "knee_mvic_rel"), "reason"] == (
        "knee_mvic_nm: no data for this participant at post (assessment missed or not entered)"
    )


def test_hard_limit_error_rejects_the_value_and_names_file_line_column_value(tmp_path):
    path = write(
        tmp_path,
        "redcap.csv",
        """
        record_id,redcap_event_name,tug_s
        P01,baseline_arm_1,7.50
        P01,week_8_arm_1,0.4
    """,
    )
    raw, _ = F.read_redcap(path, "redcap.csv", EVENTS, ["tug_s"], CODES)
    data, missing, problems = F.build_functional_outcomes(raw, participants(), [TUG], TIMES)
    assert [str(p) for p in problems] == [
        "redcap.csv, line 3, column 'tug_s': Timed Up and Go 0.4 s is outside the possible range "
        "1 to 300 s; value rejected (value '0.4') [hard_limits]"
    ]
    assert problems[0].severity == "error"
    assert data[data["participant_id"] == "P01"]["time"].tolist() == ["pre"]
    assert cell(missing, "P01", "post", "tug", "reason", by="outcome") == (
        "rejected by validation (hard_limits): 0.4 s"
    )


def test_plausible_limit_warning_keeps_the_value_and_names_file_line_column_value(tmp_path):
    path = write(
        tmp_path,
        "redcap.csv",
        """
        record_id,redcap_event_name,tug_s
        P01,baseline_arm_1,45.2
    """,
    )
    raw, _ = F.read_redcap(path, "redcap.csv", EVENTS, ["tug_s"], CODES)
    data, _, problems = F.build_functional_outcomes(raw, participants(), [TUG], TIMES)
    assert [str(p) for p in problems] == [
        "redcap.csv, line 2, column 'tug_s': Timed Up and Go 45.2 s is outside the plausible "
        "range 3 to 30 s; value kept, check it against the source record (value '45.2') "
        "[plausible_limits]"
    ]
    assert problems[0].severity == "warning"
    assert cell(data, "P01", "pre", "tug", by="outcome") == 45.2


def test_limits_of_a_derived_outcome_name_the_computation(tmp_path):
    path = write(
        tmp_path,
        "redcap.csv",
        """
        record_id,redcap_event_name,knee_mvic_nm
        P02,baseline_arm_1,12.5
    """,
    )
    raw, _ = F.read_redcap(path, "redcap.csv", EVENTS, ["knee_mvic_nm"], CODES)
    _, _, problems = F.build_functional_outcomes(raw, participants(), [MVIC_REL], TIMES)
    assert [str(p) for p in problems] == [
        "redcap.csv, line 2, column 'knee_mvic_nm': knee-extension MVIC per body mass 0.25 Nm/kg "
        "(= 12.5 Nm / 50 kg body mass) is outside the plausible range 0.4 to 4 Nm/kg; value kept, "
        "check it against the source record (value '0.25') [plausible_limits]"
    ]


def test_a_value_rejected_for_a_read_outcome_is_not_used_to_derive_another(tmp_path):
    path = write(
        tmp_path,
        "redcap.csv",
        """
        record_id,redcap_event_name,knee_mvic_nm
        P03,baseline_arm_1,510.0
    """,
    )
    raw, _ = F.read_redcap(path, "redcap.csv", EVENTS, ["knee_mvic_nm"], CODES)
    # 510 Nm / 64 kg = 7.97 Nm/kg would pass the derived outcome's own hard limit (8)
    data, missing, problems = F.build_functional_outcomes(raw, participants(), [MVIC_REL, MVIC], TIMES)
    assert data.empty
    assert [(p.rule, p.column, p.value) for p in problems] == [("hard_limits", "knee_mvic_nm", "510")]
    p03_pre = missing[(missing["participant_id"] == "P03") & (missing["time"] == "pre")]
    assert p03_pre[["outcome", "reason"]].values.tolist() == [
        ["knee_mvic_rel", "knee_mvic_nm: rejected by validation (hard_limits of knee_mvic)"],
        ["knee_mvic", "rejected by validation (hard_limits): 510 Nm"],
    ]


def test_value_off_the_scale_step_is_an_error(tmp_path):
    path = write(
        tmp_path,
        "redcap.csv",
        """
        record_id,redcap_event_name,edss
        P01,baseline_arm_1,2.3
    """,
    )
    raw, _ = F.read_redcap(path, "redcap.csv", EVENTS, ["edss"], CODES)
    data, _, problems = F.build_functional_outcomes(raw, participants(), [EDSS], TIMES)
    assert data.empty
    assert [str(p) for p in problems] == [
        "redcap.csv, line 2, column 'edss': EDSS 2.3 points is not a multiple of 0.5; value "
        "rejected (value '2.3') [step]"
    ]


def test_unknown_participant_is_an_error(tmp_path):
    path = write(
        tmp_path,
        "redcap.csv",
        """
        record_id,redcap_event_name,tug_s,sixmwt_m
        P09,baseline_arm_1,7.50,480
    """,
    )
    raw, _ = F.read_redcap(path, "redcap.csv", EVENTS, ["tug_s", "sixmwt_m"], CODES)
    data, _, problems = F.build_functional_outcomes(raw, participants(), [TUG, SIX_MWT], TIMES)
    assert data.empty
    assert [str(p) for p in problems] == [  # one problem per row, not per field
        "redcap.csv, line 2, column 'participant_id': participant 'P09' is not in the participants "
        "file (value 'P09') [participant_known]"
    ]


# --- long CSV route ---------------------------------------------------------------------------


def test_long_csv_route_reads_tests_checks_units_and_builds_the_same_outcomes(tmp_path):
    path = write(
        tmp_path,
        "functional_long.csv",
        """
        participant_id,time,test,value,unit
        P01,pre,tug_s,7.50,s
        P01,post,tug_s,7.10,s
        P01,pre,t25fw_s,5.08,s
        P01,post,t25fw_s,UNK,
        P02,pre,tug_s,8.2,min
        P02,pre,grip_kg,25,kg
        P02,post,tug_s,6.90,s
        P02,post,tug_s,6.95,s
    """,
    )
    tests = F.source_units([TUG, GAIT_SPEED])
    assert tests == {"tug_s": "s", "t25fw_s": "s"}
    raw, problems = F.read_functional_long(path, "functional_long.csv", tests, CODES)
    assert [str(p) for p in problems] == [
        "functional_long.csv, line 6, column 'unit': tug_s must be in s, as configured (value 'min') [unit_configured]",
        "functional_long.csv, line 7, column 'test': test 'grip_kg' is not one of tug_s, t25fw_s "
        "(as configured) (value 'grip_kg') [test_known]",
        "functional_long.csv, line 9, column 'test': participant 'P02' has tug_s at post twice "
        "(lines 8 and 9); neither is used (value 'tug_s') [row_unique]",
    ]
    assert list(raw.columns) == F.RAW_COLUMNS
    assert raw["source_line"].tolist() == [2, 3, 4, 5]
    assert cell(raw, "P01", "post", "t25fw_s", "missing_reason") == ("unknown (missing-data code UNK)")
    data, missing, more = F.build_functional_outcomes(raw, participants(), [TUG, GAIT_SPEED], TIMES)
    assert more == []
    assert cell(data, "P01", "pre", "gait_speed", by="outcome") == pytest.approx(1.5)
    assert cell(data, "P01", "post", "tug", by="outcome") == 7.1
    assert cell(missing, "P01", "post", "gait_speed", "reason", by="outcome") == (
        "t25fw_s: unknown (missing-data code UNK)"
    )


def test_same_field_from_two_sources_is_an_error_naming_both(tmp_path):
    long_path = write(
        tmp_path,
        "site_b.csv",
        """
        participant_id,time,test,value,unit
        P01,pre,tug_s,7.90,s
    """,
    )
    raw_a, _ = F.read_redcap(DATA / "redcap_repeat.csv", "redcap.csv", EVENTS, ["tug_s"], CODES)
    raw_b, _ = F.read_functional_long(long_path, "site_b.csv", {"tug_s": "s"})
    data, missing, problems = F.build_functional_outcomes(pd.concat([raw_a, raw_b]), participants(), [TUG], TIMES)
    assert [str(p) for p in problems] == [
        "site_b.csv, line 2, column 'value': tug_s of participant 'P01' at pre is also in "
        "redcap.csv:2; neither is used (value '7.9') [field_once]"
    ]
    assert cell(missing, "P01", "pre", "tug", "reason", by="outcome") == (
        "rejected by validation (tug_s recorded twice)"
    )


# --- outcome definitions from config -----------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hard_limit": [0, 1]}, "outcome 'x': unknown key(s) hard_limit; allowed:"),
        ({"hard_limits": None}, "outcome 'x': an outcome read from a functional export needs hard_limits"),
        ({"domain": " "}, "outcome 'x': domain must be a non-empty text, e.g. biomarker, strength"),
        ({"plausible_limits": [-5, 5]}, "outcome 'x': plausible_limits [-5.0, 5.0] must lie within"),
        ({"source": {"derive": "bmi", "from": ["w"]}}, "outcome 'x': derive 'bmi' is not one of"),
        (
            {"source": {"derive": "speed_from_time", "from": ["t"]}},
            "outcome 'x': speed_from_time needs distance_m: a positive number",
        ),
        (
            {"source": {"derive": "per_body_mass", "from": ["f"]}},
            "outcome 'x': per_body_mass needs a unit ending in '/kg'",
        ),
        ({"source": {"redcap_field": "a", "test": "a"}}, "outcome 'x': source must have exactly one of"),
    ],
)
def test_outcome_definition_config_errors_name_the_outcome_and_key(change, message):
    cfg = {
        "id": "x",
        "label": "X",
        "unit": "s",
        "domain": "mobility",
        "higher_is_better": False,
        "decimals": 1,
        "hard_limits": [0, 10],
        "source": {"redcap_field": "x_s"},
    }
    cfg.update(change)
    if cfg["hard_limits"] is None:
        del cfg["hard_limits"]
    with pytest.raises(F.OutcomeConfigError) as err:
        F.outcome_definitions([cfg])
    assert str(err.value).startswith(message)


def test_outcome_without_source_is_not_a_functional_outcome_and_is_skipped():
    bdnf = F.OutcomeDefinition.from_config(
        {"id": "BDNF", "label": "BDNF", "unit": "pg/mL", "domain": "biomarker", "higher_is_better": True, "decimals": 2}
    )
    assert bdnf.inputs == () and F.source_fields([bdnf, TUG]) == ["tug_s"]
    data, missing, problems = build_fixture([bdnf])
    assert data.empty and missing.empty and [p.severity for p in problems] == ["warning"]


# --- demo ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from trialflow.demo.trial import write_demo_trial

    out = tmp_path_factory.mktemp("demo")
    write_demo_trial(out)
    write_demo_redcap(out / "participants.csv", out)
    return out


def test_demo_config_block_defines_valid_outcomes():
    cfg = demo_config()
    definitions = F.outcome_definitions(cfg["outcomes"])
    assert [d.id for d in definitions] == [
        "six_mwt",
        "tug",
        "t25fw",
        "gait_speed",
        "sts5",
        "knee_mvic",
        "knee_mvic_rel",
        "grip",
        "mfis",
        "edss",
    ]
    assert {d.domain for d in definitions} == {"mobility", "strength", "fatigue", "disability"}
    assert "redcap:" in DEMO_CONFIG_YAML
    assert cfg["redcap"]["repeat_instances"] == {"strength_tests": "last"}


def test_demo_export_reads_with_its_config_and_shows_the_planned_gaps_and_effects(demo):
    cfg = demo_config()
    rc = cfg["redcap"]
    definitions = F.outcome_definitions(cfg["outcomes"])
    people, _ = ingest.read_participants(
        demo / "participants.csv", "participants.csv", ["control", "training"], demo_characteristics()
    )
    raw, problems = F.read_redcap(
        demo / cfg["inputs"]["functional_redcap"],
        "functional_redcap.csv",
        rc["events"],
        F.source_fields(definitions),
        cfg["missing_codes"],
        repeat_instances=rc["repeat_instances"],
        record_id=rc["record_id"],
    )
    data, missing, more = F.build_functional_outcomes(raw, people, definitions, TIMES)
    problems += more
    assert [(p.severity, p.rule) for p in problems] == [("warning", "repeat_instance_choice")]
    assert len(data) + len(missing) == 30 * 2 * len(definitions)
    # one participant missed the post-test (all outcomes), one has a missing-data code
    no_post = missing[missing["reason"].str.contains("no data for this participant at post")]
    assert no_post["participant_id"].nunique() == 1 and len(no_post) == len(definitions)
    coded = missing[missing["reason"].str.contains("missing-data code")]
    assert coded[["time", "outcome", "reason"]].values.tolist() == [
        ["pre", "sts5", "not asked (missing-data code NASK)"]
    ]
    assert coded["participant_id"].iloc[0] != no_post["participant_id"].iloc[0]
    means = data.groupby(["outcome", "arm", "time"])["value"].mean()
    for d in definitions:
        change = {arm: means[(d.id, arm, "post")] / means[(d.id, arm, "pre")] - 1 for arm in ("control", "training")}
        if d.id == "edss":
            assert abs(change["training"]) < 0.05 and abs(change["control"]) < 0.05
            continue
        better = change["training"] if d.higher_is_better else -change["training"]
        assert 0.04 < better < 0.30, (d.id, change)
        assert abs(change["control"]) < 0.07, (d.id, change)
    edss = data[(data["outcome"] == "edss") & (data["time"] == "pre")]["value"]
    assert edss.min() == 1.0 and edss.max() == 4.5 and 1.8 < edss.mean() < 2.3
    mvic = means[("knee_mvic", "training", "post")] / means[("knee_mvic", "training", "pre")] - 1
    assert 0.15 <= mvic <= 0.25


def test_demo_export_is_the_same_bytes_for_the_same_seed(demo, tmp_path):
    again = write_demo_redcap(demo / "participants.csv", tmp_path)
    assert again.read_bytes() == (demo / "functional_redcap.csv").read_bytes()


def test_records_gives_the_values_and_types_to_dict_gives():
    """The readers iterate 100,000s of rows through trialflow.outputs.records instead of
    DataFrame.to_dict("records"); every value must be the same object type and value."""
    import numpy as np

    from trialflow.outputs import records

    frame = pd.DataFrame(
        {
            "text": ["a", None, "c"],
            "string": pd.array(["x", pd.NA, "z"], dtype="string"),
            "integer": [1, 2, 3],
            "nullable": pd.array([1, pd.NA, 3], dtype="Int64"),
            "real": [0.5, math.nan, 2.0],
            "flag": [True, False, True],
            "when": pd.to_datetime(["2024-01-01", None, "2024-03-01"]),
            "category": pd.Categorical(["a", None, "b"]),
            "mixed": pd.Series([np.float64(1.5), "t", np.int64(2)], dtype=object),
        }
    )
    for frame_ in (frame, frame.iloc[:0]):
        expected = frame_.to_dict("records")
        got = records(frame_)
        assert len(got) == len(expected)
        for a, b in zip(got, expected, strict=True):
            assert list(a) == list(b)
            for key in a:
                assert type(a[key]) is type(b[key]), (key, a[key], b[key])
                assert a[key] is b[key] or a[key] == b[key] or (a[key] != a[key] and b[key] != b[key]), key


def test_the_package_offers_every_modules_names_on_first_use():
    import importlib

    for name in F.__all__:
        module = importlib.import_module(f"trialflow.functional.{F._MODULE_OF[name]}")
        assert getattr(F, name) is getattr(module, name), name
    assert set(F.__all__) <= set(dir(F))
    with pytest.raises(AttributeError, match="no attribute 'read_redcaps'"):
        F.read_redcaps  # noqa: B018
