"""Bad input gets a clear message naming file, line, column and value; good rows are kept."""

import pytest

from tests.conftest import demo_characteristics
from trialflow import ingest

ARMS = ["control", "training"]
HEADER = "participant_id,arm,age_years,height_cm,weight_kg\n"


def _participants(tmp_path, body: str, header: str = HEADER, encoding: str = "utf-8"):
    path = tmp_path / "participants.csv"
    path.write_bytes((header + body).encode(encoding))
    return ingest.read_participants(path, "participants.csv", ARMS, demo_characteristics())


def test_good_file_keeps_leading_zeros_and_derives_bmi(tmp_path):
    people, problems = _participants(tmp_path, "007,control,40,160.0,64.0\n")
    assert problems == []
    assert people["participant_id"].tolist() == ["007"]
    assert people["bmi_kg_m2"].iloc[0] == pytest.approx(25.0)
    assert people["source_line"].iloc[0] == 2


@pytest.mark.parametrize(
    "body,expected",
    [
        (
            "P1,placebo,40,160,60\n",
            "participants.csv, line 2, column 'arm': arm 'placebo' is not one of control, training (as configured) (value 'placebo') [arm_known]",
        ),
        (
            "P1,control,forty,160,60\n",
            "participants.csv, line 2, column 'age_years': age_years is not a number; write a plain number such as 57.3 (value 'forty') [number]",
        ),
        (
            "P1,control,40,16,60\n",
            "participants.csv, line 2, column 'height_cm': height (cm) must be between 100 and 230 (value '16.0') [in_range(100, 230)]",
        ),
        (
            "P1,control,40,160,60,extra\n",
            "participants.csv, line 2: this row has 6 fields but the header has 5; a stray delimiter would shift every column after it (value 'P1,control,40,160,60,extra') [row_width]",
        ),
        (
            "P 1,control,40,160,60\n",
            "participants.csv, line 2, column 'participant_id': Participant ID must start with a letter or digit and contain only letters, digits, '_', '.', '-' (value 'P 1') [str_matches('^[A-Za-z0-9][A-Za-z0-9_.-]*$')]",
        ),
    ],
)
def test_bad_participant_rows_are_rejected_with_the_reason(tmp_path, body, expected):
    people, problems = _participants(tmp_path, body)
    assert len(people) == 0
    assert [str(p) for p in problems] == [expected]


def test_duplicate_participant_names_both_lines(tmp_path):
    people, problems = _participants(tmp_path, "P1,control,40,160,60\nP1,training,41,161,61\nP2,control,40,160,60\n")
    assert people["participant_id"].tolist() == ["P2"]
    assert [p.line for p in problems] == ["2", "3"]
    assert all("appears more than once" in p.message for p in problems)


def test_missing_column_is_named_with_the_columns_found(tmp_path):
    _, problems = _participants(tmp_path, "P1,control,40,160\n", header="participant_id,arm,age_years,height_cm\n")
    assert str(problems[0]) == (
        "participants.csv, line 1, column 'weight_kg': required column 'weight_kg' is missing "
        "(columns found: participant_id, arm, age_years, height_cm) [column_present]"
    )


def test_duplicate_header_is_an_error(tmp_path):
    _, problems = _participants(
        tmp_path, "P1,control,40,160,60,61\n", header="participant_id,arm,age_years,height_cm,weight_kg,weight_kg\n"
    )
    assert problems[0].rule == "header_unique" and problems[0].column == "weight_kg"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252"])
def test_encodings_are_read(tmp_path, encoding):
    people, problems = _participants(tmp_path, "Pé1,control,40,160,60\r\n".replace("é", ""), encoding=encoding)
    assert problems == [] and people["participant_id"].tolist() == ["P1"]


def test_semicolon_delimiter_and_trailing_blank_rows(tmp_path):
    people, problems = _participants(tmp_path, "P1;control;40;160;60\n;;;;\n\n", header=HEADER.replace(",", ";"))
    assert problems == [] and len(people) == 1


def _concentrations(tmp_path, body):
    people, _ = _participants(tmp_path, "P1,control,40,160,60\n")
    path = tmp_path / "concentrations.csv"
    path.write_text("participant_id,time,analyte,concentration,unit\n" + body)
    return ingest.read_concentrations(path, "concentrations.csv", people, ["pre", "post"], {"BDNF": "pg/mL"})


@pytest.mark.parametrize(
    "body,rule,column",
    [
        ("P9,pre,BDNF,200,pg/mL\n", "participant_known", "participant_id"),
        ("P1,mid,BDNF,200,pg/mL\n", "time_known", "time"),
        ("P1,pre,NGF,200,pg/mL\n", "analyte_known", "analyte"),
        ("P1,pre,BDNF,0.2,ng/mL\n", "unit_configured", "unit"),
        ("P1,pre,BDNF,-1,pg/mL\n", "greater_than(0)", "concentration"),
    ],
)
def test_bad_concentration_rows_are_rejected(tmp_path, body, rule, column):
    accepted, problems = _concentrations(tmp_path, body)
    assert len(accepted) == 0
    assert [(p.rule, p.column, p.line) for p in problems] == [(rule, column, "2")]


def test_duplicate_participant_time_analyte_is_an_error_never_averaged(tmp_path):
    accepted, problems = _concentrations(tmp_path, "P1,pre,BDNF,200,pg/mL\nP1,pre,BDNF,210,pg/mL\n")
    assert len(accepted) == 0
    assert sorted(p.line for p in problems) == ["2", "3"]


def test_an_empty_cell_is_a_missing_value_named_in_a_warning_and_the_participant_is_kept(tmp_path):
    people, problems = _participants(tmp_path, "P1,control,40,160,\n")
    assert people["participant_id"].tolist() == ["P1"]
    assert people["weight_kg"].isna().all() and people["bmi_kg_m2"].isna().all()  # nothing derived from nothing
    assert [(p.line, p.column, p.rule, p.severity) for p in problems] == [
        ("2", "weight_kg", "value_missing", "warning")
    ]


CHARACTERISTICS = [
    {"id": "sex", "label": "sex", "type": "categorical", "levels": ["female", "male"]},
    {"id": "edss", "label": "EDSS", "type": "numeric", "decimals": 1, "limits": [0, 10]},
    {"id": "site", "label": "site", "type": "categorical"},
]


def test_the_characteristics_are_the_configured_columns_of_any_kind(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(
        "participant_id,arm,sex,edss,site,notes\n"
        "A1,control,female,2.5,Oslo,x\nA2,training,male,,Bergen,y\nA3,training,other,3,Oslo,z\nA4,control,,11,Oslo,\n"
    )
    people, problems = ingest.read_participants(path, "people.csv", ARMS, CHARACTERISTICS)
    assert list(people.columns) == ["participant_id", "arm", "sex", "edss", "site", "source_file", "source_line"]
    assert people["participant_id"].tolist() == ["A1", "A2"]
    assert people["edss"].isna().tolist() == [False, True]
    assert [str(p) for p in problems] == [
        "people.csv, line 1, column 'notes': this column is not one trialflow reads; it was ignored [column_unused]",
        "people.csv, line 3, column 'edss': empty: the value is missing (the participant is kept; the baseline table "
        "counts who has a value) [value_missing]",
        "people.csv, line 5, column 'sex': empty: the value is missing (the participant is kept; the baseline table "
        "counts who has a value) [value_missing]",
        "people.csv, line 4, column 'sex': sex must be one of ['female', 'male'] (value 'other') [isin(['female', 'male'])]",
        "people.csv, line 5, column 'edss': EDSS must be between 0 and 10 (value '11.0') [in_range(0, 10)]",
    ]


def test_only_the_id_and_the_arm_are_required(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("participant_id,arm\nA1,control\nA2,training\n")
    people, problems = ingest.read_participants(path, "people.csv", ARMS, [])
    assert problems == [] and people["arm"].tolist() == ARMS
