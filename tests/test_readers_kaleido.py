"""Revvity Kaleido CSV (2.x and 3.x): one read per result grid, the measurement by its name, an
absorbance read's wavelength from the measurement settings, a cut export refused.

Fixtures: tests/data/plates/kaleido/make_fixtures.py (seeded; the tests recompute its values)."""

import importlib.util
from pathlib import Path

import pytest

from trialflow.elisa.errors import PlateFormatError
from trialflow.elisa.readers import kaleido
from trialflow.elisa.readers.load import load_export

DATA = Path(__file__).parent / "data"
HERE = DATA / "plates" / "kaleido"
_spec = importlib.util.spec_from_file_location("kaleido_fixtures", HERE / "make_fixtures.py")
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)


def parsed(name: str):
    return kaleido.reads(load_export(HERE / name))


def assert_cells(read, expected: dict, file: str, header_line: int) -> None:
    assert sorted(read.cells) == sorted(expected)
    rows = sorted({w[0] for w in expected})
    for well, text in expected.items():
        src = f"{file}:line {header_line + 1 + rows.index(well[0])}, col {int(well[1:]) + 1}"
        assert read.cells[well] == (text, src), well


def test_kaleido2_absorbance_at_the_excitation_wavelength_of_its_settings():
    p = parsed("kaleido2_absorbance.csv")
    assert p.format == "kaleido-text"
    (read,) = p.reads
    assert (read.label, read.step, read.nm, read.measurement, read.mode, read.derived, read.wells) == (
        "ABS mono 1",
        "ABS mono 1",
        450,
        "absorbance",
        "endpoint",
        False,
        96,
    )
    assert p.plates() == [(1, "V-2025-03-14 09:12:44")]
    assert_cells(read, fx.values(fx.ABS_450), "kaleido2_absorbance.csv", 6)
    assert p.metadata["Software Version"] == "Kaleido 2.0.3058.126"


def test_kaleido3_two_absorbance_measurements_each_with_its_wavelength():
    p = parsed("kaleido3_absorbance_two.csv")
    assert [(r.label, r.nm, r.measurement, r.plate, r.plate_name) for r in p.reads] == [
        ("Absorbance 1", 450, "absorbance", 1, "PLATE-0042 09:20:01"),
        ("Absorbance 2", 630, "absorbance", 1, "PLATE-0042 09:20:01"),
    ]
    assert_cells(p.reads[0], fx.values(fx.ABS_V3[450]), "kaleido3_absorbance_two.csv", 10)
    assert_cells(p.reads[1], fx.values(fx.ABS_V3[630], 96, 0.03, 0.09), "kaleido3_absorbance_two.csv", 25)
    assert p.metadata["Software Version"] == "Kaleido 3.5.3082.227"


def test_kaleido35_luminescence_384_is_named_luminescence_without_a_wavelength():
    (read,) = parsed("kaleido35_luminescence_384.csv").reads
    assert (read.measurement, read.nm, read.wells, read.derived) == ("luminescence", None, 384, False)
    assert_cells(read, fx.counts(fx.LUM), "kaleido35_luminescence_384.csv", 10)


def test_a_cut_export_is_recognised_and_refused_naming_the_line():
    export = load_export(HERE / "kaleido2_truncated.csv")
    assert kaleido.recognises(export)
    with pytest.raises(PlateFormatError) as err:
        kaleido.reads(export)
    assert "last row found: D" in str(err.value) and "truncated" in str(err.value)
    assert err.value.problems[0].line == "10"


OTHERS = [
    DATA / "elisa" / "grid_plain.csv",
    DATA / "elisa" / "grid_ref.csv",
    DATA / "elisa" / "gen5_sections.txt",
    DATA / "elisa" / "gen5_export.xlsx",
    *sorted(p for p in (DATA / "plates").glob("*/*") if p.suffix != ".py" and p.parent.name != "kaleido"),
]


@pytest.mark.parametrize("path", OTHERS, ids=lambda p: p.name)
def test_other_exports_are_not_recognised(path):
    assert not kaleido.recognises(load_export(path))


def test_every_fixture_is_recognised():
    assert all(kaleido.recognises(load_export(p)) for p in HERE.glob("*.csv"))


def test_the_chooser_refuses_a_reference_from_another_measurement():
    """Kaleido's 'Absorbance 1' and 'Absorbance 2' are two operations: 630 nm is no reference of 450 nm."""
    from trialflow.elisa.readers.choose import ReadChoice, choose_reads

    export = load_export(HERE / "kaleido3_absorbance_two.csv")
    with pytest.raises(PlateFormatError, match="belongs to read step 'Absorbance 2', not to the primary read's step"):
        choose_reads(export, kaleido.reads(export), ReadChoice(wavelength_nm=450, reference_nm=630))
    df = choose_reads(export, kaleido.reads(export), ReadChoice(wavelength_nm=630, read="Absorbance 2"))
    assert df.attrs["primary_nm"] == 630
