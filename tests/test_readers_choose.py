"""Choosing the plate and reads of an export (readers/choose.py): nothing guessed, every refusal
naming what the file holds and the key that selects the right read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trialflow.elisa.errors import GRID_SHAPE, WAVELENGTH, PlateFormatError
from trialflow.elisa.readers.choose import ReadChoice, choose_reads
from trialflow.elisa.readers.plate import well_names
from trialflow.elisa.readers.reads import Export, Parsed, Read

PATH = Path("plate.txt")
KEYS = "elisa.reads.BDNF.<key>, or the manifest's <key> column"


def grid(value: float, wells: int = 96, **kw) -> Read:
    """A read whose well i holds value + i/1000 (every well tells where it came from)."""
    cells = {w: (f"{value + i / 1000:.3f}", f"plate.txt:line {i + 1}, col 2") for i, w in enumerate(well_names(wells))}
    return Read(cells=cells, wells=wells, where=f"plate.txt:line {int(value * 100)}", **kw)


def choose(reads: list[Read], **choice) -> object:
    return choose_reads(Export(PATH, "text"), Parsed("test", reads), ReadChoice(keys=KEYS, **choice))


def refused(reads: list[Read], **choice) -> PlateFormatError:
    with pytest.raises(PlateFormatError) as err:
        choose(reads, **choice)
    return err.value


def test_primary_and_reference_of_one_step_give_the_corrected_od():
    df = choose([grid(1.0, nm=450, label="450"), grid(0.1, nm=570, label="570")], reference_nm=570)
    assert len(df) == 96 and df["well"].iloc[-1] == "H12"
    # od = primary - reference, well by well: 1.000 + i/1000 - (0.100 + i/1000) = 0.9
    np.testing.assert_allclose(df["od"], 0.9, atol=1e-12)
    assert df.attrs["primary_nm"] == 450 and df.attrs["reference_nm"] == 570
    assert df.attrs["wavelength_stated_by"] == "file"


def test_a_second_wavelength_in_the_step_is_never_taken_as_reference_unasked():
    err = refused([grid(1.0, nm=450, label="450"), grid(0.1, nm=570, label="570")])
    assert "570 nm" in str(err) and "elisa.reads.BDNF.reference_nm" in str(err) and err.problems[0].rule == WAVELENGTH
    df = choose([grid(1.0, nm=450, label="450"), grid(0.1, nm=570, label="570")], reference_nm="none")
    assert df.attrs["reference_nm"] is None and df["od"].iloc[0] == pytest.approx(1.0)


def test_a_reference_from_another_read_step_is_refused():
    reads = [grid(1.0, nm=450, label="Read 1:450", step="Read 1"), grid(0.4, nm=418, label="Read 2:418", step="Read 2")]
    err = refused(reads, reference_nm=418)
    assert "belongs to read step 'Read 2'" in str(err) and "'Read 1'" in str(err)
    # without a reference, the other step's read is another measurement and is left alone
    df = choose(reads)
    assert df.attrs["step"] == "Read 1" and df.attrs["reference_nm"] is None


def test_one_wavelength_in_two_steps_needs_the_read_named():
    reads = [grid(1.0, nm=450, label="Read 1:450", step="Read 1"), grid(2.0, nm=450, label="Read 2:450", step="Read 2")]
    err = refused(reads)
    assert "different read steps" in str(err) and "elisa.reads.BDNF.read" in str(err)
    df = choose(reads, read="Read 2")
    assert df["od"].iloc[0] == pytest.approx(2.0)


def test_a_named_read_that_is_not_there_lists_the_reads():
    err = refused([grid(1.0, nm=450, label="450")], read="Read 3")
    assert "no raw read named 'Read 3'" in str(err) and "'450' (450 nm)" in str(err)


def test_a_missing_wavelength_lists_what_the_file_holds():
    err = refused([grid(1.0, nm=405, label="405")], wavelength_nm=450)
    assert "no 450 nm read" in str(err) and "405 nm" in str(err) and "elisa.reads.BDNF.wavelength_nm" in str(err)
    assert choose([grid(1.0, nm=405, label="405")], wavelength_nm=405).attrs["primary_nm"] == 405


def test_a_file_stating_no_wavelength_is_read_at_the_named_one():
    df = choose([grid(1.0, label="")], wavelength_nm=492)
    assert df.attrs["primary_nm"] == 492 and df.attrs["wavelength_stated_by"] == "config"
    err = refused([grid(1.0, label="")], wavelength_nm=None)
    assert "no wavelength is named" in str(err)


def test_luminescence_and_fluorescence_are_not_absorbance():
    err = refused([grid(1.0, nm=None, label="Luminometric1", measurement="luminescence")])
    assert "luminescence reads, not absorbance" in str(err) and "Luminometric1" in str(err)
    err = refused([grid(1.0, nm=485, label="485/528", measurement="fluorescence")], wavelength_nm=485)
    assert "fluorescence" in str(err)


def test_a_kinetic_read_is_refused_where_an_endpoint_is_expected():
    err = refused([grid(1.0, nm=450, label="450", mode="kinetic")])
    assert "kinetic read" in str(err) and "endpoint" in str(err)


def test_derived_grids_are_never_read():
    reads = [grid(0.5, nm=450, label="Blank 450", derived=True), grid(1.0, nm=450, label="450")]
    assert choose(reads)["od"].iloc[0] == pytest.approx(1.0)
    err = refused([grid(0.5, nm=450, label="Blank 450", derived=True)])
    assert "derived" in str(err) and err.problems[0].rule == GRID_SHAPE


def test_several_plates_need_the_plate_named_by_name_or_position():
    reads = [
        grid(1.0, nm=450, label="450", plate=1, plate_name="Plate1"),
        grid(2.0, nm=450, label="450", plate=2, plate_name="Plate2"),
        grid(3.0, nm=450, label="450", plate=3, plate_name="Plate1"),
    ]
    err = refused(reads)
    assert "holds 3 plates (1 'Plate1', 2 'Plate2', 3 'Plate1')" in str(err) and "plate column" in str(err)
    assert choose(reads, plate="Plate2")["od"].iloc[0] == pytest.approx(2.0)
    assert choose(reads, plate="3")["od"].iloc[0] == pytest.approx(3.0)
    assert choose(reads, plate="3").attrs["plate_name"] == "Plate1"
    err = refused(reads, plate="Plate1")
    assert "2 plates named 'Plate1' (positions 1, 3)" in str(err)
    assert "no plate at position 4" in str(refused(reads, plate="4"))
    assert "no plate named 'P9'" in str(refused(reads, plate="P9"))


def test_a_384_well_read_gives_384_wells():
    df = choose([grid(1.0, wells=384, nm=450, label="450")])
    assert len(df) == 384 and df["well"].iloc[-1] == "P24" and df.attrs["wells"] == 384
    assert df.loc[df["well"] == "P24", "od"].iloc[0] == pytest.approx(1.383)


def test_a_read_missing_wells_is_refused():
    read = grid(1.0, nm=450, label="450")
    del read.cells["H12"], read.cells["H11"]
    err = refused([read])
    assert "lacks 2 of its 96 wells (H11, H12)" in str(err)


def test_a_declared_wavelength_without_its_grid_is_a_truncated_file():
    parsed = Parsed("test", [grid(1.0, nm=450, label="450")], metadata={"Wavelengths": "450, 570"})
    with pytest.raises(PlateFormatError, match="declares wavelength"):
        choose_reads(Export(PATH, "text"), parsed, ReadChoice(reference_nm="none"))


def test_an_unlabelled_grid_beside_a_labelled_primary_is_ambiguous():
    err = refused([grid(1.0, label=""), grid(1.1, nm=450, label="450")])
    assert "ambiguous" in str(err)
