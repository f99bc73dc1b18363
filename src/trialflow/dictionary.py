"""The data dictionary: every pandera model rendered as Markdown (``docs/data-dictionary.md``).

Run ``python -m trialflow.dictionary > docs/data-dictionary.md``; a test keeps the file current.
"""

from __future__ import annotations

import pandera.pandas as pa

from trialflow import schemas
from trialflow.elisa import schemas as elisa_schemas

MODELS = [
    schemas.Participants,
    schemas.Concentrations,
    schemas.AnalysisData,
    schemas.AdverseEvents,
    schemas.Harms,
    schemas.HarmsByTerm,
    schemas.Descriptives,
    schemas.Anova,
    elisa_schemas.ConcentrationsSchema,
    elisa_schemas.MeasurementsSchema,
    elisa_schemas.PlateQCSchema,
]


def _checks(column) -> str:
    parts = [str(c.error or c.name) if getattr(c, "error", None) else c.name for c in column.checks]
    return "; ".join(p.replace("|", "\\|") for p in parts) or "–"


def model_markdown(model: type[pa.DataFrameModel]) -> str:
    schema = model.to_schema()
    doc = (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else ""
    lines = [f"## {model.__name__}", "", doc, ""]
    if schema.unique:
        lines += [f"Unique key: {', '.join(schema.unique)}.", ""]
    lines += ["| column | type | nullable | checks | title | description |", "|---|---|---|---|---|---|"]
    for name, column in schema.columns.items():
        lines.append(
            f"| `{name}` | {column.dtype} | {'yes' if column.nullable else 'no'} | {_checks(column)} | "
            f"{column.title or ''} | {(column.description or '').replace('|', '/')} |"
        )
    return "\n".join(lines) + "\n"


def data_dictionary() -> str:
    head = [
        "# Data dictionary",
        "",
        "Generated from the pandera models in `src/trialflow/schemas.py` and `src/trialflow/elisa/schemas.py`",
        "by `python -m trialflow.dictionary`; do not edit by hand.",
        "",
        "",
    ]
    return "\n".join(head) + "\n".join(model_markdown(m) for m in MODELS)


if __name__ == "__main__":
    print(data_dictionary(), end="")
