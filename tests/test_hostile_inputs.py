"""Hostile inputs: every bad file gets a clear answer, nothing is lost, nothing leaks.

Part 1 is a corpus of bad (and awkward but valid) participants and concentrations files,
read through ``trialflow.ingest`` exactly as the pipeline reads them. Each case states the
exact problems expected (``str(problem)``: file, line or cell, column, message, value, rule)
and the rows accepted, and every case must balance: rows read = rows accepted + rows
rejected. Files are generated here from literal text or bytes (encodings, NULs) or built with
openpyxl (workbooks), so each case is readable where it is declared.

Part 2 checks what leaves the pipeline: CSV outputs neutralise spreadsheet formulas, the report's
Jinja environment escapes everything and refuses undefined names, and the PDF renderer refuses
to load anything outside the package and the figures, before any fetch.
"""

from __future__ import annotations

import csv
import io
import socket
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

import jinja2
import openpyxl
import pandas as pd
import pytest

from tests.conftest import demo_characteristics
from trialflow import ingest, readers
from trialflow.outputs import neutralise_formulas, write_csv
from trialflow.problems import problems_frame

ARMS = ["control", "training"]
TIMES = ["pre", "post"]
UNITS = {"BDNF": "pg/mL", "GDNF": "pg/mL"}
P_HEADER = "participant_id,arm,age_years,height_cm,weight_kg\n"
P_GOOD = "P0,control,40,160.0,60.0\n"  # line 2 of most participants cases: must survive
C_HEADER = "participant_id,time,analyte,concentration,unit\n"
C_GOOD = "P1,pre,BDNF,200,pg/mL\n"  # line 2 of most concentrations cases: must survive

INJECTIONS = ["<script>alert(1)</script>", "<img src=file:///etc/passwd>", '=HYPERLINK("http://x","y")', "{{7*7}}"]

# Cases marked patch=True need the ingest patch that reads through readers.read (decimal-comma rule,
# instrument marks, Sheet!cell names, unused-column warnings, no column noise after a refused file).
INGEST_PATCHED = hasattr(ingest, "Table")
needs_ingest_patch = pytest.mark.xfail(
    not INGEST_PATCHED, strict=True, reason="needs the ingest patch (ingest reading through readers.read)"
)


def xlsx(rows, title="Sheet1", setup=None, sheet_xml=None) -> Callable[[], bytes]:
    """A workbook built by openpyxl (rows appended from A1); ``setup(wb)`` may change it further,
    ``sheet_xml`` rewrites the first sheet's XML."""

    def build() -> bytes:
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
            data = _rewrite_part(data, "xl/worksheets/sheet1.xml", sheet_xml)
        return data

    return build


def _rewrite_part(data: bytes, part: str, change) -> bytes:
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


def _hidden_first_sheet(wb):
    wb.active.sheet_state = "hidden"
    ws = wb.create_sheet("Participants")
    for row in [["participant_id", "arm", "age_years", "height_cm", "weight_kg"], ["P1", "training", 41, 170, 70]]:
        ws.append(row)


def _error_cell(cell):
    def setup(wb):
        wb.active[cell].data_type = "e"

    return setup


def _xxe(xml: str) -> str:
    """An XML external entity pointing at a local file, used in a cell."""
    xml = xml.replace("<worksheet", '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><worksheet', 1)
    return xml.replace("<t>P1</t>", "<t>&xxe;</t>")


@dataclass
class Case:
    id: str
    data: bytes | str | Callable[[], bytes]
    expected: list[str]
    accepted: list[str] = field(default_factory=list)  # participant_id of the accepted rows, in order
    filename: str = ""
    patch: bool = False  # expected output needs the ingest patch
    values: dict[str, float] = field(default_factory=dict)  # numeric column -> value in the first accepted row


def P(msg: str, line: int | str = 3, column: str = "") -> str:  # noqa: N802 - reads like the message
    where = f"participants.csv, line {line}" + (f", column {column!r}" if column else "")
    return f"{where}: {msg}"


def C(msg: str, line: int | str = 3, column: str = "") -> str:  # noqa: N802
    where = f"concentrations.csv, line {line}" + (f", column {column!r}" if column else "")
    return f"{where}: {msg}"


NUMBER = "is not a number; write a plain number such as 57.3"
MISSING = "empty: the value is missing (the participant is kept; the baseline table counts who has a value)"
ID_RULE = "Participant ID must start with a letter or digit and contain only letters, digits, '_', '.', '-'"
ID_CHECK = "[str_matches('^[A-Za-z0-9][A-Za-z0-9_.-]*$')]"
IDENTIFIER = "looks like a direct identifier; it was dropped and never reaches results or reports [direct_identifier]"
UNUSED = "this column is not one trialflow reads; it was ignored [column_unused]"
MARK = "is an instrument mark, not a number: {words} ({flag}); a mark is never turned into a number, so enter the value or remove the row (value {value!r}) [sentinel]"
FORMULA = "this cell holds a formula without a saved result (the workbook was written by a program that does not calculate); open and save it in Excel, or paste the values"
ARM = "arm {0!r} is not one of control, training (as configured) (value {0!r}) [arm_known]"
PH = P_HEADER.strip().split(",")  # participants header as a workbook row


PARTICIPANT_CASES = [
    # --- every rule of ingest and the Participants schema --------------------------------------
    Case("arm_unknown", P_HEADER + P_GOOD + "P1,placebo,40,160,60\n", [P(ARM.format("placebo"), column="arm")], ["P0"]),
    Case(
        "age_not_a_number",
        P_HEADER + P_GOOD + "P1,control,forty,160,60\n",
        [P(f"age_years {NUMBER} (value 'forty') [number]", column="age_years")],
        ["P0"],
    ),
    Case(
        "weight_empty",  # a missing baseline value: the participant is kept, the cell named in a warning
        P_HEADER + P_GOOD + "P1,control,40,160,\n",
        [P(f"{MISSING} [value_missing]", column="weight_kg")],
        ["P0", "P1"],
    ),
    Case(
        "age_below_18",
        P_HEADER + P_GOOD + "P1,control,17,160,60\n",
        [P("age (year) must be between 18 and 100 (value '17.0') [in_range(18, 100)]", column="age_years")],
        ["P0"],
    ),
    Case(
        "age_above_100",
        P_HEADER + P_GOOD + "P1,control,100.5,160,60\n",
        [P("age (year) must be between 18 and 100 (value '100.5') [in_range(18, 100)]", column="age_years")],
        ["P0"],
    ),
    Case(
        "height_below_100",
        P_HEADER + P_GOOD + "P1,control,40,99.9,60\n",
        [P("height (cm) must be between 100 and 230 (value '99.9') [in_range(100, 230)]", column="height_cm")],
        ["P0"],
    ),
    Case(
        "height_above_230",
        P_HEADER + P_GOOD + "P1,control,40,231,60\n",
        [P("height (cm) must be between 100 and 230 (value '231.0') [in_range(100, 230)]", column="height_cm")],
        ["P0"],
    ),
    Case(
        "weight_below_25",
        P_HEADER + P_GOOD + "P1,control,40,160,24.9\n",
        [P("weight (kg) must be between 25 and 300 (value '24.9') [in_range(25, 300)]", column="weight_kg")],
        ["P0"],
    ),
    Case(
        "weight_above_300",
        P_HEADER + P_GOOD + "P1,control,40,160,300.5\n",
        [P("weight (kg) must be between 25 and 300 (value '300.5') [in_range(25, 300)]", column="weight_kg")],
        ["P0"],
    ),
    Case(
        "id_with_space",
        P_HEADER + P_GOOD + "P 1,control,40,160,60\n",
        [P(f"{ID_RULE} (value 'P 1') {ID_CHECK}", column="participant_id")],
        ["P0"],
    ),
    Case(
        "id_starts_with_underscore",
        P_HEADER + P_GOOD + "_P1,control,40,160,60\n",
        [P(f"{ID_RULE} (value '_P1') {ID_CHECK}", column="participant_id")],
        ["P0"],
    ),
    Case(
        "id_empty",
        P_HEADER + P_GOOD + ",control,40,160,60\n",
        [P(f"{ID_RULE} {ID_CHECK}", column="participant_id")],
        ["P0"],
    ),
    Case(
        "id_duplicated",
        P_HEADER + P_GOOD + "P1,control,40,160,60\nP1,training,41,161,61\n",
        [
            P(
                "Participant ID appears more than once for the same key (value 'P1') [multiple_fields_uniqueness]",
                3,
                "participant_id",
            ),
            P(
                "Participant ID appears more than once for the same key (value 'P1') [multiple_fields_uniqueness]",
                4,
                "participant_id",
            ),
        ],
        ["P0"],
    ),
    Case(
        "column_missing",
        "participant_id,arm,age_years,height_cm\nP1,control,40,160\n",
        [
            P(
                "required column 'weight_kg' is missing (columns found: participant_id, arm, age_years, height_cm) [column_present]",
                1,
                "weight_kg",
            )
        ],
    ),
    Case(
        "header_duplicated",
        "participant_id,arm,age_years,height_cm,weight_kg,weight_kg\nP1,control,40,160,60,61\n",
        [P("this column name appears twice in the header (value 'weight_kg') [header_unique]", 1, "weight_kg")],
        patch=True,
    ),
    Case(
        "header_blank",
        "participant_id,arm,,height_cm,weight_kg\nP1,control,40,160,60\n",
        [P("column 3 of the header has no name [header_named]", 1, "#3")],
        patch=True,
    ),
    Case(
        "header_invisible_character",
        "participant_id,arm\u200b,age_years,height_cm,weight_kg\nP1,control,40,160,60\n",
        [
            P(
                "the name of column 2 of the header contains an invisible or control character (value 'arm\\u200b') [header_text]",
                1,
                "#2",
            )
        ],
        patch=True,
    ),
    # --- row shape, quotes, delimiters ---------------------------------------------------------
    Case(
        "extra_field",
        P_HEADER + P_GOOD + "P1,control,40,160,60,extra\n",
        [
            P(
                "this row has 6 fields but the header has 5; a stray delimiter would shift every column after it (value 'P1,control,40,160,60,extra') [row_width]"
            )
        ],
        ["P0"],
    ),
    Case(
        "extra_field_from_decimal_comma",
        P_HEADER + P_GOOD + "P1,control,40,160,60,5\n",
        [
            P(
                "this row has 6 fields but the header has 5; a stray delimiter would shift every column after it (value 'P1,control,40,160,60,5') [row_width]"
            )
        ],
        ["P0"],
    ),
    Case(
        "missing_field",
        P_HEADER + P_GOOD + "P1,control,40,160\n",
        [
            P(
                "this row has 4 fields but the header has 5; a missing value or delimiter would shift every column after it (value 'P1,control,40,160') [row_width]",
                column="weight_kg",
            )
        ],
        ["P0"],
    ),
    Case(
        "row_with_other_delimiter",
        P_HEADER + P_GOOD + "P1;control;40;160;60\n",
        [
            P(
                "this row has 1 field but the header has 5; a missing value or delimiter would shift every column after it (this row seems to be separated by ';', the header by ',') (value 'P1;control;40;160;60') [row_width]",
                column="arm",
            )
        ],
        ["P0"],
    ),
    Case(
        "quotes_unpaired",
        P_HEADER + P_GOOD + '"P1"x,control,40,160,60\nP2,training,41,161,61\n',
        [
            P(
                "the quotes on this line do not pair up (a closing quote must be followed by the delimiter); put the whole cell in quotes and double any quote inside it [quotes]"
            )
        ],
        ["P0", "P2"],
    ),
    Case(
        "quote_never_closed",
        P_HEADER + P_GOOD + '"P1,control,40,160,60\nP2,training,41,161,61\n',
        [
            P(
                "a quote opened on this line is never closed, so lines 3 to 4 could not be read; close the quote or remove it [quotes]"
            )
        ],
        ["P0"],
    ),
    Case(
        "cell_longer_than_csv_limit",
        P_HEADER + P_GOOD + 'P1,"' + "x" * 140_000 + '",40,160,60\n',
        [P("a cell here is longer than 131072 characters [quotes]")],
        ["P0"],
    ),
    Case(
        "trailing_blank_rows_and_columns",
        P_HEADER.strip() + ",,\n" + "P1,control,40,160,60,,\n,,,,,,\n\n\n",
        [],
        ["P1"],
        values={"age_years": 40.0, "height_cm": 160.0, "weight_kg": 60.0},
    ),
    Case("excel_sep_line", "sep=;\n" + P_HEADER.replace(",", ";") + "P1;control;40;160;60\n", [], ["P1"]),
    Case(
        "cr_only_line_ends",
        (P_HEADER + P_GOOD + "P1,placebo,40,160,60\n").replace("\n", "\r"),
        [P(ARM.format("placebo"), column="arm")],
        ["P0"],
    ),
    Case(
        "multi_line_id",
        P_HEADER + P_GOOD + '"P\n1",control,40,160,60\n',
        [P(f"{ID_RULE} (value 'P\\n1') {ID_CHECK}", column="participant_id")],
        ["P0"],
    ),
    # --- empty files -----------------------------------------------------------------------------
    Case("empty_file", b"", ["participants.csv: the file has no header row [file_not_empty]"], patch=True),
    Case(
        "blank_lines_only",
        b"\r\n \r\n\t\r\n",
        ["participants.csv: the file has no header row [file_not_empty]"],
        patch=True,
    ),
    Case("header_only", P_HEADER, [P("the file has a header row but no data rows [rows_present]", 1)]),
    Case(
        "header_and_blank_rows",
        P_HEADER + ",,,,\n\n",
        [P("the file has a header row but no data rows [rows_present]", 1)],
    ),
    # --- encodings -----------------------------------------------------------------------------
    Case("utf8_bom", (P_HEADER + "P1,control,40,160,60\n").encode("utf-8-sig"), [], ["P1"]),
    Case(
        "utf16_unicode_text_with_decimal_commas",
        (P_HEADER.replace(",", "\t") + "P1\tcontrol\t40\t160\t60,5\r\n").encode("utf-16"),
        [],
        ["P1"],
        values={"weight_kg": 60.5},
        patch=True,
    ),
    Case("utf16_without_bom", (P_HEADER + "P1,control,40,160,60\n").replace(",", "\t").encode("utf-16-le"), [], ["P1"]),
    Case(
        "cp1252_text_is_decoded",
        (P_HEADER + "P1,contrôle,40,160,60\n").encode("cp1252"),
        [P(ARM.format("contrôle"), 2, "arm")],
    ),
    Case(
        "mixed_utf8_and_cp1252",
        "participant_id,arm,age_years,height_cm,weight_kg\nP1,contrôle,40,160,60\n".encode()
        + b"P2,contr\xf4le,40,160,60\n",
        [
            P(
                "the file mixes encodings: it has UTF-8 characters, but byte 0xF4 on this line is not UTF-8; save the whole file as UTF-8 [encoding]"
            )
        ],
        patch=True,
    ),
    Case(
        "byte_outside_every_encoding",
        P_HEADER.encode() + b"P1,control,4\x810,160,60\n",
        [
            P(
                "byte 0x81 on this line is not a character in UTF-8, UTF-16 or Windows-1252; save the file as UTF-8 [encoding]",
                2,
            )
        ],
        patch=True,
    ),
    Case(
        "nul_bytes",
        P_HEADER.encode() + b"P1\x00,control,40,160,60\n",
        [
            P(
                "the file contains NUL characters, so it is not a text export (a workbook or database file under a text name?) [file_format]",
                2,
            )
        ],
        patch=True,
    ),
    # --- numbers: decimal commas, separators, marks, odd digits --------------------------------
    Case(
        "semicolon_file_with_decimal_commas",
        P_HEADER.replace(",", ";") + "P1;control;40;160,5;60,25\n",
        [],
        ["P1"],
        values={"height_cm": 160.5, "weight_kg": 60.25},
        patch=True,
    ),
    Case(
        "semicolon_file_with_thousands_separator",
        P_HEADER.replace(",", ";") + "P0;control;40;160;60\nP1;control;40;160;1.234,5\n",
        [
            P(
                "weight_kg has a thousands separator or more than one decimal mark; which mark is the decimal one is never guessed, so write the number without separators, such as 1234.5 (value '1.234,5') [number_format]",
                column="weight_kg",
            )
        ],
        ["P0"],
        patch=True,
    ),
    Case(
        "comma_file_with_quoted_decimal_comma",
        P_HEADER + P_GOOD + 'P1,control,40,160,"60,5"\n',
        [
            P(
                "weight_kg has a decimal comma, which is read only in text files separated by ';' or tab, not in a comma-separated file; write 60.5 (value '60,5') [number_format]",
                column="weight_kg",
            )
        ],
        ["P0"],
        patch=True,
    ),
    Case(
        "leading_zeros_kept",
        P_HEADER + "007,control,040,0160.0,060\n",
        [],
        ["007"],
        values={"age_years": 40.0, "height_cm": 160.0, "weight_kg": 60.0},
    ),
    Case(
        "sentinel_na",
        P_HEADER + P_GOOD + "P1,control,N/A,160,60\n",
        [
            P(
                "age_years " + MARK.format(words="no value was determined", flag="not_determined", value="N/A"),
                column="age_years",
            )
        ],
        ["P0"],
        patch=True,
    ),
    Case(
        "sentinel_nan",
        P_HEADER + P_GOOD + "P1,control,40,NaN,60\n",
        [
            P(
                "height_cm " + MARK.format(words="no value was determined", flag="not_determined", value="NaN"),
                column="height_cm",
            )
        ],
        ["P0"],
        patch=True,
    ),
    Case(
        "infinity",
        P_HEADER + P_GOOD + "P1,control,40,160,inf\n",
        [P(f"weight_kg {NUMBER} (value 'inf') [number]", column="weight_kg")],
        ["P0"],
    ),
    Case(
        "huge_exponent",
        P_HEADER + P_GOOD + "P1,control,40,160,1e999\n",
        [P(f"weight_kg {NUMBER} (value '1e999') [number]", column="weight_kg")],
        ["P0"],
    ),
    Case(
        "arabic_indic_digits",
        P_HEADER + P_GOOD + "P1,control,\u0664\u0660,160,60\n",
        [P(f"age_years {NUMBER} (value '\u0664\u0660') [number]", column="age_years")],
        ["P0"],
    ),
    Case(
        "underscore_in_number",
        P_HEADER + P_GOOD + "P1,control,40,160,6_0\n",
        [P(f"weight_kg {NUMBER} (value '6_0') [number]", column="weight_kg")],
        ["P0"],
    ),
    Case(
        "spreadsheet_error_text",
        P_HEADER + P_GOOD + "P1,control,#DIV/0!,160,60\n",
        [
            P(
                "age_years is the spreadsheet error #DIV/0!: the formula that made it failed; write a plain number such as 57.3 (value '#DIV/0!') [number]",
                column="age_years",
            )
        ],
        ["P0"],
        patch=True,
    ),
    Case(
        "formula_like_numbers",
        P_HEADER + P_GOOD + "P1,control,@SUM(40),160,60\nP2,control,40,-1+161,60\n",
        [
            P(f"age_years {NUMBER} (value '@SUM(40)') [number]", column="age_years"),
            P(f"height_cm {NUMBER} (value '-1+161') [number]", 4, "height_cm"),
        ],
        ["P0"],
    ),
    # --- direct identifiers ---------------------------------------------------------------------
    Case(
        "direct_identifiers_dropped",
        "participant_id,Name,arm,E-mail,age_years,height_cm,weight_kg,Date of Birth\n"
        "P1,Jane Roe,control,jane@example.org,40,160,60,1980-02-29\n",
        [
            P(f"column 'Name' {IDENTIFIER}", 1, "Name"),
            P(f"column 'E-mail' {IDENTIFIER}", 1, "E-mail"),
            P(f"column 'Date of Birth' {IDENTIFIER}", 1, "Date of Birth"),
        ],
        ["P1"],
        values={"age_years": 40.0},
    ),
    Case(
        "identifier_row_errors_do_not_quote_the_row",
        "participant_id,surname,arm,age_years,height_cm,weight_kg\n"
        "P0,Roe,control,40,160,60\nP1,Doe, John,control,40,160,60\n",
        [
            P(f"column 'surname' {IDENTIFIER}", 1, "surname"),
            P(
                "this row has 7 fields but the header has 6; a stray delimiter would shift every column after it [row_width]"
            ),
        ],
        ["P0"],
    ),
    # --- injection strings: rejected, shown as literal text ------------------------------------
    Case(
        "script_in_id",
        P_HEADER + P_GOOD + "<script>alert(1)</script>,control,40,160,60\n",
        [P(f"{ID_RULE} (value '<script>alert(1)</script>') {ID_CHECK}", column="participant_id")],
        ["P0"],
    ),
    Case(
        "img_in_id",
        P_HEADER + P_GOOD + "<img src=file:///etc/passwd>,control,40,160,60\n",
        [P(f"{ID_RULE} (value '<img src=file:///etc/passwd>') {ID_CHECK}", column="participant_id")],
        ["P0"],
    ),
    Case(
        "hyperlink_formula_in_id",
        P_HEADER + P_GOOD + '"=HYPERLINK(""http://x"",""y"")",control,40,160,60\n',
        [P(f'{ID_RULE} (value \'=HYPERLINK("http://x","y")\') {ID_CHECK}', column="participant_id")],
        ["P0"],
    ),
    Case(
        "template_in_arm",
        P_HEADER + P_GOOD + "P1,{{7*7}},40,160,60\n",
        [P(ARM.format("{{7*7}}"), column="arm")],
        ["P0"],
    ),
    Case(
        "img_in_arm",
        P_HEADER + P_GOOD + "P1,<img src=file:///etc/passwd>,40,160,60\n",
        [P(ARM.format("<img src=file:///etc/passwd>"), column="arm")],
        ["P0"],
    ),
    Case(
        "injections_in_a_free_text_column",
        "participant_id,arm,age_years,height_cm,weight_kg,notes\n"
        + "".join(f'P{i},control,40,160,60,"{s.replace(chr(34), chr(34) * 2)}"\n' for i, s in enumerate(INJECTIONS, 1)),
        [P(UNUSED, 1, "notes")],
        ["P1", "P2", "P3", "P4"],
        patch=True,
    ),
    Case(
        "zero_width_space_in_id",
        P_HEADER + P_GOOD + "P\u200b1,control,40,160,60\n",
        [P(f"{ID_RULE} (value 'P\\u200b1') {ID_CHECK}", column="participant_id")],
        ["P0"],
    ),
    Case(
        "right_to_left_override_in_arm",
        P_HEADER + P_GOOD + "P1,\u202elortnoc,40,160,60\n",
        [P(ARM.format("\u202elortnoc"), column="arm")],
        ["P0"],
    ),
    Case(
        "terminal_escape_in_id",
        P_HEADER + P_GOOD + "\x1b[2JP1,control,40,160,60\n",
        [P(f"{ID_RULE} (value '\\x1b[2JP1') {ID_CHECK}", column="participant_id")],
        ["P0"],
    ),
    Case("non_breaking_spaces_around_cells", P_HEADER + "\xa0P1\xa0,control,\xa040,160,60\n", [], ["P1"]),
    # --- workbooks -----------------------------------------------------------------------------
    Case(
        "xlsx_numbers_as_text_the_way_excel_shows_them",
        xlsx(
            [PH, [7, "control", 40, 163.2, 60.5], ["007", "training", "41", 170.0, 70]],
            sheet_xml=lambda x: x.replace("<v>163.2</v>", "<v>163.19999999999999</v>"),
        ),
        [],
        ["7", "007"],
        "participants.xlsx",
        values={"height_cm": 163.2, "weight_kg": 60.5},
    ),
    Case(
        "xlsx_formula_without_saved_result",
        xlsx([PH, ["P0", "control", 40, 160, 60], ["P1", "control", "=20*2", 160, 60]]),
        [f"participants.xlsx, line Sheet1!C3, column 'age_years': {FORMULA} (value '=20*2') [formula_result]"],
        ["P0"],
        "participants.xlsx",
    ),
    Case(
        "xlsx_excel_error_value",
        xlsx([PH, ["P0", "control", 40, 160, 60], ["P1", "control", 40, "#REF!", 60]], setup=_error_cell("D3")),
        [
            "participants.xlsx, line Sheet1!D3, column 'height_cm': this cell holds the Excel error #REF!: the formula that made it failed (value '#REF!') [cell_error]"
        ],
        ["P0"],
        "participants.xlsx",
    ),
    Case(
        "xlsx_hidden_first_sheet",
        xlsx([PH, ["OLD", "control", 40, 160, 60]], title="Old", setup=_hidden_first_sheet),
        [
            "participants.xlsx: sheet 'Old' (hidden) was not read: one sheet is read per file, here 'Participants' [sheet_unread]"
        ],
        ["P1"],
        "participants.xlsx",
    ),
    Case(
        "xlsx_value_beyond_header",
        xlsx([PH, ["P0", "control", 40, 160, 60], ["P1", "control", 40, 160, 60, None, "x"]]),
        [
            "participants.xlsx, line Sheet1!G3: this row has a value in a column beyond the header's 5; a shifted row would put values under the wrong names (value 'x') [row_width]"
        ],
        ["P0"],
        "participants.xlsx",
    ),
    Case(
        "xlsx_rule_errors_name_the_cell",
        xlsx([PH, ["P0", "control", 40, 160, 60], ["P1", "placebo", 40, 160, 60], ["P2", "control", 12, 160, 60]]),
        [
            "participants.xlsx, line Sheet1!B3, column 'arm': " + ARM.format("placebo"),
            "participants.xlsx, line Sheet1!C4, column 'age_years': age (year) must be between 18 and 100 (value '12.0') [in_range(18, 100)]",
        ],
        ["P0"],
        "participants.xlsx",
        patch=True,
    ),
    Case(
        "xlsx_decimal_comma_text",
        xlsx([PH, ["P0", "control", 40, 160, 60], ["P1", "control", 40, 160, "60,5"]]),
        [
            "participants.xlsx, line Sheet1!E3, column 'weight_kg': weight_kg has a decimal comma, which is read only in text files separated by ';' or tab, not in a workbook; write 60.5 (value '60,5') [number_format]"
        ],
        ["P0"],
        "participants.xlsx",
        patch=True,
    ),
    Case(
        "xlsx_direct_identifier",
        xlsx([PH + ["DOB"], ["P1", "control", 40, 160, 60, "1980-01-01"]]),
        [f"participants.xlsx, line Sheet1!F1, column 'DOB': column 'DOB' {IDENTIFIER}"],
        ["P1"],
        "participants.xlsx",
    ),
    Case(
        "xlsx_header_only",
        xlsx([PH]),
        ["participants.xlsx, line Sheet1!1: the file has a header row but no data rows [rows_present]"],
        [],
        "participants.xlsx",
    ),
    Case(
        "xlsx_empty_sheet",
        xlsx([]),
        ["participants.xlsx: sheet 'Sheet1' has no header row [file_not_empty]"],
        [],
        "participants.xlsx",
        patch=True,
    ),
    Case(
        "xlsx_xml_external_entity",
        xlsx([PH, ["P1", "control", 40, 160, 60]], sheet_xml=_xxe),
        ["participants.xlsx: the workbook could not be read (ParseError: undefined entity &xxe;) [file_format]"],
        [],
        "participants.xlsx",
        patch=True,
    ),
    Case(
        "old_xls_workbook",
        readers.OLE_MAGIC + bytes(504),
        [
            "participants.xls: this is an old-style Excel .xls workbook or a password-protected one; save it as .xlsx without a password, or as CSV [file_format]"
        ],
        [],
        "participants.xls",
        patch=True,
    ),
    Case(
        "csv_named_xlsx",
        P_HEADER + "P1,control,40,160,60\n",
        ["participants.xlsx: the file is named .xlsx but is not an Excel workbook [file_format]"],
        [],
        "participants.xlsx",
        patch=True,
    ),
    Case("workbook_named_csv", xlsx([PH, ["P1", "control", 40, 160, 60]]), [], ["P1"]),
]


def _write(tmp_path, case: Case, default: str):
    name = case.filename or default
    data = case.data() if callable(case.data) else case.data
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path, name


def _check(case: Case, path, name, accepted: pd.DataFrame, problems) -> None:
    assert [str(p) for p in problems] == case.expected
    assert "root:" not in repr(problems) + accepted.to_string()  # nothing of /etc/passwd ever gets in
    assert accepted["participant_id"].tolist() == case.accepted
    for column, value in case.values.items():
        assert accepted[column].iloc[0] == pytest.approx(value)
    # nothing lost: every data row read is either accepted or named by an error
    balance = readers.row_balance(readers.read(path, name), accepted, problems)
    assert balance.ok, balance
    # every problem names its file, and every error names a line unless it is about the whole file
    assert all(p.file == name for p in problems)
    assert all(
        p.line or p.rule in {"file_not_empty", "file_format", "encoding"} for p in problems if p.severity == "error"
    )


def _marks(cases):
    return [pytest.param(c, id=c.id, marks=[needs_ingest_patch] if c.patch else []) for c in cases]


@pytest.mark.parametrize("case", _marks(PARTICIPANT_CASES))
def test_participants_file(tmp_path, case):
    path, name = _write(tmp_path, case, "participants.csv")
    accepted, problems = ingest.read_participants(path, name, ARMS, demo_characteristics())
    _check(case, path, name, accepted, problems)


PARTICIPANTS = pd.DataFrame({"participant_id": ["P1", "P2"], "arm": ["control", "training"]})
CH = C_HEADER.strip().split(",")


def _mark(value: str, flag: str, words: str, column: str = "concentration", line: int = 3) -> str:
    return C(f"concentration {MARK.format(words=words, flag=flag, value=value)}", line, column)


CONCENTRATION_CASES = [
    Case(
        "participant_unknown",
        C_HEADER + C_GOOD + "P9,pre,BDNF,200,pg/mL\n",
        [
            C(
                "participant 'P9' is not in the participants file (value 'P9') [participant_known]",
                column="participant_id",
            )
        ],
        ["P1"],
    ),
    Case(
        "time_unknown",
        C_HEADER + C_GOOD + "P1,mid,BDNF,200,pg/mL\n",
        [C("time point 'mid' is not one of pre, post (as configured) (value 'mid') [time_known]", column="time")],
        ["P1"],
    ),
    Case(
        "analyte_unknown",
        C_HEADER + C_GOOD + "P1,post,NGF,200,pg/mL\n",
        [C("analyte 'NGF' is not one of BDNF, GDNF (as configured) (value 'NGF') [analyte_known]", column="analyte")],
        ["P1"],
    ),
    Case(
        "unit_other",
        C_HEADER + C_GOOD + "P1,post,BDNF,0.2,ng/mL\n",
        [C("BDNF must be in pg/mL, as configured (value 'ng/mL') [unit_configured]", column="unit")],
        ["P1"],
    ),
    Case(
        "unit_case",
        C_HEADER + C_GOOD + "P1,post,BDNF,200,PG/ML\n",
        [C("BDNF must be in pg/mL, as configured (value 'PG/ML') [unit_configured]", column="unit")],
        ["P1"],
    ),
    Case(
        "concentration_zero",
        C_HEADER + C_GOOD + "P1,post,BDNF,0,pg/mL\n",
        [C("Concentration must be greater than 0 (value '0.0') [greater_than(0)]", column="concentration")],
        ["P1"],
    ),
    Case(
        "concentration_negative",
        C_HEADER + C_GOOD + "P1,post,BDNF,-3.5,pg/mL\n",
        [C("Concentration must be greater than 0 (value '-3.5') [greater_than(0)]", column="concentration")],
        ["P1"],
    ),
    Case(
        "concentration_empty",
        C_HEADER + C_GOOD + "P1,post,BDNF,,pg/mL\n",
        [C("concentration is empty; write a plain number such as 57.3 [number]", column="concentration")],
        ["P1"],
    ),
    Case(
        "key_duplicated",
        C_HEADER + C_GOOD + "P1,post,BDNF,200,pg/mL\nP1,post,BDNF,210,pg/mL\n",
        [
            C(
                "participant_id, time, analyte appears more than once for the same key (value 'P1 / post / BDNF') [multiple_fields_uniqueness]",
                3,
                "participant_id, time, analyte",
            ),
            C(
                "participant_id, time, analyte appears more than once for the same key (value 'P1 / post / BDNF') [multiple_fields_uniqueness]",
                4,
                "participant_id, time, analyte",
            ),
        ],
        ["P1"],
    ),
    Case(
        "column_missing",
        "participant_id,time,analyte,concentration\nP1,pre,BDNF,200\n",
        [
            C(
                "required column 'unit' is missing (columns found: participant_id, time, analyte, concentration) [column_present]",
                1,
                "unit",
            )
        ],
    ),
    Case("header_only", C_HEADER, []),  # no typed values: its outcomes are not analysable, nothing to reject
    # instrument marks
    Case(
        "mark_over",
        C_HEADER + C_GOOD + "P1,post,BDNF,OVER,pg/mL\n",
        [_mark("OVER", "saturated", "the signal saturated the reader")],
        ["P1"],
        patch=True,
    ),
    Case(
        "mark_asterisks",
        C_HEADER + C_GOOD + "P1,post,BDNF,****,pg/mL\n",
        [_mark("****", "saturated", "the signal saturated the reader")],
        ["P1"],
        patch=True,
    ),
    Case(
        "mark_range",
        C_HEADER + C_GOOD + "P1,post,BDNF,Range?,pg/mL\n",
        [_mark("Range?", "out_of_range", "the reading is outside the range of the standard curve")],
        ["P1"],
        patch=True,
    ),
    Case(
        "mark_below_lloq",
        C_HEADER + C_GOOD + "P1,post,BDNF,<LLOQ,pg/mL\n",
        [_mark("<LLOQ", "below_lloq", "the value is below the lower limit of quantification")],
        ["P1"],
        patch=True,
    ),
    Case(
        "mark_censored_value",
        C_HEADER + C_GOOD + "P1,post,BDNF,<15.6,pg/mL\n",
        [_mark("<15.6", "below_lloq", "the value is below the lower limit of quantification")],
        ["P1"],
        patch=True,
    ),
    Case(
        "mark_not_determined",
        C_HEADER + C_GOOD + "P1,post,BDNF,n.d.,pg/mL\n",
        [_mark("n.d.", "not_determined", "no value was determined")],
        ["P1"],
        patch=True,
    ),
    Case(
        "mark_not_available",
        C_HEADER + C_GOOD + "P1,post,BDNF,N/A,pg/mL\n",
        [_mark("N/A", "not_determined", "no value was determined")],
        ["P1"],
        patch=True,
    ),
    # decimal commas and separators
    Case(
        "tab_file_with_decimal_comma",
        C_HEADER.replace(",", "\t") + "P1\tpre\tBDNF\t225,25\tpg/mL\n",
        [],
        ["P1"],
        values={"concentration": 225.25},
        patch=True,
    ),
    Case(
        "comma_file_with_quoted_decimal_comma",
        C_HEADER + C_GOOD + 'P1,post,BDNF,"225,25",pg/mL\n',
        [
            C(
                "concentration has a decimal comma, which is read only in text files separated by ';' or tab, not in a comma-separated file; write 225.25 (value '225,25') [number_format]",
                column="concentration",
            )
        ],
        ["P1"],
        patch=True,
    ),
    Case(
        "semicolon_file_with_thousands_separator",
        (C_HEADER + C_GOOD).replace(",", ";") + "P1;post;BDNF;1.234,5;pg/mL\n",
        [
            C(
                "concentration has a thousands separator or more than one decimal mark; which mark is the decimal one is never guessed, so write the number without separators, such as 1234.5 (value '1.234,5') [number_format]",
                column="concentration",
            )
        ],
        ["P1"],
        patch=True,
    ),
    Case(
        "scientific_notation", C_HEADER + "P1,pre,BDNF,2.2525E2,pg/mL\n", [], ["P1"], values={"concentration": 225.25}
    ),
    # injection strings
    Case(
        "hyperlink_formula_as_participant",
        C_HEADER + C_GOOD + '"=HYPERLINK(""http://x"",""y"")",post,BDNF,200,pg/mL\n',
        [
            C(
                'participant \'=HYPERLINK("http://x","y")\' is not in the participants file (value \'=HYPERLINK("http://x","y")\') [participant_known]',
                column="participant_id",
            )
        ],
        ["P1"],
    ),
    Case(
        "template_as_unit",
        C_HEADER + C_GOOD + "P1,post,BDNF,200,{{7*7}}\n",
        [C("BDNF must be in pg/mL, as configured (value '{{7*7}}') [unit_configured]", column="unit")],
        ["P1"],
    ),
    Case(
        "script_as_analyte",
        C_HEADER + C_GOOD + "P1,post,<script>alert(1)</script>,200,pg/mL\n",
        [
            C(
                "analyte '<script>alert(1)</script>' is not one of BDNF, GDNF (as configured) (value '<script>alert(1)</script>') [analyte_known]",
                column="analyte",
            )
        ],
        ["P1"],
    ),
    Case(
        "img_as_time",
        C_HEADER + C_GOOD + "P1,<img src=file:///etc/passwd>,BDNF,200,pg/mL\n",
        [
            C(
                "time point '<img src=file:///etc/passwd>' is not one of pre, post (as configured) (value '<img src=file:///etc/passwd>') [time_known]",
                column="time",
            )
        ],
        ["P1"],
    ),
    Case(
        "injections_in_a_comment_column",
        "participant_id,time,analyte,concentration,unit,comment\n"
        + "".join(
            f'P1,{t},{a},200,pg/mL,"{s.replace(chr(34), chr(34) * 2)}"\n'
            for (t, a), s in zip(
                [("pre", "BDNF"), ("post", "BDNF"), ("pre", "GDNF"), ("post", "GDNF")], INJECTIONS, strict=True
            )
        ),
        [C(UNUSED, 1, "comment")],
        ["P1", "P1", "P1", "P1"],
        patch=True,
    ),
    Case(
        "direct_identifier",
        "participant_id,time,analyte,concentration,unit,mrn\nP1,pre,BDNF,200,pg/mL,H123456\n",
        [C(f"column 'mrn' {IDENTIFIER}", 1, "mrn")],
        ["P1"],
    ),
    # workbooks
    Case(
        "xlsx_formula_without_saved_result",
        xlsx([CH, ["P1", "pre", "BDNF", 200, "pg/mL"], ["P1", "post", "BDNF", "=B2*2", "pg/mL"]]),
        [f"concentrations.xlsx, line Sheet1!D3, column 'concentration': {FORMULA} (value '=B2*2') [formula_result]"],
        ["P1"],
        "concentrations.xlsx",
    ),
    Case(
        "xlsx_mark_names_the_cell",
        xlsx([CH, ["P1", "pre", "BDNF", 200, "pg/mL"], ["P2", "post", "BDNF", "OVER", "pg/mL"]]),
        [
            "concentrations.xlsx, line Sheet1!D3, column 'concentration': concentration "
            + MARK.format(words="the signal saturated the reader", flag="saturated", value="OVER")
        ],
        ["P1"],
        "concentrations.xlsx",
        patch=True,
    ),
]


@pytest.mark.parametrize("case", _marks(CONCENTRATION_CASES))
def test_concentrations_file(tmp_path, case):
    path, name = _write(tmp_path, case, "concentrations.csv")
    accepted, problems = ingest.read_concentrations(path, name, PARTICIPANTS, TIMES, UNITS)
    _check(case, path, name, accepted, problems)


def test_the_corpus_is_large_and_its_cases_distinct():
    for cases in (PARTICIPANT_CASES, CONCENTRATION_CASES):
        assert len({c.id for c in cases}) == len(cases)
    inputs = [c.data() if callable(c.data) else c.data for c in PARTICIPANT_CASES + CONCENTRATION_CASES]
    inputs = [d.encode() if isinstance(d, str) else d for d in inputs]
    assert len(inputs) >= 40
    assert len({d for d in inputs if not d.startswith(readers.ZIP_MAGIC)}) == sum(
        not d.startswith(readers.ZIP_MAGIC) for d in inputs
    )


# --------------------------------------------------------------------------------------------
# Part 2: what leaves the pipeline


def _read_back(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_write_csv_neutralises_formulas_in_text_cells_but_not_numbers(tmp_path):
    texts = [
        "=1+1",
        "+1",
        "-1",
        "@SUM(A1)",
        "\tx",
        "\nx",
        '=HYPERLINK("http://x","y")',
        "plain",
        "<script>",
        "{{7*7}}",
        "a=b",
    ]
    frame = pd.DataFrame({"text": texts, "number": [-1.5, 2.0, -3.0, 0.0, 1e-9, -0.25, 7.0, -8.0, 9.0, 10.0, 11.0]})
    write_csv(frame, tmp_path / "out.csv")
    rows = _read_back(tmp_path / "out.csv")
    assert rows[0] == ["text", "number"]
    assert [r[0] for r in rows[1:]] == ["'" + t if t[0] in "=+-@\t\r\n" else t for t in texts]
    assert [float(r[1]) for r in rows[1:]] == frame["number"].tolist()
    assert [r[1] for r in rows[1:4]] == ["-1.5", "2.0", "-3.0"]  # negative numbers are numbers, untouched


def _carriage_return_survives() -> bool:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        write_csv(pd.DataFrame({"text": ["\rx"], "n": [1.0]}), Path(tmp) / "o.csv")
        return _read_back(Path(tmp) / "o.csv") == [["text", "n"], ["'\rx", "1.0"]]


@pytest.mark.xfail(
    not _carriage_return_survives(),
    strict=True,
    reason="a bare CR in a text cell is written unquoted with LF row ends; readers split the row (patch in the report)",
)
def test_write_csv_keeps_a_carriage_return_inside_its_cell(tmp_path):
    write_csv(pd.DataFrame({"text": ["\rx", "a\rb", "ok"], "n": [1.0, 2.0, 3.0]}), tmp_path / "out.csv")
    assert _read_back(tmp_path / "out.csv") == [["text", "n"], ["'\rx", "1.0"], ["a\rb", "2.0"], ["ok", "3.0"]]


def test_csv_rows_by_group_are_the_rows_write_csv_writes(tmp_path):
    """The rows per key joined in table order are write_csv's file without its header; a cell
    holding a line end (quoted across lines) or a bare CR (every text quoted) gives None: such
    rows cannot be cut apart or joined as text."""
    from trialflow.outputs import csv_rows_by

    frame = pd.DataFrame(
        {"plate": ["P2", "P1", "P2"], "text": ["=1+1", "a,b", 'say "x"'], "n": [1.5, float("nan"), -2.0]}
    )
    write_csv(frame, tmp_path / "out.csv")
    rows = csv_rows_by(frame, "plate")
    assert list(rows) == ["P2", "P1"]
    written = (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    assert rows == {"P2": written[1] + written[3], "P1": written[2]}
    assert csv_rows_by(frame.assign(text=["a\nb", "c", "d"]), "plate") is None
    assert csv_rows_by(frame.assign(text=["a\rb", "c", "d"]), "plate") is None


def test_validation_table_of_hostile_values_is_neutralised(tmp_path):
    path = tmp_path / "participants.csv"
    path.write_text(P_HEADER + '"=HYPERLINK(""http://x"",""y"")",control,40,160,60\nP1,@cmd,40,160,60\n')
    _, problems = ingest.read_participants(path, "participants.csv", ARMS, demo_characteristics())
    write_csv(problems_frame(problems), tmp_path / "validation.csv")
    with open(tmp_path / "validation.csv", newline="", encoding="utf-8") as fh:
        values = [row["value"] for row in csv.DictReader(fh)]
    assert sorted(values) == ['\'=HYPERLINK("http://x","y")', "'@cmd"]


def _header_neutralised() -> bool:
    return neutralise_formulas(pd.DataFrame(columns=["=1+1"])).columns[0] != "=1+1"


@pytest.mark.xfail(
    not _header_neutralised(),
    strict=True,
    reason="outputs.neutralise_formulas leaves column names alone (patch in the report)",
)
def test_write_csv_neutralises_formulas_in_the_header_too(tmp_path):
    write_csv(pd.DataFrame({"=cmd|' /C calc'!A0": [1.0]}), tmp_path / "out.csv")
    with open(tmp_path / "out.csv", newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert header == ["'=cmd|' /C calc'!A0"]


@pytest.mark.parametrize("template_name", [None, "report.txt", "x.j2", "page.html"])
def test_report_environment_escapes_every_template_and_refuses_undefined(template_name):
    from trialflow.report import environment

    env = environment()
    source = "<p>{{ value }}</p>"
    template = (
        env.from_string(source)
        if template_name is None
        else jinja2.Environment(
            loader=jinja2.DictLoader({template_name: source}), autoescape=env.autoescape, undefined=env.undefined
        ).get_template(template_name)
    )
    for injection in INJECTIONS:
        html = template.render(value=injection)
        assert "<script>" not in html and "<img" not in html
        assert "49" not in html  # {{7*7}} in data is text, never a template
    assert env.from_string("{{ v }}").render(v="<img src=file:///etc/passwd>") == "&lt;img src=file:///etc/passwd&gt;"
    assert env.from_string("{{ v }}").render(v="{{7*7}}") == "{{7*7}}"
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ missing }}").render()
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ row.missing }}").render(row={})


def test_report_environment_autoescape_does_not_depend_on_the_name():
    from trialflow.report import environment

    env = environment()
    assert env.autoescape is True or all(env.autoescape(n) for n in [None, "a.txt", "a.csv", "a"])
    assert env.undefined is jinja2.StrictUndefined


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a network connection fails the test."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


HOSTILE_HTML = {
    "img_file": '<img src="file:///etc/passwd">',
    "img_http": '<img src="http://example.com/x.png">',
    "img_https": '<img src="https://example.com/x.png">',
    "css_import_file": "<style>@import url(file:///etc/passwd);</style><p>x</p>",
    "css_import_http": "<style>@import url(http://example.com/x.css);</style><p>x</p>",
    "css_background": '<p style="background: url(file:///etc/passwd)">x</p>',
    "link_stylesheet": '<link rel="stylesheet" href="http://example.com/x.css"><p>x</p>',
    "attachment": '<link rel="attachment" href="file:///etc/passwd"><p>x</p>',
    "relative_escape": '<img src="../../../../../../../../etc/passwd">',
    "object": '<object data="file:///etc/passwd"></object>',
}


@pytest.fixture
def fetches(monkeypatch):
    """Every URL the report's fetcher is asked for, with what it did: 'served' or 'refused'."""
    from trialflow.report import pdf as report

    seen = []
    original = report.RestrictedFetcher.fetch

    def spy(self, url, headers=None):
        try:
            response = original(self, url, headers)
        except report.FetchRefused:
            seen.append((url, "refused"))
            raise
        seen.append((url, "served"))
        return response

    monkeypatch.setattr(report.RestrictedFetcher, "fetch", spy)
    return seen


@pytest.mark.parametrize("html", list(HOSTILE_HTML.values()), ids=list(HOSTILE_HTML))
def test_write_pdf_refuses_resources_outside_the_package_before_any_fetch(tmp_path, no_network, fetches, html):
    from trialflow.report.pdf import FetchRefused, write_pdf

    out = tmp_path / "report.pdf"
    with pytest.raises(FetchRefused):  # a BaseException (WeasyPrint's FatalURLFetchingError): the render stops
        write_pdf(f"<html><body>{html}</body></html>", out, allowed_dirs=[tmp_path / "figures"])
    assert not out.exists()
    assert no_network == []
    from trialflow.report import PACKAGE_DIR

    assert fetches and fetches[-1][1] == "refused"
    assert all(what == "refused" for url, what in fetches if not url.startswith(PACKAGE_DIR.as_uri()))


def _figures(tmp_path):
    figures = tmp_path / "figures"
    figures.mkdir()
    for name, url in [("evil_file.svg", "file:///etc/passwd"), ("evil_http.svg", "http://example.com/x.png")]:
        (figures / name).write_text(
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">'
            f'<image xlink:href="{url}" width="10" height="10"/></svg>'
        )
    (figures / "ok.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    )
    (figures / "link.svg").symlink_to("/etc/passwd")
    return figures


def test_write_pdf_refuses_a_symlink_out_of_the_figures_folder(tmp_path, no_network, fetches):
    from trialflow.report.pdf import FetchRefused, write_pdf

    figures = _figures(tmp_path)
    with pytest.raises(FetchRefused):
        write_pdf(
            f'<html><body><img src="{(figures / "link.svg").as_uri()}"></body></html>', tmp_path / "r.pdf", [figures]
        )
    assert fetches == [((figures / "link.svg").as_uri(), "refused")] and no_network == []


EVIL_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">'
    '<image xlink:href="file:///etc/passwd" width="10" height="10"/></svg>'
)


@pytest.mark.parametrize(
    "svg,url",
    [
        ("evil_file.svg", "file:///etc/passwd"),
        ("evil_http.svg", "http://example.com/x.png"),
        ("data:", "file:///etc/passwd"),
    ],
)
def test_an_allowed_svg_cannot_pull_in_other_files(tmp_path, no_network, fetches, svg, url):
    """The figure itself is served (a file among the figures, or embedded as a data: URL); what it
    links to is refused before any fetch."""
    from trialflow.report.pdf import FetchRefused, write_pdf

    figures = _figures(tmp_path)
    src = "data:image/svg+xml," + quote(EVIL_SVG) if svg == "data:" else (figures / svg).as_uri()
    try:
        write_pdf(f'<html><body><img src="{src}"></body></html>', tmp_path / "r.pdf", [figures])
    except FetchRefused:
        pass  # with the write_pdf patch in the report, the render also fails
    assert [(u[:200], what) for u, what in fetches] == [(src[:200], "served"), (url, "refused")]
    assert no_network == []


def _refusals_fail_the_render() -> bool:
    from trialflow.report import pdf as report

    return hasattr(report.RestrictedFetcher([]), "refused")


@pytest.mark.xfail(
    not _refusals_fail_the_render(),
    strict=True,
    reason="WeasyPrint swallows errors inside SVG images; needs the write_pdf patch in the report",
)
def test_a_refusal_inside_an_svg_still_fails_the_render(tmp_path, no_network):
    from trialflow.report.pdf import FetchRefused, write_pdf

    figures = _figures(tmp_path)
    with pytest.raises(FetchRefused):
        write_pdf(
            f'<html><body><img src="{(figures / "evil_file.svg").as_uri()}"></body></html>',
            tmp_path / "r.pdf",
            [figures],
        )
    assert not (tmp_path / "r.pdf").exists()


def test_write_pdf_still_renders_allowed_figures(tmp_path, no_network):
    from trialflow.report.pdf import write_pdf

    figures = _figures(tmp_path)
    pdf = write_pdf(
        f'<html><body><img src="{(figures / "ok.svg").as_uri()}"></body></html>', tmp_path / "r.pdf", [figures]
    )
    assert pdf.startswith(b"%PDF") and (tmp_path / "r.pdf").read_bytes() == pdf
