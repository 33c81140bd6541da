"""Chart builders: pure functions from query results to plotly figures, themed and localised.

Every figure has a title with its unit; axes, hover texts and bar labels use the locale's number style
(万/亿 in Chinese, K/M/B in English, the currency symbol with every amount); a month not over yet is
drawn lighter and labelled "to date".
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import plotly.graph_objects as go
import polars as pl
from babel import dates

from dashboard import fmt, theme
from dashboard.i18n import babel_locale, translator
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


# A value axis drawn across (horizontal bars) ends at the chart's right edge, and plotly hides a tick label
# that would reach past it: wide Chinese amounts (US$800万, US$0 at a falling chart's end) were left out.
ACROSS_MARGIN = {"r": 32}


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
    fig.update_layout(title=title, height=340, yaxis=axis, showlegend=name_column is not None,
                      xaxis={"automargin": True})
    if name_column:
        fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.3})
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
        margin=ACROSS_MARGIN,
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
    fig.update_layout(title=title, height=340 if not horizontal else 80 + 28 * max(frame.height, 1), **axes,
                      **({"margin": ACROSS_MARGIN} if horizontal else {}))
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


# --- satisfaction ----------------------------------------------------------------------------------------

TOO_FEW_MARKER = {"symbol": "circle-open", "size": 9, "line": {"width": 2}}


def period_label(period: dt.date, grain: str, lang: str) -> str:
    """A trend's period as the reader says it: the month, the quarter, or the week's Monday."""
    t = translator(lang)
    if grain == "month":
        return fmt.month(period, lang)
    if grain == "quarter":
        return t("Q{quarter} {year}", quarter=(period.month - 1) // 3 + 1, year=period.year)
    return t("Week of {day}", day=dates.format_skeleton("MMMd", period, locale=babel_locale(lang)))


def score_trend(frame: pl.DataFrame, periods: Sequence[dt.date], grain: str, title: str, unit: str, lang: str,
                y_range: tuple[float, float], digits: int, names: dict[str, str] | None = None,
                compared: pl.DataFrame | None = None, target: float | None = None, band: bool = True) -> go.Figure:
    """A score per period (`period`, `group`, `value`, `low`, `high`, `sample`, `enough`), one line per
    group named by `names` (none: one line), with the response count under each period (one line) or in
    the hover (several), its 95 % band, periods below the minimum sample as hollow markers off the line,
    the comparison window (`period`, `value`) dotted and a target as a dashed line. The axis is fixed to
    `y_range`: the scale's meaning, not the data's spread."""
    t = translator(lang)
    labels = [period_label(p, grain, lang) for p in periods]
    where = {p: i for i, p in enumerate(periods)}
    single = not names
    if single:
        counts = dict(zip(frame["period"].to_list(), frame["sample"].to_list(), strict=True))
        ticks = [f"{label}<br>{t('n = {n}', n=fmt.count(counts.get(p, 0), lang))}"
                 for label, p in zip(labels, periods, strict=True)]
    else:
        ticks = labels
    fig = go.Figure()
    groups = [(None, frame)] if single else [(g, frame.filter(pl.col("group") == g)) for g in names]  # type: ignore[union-attr]
    for index, (group, part) in enumerate(groups):
        colour = theme.PALETTE[index % len(theme.PALETTE)]
        name = t("All responses") if group is None else html_safe(names[group])  # type: ignore[index]

        def series(column: str, ok: bool, part: pl.DataFrame = part) -> list[float | None]:
            values: list[float | None] = [None] * len(periods)
            for row in part.iter_rows(named=True):
                if row["period"] in where and row["enough"] == ok:
                    values[where[row["period"]]] = row[column]
            return values

        hover = [None] * len(periods)
        for row in part.iter_rows(named=True):
            if row["period"] in where:
                shown = value_text(row["value"], unit, lang, digits=digits)
                if band and row["enough"]:
                    shown = t("{value} (95 % range {low} to {high})", value=shown,
                              low=value_text(row["low"], unit, lang, digits=digits),
                              high=value_text(row["high"], unit, lang, digits=digits))
                count = t("n = {n}", n=fmt.count(row["sample"], lang))
                hover[where[row["period"]]] = (f"{shown} · {count}" if row["enough"]
                                               else f"{shown} · {count} · {t('too few responses')}")
        if band and single:
            fig.add_trace(go.Scatter(x=ticks, y=series("high", True), mode="lines", line={"width": 0},
                                     showlegend=False, hoverinfo="skip", connectgaps=False))
            fig.add_trace(go.Scatter(x=ticks, y=series("low", True), mode="lines", line={"width": 0},
                                     fill="tonexty", fillcolor="rgba(0,114,178,0.15)", name=t("95 % range"),
                                     hoverinfo="skip", connectgaps=False))
        fig.add_trace(go.Scatter(x=ticks, y=series("value", True), mode="lines+markers", name=name,
                                 line_color=colour, customdata=hover, connectgaps=True,
                                 hovertemplate="%{customdata}<extra>" + name + "</extra>"))
        few = series("value", False)
        if any(v is not None for v in few):
            fig.add_trace(go.Scatter(x=ticks, y=few, mode="markers", marker=TOO_FEW_MARKER | {"color": colour},
                                     name=t("Too few responses (hollow)"), showlegend=index == 0, customdata=hover,
                                     legendgroup="few", hovertemplate="%{customdata}<extra>" + name + "</extra>"))
    if compared is not None and not compared.is_empty():
        before = [None] * len(periods)
        for row in compared.filter(pl.col("enough")).iter_rows(named=True):
            if row["period"] in where:
                before[where[row["period"]]] = row["value"]
        fig.add_trace(go.Scatter(x=ticks, y=before, mode="lines", name=t("Comparison period"),
                                 line={"color": theme.NEUTRAL, "dash": "dot"},
                                 customdata=[value_text(v, unit, lang, digits=digits) for v in before],
                                 hovertemplate="%{customdata}<extra>%{fullData.name}</extra>"))
    if target is not None:
        fig.add_trace(go.Scatter(x=[ticks[0], ticks[-1]], y=[target, target], mode="lines", name=t("Company target"),
                                 line={"color": theme.BAD, "dash": "dash"}, hoverinfo="skip"))
    values = [v for v in nice_ticks(y_range[0], y_range[1], 4) if y_range[0] <= v <= y_range[1]]
    yaxis: dict = {"range": list(y_range), "automargin": True, "tickmode": "array", "tickvals": values,
                   "ticktext": [score_text(v, unit, lang) if unit == "score" else value_text(v, unit, lang, digits=0)
                                for v in values]}
    # Above the plot: below it, the legend would run into tick labels that turn on a narrow screen.
    fig.update_layout(title=title, height=400, yaxis=yaxis, xaxis={"type": "category", "automargin": True},
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1},
                      margin={"t": 96}, showlegend=True)
    return fig


def score_grid(frame: pl.DataFrame, rows: Sequence[str], columns: Sequence[str], row_names: dict[str, str],
               column_names: dict[str, str], title: str, metric: str, unit: str, lang: str, centre: float,
               minimum: int) -> go.Figure:
    """A market × column grid of a score (`country_iso2`, `column`, `value`, `responses`, `change`) as
    clickable squares coloured on a diverging scale around `centre` (0 for NPS, the company's average
    for CSAT) with a colour bar naming the metric and unit; a cell below `minimum` responses, or withheld
    (no value), is grey. A
    point's customdata is [market, column value] for a click to filter by."""
    t = translator(lang)
    column = frame.columns[1]
    shown = (pl.col("responses") >= minimum) & pl.col("value").is_not_null()
    reach = max((abs(v - centre) for v in frame.filter(shown)["value"].to_list()), default=1.0) or 1.0
    scale = [[i / (len(theme.DIVERGING) - 1), c] for i, c in enumerate(theme.DIVERGING)]
    row_labels = {r: html_safe(row_names.get(r, r)) for r in rows}
    column_labels = {c: html_safe(column_names.get(c, c)) for c in columns}
    fig = go.Figure()
    for enough in (True, False):
        part = frame.filter((shown == enough)
                            & pl.col("country_iso2").is_in(list(rows)) & pl.col(column).is_in(list(columns)))
        if part.is_empty():
            continue
        texts, hovers = [], []
        for row in part.iter_rows(named=True):
            value = score_text(row["value"], unit, lang)
            change = (fmt.change(row["change"], False, unit, lang, 0)
                      if row["change"] is not None and row["previous_responses"] >= minimum else fmt.MISSING)
            texts.append(value if enough else "")
            hovers.append(" · ".join([
                f"{row_labels[row['country_iso2']]}, {column_labels[row[column]]}",
                f"{metric} {value}" if enough else t("too few responses") if row["value"] is not None
                else t("too few customers to show"),
                t("n = {n}", n=fmt.count(row["responses"], lang)), t("change {change}", change=change)]))
        marker: dict = {"symbol": "square", "size": 34, "line": {"width": 1, "color": "rgba(127,127,127,0.4)"}}
        if enough:
            marker |= {"color": part["value"].to_list(), "colorscale": scale, "cmin": centre - reach,
                       "cmax": centre + reach, "showscale": True,
                       "colorbar": {"title": {"text": f"{metric}<br>({unit_name(unit, lang)})"}, "thickness": 12}}
        else:
            marker |= {"color": "#CFCFCF"}
        fig.add_trace(go.Scatter(
            x=[column_labels[c] for c in part[column]], y=[row_labels[r] for r in part["country_iso2"]],
            mode="markers+text", text=texts, marker=marker, showlegend=False,
            # White on the strongest colours, where the dark text would not be read.
            textfont={"size": 12, "color": [
                "#FFFFFF" if enough and v is not None and abs(v - centre) / reach > STRONG_CELL else "#1F2933"
                for v in part["value"].to_list()]},
            customdata=list(zip(part["country_iso2"].to_list(), part[column].to_list(), hovers, strict=True)),
            hovertemplate="%{customdata[2]}<extra></extra>"))
    fig.update_layout(
        title=title, height=140 + 40 * max(len(rows), 3), clickmode="event+select", dragmode=False,
        margin={"t": 96},
        xaxis={"type": "category", "categoryorder": "array", "categoryarray": [column_labels[c] for c in columns],
               "side": "top", "fixedrange": True},
        yaxis={"type": "category", "categoryorder": "array", "autorange": "reversed", "fixedrange": True,
               "categoryarray": [row_labels[r] for r in rows], "automargin": True})
    return fig


# How far from the centre of its scale (0 to 1) a grid cell's colour is too dark for dark text.
STRONG_CELL = 0.55


def score_text(value: float | None, unit: str, lang: str) -> str:
    """A score in a grid cell: NPS with its sign (+12, −17), a percentage as a percentage."""
    if value is None:
        return fmt.MISSING
    if unit == "score":
        return fmt.signed(fmt.decimal(abs(value), lang, 0), round(value))
    return value_text(value, unit, lang, digits=0)


def unit_name(unit: str, lang: str) -> str:
    """The unit of a score as a colour bar names it."""
    t = translator(lang)
    return {"score": t("points, −100 to 100"), "percent": t("% satisfied")}.get(unit, unit)


def theme_shares(frame: pl.DataFrame, names: dict[str, str], title: str, lang: str) -> go.Figure:
    """Horizontal bars: each theme's share of detractors' and of promoters' comments (`theme`,
    `detractor_share`, `promoter_share`, `detractor_comments`, `promoter_comments`), most complained
    about first."""
    t = translator(lang)
    labels = [html_safe(names.get(v, v)) for v in frame["theme"]]
    fig = go.Figure()
    for tone, colour, label in (("detractor", theme.BAD, t("Detractors")), ("promoter", theme.GOOD, t("Promoters"))):
        shares = frame[f"{tone}_share"].to_list()
        texts = [fmt.percent(v, lang, 0) if v is not None else fmt.MISSING for v in shares]
        fig.add_trace(go.Bar(
            y=labels, x=shares, orientation="h", name=label, marker_color=colour, text=texts,
            textposition="outside", cliponaxis=False,
            customdata=[t("{share} of comments ({n})", share=s, n=fmt.count(n, lang))
                        for s, n in zip(texts, frame[f"{tone}_comments"].to_list(), strict=True)],
            hovertemplate="%{y}: %{customdata}<extra>%{fullData.name}</extra>"))
    top = max([v or 0 for v in [*frame["detractor_share"], *frame["promoter_share"]]] or [0.0])
    ticks = nice_ticks(0, max(top, 0.1), 4)
    fig.update_layout(
        title=title, barmode="group", height=110 + 46 * max(frame.height, 3),
        yaxis={"autorange": "reversed", "automargin": True},
        xaxis={"tickmode": "array", "tickvals": ticks, "ticktext": [fmt.percent(v, lang, 0) for v in ticks],
               "range": [0, ticks[-1] * 1.15]},
        legend={"orientation": "h", "y": -0.12})
    return fig


def nps_mix(frame: pl.DataFrame, grain: str, title: str, lang: str) -> go.Figure:
    """Stacked bars of each period's promoters, passives and detractors (`period`, `responses`, shares
    0..1), the response count in the hover."""
    t = translator(lang)
    ticks = [period_label(p, grain, lang) for p in frame["period"]]
    counts = [t("n = {n}", n=fmt.count(n, lang)) for n in frame["responses"]]
    fig = go.Figure()
    for column, colour, name in (("detractors", theme.BAD, t("Detractors")), ("passives", theme.NEUTRAL, t("Passives")),
                                 ("promoters", theme.GOOD, t("Promoters"))):
        shares = frame[column].to_list()
        texts = [fmt.percent(v, lang, 0) for v in shares]
        fig.add_trace(go.Bar(x=ticks, y=shares, name=name, marker_color=colour, text=texts, textposition="inside",
                             customdata=[f"{text} · {count}" for text, count in zip(texts, counts, strict=True)],
                             hovertemplate="%{x}: %{customdata}<extra>%{fullData.name}</extra>"))
    ticks_y = [0, 0.25, 0.5, 0.75, 1]
    fig.update_layout(title=title, barmode="stack", height=360, xaxis={"type": "category", "automargin": True},
                      yaxis={"range": [0, 1], "tickmode": "array", "tickvals": ticks_y,
                             "ticktext": [fmt.percent(v, lang, 0) for v in ticks_y]},
                      legend={"orientation": "h", "yanchor": "top", "y": -0.25})
    return fig


def score_distribution(frame: pl.DataFrame, title: str, lang: str) -> go.Figure:
    """Bars of how many gave each NPS score 0-10 (`score`, `responses`, `share`), coloured by what the
    score makes the customer: detractor, passive, promoter."""
    t = translator(lang)
    colours = [theme.BAD if s <= 6 else theme.NEUTRAL if s <= 8 else theme.GOOD for s in frame["score"]]
    texts = [fmt.percent(v, lang, 0) if v is not None else fmt.MISSING for v in frame["share"]]
    fig = go.Figure(go.Bar(
        x=[str(s) for s in frame["score"]], y=frame["responses"].to_list(), marker_color=colours, text=texts,
        textposition="outside", cliponaxis=False,
        customdata=[t("{share} of responses ({n})", share=s, n=fmt.count(n, lang))
                    for s, n in zip(texts, frame["responses"].to_list(), strict=True)],
        hovertemplate="%{x}: %{customdata}<extra></extra>"))
    axis = _axis(frame["responses"].to_list(), "count", lang, "USD", 0)
    if axis:
        axis["range"] = [0, axis["range"][1] * 1.12]
    fig.update_layout(title=title, height=360, xaxis={"type": "category"}, yaxis=axis)
    return fig
