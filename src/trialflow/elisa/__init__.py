"""ELISA quantification: plate-reader exports + plate maps → QC'd concentrations (pg/mL).

Public API
----------
Readers: :func:`read_plate_export`, :func:`read_plate_map`, :func:`read_manifest`.
Curves: :func:`fit_curve`, :class:`CurveFit`, :func:`four_pl`, :func:`five_pl`,
:func:`inverse_four_pl`, :func:`inverse_five_pl`.
QC: :class:`AcceptanceRules`.
Pipeline: :func:`quantify_plates`, :func:`quantify_plate`, :class:`QuantResult`.
Schemas: :class:`ConcentrationsSchema`, :class:`PlateQCSchema`.
Errors: :class:`PlateFormatError`, :class:`PlateMapError` (both ``ValueError``).

See ``docs/elisa.md``. Demo plates are written by :mod:`trialflow.demo.plates`.
"""

from .curve import CurveFit, curve_points, fit_curve, five_pl, four_pl, inverse_five_pl, inverse_four_pl
from .errors import ElisaInputError, PlateFormatError, PlateMapError
from .plate_map import read_manifest, read_manifest_leniently, read_plate_map
from .qc import AcceptanceRules
from .quantify import (
    PlateResult,
    QuantResult,
    assemble_plates,
    empty_tables,
    in_manifest_order,
    quantify_batch,
    quantify_plate,
    quantify_plates,
    resolve_reassays,
)
from .readers import read_plate_export
from .schemas import ConcentrationsSchema, PlateQCSchema

__all__ = [
    "AcceptanceRules", "ConcentrationsSchema", "CurveFit", "ElisaInputError", "PlateFormatError",
    "PlateMapError", "PlateQCSchema", "PlateResult", "QuantResult", "assemble_plates", "curve_points", "empty_tables",
    "fit_curve", "five_pl", "four_pl", "in_manifest_order", "inverse_five_pl", "inverse_four_pl",
    "quantify_batch", "quantify_plate", "quantify_plates", "read_manifest", "read_manifest_leniently",
    "read_plate_export", "read_plate_map", "resolve_reassays",
]  # fmt: skip
