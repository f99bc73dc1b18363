"""Table 2 and Table 3 as DOCX: the cells read back, and the bytes do not depend on the day."""

import datetime as dt
import subprocess
import sys
import zipfile

import docx
import pytest

from trialflow.docx_tables import tables_docx_bytes, write_tables_docx

TABLE2 = [
    {
        "group": "Control",
        "n": "15",
        "age": "37.1 ± 5.5",
        "height": "160.0 ± 5.2",
        "weight": "58.2 ± 9.7",
        "bmi": "22.6 ± 3.1",
    },
    {
        "group": "Training",
        "n": "15",
        "age": "36.2 ± 5.8",
        "height": "161.5 ± 6.1",
        "weight": "57.3 ± 10.8",
        "bmi": "22.0 ± 4.2",
    },
]
HEADERS = {"age": "age (year)", "height": "height (cm)", "weight": "weight (kg)", "bmi": "BMI (kg/m²)"}
TABLE3 = [
    {
        "variable": "BDNF",
        "time": "pre",
        "Control": "227.77 ± 26.30",
        "Training": "228.78 ± 60.46",
        "p_time": "P<0.0001",
        "p_groups": "P<0.0001",
        "p_interaction": "P<0.0001",
    },
    {"time": "post", "Control": "223.07 ± 10.85", "Training": "450.43 ± 24.31"},
    {"p_time": "(η²=0.79)", "p_groups": "(η²=0.88)", "p_interaction": "(η²=0.81)"},
    {
        "variable": "GDNF",
        "time": "pre",
        "Control": "103.51 ± 19.07",
        "Training": "101.78 ± 17.01",
        "p_time": "P<0.0001",
        "p_groups": "P<0.0001",
        "p_interaction": "P<0.0001",
    },
    {"time": "post", "Control": "94.60 ± 11.50", "Training": "188.05 ± 9.32"},
    {"p_time": "(η²=0.84)", "p_groups": "(η²=0.80)", "p_interaction": "(η²=0.89)"},
]
DATE = dt.date(2025, 6, 30)


def cells(table):
    return [[c.text for c in row.cells] for row in table.rows]


def test_tables_read_back(tmp_path):
    path = tmp_path / "tables.docx"
    write_tables_docx(TABLE2, TABLE3, path, date=DATE, table2_headers=HEADERS, table3_note="Units: pg/mL.")
    document = docx.Document(str(path))
    t2, t3 = document.tables
    assert cells(t2) == [
        ["Group", "N", "age (year)", "height (cm)", "weight (kg)", "BMI (kg/m²)"],
        ["Control", "15", "37.1 ± 5.5", "160.0 ± 5.2", "58.2 ± 9.7", "22.6 ± 3.1"],
        ["Training", "15", "36.2 ± 5.8", "161.5 ± 6.1", "57.3 ± 10.8", "22.0 ± 4.2"],
    ]
    assert cells(t3) == [
        ["Variable", "Time", "Mean ± SD", "Mean ± SD", "Time", "Groups", "Interaction"],  # merged cells repeat
        ["Variable", "Time", "Control", "Training", "Time", "Groups", "Interaction"],
        ["BDNF", "pre", "227.77 ± 26.30", "228.78 ± 60.46", "P<0.0001", "P<0.0001", "P<0.0001"],
        ["", "post", "223.07 ± 10.85", "450.43 ± 24.31", "", "", ""],
        ["", "", "", "", "(η²=0.79)", "(η²=0.88)", "(η²=0.81)"],
        ["GDNF", "pre", "103.51 ± 19.07", "101.78 ± 17.01", "P<0.0001", "P<0.0001", "P<0.0001"],
        ["", "post", "94.60 ± 11.50", "188.05 ± 9.32", "", "", ""],
        ["", "", "", "", "(η²=0.84)", "(η²=0.80)", "(η²=0.89)"],
    ]
    assert t3.cell(0, 2)._tc is t3.cell(0, 3)._tc  # "Mean ± SD" spans the arms
    assert t3.cell(0, 0)._tc is t3.cell(1, 0)._tc  # "Variable" spans both header rows
    texts = [p.text for p in document.paragraphs]
    assert texts[0].startswith("Table 2.") and "Units: pg/mL." in texts
    props = document.core_properties
    assert props.created == props.modified == dt.datetime(2025, 6, 30, tzinfo=dt.UTC)
    assert props.author == "trialflow" and props.revision == 1
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


def test_two_writes_are_byte_identical(tmp_path):
    write_tables_docx(TABLE2, TABLE3, tmp_path / "a.docx", date=DATE)
    write_tables_docx(TABLE2, TABLE3, tmp_path / "b.docx", date=DATE)
    a = (tmp_path / "a.docx").read_bytes()
    assert a == (tmp_path / "b.docx").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.docx") as z:
        assert {i.date_time for i in z.infolist()} == {(2025, 6, 30, 0, 0, 0)}
    assert tables_docx_bytes(TABLE2, TABLE3, date="2025-07-01") != a


def test_bytes_do_not_depend_on_the_process_or_clock(tmp_path):
    code = (
        "import sys; from trialflow.docx_tables import tables_docx_bytes; "
        "sys.stdout.buffer.write(tables_docx_bytes([{'group': 'A', 'n': '1'}], "
        "[{'variable': 'X', 'time': 'pre', 'A': '1'}], date='2025-06-30'))"
    )
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout for _ in range(2)]
    assert (
        runs[0]
        == runs[1]
        == tables_docx_bytes(
            [{"group": "A", "n": "1"}], [{"variable": "X", "time": "pre", "A": "1"}], date="2025-06-30"
        )
    )


def test_text_is_stored_literally(tmp_path):
    rows = [{"variable": "<script>alert(1)</script>", "time": "{{7*7}}", "Control": "a & b\x00c"}]
    path = tmp_path / "t.docx"
    write_tables_docx([], rows, path, date=DATE)
    t3 = docx.Document(str(path)).tables[0]
    assert cells(t3)[2][:3] == ["<script>alert(1)</script>", "{{7*7}}", "a & b\ufffdc"]


def test_unknown_keys_and_uneven_rows_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown keys \\['p_tme'\\]"):
        tables_docx_bytes([], [{"variable": "X", "Control": "1", "p_tme": "P=0.1"}], date=DATE, arms=["Control"])
    with pytest.raises(ValueError, match="table 2 row 2"):
        tables_docx_bytes([{"group": "A", "n": "1"}, {"group": "B"}], [], date=DATE)
