"""Thermo SkanIt XLSX reports: every grid described, raw reads per step and wavelength, calculation
sheets derived, luminescence named, side tables never read, a cut workbook refused.

Fixtures: tests/data/plates/skanit/make_fixtures.py (seeded; the tests recompute its values)."""

import importlib.util
from pathlib import Path

import pytest

from trialflow.elisa.errors import PlateFormatError
from trialflow.elisa.readers import skanit
from trialflow.elisa.readers.load import load_export

DATA = Path(__file__).parent / "data"
HERE = DATA / "plates" / "skanit"
_spec = importlib.util.spec_from_file_location("skanit_fixtures", HERE / "make_fixtures.py")
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)

COLUMN = "ABCDEFGHIJKLM"


def parsed(name: str):
    return skanit.reads(load_export(HERE / name))


def assert_grid(read, expected: dict, sheet: str, first_row: int, file: str) -> None:
    """All 96 cells hold the written values, each with its own Sheet!cell."""
    assert sorted(read.cells) == sorted(fx.WELLS)
    for well in fx.WELLS:
        value, src = read.cells[well]
        row = first_row + "ABCDEFGH".index(well[0])
        assert value == expected.get(well), well
        assert src == f"{file}:{sheet}!{COLUMN[int(well[1:])]}{row}", well


def test_elisa_workbook_raw_reads_at_both_wavelengths_of_one_step():
    p = parsed("skanit_elisa.xlsx")
    assert p.format == "skanit-xlsx"
    assert p.plates() == [(1, "Plate 1")]
    raw = [r for r in p.reads if not r.derived]
    assert [(r.nm, r.label, r.step, r.measurement, r.mode, r.wells) for r in raw] == [
        (450, "Absorbance 1_01", "Absorbance 1", "absorbance", "endpoint", 96),
        (620, "Absorbance 1_01", "Absorbance 1", "absorbance", "endpoint", 96),
    ]
    assert_grid(raw[0], fx.values(fx.ELISA_450), "Absorbance 1_01", 11, "skanit_elisa.xlsx")
    assert_grid(raw[1], fx.values(fx.ELISA_620, *fx.REFERENCE), "Absorbance 1_01", 25, "skanit_elisa.xlsx")
    assert raw[0].where == "skanit_elisa.xlsx:Absorbance 1_01!A10"
    assert p.metadata["Report generated with SW version"].startswith("SkanIt Software 7.0.2")
    assert p.metadata["Name"] == "Multiskan SkyHigh"
    assert "Wavelength" not in p.metadata  # the instrument's filter list declares no read


def test_elisa_workbook_calculation_sheets_are_derived_and_the_sample_grid_is_no_read():
    p = parsed("skanit_elisa.xlsx")
    derived = [(r.label, r.step, r.nm, r.measurement) for r in p.reads if r.derived]
    assert derived == [
        ("Blank Subtraction 1_02: Blank subtracted", "Blank Subtraction 1", 450, "unknown"),
        ("Standard Curve 1_03: Signal", "Standard Curve 1", 450, "unknown"),
        ("Standard Curve 1_03: Conc. [pg/ml]", "Standard Curve 1", 450, "unknown"),
        ("Dilution Factor 1_04: Value", "Dilution Factor 1", 450, "unknown"),
        ("Dilution Factor 1_04: Dilution factor", "Dilution Factor 1", 450, "unknown"),
    ]
    assert not any("Sample" in r.label for r in p.reads)


def test_a_side_table_beside_the_grid_is_never_read():
    """The dilution sheet has numbers right of every grid row (columns Q-S) and on rows of their
    own between the grids: the grid holds exactly its 12 columns, the side numbers nowhere."""
    p = parsed("skanit_elisa.xlsx")
    value = next(r for r in p.reads if r.label == "Dilution Factor 1_04: Value")
    raw = fx.values(fx.ELISA_450)
    assert_grid(value, {w: round(v * 10, 3) for w, v in raw.items()}, "Dilution Factor 1_04", 13, "skanit_elisa.xlsx")
    factor = next(r for r in p.reads if r.label == "Dilution Factor 1_04: Dilution factor")
    assert {v for v, _ in factor.cells.values()} == {10}


def test_luminescence_wavelength_0_is_no_wavelength_and_named_luminescence():
    p = parsed("skanit_luminescence.xlsx")
    (read,) = p.reads
    assert (read.measurement, read.nm, read.derived, read.label, read.step) == (
        "luminescence",
        None,
        False,
        "Luminescence 1_01",
        "Luminescence 1",
    )
    assert_grid(read, fx.values(fx.LUMINESCENCE, 40, 700000, 1), "Luminescence 1_01", 11, "skanit_luminescence.xlsx")


def test_two_plates_each_at_two_wavelengths_the_second_measured_in_part():
    p = parsed("skanit_multiplate.xlsx")
    assert p.plates() == [(1, "Plate 1"), (2, "Plate 2")]
    assert [(r.plate, r.plate_name, r.nm) for r in p.reads] == [
        (1, "Plate 1", 450),
        (1, "Plate 1", 620),
        (2, "Plate 2", 450),
        (2, "Plate 2", 620),
    ]
    assert_grid(p.reads[0], fx.values(fx.MULTI[(1, 450)]), "Absorbance 1_01", 11, "skanit_multiplate.xlsx")
    partial = {w: v for w, v in fx.values(fx.MULTI[(2, 620)], *fx.REFERENCE).items() if w in fx.PARTIAL_WELLS}
    assert_grid(p.reads[3], partial, "Absorbance 1_01", 86, "skanit_multiplate.xlsx")
    assert p.reads[3].cells["H12"] == (None, "skanit_multiplate.xlsx:Absorbance 1_01!M93")


def test_a_workbook_cut_inside_a_grid_is_refused_naming_the_place():
    with pytest.raises(PlateFormatError) as err:
        parsed("skanit_truncated.xlsx")
    message = str(err.value)
    assert "Absorbance 1_01!B85" in message and "last row found: F" in message and "truncated" in message
    assert err.value.problems[0].line == "Absorbance 1_01!A91"  # row F, the last one written


OTHERS = [
    DATA / "elisa" / "grid_plain.csv",
    DATA / "elisa" / "grid_ref.csv",
    DATA / "elisa" / "gen5_sections.txt",
    DATA / "elisa" / "gen5_export.xlsx",
    *sorted(p for p in (DATA / "plates").glob("*/*") if p.suffix != ".py" and p.parent.name != "skanit"),
]


@pytest.mark.parametrize("path", OTHERS, ids=lambda p: p.name)
def test_other_exports_are_not_recognised(path):
    assert not skanit.recognises(load_export(path))


def test_every_fixture_is_recognised():
    assert all(skanit.recognises(load_export(p)) for p in HERE.glob("*.xlsx"))


def test_the_chooser_takes_450_minus_620_and_refuses_luminescence_saying_what_the_file_holds():
    from trialflow.elisa.readers.choose import ReadChoice, choose_reads

    export = load_export(HERE / "skanit_elisa.xlsx")
    df = choose_reads(export, skanit.reads(export), ReadChoice(wavelength_nm=450, reference_nm=620))
    v450, v620 = fx.values(fx.ELISA_450), fx.values(fx.ELISA_620, *fx.REFERENCE)
    assert df["od"].tolist() == pytest.approx([v450[w] - v620[w] for w in fx.WELLS])
    assert df.attrs["format"] == "skanit-xlsx" and df.attrs["step"] == "Absorbance 1"
    export = load_export(HERE / "skanit_luminescence.xlsx")
    with pytest.raises(PlateFormatError, match="holds luminescence reads, not absorbance"):
        choose_reads(export, skanit.reads(export), ReadChoice())
