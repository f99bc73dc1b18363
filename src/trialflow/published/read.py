"""Read ``published.yaml`` strictly: every fault a :class:`~trialflow.problems.Problem` naming the line.

YAML is forgiving in ways that change numbers without a word: a duplicated key keeps the last
value, and a mean ± SD typed as ``"227.77±26.30"`` is a string that code expecting a pair
indexes character by character. So the file is composed node by node (each node knows its line
and column), a key that appears twice in one mapping is refused, and every value the check uses
is checked against the layout of ``tests/data/published.yaml`` before anything reads it
(docs/input-formats.md, "Published figures"). A syntax error or an empty file is a problem
naming the file, line and column; nothing here raises for what is in the file.

Problems name the file, the line of the value, and as ``column`` the value's key path
(``table3_outcomes.BDNF.control.pre``); ``value`` is the text as written.
"""

from __future__ import annotations

import math
from pathlib import Path

import yaml

from trialflow.problems import Problem
from trialflow.published.printed import printed_number, read_p

# Top-level keys the check reads, and those it carries for people only (free layout).
CHECKED_KEYS = ("design", "table2_baseline", "table3_outcomes", "anova")
FREE_KEYS = ("source", "table1_protocol", "assumption_checks", "table3_layout")
EFFECTS = ("time", "group", "interaction")
T_TEST_KEY = "independent_t_p"


class _Node:
    """A composed YAML value with its line (1-based), column (1-based) and text as written."""

    __slots__ = ("column", "key_line", "line", "text", "value")

    def __init__(self, value, line: int, column: int, text: str):
        self.value, self.line, self.column, self.text = value, line, column, text
        self.key_line = line  # the line of its key, for a value of a mapping


def read_published(
    path: str | Path, name: str | None = None, known: dict[str, list[str]] | None = None
) -> tuple[dict | None, list[Problem]]:
    """The published figures as a plain dict, and every problem of the file.

    ``known``: the configured ids (``arms``, ``time_points``, ``outcomes``); an arm, time point
    or outcome of the file that is not one of them is a warning (``published_id_known``), since
    its numbers cannot be compared with ours (``Control`` for ``control``).

    Returns ``(None, problems)`` when the file cannot be read as YAML, is empty, or has an
    error (the check never runs on part of a file); warnings alone leave the dict.
    """
    name = name or Path(path).name
    reader = _Reader(name)
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        return None, [reader.problem("", "", "", "file_readable", f"the file cannot be read: {err.strerror or err}")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        return None, [
            reader.problem(
                line, "", "", "encoding", f"the file is not UTF-8 (byte {raw[err.start]:#04x}); save it as UTF-8"
            )
        ]
    root = reader.compose(text)
    if root is None:
        return None, reader.problems
    reader.check(root)
    if known and not any(p.severity == "error" for p in reader.problems):
        reader.ids(root, known)
    if any(p.severity == "error" for p in reader.problems):
        return None, reader.problems
    return _plain(root), reader.problems


def _plain(node: _Node):
    if isinstance(node.value, dict):
        return {k: _plain(v) for k, v in node.value.items()}
    if isinstance(node.value, list):
        return [_plain(v) for v in node.value]
    return node.value


class _Reader:
    def __init__(self, name: str):
        self.name = name
        self.problems: list[Problem] = []
        self.df_named = False  # the design's df problem is named once

    def problem(self, line, key: str, value: str, rule: str, message: str, severity: str = "error") -> Problem:
        found = Problem(self.name, str(line), key, value, rule, severity, message)
        self.problems.append(found)
        return found

    # --- composing -----------------------------------------------------------------------------

    def compose(self, text: str) -> _Node | None:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else ("", "")
            at = f" at line {line}, column {column}" if mark else ""
            what = err.problem or "not valid YAML"
            if err.context and err.context_mark and err.context_mark is not mark:
                started = err.context_mark
                what += f" ({err.context} started at line {started.line + 1}, column {started.column + 1})"
            elif err.context:
                what = f"{err.context}: {what}"
            self.problem(line, "", "", "yaml_syntax", f"YAML syntax error{at}: {what}")
            return None
        except yaml.YAMLError as err:
            self.problem("", "", "", "yaml_syntax", f"YAML syntax error: {err}")
            return None
        finally:
            loader.dispose()
        if node is None:
            self.problem(
                "", "", "", "file_empty", "the file is empty (or holds only comments); it must hold the figures"
            )
            return None
        return self._build(node, loader, text, "")

    def _build(self, node: yaml.Node, loader: yaml.SafeLoader, text: str, path: str) -> _Node:
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        written = text[node.start_mark.index : node.end_mark.index].rstrip()
        if isinstance(node, yaml.MappingNode):
            out: dict = {}
            first: dict = {}
            for key_node, value_node in node.value:
                key_line = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode):
                    self.problem(key_line, path, "", "key_text", "a key must be plain text, not a list or a mapping")
                    continue
                if key_node.tag == "tag:yaml.org,2002:merge":
                    self.problem(key_line, path, "<<", "key_text", "merge keys (<<) are not accepted; write each key")
                    continue
                key = str(loader.construct_object(key_node))
                where = f"{path}.{key}" if path else key
                if key in first:
                    self.problem(
                        key_line,
                        where,
                        key,
                        "key_unique",
                        f"the key {key!r} appears twice in one mapping (first at line {first[key]}); YAML would "
                        "silently keep only the last value: remove one",
                    )
                    continue
                first[key] = key_line
                out[key] = self._build(value_node, loader, text, where)
                out[key].key_line = key_line
            return _Node(out, line, column, written)
        if isinstance(node, yaml.SequenceNode):
            items = [self._build(v, loader, text, f"{path}[{i}]") for i, v in enumerate(node.value)]
            return _Node(items, line, column, written)
        try:
            value = loader.construct_object(node)
        except yaml.YAMLError as err:  # e.g. a malformed !!timestamp
            self.problem(line, path, node.value, "yaml_syntax", f"the value cannot be read: {err}")
            value = node.value
        return _Node(value, line, column, node.value if isinstance(node.value, str) else written)

    # --- the layout ----------------------------------------------------------------------------

    def check(self, root: _Node) -> None:
        if not self.mapping(root, "", "the file must be a mapping of sections (design, table3_outcomes, anova, ...)"):
            return
        for key, node in root.value.items():
            if key not in CHECKED_KEYS + FREE_KEYS:
                self.problem(
                    node.line,
                    key,
                    "",
                    "key_known",
                    f"{key!r} is not a section the check reads ({', '.join(CHECKED_KEYS)}) or carries "
                    f"({', '.join(FREE_KEYS)}); it is ignored",
                    "warning",
                )
        sections = root.value
        design = sections.get("design")
        before = len(self.problems)
        gives_df = self.design(design) if design is not None else False
        design_named = len(self.problems) > before  # a design problem is named once, not per F
        if "table2_baseline" in sections:
            self.table2(sections["table2_baseline"])
        if "table3_outcomes" in sections:
            self.table3(sections["table3_outcomes"])
        if "anova" in sections:
            self.anova(sections["anova"], gives_df or design_named)

    def ids(self, root: _Node, known: dict[str, list[str]]) -> None:
        """A warning at the first use of each arm, time point or outcome the config does not name."""
        sections = root.value
        uses: list[tuple[str, str, _Node, str]] = []  # kind, id, node, key path
        arms = sections.get("design") and sections["design"].value.get("arms")
        uses += [("arms", a, n, f"design.arms.{a}") for a, n in (arms.value.items() if arms else ())]
        times = sections.get("design") and sections["design"].value.get("time_points")
        uses += [
            ("time_points", str(t.value), t, f"design.time_points[{i}]")
            for i, t in enumerate(times.value if times else [])
        ]
        table2 = sections.get("table2_baseline")
        for arm, cells in table2.value.items() if table2 else ():
            if arm != T_TEST_KEY:
                uses.append(("arms", arm, cells, f"table2_baseline.{arm}"))
        table3 = sections.get("table3_outcomes")
        for outcome, arms_node in table3.value.items() if table3 else ():
            uses.append(("outcomes", outcome, arms_node, f"table3_outcomes.{outcome}"))
            for arm, times_node in arms_node.value.items():
                uses.append(("arms", arm, times_node, f"table3_outcomes.{outcome}.{arm}"))
                for time, cell in times_node.value.items():
                    uses.append(("time_points", time, cell, f"table3_outcomes.{outcome}.{arm}.{time}"))
        anova = sections.get("anova")
        uses += [("outcomes", o, n, f"anova.{o}") for o, n in (anova.value.items() if anova else ())]
        named = set()
        for kind, key, node, path in uses:
            if kind in known and key not in known[kind] and (kind, key) not in named:
                named.add((kind, key))
                what = {"arms": "arm", "time_points": "time point", "outcomes": "outcome"}[kind]
                self.problem(
                    node.key_line,
                    path,
                    key,
                    "published_id_known",
                    f"{key!r} is not a configured {what} id ({', '.join(known[kind])}); its numbers cannot be "
                    "compared with the reanalysis: use the configured id",
                    "warning",
                )

    def mapping(self, node: _Node, path: str, what: str) -> bool:
        if isinstance(node.value, dict):
            return True
        self.problem(node.line, path, node.text, "published_layout", f"{what}; found {_kind(node)}")
        return False

    def design(self, node: _Node) -> bool:
        """Whether the design gives arms with their n and at least two time points (the ANOVA df)."""
        if not self.mapping(node, "design", "design must be a mapping (participants, arms, time_points, ...)"):
            return False
        ok = True
        arms = node.value.get("arms")
        if arms is not None and self.mapping(arms, "design.arms", "design.arms must map each arm to its n"):
            for arm, n in arms.value.items():
                ok &= self.count(n, f"design.arms.{arm}")
        elif arms is not None:
            ok = False
        if "participants" in node.value:
            self.count(node.value["participants"], "design.participants")
        times = node.value.get("time_points")
        if times is not None:
            if not isinstance(times.value, list) or any(isinstance(t.value, dict | list) for t in times.value):
                self.problem(
                    times.line,
                    "design.time_points",
                    times.text,
                    "published_layout",
                    f"design.time_points must be a list of time point names; found {_kind(times)}",
                )
                ok = False
        return ok and arms is not None and times is not None and len(arms.value) >= 2 and len(times.value) >= 2

    def count(self, node: _Node, path: str) -> bool:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.problem(node.line, path, node.text, "count", "must be a whole number of participants, 1 or more")
            return False
        return True

    def number(self, node: _Node, path: str, what: str = "a printed number") -> float | None:
        """The value of a printed number (a YAML number, or text such as "0.80" that keeps its decimals)."""
        value = node.value
        if isinstance(value, bool) or value is None or isinstance(value, dict | list):
            self.problem(node.line, path, node.text, "printed_number", f"must be {what}; found {_kind(node)}")
            return None
        try:
            number = printed_number(value)
        except (TypeError, ValueError):
            self.problem(
                node.line,
                path,
                node.text,
                "printed_number",
                f'must be {what} (e.g. 227.77, or "0.80" as text to keep its decimals); found the text {node.text!r}',
            )
            return None
        if not math.isfinite(number):
            self.problem(node.line, path, node.text, "printed_number", f"must be {what}, a finite one")
            return None
        if isinstance(value, str) and value.strip()[:1] in "<>=≤≥pP":
            self.problem(node.line, path, node.text, "printed_number", f"must be {what}; a bound is only for p values")
            return None
        return number

    def mean_sd(self, node: _Node, path: str) -> None:
        if not (isinstance(node.value, list) and len(node.value) == 2):
            found = f"the text {node.text!r}" if isinstance(node.value, str) else _kind(node)
            self.problem(
                node.line,
                path,
                node.text,
                "mean_sd_pair",
                f"must be [mean, sd], a list of two numbers (e.g. [227.77, 26.30]); found {found}",
            )
            return
        mean, sd = node.value
        self.number(mean, f"{path}[0]", "the mean, a printed number")
        value = self.number(sd, f"{path}[1]", "the SD, a printed number")
        if value is not None and value < 0:
            self.problem(sd.line, f"{path}[1]", sd.text, "sd_nonnegative", "an SD is 0 or more")

    def p_value(self, node: _Node, path: str) -> None:
        value = node.value
        if isinstance(value, bool) or value is None or isinstance(value, dict | list):
            self.problem(node.line, path, node.text, "printed_p", f"must be a printed p value; found {_kind(node)}")
            return
        try:
            _, p, _ = read_p(value)
        except (TypeError, ValueError):
            self.problem(
                node.line,
                path,
                node.text,
                "printed_p",
                f'must be a printed p value (0.012, "0.0001", "<.001"); found the text {node.text!r}',
            )
            return
        if not 0 <= p <= 1:
            self.problem(node.line, path, node.text, "p_range", "a p value lies between 0 and 1")

    def table2(self, node: _Node) -> None:
        if not self.mapping(node, "table2_baseline", "table2_baseline must map each arm to its characteristics"):
            return
        for arm, cells in node.value.items():
            path = f"table2_baseline.{arm}"
            if arm == T_TEST_KEY:
                if self.mapping(cells, path, f"{T_TEST_KEY} must map each characteristic to its printed p"):
                    for variable, p in cells.value.items():
                        self.p_value(p, f"{path}.{variable}")
                continue
            if not self.mapping(cells, path, "an arm of table2_baseline must map n and each characteristic"):
                continue
            for variable, cell in cells.value.items():
                if variable == "n":
                    self.count(cell, f"{path}.n")
                else:
                    self.mean_sd(cell, f"{path}.{variable}")

    def table3(self, node: _Node) -> None:
        if not self.mapping(node, "table3_outcomes", "table3_outcomes must map each outcome to its arms"):
            return
        for outcome, arms in node.value.items():
            if not self.mapping(arms, f"table3_outcomes.{outcome}", "an outcome must map each arm to its time points"):
                continue
            for arm, times in arms.value.items():
                path = f"table3_outcomes.{outcome}.{arm}"
                if self.mapping(times, path, "an arm must map each time point to [mean, sd]"):
                    for time, cell in times.value.items():
                        self.mean_sd(cell, f"{path}.{time}")

    def anova(self, node: _Node, design_gives_df: bool) -> None:
        """The ANOVA entries; ``design_gives_df``: the design gives the df (or its own problem was
        named), so an entry without df1/df2 is not one more problem."""
        if not self.mapping(node, "anova", "anova must map each outcome to its effects"):
            return
        self.df_named = design_gives_df
        for outcome, effects in node.value.items():
            if not self.mapping(effects, f"anova.{outcome}", f"an outcome must map effects ({', '.join(EFFECTS)})"):
                continue
            for effect, entry in effects.value.items():
                path = f"anova.{outcome}.{effect}"
                if effect not in EFFECTS:
                    self.problem(
                        entry.line, path, effect, "anova_effect", f"the effect must be one of {', '.join(EFFECTS)}"
                    )
                    continue
                if not self.mapping(entry, path, "an effect must be a mapping with F, p and optionally eta2, df1, df2"):
                    continue
                self.anova_entry(entry, path)

    def anova_entry(self, entry: _Node, path: str) -> None:
        cells = entry.value
        unknown = sorted(set(cells) - {"F", "p", "eta2", "df1", "df2"})
        for key in unknown:
            self.problem(
                cells[key].line,
                f"{path}.{key}",
                "",
                "key_known",
                f"{key!r} is not read (F, p, eta2, df1, df2)",
                "warning",
            )
        if "F" not in cells:
            self.problem(entry.line, f"{path}.F", "", "value_given", "the printed F is required")
        else:
            value = self.number(cells["F"], f"{path}.F", "the printed F")
            if value is not None and value < 0:
                self.problem(cells["F"].line, f"{path}.F", cells["F"].text, "f_nonnegative", "an F is 0 or more")
        if "p" in cells:
            self.p_value(cells["p"], f"{path}.p")
        if "eta2" in cells:
            value = self.number(cells["eta2"], f"{path}.eta2", "the printed partial eta squared")
            if value is not None and not 0 <= value <= 1:
                self.problem(cells["eta2"].line, f"{path}.eta2", cells["eta2"].text, "eta2_range", "lies from 0 to 1")
        given = [k for k in ("df1", "df2") if k in cells]
        for key in given:
            value = self.number(cells[key], f"{path}.{key}", "a degree of freedom")
            if value is not None and value <= 0:
                self.problem(cells[key].line, f"{path}.{key}", cells[key].text, "df_positive", "a df is above 0")
        if len(given) == 1:
            self.problem(entry.line, path, "", "df_pair", "df1 and df2 come together")
        elif not given and not self.df_named:  # named once, at the first F that needs the design
            self.df_named = True
            self.problem(
                entry.line,
                path,
                "",
                "design_for_df",
                "the F's degrees of freedom come from design.arms (two or more arms with their n) and "
                "design.time_points (two or more), which the file does not give; give them, or df1 and df2 "
                "with every F",
            )


def _kind(node: _Node) -> str:
    value = node.value
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"the truth value {node.text}"
    if isinstance(value, str):
        return f"the text {node.text!r}"
    return f"the value {node.text}"
