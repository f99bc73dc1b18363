"""SoftMax Pro text exports: every plate section, wavelength and derived grid described, every well's value as written.

The fixtures are written by tests/data/plates/softmax/make_fixtures.py; :func:`values` there gives the
numbers each grid holds.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from trialflow.elisa.errors import GRID_SHAPE, PlateFormatError
from trialflow.elisa.readers import softmax
from trialflow.elisa.readers.load import load_export

DATA = Path(__file__).parent / "data" / "plates" / "softmax"
ELISA = Path(__file__).parent / "data" / "elisa"

_spec = importlib.util.spec_from_file_location("softmax_fixtures", DATA / "make_fixtures.py")
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)


def parse(name: str):
    export = load_export(DATA / name)
    assert softmax.recognises(export)
    return softmax.reads(export)


def values_of(read) -> dict[str, str]:
    return {well: value for well, (value, _) in read.cells.items()}


def test_plate_format_two_sections_two_wavelengths_side_by_side():
    """UTF-16 with BOM: two sections named alike, addressed by position; 450 and 650 nm each read from its
    own group of columns; the reduced grid and the group table derived."""
    parsed = parse("plate_format_two_plates.txt")
    assert parsed.format == "softmax-plate-text"
    assert parsed.plates() == [(1, "Plate01"), (2, "Plate01")]
    raw = [r for r in parsed.reads if not r.derived]
    assert [(r.plate, r.label, r.nm, r.step) for r in raw] == [
        (1, "Lm1", 450, "Plate01"),
        (1, "Lm2", 650, "Plate01"),
        (2, "Lm1", 450, "Plate01"),
        (2, "Lm2", 650, "Plate01"),
    ]
    assert all(r.measurement == "absorbance" and r.mode == "endpoint" and r.wells == 96 for r in parsed.reads)
    expected_1 = fixtures.values(1)
    expected_1["C7"] = "Range?"  # kept raw: parse_od_cell reads it later
    assert values_of(raw[0]) == expected_1
    assert values_of(raw[1]) == fixtures.values(2)
    assert values_of(raw[2]) == fixtures.values(3)
    assert values_of(raw[3]) == fixtures.values(4)
    assert raw[0].cells["A1"][1] == "plate_format_two_plates.txt:line 7, col 3"
    assert raw[1].cells["A1"][1] == "plate_format_two_plates.txt:line 7, col 16"
    assert raw[1].cells["H12"][1] == "plate_format_two_plates.txt:line 14, col 27"
    assert raw[0].where == "line 7"

    derived = [r for r in parsed.reads if r.derived]
    assert [(r.plate, r.label, r.nm) for r in derived] == [
        (1, "Reduced", None),
        (2, "Reduced", None),
        (1, "Group Standards: OD", None),
        (1, "Group Standards: MeanOD", None),
    ]
    reduced = derived[0]
    assert len(reduced.cells) == 96 and reduced.cells["C7"][0] == "Range?"
    assert float(reduced.cells["A1"][0]) == pytest.approx(float(expected_1["A1"]) - float(fixtures.values(2)["A1"]))
    assert set(derived[2].cells) == {"A1", "A2"}
    assert parsed.metadata["Original Filename"] == "elisa_two_plates"
    assert parsed.metadata["Export Version"] == "1.3"


def test_time_format_one_line_per_wavelength():
    """UTF-8 time format: the wells are columns, one line per wavelength, then the reduced line."""
    parsed = parse("time_format_450_570.txt")
    assert parsed.format == "softmax-time-text"
    assert parsed.plates() == [(1, "Assay 7")]
    lm1, lm2, reduced = parsed.reads
    assert (lm1.label, lm1.nm, lm1.derived, lm1.mode) == ("Lm1", 450, False, "endpoint")
    assert (lm2.label, lm2.nm, lm2.derived) == ("Lm2", 570, False)
    assert lm1.step == lm2.step == "Assay 7"
    assert values_of(lm1) == fixtures.values(5)
    assert values_of(lm2) == fixtures.values(6)
    assert lm1.cells["A1"][1] == "time_format_450_570.txt:line 4, col 3"
    assert lm2.cells["H12"][1] == "time_format_450_570.txt:line 7, col 98"
    assert (reduced.label, reduced.nm, reduced.derived) == ("Reduced", None, True)
    assert len(reduced.cells) == 96


def test_384_wells_utf16_without_bom():
    parsed = parse("plate_format_384.txt")
    raw, reduced = parsed.reads
    assert (raw.wells, raw.nm, raw.label, raw.derived) == (384, 450, "Lm1", False)
    assert values_of(raw) == fixtures.values(7, 384)
    assert "P24" in raw.cells and raw.cells["P24"][1] == "plate_format_384.txt:line 19, col 26"
    assert reduced.derived and reduced.wells == 384 and len(reduced.cells) == 384


def test_kinetic_grid_per_time_point_marked_kinetic():
    parsed = parse("kinetic_plate_format.txt")
    raw = [r for r in parsed.reads if not r.derived]
    assert [(r.label, r.nm, r.mode) for r in raw] == [
        ("Lm1 at 0:00", 405, "kinetic"),
        ("Lm1 at 0:30", 405, "kinetic"),
        ("Lm1 at 1:00", 405, "kinetic"),
    ]
    for k, read in enumerate(raw):
        assert values_of(read) == fixtures.values(10 + k)
    assert [r.label for r in parsed.reads if r.derived] == ["Reduced"]


def test_luminescence_has_no_wavelength():
    """SoftMax writes wavelength 0 for an unfiltered luminescence read: no wavelength stated."""
    parsed = parse("luminescence_time_format.txt")
    raw = parsed.reads[0]
    assert (raw.measurement, raw.nm, raw.mode, raw.derived) == ("luminescence", None, "endpoint", False)
    assert values_of(raw) == {w: str(int(float(v) * 10000)) for w, v in fixtures.values(20).items()}


def test_reduced_only_section_holds_no_raw_read():
    parsed = parse("reduced_only.txt")
    assert [(r.label, r.derived, r.nm) for r in parsed.reads] == [("Reduced", True, None)]
    assert values_of(parsed.reads[0]) == fixtures.values(21)


def test_truncated_grid_names_the_place():
    export = load_export(DATA / "truncated_grid.txt")
    with pytest.raises(PlateFormatError) as err:
        softmax.reads(export)
    message = str(err.value)
    assert "truncated_grid.txt" in message and "line 8" in message
    assert "5 of 8 rows (row F missing)" in message
    assert err.value.problems[0].rule == GRID_SHAPE


def test_section_without_end_is_truncated():
    with pytest.raises(PlateFormatError, match=r"line 2: the block 'Plate:' has no ~End line"):
        softmax.reads(load_export(DATA / "no_end.txt"))


@pytest.mark.parametrize("name", ["grid_plain.csv", "gen5_sections.txt", "gen5_results_matrix.txt", "gen5_export.xlsx"])
def test_other_exports_not_recognised(name):
    assert not softmax.recognises(load_export(ELISA / name))


def test_magellan_export_not_recognised():
    for path in sorted((Path(__file__).parent / "data" / "plates" / "magellan").glob("*.*")):
        if path.suffix != ".py":
            assert not softmax.recognises(load_export(path)), path.name


def test_xml_export_sections_wavelengths_and_kinetic_points():
    """SoftMax Pro 6/7 XML (UTF-16): one read per wavelength of each plate section, one per time point of a
    kinetic section; each value's source is the line of its RawData element."""
    parsed = parse("xml_export.xml")
    assert parsed.format == "softmax-xml"
    assert parsed.plates() == [(1, "ELISA"), (2, "Kin")]
    assert [(r.plate, r.label, r.nm, r.mode, r.step, r.derived) for r in parsed.reads] == [
        (1, "Lm1", 450, "endpoint", "ELISA", False),
        (1, "Lm2", 650, "endpoint", "ELISA", False),
        (2, "Lm1 at 0 s", 405, "kinetic", "Kin", False),
        (2, "Lm1 at 30 s", 405, "kinetic", "Kin", False),
        (2, "Lm1 at 60 s", 405, "kinetic", "Kin", False),
    ]
    for read, k in zip(parsed.reads, (40, 41, 42, 43, 44), strict=True):
        assert values_of(read) == fixtures.values(k)
        assert read.measurement == "absorbance" and read.wells == 96
    assert parsed.reads[0].cells["A1"][1] == "xml_export.xml:line 15"
    assert parsed.metadata["Instrument"] == "SpectraMax M5 ROM v3.0.22 15Oct10"


def test_truncated_xml_names_the_line():
    export = load_export(DATA / "xml_truncated.xml")
    assert softmax.recognises(export)
    with pytest.raises(PlateFormatError, match=r"line 131: not well-formed XML .*: the file is truncated"):
        softmax.reads(export)


# --- Through the chooser (choose.py): what the pipeline reads from these descriptions --------------


def choose(name: str, **kw):
    from trialflow.elisa.readers.choose import ReadChoice, choose_reads

    export = load_export(DATA / name)
    return choose_reads(export, softmax.reads(export), ReadChoice(**kw))


def test_chosen_plate_450_with_reference_650_of_the_same_section():
    df = choose("plate_format_two_plates.txt", plate="2", reference_nm=650)
    assert df.attrs["format"] == "softmax-plate-text" and df.attrs["plate"] == 2 and df.attrs["read"] == "Lm1"
    od450, od650 = fixtures.values(3), fixtures.values(4)
    assert df["od_450"].tolist() == [float(od450[w]) for w in df["well"]]
    assert df["od_ref"].tolist() == [float(od650[w]) for w in df["well"]]


def test_range_mark_is_a_saturated_well():
    df = choose("plate_format_two_plates.txt", plate="1", reference_nm=650).set_index("well")
    assert df.loc["C7", "flag"] == "saturated"


def test_repeated_plate_names_are_addressed_by_position():
    with pytest.raises(PlateFormatError, match=r"2 plates named 'Plate01' \(positions 1, 2\)"):
        choose("plate_format_two_plates.txt", plate="Plate01")


def test_chooser_refuses_luminescence_and_derived_only():
    with pytest.raises(PlateFormatError, match="holds luminescence reads, not absorbance"):
        choose("luminescence_time_format.txt")
    with pytest.raises(PlateFormatError, match="only grids the instrument software derived"):
        choose("reduced_only.txt")


def test_384_wells_through_the_chooser():
    df = choose("plate_format_384.txt")
    assert len(df) == 384 and df.attrs["wells"] == 384
    assert df["od_450"].tolist() == [float(fixtures.values(7, 384)[w]) for w in df["well"]]
