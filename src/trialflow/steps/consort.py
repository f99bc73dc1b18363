"""Step of the CONSORT flow: the participant flow from the validated disposition log and the
analysis data set, as JSON, a long table and a vector diagram."""

from __future__ import annotations

from trialflow import consort
from trialflow.consort.diagram import flow_diagram_svg
from trialflow.outputs import read_csv, write_atomic, write_csv
from trialflow.problems import InputError, errors_in
from trialflow.steps import read_missing_values


def consort_flow(
    disposition: str,
    name: str,
    participants: str,
    analysis: str,
    missing: list[str],
    arms: list[dict],
    time_points: list[dict],
    outcomes: list[dict],
    flow_json: str,
    flow_csv: str,
    svg: str,
) -> None:
    """The CONSORT participant flow derived from the validated disposition log and the
    analysis, as JSON, a long table and a vector diagram. Its cross-checks already passed at the
    validation gate; should one fail here all the same, the step stops.

    Who each outcome's analysis leaves out, and why, comes from the analysis data set and the
    values recorded as missing (``missing``) by the function the analysis uses for
    ``results/stats/excluded.csv``, so the flow does not wait for the statistics.
    """
    log_table = consort.read_disposition_table(disposition, time_points)
    data = read_csv(analysis)
    excluded = consort.analysis_exclusions(data, outcomes, time_points, read_missing_values(missing))
    analysed, exclusions = consort.analysis_from_results(log_table, data, excluded, outcomes)
    flow, found = consort.derive_flow(
        log_table,
        arms,
        time_points,
        analysed,
        outcomes=outcomes,
        analysis_exclusions=exclusions,
        participants=read_csv(participants),
        name=name,
    )
    if errors_in(found):
        raise InputError(errors_in(found))
    write_atomic(flow_json, consort.flow_json(flow))
    write_csv(consort.flow_frame(flow), flow_csv)
    write_atomic(svg, flow_diagram_svg(flow).encode("utf-8"))
