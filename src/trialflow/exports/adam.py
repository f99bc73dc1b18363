"""CDISC ADaM datasets from the validated analysis data: ADSL, and a BDS dataset per domain family.

* ``ADSL``: one row per randomised participant (the participants file), with the arm as planned
  (and, with a disposition log, as received), population flags and the baseline characteristics.
* ``ADLB``: the biomarkers (outcomes without a ``source``), ``ADFT``: the functional outcomes;
  both Basic Data Structure (one row per participant × parameter × visit) with ``BASE``, ``CHG``,
  ``PCHG``, ``ABLFL``, ``ANL01FL`` (the rows the outcome's ANOVA used) and the raw file and line or
  well each value was read from (``SRCDOM``, ``SRCVAR``, ``SRCSEQ``, ``SRCLOC``).

The variables of each dataset are a pandera schema (:func:`adsl_schema`, :data:`BDS`): the title
of a field is its label, the description its derivation in words and ``metadata["origin"]`` its
define.xml origin, so the XPT labels, the Dataset-JSON columns and define.xml come from one place.

Text is ASCII (:func:`ascii_text`): SAS XPT v5 has no encoding, so labels and values from the
config are transliterated by a fixed table (``±`` → ``+/-``, ``²`` → ``2``, accents dropped);
text that still is not ASCII is an :class:`~trialflow.exports.ExportError` naming it.

Nothing here reads a file or the config: the step passes frames and settings.
"""

from __future__ import annotations

import logging
import re
import unicodedata

import numpy as np
import pandas as pd
import pandera.pandas as pa

from trialflow.exports import ExportError

log = logging.getLogger(__name__)

BDS_DATASETS = {"ADLB": "Biomarker Analysis Dataset", "ADFT": "Functional Tests Analysis Dataset"}
ADSL_LABEL = "Subject-Level Analysis Dataset"
NAME_LENGTH = 8  # XPT v5 variable and PARAMCD length

_ASCII = {
    "±": "+/-", "²": "2", "³": "3", "×": "x", "–": "-", "—": "-", "−": "-", "η": "eta", "µ": "u", "μ": "u",
    "≥": ">=", "≤": "<=", "°": " deg", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "\u00a0": " ",
}  # fmt: skip


def ascii_text(text: str) -> str:
    """``text`` in ASCII: the symbols of :data:`_ASCII` spelled out, accents dropped (é → e), and a
    character with no ASCII spelling (e.g. CJK text) written as its code point, ``<U+63E1>``:
    XPT v5 has no encoding, and the escape keeps the text recoverable instead of stopping the run.
    """
    if text.isascii():
        return text
    spelled = "".join(_ASCII.get(ch, ch) for ch in text)
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", spelled) if not unicodedata.combining(ch))
    if not plain.isascii():
        log.warning("%r has characters with no ASCII spelling; written as <U+code point> for SAS XPT v5", text)
    return "".join(ch if ch.isascii() else f"<U+{ord(ch):04X}>" for ch in plain)


def short_names(ids: list[str], taken: set[str] = frozenset(), overrides: dict | None = None) -> dict[str, str]:
    """An XPT v5 name for each id: ``overrides[id]`` when given, else the id upper-cased without
    characters other than letters and digits, cut to 8; a clash gets a digit in its last place
    (KNEEMVIC, KNEEMVI2). A name must start with a letter (an id starting with a digit gets ``X``).

    Raises :class:`ExportError` for an override that is not a valid name or clashes.
    """
    overrides = overrides or {}
    used, names = set(taken), {}
    for i in ids:
        if i in overrides:
            name = overrides[i]
            if not re.fullmatch(r"[A-Z][A-Z0-9_]{0,7}", name) or name in used:
                raise ExportError(
                    f"submission.short_names: {i!r} -> {name!r} must be 1-8 capital letters, digits or '_', "
                    "starting with a letter, and differ from every other name"
                )
        else:
            base = re.sub(r"[^A-Z0-9]", "", i.upper()) or "X"
            base = ("X" + base if base[0].isdigit() else base)[:NAME_LENGTH]
            name, n = base, 1
            while name in used:
                n += 1
                name = base[: NAME_LENGTH - len(str(n))] + str(n)
        used.add(name)
        names[i] = name
    return names


def _column(dtype, label: str, derivation: str, origin: str = "Derived", nullable: bool = False, **checks):
    return pa.Column(
        dtype,
        checks=[getattr(pa.Check, k)(v) for k, v in checks.items()],
        nullable=nullable,
        title=label,
        description=derivation,
        metadata={"origin": origin},
    )


FLAG = ["Y"]
FLAG_YN = ["Y", "N"]


def adsl_schema(baseline: list[dict], names: dict[str, str], disposition: bool) -> pa.DataFrameSchema:
    """The variables of ADSL: the common ones, those of the disposition log (``disposition``) and
    one per baseline characteristic (config ``baseline``; ``names``: its XPT name by id)."""
    text, flag = str, str
    columns = {
        "STUDYID": _column(text, "Study Identifier", "Config trial.id.", "Assigned"),
        "USUBJID": _column(text, "Unique Subject Identifier", "STUDYID, '-', SUBJID."),
        "SUBJID": _column(
            text, "Subject Identifier for the Study", "participant_id of the participants file.", "Predecessor"
        ),
        "ARM": _column(
            text, "Description of Planned Arm", "Label of the arm (config arms[].label) of the participant's arm."
        ),
        "ARMCD": _column(text, "Planned Arm Code", "arm of the participants file (config arms[].id).", "Predecessor"),
        "TRT01P": _column(text, "Planned Treatment for Period 01", "Same as ARM (one period)."),
        "TRT01PN": _column(int, "Planned Treatment for Period 01 (N)", "Position of the arm in config arms, from 1."),
    }
    if disposition:
        columns |= {
            "TRT01A": _column(
                text,
                "Actual Treatment for Period 01",
                "TRT01P when the disposition log says received_allocated = yes; empty otherwise (what was received is not recorded).",
                nullable=True,
            ),
            "TRT01AN": _column(
                float,
                "Actual Treatment for Period 01 (N)",
                "TRT01PN when TRT01A is filled; empty otherwise.",
                nullable=True,
            ),
        }
    columns |= {
        "RANDFL": _column(
            flag,
            "Randomized Population Flag",
            "Y for every row of the participants file (it lists the randomised).",
            isin=FLAG,
        ),
        "FASFL": _column(
            flag,
            "Full Analysis Set Population Flag",
            "Y when the participant has at least one value of any outcome in the analysis data set, else N.",
            isin=FLAG_YN,
        ),
    }
    if disposition:
        columns |= {
            "SAFFL": _column(
                flag,
                "Safety Population Flag",
                "Y when the disposition log says received_allocated = yes, else N.",
                isin=FLAG_YN,
            ),
            "PPROTFL": _column(
                flag,
                "Per-Protocol Population Flag",
                "Y when received_allocated = yes, discontinued = no and every attended_<time> = yes in the disposition log, else N.",
                isin=FLAG_YN,
            ),
            "COMPLFL": _column(
                flag,
                "Completers Population Flag",
                "Y when every attended_<time> = yes in the disposition log, else N.",
                isin=FLAG_YN,
            ),
            "DCTREAS": _column(
                text,
                "Reason for Discontinuation of Treatment",
                "discontinued_reason of the disposition log when discontinued = yes; empty otherwise.",
                nullable=True,
            ),
            "DCSREAS": _column(
                text,
                "Reason for Discontinuation from Study",
                "lost_reason of the disposition log when lost_to_follow_up = yes; empty otherwise.",
                nullable=True,
            ),
        }
    for c in baseline:
        derived = (
            f"Derived in the participants step ({c['derive']} of {', '.join(c['from'])})." if "derive" in c else ""
        )
        label = ascii_text(c["label"])[:40]
        if c.get("type") == "categorical":
            columns[names[c["id"]]] = _column(
                text, label, f"{c['id']} of the participants file. {derived}".strip(), "Predecessor", nullable=True
            )
        else:
            columns[names[c["id"]]] = _column(
                float,
                label,
                derived or f"{c['id']} of the participants file.",
                "Derived" if derived else "Predecessor",
                nullable=True,
            )
    columns |= {
        "SRCDOM": _column(
            text,
            "Source Data File",
            "The participants file the row was read from (relative to the raw folder).",
            "Predecessor",
        ),
        "SRCSEQ": _column(int, "Source Data Line", "Line of the row in that file (header = 1).", "Predecessor"),
    }
    return pa.DataFrameSchema(columns, strict=True, coerce=True, unique=["USUBJID"], name="ADSL")


BDS = pa.DataFrameSchema(
    {
        "STUDYID": _column(str, "Study Identifier", "Config trial.id.", "Assigned"),
        "USUBJID": _column(str, "Unique Subject Identifier", "ADSL.USUBJID of the participant."),
        "TRTP": _column(str, "Planned Treatment", "ADSL.TRT01P."),
        "TRTPN": _column(int, "Planned Treatment (N)", "ADSL.TRT01PN."),
        "PARAMCD": _column(
            str,
            "Parameter Code",
            "Outcome id (config outcomes[].id) upper-cased, letters and digits, 8 characters at most (or submission.short_names).",
        ),
        "PARAM": _column(str, "Parameter", "Outcome label and unit: '<label> (<unit>)' (config outcomes[])."),
        "PARAMN": _column(int, "Parameter (N)", "Position of the outcome in config outcomes, from 1."),
        "PARCAT1": _column(str, "Parameter Category 1", "Outcome domain (config outcomes[].domain)."),
        "PARAMTYP": _column(
            str,
            "Parameter Type",
            "DERIVED for an outcome computed from other recorded values (config source.derive); empty for a recorded one.",
            nullable=True,
            isin=["DERIVED"],
        ),
        "AVISIT": _column(str, "Analysis Visit", "Label of the time point (config time_points[].label)."),
        "AVISITN": _column(
            int, "Analysis Visit (N)", "Position of the time point in config time_points, from 0 (baseline)."
        ),
        "AVAL": _column(
            float,
            "Analysis Value",
            "value of the analysis data set (results/data/analysis.csv), unrounded, in the unit of PARAM.",
        ),
        "BASE": _column(
            float,
            "Baseline Value",
            "AVAL of the same participant and parameter at the first time point; empty when that value is missing.",
            nullable=True,
        ),
        "CHG": _column(
            float,
            "Change from Baseline",
            "AVAL - BASE on post-baseline rows; empty at baseline and when BASE is empty.",
            nullable=True,
        ),
        "PCHG": _column(
            float,
            "Percent Change from Baseline",
            "100 x CHG / BASE; empty where CHG is empty or BASE is 0.",
            nullable=True,
        ),
        "ABLFL": _column(
            str, "Baseline Record Flag", "Y on the row of the first time point.", nullable=True, isin=FLAG
        ),
        "ANL01FL": _column(
            str,
            "Analysis Flag 01",
            "Y on the rows of participants in the outcome's repeated-measures ANOVA (a value at every time point; results/stats/excluded.csv lists the others); empty when the outcome was not analysable.",
            nullable=True,
            isin=FLAG,
        ),
        "SRCDOM": _column(
            str,
            "Source Data File",
            "Raw file the value was read from (relative to the raw folder): the typed concentrations file, the plate export, or the functional export.",
            "Predecessor",
        ),
        "SRCVAR": _column(
            str,
            "Source Variable",
            "Column of that file: the REDCap field or test (the fields a derived outcome is computed from, joined by '+'), 'concentration', or 'OD' for a plate reading.",
            "Predecessor",
        ),
        "SRCSEQ": _column(
            int,
            "Source Data Line",
            "Line of the value in that file (header = 1), or the worksheet row of a spreadsheet cell.",
            "Predecessor",
        ),
        "SRCLOC": _column(
            str,
            "Source Location",
            "Line, column and well as recorded by the reader (source_line of the analysis data set).",
            "Predecessor",
        ),
    },
    strict=True,
    coerce=True,
    unique=["USUBJID", "PARAMCD", "AVISITN"],
    name="BDS",
)


def adsl_names(baseline: list[dict], overrides: dict | None = None) -> dict[str, str]:
    """The ADSL variable name of each baseline characteristic (never one of ADSL's own names)."""
    taken = set(adsl_schema([], {}, disposition=True).columns)
    return short_names([c["id"] for c in baseline], taken, overrides)


def derive_adsl(
    participants: pd.DataFrame,
    analysis: pd.DataFrame,
    settings: dict,
    disposition: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """ADSL from the participants table (results/data/participants.csv), the analysis data set
    (for FASFL) and, when there is one, the disposition log (results/data/disposition.csv).

    ``settings``: config ``trial``, ``arms``, ``time_points``, ``baseline`` and ``submission``.
    Returns one row per participant, sorted by USUBJID, validated by :func:`adsl_schema`.
    """
    study = settings["trial"]["id"]
    arms = {a["id"]: (ascii_text(a["label"]), n) for n, a in enumerate(settings["arms"], start=1)}
    names = adsl_names(settings["baseline"], settings.get("submission", {}).get("short_names"))
    p = participants
    out = pd.DataFrame(
        {
            "STUDYID": study,
            "USUBJID": study + "-" + p["participant_id"].astype(str),
            "SUBJID": p["participant_id"].astype(str),
            "ARM": p["arm"].map(lambda a: arms[a][0]),
            "ARMCD": p["arm"].astype(str),
            "TRT01P": p["arm"].map(lambda a: arms[a][0]),
            "TRT01PN": p["arm"].map(lambda a: arms[a][1]),
        }
    )
    with_values = set(analysis["participant_id"].astype(str))
    if disposition is not None:
        log = disposition[disposition["randomised"].map(_true)].set_index("participant_id")
        log = log.reindex(out["SUBJID"])
        received = log["received_allocated"].map(_true).to_numpy()
        attended = np.logical_and.reduce(
            [log[f"attended_{t['id']}"].map(_true).to_numpy() for t in settings["time_points"]]
        )
        stayed = ~log["discontinued"].map(_true).to_numpy()
        out["TRT01A"] = out["TRT01P"].where(received, None)
        out["TRT01AN"] = out["TRT01PN"].astype(float).where(received, np.nan)
    out["RANDFL"] = "Y"
    out["FASFL"] = np.where(out["SUBJID"].isin(with_values), "Y", "N")
    if disposition is not None:
        out["SAFFL"] = _yn(received)
        out["PPROTFL"] = _yn(received & stayed & attended)
        out["COMPLFL"] = _yn(attended)
        out["DCTREAS"] = _reason(log, "discontinued", "discontinued_reason")
        out["DCSREAS"] = _reason(log, "lost_to_follow_up", "lost_reason")
    for c in settings["baseline"]:
        column = p[c["id"]]
        out[names[c["id"]]] = (
            column.map(lambda v: None if pd.isna(v) else ascii_text(str(v)))
            if c.get("type") == "categorical"
            else column.astype(float)
        )
    out["SRCDOM"] = p["source_file"].astype(str).map(ascii_text)
    out["SRCSEQ"] = p["source_line"].astype(int)
    out = out.sort_values("USUBJID", kind="stable").reset_index(drop=True)
    return adsl_schema(settings["baseline"], names, disposition is not None).validate(out, lazy=True)


def _true(value) -> bool:
    return str(value).strip().lower() in ("true", "yes", "1")


def _yn(mask) -> np.ndarray:
    return np.where(mask, "Y", "N")


def _reason(log: pd.DataFrame, flag: str, reason: str) -> list:
    return [
        ascii_text(str(r)) if _true(f) and isinstance(r, str) and r else None
        for f, r in zip(log[flag], log[reason], strict=True)
    ]


def biomarker_ids(outcomes: list[dict]) -> list[str]:
    """The outcomes of ADLB (biomarkers: no ``source``); the others are ADFT's."""
    return [o["id"] for o in outcomes if "source" not in o]


def derive_bds(
    adsl: pd.DataFrame,
    analysis: pd.DataFrame,
    excluded: pd.DataFrame,
    status: pd.DataFrame,
    settings: dict,
    outcomes: list[str],
) -> pd.DataFrame:
    """A BDS dataset of the ``outcomes`` (ids) from the analysis data set (results/data/analysis.csv).

    ``excluded`` (results/stats/excluded.csv) and ``status`` (results/stats/outcome_status.csv) say
    which rows the ANOVA used (ANL01FL). Returns one row per participant × parameter × visit with a
    value, sorted by USUBJID, PARAMN, AVISITN, validated by :data:`BDS`.
    """
    study = settings["trial"]["id"]
    configured = {o["id"]: o for o in settings["outcomes"]}
    order = {o["id"]: n for n, o in enumerate(settings["outcomes"], start=1)}
    codes = short_names(
        [o["id"] for o in settings["outcomes"]], overrides=settings.get("submission", {}).get("short_names")
    )
    visits = {t["id"]: (ascii_text(t["label"]), n) for n, t in enumerate(settings["time_points"])}
    rows = analysis[analysis["outcome"].isin(outcomes)].copy()
    subject = adsl.set_index("SUBJID")
    sid = rows["participant_id"].astype(str)
    o = rows["outcome"]
    out = pd.DataFrame(
        {
            "STUDYID": study,
            "USUBJID": sid.map(subject["USUBJID"]),
            "TRTP": sid.map(subject["TRT01P"]),
            "TRTPN": sid.map(subject["TRT01PN"]),
            "PARAMCD": o.map(codes),
            "PARAM": _per_value(o, lambda i: ascii_text(f"{configured[i]['label']} ({configured[i]['unit']})")),
            "PARAMN": o.map(order),
            "PARCAT1": _per_value(o, lambda i: ascii_text(configured[i]["domain"])),
            "PARAMTYP": _per_value(o, lambda i: "DERIVED" if "derive" in configured[i].get("source", {}) else None),
            "AVISIT": _per_value(rows["time"], lambda t: visits[t][0]),
            "AVISITN": _per_value(rows["time"], lambda t: visits[t][1]),
            "AVAL": rows["value"].astype(float),
            "SRCDOM": _per_value(rows["source_file"].astype(str), ascii_text),
            "SRCVAR": [
                _source_variable(configured[i], t, place)
                for i, t, place in zip(
                    o.tolist(), rows["time"].tolist(), rows["source_line"].astype(str).tolist(), strict=True
                )
            ],
            "SRCSEQ": rows["source_line"].astype(str).map(_line_number),
            "SRCLOC": rows["source_line"].astype(str).map(ascii_text),
        }
    )
    base = out[out["AVISITN"] == 0].set_index(["USUBJID", "PARAMCD"])["AVAL"]
    out["BASE"] = pd.Series(list(zip(out["USUBJID"], out["PARAMCD"], strict=True)), index=out.index).map(base)
    post = out["AVISITN"] > 0
    out["CHG"] = (out["AVAL"] - out["BASE"]).where(post)
    out["PCHG"] = (100 * out["CHG"] / out["BASE"]).where(post & (out["BASE"] != 0))
    out["ABLFL"] = np.where(out["AVISITN"] == 0, "Y", None)
    analysable = dict(zip(status["outcome"].tolist(), status["analysable"].map(_true).tolist(), strict=True))
    left_out = set(zip(excluded["outcome"], excluded["participant_id"].astype(str), strict=True))
    # Python lists and a dict, not Series lookups: this runs once per row (200,000 on a large trial).
    used = [analysable.get(i, False) and (i, s) not in left_out for i, s in zip(o.tolist(), sid.tolist(), strict=True)]
    out["ANL01FL"] = np.where(used, "Y", None)
    out = out[list(BDS.columns)].sort_values(["USUBJID", "PARAMN", "AVISITN"], kind="stable").reset_index(drop=True)
    return BDS.validate(out, lazy=True)


def _per_value(column: pd.Series, fn) -> pd.Series:
    """``column.map(fn)``, with ``fn`` called once per distinct value: a few outcomes, visits and
    source files over a BDS dataset's rows (200,000 on a large trial)."""
    return column.map(fn) if len(column) == 0 else column.map({v: fn(v) for v in column.unique()})


def _line_number(place: str) -> int:
    """The line (or worksheet row) of a source place: '12', 'line 5, col 4 (well D3)',
    'Sheet1!D36 (well D3)' -> 12, 5, 36."""
    found = re.match(r"(?:line\s*)?(\d+)", place.strip()) or re.match(r"[^!]*![A-Z]+(\d+)", place.strip())
    if not found:
        raise ExportError(f"source place {place!r} names no line")
    return int(found.group(1))


def _source_variable(outcome: dict, time: str, place: str) -> str:
    source = outcome.get("source")
    if source is None:
        return "OD" if "well" in place else "concentration"

    def named(name) -> str:
        return str(name.get(time, "")) if isinstance(name, dict) else str(name)

    if "derive" in source:
        return ascii_text("+".join(named(f) for f in source.get("from", [])))
    return ascii_text(named(source.get("redcap_field", source.get("test", ""))))
