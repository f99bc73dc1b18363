"""Steps of the exports stage: files for other tools and regulators, under reports/<trial>/submission/.

* :func:`write_adam`: the ADaM datasets (ADSL, ADLB, ADFT) as SAS XPT v5 and Dataset-JSON v1.1,
  and their define.xml 2.1;
* :func:`write_spss`: the analysis data set, wide, as an SPSS ``.sav`` with its GLM syntax ``.sps``;
* :func:`write_rtf`: the report's numbered tables as one RTF file.

Which of them a run writes: config ``submission.formats`` (docs/submission.md). The library
modules are imported inside each step, so a rule pays only for its own (rtflite and polars take
~3 s to import; the ADaM and SPSS rules do not load them).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import pandas as pd

from trialflow import __version__
from trialflow.exports import ExportError
from trialflow.outputs import read_csv, write_atomic
from trialflow.problems import InputError

log = logging.getLogger(__name__)
DEFAULT_DATE = "2000-01-01"  # a run without trial.data_cutoff dates its files here, as the report does


def _created(settings: dict) -> str:
    return str(settings["trial"].get("data_cutoff") or DEFAULT_DATE)


def write_adam(
    settings: dict,
    participants: str,
    analysis: str,
    excluded: str,
    status: str,
    xpt: dict[str, str],
    dataset_json: dict[str, str],
    define: str | None = None,
    disposition: str | None = None,
) -> None:
    """The ADaM datasets from the validated data: ``xpt`` and ``dataset_json`` map a dataset name
    (ADSL, ADLB, ADFT) to the file to write (either may be empty); ``define``: define.xml, which
    points at the XPT files when they are written, else at the Dataset-JSON files.

    ``settings``: config ``trial``, ``arms``, ``time_points``, ``outcomes``, ``baseline``, ``submission``.
    """
    import datetime as dt

    from trialflow.exports import adam
    from trialflow.exports.dataset_json import dataset_json as to_json
    from trialflow.exports.dataset_json import dataset_json_bytes
    from trialflow.exports.define import define_xml
    from trialflow.exports.xpt import xpt_bytes

    created = _created(settings)
    try:
        analysed = read_csv(analysis)  # read once: ADSL and each BDS dataset derive from it
        frames = {"ADSL": adam.derive_adsl(read_csv(participants), analysed, settings, _optional(disposition))}
        schemas = {
            "ADSL": adam.adsl_schema(
                settings["baseline"],
                adam.adsl_names(settings["baseline"], settings.get("submission", {}).get("short_names")),
                disposition is not None,
            )
        }
        labels = {"ADSL": adam.ADSL_LABEL}
        biomarkers = adam.biomarker_ids(settings["outcomes"])
        families = {"ADLB": biomarkers, "ADFT": [o["id"] for o in settings["outcomes"] if o["id"] not in biomarkers]}
        left_out, outcome_status = read_csv(excluded), read_csv(status)
        for name in [*xpt, *dataset_json]:
            if name in families and name not in frames:
                frames[name] = adam.derive_bds(
                    frames["ADSL"], analysed, left_out, outcome_status, settings, families[name]
                )
                schemas[name], labels[name] = adam.BDS, adam.BDS_DATASETS[name]
        for name, path in xpt.items():
            variable_labels = {v: c.title for v, c in schemas[name].columns.items()}
            write_atomic(
                path, xpt_bytes(frames[name], name, labels[name], variable_labels, dt.date.fromisoformat(created))
            )
            log.info("%s: %d rows written to %s", name, len(frames[name]), path)
        for name, path in dataset_json.items():
            document = to_json(
                frames[name],
                schemas[name],
                name,
                labels[name],
                settings["trial"]["id"],
                f"{created}T00:00:00",
                __version__,
            )
            write_atomic(path, dataset_json_bytes(document))
            log.info("%s: %d rows written to %s", name, len(frames[name]), path)
        if define:
            files = {name: Path((xpt or dataset_json)[name]).name for name in frames}
            write_atomic(
                define, define_xml(frames, schemas, labels, files, settings, f"{created}T00:00:00", __version__)
            )
            log.info("define.xml written: %s", define)
    except ExportError as err:
        raise InputError([], message=f"ADaM export: {err}") from None


def _optional(path: str | None) -> pd.DataFrame | None:
    return read_csv(path) if path else None


def write_spss(settings: dict, participants: str, analysis: str, sav: str, sps: str) -> None:
    """The analysis data set, one row per participant and a column per outcome × time point, as
    ``sav`` (variable and value labels) and the GLM syntax reproducing the ANOVA table as ``sps``.

    ``settings``: config ``arms``, ``time_points``, ``outcomes``, ``baseline``, ``analysis.alpha``.
    """
    import pyreadstat

    from trialflow.exports.spss import glm_syntax, wide_data

    try:
        wide = wide_data(read_csv(participants), read_csv(analysis), settings)
    except ExportError as err:
        raise InputError([], message=f"SPSS export: {err}") from None
    frame = wide["frame"]
    with tempfile.TemporaryDirectory() as folder:  # pyreadstat writes to a path; write_atomic moves the bytes
        path = Path(folder) / "data.sav"
        pyreadstat.write_sav(
            frame,
            str(path),
            file_label=f"{settings['trial']['id']}: analysis data set, wide",
            column_labels=[wide["labels"][c] for c in frame.columns],
            variable_value_labels=wide["value_labels"],
            variable_measure={
                c: "nominal" if c in ("participant_id", "arm") or c in wide["value_labels"] else "scale"
                for c in frame.columns
            },
        )
        data = path.read_bytes()
    write_atomic(sav, _fixed_sav_time(data, _created(settings)))
    write_atomic(sps, glm_syntax(wide, Path(sav).name, settings).encode("utf-8"))
    log.info("SPSS: %d participants, %d variables written to %s", len(frame), frame.shape[1], sav)


def _fixed_sav_time(data: bytes, created: str) -> bytes:
    """The .sav with its header's creation date and time (bytes 92-108: 'dd mmm yy' and
    'hh:mm:ss', written by ReadStat at the time of writing) set to ``created``, so the same data
    gives the same bytes. Raises when the header does not hold a date there."""
    import datetime as dt
    import re

    date, time = bytes(data[92:101]), bytes(data[101:109])
    if (
        not data.startswith(b"$FL2")
        or not re.fullmatch(rb"\d\d [A-Z][a-z]{2} \d\d", date)
        or not re.fullmatch(rb"\d\d:\d\d:\d\d", time)
    ):
        raise ExportError("the .sav header holds no creation date at bytes 92-108; has pyreadstat's layout changed?")
    day = dt.date.fromisoformat(created)
    return data[:92] + day.strftime("%d %b %y").encode("ascii") + b"00:00:00" + data[109:]


def write_rtf(html: str, rtf: str) -> None:
    """Every numbered table of the report (``html``: report.html) as RTF, one after the other in ``rtf``."""
    from rtflite import assemble_rtf

    from trialflow.exports.rtf import report_tables, table_rtf

    tables = report_tables(Path(html).read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as folder:
        parts = []
        for i, table in enumerate(tables):
            part = Path(folder) / f"{i:03d}.rtf"
            part.write_text(table_rtf(table, f"Source: {Path(html).name}, Table {table.number}."), encoding="utf-8")
            parts.append(str(part))
        combined = Path(folder) / "tables.rtf"
        assemble_rtf(parts, str(combined))
        write_atomic(rtf, combined.read_bytes())
    log.info("RTF: %d tables written to %s", len(tables), rtf)
