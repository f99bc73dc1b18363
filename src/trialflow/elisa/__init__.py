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

import importlib

# Public name -> submodule. Loaded on first use (PEP 562), so reading the plate manifest when
# Snakemake builds its DAG, or the acceptance rules in the report, does not import the curve
# fitting (scipy) and the pandera schemas: about 0.6 s on every snakemake start.
_SUBMODULE = {
    "AcceptanceRules": "qc",
    "ConcentrationsSchema": "schemas",
    "CurveFit": "curve",
    "ElisaInputError": "errors",
    "PlateFormatError": "errors",
    "PlateMapError": "errors",
    "PlateQCSchema": "schemas",
    "PlateResult": "quantify",
    "QuantResult": "quantify",
    "assemble_plates": "quantify",
    "curve_points": "curve",
    "fit_curve": "curve",
    "in_manifest_order": "quantify",
    "five_pl": "curve",
    "four_pl": "curve",
    "inverse_five_pl": "curve",
    "inverse_four_pl": "curve",
    "quantify_batch": "quantify",
    "quantify_plate": "quantify",
    "quantify_plates": "quantify",
    "read_manifest": "plate_map",
    "read_plate_export": "readers",
    "read_plate_map": "plate_map",
    "resolve_reassays": "quantify",
}
__all__ = sorted(_SUBMODULE)


def __getattr__(name: str):
    if name not in _SUBMODULE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_SUBMODULE[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted([*globals(), *__all__])
