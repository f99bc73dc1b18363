"""ELISA quantification: plate-reader exports + plate maps → QC'd concentrations (pg/mL).

Public API
----------
Readers: :func:`read_plate_export`, :func:`read_plate_map`, :func:`read_manifest`.
Curves: :func:`fit_curve`, :class:`CurveFit`, :func:`four_pl`, :func:`five_pl`,
:func:`inverse_four_pl`, :func:`inverse_five_pl`.
QC: :class:`AcceptanceRules`.
Pipeline: :func:`quantify_plates`, :func:`quantify_plate`, :class:`QuantResult`.
Schemas: :class:`ConcentrationsSchema`, :class:`PlateQCSchema`.
Demo data: :func:`write_demo_plates`.
Errors: :class:`PlateFormatError`, :class:`PlateMapError` (both ``ValueError``).

See ``docs/elisa.md``.
"""

from .curve import (
    CurveFit,
    curve_points,
    fit_curve,
    five_pl,
    four_pl,
    inverse_five_pl,
    inverse_four_pl,
)
from .demo import write_demo_plates
from .errors import ElisaInputError, PlateFormatError, PlateMapError, Problem
from .plate_map import read_manifest, read_plate_map
from .qc import AcceptanceRules
from .quantify import PlateResult, QuantResult, assemble_plates, quantify_batch, quantify_plate, quantify_plates
from .readers import read_plate_export
from .schemas import ConcentrationsSchema, PlateQCSchema

__all__ = [
    "AcceptanceRules",
    "ConcentrationsSchema",
    "CurveFit",
    "ElisaInputError",
    "PlateFormatError",
    "PlateMapError",
    "PlateQCSchema",
    "PlateResult",
    "Problem",
    "QuantResult",
    "curve_points",
    "fit_curve",
    "five_pl",
    "four_pl",
    "inverse_five_pl",
    "inverse_four_pl",
    "quantify_plate",
    "quantify_plates",
    "quantify_batch",
    "assemble_plates",
    "read_manifest",
    "read_plate_export",
    "read_plate_map",
    "write_demo_plates",
]
