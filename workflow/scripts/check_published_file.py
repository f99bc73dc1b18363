"""Rule check_published_file: validate the published figures at the validation gate."""

from trialflow.steps import published, run_step

sm = snakemake  # noqa: F821 (injected by Snakemake)
run_step(
    sm.log[0],
    published.check_published_file,
    raw=sm.input.raw,
    name=sm.params.name,
    problems=sm.output.problems,
    known=sm.params.known,
)
