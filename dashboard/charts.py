"""Chart builders: pure functions from query results to plotly figures, themed and localised.

Every figure has a title with its unit; axes, hover texts and bar labels use the locale's number style
(万/亿 in Chinese, K/M/B in English, the currency symbol with every amount); a month not over yet is
drawn lighter and labelled "to date".
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go
import polars as pl

from dashboard import fmt, theme
from dashboard.i18n import translator
from dashboard.text import html_safe

PARTIAL_OPACITY = 0.4


def month_labels(months: pl.Series, partial: Sequence[bool] | None, lang: str) -> list[str]:
    """Months spelled in the UI language (plotly's own date labels are English only); a month not over
    yet is marked "to date"."""
    t = translator(lang)
    flags = list(partial) if partial is not None else [False] * months.len()
    return [t("{month} (to date)", month=fmt.month(m, lang)) if part else fmt.month(m, lang)
            for m, part in zip(months, flags, strict=True)]


def _labels(values: pl.Series, lang: str) -> list:
    """Category labels: plotly reads HTML in them, so names from the data are escaped."""
    if values.dtype == pl.Date:
        return month_labels(values, None, lang)
    return [html_safe(v) for v in values.to_list()]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering low..high (0 included), about `count` of them."""
    low, high = min(low, 0.0), max(high, 0.0)
    span = high - low
    if span <= 0:
        return [0.0]
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    return [round(first + i * step, 10) for i in range(math.ceil((high - first) / step) + 1)]


def value_text(value: float | None, unit: str, lang: str, currency: str = "USD", digits: int = 1) -> str:
    return fmt.by_unit(value, unit, lang, currency, digits)


def _axis(values: Sequence[float | None], unit: str, lang: str, currency: str, digits: int = 1) -> dict:
    """An axis whose tick labels are formatted like every other number on the page."""
    finite = [v for v in values if v is not None]
    if not finite:
        return {}
    ticks = nice_ticks(min(finite), max(finite))
    text = ([fmt.money_tick(v, currency, lang) for v in ticks] if unit == "money"
            else [value_text(v, unit, lang, currency, digits) for v in ticks])
    return {"tickmode": "array", "tickvals": ticks, "ticktext": text,
            "range": [min(ticks[0], 0), ticks[-1] * 1.04 if ticks[-1] > 0 else 0]}


def monthly_bars(frame: pl.DataFrame, title: str, unit: str, lang: str, currency: str = "USD",
                 digits: int = 1, colour: str = theme.PRIMARY) -> go.Figure:
    """Bars of a KPI by month (`month`, `value`, optional `partial`)."""
    partial = frame["partial"].to_list() if "partial" in frame.columns else [False] * frame.height
    values = frame["value"].to_list()
    texts = [value_text(v, unit, lang, currency, digits) for v in values]
    fig = go.Figure(go.Bar(
        x=month_labels(frame["month"], partial, lang), y=values, marker_color=colour,
        marker_opacity=[PARTIAL_OPACITY if p else 1.0 for p in partial], customdata=texts,
        hovertemplate="%{x}: %{customdata}<extra></extra>"))
    fig.update_layout(title=title, height=320, yaxis=_axis(values, unit, lang, currency, digits))
    return fig


def monthly_line(frame: pl.DataFrame, title: str, unit: str, lang: str, y_range: tuple[float, float] | None = None,
                 digits: int = 1, name_column: str | None = None) -> go.Figure:
    """A KPI by month as a line (`month`, `value`, optional `partial`, optional `name_column` for one line
    per group); the segment into a month not over yet is dotted."""
    fig = go.Figure()
    groups = (frame.partition_by(name_column, as_dict=True, maintain_order=True) if name_column
              else {("",): frame})
    for index, (key, part) in enumerate(groups.items()):
        colour = theme.PALETTE[index % len(theme.PALETTE)]
        partial = part["partial"].to_list() if "partial" in part.columns else [False] * part.height
        labels = month_labels(part["month"], partial, lang)
        values = part["value"].to_list()
        texts = [value_text(v, unit, lang, digits=digits) for v in values]
        whole = [None if p else v for v, p in zip(values, partial, strict=True)]
        fig.add_trace(go.Scatter(x=labels, y=whole, mode="lines+markers", name=html_safe(key[0]), line_color=colour,
                                 customdata=texts, hovertemplate="%{x}: %{customdata}<extra>%{fullData.name}</extra>"))
        if any(partial) and len(values) > 1:
            tail = [v if (i >= len(values) - 2) else None for i, v in enumerate(values)]
            fig.add_trace(go.Scatter(x=labels, y=tail, mode="lines+markers", line={"color": colour, "dash": "dot"},
                                     opacity=0.5, showlegend=False, customdata=texts,
                                     hovertemplate="%{x}: %{customdata}<extra></extra>"))
    axis = _axis([v for v in frame["value"].to_list()], unit, lang, "USD", digits)
    if y_range is not None:
        axis |= {"range": list(y_range)}
        axis.pop("tickvals", None)
        axis.pop("ticktext", None)
        axis.pop("tickmode", None)
    fig.update_layout(title=title, height=340, yaxis=axis, showlegend=name_column is not None)
    return fig


def movers(frame: pl.DataFrame, currency: str, lang: str, title: str, limit: float | None = None) -> go.Figure:
    """Horizontal bars of revenue change by market (`name`, `change`), each labelled with its amount.
    `limit` fixes the axis (the largest change in either direction) so two mover charts compare."""
    colours = [theme.GOOD if v >= 0 else theme.BAD for v in frame["change"]]
    texts = [fmt.signed(fmt.money(abs(v), currency, lang), v) for v in frame["change"]]
    largest = limit or max((abs(v) for v in frame["change"]), default=1.0)
    ticks = nice_ticks(0, largest, 4)
    signed_ticks = sorted({-v for v in ticks} | set(ticks))
    fig = go.Figure(go.Bar(
        y=_labels(frame["name"], lang), x=frame["change"].to_list(), orientation="h", marker_color=colours,
        text=texts, textposition="auto", customdata=texts, hovertemplate="%{y}: %{customdata}<extra></extra>",
    ))
    negative = any(v < 0 for v in frame["change"])
    shown = [v for v in signed_ticks if (v <= 0 if negative else v >= 0)]
    fig.update_layout(
        title=title, height=90 + 40 * max(frame.height, 3), yaxis={"autorange": "reversed", "automargin": True},
        xaxis={"tickmode": "array", "tickvals": shown,
               "ticktext": [fmt.signed(fmt.money_tick(abs(v), currency, lang), v) for v in shown],
               "range": [-largest * 1.1, 0] if negative else [0, largest * 1.1]})
    return fig


def bars(frame: pl.DataFrame, x: str, y: str, title: str, lang: str, unit: str = "count", currency: str = "USD",
         horizontal: bool = False, digits: int = 1) -> go.Figure:
    xs, ys = _labels(frame[x], lang), frame[y].to_list()
    texts = [value_text(v, unit, lang, currency, digits) for v in ys]
    fig = go.Figure(go.Bar(x=ys if horizontal else xs, y=xs if horizontal else ys, customdata=texts,
                           hovertemplate=("%{y}" if horizontal else "%{x}") + ": %{customdata}<extra></extra>",
                           orientation="h" if horizontal else "v", marker_color=theme.PRIMARY))
    axis = _axis(ys, unit, lang, currency, digits)
    axes = ({"xaxis": axis, "yaxis": {"autorange": "reversed", "automargin": True}} if horizontal
            else {"yaxis": axis})
    fig.update_layout(title=title, height=340 if not horizontal else 80 + 28 * max(frame.height, 1), **axes)
    return fig


def monthly_with_target(frame: pl.DataFrame, title: str, unit: str, lang: str, target_name: str,
                        currency: str = "USD", digits: int = 1) -> go.Figure:
    """A KPI by month as bars (`month`, `value`, `partial`) with its monthly target (`target`, where set)
    as a dashed line; a month not over yet is drawn lighter."""
    partial = frame["partial"].to_list()
    labels = month_labels(frame["month"], partial, lang)
    values, targets = frame["value"].to_list(), frame["target"].to_list()
    fig = go.Figure(go.Bar(
        x=labels, y=values, marker_color=theme.PRIMARY, name=title, showlegend=False,
        marker_opacity=[PARTIAL_OPACITY if p else 1.0 for p in partial],
        customdata=[value_text(v, unit, lang, currency, digits) for v in values],
        hovertemplate="%{x}: %{customdata}<extra></extra>"))
    if any(v is not None for v in targets):
        fig.add_trace(go.Scatter(
            x=labels, y=targets, mode="lines+markers", name=target_name, line={"color": theme.BAD, "dash": "dash"},
            customdata=[value_text(v, unit, lang, currency, digits) for v in targets],
            hovertemplate="%{x}: %{customdata}<extra>%{fullData.name}</extra>"))
    fig.update_layout(title=title, height=320, showlegend=any(v is not None for v in targets),
                      legend={"orientation": "h", "y": 1.12, "x": 1, "xanchor": "right"},
                      xaxis={"automargin": True}, yaxis=_axis([*values, *targets], unit, lang, currency, digits))
    return fig
