"""What the workflow needs while Snakemake builds its jobs; standard library only.

``workflow/rules/common.smk`` imports this module on every ``snakemake`` start (and on every
Slurm job, which reads the workflow again), so it imports nothing heavy.

* :func:`step_code`: a hash of the code one step module runs, a param of each rule, so that a
  rule reruns when the code it runs changes, and only then (an edit of the demo generator or
  of a template reruns no statistics);
* :func:`package_code`: a hash of the whole package, for the provenance manifest;
* :func:`plate_batches`: the plates of the manifest in batches, one job each;
* :func:`remember_command`: the command line that started the run, for the run record.
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import json
import os
import re
import sys
from functools import cache
from pathlib import Path

from trialflow.csv_rows import read_rows

PACKAGE = "trialflow"
PACKAGE_DIR = Path(__file__).resolve().parent
CODE_SUFFIXES = {".py", ".j2", ".css", ".ttf"}
COMMAND_ENV = "TRIALFLOW_SNAKEMAKE_COMMAND"
# The config keys the report is written from (trialflow.report.context.ReportSettings): the
# report's rules get these and no other, so e.g. a new ELISA batch size re-renders nothing.
REPORT_KEYS = (
    "trial", "arms", "time_points", "outcomes", "baseline", "protocol",
    "report.p_value_style", "analysis.alpha", "analysis.baseline_tests", "analysis.sphericity", "elisa.acceptance",
    "estimands", "analysis.primary",
)  # fmt: skip

# The start of an import statement; the statement itself is parsed by ast (see _imports).
_IMPORT_LINE = re.compile(r"^[ \t]*(?:from[ \t]+[\w.]+[ \t]+import\b|import[ \t]+\w)", re.M)


def _digest(files: list[Path]) -> str:
    """SHA-256 over ``files`` (sorted, each named by its path inside the package)."""
    digest = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.relative_to(PACKAGE_DIR).as_posix()):
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def package_code() -> str:
    """SHA-256 over the package's source, templates and fonts: the code version in the
    provenance manifest and the report's appendix."""
    files = [p for p in PACKAGE_DIR.rglob("*") if p.suffix in CODE_SUFFIXES and "__pycache__" not in p.parts]
    return _digest(files)


@cache
def step_code(module: str) -> str:
    """SHA-256 over the files of ``module`` (e.g. ``trialflow.steps.analysis``) and of every
    package module it imports, directly or through others, with the data files (templates,
    styles, fonts) of each package among them.

    Imports are read from the source, not executed, so nothing is imported here. A package's
    data files are the files in its folder and in those of its subfolders that are not packages.
    """
    return _digest(sorted({f for name in _closure(module) for f in _files_of(name)}))


def _closure(module: str) -> set[str]:
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen or _source(name) is None:
            continue
        seen.add(name)
        todo += _parents(name) + imports(name)
    return seen


def _parents(name: str) -> list[str]:
    """Importing a.b.c runs the packages a and a.b first."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


@cache
def _source(name: str) -> Path | None:
    """The file of package module ``name`` (its ``__init__.py`` for a package); None otherwise."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = PACKAGE_DIR.joinpath(*parts[1:])
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


@cache
def imports(name: str) -> list[str]:
    """The package modules that module ``name`` imports anywhere in its source, at the top or
    inside a function. ``from package import name`` counts as an import of the submodule
    ``package.name`` when there is one, else of ``package``; importing a submodule also runs its
    parent packages, which :func:`step_code` adds."""
    path = _source(name)
    text = path.read_text(encoding="utf-8")
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for match in _IMPORT_LINE.finditer(text):
        statement = _statement(text, match.start())
        try:
            node = ast.parse(statement.strip()).body[0]
        except (SyntaxError, IndexError):  # an "import" at the start of a docstring line
            continue
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found += [f"{base}.{a.name}" if _source(f"{base}.{a.name}") else base for a in node.names]
    return [m for m in found if _source(m) is not None]


def _statement(text: str, start: int) -> str:
    """The import statement that starts at ``start``: to the end of its line, or of its brackets."""
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    line = text[start:end]
    if "(" in line and ")" not in line:
        end = text.find(")", start) + 1
    while text[start:end].rstrip().endswith("\\"):
        end = text.find("\n", end + 1)
    return text[start:end].replace("\\\n", " ")


def _files_of(name: str) -> list[Path]:
    path = _source(name)
    if path.name != "__init__.py":
        return [path]
    return [path, *_data_files(path.parent)]


def _data_files(folder: Path) -> list[Path]:
    """Non-Python files of a package folder and of its subfolders that are not packages."""
    files = []
    for entry in sorted(folder.iterdir()):
        if entry.is_file() and entry.suffix != ".py" and entry.suffix != ".pyc":
            files.append(entry)
        elif entry.is_dir() and entry.name != "__pycache__" and not (entry / "__init__.py").exists():
            files += _data_files(entry)
    return files


def remember_command(argv: list[str] | None = None) -> list[str]:
    """Keep Snakemake's command line for the jobs; called in ``common.smk``.

    Jobs run in subprocesses whose own ``sys.argv`` is Snakemake's internal job command, and a
    param would rerun the run record's rule whenever the command changes (even ``snakemake -n``),
    so the main process leaves the command in the environment its jobs inherit. The first call
    wins: a job reading the Snakefile again keeps the user's command. argv[0] is written as
    ``snakemake``.
    """
    argv = sys.argv if argv is None else argv
    os.environ.setdefault(COMMAND_ENV, json.dumps(["snakemake", *argv[1:]]))
    return json.loads(os.environ[COMMAND_ENV])


def snakemake_command() -> list[str]:
    """The command line kept by :func:`remember_command` (this process's own if none was kept)."""
    kept = os.environ.get(COMMAND_ENV)
    return json.loads(kept) if kept else ["snakemake", *sys.argv[1:]]


def plain(value):
    """A config value as JSON can hold it: dates as ISO text, paths as text, tuples as lists."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, Path):
        return value.as_posix()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"config value of type {type(value).__name__} cannot be written to the manifest: {value!r}")


def canonical_json(value) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 text (the form that is hashed)."""
    return json.dumps(plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def config_sha256(config: dict) -> str:
    """SHA-256 of the config's canonical JSON."""
    return hashlib.sha256(canonical_json(config).encode("utf-8")).hexdigest()


def config_keys(config: dict, *keys: str) -> dict:
    """The part of ``config`` that ``keys`` name (``"a"`` or dotted ``"a.b"``; absent ones are left
    out), nested as in the config: a rule's param holds only the keys its step reads, so a change
    of any other key does not rerun it."""
    part: dict = {}
    for key in keys:
        names, value = key.split("."), config
        for name in names:
            if not isinstance(value, dict) or name not in value:
                break
            value = value[name]
        else:
            target = part
            for name in names[:-1]:
                target = target.setdefault(name, {})
            target[names[-1]] = value
    return part


def plate_batches(manifest: str | Path, size: int) -> dict[str, list[dict]]:
    """The manifest's plates in batches of ``size``, per analyte in manifest order: batch id
    (``<analyte>-001``, ...) -> the batch's manifest rows as ``{"line", "row"}``.

    Plates are quantified independently, so a batch job covers many plates (a process per plate
    would cost more than the fits), and a plate appended to the manifest reruns only the last
    batch of its analyte. A manifest that cannot be read gives no batch: the job that reads the
    whole manifest (combine_plates) reports why.
    """
    _, rows, faults = read_rows(manifest)
    if faults:
        return {}
    by_analyte: dict[str, list[dict]] = {}
    for line, row in rows:
        by_analyte.setdefault(row.get("analyte", ""), []).append({"line": line, "row": row})
    batches: dict[str, list[dict]] = {}
    for analyte, plates in by_analyte.items():
        slug = re.sub(r"[^A-Za-z0-9]+", "_", analyte).strip("_") or "plates"
        while any(b.startswith(f"{slug}-") for b in batches):  # analytes that differ only in punctuation
            slug += "_"
        for start in range(0, len(plates), size):
            batches[f"{slug}-{start // size + 1:03d}"] = plates[start : start + size]
    return batches
