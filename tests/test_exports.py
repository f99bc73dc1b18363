"""Submission exports (src/trialflow/exports/): ADaM derivations on small literal tables, the XPT v5
limits, Dataset-JSON against the CDISC schema, define.xml's invariants, the SPSS file read back,
and the RTF tables read from report HTML. The demo's files are checked in tests/test_pipeline.py
with the helpers ``check_*`` below."""

import datetime as dt
import json
import math
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pyreadstat
import pytest

from tests.conftest import ROOT
from trialflow.exports import ExportError, adam
from trialflow.exports.dataset_json import dataset_json, dataset_json_bytes, read_dataset_json
from trialflow.exports.define import ODM, codelists, define_xml
from trialflow.exports.rtf import report_tables, rtf_escape, table_rtf
from trialflow.exports.spss import glm_syntax, spss_name, wide_data
from trialflow.exports.xpt import xpt_bytes, xpt_problems

SCHEMA = json.loads((ROOT / "tests/data/dataset-json-1.1/dataset.schema.json").read_text())
NS = {"odm": ODM, "def": "http://www.cdisc.org/ns/def/v2.1", "xlink": "http://www.w3.org/1999/xlink"}

SETTINGS = {
    "trial": {"id": "T1", "title": "A trial", "data_cutoff": "2025-06-30"},
    "arms": [{"id": "ctl", "label": "Control"}, {"id": "ex", "label": "Exercise ± diet"}],
    "time_points": [{"id": "pre", "label": "pre"}, {"id": "post", "label": "post"}],
    "outcomes": [
        {"id": "BDNF", "label": "BDNF", "unit": "pg/mL", "domain": "biomarker"},
        {"id": "grip", "label": "Grip", "unit": "kg", "domain": "strength", "source": {"redcap_field": "grip_kg"}},
        {
            "id": "grip_rel",
            "label": "Grip per body mass",
            "unit": "kg/kg",
            "domain": "strength",
            "source": {"derive": "per_body_mass", "from": ["grip_kg"]},
        },
    ],
    "baseline": [
        {"id": "age_years", "label": "Age (years)", "type": "numeric"},
        {"id": "sex", "label": "Sex", "type": "categorical", "levels": ["F", "M"]},
        {"id": "bmi", "label": "BMI (kg/m²)", "type": "numeric", "derive": "bmi", "from": ["weight_kg", "height_cm"]},
    ],
    "analysis": {"alpha": 0.05},
    "submission": {"short_names": {"age_years": "AGE"}},
}
PARTICIPANTS = pd.DataFrame(
    {
        "participant_id": ["P01", "P02", "P03"],
        "arm": ["ctl", "ex", "ex"],
        "age_years": [40.0, 35.5, np.nan],
        "sex": ["F", "M", None],
        "bmi": [22.5, 24.0, 30.1],
        "source_file": "participants.csv",
        "source_line": [2, 3, 4],
    }
)
ANALYSIS = pd.DataFrame(
    [
        ("P01", "ctl", "pre", "BDNF", 10.0, "pg/mL", "elisa/BDNF_P01.csv", "line 5, col 4 (well D3)"),
        ("P01", "ctl", "post", "BDNF", 12.0, "pg/mL", "elisa/BDNF_P01.xlsx", "Sheet1!D36 (well D4)"),
        ("P02", "ex", "pre", "BDNF", 0.0, "pg/mL", "concentrations.csv", "7"),
        ("P02", "ex", "post", "BDNF", 3.0, "pg/mL", "concentrations.csv", "8"),
        ("P01", "ctl", "pre", "grip", 20.0, "kg", "redcap.csv", "3"),
        ("P01", "ctl", "post", "grip", 25.0, "kg", "redcap.csv", "5"),
        ("P02", "ex", "post", "grip", 30.0, "kg", "redcap.csv", "6"),
        ("P01", "ctl", "pre", "grip_rel", 0.4, "kg/kg", "redcap.csv:3 + participants.csv:2", "3"),
    ],
    columns=["participant_id", "arm", "time", "outcome", "value", "unit", "source_file", "source_line"],
)
DISPOSITION = pd.DataFrame(
    {
        "participant_id": ["P01", "P02", "P03", None],
        "randomised": ["True", "True", "True", "False"],
        "received_allocated": ["True", "True", "False", None],
        "discontinued": ["False", "True", "False", None],
        "discontinued_reason": [None, "knee injury", None, None],
        "lost_to_follow_up": ["False", "False", "True", None],
        "lost_reason": [None, None, "moved abroad", None],
        "attended_pre": ["True", "True", "True", None],
        "attended_post": ["True", "True", "False", None],
    }
)
EXCLUDED = pd.DataFrame(
    {"outcome": ["grip"], "participant_id": ["P02"], "arm": ["ex"], "missing": ["pre"], "reason": ["x"]}
)
STATUS = pd.DataFrame(
    {"outcome": ["BDNF", "grip", "grip_rel"], "analysable": [True, True, False], "reason": ["", "", "n"]}
)


def datasets():
    adsl = adam.derive_adsl(PARTICIPANTS, ANALYSIS, SETTINGS, DISPOSITION)
    adlb = adam.derive_bds(adsl, ANALYSIS, EXCLUDED, STATUS, SETTINGS, ["BDNF"])
    adft = adam.derive_bds(adsl, ANALYSIS, EXCLUDED, STATUS, SETTINGS, ["grip", "grip_rel"])
    return {"ADSL": adsl, "ADLB": adlb, "ADFT": adft}


def schemas():
    names = adam.adsl_names(SETTINGS["baseline"], SETTINGS["submission"]["short_names"])
    return {"ADSL": adam.adsl_schema(SETTINGS["baseline"], names, True), "ADLB": adam.BDS, "ADFT": adam.BDS}


LABELS = {"ADSL": adam.ADSL_LABEL, **adam.BDS_DATASETS}


# --- ADaM derivations -------------------------------------------------------------------------


def test_ascii_text_spells_symbols_drops_accents_and_writes_the_rest_as_code_points():
    assert adam.ascii_text("BMI (kg/m²) ± SD, Tréning – η") == "BMI (kg/m2) +/- SD, Trening - eta"
    assert adam.ascii_text("握力 test") == "<U+63E1><U+529B> test"  # 握 U+63E1, 力 U+529B


def test_short_names_are_unique_eight_characters_and_start_with_a_letter():
    names = adam.short_names(["knee_mvic", "knee_mvic_rel", "6mwt", "gait_speed"], overrides={"gait_speed": "GAITSPD"})
    assert names == {"knee_mvic": "KNEEMVIC", "knee_mvic_rel": "KNEEMVI2", "6mwt": "X6MWT", "gait_speed": "GAITSPD"}
    with pytest.raises(ExportError, match="short_names"):
        adam.short_names(["a", "b"], overrides={"a": "SAME", "b": "SAME"})


def test_adsl_flags_from_the_disposition_log_and_the_analysis_data():
    adsl = datasets()["ADSL"].set_index("SUBJID")
    assert list(adsl["USUBJID"]) == ["T1-P01", "T1-P02", "T1-P03"]
    assert list(adsl["ARM"]) == ["Control", "Exercise +/- diet", "Exercise +/- diet"]  # ASCII for XPT v5
    assert list(adsl["TRT01PN"]) == [1, 2, 2]
    assert list(adsl["RANDFL"]) == ["Y", "Y", "Y"]
    assert list(adsl["FASFL"]) == ["Y", "Y", "N"]  # P03 has no value of any outcome
    assert list(adsl["SAFFL"]) == ["Y", "Y", "N"]  # P03 did not receive the allocated intervention
    assert list(adsl["PPROTFL"]) == ["Y", "N", "N"]  # P02 discontinued
    assert list(adsl["COMPLFL"]) == ["Y", "Y", "N"]  # P03 missed post
    assert adsl.loc["P03", "TRT01A"] is None or pd.isna(adsl.loc["P03", "TRT01A"])
    assert adsl.loc["P02", "DCTREAS"] == "knee injury" and adsl.loc["P03", "DCSREAS"] == "moved abroad"
    assert adsl.loc["P01", "AGE"] == 40.0 and pd.isna(adsl.loc["P03", "AGE"])
    assert list(adsl["SEX"].fillna("")) == ["F", "M", ""]
    assert list(adsl["SRCSEQ"]) == [2, 3, 4]


def test_adsl_without_a_disposition_log_has_no_flags_it_cannot_derive():
    adsl = adam.derive_adsl(PARTICIPANTS, ANALYSIS, SETTINGS)
    assert not {"TRT01A", "SAFFL", "PPROTFL", "COMPLFL", "DCTREAS"} & set(adsl.columns)


def test_bds_base_change_and_percent_change_in_closed_form():
    adlb = datasets()["ADLB"].set_index(["USUBJID", "AVISIT"])
    p1_post = adlb.loc[("T1-P01", "post")]
    assert (p1_post["BASE"], p1_post["CHG"], p1_post["PCHG"]) == (10.0, 2.0, 20.0)  # 12 - 10; 100 x 2 / 10
    assert adlb.loc[("T1-P01", "pre"), "ABLFL"] == "Y" and pd.isna(adlb.loc[("T1-P01", "pre"), "CHG"])
    p2_post = adlb.loc[("T1-P02", "post")]
    assert p2_post["CHG"] == 3.0 and pd.isna(p2_post["PCHG"])  # baseline 0: percent change undefined


def test_bds_traces_each_value_to_its_file_and_line_or_well():
    adlb = datasets()["ADLB"]
    assert list(adlb["SRCSEQ"]) == [5, 36, 7, 8]  # 'line 5, ...', 'Sheet1!D36 ...' (worksheet row), lines
    assert list(adlb["SRCVAR"]) == ["OD", "OD", "concentration", "concentration"]
    assert adlb["SRCLOC"].iloc[1] == "Sheet1!D36 (well D4)"
    adft = datasets()["ADFT"]
    assert set(adft["SRCVAR"]) == {"grip_kg"}
    assert list(adft["PARAMTYP"].fillna("")) == ["", "", "DERIVED", ""]


def test_bds_analysis_flag_marks_the_rows_the_anova_used():
    adft = datasets()["ADFT"].set_index(["USUBJID", "PARAMCD", "AVISIT"])
    assert adft.loc[("T1-P01", "GRIP", "post"), "ANL01FL"] == "Y"
    assert pd.isna(adft.loc[("T1-P02", "GRIP", "post"), "ANL01FL"])  # excluded: no value at pre
    assert pd.isna(adft.loc[("T1-P01", "GRIPREL", "pre"), "ANL01FL"])  # the outcome was not analysable
    assert pd.isna(adft.loc[("T1-P02", "GRIP", "post"), "BASE"])  # no baseline value: no BASE, no CHG


# --- SAS XPT v5 -------------------------------------------------------------------------------


def xpt_labels(name):
    return {v: c.title for v, c in schemas()[name].columns.items()}


def test_xpt_reads_back_with_the_same_values_labels_and_types(tmp_path):
    for name, frame in datasets().items():
        path = tmp_path / f"{name}.xpt"
        path.write_bytes(xpt_bytes(frame, name, LABELS[name], xpt_labels(name), dt.date(2025, 6, 30)))
        check_xpt(path, frame, name, LABELS[name], xpt_labels(name))


def check_xpt(path, expected: pd.DataFrame, name: str, label: str, labels: dict):
    """The XPT file read back (pyreadstat) equals ``expected``: names, labels, types and values."""
    back, meta = pyreadstat.read_xport(str(path))
    assert meta.table_name == name and meta.file_label == label
    assert list(back.columns) == list(expected.columns)
    assert meta.column_names_to_labels == labels
    for column in expected.columns:
        want = expected[column]
        if pd.api.types.is_numeric_dtype(want):
            assert meta.readstat_variable_types[column] == "double", column
            np.testing.assert_allclose(back[column].astype(float), want.astype(float), rtol=1e-15, err_msg=column)
        else:
            assert meta.readstat_variable_types[column] == "string", column
            assert list(back[column]) == [v if isinstance(v, str) else "" for v in want], column  # missing text: blank
            assert meta.variable_storage_width[column] <= 200


def test_xpt_limits_are_checked_on_write():
    frame = pd.DataFrame({"TOOLONGNAME": [1.0], "TEXT": ["x" * 201], "UTF": ["é"]})
    labels = {"TOOLONGNAME": "a", "TEXT": "L" * 41, "UTF": "ok"}
    problems = xpt_problems(frame, "adsl", "Label", labels)
    assert any("dataset name 'adsl'" in p for p in problems)
    assert any("'TOOLONGNAME' is not 1-8" in p for p in problems)
    assert any("label of TEXT" in p and "longer than 40" in p for p in problems)
    assert any("row 1, TEXT: value of 201 characters" in p for p in problems)
    assert any("row 1, UTF: 'é' is not ASCII" in p for p in problems)
    with pytest.raises(ExportError, match="cannot write SAS XPT v5"):
        xpt_bytes(frame, "adsl", "Label", labels, dt.date(2025, 6, 30))


def test_xpt_bytes_are_dated_by_the_given_day_not_the_clock():
    frame = datasets()["ADSL"]
    first = xpt_bytes(frame, "ADSL", adam.ADSL_LABEL, xpt_labels("ADSL"), dt.date(2025, 6, 30))
    assert first.count(b"30JUN25:00:00:00") == 4
    assert first == xpt_bytes(frame, "ADSL", adam.ADSL_LABEL, xpt_labels("ADSL"), dt.date(2025, 6, 30))


# --- Dataset-JSON v1.1 ------------------------------------------------------------------------


def json_document(name):
    return dataset_json(datasets()[name], schemas()[name], name, LABELS[name], "T1", "2025-06-30T00:00:00", "0.1.0")


def check_dataset_json(data: bytes, expected: pd.DataFrame):
    """The file is valid against the CDISC Dataset-JSON v1.1 schema and reads back as ``expected``."""
    document = json.loads(data)
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft201909Validator)
    assert document["records"] == len(expected) == len(document["rows"])
    back = read_dataset_json(data)
    assert list(back.columns) == list(expected.columns) and len(back) == len(expected)
    for j, column in enumerate(expected.columns):
        for got, want in zip([row[j] for row in document["rows"]], expected[column], strict=True):
            if want is None or (isinstance(want, float) and math.isnan(want)):
                assert got is None, column
            else:
                assert got == want, column  # numbers: the same double, every digit


def test_dataset_json_is_valid_against_the_cdisc_schema_and_reads_back():
    for name in ("ADSL", "ADLB", "ADFT"):
        check_dataset_json(dataset_json_bytes(json_document(name)), datasets()[name])


def test_dataset_json_schema_check_can_fail():
    document = json_document("ADSL")
    document["columns"][0]["dataType"] = "text"  # not a Dataset-JSON data type
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft201909Validator)


def test_dataset_json_columns_carry_the_schema_labels_types_and_key():
    columns = {c["name"]: c for c in json_document("ADLB")["columns"]}
    assert columns["AVAL"] == {
        "itemOID": "IT.ADLB.AVAL",
        "name": "AVAL",
        "label": "Analysis Value",
        "dataType": "double",
    }
    assert columns["USUBJID"]["keySequence"] == 1 and columns["AVISITN"]["keySequence"] == 3
    assert columns["AVISITN"]["dataType"] == "integer" and columns["PARAMCD"]["length"] == 4  # BDNF


def test_dataset_json_writes_every_missing_spelling_as_null():
    # pandas spells a missing value None (object), NaN (float, str) or pd.NA (Int64, string);
    # each is JSON null, and the other values keep their type.
    import pandera.pandas as pa

    frame = pd.DataFrame(
        {
            "N": pd.array([1, pd.NA, 3], dtype="Int64"),
            "X": [1.5, math.nan, np.float64(2.25)],
            "S": ["a", None, "c"],
            "T": pd.array(["d", pd.NA, "f"], dtype="string"),
        }
    )
    schema = pa.DataFrameSchema(
        {"N": pa.Column("Int64"), "X": pa.Column(float), "S": pa.Column(str), "T": pa.Column(str)}
    )
    document = dataset_json(frame, schema, "ADXX", "X", "T1", "2025-06-30T00:00:00", "0")
    assert document["rows"] == [[1, 1.5, "a", "d"], [None, None, None, None], [3, 2.25, "c", "f"]]
    assert [type(v) for v in document["rows"][2]] == [int, float, str, str]


def test_xpt_problems_finds_the_row_of_a_long_or_non_ascii_value_among_many():
    frame = pd.DataFrame({"A": ["x"] * 1000, "B": ["y"] * 1000})
    frame.loc[500, "A"] = "é"
    frame.loc[700, "B"] = "z" * 201
    found = xpt_problems(frame, "ADXX", "X", {"A": "A", "B": "B"})
    assert found == [
        "ADXX, row 501, A: 'é' is not ASCII",
        "ADXX, row 701, B: value of 201 characters, more than 200",
    ]


# --- define.xml 2.1 ---------------------------------------------------------------------------


def check_define(data: bytes, frames: dict[str, pd.DataFrame], files: dict[str, str]):
    """define.xml's invariants: every variable of every dataset is described (ItemRef, ItemDef with
    a label, a method for a derived one), every codelist value occurs in the data, every coded value
    in the data is in its codelist, each dataset points at its file."""
    root = ET.fromstring(data)
    mdv = root.find("odm:Study/odm:MetaDataVersion", NS)
    item_defs = {i.get("OID"): i for i in mdv.findall("odm:ItemDef", NS)}
    methods = {m.get("OID") for m in mdv.findall("odm:MethodDef", NS)}
    lists = {c.get("OID"): c for c in mdv.findall("odm:CodeList", NS)}
    groups = {g.get("Name"): g for g in mdv.findall("odm:ItemGroupDef", NS)}
    assert set(groups) == set(frames)
    for name, frame in frames.items():
        group = groups[name]
        refs = group.findall("odm:ItemRef", NS)
        described = [item_defs[r.get("ItemOID")].get("Name") for r in refs]
        assert described == list(frame.columns), name
        assert group.find("def:leaf", NS).get(f"{{{NS['xlink']}}}href") == files[name]
        for ref in refs:
            item = item_defs[ref.get("ItemOID")]
            assert item.find("odm:Description/odm:TranslatedText", NS).text, item.get("Name")
            if item.find("def:Origin", NS).get("Type") == "Derived":
                assert ref.get("MethodOID") in methods
            codelist = item.find("odm:CodeListRef", NS)
            if codelist is not None:
                coded = {e.get("CodedValue") for e in lists[codelist.get("CodeListOID")]}
                present = set(frame[item.get("Name")].dropna().astype(str))
                assert present <= coded, (name, item.get("Name"), present - coded)
    for oid, codelist in lists.items():
        used = [
            (i.get("OID").split(".")[1], i.get("Name"))
            for i in item_defs.values()
            if i.find(f"odm:CodeListRef[@CodeListOID='{oid}']", NS) is not None
        ]
        present = set().union(*(set(frames[d][v].dropna().astype(str)) for d, v in used))
        for entry in codelist:
            assert entry.get("CodedValue") in present, (oid, entry.get("CodedValue"))


def test_define_xml_describes_every_variable_and_only_values_in_the_data():
    frames = datasets()
    files = {n: f"{n.lower()}.xpt" for n in frames}
    data = define_xml(frames, schemas(), LABELS, files, SETTINGS, "2025-06-30T00:00:00", "0.1.0")
    check_define(data, frames, files)
    root = ET.fromstring(data)
    assert root.get("{http://www.cdisc.org/ns/def/v2.1}Context") == "Submission"
    assert (
        root.find("odm:Study/odm:MetaDataVersion", NS).get("{http://www.cdisc.org/ns/def/v2.1}DefineVersion") == "2.1.0"
    )


def test_define_codelists_keep_config_order_and_leave_out_values_not_in_the_data():
    frames = datasets()
    frames["ADSL"] = frames["ADSL"][frames["ADSL"]["ARMCD"] == "ex"]  # no control participant left
    lists = codelists(frames, SETTINGS)
    assert lists["CL.ARMCD"]["values"] == {"ex": "Exercise +/- diet"}
    assert list(lists["CL.ADFT.PARAMCD"]["values"]) == ["GRIP", "GRIPREL"]
    assert lists["CL.NY"]["values"] == {"N": "No", "Y": "Yes"}


def test_define_invariant_check_can_fail():
    frames = datasets()
    files = {n: f"{n.lower()}.xpt" for n in frames}
    data = define_xml(frames, schemas(), LABELS, files, SETTINGS, "2025-06-30T00:00:00", "0.1.0")
    frames["ADLB"] = frames["ADLB"].assign(EXTRA=1.0)
    with pytest.raises(AssertionError):
        check_define(data, frames, files)


# --- SPSS -------------------------------------------------------------------------------------


def test_spss_names_are_valid_and_unique():
    taken = set()
    assert [spss_name(t, taken) for t in ["six-mwt", "6mwt", "BY", "by", "a_pre"]] == [
        "six_mwt", "v6mwt", "BY_2", "by_3", "a_pre"
    ]  # fmt: skip


def check_sav(path, participants: pd.DataFrame, analysis: pd.DataFrame, settings: dict):
    """The .sav read back (pyreadstat): a row per participant, a column per outcome x time
    holding the analysis data set's value, the arm coded with its labels, every variable labelled."""
    back, meta = pyreadstat.read_sav(str(path))
    assert sorted(back["participant_id"]) == sorted(participants["participant_id"])
    assert meta.variable_value_labels["arm"] == {float(i): a["label"] for i, a in enumerate(settings["arms"], start=1)}
    codes = {a["id"]: float(i) for i, a in enumerate(settings["arms"], start=1)}
    by_id = back.set_index("participant_id")
    assert all(
        by_id.loc[p, "arm"] == codes[a]
        for p, a in zip(participants["participant_id"], participants["arm"], strict=True)
    )
    assert all(meta.column_names_to_labels[c] for c in back.columns)
    n = 0
    for row in analysis.itertuples():
        column = f"{row.outcome}_{row.time}".replace("-", "_")
        assert by_id.loc[row.participant_id, column] == pytest.approx(row.value, rel=1e-15, abs=0), column
        n += 1
    values = back.drop(columns=["participant_id", "arm"]).filter(
        regex="_(" + "|".join(t["id"] for t in settings["time_points"]) + ")$"
    )
    assert values.notna().sum().sum() == n  # nothing beyond the analysis data set's values


def test_sav_reads_back_with_values_and_labels(tmp_path):
    wide = wide_data(PARTICIPANTS, ANALYSIS, SETTINGS)
    frame = wide["frame"]
    path = tmp_path / "a.sav"
    pyreadstat.write_sav(
        frame,
        str(path),
        column_labels=[wide["labels"][c] for c in frame.columns],
        variable_value_labels=wide["value_labels"],
    )
    check_sav(path, PARTICIPANTS, ANALYSIS, SETTINGS)
    back, meta = pyreadstat.read_sav(str(path))
    assert meta.variable_value_labels["sex"] == {1.0: "F", 2.0: "M"}
    assert meta.column_names_to_labels["BDNF_post"] == "BDNF (pg/mL), post"
    assert meta.column_names_to_labels["bmi"] == "BMI (kg/m²)"  # .sav is UTF-8: labels as configured


def test_sps_runs_one_glm_per_outcome_on_variables_of_the_sav():
    wide = wide_data(PARTICIPANTS, ANALYSIS, SETTINGS)
    syntax = glm_syntax(wide, "a.sav", SETTINGS)
    assert "GET FILE='a.sav'." in syntax
    assert [line.split()[1] for line in syntax.splitlines() if line.startswith("GLM ")] == [
        "BDNF_pre",
        "grip_pre",
        "grip_rel_pre",
    ]
    assert "GLM BDNF_pre BDNF_post BY arm\n  /WSFACTOR=time 2 Polynomial\n  /METHOD=SSTYPE(3)" in syntax
    one_arm = glm_syntax(wide, "a.sav", SETTINGS | {"arms": SETTINGS["arms"][:1]})
    assert "BY arm" not in one_arm and "/DESIGN=." in one_arm


# --- RTF --------------------------------------------------------------------------------------

HTML = """<html><body>
<table><caption><b>Table 3.</b> Results {x}.</caption>
<thead><tr><th rowspan="2">Variable</th><th colspan="2">Mean ± SD</th><th rowspan="2">Time</th></tr>
<tr><th>Control</th><th>Training</th></tr></thead>
<tbody><tr class="domain"><td colspan="4"><i>Serum × 2</i></td></tr>
<tr><td>BDNF_x</td><td>1.0 ± 0.1</td><td>2.0 ± 0.2</td><td>P&lt;0.0001</td></tr>
<tr><td></td><td></td><td></td><td>(η<sub>p</sub><sup>2</sup>=0.79)</td></tr></tbody></table>
<p class="note">Units: pg/mL. <span class="source">Source: results/stats/anova.csv.</span></p>
<table><caption>Input files.</caption><tr><td>x</td></tr></table>
</body></html>"""


def test_report_tables_keep_numbers_titles_spans_and_footnotes():
    (table,) = report_tables(HTML)  # the unnumbered table is not one of the report's tables
    assert table.number == "3" and table.title == "Table 3. Results {x}."
    assert table.header == [
        [("Variable", 1), ("Mean ± SD", 2), ("Time", 1)],
        [("", 1), ("Control", 1), ("Training", 1), ("", 1)],
    ]
    assert table.body == [
        ["Serum × 2", "", "", ""],
        ["BDNF_x", "1.0 ± 0.1", "2.0 ± 0.2", "P<0.0001"],
        ["", "", "", "(ηp²=0.79)"],
    ]
    assert table.footnote == "Units: pg/mL. Source: results/stats/anova.csv."


def test_rtf_escape_escapes_braces_backslashes_and_non_ascii():
    assert rtf_escape("a{b}\\c ² η") == "a\\{b\\}\\\\c \\uc1\\u178? \\uc1\\u951?"


def test_table_rtf_has_page_x_of_y_and_the_cells_unconverted():
    text = table_rtf(report_tables(HTML)[0], "Source: report.html")
    assert "Page \\chpgn  of {\\field{\\*\\fldinst NUMPAGES }}" in text
    assert "BDNF_x" in text  # rtflite's LaTeX-like conversion would make '_x' a subscript
    assert text.isascii() and "(\\uc1\\u951?p\\uc1\\u178?=0.79)" in text  # η, ² (rtflite left ² raw)
    assert text.startswith("{\\rtf1")


def rtf_text(path: Path, tmp_path: Path) -> str:
    """The RTF converted to plain text by LibreOffice (a second RTF reader); the test skips without it."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install -y libreoffice-writer-nogui")
    shutil.copy(path, tmp_path / "t.rtf")
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [soffice, "--headless", "--convert-to", "txt:Text (encoded):UTF8", "--outdir", str(tmp_path), str(tmp_path / "t.rtf")],
        check=True, capture_output=True, timeout=180, env=env,
    )  # fmt: skip
    return (tmp_path / "t.txt").read_text(encoding="utf-8-sig")


def test_rtf_opens_in_a_second_reader(tmp_path):
    path = tmp_path / "x.rtf"
    path.write_text(table_rtf(report_tables(HTML)[0], "Source: report.html"))
    text = rtf_text(path, tmp_path)
    for cell in [
        "Table 3. Results {x}.",
        "Mean ± SD",
        "BDNF_x",
        "1.0 ± 0.1",
        "P<0.0001",
        "(ηp²=0.79)",
        "Units: pg/mL.",
    ]:
        assert cell in text, cell
