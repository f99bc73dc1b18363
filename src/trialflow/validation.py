"""The validation gate: the run's policy on input errors, applied once to every problem found.

``stop`` (the default): any error ends the run before any analysis, with a summary of the first
problems; previous results and reports stay as they were. ``quarantine``: the analysis goes on
without the rejected rows, which the report lists. Warnings never stop a run. Problems of a
*blocking* file stop the run under either policy: the disposition log's, because the CONSORT
flow must count every person assessed and its cross-checks are counts, not rows that could be
left out (docs/consort.md); the published figures', because a check of part of them would
misstate what the paper printed (docs/input-formats.md).
"""

from __future__ import annotations

import pandas as pd

from trialflow.problems import describe

SHOWN = 10  # problems listed in the message that stops a run


def gate(validation: pd.DataFrame, on_error: str, blocking: list[pd.DataFrame], where: str) -> str | None:
    """Why the run must stop here, in plain words; None when it may go on.

    Parameters
    ----------
    validation : results/qc/validation.csv (every problem of every input), read as text.
    on_error : ``stop`` or ``quarantine``.
    blocking : the problem tables whose errors cannot be quarantined.
    where : the path of validation.csv, named in the message.
    """
    errors = validation[validation["severity"] == "error"]
    if len(errors) and on_error == "stop":
        head = f"{len(errors)} input error(s); nothing was analysed (on_error: stop). First problems:"
        return _message(head, errors, where)
    held = pd.concat([*blocking, validation.iloc[:0]], ignore_index=True)
    held = held[held["severity"] == "error"]
    if len(held):
        head = (
            f"{len(held)} error(s) in the disposition log, its cross-checks or the published figures cannot be "
            "quarantined: the CONSORT flow must account for every person assessed, and the published figures "
            "are checked whole. Nothing was analysed. First problems:"
        )
        return _message(head, held, where)
    return None


def _message(head: str, problems: pd.DataFrame, where: str) -> str:
    lines = [head, *(f"  - {describe(r)}" for r in problems.head(SHOWN).to_dict("records"))]
    lines.append(f"Every problem, with file, line, column, value and rule: {where}")
    return "\n".join(lines)
