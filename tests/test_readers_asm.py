"""Allotrope Simple Model plate-reader JSON: measurement documents grouped into reads, the
measurement by the value's key, the wavelength from the detector setting, an error document kept
as the well's raw cell, per-well calculated data derived, a cut document refused.

Fixtures: tests/data/plates/asm/make_fixtures.py (seeded; the tests recompute its values)."""

import importlib.util
from pathlib import Path

import pytest

from trialflow.elisa.errors import PlateFormatError
from trialflow.elisa.readers import asm
from trialflow.elisa.readers.load import load_export

DATA = Path(__file__).parent / "data"
HERE = DATA / "plates" / "asm"
_spec = importlib.util.spec_from_file_location("asm_fixtures", HERE / "make_fixtures.py")
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)
NAME = "asm_absorbance_450_620.json"


def parsed(name: str):
    return asm.reads(load_export(HERE / name))


def test_two_wavelengths_of_one_plate_with_every_well_and_its_document():
    p = parsed(NAME)
    assert p.format == "asm-json"
    assert p.plates() == [(1, "IL6-P1")]
    raw = [r for r in p.reads if not r.derived]
    assert [(r.label, r.step, r.nm, r.measurement, r.mode, r.wells) for r in raw] == [
        ("absorbance 450 nm", "absorbance", 450, "absorbance", "endpoint", 96),
        ("absorbance 620 nm", "absorbance", 620, "absorbance", "endpoint", 96),
    ]
    for read, nm, m in ((raw[0], 450, 1), (raw[1], 620, 2)):
        expected = fx.values(fx.ABS[nm])
        assert sorted(read.cells) == sorted(expected)
        for k, well in enumerate(fx.wells(96)):
            value = "OVRFLW" if (well, nm) == (fx.OVERFLOW, 450) else expected[well]
            assert read.cells[well] == (value, f"{NAME}:plate reader document {k + 1}, measurement document {m}"), well
    assert p.metadata["manifest"].endswith("plate-reader/REC/2025/03/plate-reader.manifest")
    assert p.metadata["software name"] == "Gen5" and p.metadata["model number"] == "Synergy H1"


def test_per_well_calculated_data_is_derived_and_group_results_are_counted_not_read():
    p = parsed(NAME)
    (blank,) = [r for r in p.reads if r.derived]
    assert (blank.label, blank.nm, blank.measurement, blank.wells) == ("Blank 450", 450, "unknown", 96)
    expected = fx.values(fx.ABS[450])
    assert {w: v for w, (v, _) in blank.cells.items()} == {w: round(v - 0.05, 4) for w, v in expected.items()}
    assert p.metadata["calculated data not per well"] == "1"


def test_luminescence_384_without_a_wavelength_setting():
    (read,) = parsed("asm_luminescence_384.json").reads
    assert (read.measurement, read.nm, read.wells, read.plate_name, read.derived) == (
        "luminescence",
        None,
        384,
        "LUM-7",
        False,
    )
    assert {w: v for w, (v, _) in read.cells.items()} == fx.luminescence_values()


def test_a_cut_document_is_refused_naming_the_line():
    with pytest.raises(PlateFormatError) as err:
        parsed("asm_truncated.json")
    assert "not a complete JSON document" in str(err.value) and "truncated" in str(err.value)
    assert err.value.problems[0].line.isdigit()


def test_a_location_that_is_no_well_is_refused(tmp_path):
    text = (
        (HERE / NAME).read_text(encoding="utf-8").replace('"location identifier": "B7"', '"location identifier": "7"')
    )
    (tmp_path / "spots.json").write_text(text, encoding="utf-8")
    with pytest.raises(
        PlateFormatError, match=r"plate reader document 19, measurement document 1: location identifier '7'"
    ):
        asm.reads(load_export(tmp_path / "spots.json"))


OTHERS = [
    DATA / "elisa" / "grid_plain.csv",
    DATA / "elisa" / "grid_ref.csv",
    DATA / "elisa" / "gen5_sections.txt",
    DATA / "elisa" / "gen5_export.xlsx",
    *sorted(p for p in (DATA / "plates").glob("*/*") if p.suffix != ".py" and p.parent.name != "asm"),
]


@pytest.mark.parametrize("path", OTHERS, ids=lambda p: p.name)
def test_other_exports_are_not_recognised(path):
    assert not asm.recognises(load_export(path))


def test_a_json_document_of_another_kind_is_not_recognised(tmp_path):
    (tmp_path / "other.json").write_text('{"$asm.manifest": "http://purl.allotrope.org/manifests/pcr/x", "a": 1}')
    assert not asm.recognises(load_export(tmp_path / "other.json"))


def test_the_chooser_flags_the_overflowed_well_and_refuses_luminescence():
    from trialflow.elisa.readers.choose import ReadChoice, choose_reads

    export = load_export(HERE / NAME)
    df = choose_reads(export, asm.reads(export), ReadChoice(wavelength_nm=450, reference_nm=620)).set_index("well")
    assert df.loc[fx.OVERFLOW, "flag"] == "saturated"
    assert df.loc["A1", "od"] == pytest.approx(fx.values(fx.ABS[450])["A1"] - fx.values(fx.ABS[620])["A1"])
    export = load_export(HERE / "asm_luminescence_384.json")
    with pytest.raises(PlateFormatError, match="holds luminescence reads, not absorbance"):
        choose_reads(export, asm.reads(export), ReadChoice())
