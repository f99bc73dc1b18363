"""Direct identifiers: which column names are recognised, which are not, and configured columns win."""

from __future__ import annotations

import pandas as pd
import pytest

from trialflow.identifiers import drop_identifiers, find_direct_identifiers, is_direct_identifier, words
from trialflow.readers import read_table

# Identifier fields as REDCap projects name them (the Demographics instrument, REDCap's own
# test projects: name_first, telephone, dob; contact and next-of-kin instruments of trials).
IDENTIFIERS = [
    "first_name",
    "name_first",
    "name_last",
    "patient_initials",
    "nickname",
    "telephone",
    "telephone_1",
    "telephone_2",
    "phone_2",
    "phone2",
    "home_phone",
    "phone_home",
    "phone_no",
    "work_phone_number",
    "cell_phone",
    "mobile_phone_2",
    "Telephone 1",
    "TelephoneNumber",
    "email",
    "email_2",
    "e_mail",
    "primary_email",
    "guardian_email",
    "address",
    "address_line_1",
    "address2",
    "home_address",
    "city",
    "zip_code",
    "post_code",
    "next_of_kin",
    "next_of_kin_name",
    "next_of_kin_phone",
    "NextOfKinPhone",
    "nok",
    "nok_name",
    "nok_phone",
    "NOKPhone",
    "nok_email",
    "kin_address",
    "emergency_contact",
    "emergency_contact_2",
    "emergency_contact_name",
    "emergency_contact_phone",
    "emergency_phone",
    "contact_phone",
    "contact_email",
    "parent_name",
    "mother_name",
    "caregiver_phone",
    "spouse_name",
    "gp_name",
    "gp_phone",
    "dob",
    "birth_date",
    "date_of_birth",
    "mother_dob",
    "nhs_number",
    "nhs_number_2",
    "medicare_number",
    "drivers_license",
    "signature",
    "consent_signature",
    "photo",
    "Téléphone",
]

# Ordinary columns of trial data that hold no identifier.
ORDINARY = [
    "participant_id",
    "record_id",
    "subject_id",
    "study_id",
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
    "analyte_name",
    "test_name",
    "event_name",
    "sample_date",
    "visit_date",
    "contact_date",
    "phase",
    "arm",
    "age_years",
    "sex",
    "weight_kg",
    "height_cm",
    "mobility_score",
    "phone_interview",
    "email_consent",
    "home_visit",
    "nok_relationship",
    "contact",
    "emergency",
    "hospital",
    "country",
    "birth_year",
    "date_of_visit",
    "sixmwt_m",
    "tug_s",
    "knee_mvic_nm",
    "strength_tests_complete",
    "cell_count",
    "name_of_drug",
    "plate_id",
    "well",
    "zip_file",
]


@pytest.mark.parametrize("column", IDENTIFIERS)
def test_direct_identifiers_redcap_projects_carry_are_recognised(column):
    assert is_direct_identifier(column)


@pytest.mark.parametrize("column", ORDINARY)
def test_ordinary_trial_columns_are_not_identifiers(column):
    assert not is_direct_identifier(column)


def test_words_split_case_digits_and_punctuation():
    assert words("NOKPhone_2") == ["nok", "phone", "2"]
    assert words("Telephone 1") == ["telephone", "1"]
    assert words("E-mail") == ["e", "mail"]
    assert words("next_of_kin_name") == ["next", "of", "kin", "name"]
    assert words("NHS_Number") == ["nhs", "number"]


def test_find_direct_identifiers_keeps_the_order_and_spelling_of_the_header():
    header = ["record_id", "telephone_1", "tug_s", "Next of kin", "analyte_name", "nok_phone"]
    assert find_direct_identifiers(header) == ["telephone_1", "Next of kin", "nok_phone"]


def test_a_configured_column_is_kept_with_a_warning_naming_it(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("record_id,birth_date,telephone_1\nP01,1980-02-29,0123 456\n", encoding="utf-8")
    frame, problems = read_table(path, "export.csv", keep=["birth_date"])
    assert list(frame.columns) == ["record_id", "birth_date", "_line"]
    assert frame["birth_date"].tolist() == ["1980-02-29"]
    assert [str(p) for p in problems] == [
        "export.csv, line 1, column 'birth_date': column 'birth_date' looks like a direct identifier, "
        "but it is kept because the configuration reads it; its values can reach results and "
        "reports, so make sure it identifies no one [direct_identifier]",
        "export.csv, line 1, column 'telephone_1': column 'telephone_1' looks like a direct "
        "identifier; it was dropped and never reaches results or reports [direct_identifier]",
    ]
    assert all(p.severity == "warning" and p.value == "" for p in problems)
    assert "0123" not in repr(frame) and "0123" not in repr(problems)


def test_without_keep_the_same_column_is_dropped(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("record_id,birth_date\nP01,1980-02-29\n", encoding="utf-8")
    frame, problems = read_table(path, "export.csv")
    assert list(frame.columns) == ["record_id", "_line"]
    assert [(p.column, p.rule, p.severity) for p in problems] == [("birth_date", "direct_identifier", "warning")]


def test_keep_applies_to_workbooks_too(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "data"
    ws.append(["record_id", "dob", "email"])
    ws.append(["P01", "1980-02-29", "a@b.org"])
    wb.save(tmp_path / "export.xlsx")
    frame, problems = read_table(tmp_path / "export.xlsx", "export.xlsx", keep={"dob"})
    assert list(frame.columns) == ["record_id", "dob", "_line"]
    assert [(p.line, p.column, "kept" in p.message) for p in problems] == [
        ("data!B1", "dob", True),
        ("data!C1", "email", False),
    ]


def test_keep_names_columns_exactly_as_written():
    frame, problems = drop_identifiers(pd.DataFrame({"id": ["P1"], "DOB": ["x"], "dob": ["y"]}), "x.csv", keep=["dob"])
    assert list(frame.columns) == ["id", "dob"]
    assert [(p.column, "kept" in p.message) for p in problems] == [("DOB", False), ("dob", True)]
