"""Pandera models for the ELISA output tables ``concentrations``, ``measurements`` and ``plate_qc``."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from .curve import MODELS, WEIGHTINGS
from .qc import SAMPLE_FLAGS

__all__ = ["ConcentrationsSchema", "MeasurementsSchema", "PlateQCSchema"]

_CENSORED = ("< LLOQ", "> ULOQ", "saturated", "not_determined", "plate_failed")


class SampleKey(pa.DataFrameModel):
    """The columns that name a sample measurement: who, when, which analyte (the first columns of
    the ELISA tables of samples)."""

    participant_id: Series[str] = pa.Field(
        str_length={"min_value": 1}, title="Participant ID", description="As written in the plate map."
    )
    time: Series[str] = pa.Field(
        str_length={"min_value": 1}, title="Time point", description="As written in the plate map."
    )
    analyte: Series[str] = pa.Field(
        str_length={"min_value": 1}, title="Analyte", description="Analyte of the plate (manifest)."
    )


class ConcentrationsSchema(SampleKey):
    """``QuantResult.concentrations``: one row per participant × time × analyte."""

    concentration: Series[float] = pa.Field(
        nullable=True,
        gt=0,
        title="Concentration (unit)",
        description="Mean of the replicates' back-calculated concentrations × dilution; NaN when censored, saturated, undetermined or the plate failed.",
    )
    n_replicates: Series[int] = pa.Field(ge=0, title="Replicates", description="Usable replicate wells.")
    sd: Series[float] = pa.Field(
        nullable=True, ge=0, title="SD (unit)", description="SD of the replicates' concentrations (n − 1)."
    )
    cv_pct: Series[float] = pa.Field(
        nullable=True, ge=0, title="CV (%)", description="Replicate coefficient of variation."
    )
    flag: Series[str] = pa.Field(
        isin=list(SAMPLE_FLAGS),
        title="Flag",
        description="'' usable; high_cv (analysed, listed); < LLOQ, > ULOQ, saturated, not_determined, plate_failed (not analysed).",
    )
    plate_id: Series[str] = pa.Field(
        str_length={"min_value": 1}, title="Plate", description="Plate id from the manifest."
    )
    wells: Series[str] = pa.Field(
        str_matches=r"^[A-H](?:[1-9]|1[0-2])(?:;[A-H](?:[1-9]|1[0-2]))*$",
        title="Wells",
        description="Replicate wells, ';'-joined (e.g. A3;A4).",
    )
    dilution: Series[float] = pa.Field(ge=1, title="Dilution", description="Dilution factor of the sample in the well.")

    class Config:
        strict = False
        coerce = False
        unique = ["participant_id", "time", "analyte"]

    @pa.dataframe_check(error="usable rows (flag '') need a finite concentration")
    def usable_have_value(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["flag"] != "") | df["concentration"].notna()

    @pa.dataframe_check(error="censored/saturated/undetermined/failed rows must be NaN")
    def censored_are_nan(cls, df: pd.DataFrame) -> Series[bool]:
        return ~df["flag"].isin(_CENSORED) | df["concentration"].isna()


class PlateQCSchema(pa.DataFrameModel):
    """``QuantResult.plate_qc``: one row per plate."""

    plate_id: Series[str] = pa.Field(
        unique=True, str_length={"min_value": 1}, title="Plate", description="Plate id from the manifest."
    )
    analyte: Series[str] = pa.Field(
        str_length={"min_value": 1}, title="Analyte", description="Analyte of the plate (manifest)."
    )
    unit: Series[str] = pa.Field(title="Unit", description="Unit of the plate map's concentrations (the manifest's).")
    kit_lot: Series[str] = pa.Field(title="Kit lot", description="Kit lot from the manifest.")
    model: Series[str] = pa.Field(isin=list(MODELS), title="Curve model", description="4PL or 5PL.")
    weighting: Series[str] = pa.Field(isin=list(WEIGHTINGS), title="Weighting", description="none, 1/y or 1/y^2.")
    a: Series[float] = pa.Field(nullable=True, title="a", description="Response at zero concentration.")
    b: Series[float] = pa.Field(nullable=True, gt=0, title="b", description="Slope parameter.")
    c: Series[float] = pa.Field(
        nullable=True, gt=0, title="c", description="Inflection point, in the unit of the plate."
    )
    d: Series[float] = pa.Field(nullable=True, title="d", description="Response at infinite concentration.")
    g: Series[float] = pa.Field(nullable=True, gt=0, title="g", description="5PL asymmetry (NaN for 4PL).")
    r2: Series[float] = pa.Field(
        nullable=True, le=1, title="R²", description="Unweighted coefficient of determination of the fit."
    )
    n_standards: Series[int] = pa.Field(ge=0, title="Standard levels", description="Levels on the plate.")
    n_standards_pass: Series[int] = pa.Field(
        ge=0, title="Levels passing", description="Levels within their recovery limits."
    )
    controls_pass: Series[bool] = pa.Field(title="Controls pass", description="Every control within tolerance.")
    lloq: Series[float] = pa.Field(
        nullable=True, gt=0, title="LLOQ (unit)", description="Lowest passing standard, in well."
    )
    uloq: Series[float] = pa.Field(
        nullable=True, gt=0, title="ULOQ (unit)", description="Highest passing standard, in well."
    )
    verdict: Series[str] = pa.Field(isin=["pass", "fail"], title="Verdict", description="pass or fail.")
    reasons: Series[str] = pa.Field(title="Reasons", description="Every failed criterion, '; '-joined; empty on pass.")
    export_format: Series[str] = pa.Field(
        str_length={"min_value": 1},
        title="Export layout",
        description="The layout that read the export, e.g. gen5-text.",
    )
    export_plate: Series[str] = pa.Field(
        title="Plate in file",
        description="In an export of several plates, the plate's position and name there, e.g. '2 Plate1'.",
    )
    wells: Series[int] = pa.Field(isin=[96, 384], title="Wells", description="96 or 384.")
    read: Series[str] = pa.Field(title="Read", description="The primary read's label in the export.")
    primary_nm: Series[int] = pa.Field(ge=200, le=1000, title="Wavelength (nm)", description="Primary read.")
    reference_nm: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, ge=200, le=1000, title="Reference (nm)", description="Reference read; empty when none."
    )

    class Config:
        strict = False
        coerce = False

    @pa.dataframe_check(error="verdict 'pass' iff reasons is empty")
    def verdict_matches_reasons(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["verdict"] == "pass") == (df["reasons"] == "")

    @pa.dataframe_check(error="n_standards_pass <= n_standards")
    def pass_count(cls, df: pd.DataFrame) -> Series[bool]:
        return df["n_standards_pass"] <= df["n_standards"]

    @pa.dataframe_check(error="lloq <= uloq")
    def range_order(cls, df: pd.DataFrame) -> Series[bool]:
        return df["lloq"].isna() | (df["lloq"] <= df["uloq"])

    @pa.dataframe_check(error="a passing plate needs parameters, LLOQ and ULOQ")
    def pass_is_complete(cls, df: pd.DataFrame) -> Series[bool]:
        complete = df[["a", "b", "c", "d", "r2", "lloq", "uloq"]].notna().all(axis=1)
        return (df["verdict"] != "pass") | complete


MEASUREMENT_STATUSES = (
    "usable",
    "usable, high CV",
    "high CV, no value",
    "< LLOQ",
    "> ULOQ",
    "saturated",
    "not determined",
    "failed plate",
    "superseded by re-assay",
    "not reported: tied with another plate",
)


class MeasurementsSchema(SampleKey):
    """results/elisa/measurements.csv: every participant × time × analyte measurement on every
    plate (one replicate group of sample wells), with what became of it."""

    plate_id: Series[str] = pa.Field(
        str_length={"min_value": 1}, title="Plate", description="Plate id from the manifest."
    )
    wells: Series[str] = pa.Field(
        str_matches=r"^[A-H](?:[1-9]|1[0-2])(?:;[A-H](?:[1-9]|1[0-2]))*$",
        title="Wells",
        description="The replicate wells the plate map plans, ';'-joined (e.g. A3;A4).",
    )
    dilution: Series[float] = pa.Field(ge=1, title="Dilution", description="Dilution factor of the sample in the well.")
    concentration: Series[float] = pa.Field(
        nullable=True,
        gt=0,
        title="Concentration",
        description="Mean back-calculated concentration × dilution, in the analyte's unit; empty unless the "
        "measurement is usable (or high CV).",
    )
    n_replicates: Series[int] = pa.Field(ge=0, title="Readable wells", description="Wells with a usable OD.")
    cv_pct: Series[float] = pa.Field(
        nullable=True, ge=0, title="CV (%)", description="Replicate CV; empty when not computable."
    )
    flag: Series[str] = pa.Field(
        isin=list(SAMPLE_FLAGS), title="Flag", description="The plate's QC flag of the measurement (as concentrations)."
    )
    status: Series[str] = pa.Field(
        isin=list(MEASUREMENT_STATUSES),
        title="Status",
        description="usable, usable with a high CV, high CV with no value (a replicate beyond a curve asymptote), "
        "< LLOQ, > ULOQ, saturated, not determined, failed plate "
        "(the reported measurement); superseded by re-assay, or tied with another plate (the others).",
    )
    reported: Series[bool] = pa.Field(
        title="Reported", description="Whether this is the measurement concentrations.csv reports."
    )
    note: Series[str] = pa.Field(
        title="Note",
        description="The measurement that superseded this one; fewer readable wells than planned (CV not computable).",
    )
    source_file: Series[str] = pa.Field(
        str_length={"min_value": 1}, title="Source file", description="The plate's export, relative to the raw folder."
    )

    class Config:
        strict = True
        coerce = False
        unique = ["participant_id", "time", "analyte", "plate_id", "wells"]

    @pa.dataframe_check(error="one reported measurement per participant × time × analyte at most")
    def one_reported(cls, df: pd.DataFrame) -> Series[bool]:
        """No participant × time × analyte has two reported measurements."""
        counts = df.groupby(["participant_id", "time", "analyte"])["reported"].transform("sum")
        return counts <= 1
