"""Pandera models for the ELISA output tables ``concentrations`` and ``plate_qc``."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from .curve import MODELS, WEIGHTINGS
from .qc import SAMPLE_FLAGS

__all__ = ["ConcentrationsSchema", "PlateQCSchema"]

_CENSORED = ("< LLOQ", "> ULOQ", "saturated", "not_determined", "plate_failed")


class ConcentrationsSchema(pa.DataFrameModel):
    """``QuantResult.concentrations``: one row per participant × time × analyte."""

    participant_id: Series[str] = pa.Field(str_length={"min_value": 1})
    time: Series[str] = pa.Field(str_length={"min_value": 1})
    analyte: Series[str] = pa.Field(str_length={"min_value": 1})
    concentration: Series[float] = pa.Field(nullable=True, gt=0)
    n_replicates: Series[int] = pa.Field(ge=0)
    sd: Series[float] = pa.Field(nullable=True, ge=0)
    cv_pct: Series[float] = pa.Field(nullable=True, ge=0)
    flag: Series[str] = pa.Field(isin=list(SAMPLE_FLAGS))
    plate_id: Series[str] = pa.Field(str_length={"min_value": 1})
    wells: Series[str] = pa.Field(str_matches=r"^[A-H](?:[1-9]|1[0-2])(?:;[A-H](?:[1-9]|1[0-2]))*$")
    dilution: Series[float] = pa.Field(ge=1)

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

    plate_id: Series[str] = pa.Field(unique=True, str_length={"min_value": 1})
    analyte: Series[str] = pa.Field(str_length={"min_value": 1})
    kit_lot: Series[str]
    model: Series[str] = pa.Field(isin=list(MODELS))
    weighting: Series[str] = pa.Field(isin=list(WEIGHTINGS))
    a: Series[float] = pa.Field(nullable=True)
    b: Series[float] = pa.Field(nullable=True, gt=0)
    c: Series[float] = pa.Field(nullable=True, gt=0)
    d: Series[float] = pa.Field(nullable=True)
    g: Series[float] = pa.Field(nullable=True, gt=0)
    r2: Series[float] = pa.Field(nullable=True, le=1)
    n_standards: Series[int] = pa.Field(ge=0)
    n_standards_pass: Series[int] = pa.Field(ge=0)
    controls_pass: Series[bool]
    lloq: Series[float] = pa.Field(nullable=True, gt=0)
    uloq: Series[float] = pa.Field(nullable=True, gt=0)
    verdict: Series[str] = pa.Field(isin=["pass", "fail"])
    reasons: Series[str]

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
