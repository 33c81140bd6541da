"""Plotly figures drawn in the browser by plotly.js's basic bundle, served from the app's own files.

Every chart Meridian draws is made of scatter and bar traces. Streamlit's chart element ships plotly.js
whole, every trace type (4.7 MB): a fresh browser spent a second of its main thread evaluating it before
it drew any chart, on every first visit and shared link. The basic bundle (scatter, bar and pie;
1.2 MB, plotly.js's own build, `static/plotly-basic.min.js`) takes a fifth of that. It is loaded once per
page and kept; charts are drawn in the page itself (a component without a frame), take the text colour
of the page's theme, and follow their column's width.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import streamlit as st
from streamlit import config

BUNDLE = Path(__file__).parent / "static" / "plotly-basic.min.js"
# The trace types the bundle draws; a figure with another would show nothing, so it is refused here.
TRACES = frozenset({"scatter", "bar", "pie"})
SELECTION = "selection"
COMPONENT = "meridian_chart"

# The bundle, asked for once per page: a promise of plotly.js that every chart awaits.
LOAD_JS = """((src) => window.merPlotly = window.merPlotly || new Promise((resolve, reject) => {
  const script = document.createElement('script');
  script.src = src;
  script.onload = () => resolve(window.Plotly);
  script.onerror = () => { window.merPlotly = null; reject(new Error('chart code not loaded')); };
  document.head.appendChild(script);
}))"""

CHART_JS = r"""
export default function(component) {
  const { data, parentElement, setTriggerValue } = component;
  LOAD_JS(data.src);
  let box = parentElement.querySelector(':scope > .mer-chart');
  if (!box) {
    box = document.createElement('div');
    box.className = 'mer-chart';
    parentElement.appendChild(box);
  }
  const figure = JSON.parse(data.figure);
  const layout = figure.layout || {};
  box.style.height = (layout.height || 450) + 'px';
  box.merTrigger = setTriggerValue;
  // The theme's colours and font, as Streamlit gives its own charts: axis text faded, titles and
  // legends in the text colour, hover labels on the page's background.
  const themed = () => {
    const text = getComputedStyle(parentElement).color;
    const app = document.querySelector('.stApp') || document.body;
    return { text, faded: text.replace(/^rgb\((.*)\)$/, 'rgba($1, 0.6)'),
             family: getComputedStyle(parentElement).fontFamily, page: getComputedStyle(app).backgroundColor };
  };
  const coloured = (base, theme) => {
    const font = base.font || {};
    const families = [theme.family, font.family || base.template?.layout?.font?.family || 'sans-serif']
      .join(',').split(',').map((name) => name.trim().replace(/^"(.*)"$/, '$1'));
    const family = [...new Set(families)].join(', ');
    const title = typeof base.title === 'string' ? { text: base.title } : (base.title || {});
    const hover = base.hoverlabel || {};
    const legend = base.legend || {};
    return { ...base, autosize: true, ...(data.selectable ? { clickmode: 'event+select' } : {}),
             font: { ...font, color: theme.faded, family },
             title: { ...title, font: { ...(title.font || {}), color: theme.text } },
             legend: { ...legend, font: { ...(legend.font || {}), color: theme.text } },
             hoverlabel: { ...hover, bgcolor: theme.page, font: { ...(hover.font || {}), color: theme.text } } };
  };
  let live = true;
  let observer = null;
  let themeWatch = null;
  const draw = (Plotly) => {
    if (!live) return;
    let theme = themed();
    Plotly.react(box, figure.data, coloured(layout, theme), data.config);
    if (data.selectable && !box.merListening) {
      box.merListening = true;
      box.on('plotly_click', (event) => box.merTrigger('SELECTION', { points: event.points.map((p) => ({
        customdata: p.customdata, x: p.x, y: p.y, curve_number: p.curveNumber, point_index: p.pointIndex })) }));
    }
    observer = new ResizeObserver(() => Plotly.Plots.resize(box));
    observer.observe(parentElement);
    // The viewer can switch between the light and the dark theme without a rerun.
    themeWatch = setInterval(() => {
      const now = themed();
      if (now.text !== theme.text || now.page !== theme.page) {
        theme = now;
        Plotly.react(box, figure.data, coloured(layout, theme), data.config);
      }
    }, 1000);
  };
  const unavailable = () => {
    if (!live) return;
    box.style.height = 'auto';
    box.textContent = data.unavailable;
  };
  window.merPlotly.then(draw, unavailable);
  return () => { live = false; if (observer) observer.disconnect(); clearInterval(themeWatch); };
}
""".replace("SELECTION", SELECTION).replace("LOAD_JS", LOAD_JS)
_chart = st.components.v2.component(COMPONENT, js=CHART_JS, isolate_styles=False)


def bundle_url() -> str:
    """Where the browser finds the bundle: the app's static files, under the server's base path."""
    base = str(config.get_option("server.baseUrlPath") or "").strip("/")
    return "/" + "/".join(part for part in (base, "app", "static", BUNDLE.name) if part)


def show(figure: go.Figure, chart_config: dict[str, Any], unavailable: str, key: str | None = None,
         on_select: Callable[[], None] | None = None) -> None:
    """Draws `figure` across its column, or says `unavailable` where the browser cannot load the chart
    code. With `on_select`, a click on a point stores the point (its customdata first) under `key` and
    calls `on_select`; see `clicked_point`."""
    traces = {trace.type for trace in figure.data}
    if not traces <= TRACES:
        raise ValueError(f"no chart code for the trace types {sorted(traces - TRACES)}")
    callbacks = {f"on_{SELECTION}_change": on_select} if on_select else {}
    _chart(key=key, data={"src": bundle_url(), "figure": figure.to_json(), "config": chart_config,
                          "selectable": on_select is not None, "unavailable": unavailable},
           width="stretch", height="content", **callbacks)


def clicked_point(key: str) -> list | None:
    """The customdata of the point last clicked in the chart drawn under `key`, or None."""
    points = ((st.session_state.get(key) or {}).get(SELECTION) or {}).get("points") or []
    if not points or not points[0].get("customdata"):
        return None
    return list(points[0]["customdata"])
