"""Reading rules of trialflow.readers, each on a small literal file written in tmp_path."""

import datetime as dt
import io
import zipfile

import openpyxl
import pytest

from trialflow import readers
from trialflow.identifiers import drop_identifiers, find_direct_identifiers
from trialflow.problems import Problem
from trialflow.readers import workbook


def _read(tmp_path, data: bytes | str, filename: str = "t.csv", **kw) -> readers.Table:
    path = tmp_path / filename
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return readers.read(path, filename, **kw)


def _rows(table: readers.Table) -> list[dict]:
    return table.frame.to_dict("records")


def _messages(table: readers.Table) -> list[str]:
    return [str(p) for p in table.problems]


def _workbook(tmp_path, rows, filename="t.xlsx", title="Sheet1", setup=None, sheet_xml=None) -> readers.Table:
    """Build a workbook with openpyxl; ``sheet_xml`` may rewrite the first sheet's XML as Excel would store it."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    if setup:
        setup(wb)
    buffer = io.BytesIO()
    wb.save(buffer)
    data = buffer.getvalue()
    if sheet_xml:
        data = rewrite_part(data, "xl/worksheets/sheet1.xml", sheet_xml)
    path = tmp_path / filename
    path.write_bytes(data)
    return readers.read(path, filename)


def rewrite_part(data: bytes, part: str, change) -> bytes:
    """The workbook ``data`` with one XML part replaced by ``change(text)``."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == part:
                changed = change(content.decode("utf-8")).encode("utf-8")
                assert changed != content, f"{part} was not changed"
                content = changed
            target.writestr(info.filename, content)
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# Encodings


@pytest.mark.parametrize(
    "encoding,expected",
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8"),
        ("utf-16", "utf-16"),  # with BOM: Excel "Unicode text"
        ("utf-16-le", "utf-16-le"),  # without BOM: recognised by its NUL bytes
        ("utf-16-be", "utf-16-be"),
        ("utf-32", "utf-32"),
        ("cp1252", "cp1252"),
    ],
)
def test_encodings_are_recognised_and_text_is_exact(tmp_path, encoding, expected):
    table = _read(tmp_path, "id\tunit\r\nP1\tµg/L – ü\r\n".encode(encoding))
    assert (table.encoding, table.delimiter) == (expected, "\t")
    assert _rows(table) == [{"id": "P1", "unit": "µg/L – ü", "_line": 2}]
    assert table.problems == []


def test_a_file_mixing_utf8_and_cp1252_is_refused_with_the_line(tmp_path):
    table = _read(tmp_path, b"id,unit\nP1,\xc2\xb5g/L\nP2,\xb5g/L\n")
    assert _messages(table) == [
        "t.csv, line 3: the file mixes encodings: it has UTF-8 characters, but byte 0xB5 on this line is not UTF-8; save the whole file as UTF-8 [encoding]"
    ]
    assert table.refused and table.rows_read == 2


def test_bytes_no_encoding_allows_are_refused(tmp_path):
    table = _read(tmp_path, b"id,unit\nP1,\x81\n")
    assert _messages(table) == [
        "t.csv, line 2: byte 0x81 on this line is not a character in UTF-8, UTF-16 or Windows-1252; save the file as UTF-8 [encoding]"
    ]


def test_nul_characters_refuse_a_text_file(tmp_path):
    table = _read(tmp_path, b"id,unit\nP1\x00,x\n")
    assert [p.rule for p in table.problems] == ["file_format"] and table.problems[0].line == "2"


def test_decode_is_kept_for_callers():
    assert readers.decode("a;b\n".encode("utf-16")) == ("a;b\n", "utf-16")
    with pytest.raises(ValueError, match="0x81"):
        readers.decode(b"a\n\x81")


# --------------------------------------------------------------------------------------------
# Delimiters, quotes, line numbers


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiter_is_taken_from_the_header(tmp_path, delimiter):
    table = _read(tmp_path, delimiter.join(["id", "a", "b"]) + "\n" + delimiter.join(["P1", "x y", "2"]) + "\n")
    assert table.delimiter == delimiter
    assert _rows(table) == [{"id": "P1", "a": "x y", "b": "2", "_line": 2}]


def test_quoted_delimiters_do_not_decide_the_delimiter(tmp_path):
    table = _read(tmp_path, '"weight, kg";"id"\n70,5;P1\n')
    assert table.delimiter == ";"
    assert _rows(table) == [{"weight, kg": "70,5", "id": "P1", "_line": 2}]


def test_excel_sep_line_names_the_delimiter(tmp_path):
    table = _read(tmp_path, "sep=;\nid;a,b\nP1;1,5\n")
    assert table.delimiter == ";" and table.header_line == 2
    assert _rows(table) == [{"id": "P1", "a,b": "1,5", "_line": 3}]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_numbers_are_what_an_editor_shows(tmp_path, newline):
    text = newline.join(["", "id,note", "P1,a", "", 'P2,"two', 'lines"', "P3,c", ""])
    table = _read(tmp_path, text)
    assert table.header_line == 2
    assert [(r["id"], r["_line"]) for r in _rows(table)] == [("P1", 3), ("P2", 5), ("P3", 7)]
    assert table.row_lines == [3, 5, 7]


def test_unpaired_quotes_reject_that_line_only(tmp_path):
    table = _read(tmp_path, 'id,a\n"P1"x,1\nP2,2\n')
    assert [r["id"] for r in _rows(table)] == ["P2"]
    assert _messages(table) == [
        "t.csv, line 2: the quotes on this line do not pair up (a closing quote must be followed by the delimiter); put the whole cell in quotes and double any quote inside it [quotes]"
    ]


def test_a_quote_never_closed_names_the_lines_it_swallowed(tmp_path):
    table = _read(tmp_path, 'id,a\nP1,1\n"P2,2\nP3,3\n')
    assert [r["id"] for r in _rows(table)] == ["P1"]
    assert _messages(table) == [
        "t.csv, line 3: a quote opened on this line is never closed, so lines 3 to 4 could not be read; close the quote or remove it [quotes]"
    ]
    assert table.row_lines == [2, 3]


def test_a_cell_longer_than_the_csv_limit_is_an_error_not_a_crash(tmp_path):
    table = _read(tmp_path, 'id,a\nP1,"' + "x" * 200_000 + '"\nP2,2\n')
    assert [p.rule for p in table.problems] == ["quotes"]
    assert "longer than" in table.problems[0].message
    assert [r["id"] for r in _rows(table)] == ["P2"]


# --------------------------------------------------------------------------------------------
# Header and row shape


def test_blank_rows_trailing_empty_columns_and_cell_spaces(tmp_path):
    table = _read(tmp_path, "\n id , a ,,\n P1 , 1 ,,\n,,,\n\n")
    assert _rows(table) == [{"id": "P1", "a": "1", "_line": 3}]
    assert table.problems == [] and table.rows_read == 1


def test_an_extra_field_rejects_the_row(tmp_path):
    table = _read(tmp_path, "id,a\nP1,1,oops\nP2,2\n")
    assert _messages(table) == [
        "t.csv, line 2: this row has 3 fields but the header has 2; a stray delimiter would shift every column after it (value 'P1,1,oops') [row_width]"
    ]
    assert [r["id"] for r in _rows(table)] == ["P2"]


def test_a_missing_field_rejects_the_row_and_hints_at_another_delimiter(tmp_path):
    table = _read(tmp_path, "id,a,b\nP1;1;2\nP2,2\n")
    assert _messages(table) == [
        "t.csv, line 2, column 'a': this row has 1 field but the header has 3; a missing value or delimiter would shift every column after it (this row seems to be separated by ';', the header by ',') (value 'P1;1;2') [row_width]",
        "t.csv, line 3, column 'b': this row has 2 fields but the header has 3; a missing value or delimiter would shift every column after it (value 'P2,2') [row_width]",
    ]
    assert len(table.frame) == 0 and table.rows_read == 2


@pytest.mark.parametrize(
    "header,expected",
    [
        (
            "id,a,a",
            "t.csv, line 1, column 'a': this column name appears twice in the header (value 'a') [header_unique]",
        ),
        ("id,,a", "t.csv, line 1, column '#2': column 2 of the header has no name [header_named]"),
        (
            "id,a\u200b",
            "t.csv, line 1, column '#2': the name of column 2 of the header contains an invisible or control character (value 'a\\u200b') [header_text]",
        ),
    ],
)
def test_a_header_that_cannot_tell_columns_apart_refuses_the_file(tmp_path, header, expected):
    table = _read(tmp_path, header + "\nP1,1,2\nP2,1,2\n")
    assert _messages(table) == [expected]
    assert table.refused and len(table.frame) == 0 and table.rows_read == 2


def test_a_bom_on_the_header_is_not_part_of_the_name(tmp_path):
    table = _read(tmp_path, "\ufeff\ufeffid,a\nP1,1\n")
    assert list(table.frame.columns) == ["id", "a", "_line"] and table.problems == []


@pytest.mark.parametrize(
    "data,expected",
    [
        (b"", "t.csv: the file has no header row [file_not_empty]"),
        (b" \r\n\t\r\n", "t.csv: the file has no header row [file_not_empty]"),
        (b"sep=,\n", "t.csv: the file has no header row [file_not_empty]"),
        (b"id,a\n\n,\n", "t.csv, line 1: the file has a header row but no data rows [rows_present]"),
    ],
)
def test_empty_and_header_only_files_are_errors(tmp_path, data, expected):
    table = _read(tmp_path, data)
    assert _messages(table) == [expected]
    assert table.rows_read == 0


def test_a_missing_file_is_a_problem_not_a_traceback(tmp_path):
    table = readers.read(tmp_path / "absent.csv", "absent.csv")
    assert [p.rule for p in table.problems] == ["file_readable"]


def test_leading_zeros_and_text_are_kept_exactly(tmp_path):
    table = _read(tmp_path, "id,a\n007,0012.50\n")
    assert _rows(table) == [{"id": "007", "a": "0012.50", "_line": 2}]


# --------------------------------------------------------------------------------------------
# Numbers, decimal commas and instrument marks


@pytest.mark.parametrize(
    "text,decimal_comma,value",
    [
        ("12.5", False, 12.5),
        (" -0.5 ", False, -0.5),
        ("+3", False, 3.0),
        (".5", False, 0.5),
        ("5.", False, 5.0),
        ("1.5E-3", False, 0.0015),
        ("12,5", True, 12.5),
        ("-,5", True, -0.5),
        ("12.5", True, 12.5),  # a point is a decimal point in every file
        ("12,5", False, None),
        ("1.234,5", True, None),
        ("1,234.5", False, None),
        ("1,234,567", True, None),
        ("1_000", False, None),
        ("\u0664\u0660", False, None),  # Arabic-Indic digits: float() would read 40
        ("\uff14\uff10", False, None),  # full-width digits
        ("nan", False, None),
        ("inf", False, None),
        ("1e999", False, None),
        ("0x10", False, None),
        ("", False, None),
        ("12 5", False, None),
    ],
)
def test_parse_number(text, decimal_comma, value):
    assert readers.parse_number(text, decimal_comma) == value


@pytest.mark.parametrize(
    "text,flag",
    [
        ("OVER", "saturated"),
        ("ovrflw", "saturated"),
        ("****", "saturated"),
        ("Range?", "out_of_range"),
        ("OOR >", "out_of_range"),
        ("> ULOQ", "out_of_range"),
        ("????", "out_of_range"),
        (">2000", "out_of_range"),
        ("<LLOQ", "below_lloq"),
        ("< lloq", "below_lloq"),
        ("OOR <", "below_lloq"),
        ("BLQ", "below_lloq"),
        ("<15,6", "below_lloq"),
        ("n.d.", "not_determined"),
        ("N/A", "not_determined"),
        ("#N/A", "not_determined"),
        ("NaN", "not_determined"),
        ("12.5", None),
        ("-1", None),
        ("", None),
        ("*", None),
        ("control", None),
    ],
)
def test_classify_sentinel(text, flag):
    assert readers.classify_sentinel(text) == flag


@pytest.mark.parametrize(
    "text,decimal_comma,rule,message",
    [
        ("", False, "number", "conc is empty; write a plain number such as 57.3"),
        ("abc", False, "number", "conc is not a number; write a plain number such as 57.3"),
        (
            "OVER",
            False,
            "sentinel",
            "conc is an instrument mark, not a number: the signal saturated the reader (saturated); a mark is never turned into a number, so enter the value or remove the row",
        ),
        (
            "<LLOQ",
            True,
            "sentinel",
            "conc is an instrument mark, not a number: the value is below the lower limit of quantification (below_lloq); a mark is never turned into a number, so enter the value or remove the row",
        ),
        (
            "#div/0!",
            False,
            "number",
            "conc is the spreadsheet error #DIV/0!: the formula that made it failed; write a plain number such as 57.3",
        ),
        (
            "1.234,5",
            True,
            "number_format",
            "conc has a thousands separator or more than one decimal mark; which mark is the decimal one is never guessed, so write the number without separators, such as 1234.5",
        ),
        (
            "12,5",
            False,
            "number_format",
            "conc has a decimal comma, which is read only in text files separated by ';' or tab, not in a comma-separated file; write 12.5",
        ),
    ],
)
def test_check_number_says_why(text, decimal_comma, rule, message):
    assert readers.check_number(text, "conc", decimal_comma) == (None, rule, message)


@pytest.mark.parametrize("delimiter,decimal_comma", [(",", False), (";", True), ("\t", True)])
def test_decimal_comma_rule_follows_the_delimiter(tmp_path, delimiter, decimal_comma):
    table = _read(tmp_path, f'id{delimiter}conc\nP1{delimiter}"12,5"\n')
    assert table.decimal_comma is decimal_comma
    assert table.number(table.frame["conc"].iloc[0]) == (12.5 if decimal_comma else None)
    assert table.check_number("12.5", "conc") == (12.5, "", "")


# --------------------------------------------------------------------------------------------
# Direct identifiers


def test_find_direct_identifiers_ignores_case_spacing_and_punctuation():
    columns = [
        "participant_id",
        "Name",
        "First Name",
        "surname",
        "E-mail",
        "email",
        "Phone",
        "telephone",
        "Mobile",
        "Address",
        "street",
        "Post code",
        "ZIP",
        "Date of Birth",
        "DOB",
        "birth_date",
        "NHS_Number",
        "SSN",
        "MRN",
        "analyte_name",
        "sample_date",
        "arm",
        "age_years",
    ]
    assert find_direct_identifiers(columns) == columns[1:19]


def test_identifier_columns_are_dropped_with_a_warning_and_never_read(tmp_path):
    table = _read(tmp_path, "id,Name,a,E-mail\nP1,Jane Roe,1,jane@example.org\nP2,John,2\n")
    assert list(table.frame.columns) == ["id", "a", "_line"]
    assert _messages(table) == [
        "t.csv, line 1, column 'Name': column 'Name' looks like a direct identifier; it was dropped and never reaches results or reports [direct_identifier]",
        "t.csv, line 1, column 'E-mail': column 'E-mail' looks like a direct identifier; it was dropped and never reaches results or reports [direct_identifier]",
        # the short row is an error, but its cells are not quoted: they may hold the identifiers
        "t.csv, line 3, column 'E-mail': this row has 3 fields but the header has 4; a missing value or delimiter would shift every column after it [row_width]",
    ]
    assert "Jane" not in repr(table) and "jane@" not in repr(table) and "John" not in repr(table)


def test_drop_identifiers_helper_for_other_tables():
    import pandas as pd

    frame, problems = drop_identifiers(pd.DataFrame({"id": ["P1"], "DOB": ["1970-01-01"]}), "x.csv")
    assert list(frame.columns) == ["id"]
    assert [(p.file, p.line, p.column, p.value, p.severity) for p in problems] == [("x.csv", "1", "DOB", "", "warning")]


# --------------------------------------------------------------------------------------------
# Workbooks


def test_workbook_cells_become_the_text_a_person_sees(tmp_path):
    table = _workbook(
        tmp_path,
        [
            ["id", "n", "x", "flag", "when", "text"],
            [7, 40, 163.2, True, dt.datetime(2020, 1, 31), "007"],
            [12345678901234, 1e-05, 0.3, False, dt.datetime(2020, 1, 31, 12, 30), "  padded  "],
        ],
        # Excel stores 17 significant digits and shows 15; the text is what Excel shows
        sheet_xml=lambda xml: xml.replace("<v>163.2</v>", "<v>163.19999999999999</v>").replace(
            "<v>0.3</v>", "<v>0.30000000000000004</v>"
        ),
    )
    assert table.kind == "workbook" and table.sheet == "Sheet1" and table.problems == []
    assert _rows(table) == [
        {"id": "7", "n": "40", "x": "163.2", "flag": "TRUE", "when": "2020-01-31", "text": "007", "_line": 2},
        {
            "id": "12345678901234",
            "n": "1e-05",
            "x": "0.3",
            "flag": "FALSE",
            "when": "2020-01-31 12:30:00",
            "text": "padded",
            "_line": 3,
        },
    ]


@pytest.mark.parametrize(
    "epoch,date", [(None, "1900-01-01"), (openpyxl.utils.datetime.CALENDAR_MAC_1904, "1904-01-02")]
)
def test_both_excel_date_systems(tmp_path, epoch, date):
    def setup(wb):
        ws = wb.active
        ws["B2"].number_format = "yyyy-mm-dd"  # serial number 1, shown as a date
        if epoch:
            wb.epoch = epoch

    table = _workbook(tmp_path, [["id", "visit"], ["P1", 1]], setup=setup)
    assert table.frame["visit"].tolist() == [date]


def test_workbook_rows_are_sheet_row_numbers_and_problems_name_cells(tmp_path):
    table = _workbook(
        tmp_path,
        [[], ["id", "a", "b"], ["P1", 1, 2], [], ["P2", 3, 4, "stray"], ["P3", "=A3*2", 5]],
        title="Lab Data",
    )
    assert table.header_line == 2 and table.row_lines == [3, 5, 6]
    assert _rows(table) == [{"id": "P1", "a": "1", "b": "2", "_line": 3}]
    assert _messages(table) == [
        "t.xlsx, line 'Lab Data'!D5: this row has a value in a column beyond the header's 3; a shifted row would put values under the wrong names (value 'stray') [row_width]",
        "t.xlsx, line 'Lab Data'!B6, column 'a': this cell holds a formula without a saved result (the workbook was written by a program that does not calculate); open and save it in Excel, or paste the values (value '=A3*2') [formula_result]",
    ]
    assert table.place(3, "b") == "'Lab Data'!C3" and table.place(3, "bmi") == "'Lab Data'!3"
    moved = table.locate(
        [Problem("t.xlsx", "3", "b", "2", "r", "error", "m"), Problem("other.csv", "3", "b", "", "r", "error", "m")]
    )
    assert [p.line for p in moved] == ["'Lab Data'!C3", "3"]


def test_an_excel_error_value_is_an_error(tmp_path):
    def setup(wb):
        wb.active["B2"].data_type = "e"

    table = _workbook(tmp_path, [["id", "a"], ["P1", "#DIV/0!"]], setup=setup)
    assert _messages(table) == [
        "t.xlsx, line Sheet1!B2, column 'a': this cell holds the Excel error #DIV/0!: the formula that made it failed (value '#DIV/0!') [cell_error]"
    ]


def test_first_visible_sheet_is_read_and_other_sheets_are_named(tmp_path):
    def setup(wb):
        wb.active.sheet_state = "hidden"
        data = wb.create_sheet("Data")
        data.append(["id", "a"])
        data.append(["P1", 1])
        notes = wb.create_sheet("Notes")
        notes["A1"] = "nothing to see"
        wb.create_sheet("Empty")

    table = _workbook(tmp_path, [["id", "a"], ["OLD", 0]], title="Old", setup=setup)
    assert table.sheet == "Data" and _rows(table) == [{"id": "P1", "a": "1", "_line": 2}]
    assert _messages(table) == [
        "t.xlsx: sheet 'Old' (hidden) was not read: one sheet is read per file, here 'Data' [sheet_unread]",
        "t.xlsx: sheet 'Notes' was not read: one sheet is read per file, here 'Data' [sheet_unread]",
    ]


def test_a_configured_sheet_is_read_even_if_hidden_and_a_missing_one_is_named(tmp_path):
    def setup(wb):
        wb.active.sheet_state = "hidden"
        wb.create_sheet("Data").append(["id"])

    _workbook(tmp_path, [["id", "a"], ["OLD", 0]], title="Old", setup=setup)
    table = readers.read(tmp_path / "t.xlsx", "t.xlsx", sheet="Old")
    assert table.frame["id"].tolist() == ["OLD"]
    missing = readers.read(tmp_path / "t.xlsx", "t.xlsx", sheet="Results")
    assert _messages(missing) == [
        "t.xlsx: the workbook has no sheet named 'Results' (sheets: 'Old', 'Data') [file_format]"
    ]


def test_identifier_columns_of_a_workbook_are_never_read(tmp_path):
    table = _workbook(tmp_path, [["id", "Surname"], ["P1", '=CONCAT("Ro","e")']])
    assert list(table.frame.columns) == ["id", "_line"]
    assert _messages(table) == [
        "t.xlsx, line Sheet1!B1, column 'Surname': column 'Surname' looks like a direct identifier; it was dropped and never reaches results or reports [direct_identifier]"
    ]


def test_a_workbook_is_recognised_by_content_not_name(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["id"])
    wb.active.append(["P1"])
    buffer = io.BytesIO()
    wb.save(buffer)
    table = _read(tmp_path, buffer.getvalue(), filename="export.csv")
    assert table.kind == "workbook" and table.frame["id"].tolist() == ["P1"]


@pytest.mark.parametrize(
    "data,filename,expected",
    [
        (b"id,a\nP1,1\n", "t.xlsx", "t.xlsx: the file is named .xlsx but is not an Excel workbook [file_format]"),
        (
            readers.OLE_MAGIC + b"\x00" * 100,
            "t.xls",
            "t.xls: this is an old-style Excel .xls workbook or a password-protected one; save it as .xlsx without a password, or as CSV [file_format]",
        ),
        (
            b"PK\x03\x04broken",
            "t.xlsx",
            "t.xlsx: the file is not a readable .xlsx workbook (File is not a zip file) [file_format]",
        ),
    ],
)
def test_files_that_are_not_workbooks(tmp_path, data, filename, expected):
    table = _read(tmp_path, data, filename=filename)
    assert _messages(table) == [expected] and table.refused


def test_a_zip_that_is_not_a_workbook(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("hello.txt", "hi")
    table = _read(tmp_path, buffer.getvalue(), filename="t.xlsx")
    assert [p.rule for p in table.problems] == ["file_format"]
    assert table.problems[0].message.startswith("the file is not a readable .xlsx workbook (")


def test_a_workbook_that_unpacks_too_large_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(workbook, "MAX_WORKBOOK_BYTES", 1000)  # the limit the workbook reader applies
    table = _workbook(tmp_path, [["id"], ["P1"]])
    assert [p.rule for p in table.problems] == ["file_format"] and "MB allowed" in table.problems[0].message


# --------------------------------------------------------------------------------------------
# Row balance


def test_row_balance_counts_distinct_rejected_rows(tmp_path):
    table = _read(tmp_path, "id,a\nP1,1\nP2,2\nP3,3,x\n")
    errors = [Problem("t.csv", "3", "a", "2", "r", "error", "m"), Problem("t.csv", "3", "id", "P2", "r", "error", "m")]
    balance = readers.row_balance(table, 1, table.problems + errors)
    assert (balance.read, balance.accepted, balance.rejected, balance.ok) == (3, 1, 2, True)
    assert not readers.row_balance(table, 2, table.problems + errors).ok  # a row counted twice


def test_row_balance_of_a_refused_file_counts_every_row_rejected(tmp_path):
    table = _read(tmp_path, "id,id\nP1,1\nP2,2\n")
    assert readers.row_balance(table, 0, table.problems) == readers.RowBalance(2, 0, 2)
    assert not readers.row_balance(table, 1, table.problems).ok
