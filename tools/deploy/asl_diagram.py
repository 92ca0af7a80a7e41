"""Pictures of the state machines, drawn from their source: every `stepfunctions/*.asl.json`
becomes a Mermaid `stateDiagram-v2` on a page `docs/state-machines/<name>.md`, plus an index
of the machines, so a diagram can never disagree with the ASL it shows.

    python -m tools.deploy.asl_diagram [--check]      (`make diagrams` writes them)

Drawn: every state (Map and Parallel as composite states with their inner machines), Next,
each Choice rule with a short label and the Default as "otherwise", each Catch labelled with
the errors it takes, and End/Succeed/Fail into the final state. The transitions come from
`asl_check.edges`, the same reading of the ASL that the offline validator checks.

Mermaid ids are restricted (no spaces or dashes; words such as `end` or `state` are
keywords), while ASL state names may hold any character: every id is made safe and, where it
differs from the name, declared as `state "Name" as id` so the picture still shows the name.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.deploy import asl_check

REPO_ROOT = Path(__file__).resolve().parents[2]
ASL_DIR = REPO_ROOT / "stepfunctions"
OUT_DIR = REPO_ROOT / "docs" / "state-machines"
ASL_SUFFIX = ".asl.json"
INDEX_NAME = "README.md"
COMMAND = "make diagrams"
MODULE = "python -m tools.deploy.asl_diagram"
LABEL_LIMIT = 40
INDENT = "    "

# Words the stateDiagram grammar reads as keywords wherever an id may stand.
MERMAID_KEYWORDS = {
    "as", "class", "classdef", "click", "default", "direction", "end", "hide", "left", "note",
    "of", "over", "right", "state", "statediagram", "style",
}  # fmt: skip
# DynamoDB attribute-type keys at the end of a path ($.day.Item.latest_run.S): the attribute
# before them is the name worth showing.
DYNAMODB_TYPES = {"S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M"}
OPERATORS = {
    "Equals": "=",
    "GreaterThan": ">",
    "GreaterThanEquals": "≥",
    "LessThan": "<",
    "LessThanEquals": "≤",
    "Matches": "matches",
}
TYPE_TESTS = {
    "IsPresent": ("present", "absent"),
    "IsNull": ("is null", "is not null"),
    "IsString": ("is a string", "is not a string"),
    "IsNumeric": ("is a number", "is not a number"),
    "IsBoolean": ("is a boolean", "is not a boolean"),
    "IsTimestamp": ("is a timestamp", "is not a timestamp"),
}
# Mermaid's look for each kind of state; Task is the plain default.
CLASS_DEFS = {
    "choice": "fill:#fff4d6,stroke:#b8860b",
    "waiting": "fill:#eef3fb,stroke:#4a6fa5",
    "passing": "fill:#f4f4f4,stroke:#999999",
    "nested": "fill:#e8f4ea,stroke:#2e7d32,stroke-width:2px",
    "succeeded": "fill:#d9f2dc,stroke:#2e7d32",
    "failed": "fill:#fbe3e3,stroke:#c62828",
}
CLASS_OF_TYPE = {
    "Choice": "choice",
    "Wait": "waiting",
    "Pass": "passing",
    "Succeed": "succeeded",
    "Fail": "failed",
}
LEGEND = (
    "Reading it: `[*]` is where an execution starts and ends; an arrow with a condition comes "
    "from a Choice state (yellow; `otherwise` is its Default); an arrow labelled `catch` is "
    "where an error goes; Wait states are blue, Pass states grey, Succeed green, Fail red, and "
    "a Task that starts another state machine is outlined green. Map and Parallel states are "
    "boxes holding the states they run. A Task's second line is the service call it makes."
)


@dataclass(frozen=True)
class Machine:
    """One ASL file and the page drawn from it."""

    name: str
    asl: Path
    source: str  # the ASL's path from the repository root, as the page names it
    definition: dict[str, Any]

    @property
    def page_name(self) -> str:
        return f"{self.name}.md"


# ---- ids and labels ---------------------------------------------------------------------


class Ids:
    """A Mermaid-safe id for every state name, unique within the diagram."""

    def __init__(self) -> None:
        self.by_name: dict[str, str] = {}
        self.taken: set[str] = set()

    def __call__(self, name: str) -> str:
        if name not in self.by_name:
            base = re.sub(r"[^A-Za-z0-9_]", "_", name) or "state"
            if base[0].isdigit() or base.lower() in MERMAID_KEYWORDS:
                base = f"s_{base}"
            candidate, counter = base, 2
            while candidate in self.taken:
                candidate, counter = f"{base}_{counter}", counter + 1
            self.by_name[name] = candidate
            self.taken.add(candidate)
        return self.by_name[name]


def safe_text(text: str) -> str:
    """Text for a label or a description: one line, without the characters Mermaid's state
    grammar reads as syntax (quotes end an alias, `;` ends a statement and closes a `#35;`
    entity, braces open and close a composite, `<` before a letter opens an HTML tag)."""
    text = " ".join(str(text).split())
    for old, new in (('"', "'"), (";", ","), ("{", "("), ("}", ")")):
        text = text.replace(old, new)
    text = text.replace("<=", "≤").replace(">=", "≥")
    return re.sub(r"<(?=\S)", "< ", text)  # `<x` would open an HTML tag, `< x` cannot


def shorten(text: str, limit: int = LABEL_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def short_path(path: str) -> str:
    """`$.event.parts[1]` -> `parts[1]`; `$.day.Item.latest_run.S` -> `latest_run`."""
    segments = [s for s in re.split(r"\.", path.lstrip("$")) if s]
    while len(segments) > 1 and segments[-1] in DYNAMODB_TYPES:
        segments.pop()
    return segments[-1] if segments else path


def _comparison(rule: dict[str, Any]) -> tuple[str, str, str] | None:
    """(variable, operator, value) of a simple JSONPath rule, None for anything else."""
    if "Variable" not in rule:
        return None
    variable = short_path(rule["Variable"])
    for key, value in rule.items():
        if key in TYPE_TESTS:
            yes, no = TYPE_TESTS[key]
            return variable, yes if value else no, ""
        if key == "BooleanEquals":
            return variable, "is", str(value).lower()
        if key == "BooleanEqualsPath":
            return variable, "=", short_path(value)
        for suffix, operator in OPERATORS.items():
            for prefix in ("String", "Numeric", "Timestamp"):
                if key == f"{prefix}{suffix}":
                    return variable, operator, str(value)
                if key == f"{prefix}{suffix}Path":
                    return variable, operator, short_path(value)
    return None


def rule_text(rule: dict[str, Any]) -> str:
    """A short reading of one Choice rule (JSONPath or JSONata)."""
    if "Condition" in rule:  # JSONata: the expression itself, without its {% %} fence
        return str(rule["Condition"]).strip().removeprefix("{%").removesuffix("%}").strip()
    if "Not" in rule:
        return f"not ({rule_text(rule['Not'])})"
    for joiner in ("And", "Or"):
        if joiner in rule:
            parts = rule[joiner]
            compared = [_comparison(part) for part in parts]
            # Many values of one variable under one operator read as a set: y in 2000, 2004, ...
            if (
                joiner == "Or"
                and all(compared)
                and len({(c[0], c[1]) for c in compared if c}) == 1
                and compared[0][1] == "="
            ):
                values = ", ".join(c[2] for c in compared if c)
                return f"{compared[0][0]} in {values}"
            inner = [rule_text(part) for part in parts]
            wrap = [f"({text})" if (" and " in text or " or " in text) else text for text in inner]
            return f" {joiner.lower()} ".join(wrap)
    compared = _comparison(rule)
    if compared is None:
        return "rule"
    return " ".join(part for part in compared if part)


def choice_label(rule: dict[str, Any]) -> str:
    # A rule's own Comment says what it means better than its operators can.
    text = rule.get("Comment") or rule_text(rule)
    return shorten(safe_text(text))


def catch_label(catcher: dict[str, Any]) -> str:
    errors = catcher.get("ErrorEquals", [])
    if errors == ["States.ALL"]:
        return "catch any error"
    names = [error.rsplit(".", 1)[-1] if error.count(".") == 1 else error for error in errors]
    return shorten(safe_text("catch " + ", ".join(names)))


def task_description(state: dict[str, Any]) -> str:
    """The service call of a Task: `arn:aws:states:::glue:startJobRun.sync` ->
    `glue:startJobRun.sync`, `...:::aws-sdk:s3:listObjectsV2` -> `s3:listObjectsV2`."""
    resource = str(state.get("Resource", ""))
    if resource.startswith("arn:") and ":::" in resource:
        resource = resource.split(":::", 1)[1].removeprefix("aws-sdk:")
    elif resource.startswith("arn:"):
        resource = resource.split(":")[2] if resource.count(":") >= 2 else resource
    return shorten(safe_text(resource), 48)


def is_nested_execution(state: dict[str, Any]) -> bool:
    return str(state.get("Resource", "")).startswith("arn:aws:states:::states:startExecution")


# ---- the diagram ------------------------------------------------------------------------


class _Writer:
    def __init__(self) -> None:
        self.ids = Ids()
        self.lines: list[str] = []
        self.classes: dict[str, list[str]] = {}

    def emit(self, depth: int, line: str) -> None:
        self.lines.append(INDENT * depth + line)

    def machine(self, machine: dict[str, Any], depth: int) -> None:
        states: dict[str, Any] = machine.get("States") or {}
        # Declare every state first (names, descriptions, composites), then the arrows, so
        # an arrow never creates a state before its label is known.
        for name, state in states.items():
            self.declare(name, state, depth)
        start = machine.get("StartAt")
        if start in states:
            self.emit(depth, f"[*] --> {self.ids(start)}")
        for name, state in states.items():
            source = self.ids(name)
            for edge in asl_check.edges(state):
                target = self.ids(edge.target)
                label = {
                    "next": "",
                    "default": "otherwise",
                    "choice": choice_label(edge.source or {}),
                    "catch": catch_label(edge.source or {}),
                }[edge.kind]
                self.emit(depth, f"{source} --> {target}" + (f": {label}" if label else ""))
            if state.get("End") or state.get("Type") in asl_check.TERMINAL_TYPES:
                self.emit(depth, f"{source} --> [*]")

    def declare(self, name: str, state: dict[str, Any], depth: int) -> None:
        ident = self.ids(name)
        inner = asl_check.nested_machines(state)
        kind = state.get("Type")
        # A Task's description alone would replace its name in the box; declared with its
        # name first, the box shows the name above the description.
        if ident != name or (kind == "Task" and not inner):
            self.emit(depth, f'state "{safe_text(name)}" as {ident}')
        if inner:
            self.emit(depth, f"state {ident} {{")
            for index, branch in enumerate(inner):
                if index:
                    self.emit(depth + 1, "--")  # Parallel branches run side by side
                self.machine(branch, depth + 1)
            self.emit(depth, "}")
            return
        if kind == "Task":
            self.emit(depth, f"{ident}: {task_description(state)}")
            if is_nested_execution(state):
                self.classes.setdefault("nested", []).append(ident)
        elif ident == name:
            self.emit(depth, ident)
        if kind in CLASS_OF_TYPE:
            self.classes.setdefault(CLASS_OF_TYPE[kind], []).append(ident)


def mermaid(definition: dict[str, Any]) -> str:
    """The stateDiagram-v2 text of a state machine definition."""
    writer = _Writer()
    writer.emit(0, "stateDiagram-v2")
    writer.machine(definition, 1)
    for name, style in CLASS_DEFS.items():
        if name in writer.classes:
            writer.emit(1, f"classDef {name} {style}")
    for name in CLASS_DEFS:
        if name in writer.classes:
            writer.emit(1, f"class {','.join(writer.classes[name])} {name}")
    return "\n".join(writer.lines) + "\n"


def all_state_names(definition: dict[str, Any]) -> list[str]:
    """Every state of a machine, those inside Map and Parallel states included."""
    names: list[str] = []
    for name, state in (definition.get("States") or {}).items():
        names.append(name)
        for inner in asl_check.nested_machines(state):
            names.extend(all_state_names(inner))
    return names


# ---- pages ------------------------------------------------------------------------------


def machines(asl_dir: Path = ASL_DIR, root: Path = REPO_ROOT) -> list[Machine]:
    """Every state machine in the folder, by name (the file name without `.asl.json`)."""
    found = []
    for path in sorted(asl_dir.glob(f"*{ASL_SUFFIX}")):
        name = path.name.removesuffix(ASL_SUFFIX)
        source = path.relative_to(root).as_posix()
        found.append(Machine(name, path, source, asl_check.load(path)))
    return found


def _link(path: Path, page_dir: Path) -> str:
    return Path(os.path.relpath(path, page_dir)).as_posix()


def _counts(definition: dict[str, Any]) -> str:
    kinds: dict[str, int] = {}
    for state in _all_states(definition):
        kinds[state.get("Type", "?")] = kinds.get(state.get("Type", "?"), 0) + 1
    return ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))


def _all_states(definition: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for state in (definition.get("States") or {}).values():
        found.append(state)
        for inner in asl_check.nested_machines(state):
            found.extend(_all_states(inner))
    return found


def page(machine: Machine, out_dir: Path = OUT_DIR) -> str:
    source = machine.source
    link = _link(machine.asl, out_dir)
    total = len(all_state_names(machine.definition))
    comment = machine.definition.get("Comment", "")
    lines = [
        f"# State machine `{machine.name}`",
        "",
        f"<!-- Generated from {source} by `{COMMAND}` ({MODULE}): do not edit by hand. -->",
        f"Generated from [`{source}`]({link}) by `{COMMAND}`: edit the ASL, then run it again "
        "(a test fails while this page is stale).",
        "",
        f"{total} states ({_counts(machine.definition)}), starting at "
        f"`{machine.definition.get('StartAt')}`." + (f" {comment}" if comment else ""),
        "",
        LEGEND,
        "",
        "```mermaid",
        mermaid(machine.definition).rstrip("\n"),
        "```",
        "",
    ]
    return "\n".join(lines)


def index(found: list[Machine], out_dir: Path = OUT_DIR) -> str:
    lines = [
        "# State machines",
        "",
        f"<!-- Generated by `{COMMAND}` ({MODULE}): do not edit by hand. -->",
        "One page per `stepfunctions/*.asl.json`, each drawn from the ASL by "
        f"`{COMMAND}` (a test fails while a page is stale).",
        "",
        "| machine | source | states | starts at |",
        "| --- | --- | ---: | --- |",
    ]
    for machine in found:
        lines.append(
            f"| [{machine.name}]({machine.page_name}) "
            f"| [`{machine.source}`]({_link(machine.asl, out_dir)}) "
            f"| {len(all_state_names(machine.definition))} "
            f"| `{machine.definition.get('StartAt')}` |"
        )
    return "\n".join(lines) + "\n"


def expected_pages(
    asl_dir: Path = ASL_DIR, out_dir: Path = OUT_DIR, root: Path = REPO_ROOT
) -> dict[Path, str]:
    """Every page `make diagrams` writes, keyed by path, drawn in memory."""
    found = machines(asl_dir, root)
    pages = {out_dir / machine.page_name: page(machine, out_dir) for machine in found}
    pages[out_dir / INDEX_NAME] = index(found, out_dir)
    return pages


def write(pages: dict[Path, str], out_dir: Path = OUT_DIR) -> list[Path]:
    """Write the pages and remove the pages of machines that no longer exist; returns the
    paths that changed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    changed = []
    for path, text in pages.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    for path in sorted(out_dir.glob("*.md")):
        if path not in pages:
            path.unlink()
            changed.append(path)
    return changed


def stale(pages: dict[Path, str], out_dir: Path = OUT_DIR) -> list[str]:
    """What differs between the committed pages and freshly drawn ones (empty: up to date)."""
    problems = []
    for path, text in pages.items():
        if not path.exists():
            problems.append(f"{_shown(path)}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{_shown(path)}: stale")
    problems += [
        f"{_shown(path)}: no such state machine any more"
        for path in sorted(out_dir.glob("*.md"))
        if path not in pages
    ]
    return problems


def _shown(path: Path) -> str:
    return path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=MODULE, description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report stale pages")
    args = parser.parse_args(argv)
    try:
        pages = expected_pages()
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.check:
        problems = stale(pages)
        for problem in problems:
            print(f"{problem} (run `{COMMAND}`)", file=sys.stderr)
        return 1 if problems else 0
    for path in write(pages):
        print(f"wrote {_shown(path)}")
    print(f"{len(pages) - 1} state machine diagram(s) up to date in {_shown(OUT_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
