"""The package's import graph: no cycles, and the product never imports the demo generators.

The graph is read from the source by :func:`trialflow.dag.imports` (which the rules' code hashes
use): every ``import`` and ``from ... import`` in a module, at the top or inside a function (an
import deferred to a function still closes a cycle when that function runs).
"""

import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import ROOT
from trialflow.dag import imports

PACKAGE = ROOT / "src" / "trialflow"
DEMO = "trialflow.demo"
# The command line offers make-demo and make-synthetic, so it may import the generators.
MAY_IMPORT_DEMO = {"trialflow.cli"}


def module_names(src: Path = PACKAGE.parent) -> dict[str, Path]:
    names = {}
    for path in sorted(src.joinpath("trialflow").rglob("*.py")):
        parts = path.relative_to(src).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


@cache
def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports, as the workflow's code hashes read them."""
    return {name: set(imports(name)) - {name} for name in module_names()}


def run_fresh(code: str) -> subprocess.CompletedProcess:
    """``code`` in a fresh Python with this checkout's package: what a job's process would import."""
    env = {**os.environ, "PYTHONPATH": str(PACKAGE.parent)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read_from_the_source():
    graph = import_graph()
    assert "trialflow.consort.read" in graph["trialflow.consort.flow"]
    assert "trialflow.demo.numbers" in graph["trialflow.demo.functional"]
    assert "trialflow.demo.synthetic" in graph["trialflow.cli"]
    assert "trialflow.elisa.plate_map" in graph["trialflow.demo.plates"]
    assert "trialflow.elisa.errors" in graph["trialflow.elisa.plate_map"]  # a relative import


def test_the_finder_finds_a_cycle_through_a_deferred_import():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def closure(name: str) -> set[str]:
    """The package modules that importing ``name`` runs: its imports, theirs, and their packages."""
    graph, seen, todo = import_graph(), set(), [name]
    while todo:
        module = todo.pop()
        if module in seen or module not in graph:
            continue
        seen.add(module)
        parts = module.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))] + sorted(graph[module])
    return seen


def test_only_the_consort_step_imports_the_flow_diagram():
    # trialflow.consort does not import its diagram, so the ingest steps, which read and check
    # the disposition log with it, neither load the font metrics nor rerun when the drawing changes
    assert "trialflow.consort.diagram" in closure("trialflow.steps.consort")
    assert "trialflow.consort" in closure("trialflow.steps.ingest")
    steps = [n for n in module_names() if n.startswith("trialflow.steps.") and n != "trialflow.steps.consort"]
    assert [s for s in steps if "trialflow.consort.diagram" in closure(s)] == []


@pytest.mark.parametrize(
    "name", sorted(n for n in module_names() if not n.startswith(DEMO) and n not in MAY_IMPORT_DEMO)
)
def test_the_product_never_imports_the_demo(name):
    assert not {m for m in import_graph()[name] if m == DEMO or m.startswith(DEMO + ".")}


def test_the_elisa_package_offers_no_demo_plates():
    from trialflow import elisa

    assert "write_demo_plates" not in elisa.__all__
    with pytest.raises(AttributeError):
        elisa.write_demo_plates  # noqa: B018


def test_the_quantify_step_does_not_import_scipy():
    # Every quantify_batch job pays its imports (~30 jobs on a large trial); scipy.optimize alone
    # took ~0.4 s of them, and only the fallback curve fit needs it (imported there).
    code = "import sys, trialflow.steps.elisa; print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))"
    done = run_fresh(code)
    assert done.stdout.strip() == "[]", done.stdout[:500]


def test_snakemake_starts_without_pandera_or_openpyxl():
    # Every snakemake start (runs, no-ops, dry runs) checks the config (workflow/rules/common.smk),
    # outcomes and REDCap layout included; pandera and openpyxl were ~0.3 s of a 2-s no-op and
    # only the steps that read tables need them.
    code = (
        "import sys, yaml; from trialflow.configuration import config_problems; "
        f"config = yaml.safe_load(open({str(ROOT / 'config.yaml')!r})); "
        "assert config['outcomes'] and 'functional_redcap' in config['inputs']; "
        "print(config_problems(config), sorted({m.split('.')[0] for m in sys.modules} & {'pandera', 'openpyxl', 'scipy'}))"
    )
    done = run_fresh(code)
    assert done.stdout.strip() == "[] []", done.stdout[:500]


def test_the_product_imports_functional_modules_not_the_package():
    # trialflow.functional resolves its names lazily (import_module), which the rules' code hashes
    # cannot follow: a step importing the package would not rerun when derive.py changed.
    users = sorted(n for n, imported in import_graph().items() if "trialflow.functional" in imported)
    assert users == []


@pytest.mark.parametrize(
    ("script", "library"),
    [
        # WeasyPrint: only the PDF jobs (render_report, render_elisa_qc) draw; the HTML is on every
        # rerun's critical path
        ("render_report_html", "weasyprint"),
        ("tables_docx", "weasyprint"),
        # scipy (with the ANOVA's statistics ~0.8 s): only the steps that test or fit need it
        ("apply_estimands", "scipy"),
        ("adjust_multiplicity", "scipy"),
        ("summarise_harms", "scipy"),
    ],
)
def test_a_job_does_not_import_the_libraries_it_does_not_use(script, library):
    # Every job is a Python process that pays its imports (0.5-2 s on this kind of machine)
    adapter = (ROOT / "workflow" / "scripts" / f"{script}.py").read_text()
    imports = "; ".join(line for line in adapter.splitlines() if line.startswith("from trialflow"))
    code = f"import sys; {imports}; print(sorted(m for m in sys.modules if m.split('.')[0] == {library!r}))"
    done = run_fresh(code)
    assert done.stdout.strip() == "[]", done.stdout[:500]
