"""Figures in the paper's style: Mean ± SD bars per arm and time point, with significance marks.

Written as SVG with fixed metadata and a fixed hash salt, so the same numbers give the same
bytes on any machine and any day. Text stays text in the bundled STIX font (the report embeds
it): as glyph paths it made up most of the figures' nodes, and drawing them took WeasyPrint
about 2 s per report of 27 figures.
"""

from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

plt.rcParams.update(
    {
        "svg.hashsalt": "trialflow",
        "svg.fonttype": "none",
        "font.family": "STIXGeneral",
        "font.size": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)
GREYS = ["#d9d9d9", "#525252", "#969696", "#252525", "#bdbdbd", "#737373"]


def plot_outcome(
    descriptives: pd.DataFrame, effects: pd.DataFrame, outcome: dict, arms: list[dict], times: list[dict], alpha: float
) -> bytes:
    """SVG bytes of one outcome's Mean ± SD bar chart.

    ``*`` marks a significant change from baseline within the arm and ``†`` a significant
    difference from the first (reference) arm at that time point (adjusted p < alpha).
    """
    d = descriptives.set_index(["arm", "time"])
    fig, ax = plt.subplots(figsize=(4.6, 3.2))
    width = 0.8 / len(times)
    top = 0.0
    for j, time in enumerate(times):
        xs = [i + (j - (len(times) - 1) / 2) * width for i in range(len(arms))]
        means = [d.loc[(a["id"], time["id"]), "mean"] for a in arms]
        sds = [d.loc[(a["id"], time["id"]), "sd"] for a in arms]
        ax.bar(
            xs,
            means,
            width * 0.92,
            yerr=sds,
            capsize=3,
            color=GREYS[j % len(GREYS)],
            edgecolor="black",
            linewidth=0.6,
            error_kw={"elinewidth": 0.8},
            label=time["label"],
        )
        for x, m, s, arm in zip(xs, means, sds, arms, strict=True):
            marks = _marks(effects, arm["id"], arms[0]["id"], times[0]["id"], time["id"], alpha)
            if marks:
                ax.text(x, m + s, marks, ha="center", va="bottom", fontsize=12)
            top = max(top, m + s)
    ax.set_ylim(0, top * 1.15)
    # Long arm names wrap instead of running into each other (3+ arms share 4.6 inches).
    ax.set_xticks(range(len(arms)), [textwrap.fill(a["label"], 16) for a in arms])
    ax.set_ylabel(f"{outcome['label']} ({outcome['unit']})")
    if len(times) <= 2:
        ax.legend(frameon=False, ncols=len(times), loc="upper left", fontsize=9)
    else:  # more visits than fit in one row inside the axes: a row above them
        ax.legend(frameon=False, ncols=len(times), loc="lower center", bbox_to_anchor=(0.5, 1.0), fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return buf.getvalue()


def _marks(effects: pd.DataFrame, arm: str, reference: str, baseline: str, time: str, alpha: float) -> str:
    marks = ""
    within = effects[
        (effects["family"] == "time within arm")
        & (effects["level"] == arm)
        & (effects["contrast"] == f"{time} - {baseline}")
    ]
    if time != baseline and len(within) and within["p_adj"].iloc[0] < alpha:
        marks += "*"
    between = effects[
        (effects["family"] == "arm at time")
        & (effects["level"] == time)
        & (effects["contrast"] == f"{arm} - {reference}")
    ]
    if arm != reference and len(between) and between["p_adj"].iloc[0] < alpha:
        marks += "†"
    return marks


def plot_plate_curve(
    plate_id: str, wells: pd.DataFrame, standards: pd.DataFrame, curves: pd.DataFrame, qc: dict
) -> bytes:
    """SVG of one plate's standard curve: standards (open = failed or excluded), the fitted
    curve, samples on it (in-well concentration), LLOQ and ULOQ."""
    fig, ax = plt.subplots(figsize=(4.2, 3.0))
    cur = curves[curves["plate_id"] == plate_id]
    ax.plot(cur["conc"], cur["od_fit"], color="black", linewidth=0.9, label=f"{qc['model']} fit")
    std = wells[(wells["plate_id"] == plate_id) & (wells["role"] == "standard")]
    passed = standards[standards["plate_id"] == plate_id].set_index("replicate_group")["passed"]
    ok = std["replicate_group"].map(passed).fillna(False).astype(bool)
    ax.scatter(
        std.loc[ok, "nominal_conc"], std.loc[ok, "od_corrected"], s=16, color="black", label="standard", zorder=3
    )
    if (~ok).any():
        ax.scatter(
            std.loc[~ok, "nominal_conc"],
            std.loc[~ok, "od_corrected"],
            s=18,
            facecolors="white",
            edgecolors="black",
            label="standard (failed)",
            zorder=3,
        )
    smp = wells[(wells["plate_id"] == plate_id) & (wells["role"] == "sample")].copy()
    smp["in_well"] = smp["backcalc_conc"] / smp["dilution"]
    smp = smp[smp["in_well"] > 0]
    ax.scatter(
        smp["in_well"],
        smp["od_corrected"],
        s=10,
        marker="x",
        color="#666666",
        linewidths=0.7,
        label="sample well",
        zorder=2,
    )
    for limit in ("lloq", "uloq"):
        if pd.notna(qc.get(limit)):
            ax.axvline(qc[limit], color="#999999", linestyle="--", linewidth=0.7)
    ax.set_xscale("log")
    ax.set_xlabel(f"{qc['analyte']} in well ({qc['unit']})")
    reference = f" − {int(qc['reference_nm'])} nm" if pd.notna(qc.get("reference_nm")) else ""
    ax.set_ylabel(f"OD {int(qc['primary_nm'])} nm{reference}, blank-corrected")
    ax.set_title(f"{plate_id}: {qc['verdict']}", fontsize=10)
    ax.legend(frameon=False, fontsize=7, loc="upper left")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return buf.getvalue()
