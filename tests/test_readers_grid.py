"""The plain grid layout (trialflow.elisa.readers.grid): every grid of a CSV or workbook
described as a Read - label, wavelength, step, plate, derived - with every cell as written."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from trialflow.elisa.errors import GRID_SHAPE, PlateFormatError
from trialflow.elisa.readers import grid
from trialflow.elisa.readers.load import load_export
from trialflow.elisa.readers.reads import Export

DATA = Path(__file__).parent / "data" / "plates" / "grid"
_spec = importlib.util.spec_from_file_location("grid_fixtures", DATA / "make_fixtures.py")
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)


def parse(name: str | Path):
    return grid.reads(load_export(DATA / name if isinstance(name, str) else name))


def cell_values(read) -> dict[str, object]:
    return {well: value for well, (value, _) in read.cells.items()}


def describe(read) -> tuple:
    return (read.label, read.nm, read.step, read.plate, read.plate_name, read.measurement, read.mode, read.derived)


def test_one_unlabelled_grid_keeps_every_cell_raw():
    parsed = parse("grid_450.csv")
    assert parsed.format == "grid-text"
    (read,) = parsed.reads
    assert describe(read) == ("", None, "", 1, "", "absorbance", "endpoint", False)
    assert read.wells == 96 and read.where == "line 1"
    assert cell_values(read) == fixtures.values(1, marks=True)
    assert read.cells["D5"] == ("*0.356*", "grid_450.csv:line 5, col 6")
    assert read.cells["H12"][1] == "grid_450.csv:line 9, col 13"


def test_labelled_primary_and_reference_grids():
    parsed = parse("grid_450_570.csv")
    assert [describe(r) for r in parsed.reads] == [
        ("450", 450, "", 1, "", "absorbance", "endpoint", False),
        ("Wavelength: 570", 570, "", 1, "", "absorbance", "endpoint", False),
    ]
    assert [r.where for r in parsed.reads] == ["line 2", "line 13"]
    assert cell_values(parsed.reads[0]) == fixtures.values(2)
    assert cell_values(parsed.reads[1]) == fixtures.values(3, low=0.03, high=0.06)


def test_a_blank_grid_is_derived():
    parsed = parse("grid_blank.csv")
    assert [(r.label, r.nm, r.derived) for r in parsed.reads] == [("450", 450, False), ("Blank 450", None, True)]
    assert cell_values(parsed.reads[1]) == fixtures.values(5)


def test_384_well_grid():
    (read,) = parse("grid_384.csv").reads
    assert (read.wells, read.nm, read.label) == (384, 450, "Wavelength: 450")
    assert len(read.cells) == 384 and read.cells["P24"][1] == "grid_384.csv:line 18, col 25"
    assert cell_values(read) == fixtures.values(6, 384)


def test_plate_number_blocks_are_plates():
    parsed = parse("grid_two_plates.csv")
    assert [(r.plate, r.plate_name, r.nm) for r in parsed.reads] == [(1, "Plate A", 450), (2, "Plate B", 450)]
    assert parsed.plates() == [(1, "Plate A"), (2, "Plate B")]
    assert cell_values(parsed.reads[0]) == fixtures.values(7)
    assert cell_values(parsed.reads[1]) == fixtures.values(8)


def test_grids_on_several_worksheets_are_named_by_their_sheet():
    parsed = parse("grid_sheets.xlsx")
    assert parsed.format == "grid-xlsx"
    assert [(r.label, r.nm, r.where) for r in parsed.reads] == [("450", 450, "450!B1"), ("570", 570, "570!B1")]
    assert {w: float(v) for w, v in cell_values(parsed.reads[0]).items()} == {
        w: float(v) for w, v in fixtures.values(9).items()
    }
    assert parsed.reads[1].cells["A1"][1] == "grid_sheets.xlsx:570!B2"


def test_one_grid_on_a_workbook_keeps_its_own_label(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Sheet1"
    fixtures.write_sheet(wb.active, fixtures.values(11))
    wb.save(tmp_path / "one.xlsx")
    (read,) = parse(tmp_path / "one.xlsx").reads
    assert (read.label, read.nm, read.where) == ("", None, "Sheet1!B1")


def test_recognises_every_export_of_rows_not_xml_or_json(tmp_path):
    assert grid.recognises(load_export(DATA / "grid_450.csv"))
    assert grid.recognises(load_export(DATA / "grid_sheets.xlsx"))
    assert not grid.recognises(Export(tmp_path / "a.xml", "xml", text="<a/>"))
    assert not grid.recognises(Export(tmp_path / "a.json", "json", text="{}"))


def _broken(tmp_path, text: str) -> PlateFormatError:
    p = tmp_path / "plate.csv"
    p.write_text(text)
    with pytest.raises(PlateFormatError) as exc:
        parse(p)
    assert exc.value.problems[0].rule == GRID_SHAPE
    assert str(exc.value).startswith(str(p))
    return exc.value


def test_truncated_grid_names_the_line(tmp_path):
    lines = (DATA / "grid_450_570.csv").read_text().splitlines()
    exc = _broken(tmp_path, "\n".join(lines[:18]) + "\n")
    assert "incomplete" in str(exc) and "last row found: E" in str(exc) and "file ends there" in str(exc)
    assert exc.problems[0].line == "19"


def test_truncated_384_grid(tmp_path):
    lines = (DATA / "grid_384.csv").read_text().splitlines()
    exc = _broken(tmp_path, "\n".join(lines[:12]) + "\n")
    assert "rows A-P" in str(exc) and "last row found: J" in str(exc)


def test_duplicated_row_and_cut_row(tmp_path):
    lines = (DATA / "grid_450.csv").read_text().splitlines()
    exc = _broken(tmp_path, "\n".join(lines[:4] + [lines[3]] + lines[4:]) + "\n")
    assert "row 'C' at plate.csv:line 5, col 1 where row 'D' was expected" in str(exc)
    exc = _broken(tmp_path, "\n".join(lines[:5] + [lines[5][:30]] + lines[6:]) + "\n")
    assert "cut short" in str(exc) and exc.problems[0].line == "6"


def test_label_announcing_a_missing_grid(tmp_path):
    text = (DATA / "grid_450.csv").read_text() + "\nWavelength: 570\n"
    assert "announces a grid" in str(_broken(tmp_path, text))


def test_no_grid_at_all(tmp_path):
    exc = _broken(tmp_path, "plate,od\nA1,0.5\n")
    assert "no 96-well grid" in str(exc) and "1..12" in str(exc) and "A-H" in str(exc)
