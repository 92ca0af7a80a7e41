"""The dashboard as one self-contained HTML page: Vega, Vega-Lite and Vega-Embed inlined
(vl-convert's bundle), every dataset's rows embedded, no request leaves the page.

The page's filter controls (the definition's filters) set the charts' filter parameters and
redraw the tables. `window.flightlineDashboard.ready` resolves once every chart has rendered,
with `views` (visual id -> Vega view) for whoever drives the page (tests/dashboard).
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from functools import cache

import altair as alt
import vl_convert

from tools.dashboard.charts import filter_params, spec
from tools.dashboard.definition import Definition, Visual

# The Vega-Lite release the Altair pin writes specs for ("v6.4.1" -> "6.4").
VEGA_LITE_VERSION = alt.SCHEMA_VERSION.lstrip("v").rsplit(".", 1)[0]

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; color: #1f2933; background: #f5f7fa; }
header { background: #102a43; color: #fff; padding: 16px 24px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: #bcccdc; font-size: 13px; }
nav { margin-top: 8px; } nav a { color: #9fb3c8; margin-right: 16px; }
.filters { display: flex; gap: 20px; padding: 12px 24px; background: #fff;
           border-bottom: 1px solid #d9e2ec; position: sticky; top: 0; z-index: 1; }
.filters label { font-size: 13px; } .filters input, .filters select { margin-left: 6px; }
section { padding: 8px 24px 24px; } section h2 { font-size: 18px; margin: 16px 0 8px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 16px; }
.card { background: #fff; border: 1px solid #d9e2ec; border-radius: 6px; padding: 12px; }
.card.table { grid-column: 1 / -1; } .card h3 { margin: 0 0 8px; font-size: 14px; }
.chart { width: 100%; }
table { border-collapse: collapse; width: 100%; font-size: 12px; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #e4e7eb; }
td.num { text-align: right; } .scroll { max-height: 420px; overflow: auto; }
.empty { color: #829ab1; font-size: 13px; }
"""

# Drives the page: renders every chart, wires the filters, fills the tables.
SCRIPT = """
(function () {
  const model = JSON.parse(document.getElementById('dashboard-model').textContent);
  const views = {};
  const state = {};
  for (const name of model.filterParams) state[name] = '';
  function keep(row, filters) {
    return filters.every(f => {
      const v = row[f.field];
      if (f.kind === 'date_range') {
        const lo = state['filter_' + f.id + '_from'], hi = state['filter_' + f.id + '_to'];
        return (lo === '' || v >= lo) && (hi === '' || v <= hi);
      }
      const want = state['filter_' + f.id];
      return want === '' || v === want;
    });
  }
  function fillTable(t) {
    let rows = model.rows[t.dataset].filter(r => keep(r, t.filters));
    if (t.sort) {
      const [field, order] = t.sort, sign = order === 'descending' ? -1 : 1;
      const cmp = (a, b) => (a > b ? 1 : a < b ? -1 : 0);
      rows = rows.slice().sort((a, b) => cmp(a[field], b[field]) * sign);
    }
    if (t.top) rows = rows.slice(0, t.top);
    const body = document.querySelector('#' + t.id + ' tbody');
    body.replaceChildren(...rows.map(r => {
      const tr = document.createElement('tr');
      for (const c of t.columns) {
        const td = document.createElement('td');
        const v = r[c];
        td.textContent = v === null || v === undefined ? '' : String(v);
        if (typeof v === 'number') td.className = 'num';
        tr.appendChild(td);
      }
      return tr;
    }));
    document.querySelector('#' + t.id).dataset.rows = String(rows.length);
  }
  async function apply() {
    for (const [id, view] of Object.entries(views)) {
      for (const name of model.chartParams[id]) view.signal(name, state[name]);
      await view.runAsync();
    }
    model.tables.forEach(fillTable);
  }
  for (const control of document.querySelectorAll('[data-filter-param]')) {
    control.addEventListener('change', () => {
      state[control.dataset.filterParam] = control.value;
      apply();
    });
  }
  const rendered = Object.entries(model.specs).map(([id, spec]) =>
    vegaEmbed('#' + id + ' .chart', spec, {renderer: 'svg', actions: false})
      .then(result => {
        views[id] = result.view;
        document.getElementById(id).dataset.rendered = 'true';
      }));
  model.tables.forEach(fillTable);
  window.flightlineDashboard = {views, ready: Promise.all(rendered).then(() => views), apply};
})();
"""


@cache
def javascript_bundle() -> str:
    """Vega, Vega-Lite and Vega-Embed as one script (vl-convert ships them: no download)."""
    return vl_convert.javascript_bundle(vl_version=VEGA_LITE_VERSION)


def _script(text: str) -> str:
    """JavaScript inside a <script> element: nothing in it may close the element."""
    return text.replace("</script", "<\\/script")


def _json_script(value: object) -> str:
    """JSON inside a <script> element: `<` escaped, which JSON.parse reads back as `<`."""
    return json.dumps(value).replace("<", "\\u003c")


def _filter_controls(definition: Definition, rows: dict[str, list[dict]]) -> str:
    parts = []
    for flt in definition.filters:
        values = sorted(
            {
                str(row[flt.field])
                for dataset in definition.datasets.values()
                if flt.field in dataset.columns
                for row in rows[dataset.id]
                if row.get(flt.field) is not None
            }
        )
        title = html.escape(flt.title)
        if flt.kind == "date_range":
            low, high = (values[0], values[-1]) if values else ("", "")
            parts.append(
                f'<label>{title} from<input type="date" data-filter-param="filter_{flt.id}_from" '
                f'min="{low}" max="{high}"></label>'
                f'<label>to<input type="date" data-filter-param="filter_{flt.id}_to" '
                f'min="{low}" max="{high}"></label>'
            )
        else:
            options = "".join(
                f'<option value="{html.escape(v)}">{html.escape(v)}</option>' for v in values
            )
            parts.append(
                f'<label>{title}<select data-filter-param="filter_{flt.id}">'
                f'<option value="">all</option>{options}</select></label>'
            )
    return "".join(parts)


def _card(visual: Visual, rows: list[dict]) -> str:
    title = html.escape(visual.title)
    empty = "" if rows else '<p class="empty">No rows yet.</p>'
    if visual.kind == "table":
        head = "".join(f"<th>{html.escape(c)}</th>" for c in visual.columns)
        return (
            f'<div class="card table" id="{visual.id}" data-kind="table"><h3>{title}</h3>{empty}'
            f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody></tbody>'
            "</table></div></div>"
        )
    return (
        f'<div class="card" id="{visual.id}" data-kind="{visual.kind}">{empty}'
        '<div class="chart"></div></div>'
    )


def render(definition: Definition, rows: dict[str, list[dict]], source_note: str) -> str:
    """The page's HTML for these rows (dataset id -> rows)."""
    specs, chart_params, tables = {}, {}, []
    for visual in definition.visuals():
        dataset = definition.datasets[visual.dataset]
        filters = definition.filters_for(dataset)
        if visual.kind == "table":
            tables.append(
                {
                    "id": visual.id,
                    "dataset": dataset.id,
                    "columns": list(visual.columns),
                    "sort": list(visual.sort) if visual.sort else None,
                    "top": visual.top,
                    "filters": [{"id": f.id, "kind": f.kind, "field": f.field} for f in filters],
                }
            )
        else:
            specs[visual.id] = spec(visual, dataset, filters, rows[dataset.id])
            chart_params[visual.id] = list(filter_params(filters))
    model = {
        "specs": specs,
        "chartParams": chart_params,
        "tables": tables,
        "rows": {t["dataset"]: rows[t["dataset"]] for t in tables},
        "filterParams": sorted(filter_params(definition.filters)),
    }
    sections, nav = [], []
    for page in definition.pages:
        cards = "".join(_card(v, rows[v.dataset]) for v in page.visuals)
        sections.append(
            f'<section id="page-{page.id}"><h2>{html.escape(page.title)}</h2>'
            f'<div class="grid">{cards}</div></section>'
        )
        nav.append(f'<a href="#page-{page.id}">{html.escape(page.title)}</a>')
    built = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    origin = definition.path.name
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(definition.title)}</title><style>{STYLE}</style></head>
<body>
<header><h1>{html.escape(definition.title)}</h1>
<p>{html.escape(definition.description)}</p>
<p>Built {built} from {html.escape(source_note)}; definition {html.escape(origin)}.</p>
<nav>{"".join(nav)}</nav></header>
<div class="filters">{_filter_controls(definition, rows)}</div>
{"".join(sections)}
<script type="application/json" id="dashboard-model">{_json_script(model)}</script>
<script>{_script(javascript_bundle())}</script>
<script>{_script(SCRIPT)}</script>
</body></html>
"""
