"""Vega-Lite specifications (through Altair) for the definition's bar and line visuals.

Every chart carries its dataset's rows and the page's filters as Vega-Lite parameters
(`filter_<field>`; the page's controls set them), filters first, then groups by the x (and
colour) field and computes the measures: an aggregate of one column, or a ratio of two sums
(a share, or a weighted average). `top` keeps the N groups with the largest first measure.
"""

from __future__ import annotations

from typing import Any

import altair as alt

from tools.dashboard.definition import Dataset, Filter, Measure, Visual

VEGA_AGGREGATE = {"sum": "sum", "average": "mean", "min": "min", "max": "max", "count": "count"}
VEGA_TYPE = {"date": "temporal", "text": "nominal", "integer": "quantitative"}
MEASURE_KEY, VALUE_KEY = "measure", "value"


def filter_params(filters: tuple[Filter, ...]) -> dict[str, str]:
    """Parameter name -> the field it filters; a date range has two ends."""
    names: dict[str, str] = {}
    for flt in filters:
        if flt.kind == "date_range":
            names[f"filter_{flt.id}_from"] = flt.field
            names[f"filter_{flt.id}_to"] = flt.field
        else:
            names[f"filter_{flt.id}"] = flt.field
    return names


def filter_expression(filters: tuple[Filter, ...]) -> str:
    """An empty parameter means no filter; ISO dates compare as strings."""
    parts = []
    for flt in filters:
        field = f"datum[{flt.field!r}]"
        if flt.kind == "date_range":
            low, high = f"filter_{flt.id}_from", f"filter_{flt.id}_to"
            parts.append(f"({low} === '' || {field} >= {low})")
            parts.append(f"({high} === '' || {field} <= {high})")
        else:
            name = f"filter_{flt.id}"
            parts.append(f"({name} === '' || {field} === {name})")
    return " && ".join(parts) or "true"


def _measure_steps(measure: Measure) -> tuple[list[dict], list[dict]]:
    """(aggregate ops, calculations after the aggregate) for one measure."""
    if measure.ratio:
        num, den = measure.ratio
        ops = [
            {"op": "sum", "field": num, "as": f"{measure.name}__num"},
            {"op": "sum", "field": den, "as": f"{measure.name}__den"},
        ]
        expr = (
            f"datum['{measure.name}__den'] ? "
            f"datum['{measure.name}__num'] / datum['{measure.name}__den'] : null"
        )
        return ops, [{"calculate": expr, "as": measure.name}]
    op = VEGA_AGGREGATE[measure.aggregate or "sum"]
    return [{"op": op, "field": measure.field, "as": measure.name}], []


def _axis_format(measures: tuple[Measure, ...]) -> str:
    return ".0%" if all(m.format == "percent" for m in measures) else ",.4~g"


def chart(visual: Visual, dataset: Dataset, filters: tuple[Filter, ...], rows: list[dict]):
    """The Altair chart of a bar or line visual."""
    assert visual.x is not None  # the schema requires x for bar and line
    groupby = [visual.x.field] + ([visual.color.field] if visual.color else [])
    ops, calcs = [], []
    for measure in visual.measures:
        more_ops, more_calcs = _measure_steps(measure)
        ops += more_ops
        calcs += more_calcs
    base = alt.Chart(alt.Data(values=rows), title=visual.title)
    for name in filter_params(filters):
        base = base.add_params(alt.param(name=name, value=""))
    base = base.transform_filter(filter_expression(filters)).transform_aggregate(
        ops, groupby=groupby
    )
    for calc in calcs:
        base = base.transform_calculate(**{calc["as"]: calc["calculate"]})
    first = visual.measures[0].name
    if visual.top:
        base = base.transform_window(
            rank="row_number()", sort=[alt.SortField(first, order="descending")]
        ).transform_filter(f"datum.rank <= {visual.top}")
    x_type = VEGA_TYPE.get(dataset.columns[visual.x.field], "nominal")
    if visual.kind == "bar" and x_type == "temporal":
        x_type = "ordinal"  # one band per day
    x_sort: Any = "-y" if visual.top else "ascending"
    x = alt.X(
        f"{visual.x.field}:{'O' if x_type == 'ordinal' else x_type[0].upper()}",
        title=visual.x.title,
        sort=x_sort,
        axis=alt.Axis(labelAngle=-40, labelLimit=180)
        if x_type != "temporal"
        else alt.Axis(format="%Y-%m-%d", tickCount="day"),
    )
    fmt = _axis_format(visual.measures)
    tooltip = [alt.Tooltip(f"{visual.x.field}:{'N' if x_type != 'temporal' else 'T'}")]
    if len(visual.measures) > 1:
        # Several measures: one series each (folded to long form), told apart by colour.
        titles = {m.name: m.title for m in visual.measures}
        base = base.transform_fold(
            [m.name for m in visual.measures], as_=[MEASURE_KEY, VALUE_KEY]
        ).transform_calculate(measure_title=f"{titles!r}[datum.{MEASURE_KEY}]".replace("'", '"'))
        y = alt.Y(f"{VALUE_KEY}:Q", title=None, axis=alt.Axis(format=fmt))
        color = alt.Color("measure_title:N", title=None, sort=list(titles.values()))
        tooltip += [
            alt.Tooltip("measure_title:N", title="measure"),
            alt.Tooltip(f"{VALUE_KEY}:Q", format=fmt, title="value"),
        ]
        encoding = {"x": x, "y": y, "color": color, "tooltip": tooltip}
        if visual.kind == "bar":
            encoding["xOffset"] = alt.XOffset("measure_title:N", sort=list(titles.values()))
    else:
        y = alt.Y(f"{first}:Q", title=visual.measures[0].title, axis=alt.Axis(format=fmt))
        tooltip.append(alt.Tooltip(f"{first}:Q", format=fmt, title=visual.measures[0].title))
        encoding = {"x": x, "y": y, "tooltip": tooltip}
        if visual.color:
            encoding["color"] = alt.Color(f"{visual.color.field}:N", title=visual.color.title)
            tooltip.insert(1, alt.Tooltip(f"{visual.color.field}:N", title=visual.color.title))
    mark = base.mark_bar() if visual.kind == "bar" else base.mark_line(point=True)
    return mark.encode(**encoding).properties(width="container", height=260)


def spec(visual: Visual, dataset: Dataset, filters: tuple[Filter, ...], rows: list[dict]) -> dict:
    return chart(visual, dataset, filters, rows).to_dict()
