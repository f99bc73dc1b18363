"""The demo trial's screening and disposition log (format: ``docs/consort.md``).

:func:`write_demo_disposition` writes a plausible log for the demo participants: everyone
randomised received the intervention and attended every visit, and 15 more people were
assessed and not randomised (:data:`DEMO_EXCLUSIONS`). The flow is then derived from it by
:mod:`trialflow.consort`, as from any trial's log.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from pathlib import Path

from trialflow.consort import disposition_columns
from trialflow.outputs import write_atomic
from trialflow.readers import read_table

DEMO_EXCLUSIONS = [  # (eligible, declined, exclusion_reason) of those assessed but not randomised
    *[("no", "", "EDSS > 4.5")] * 4,
    *[("no", "", "age outside 30–50 years")] * 3,
    *[("no", "", "pregnancy")] * 2,
    ("no", "", "relapse in the previous 3 months"),
    *[("yes", "yes", "")] * 4,
    ("yes", "no", "moved away before randomisation"),
]


def write_demo_disposition(
    participants_csv: str | Path, out_path: str | Path, seed: int = 2025, time_points: Sequence[str] = ("pre", "post")
) -> None:
    """Write a seeded demo disposition log: everyone in ``participants_csv`` randomised to their
    arm, received the intervention and attended every time point; 15 more assessed and excluded
    (not eligible, declined, other) in a seeded screening order. Same seed, same bytes."""
    people, problems = read_table(participants_csv)
    if problems:
        raise ValueError(f"cannot read {participants_csv}: {problems[0]}")
    rows = [
        {"participant_id": p, "arm": a, "eligible": "yes", "declined": "no", "exclusion_reason": ""}
        for p, a in zip(people["participant_id"], people["arm"], strict=True)
    ]
    rows += [
        {"participant_id": "", "arm": "", "eligible": e, "declined": d, "exclusion_reason": r}
        for e, d, r in DEMO_EXCLUSIONS
    ]
    random.Random(seed).shuffle(rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(disposition_columns(list(time_points)))
    for i, row in enumerate(rows, start=1):
        randomised = row["arm"] != ""
        after = ["yes", "", "no", "", "no", ""] if randomised else [""] * 6
        writer.writerow(
            [
                f"S{i:03d}",
                row["participant_id"],
                row["eligible"],
                row["exclusion_reason"],
                row["declined"],
                row["arm"],
                *after,
                *(["yes" if randomised else ""] * len(time_points)),
            ]
        )
    write_atomic(out_path, buffer.getvalue().encode("utf-8"))
