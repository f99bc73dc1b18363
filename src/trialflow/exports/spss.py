"""The analysis data set for SPSS: a wide ``.sav`` (one row per participant, one column per
outcome × time point, as GLM Repeated Measures expects) and an ``.sps`` syntax file running the
repeated-measures ANOVA of the report's outcome table on it, one GLM command per outcome.

GLM drops a participant without a value at every time point of the outcome (listwise), as the
report's ANOVA does, and prints Type III sums of squares with partial eta squared, Mauchly's
test and the Greenhouse–Geisser and Huynh–Feldt corrections; the report prints the p of its
analysis plan's sphericity rule (``analysis.sphericity``), one of those rows.
"""

from __future__ import annotations

import re

import pandas as pd

from trialflow.exports import ExportError

RESERVED = {"ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"}
NAME_BYTES = 64


def spss_name(text: str, taken: set[str]) -> str:
    """An SPSS variable name for ``text``: letters, digits and '_' (other characters become '_'),
    starting with a letter, at most 64 bytes, not a reserved word, not in ``taken`` (case-insensitive)."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", text)
    if not name or not name[0].isalpha():
        name = "v" + name
    name = name[:NAME_BYTES]
    base, n = name, 1
    while name.upper() in RESERVED or name.upper() in {t.upper() for t in taken}:
        n += 1
        name = base[: NAME_BYTES - len(str(n)) - 1] + "_" + str(n)
    taken.add(name)
    return name


def wide_data(participants: pd.DataFrame, analysis: pd.DataFrame, settings: dict) -> dict:
    """The wide data set with its SPSS metadata.

    ``participants``: results/data/participants.csv; ``analysis``: results/data/analysis.csv;
    ``settings``: config ``arms``, ``time_points``, ``outcomes``, ``baseline``.

    Returns
    -------
    dict with ``frame`` (one row per participant, sorted by id: ``participant_id``, ``arm`` as the
    arm's position in config from 1, the baseline characteristics, then each outcome × time point),
    ``labels`` (variable -> label), ``value_labels`` (variable -> {code: label}) and ``repeated``
    (outcome id -> its variables in time order, the outcome's label and unit).
    """
    arms, times = settings["arms"], settings["time_points"]
    taken = {"participant_id", "arm"}
    frame = pd.DataFrame({"participant_id": participants["participant_id"].astype(str)})
    codes = {a["id"]: n for n, a in enumerate(arms, start=1)}
    frame["arm"] = participants["arm"].map(codes).astype(float)
    labels = {"participant_id": "Participant ID", "arm": "Randomised arm"}
    value_labels = {"arm": {float(n): a["label"] for a, n in zip(arms, codes.values(), strict=True)}}
    for c in settings["baseline"]:
        name = spss_name(c["id"], taken)
        values = participants[c["id"]]
        labels[name] = c["label"]
        if c.get("type") == "categorical":
            levels = [str(v) for v in c.get("levels") or sorted(values.dropna().astype(str).unique())]
            level_code = {level: float(i) for i, level in enumerate(levels, start=1)}
            frame[name] = values.map(lambda v, lc=level_code: lc[str(v)] if pd.notna(v) else float("nan"))
            value_labels[name] = {code: level for level, code in level_code.items()}
        else:
            frame[name] = values.astype(float)
    index = analysis.set_index(["participant_id", "outcome", "time"])["value"]
    repeated = {}
    for o in settings["outcomes"]:
        names = []
        for t in times:
            name = spss_name(f"{o['id']}_{t['id']}", taken)
            keys = list(zip(frame["participant_id"], [o["id"]] * len(frame), [t["id"]] * len(frame), strict=True))
            frame[name] = [float(index.get(k, float("nan"))) for k in keys]
            labels[name] = f"{o['label']} ({o['unit']}), {t['label']}"
            names.append(name)
        repeated[o["id"]] = {"variables": names, "label": o["label"], "unit": o["unit"]}
    if index.index.duplicated().any():
        raise ExportError("the analysis data set has more than one value for a participant, outcome and time point")
    frame = frame.sort_values("participant_id", kind="stable").reset_index(drop=True)
    return {"frame": frame, "labels": labels, "value_labels": value_labels, "repeated": repeated}


def glm_syntax(wide: dict, sav_name: str, settings: dict) -> str:
    """SPSS syntax opening ``sav_name`` and running GLM Repeated Measures for every outcome:
    time within, arm between (no arm with one arm), Type III sums of squares, partial eta squared."""
    times, several = settings["time_points"], len(settings["arms"]) > 1
    alpha = settings["analysis"]["alpha"]
    lines = [
        "* Encoding: UTF-8.",
        "* trialflow: the repeated-measures ANOVA of the report's outcome table, for SPSS.",
        f"* Open this file in SPSS from the folder holding {sav_name}, then Run > All.",
        "* Each GLM below is Analyze > General Linear Model > Repeated Measures,",
        f"* within-subject factor time ({len(times)} levels)" + (", between-subjects factor arm." if several else "."),
        "* The report prints the p value of its sphericity rule: sphericity assumed,",
        "* Greenhouse-Geisser or Huynh-Feldt, all three printed by GLM in Tests of Within-Subjects Effects.",
        f"GET FILE='{sav_name}'.",
        "DATASET NAME analysis WINDOW=FRONT.",
    ]
    for r in wide["repeated"].values():
        lines += [
            "",
            f"* {r['label']} ({r['unit']}).",
            f"GLM {' '.join(r['variables'])}{' BY arm' if several else ''}",
            f"  /WSFACTOR=time {len(times)} Polynomial",
            "  /METHOD=SSTYPE(3)",
            "  /PRINT=DESCRIPTIVE ETASQ" + (" HOMOGENEITY" if several else ""),
            f"  /CRITERIA=ALPHA({alpha:g})",
            "  /WSDESIGN=time",
            "  /DESIGN=" + ("arm." if several else "."),
        ]
    return "\n".join(lines) + "\n"
