"""Tecan Magellan and i-control exports: well lists and <> grids, each data set described, every well's value as written.

The fixtures are written by tests/data/plates/magellan/make_fixtures.py; :func:`values` there gives the
numbers each data set holds.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from trialflow.elisa.errors import GRID_SHAPE, PlateFormatError
from trialflow.elisa.readers import magellan
from trialflow.elisa.readers.load import load_export

DATA = Path(__file__).parent / "data" / "plates" / "magellan"
ELISA = Path(__file__).parent / "data" / "elisa"
SOFTMAX = Path(__file__).parent / "data" / "plates" / "softmax"

_spec = importlib.util.spec_from_file_location("magellan_fixtures", DATA / "make_fixtures.py")
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)


def parse(name: str):
    export = load_export(DATA / name)
    assert magellan.recognises(export)
    return magellan.reads(export)


def values_of(read) -> dict[str, object]:
    return {well: value for well, (value, _) in read.cells.items()}


def expected_od() -> dict[str, object]:
    od: dict[str, object] = dict(fixtures.values(1))
    od["D7"] = "OVER"  # Magellan's overflow mark, kept raw
    return od


def test_magellan_well_list_xlsx():
    """One measurement: the 'Raw data' column is the 450 nm read; the plate id is written on part of the rows."""
    parsed = parse("magellan_list_od.xlsx")
    assert parsed.format == "magellan-list-xlsx"
    assert parsed.plates() == [(1, "96WEL017")]
    (read,) = parsed.reads
    assert (read.label, read.nm, read.measurement, read.mode, read.derived, read.wells) == (
        "Raw data",
        450,
        "absorbance",
        "endpoint",
        False,
        96,
    )
    assert values_of(read) == expected_od()
    assert read.cells["A1"][1] == "magellan_list_od.xlsx:Magellan Sheet 1!A2"
    assert read.cells["B1"][1] == "magellan_list_od.xlsx:Magellan Sheet 1!A3"  # listed column by column
    meta = parsed.metadata
    assert meta["Date of measurement"] == "2026-03-02" and meta["Time of measurement"] == "09:41:12"
    assert meta["Method"] == "ELISA_IL6.mth" and meta["Instrument"] == "SUNRISE"
    assert meta["Plate definition file"] == "GRE96ft.pdf"
    assert meta["Instrument serial number"] == "1010004567"


def test_magellan_well_list_text():
    """The same list as tab-separated text: the values stay text."""
    parsed = parse("magellan_list_od.txt")
    assert parsed.format == "magellan-list-text"
    (read,) = parsed.reads
    assert (read.label, read.nm, read.derived) == ("Raw data", 450, False)
    assert values_of(read) == {w: str(v) for w, v in expected_od().items()}
    assert read.cells["A1"][1] == "magellan_list_od.txt:line 2, col 1"


def test_magellan_two_measurements_384_wells():
    """Label1 and Label2 are two measurements (two read steps), 450 and 620 nm, named by the
    'Meas. temperature' lines; the note columns beside the data are not data sets."""
    parsed = parse("magellan_list_two_labels_384.xlsx")
    first, second = parsed.reads
    assert [(r.label, r.nm, r.step, r.wells, r.derived) for r in parsed.reads] == [
        ("Label1", 450, "Label1", 384, False),
        ("Label2", 620, "Label2", 384, False),
    ]
    assert values_of(first) == fixtures.values(2, 384)
    assert values_of(second) == fixtures.values(3, 384)
    assert first.cells["P24"][1] == "magellan_list_two_labels_384.xlsx:Magellan Sheet 1!B387"


def test_magellan_grids_raw_and_derived():
    """Grid arrangement: 'Raw data' is the measurement's read; 'Blank reduced' names no measurement: derived."""
    parsed = parse("magellan_grid.xlsx")
    assert parsed.format == "magellan-grid-xlsx"
    raw, reduced = parsed.reads
    assert (raw.label, raw.nm, raw.derived, raw.measurement) == ("Raw data", 450, False, "absorbance")
    assert (reduced.label, reduced.nm, reduced.derived) == ("Blank reduced", None, True)
    assert values_of(raw) == fixtures.values(4)
    assert values_of(reduced) == fixtures.values(5)
    assert raw.cells["H12"][1] == "magellan_grid.xlsx:Magellan Sheet 1!M10"


def test_icontrol_two_labels_are_two_steps():
    parsed = parse("icontrol_two_labels.xlsx")
    assert parsed.format == "icontrol-grid-xlsx"
    assert parsed.plates() == [(1, "IL6-P3")]
    od450, od620 = parsed.reads
    assert [(r.label, r.nm, r.step, r.measurement, r.mode, r.derived) for r in parsed.reads] == [
        ("OD450", 450, "OD450", "absorbance", "endpoint", False),
        ("OD620", 620, "OD620", "absorbance", "endpoint", False),
    ]
    assert values_of(od450) == fixtures.values(10)
    assert values_of(od620) == fixtures.values(11)
    assert od450.cells["A1"][1] == "icontrol_two_labels.xlsx:Sheet1!B21"
    assert parsed.metadata["Software Version"] == "2.0.10.0"
    assert parsed.metadata["Device"] == "infinite 200Pro"


def test_icontrol_kinetic_one_read_per_cycle():
    parsed = parse("icontrol_kinetic.xlsx")
    assert [(r.label, r.nm, r.mode) for r in parsed.reads] == [
        ("OD600 cycle 1", 600, "kinetic"),
        ("OD600 cycle 2", 600, "kinetic"),
        ("OD600 cycle 3", 600, "kinetic"),
    ]
    for k, read in enumerate(parsed.reads):
        assert values_of(read) == fixtures.values(20 + k)


def test_icontrol_fluorescence_text():
    parsed = parse("icontrol_fluorescence.txt")
    (read,) = parsed.reads
    assert (read.measurement, read.nm, read.label) == ("fluorescence", 535, "FITC")
    assert values_of(read) == {w: str(int(v * 10000)) for w, v in fixtures.values(30).items()}


def test_duplicated_well_names_both_places():
    with pytest.raises(PlateFormatError) as err:
        magellan.reads(load_export(DATA / "magellan_duplicate_well.xlsx"))
    message = str(err.value)
    assert "Magellan Sheet 1!A10" in message and "well A1 is listed twice (first at Magellan Sheet 1!A2)" in message
    assert err.value.problems[0].rule == GRID_SHAPE


def test_truncated_icontrol_grid_names_the_row():
    with pytest.raises(PlateFormatError, match=r"Sheet1!A14: label 'OD450': row G expected, found nothing"):
        magellan.reads(load_export(DATA / "icontrol_truncated.xlsx"))


@pytest.mark.parametrize("name", ["grid_plain.csv", "gen5_sections.txt", "gen5_results_matrix.txt", "gen5_export.xlsx"])
def test_other_exports_not_recognised(name):
    assert not magellan.recognises(load_export(ELISA / name))


def test_softmax_exports_not_recognised():
    for path in sorted(SOFTMAX.glob("*.txt")):
        assert not magellan.recognises(load_export(path)), path.name


# --- Through the chooser (choose.py) ---------------------------------------------------------------


def choose(name: str, **kw):
    from trialflow.elisa.readers.choose import ReadChoice, choose_reads

    export = load_export(DATA / name)
    return choose_reads(export, magellan.reads(export), ReadChoice(**kw))


def test_magellan_list_through_the_chooser():
    df = choose("magellan_list_od.xlsx").set_index("well")
    assert df.attrs["format"] == "magellan-list-xlsx" and df.attrs["plate_name"] == "96WEL017"
    od = fixtures.values(1)
    assert df.loc["A1", "od_450"] == od["A1"] and df.loc["H12", "od_450"] == od["H12"]
    assert df.loc["D7", "flag"] == "saturated"  # Magellan's OVER


def test_reference_from_another_measurement_is_refused():
    """Two Magellan measurements (Label1 at 450, Label2 at 620) are two read steps: 620 nm is not the
    reference of the 450 nm read; the message names the step."""
    with pytest.raises(
        PlateFormatError, match=r"belongs to read step 'Label2', not to the primary read's step 'Label1'"
    ):
        choose("magellan_list_two_labels_384.xlsx", reference_nm=620)
    df = choose("magellan_list_two_labels_384.xlsx", reference_nm="none")
    assert len(df) == 384


def test_icontrol_fluorescence_refused_by_the_chooser():
    with pytest.raises(PlateFormatError, match="holds fluorescence reads, not absorbance"):
        choose("icontrol_fluorescence.txt")


def test_magellan_well_list_legacy_xls():
    """The same list as a legacy .xls workbook, loaded through xlrd: numbers stay numbers, OVER stays text."""
    parsed = parse("magellan_list_od.xls")
    assert parsed.format == "magellan-list-xls"
    (read,) = parsed.reads
    assert (read.label, read.nm, read.derived, read.plate_name) == ("Raw data", 450, False, "96WEL017")
    assert values_of(read) == expected_od()
    assert read.cells["H12"][1] == "magellan_list_od.xls:Magellan Sheet 1!A97"


def test_values_without_a_well_position_are_refused(tmp_path):
    rows = fixtures.magellan_list_od()
    rows[5][1] = None  # the fifth well's position erased, its value left
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Magellan Sheet 1"
    for row in rows:
        wb.active.append(row)
    wb.save(tmp_path / "no_position.xlsx")
    with pytest.raises(PlateFormatError, match=r"Magellan Sheet 1!A6: a line of values whose well position is ''"):
        magellan.reads(load_export(tmp_path / "no_position.xlsx"))


def _workbook(tmp_path, name: str, sheets: list[tuple[str, list[list[object]]]]) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(tmp_path / name)
    return tmp_path / name


def test_magellan_list_of_two_plates_gives_two_plates(tmp_path):
    """Several plate ids in the Plate column: one plate per id, in order of appearance."""
    rows = fixtures.magellan_list_od()
    for k, row in enumerate(rows[1:97]):
        row[2] = "P-A" if k < 48 else "P-B"
    for k, row in enumerate(rows[49:97]):  # the second plate repeats the first 48 wells
        row[1] = rows[1 + k][1]
    path = _workbook(tmp_path, "two_plates.xlsx", [("Magellan Sheet 1", rows)])
    parsed = magellan.reads(load_export(path))
    assert parsed.plates() == [(1, "P-A"), (2, "P-B")]
    assert [len(r.cells) for r in parsed.reads] == [48, 48]


def test_icontrol_export_on_each_sheet_is_a_plate(tmp_path):
    source = load_export(DATA / "icontrol_two_labels.xlsx").sheets[0][1]
    rows = [[value for value, _ in row] for row in source]
    path = _workbook(tmp_path, "two_sheets.xlsx", [("Run 1", rows), ("Run 2", rows)])
    parsed = magellan.reads(load_export(path))
    assert [(r.plate, r.label) for r in parsed.reads] == [(1, "OD450"), (1, "OD620"), (2, "OD450"), (2, "OD620")]
    assert parsed.reads[2].cells["A1"][1] == "two_sheets.xlsx:Run 2!B21"
