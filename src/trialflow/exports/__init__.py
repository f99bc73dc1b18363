"""Outputs other tools and regulators read: CDISC ADaM datasets (SAS XPT v5, Dataset-JSON v1.1)
described by a define.xml 2.1, the analysis data set for SPSS, and the report's tables as RTF.

Every module here takes frames and settings and returns frames, bytes or text; the files are
written by :mod:`trialflow.steps.exports`. ``docs/submission.md`` maps each variable to its source.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # an annotation only: importing this package loads no library
    import pandas as pd


class ExportError(ValueError):
    """A dataset breaks a limit of the format it is written in (the message names the dataset,
    variable, row and value), or the data cannot be expressed in it."""


def item_group_oid(dataset: str) -> str:
    """The OID of a dataset in define.xml and Dataset-JSON (``IG.ADSL``)."""
    return f"IG.{dataset}"


def item_oid(dataset: str, variable: str) -> str:
    """The OID of a variable in define.xml and Dataset-JSON (``IT.ADSL.USUBJID``)."""
    return f"IT.{dataset}.{variable}"


def metadata_version_oid(study: str) -> str:
    """The OID of define.xml's MetaDataVersion, which every Dataset-JSON file refers to."""
    return f"MDV.{study}.ADAM"


def text_length(values: pd.Series) -> int:
    """The length of the longest text value (at least 1): a text variable's length in define.xml
    and Dataset-JSON. Counted over the distinct values, which are few in most ADaM columns."""
    return max([1, *(len(v) for v in values.unique() if isinstance(v, str))])
