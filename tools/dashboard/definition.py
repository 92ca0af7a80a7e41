"""The dashboard definition (dashboards/*.yaml): loaded, checked against its JSON schema
(dashboards/dashboard.schema.json) and against itself (every visual names a dataset that
exists and columns that dataset has), then handed out as small frozen objects.

A broken definition raises DefinitionError with one line naming the file, the field (a path
such as `pages[0].visuals[2].kind`) and the reason.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

REPO_ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS_DIR = REPO_ROOT / "dashboards"
SCHEMA_PATH = DASHBOARDS_DIR / "dashboard.schema.json"
DEFAULT_DEFINITION = DASHBOARDS_DIR / "flightline.yaml"
# `{{ marts }}.<model>` in dataset SQL: the schema dbt builds the marts in.
MART_REFERENCE = re.compile(r"\{\{\s*marts\s*\}\}\.([a-z_][a-z0-9_]*)")


class DefinitionError(ValueError):
    """The definition file is not a valid dashboard; the message names file, field, reason."""


@dataclass(frozen=True)
class Filter:
    id: str
    kind: str  # date_range | values
    field: str
    title: str


@dataclass(frozen=True)
class Dataset:
    id: str
    title: str
    columns: dict[str, str]  # name -> date | text | integer | decimal
    sql: str

    @property
    def models(self) -> tuple[str, ...]:
        """The dbt models the SQL reads, in order of first mention."""
        return tuple(dict.fromkeys(MART_REFERENCE.findall(self.sql)))

    def query(self, marts_schema: str) -> str:
        return MART_REFERENCE.sub(lambda m: f"{marts_schema}.{m.group(1)}", self.sql)


@dataclass(frozen=True)
class Measure:
    name: str  # the value's column in the chart: the field, or the ratio's name
    title: str
    aggregate: str | None = None  # sum | average | min | max | count
    field: str | None = None
    ratio: tuple[str, str] | None = None  # sum(numerator) / sum(denominator)
    format: str = "number"

    @property
    def fields(self) -> tuple[str, ...]:
        return self.ratio if self.ratio else (self.field,)  # type: ignore[return-value]


@dataclass(frozen=True)
class FieldRef:
    field: str
    title: str


@dataclass(frozen=True)
class Visual:
    id: str
    title: str
    kind: str  # bar | line | table
    dataset: str
    x: FieldRef | None = None
    color: FieldRef | None = None
    measures: tuple[Measure, ...] = ()
    columns: tuple[str, ...] = ()
    sort: tuple[str, str] | None = None  # (field, ascending|descending)
    top: int | None = None

    def fields(self) -> tuple[str, ...]:
        named = [ref.field for ref in (self.x, self.color) if ref]
        named += [f for m in self.measures for f in m.fields] + list(self.columns)
        return tuple(dict.fromkeys(named + ([self.sort[0]] if self.sort else [])))


@dataclass(frozen=True)
class Page:
    id: str
    title: str
    visuals: tuple[Visual, ...]


@dataclass(frozen=True)
class Definition:
    path: Path
    name: str
    title: str
    description: str
    owner: str
    filters: tuple[Filter, ...]
    datasets: dict[str, Dataset]
    pages: tuple[Page, ...]

    @property
    def models(self) -> tuple[str, ...]:
        """Every dbt model a dataset reads (the exposure's dependencies)."""
        return tuple(sorted({m for d in self.datasets.values() for m in d.models}))

    def visuals(self) -> list[Visual]:
        return [v for page in self.pages for v in page.visuals]

    def filters_for(self, dataset: Dataset) -> tuple[Filter, ...]:
        """A filter applies to every dataset that has its field."""
        return tuple(f for f in self.filters if f.field in dataset.columns)


def _path_of(parts) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _explain(error: ValidationError, data: Any) -> str:
    """`<field path>: <reason>` for the schema error."""
    # oneOf/not failures explain themselves badly: name what the closest branch wanted.
    if error.validator in ("oneOf", "not") and error.context:
        error = best_match(error.context)
    parts = list(error.absolute_path)
    if error.schema is False:
        # A key this kind of visual may not have (a table's `x`): jsonschema reports the
        # object's path, so find the key by its value.
        holder = data
        for part in parts:
            holder = holder[part]
        key = next((k for k, v in holder.items() if v == error.instance), None)
        return (
            f"{_path_of([*parts, key])}: not allowed here "
            "(tables take columns and sort; bar and line charts take x, measures and color)"
        )
    return f"{_path_of(parts)}: {error.message}"


def _schema_errors(data: Any) -> list[ValidationError]:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return sorted(
        Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path)
    )


def _field(raw: dict | None) -> FieldRef | None:
    if raw is None:
        return None
    return FieldRef(raw["field"], raw.get("title", raw["field"]))


def _measure(raw: dict) -> Measure:
    if "ratio" in raw:
        return Measure(
            raw["name"],
            raw.get("title", raw["name"]),
            ratio=tuple(raw["ratio"]),
            format=raw.get("format", "number"),
        )
    return Measure(
        raw["field"],
        raw.get("title", raw["field"]),
        aggregate=raw["aggregate"],
        field=raw["field"],
        format=raw.get("format", "number"),
    )


def _visual(raw: dict) -> Visual:
    sort = raw.get("sort")
    return Visual(
        id=raw["id"],
        title=raw["title"],
        kind=raw["kind"],
        dataset=raw["dataset"],
        x=_field(raw.get("x")),
        color=_field(raw.get("color")),
        measures=tuple(_measure(m) for m in raw.get("measures", [])),
        columns=tuple(raw.get("columns", [])),
        sort=(sort["field"], sort["order"]) if sort else None,
        top=raw.get("top"),
    )


def _build(path: Path, data: dict) -> Definition:
    datasets = {
        key: Dataset(key, raw["title"], dict(raw["columns"]), raw["sql"])
        for key, raw in data["datasets"].items()
    }
    filters = tuple(
        Filter(f["id"], f["kind"], f["field"], f.get("title", f["field"]))
        for f in data.get("filters", [])
    )
    pages = tuple(
        Page(p["id"], p["title"], tuple(_visual(v) for v in p["visuals"])) for p in data["pages"]
    )
    return Definition(
        path,
        data["name"],
        data["title"],
        data.get("description", ""),
        data.get("owner", ""),
        filters,
        datasets,
        pages,
    )


def _consistency_errors(definition: Definition) -> list[str]:
    """What the schema cannot say: references between parts of the file."""
    errors: list[str] = []
    seen: dict[str, str] = {}
    for p, page in enumerate(definition.pages):
        for v, visual in enumerate(page.visuals):
            where = f"pages[{p}].visuals[{v}]"
            if visual.id in seen:
                errors.append(f"{where}.id: {visual.id!r} is already used by {seen[visual.id]}")
            seen[visual.id] = where
            dataset = definition.datasets.get(visual.dataset)
            if dataset is None:
                known = ", ".join(sorted(definition.datasets))
                errors.append(f"{where}.dataset: no dataset {visual.dataset!r} (known: {known})")
                continue
            for name in visual.fields():
                if name not in dataset.columns:
                    errors.append(
                        f"{where}: field {name!r} is not a column of dataset {dataset.id!r} "
                        f"(columns: {', '.join(dataset.columns)})"
                    )
    for i, flt in enumerate(definition.filters):
        if not any(flt.field in d.columns for d in definition.datasets.values()):
            errors.append(f"filters[{i}].field: no dataset has a column {flt.field!r}")
        expected = "date" if flt.kind == "date_range" else "text"
        for dataset in definition.datasets.values():
            kind = dataset.columns.get(flt.field)
            if kind is not None and kind != expected:
                errors.append(
                    f"datasets.{dataset.id}.columns.{flt.field}: a {flt.kind} filter needs a "
                    f"{expected} column, not {kind}"
                )
    return errors


def load(path: str | Path = DEFAULT_DEFINITION) -> Definition:
    """Read and check one definition file; raise DefinitionError naming file and field."""
    path = Path(path)
    shown = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise DefinitionError(f"{shown}: cannot read: {error.strerror}") from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise DefinitionError(f"{shown}{line}: not YAML: {problem}") from error
    errors = _schema_errors(data)
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise DefinitionError(f"{shown}: {_explain(first, data)}{more}")
    definition = _build(path, data)
    problems = _consistency_errors(definition)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise DefinitionError(f"{shown}: {problems[0]}{more}")
    return definition
