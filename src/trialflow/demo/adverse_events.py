"""The demo trial's adverse-events file (format: ``docs/input-formats.md``, "Adverse events").

The publication reports no harms, so the events of :data:`DEMO_EVENTS` are invented; they
are read and tabulated by :mod:`trialflow.harms` like any trial's.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from pathlib import Path

from trialflow.harms import AE_COLUMNS
from trialflow.outputs import write_atomic
from trialflow.readers import read_table

# Invented for the demo trial (the publication reports no harms): (arm, term, severity,
# relatedness, days after 2025-04-01). None serious, none led to discontinuation (the demo
# disposition log has no discontinuations), all recovered.
DEMO_EVENTS = [
    ("training", "Delayed onset muscle soreness", "mild", "probable", 3),
    ("training", "Delayed onset muscle soreness", "mild", "probable", 5),
    ("training", "Delayed onset muscle soreness", "mild", "possible", 4),
    ("training", "Delayed onset muscle soreness", "mild", "probable", 38),
    ("training", "Knee pain", "mild", "possible", 17),
    ("training", "Knee pain", "moderate", "probable", 44),
    ("training", "Fatigue", "mild", "possible", 26),
    ("control", "Multiple sclerosis relapse", "moderate", "unrelated", 33),
    ("control", "Upper respiratory tract infection", "mild", "unrelated", 12),
]
DEMO_START = dt.date(2025, 4, 1)


def write_demo_adverse_events(participants_csv: str | Path, out_path: str | Path, seed: int = 2025) -> None:
    """Write the demo trial's adverse-events file: the invented events of :data:`DEMO_EVENTS`,
    each given to a participant of its arm drawn with ``seed`` (the fourth muscle-soreness event
    goes to the first participant who had one). Same seed, same bytes."""
    people, problems = read_table(participants_csv)
    if problems:
        raise ValueError(f"cannot read {participants_csv}: {problems[0]}")
    rng = random.Random(seed)
    pools = {
        arm: rng.sample(sorted(people.loc[people["arm"] == arm, "participant_id"]), 6)
        for arm in ("control", "training")
    }
    taken = {"control": 0, "training": 0}
    rows = []
    for i, (arm, term, severity, related, day) in enumerate(DEMO_EVENTS):
        if i == 3:  # a second bout of soreness in the same person
            pid = rows[0][0]
        else:
            pid = pools[arm][taken[arm]]
            taken[arm] += 1
        start = (DEMO_START + dt.timedelta(days=day)).isoformat()
        rows.append((pid, term, start, severity, "no", related, "recovered", "no"))
    rows.sort(key=lambda r: (r[2], r[0]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(AE_COLUMNS)
    writer.writerows(rows)
    write_atomic(out_path, buffer.getvalue().encode("utf-8"))
