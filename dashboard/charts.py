"""Chart builders: pure functions from query results to plotly figures, themed and localised."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from dashboard import fmt, theme
from dashboard.i18n import translator


def _labels(values: pl.Series, lang: str) -> list:
    """Axis values: months spelled in the UI language (plotly's own date labels are English only)."""
    if values.dtype == pl.Date:
        return [fmt.month(v, lang) for v in values]
    return values.to_list()


def revenue_trend(frame: pl.DataFrame, currency: str, lang: str) -> go.Figure:
    """Bars of revenue by month (`month`, `revenue`)."""
    t = translator(lang)
    fig = go.Figure(go.Bar(
        x=_labels(frame["month"], lang), y=frame["revenue"].to_list(), marker_color=theme.PRIMARY,
        customdata=[fmt.money(v, currency, lang) for v in frame["revenue"]],
        hovertemplate="%{x}: %{customdata}<extra></extra>",
    ))
    fig.update_layout(title=t("Revenue by month ({currency})", currency=currency), height=320,
                      yaxis={"tickformat": "~s"})
    return fig


def movers(frame: pl.DataFrame, currency: str, lang: str, title: str) -> go.Figure:
    """Horizontal bars of revenue change by market (`name`, `change`)."""
    colours = [theme.GOOD if v >= 0 else theme.BAD for v in frame["change"]]
    fig = go.Figure(go.Bar(
        y=frame["name"].to_list(), x=frame["change"].to_list(), orientation="h", marker_color=colours,
        customdata=[fmt.money(v, currency, lang) for v in frame["change"]],
        hovertemplate="%{y}: %{customdata}<extra></extra>",
    ))
    fig.update_layout(title=title, height=60 + 34 * max(frame.height, 1),
                      yaxis={"autorange": "reversed"}, xaxis={"tickformat": "~s"})
    return fig


def line(frame: pl.DataFrame, x: str, y: str, title: str, lang: str, y_format: str = "",
         color: str | None = None) -> go.Figure:
    """A simple line over months, one trace per value of `color`."""
    fig = go.Figure()
    groups = frame.partition_by(color, as_dict=True, maintain_order=True) if color else {("",): frame}
    for key, part in groups.items():
        fig.add_trace(go.Scatter(x=_labels(part[x], lang), y=part[y].to_list(), mode="lines+markers",
                                 name=str(key[0])))
    fig.update_layout(title=title, height=340, yaxis={"tickformat": y_format},
                      showlegend=color is not None)
    return fig


def bars(frame: pl.DataFrame, x: str, y: str, title: str, lang: str, y_format: str = "",
         horizontal: bool = False) -> go.Figure:
    xs, ys = _labels(frame[x], lang), frame[y].to_list()
    fig = go.Figure(go.Bar(x=ys if horizontal else xs, y=xs if horizontal else ys,
                           orientation="h" if horizontal else "v", marker_color=theme.PRIMARY))
    axis = {"tickformat": y_format}
    axes = {"xaxis": axis, "yaxis": {"autorange": "reversed"}} if horizontal else {"yaxis": axis}
    fig.update_layout(title=title, height=340 if not horizontal else 60 + 28 * max(frame.height, 1), **axes)
    return fig
