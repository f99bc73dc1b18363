"""Functional outcomes (walk tests, strength, fatigue, EDSS) from REDCap or long CSV exports.

Two readers turn an export into one *raw long* frame with one row per participant × time
point × field (:data:`RAW_COLUMNS`): :func:`read_redcap` for a REDCap "raw data" CSV export
(longitudinal, or classic with visits as repeat instances or a visit field) and
:func:`read_functional_long` for a plain long CSV. :func:`build_functional_outcomes`
then applies the configured :class:`OutcomeDefinition` list: it maps fields to outcomes,
computes derived outcomes (named functions in :data:`DERIVATIONS`, never ``eval``), checks
hard limits (error, value rejected) and plausible limits (warning, value kept), attaches
the arm, and returns rows of :class:`trialflow.schemas.AnalysisData`, a table of the values
that are missing and why, and the problems.

One module per part:

:mod:`~trialflow.functional.definitions`
    :class:`OutcomeDefinition`, the :data:`DERIVATIONS` and the checks of the config's
    ``outcomes:`` entries (:func:`outcome_definitions`).
:mod:`~trialflow.functional.raw`
    the raw long frame and how a cell is read (number, empty, missing-data code).
:mod:`~trialflow.functional.redcap`
    :func:`read_redcap`: events or classic visits, repeating instruments.
:mod:`~trialflow.functional.formats`
    exports in another shape (ODM XML, JSON, labels, data dictionary) named in one message.
:mod:`~trialflow.functional.long`
    :func:`read_functional_long`: the long CSV.
:mod:`~trialflow.functional.derive`
    :func:`build_functional_outcomes`: outcomes from raw values, derivations and limits.

Rules a statistician relies on (docs/functional-outcomes.md has the full text):

* A missing-data code (``UNK``, ``NASK``, ``-999`` ...) or an empty cell is *missing with a
  reason*, never a number. A number that is not a configured code is a number, so an
  unconfigured ``-999`` is caught by the hard limits instead.
* Repeating instruments: one instance per record × event is simply used. Several instances
  of an instrument that holds configured fields are an error, unless config names the
  instance to use for that instrument (``repeat_instances: {instrument: first | last}``);
  then the chosen instance is used *whole* (values are never mixed across instances) and a
  warning lists the instances that were set aside.
* Every participant × time point × outcome ends up in exactly one of the analysis rows or
  the missing table (participants from the participants file, time points from config).
* A field may be named per time point (``{redcap_field: {pre: chol_b, post: chol_4}}``); it is
  then read only at its time point (:func:`source_times`).
"""

from importlib import import_module

# The package's names by module, imported on first use rather than with the package: Snakemake
# checks the config's outcomes (trialflow.configuration) on every start, which needs
# definitions.py and redcap.py but not derive.py's pandera schemas (~0.2 s of each start).
_NAMES = {
    "definitions": (
        "DEFINITION_COLUMNS",
        "DERIVATIONS",
        "DOMAINS",
        "Derivation",
        "OutcomeConfigError",
        "OutcomeDefinition",
        "definitions_table",
        "outcome_definitions",
        "source_fields",
        "source_times",
        "source_units",
    ),
    "derive": ("ANALYSIS_COLUMNS", "MISSING_COLUMNS", "build_functional_outcomes"),
    "long": ("LONG_COLUMNS", "read_functional_long"),
    "raw": ("EMPTY_REASON", "RAW_COLUMNS"),
    "redcap": ("REPEAT_CHOICES", "read_redcap"),
}
_MODULE_OF = {name: module for module, names in _NAMES.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'trialflow.functional' has no attribute {name!r}")
    return getattr(import_module(f"trialflow.functional.{_MODULE_OF[name]}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULE_OF))
