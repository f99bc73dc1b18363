"""Plate-reader export readers (trialflow.elisa.readers)."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from openpyxl import Workbook

from trialflow.elisa import PlateFormatError, read_plate_export
from trialflow.elisa.readers import WELLS, parse_od_cell

DATA = Path(__file__).parent / "data" / "elisa"
COLUMNS = ["well", "row", "col", "od_450", "od_ref", "od", "flag", "source"]


def _check_shape(df):
    assert list(df.columns) == COLUMNS
    assert list(df["well"]) == list(WELLS)
    assert list(df["col"][:12]) == list(range(1, 13))
    assert set(df["row"]) == set("ABCDEFGH")


def _flags(df):
    return {w: f for w, f in zip(df["well"], df["flag"], strict=True) if f}


def test_plain_grid_csv_without_reference():
    df = read_plate_export(DATA / "grid_plain.csv")
    _check_shape(df)
    assert df.attrs["format"] == "grid-text" and df.attrs["reference_nm"] is None
    a1 = df.set_index("well").loc["A1"]
    assert a1["od_450"] == 2.133 and math.isnan(a1["od_ref"]) and a1["od"] == 2.133
    assert a1["source"] == "grid_plain.csv:line 2, col 2"
    assert _flags(df) == {"C7": "saturated", "D8": "not_determined"}
    assert df.set_index("well").loc[["C7", "D8"], "od_450"].isna().all()
    assert df.loc[df["flag"] == "", "od_450"].notna().all()


def test_plain_grid_csv_with_reference_grid():
    df = read_plate_export(DATA / "grid_ref.csv", reference_nm=570)
    _check_shape(df)
    assert df.attrs["reference_nm"] == 570
    h12 = df.set_index("well").loc["H12"]
    assert h12["source"] == "grid_ref.csv:line 9, col 13"
    assert h12["od_450"] == 1.765 and h12["od_ref"] == 0.038
    assert h12["od"] == 1.765 - 0.038
    np.testing.assert_array_equal(df["od"], df["od_450"] - df["od_ref"])
    assert df["od_ref"].between(0.03, 0.06).all()
    assert _flags(df) == {}


@pytest.mark.parametrize("label", ["570", "Wavelength: 570", "Wavelength,570", "570 nm"])
def test_plain_grid_reference_label_variants(tmp_path, label):
    text = (DATA / "grid_ref.csv").read_text().replace("Wavelength: 570", label)
    p = tmp_path / "plate.csv"
    p.write_text(text)
    assert read_plate_export(p, reference_nm=570).attrs["reference_nm"] == 570


def test_gen5_text_sections_with_sentinels():
    df = read_plate_export(DATA / "gen5_sections.txt", reference_nm=570)
    _check_shape(df)
    assert df.attrs["format"] == "gen5-text"
    meta = df.attrs["metadata"]
    assert meta["Software Version"] == "3.11.19"
    assert meta["Plate Number"] == "Plate 1"
    assert meta["Reading Date"] == "2025-03-14"
    assert meta["Wavelengths"] == "450, 570"
    assert df.attrs["reference_nm"] == 570
    assert _flags(df) == {
        "C5": "saturated",  # OVER
        "C6": "saturated",  # ****
        "D5": "saturated",  # Range?
        "D6": "not_determined",  # n.d.
        "E5": "not_determined",  # <LLOQ
        "E6": "masked",  # *0.356*
    }
    w = df.set_index("well")
    assert w.loc[["C5", "C6", "D5", "D6", "E5"], "od_450"].isna().all()
    assert w.loc["E6", "od_450"] == 0.356  # masked keeps its OD but is flagged
    assert w.loc["C5", "source"] == "gen5_sections.txt:line 32, col 6"


def test_gen5_results_matrix_with_continuation_rows():
    df = read_plate_export(DATA / "gen5_results_matrix.txt", reference_nm=570)
    _check_shape(df)
    assert df.attrs["format"] == "gen5-text" and df.attrs["reference_nm"] == 570
    # the Layout grid and the 'Blank 450nm:450' rows are derived and skipped
    assert _flags(df) == {"A5": "saturated", "B5": "not_determined"}  # OVRFLW, ?????
    ref = read_plate_export(DATA / "grid_ref.csv", reference_nm=570).set_index("well")
    w = df.set_index("well")
    ok = w["flag"] == ""
    np.testing.assert_array_equal(w.loc[ok, "od_450"], ref.loc[ok, "od_450"])
    np.testing.assert_array_equal(w["od_ref"], ref["od_ref"])


def test_gen5_xlsx():
    df = read_plate_export(DATA / "gen5_export.xlsx", reference_nm=570)
    _check_shape(df)
    assert df.attrs["format"] == "gen5-xlsx" and df.attrs["reference_nm"] == 570
    w = df.set_index("well")
    assert w.loc["A1", "source"] == "gen5_export.xlsx:Sheet1!B30"
    # a sentinel in the reference row: the 450 value is kept, the well is flagged
    assert _flags(df) == {"A5": "ref_saturated"}
    assert w.loc["A5", "source"] == "gen5_export.xlsx:Sheet1!F31"
    ref = read_plate_export(DATA / "grid_ref.csv", reference_nm=570).set_index("well")
    np.testing.assert_array_equal(w["od_450"], ref["od_450"])


def test_plain_grid_xlsx(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Plate"
    ws.append([None] + list(range(1, 13)))
    for i, r in enumerate("ABCDEFGH"):
        ws.append([r] + [round(0.1 * i + 0.01 * c, 3) for c in range(1, 13)])
    ws["B2"] = "OVER"
    p = tmp_path / "plate.xlsx"
    wb.save(p)
    df = read_plate_export(p)
    assert df.attrs["format"] == "grid-xlsx"
    assert _flags(df) == {"A1": "saturated"}
    assert df.set_index("well").loc["H12", "od_450"] == pytest.approx(0.82)
    assert df.set_index("well").loc["H12", "source"] == "plate.xlsx:Plate!M9"


def test_xlsx_formula_without_cached_value_is_an_error():
    with pytest.raises(PlateFormatError) as exc:
        read_plate_export(DATA / "formula_no_cache.xlsx")
    msg = str(exc.value)
    assert "formula_no_cache.xlsx" in msg and "Sheet1!D4" in msg and "cached value" in msg


def test_unparseable_export_names_the_file():
    with pytest.raises(PlateFormatError) as exc:
        read_plate_export(DATA / "not_a_plate.csv")
    assert str(exc.value).startswith(str(DATA / "not_a_plate.csv"))
    assert "1..12" in str(exc.value) and "A-H" in str(exc.value)
    assert isinstance(exc.value, ValueError)


def test_truncated_grid_is_an_error():
    with pytest.raises(PlateFormatError, match=r"truncated_grid\.csv.*incomplete.*last row found: D"):
        read_plate_export(DATA / "truncated_grid.csv")


@pytest.mark.parametrize(
    ("edit", "pattern"),
    [
        (
            lambda t: t.replace("2.133", "abc", 1),
            r"OD 'abc' at plate\.csv:line 2, col 2 \(well A1\): text in a grid cell",
        ),
        (lambda t: t.replace("\nC,", "\nX,", 1), r"row 'X'|incomplete"),
        (lambda t: t.replace(",12\n", ",12,13\n", 1), r"96-well"),
        (lambda t: t + "\n" + "\n".join(t.splitlines()[:9]) + "\n", r"no wavelength label"),
    ],
)
def test_malformed_grids(tmp_path, edit, pattern):
    p = tmp_path / "plate.csv"
    p.write_text(edit((DATA / "grid_plain.csv").read_text()))
    with pytest.raises(PlateFormatError, match=pattern):
        read_plate_export(p)


def test_gen5_multiplate_and_missing_declared_wavelength(tmp_path):
    text = (DATA / "gen5_sections.txt").read_text()
    p = tmp_path / "two.txt"
    p.write_text(text + "\n" + text)
    with pytest.raises(PlateFormatError, match="plates|two grids"):
        read_plate_export(p)
    only450 = text.split("\n570\n")[0] + "\n"
    q = tmp_path / "only450.txt"
    q.write_text(only450)
    with pytest.raises(PlateFormatError, match="no grid for 570"):
        read_plate_export(q)


def test_missing_file_and_binary(tmp_path):
    with pytest.raises(PlateFormatError, match="file not found"):
        read_plate_export(tmp_path / "nope.csv")
    b = tmp_path / "bin.csv"
    b.write_bytes(b"\x00\x01\x02" * 10)
    with pytest.raises(PlateFormatError, match="binary"):
        read_plate_export(b)
    x = tmp_path / "bad.xlsx"
    x.write_text("not a zip")
    with pytest.raises(PlateFormatError, match="the name says .xlsx but the file is not an Excel workbook"):
        read_plate_export(x)


def test_semicolon_decimal_comma(tmp_path):
    lines = [";" + ";".join(str(c) for c in range(1, 13))]
    for r in "ABCDEFGH":
        lines.append(r + ";" + ";".join("0,125" for _ in range(12)))
    p = tmp_path / "eu.csv"
    p.write_text("\n".join(lines))
    df = read_plate_export(p)
    assert (df["od_450"] == 0.125).all()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.123", (0.123, "")),
        ("OVER", (math.nan, "saturated")),
        ("ovrflw", (math.nan, "saturated")),
        ("****", (math.nan, "saturated")),
        ("Range?", (math.nan, "saturated")),
        (">4.000", (math.nan, "saturated")),
        ("n.d.", (math.nan, "not_determined")),
        ("<LLOQ", (math.nan, "not_determined")),
        ("<0.000", (math.nan, "not_determined")),
        ("?????", (math.nan, "not_determined")),
        ("MISSED", (math.nan, "not_determined")),
        ("*0.356*", (0.356, "masked")),
        ("", (math.nan, "missing")),
        (None, (math.nan, "missing")),
        (1.5, (1.5, "")),
        ("hello", None),
    ],
)
def test_parse_od_cell(text, expected):
    got = parse_od_cell(text)
    if expected is None:
        assert got is None
        return
    assert got[1] == expected[1]
    assert (math.isnan(got[0]) and math.isnan(expected[0])) or got[0] == expected[0]


def test_a_workbook_is_read_by_its_content_whatever_its_name(tmp_path):
    renamed = tmp_path / "gen5_export.csv"
    shutil.copy(DATA / "gen5_export.xlsx", renamed)
    df = read_plate_export(renamed, reference_nm=570)
    expected = read_plate_export(DATA / "gen5_export.xlsx", reference_nm=570)
    assert df.attrs["format"] == "gen5-xlsx"
    assert df.drop(columns="source").equals(expected.drop(columns="source"))
    assert df["source"].str.startswith("gen5_export.csv:").all()
