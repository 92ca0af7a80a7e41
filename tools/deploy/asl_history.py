"""An upper bound on the history events one execution of each state machine can write.

A Standard workflow's execution fails once its history reaches 25,000 events (AWS Step
Functions Developer Guide, "Step Functions service quotas"). A nested execution
(`startExecution.sync:2`) keeps its own history, so each machine is bounded on its own: the
heaviest path from StartAt to an end, each loop counted at its most rounds. `make lint` runs
this for every environment's parameters through `python -m tools.deploy.asl_check ...
--template cloudformation/orchestration.yaml`.

Events counted per state, high where a history may hold fewer (the event types are those of
"HistoryEvent", Step Functions API Reference):

- the execution: 2 (started; succeeded, failed, timed out or aborted);
- Pass, Choice, Wait, Succeed, Fail: 2 (entered, exited);
- Task: 2 (entered, exited) + 3 an attempt (scheduled, started, its outcome), 4 for a
  `.sync` or `.waitForTaskToken` integration (submitted too); attempts: 1 + the MaxAttempts
  of every Retry entry (default 3), as each retrier counts its own;
- Map (inline): (4 + items x (2 + one item's states)) x attempts (entered, started, outcome,
  exited; an iteration's start and outcome);
- Parallel: (4 + every branch's states) x attempts.

A loop (states that can reach each other) is bounded by a counter:
- a Choice in it leaves it once the counter reaches a maximum (a rule `Variable: <counter>`,
  `NumericGreaterThan[Equals][Path]: <maximum>`, going out, after no rule that stays in);
- every way round passes that Choice and a state adding to the counter
  (`States.MathAdd(<counter>, n)`, n >= 1, or a Pass copying such a sum back); no state in
  the loop writes the counter otherwise or changes the maximum;
- the counter's start and the maximum are numbers, or `States.StringToJson('${Name}')` with
  `Name` substituted from a stack parameter, set by a Pass of this machine or of one that
  starts it (a parent passes its whole state down): the lowest start, the highest maximum.
The Choice is then passed at most maximum - start + 2 times; a round between two passes
never repeats a state, so the loop writes at most (passes + 1) x its heaviest round.

A Map's items are bounded by where its array comes from: a listing's page (ListObjectsV2
answers at most 1,000 keys, fewer with MaxKeys: "ListObjectsV2", Amazon S3 API Reference), a
`States.ArrayPartition` of a bounded array, another Map's results, or an expression a Choice
on every way to it refuses when `States.ArrayLength` of it is over a maximum. Anything else
is an unbounded loop.

Assumed, not checked: a machine runs with the values its parents (or the pipeline's tools)
set, not with others given by hand; a nested machine's output keeps its input's values (the
machines' contract); a value a guard counted is not changed between the guard and its use.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.deploy import asl_check, cfn_yaml, config

QUOTA = 25_000
EXECUTION_EVENTS = 2
STATE_EVENTS = 2  # entered, exited
ATTEMPT_EVENTS = 3  # scheduled, started, outcome
WAITED_ATTEMPT_EVENTS = 4  # and submitted: the integration runs on after its call
CONTAINER_EVENTS = 4  # a Map or Parallel: entered, started, outcome, exited
ITERATION_EVENTS = 2  # a Map item: iteration started, its outcome
DEFAULT_MAX_ATTEMPTS = 3  # a Retry entry without MaxAttempts
# A listing task -> (its page-size parameter, the most one answer holds).
LISTING_PAGES = {"arn:aws:states:::aws-sdk:s3:listObjectsV2": ("MaxKeys", 1000)}
LISTED = "$.Contents[*]"
BOUND_OPERATORS = ("NumericGreaterThanEquals", "NumericGreaterThan")

MATH_ADD = re.compile(r"^States\.MathAdd\((\$[^,]+),\s*(\d+)\)$")
ARRAY_LENGTH = re.compile(r"^States\.ArrayLength\((.+)\)$")
ARRAY_PARTITION = re.compile(r"^States\.ArrayPartition\((\$[^,]+),\s*(\d+)\)$")
FROM_PARAMETER = re.compile(r"^States\.StringToJson\('\$\{([A-Za-z0-9_]+)\}'\)$")


class UnboundedLoop(ValueError):
    """A loop (or a Map's items) with no bound this module can read."""


@dataclass(frozen=True)
class Expr:
    """A `.$` value: a path or an intrinsic function, as written."""

    text: str


class _Opaque:
    """A value this module does not follow: a service's answer, a removed or replaced path."""

    def __repr__(self) -> str:
        return "OPAQUE"


OPAQUE = _Opaque()


@dataclass(frozen=True)
class Machine:
    """One state machine as an environment deploys it: `substitutions` holds the
    DefinitionSubstitutions whose values are known offline (literals, stack parameters)."""

    name: str
    definition: dict[str, Any]
    substitutions: dict[str, str]


@dataclass(frozen=True)
class Loop:
    """What bounds one loop: a Choice on a counter (or, for a Map, its items)."""

    states: tuple[str, ...]
    rounds: int
    round_events: int
    bound: str

    @property
    def events(self) -> int:
        return self.rounds * self.round_events

    def describe(self) -> str:
        return (
            f"loop {', '.join(self.states)} ({self.bound}): "
            f"{self.rounds:,} x {self.round_events:,} events = {self.events:,}"
        )


@dataclass(frozen=True)
class Bound:
    machine: str
    events: int
    loops: tuple[Loop, ...]


# --- paths and what a state writes ---------------------------------------------------------
def parse_path(text: str) -> tuple[str, ...] | None:
    """`$.a.b` -> ("a", "b"); `$` -> (); None for anything else (the context `$$`, intrinsics)."""
    if text == "$":
        return ()
    if text.startswith("$.") and "(" not in text:
        return tuple(text[2:].split("."))
    return None


def _is_identity(value: Any, path: tuple[str, ...]) -> bool:
    return isinstance(value, Expr) and parse_path(value.text) == path


def _tree(state: dict[str, Any]) -> Any:
    """What a state puts at its ResultPath: its Parameters (`.$` values as Expr), its Result,
    its input (a Pass without either), or OPAQUE (a service's answer)."""
    if state["Type"] != "Pass":
        return OPAQUE
    if "Parameters" in state:
        return state["Parameters"] if state.get("InputPath", "$") == "$" else OPAQUE
    if "Result" in state:
        return state["Result"]
    return Expr(state.get("InputPath", "$"))


def _writes(state: dict[str, Any]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path, value) for what a state may write in the state's data, its catchers' included."""
    if state.get("QueryLanguage") == "JSONata" or parse_path(state.get("OutputPath", "$")) != ():
        yield (), OPAQUE  # the whole state is the state's output
    if state["Type"] in ("Pass", "Task", "Map", "Parallel"):
        target = state.get("ResultPath", "$")
        if target is not None:
            yield parse_path(target) or (), _tree(state)
    for catcher in state.get("Catch", []):
        target = catcher.get("ResultPath", "$")
        if target is not None:
            yield parse_path(target) or (), OPAQUE


def _descend(tree: Any, keys: tuple[str, ...]) -> Any:
    for index, key in enumerate(keys):
        if isinstance(tree, Expr):
            base = parse_path(tree.text)
            return OPAQUE if base is None else Expr("$." + ".".join(base + keys[index:]))
        if not isinstance(tree, dict):
            return OPAQUE
        if key in tree:
            tree = tree[key]
        elif f"{key}.$" in tree:
            tree = Expr(tree[f"{key}.$"])
        else:
            return OPAQUE  # the path is dropped
    return tree


def values_at(state: dict[str, Any], path: tuple[str, ...]) -> list[Any]:
    """What a state may leave at `path` (empty: it leaves it alone; an identity copy counts
    as leaving it alone)."""
    found = []
    for target, tree in _writes(state):
        if path[: len(target)] == target:
            value = _descend(tree, path[len(target) :])
        elif target[: len(path)] == path:
            value = OPAQUE  # a part of it
        else:
            continue
        if not _is_identity(value, path):
            found.append(value)
    return found


# --- the graph -------------------------------------------------------------------------------
def _graph(states: dict[str, Any]) -> dict[str, list[str]]:
    return {name: asl_check.transitions(state) for name, state in states.items()}


def _reach(graph: dict[str, list[str]], start: str, within: set[str] | None = None) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name not in seen and (within is None or name in within):
            seen.add(name)
            todo += graph[name]
    return seen


def components(graph: dict[str, list[str]]) -> list[frozenset[str]]:
    """The strongly connected components: states that can reach each other."""
    reach = {name: _reach(graph, name) for name in graph}
    found: list[frozenset[str]] = []
    for name in graph:
        if not any(name in c for c in found):
            found.append(frozenset(m for m in reach[name] if name in reach[m]))
    return found


def _is_loop(graph: dict[str, list[str]], component: frozenset[str]) -> bool:
    return len(component) > 1 or any(name in graph[name] for name in component)


def _topological(graph: dict[str, list[str]], nodes: set[str]) -> list[str] | None:
    """The nodes in an order where every edge goes forward; None when they hold a cycle."""
    incoming = {n: sum(n in graph[m] for m in nodes) for n in nodes}
    order = [n for n in sorted(nodes) if incoming[n] == 0]
    for name in order:
        for target in graph[name]:
            if target in nodes:
                incoming[target] -= 1
                if incoming[target] == 0:
                    order.append(target)
    return order if len(order) == len(nodes) else None


def _predecessors(graph: dict[str, list[str]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {name: set() for name in graph}
    for name, targets in graph.items():
        for target in targets:
            found[target].add(name)
    return found


def reaching_writers(
    definition: dict[str, Any], path: tuple[str, ...], reader: str
) -> tuple[list[tuple[str, Any]], bool]:
    """The writes of `path` that `reader` may see (the last writer on each way to it), and
    whether the execution's input may reach it unwritten."""
    states = definition["States"]
    graph = _graph(states)
    before = _predecessors(graph)
    found, seen, todo = [], set(), sorted(before[reader])
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        values = values_at(states[name], path)
        if values:
            found += [(name, value) for value in values]
        else:
            todo += sorted(before[name])
    start = definition["StartAt"]
    from_input = reader == start or (start in seen and not values_at(states[start], path))
    return found, from_input


# --- numbers from the ASL and the stack's parameters ----------------------------------------
def _all_states(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in definition["States"].items():
        yield name, state
        for inner in asl_check.nested_machines(state):
            yield from _all_states(inner)


def number(value: Any, machine: Machine) -> tuple[float | None, str]:
    """A value as a number, and where it came from (`${Name}` = its substituted value)."""
    if isinstance(value, bool):
        return None, repr(value)
    if isinstance(value, int | float):
        return value, str(value)
    if isinstance(value, Expr) and (found := FROM_PARAMETER.match(value.text)):
        text = machine.substitutions.get(found[1])
        try:
            return float(text or ""), f"${{{found[1]}}} = {text}"
        except ValueError:
            return None, f"${{{found[1]}}} (no value)"
    return None, value.text if isinstance(value, Expr) else repr(value)


def settings(
    machines: list[Machine], path: tuple[str, ...], skip: set[tuple[str, str]]
) -> tuple[list[tuple[float, str]], list[str]]:
    """Every number a Pass of any machine sets `path` to (a parent's state goes down to its
    children), and what else sets it (unreadable); writes of services, removals and the
    states in `skip` ((machine, state)) aside."""
    numbers, others = [], []
    for machine in machines:
        for name, state in _all_states(machine.definition):
            if (machine.name, name) in skip:
                continue
            for value in values_at(state, path):
                if value is OPAQUE:
                    continue
                found, said = number(value, machine)
                if found is None:
                    others.append(f"{machine.name}.{name} sets it to {said}")
                else:
                    numbers.append((found, f"{machine.name}.{name}: {said}"))
    return numbers, others


# --- events ----------------------------------------------------------------------------------
def attempts(state: dict[str, Any]) -> int:
    return 1 + sum(r.get("MaxAttempts", DEFAULT_MAX_ATTEMPTS) for r in state.get("Retry", []))


def task_events(state: dict[str, Any]) -> int:
    resource = state.get("Resource", "")
    waits = ".sync" in resource or ".waitForTaskToken" in resource
    return STATE_EVENTS + attempts(state) * (WAITED_ATTEMPT_EVENTS if waits else ATTEMPT_EVENTS)


@dataclass
class _Scope:
    """One machine, or the inner machine of a Map or Parallel, being bounded."""

    machine: Machine
    definition: dict[str, Any]
    machines: list[Machine]

    @property
    def states(self) -> dict[str, Any]:
        return self.definition["States"]

    def inner(self, definition: dict[str, Any]) -> _Scope:
        return _Scope(self.machine, definition, self.machines)


def _scope_events(scope: _Scope) -> tuple[int, list[Loop]]:
    """The heaviest way from StartAt to an end, in events, and the loops on any way."""
    graph = _graph(scope.states)
    loops: list[Loop] = []
    weights = {}
    for name, state in scope.states.items():
        weights[name] = _state_events(scope, name, state, loops)
    weight: dict[frozenset[str], int] = {}
    found = components(graph)
    for component in found:
        if _is_loop(graph, component):
            loop = _counted_loop(scope, graph, component, weights)
            loops.append(loop)
            weight[component] = loop.events
        else:
            weight[component] = sum(weights[name] for name in component)
    of = {name: c for c in found for name in c}
    heaviest: dict[frozenset[str], int] = {}

    def from_here(component: frozenset[str]) -> int:
        if component not in heaviest:
            after = {of[t] for name in component for t in graph[name]} - {component}
            heaviest[component] = weight[component] + max(map(from_here, after), default=0)
        return heaviest[component]

    return from_here(of[scope.definition["StartAt"]]), loops


def _state_events(scope: _Scope, name: str, state: dict[str, Any], loops: list[Loop]) -> int:
    kind = state["Type"]
    if kind == "Task":
        return task_events(state)
    if kind == "Map":
        inner, inner_loops = _scope_events(scope.inner(asl_check.nested_machines(state)[0]))
        items, said = map_items(scope, name)
        per_item = ITERATION_EVENTS + inner
        loops += inner_loops
        loops.append(Loop((name,), items, per_item, f"Map: {said}"))
        return (CONTAINER_EVENTS + items * per_item) * attempts(state)
    if kind == "Parallel":
        branches = [_scope_events(scope.inner(b)) for b in asl_check.nested_machines(state)]
        for _, inner_loops in branches:
            loops += inner_loops
        return (CONTAINER_EVENTS + sum(events for events, _ in branches)) * attempts(state)
    return STATE_EVENTS


# --- loops on a counter ----------------------------------------------------------------------
@dataclass(frozen=True)
class _Rule:
    check: str
    counter: tuple[str, ...]
    maximum: Any  # a number, or Expr(path)


def _counter_rules(
    states: dict[str, Any], component: frozenset[str]
) -> Iterator[tuple[_Rule | None, str]]:
    """Each Choice rule of the loop that could end it on a counter, or why a Choice cannot."""
    for name in sorted(component):
        state = states[name]
        if state["Type"] != "Choice":
            continue
        for rule in state.get("Choices", []):
            if rule.get("Next") in component:
                yield None, f"{name}: a rule staying in the loop comes before any counter"
                break
            counter = parse_path(str(rule.get("Variable", "")))
            for operator in BOUND_OPERATORS:
                if operator in rule and counter is not None:
                    yield _Rule(name, counter, rule[operator]), ""
                elif f"{operator}Path" in rule and counter is not None:
                    yield _Rule(name, counter, Expr(rule[f"{operator}Path"])), ""


def _increments(
    states: dict[str, Any], component: frozenset[str], counter: tuple[str, ...]
) -> tuple[set[str], list[str]]:
    """The loop's states that add to the counter (`States.MathAdd(<counter>, n)`, n >= 1, or
    a copy of a path the loop only ever sets to such a sum), and its other writes of it."""
    text = "$." + ".".join(counter)

    def adds(value: Any) -> bool:
        found = MATH_ADD.match(value.text) if isinstance(value, Expr) else None
        return bool(found) and found[1] == text and int(found[2]) >= 1

    def sum_copy(value: Any) -> bool:
        source = parse_path(value.text) if isinstance(value, Expr) else None
        if source is None:
            return False
        sums = [v for name in component for v in values_at(states[name], source)]
        return bool(sums) and all(map(adds, sums))

    adding, others = set(), []
    for name in sorted(component):
        for value in values_at(states[name], counter):
            if adds(value) or sum_copy(value):
                adding.add(name)
            else:
                others.append(f"{name} sets {text} to {value}")
    return adding, others


def _round_events(
    graph: dict[str, list[str]], component: frozenset[str], check: str, weights: dict[str, int]
) -> int:
    """The heaviest round: from the check back to it, through the rest of the loop (acyclic)."""
    rest = set(component) - {check}
    order = _topological(graph, rest) or []
    to_check: dict[str, int | None] = {}
    for name in reversed(order):
        options = [0] if check in graph[name] else []
        options += [to_check[t] for t in graph[name] if t in rest and to_check[t] is not None]
        to_check[name] = weights[name] + max(options) if options else None
    after = [to_check[t] for t in graph[check] if t in rest and to_check[t] is not None]
    return weights[check] + max(after + ([0] if check in graph[check] else []), default=0)


def _counted_loop(
    scope: _Scope, graph: dict[str, list[str]], component: frozenset[str], weights: dict[str, int]
) -> Loop:
    states, machine = scope.states, scope.machine
    reasons = []
    for rule, reason in _counter_rules(states, component):
        if rule is None:
            reasons.append(reason)
            continue
        counter_text = "$." + ".".join(rule.counter)
        if _topological(graph, set(component) - {rule.check}) is None:
            reasons.append(f"{rule.check}: a way round the loop does not pass it")
            continue
        adding, others = _increments(states, component, rule.counter)
        if others or not adding:
            reasons += others or [f"no state in the loop adds to {counter_text}"]
            continue
        if _topological(graph, set(component) - adding) is None:
            reasons.append(f"a way round the loop does not add to {counter_text}")
            continue
        inside = {(machine.name, name) for name in component}
        starts, unread = settings(scope.machines, rule.counter, inside)
        maximum, said_maximum = _maximum(scope, component, rule)
        if unread or not starts or maximum is None:
            reasons += unread or [
                f"nothing sets where {counter_text} starts" if not starts else said_maximum
            ]
            continue
        start, said_start = min(starts)
        passes = max(1, math.ceil(maximum - start) + 2)
        bound = f"{rule.check}: {counter_text} from {said_start} to {said_maximum}"
        return Loop(
            tuple(sorted(component)),
            passes + 1,
            _round_events(graph, component, rule.check, weights),
            bound,
        )
    raise UnboundedLoop(
        f"unbounded loop through {', '.join(sorted(component))}: no Choice in it ends it on a "
        "counter every round adds to" + (f" ({'; '.join(reasons)})" if reasons else "")
    )


def _maximum(scope: _Scope, component: frozenset[str], rule: _Rule) -> tuple[float | None, str]:
    if not isinstance(rule.maximum, Expr):
        return number(rule.maximum, scope.machine)
    path = parse_path(rule.maximum.text)
    if path is None:
        return None, f"{rule.check}: the maximum {rule.maximum.text} is not a path"
    changed = [n for n in component if values_at(scope.states[n], path)]
    if changed:
        return None, f"{', '.join(sorted(changed))} change the maximum {rule.maximum.text}"
    found, unread = settings(scope.machines, path, set())
    if unread or not found:
        return None, "; ".join(unread) or f"nothing sets the maximum {rule.maximum.text}"
    value, said = max(found)
    return value, f"{rule.maximum.text} ({said})"


# --- a Map's items ---------------------------------------------------------------------------
def map_items(scope: _Scope, name: str) -> tuple[int, str]:
    """The most items a Map iterates over, and what bounds them."""
    state = scope.states[name]
    path = parse_path(state.get("ItemsPath", "$"))
    if path is None:
        raise UnboundedLoop(f"unbounded loop: Map {name} iterates over {state.get('ItemsPath')}")
    return _array_items(scope, path, name, set())


def _array_items(
    scope: _Scope, path: tuple[str, ...], reader: str, seen: set[tuple[str, ...]]
) -> tuple[int, str]:
    text = "$." + ".".join(path)
    if path in seen:
        raise UnboundedLoop(f"unbounded loop: {reader} reads {text}, which grows from itself")
    writers, from_input = reaching_writers(scope.definition, path, reader)
    found = []
    if from_input:
        found.append(_guarded(scope, Expr(text), reader))
    for writer, value in writers:
        state = scope.states[writer]
        if state["Type"] == "Task":
            found.append(_listed(state, path, writer, reader))
        elif state["Type"] == "Map" and parse_path(state.get("ResultPath", "$")) == path:
            items, said = map_items(scope, writer)
            found.append((items, f"the results of {writer} ({said})"))
        elif isinstance(value, list):
            found.append((len(value), f"{writer}: a list of {len(value)}"))
        elif isinstance(value, Expr) and (part := ARRAY_PARTITION.match(value.text)):
            source = parse_path(part[1]) or ()
            items, said = _array_items(scope, source, writer, seen | {path})
            size = int(part[2])
            found.append((math.ceil(items / size), f"{writer}: parts of {size} of {said}"))
        elif isinstance(value, Expr):
            found.append(_guarded(scope, value, writer))
        else:
            raise UnboundedLoop(f"unbounded loop: {reader} iterates over {text}, set by {writer}")
    return max(found)


def _listed(state: dict[str, Any], path: tuple[str, ...], writer: str, reader: str):
    page = LISTING_PAGES.get(state.get("Resource", ""))
    target = parse_path(state.get("ResultPath", "$")) or ()
    selected = _descend(state.get("ResultSelector", OPAQUE), path[len(target) :])
    if page and isinstance(selected, Expr) and selected.text.startswith(LISTED):
        size = state.get("Parameters", {}).get(page[0], page[1])
        size = min(size, page[1]) if isinstance(size, int) else page[1]
        return size, f"{writer}: one page of at most {size} keys"
    raise UnboundedLoop(f"unbounded loop: {reader} iterates over what {writer} answered")


def _normal(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _guarded(scope: _Scope, value: Expr, reader: str) -> tuple[int, str]:
    """The maximum a Choice on every way to `reader` holds the length of `value` to."""
    states, graph = scope.states, _graph(scope.states)
    start = scope.definition["StartAt"]
    for name, state in states.items():
        if state["Type"] != "Choice" or name == reader:
            continue
        if reader in _reach(graph, start, {n for n in states if n != name}):
            continue  # some way reaches the reader without passing this Choice
        for rule in state.get("Choices", []):
            if reader in _reach(graph, rule.get("Next", "")):
                break  # this rule goes on towards the reader unchecked
            found = _length_limit(scope, name, rule, value)
            if found is not None:
                return found
    raise UnboundedLoop(
        f"unbounded loop: {reader} iterates over {value.text}, whose length no Choice before "
        "it limits"
    )


def _length_limit(scope: _Scope, choice: str, rule: dict[str, Any], value: Expr):
    variable = parse_path(str(rule.get("Variable", "")))
    if variable is None or rule.get("Next") is None:
        return None
    writers, from_input = reaching_writers(scope.definition, variable, choice)
    counted = [ARRAY_LENGTH.match(v.text) for _, v in writers if isinstance(v, Expr)]
    if from_input or not writers or len(counted) != len(writers):
        return None
    if not all(c and _normal(c[1]) == _normal(value.text) for c in counted):
        return None
    for operator in BOUND_OPERATORS:
        if operator in rule:
            maximum, said = number(rule[operator], scope.machine)
        elif f"{operator}Path" in rule:
            path = parse_path(rule[f"{operator}Path"]) or ("?",)
            found, unread = settings(scope.machines, path, set())
            if unread or not found:
                return None
            maximum, said = max(found)
        else:
            continue
        if maximum is not None:
            return math.ceil(maximum), f"{choice} refuses more than {said}"
    return None


# --- machines, environments, the check -------------------------------------------------------
def machine_bound(machine: Machine, machines: list[Machine]) -> Bound:
    """The most history events one execution of `machine` can write (UnboundedLoop when a
    loop has no bound)."""
    events, loops = _scope_events(_Scope(machine, machine.definition, machines))
    return Bound(machine.name, EXECUTION_EVENTS + events, tuple(loops))


def _substitutions(resource: dict[str, Any], values: dict[str, str]) -> dict[str, str]:
    known = {}
    for key, value in (resource["Properties"].get("DefinitionSubstitutions") or {}).items():
        if isinstance(value, str | int | float):
            known[key] = str(value)
        elif isinstance(value, dict) and value.get("Ref") in values:
            known[key] = values[value["Ref"]]
    return known


def env_machines(
    paths: list[Path], template: dict[str, Any], values: dict[str, str]
) -> list[Machine]:
    """Each Standard machine of `paths` with the substitutions its template gives it."""
    by_file = {
        Path(str((r.get("Metadata") or {}).get("DefinitionFile", ""))).name: r
        for r in (template.get("Resources") or {}).values()
        if r.get("Type") == "AWS::StepFunctions::StateMachine"
    }
    found = []
    for path in paths:
        resource = by_file.get(path.name)
        if resource and resource["Properties"].get("StateMachineType", "STANDARD") == "STANDARD":
            found.append(
                Machine(
                    path.name.removesuffix(".asl.json"),
                    asl_check.load(path),
                    _substitutions(resource, values),
                )
            )
    return found


def check(
    paths: list[Path], template_path: Path, parameter_dir: Path | None = None
) -> tuple[list[str], list[str]]:
    """(report lines, problems) for every environment in `parameter_dir` (by default the
    template's `parameters/`): a problem for each unbounded loop and each machine whose bound
    reaches the quota, naming the loop that weighs most."""
    parameter_dir = parameter_dir or template_path.parent / "parameters"
    template = cfn_yaml.load(template_path)
    bounds: dict[str, dict[str, int]] = {}
    problems: list[str] = []
    for env_file in sorted(parameter_dir.glob("*.json")):
        env = config.load_env(env_file.stem, parameter_dir)
        values = config.stack_parameter_values(env, template)
        machines = env_machines(paths, template, values)
        for machine in machines:
            try:
                bound = machine_bound(machine, machines)
            except UnboundedLoop as error:
                problems.append(f"{machine.name}: {error}")
                continue
            bounds.setdefault(machine.name, {})[env.env] = bound.events
            if bound.events >= QUOTA:
                worst = max(bound.loops, key=lambda loop: loop.events, default=None)
                problems.append(
                    f"{machine.name} ({env.env}): up to {bound.events:,} history events, not "
                    f"under the {QUOTA:,} of a Standard execution; "
                    + (worst.describe() if worst else "no loop")
                )
    return [_line(name, by_env) for name, by_env in bounds.items()], list(dict.fromkeys(problems))


def _line(machine: str, by_env: dict[str, int]) -> str:
    if len(set(by_env.values())) == 1:
        said = f"{next(iter(by_env.values())):,} ({', '.join(by_env)})"
    else:
        said = ", ".join(f"{events:,} ({env})" for env, events in by_env.items())
    return f"{machine}: at most {said} history events of {QUOTA:,}"
