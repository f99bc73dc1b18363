"""Figures in the paper's style: Mean ± SD bars per arm and time point, with significance marks.

Written as SVG with text converted to paths, fixed metadata and a fixed hash salt, so the
same numbers give the same bytes on any machine and any day.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

plt.rcParams.update(
    {
        "svg.hashsalt": "trialflow",
        "svg.fonttype": "path",
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
    ax.set_xticks(range(len(arms)), [a["label"] for a in arms])
    ax.set_ylabel(f"{outcome['label']} ({outcome['unit']})")
    ax.legend(frameon=False, ncols=len(times), loc="upper left", fontsize=9)
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
