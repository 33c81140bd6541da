"""Page furniture every page shares: the header, KPI tiles, charts and their empty states, table
columns, and the type scale."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
import streamlit as st

from dashboard import fmt, sidebar
from dashboard.context import Context
from dashboard.filters import Filters
from dashboard.freshness import refresh_now
from dashboard.i18n import Translate

TILE_HEIGHT = 200


def header(ctx: Context, title: str, subtitle: str | None = None) -> None:
    t, f = ctx.t, ctx.filters
    left, right = st.columns([4, 1.4], vertical_alignment="bottom")
    left.title(title)
    period = t("{start} – {end}", start=fmt.date(f.start, f.lang), end=fmt.date(f.end, f.lang))
    compare = f.comparison()
    left.caption(" · ".join(filter(None, [
        subtitle, period,
        t("compared with {start} – {end}", start=fmt.date(compare.start, f.lang),
          end=fmt.date(compare.end, f.lang)),
        t("amounts in {currency}", currency=f.currency),
    ])))
    right.caption(t("Data as of {time} UTC", time=fmt.datetime(ctx.src.refreshed_at, f.lang)))
    if right.button(t("Refresh data"), key="refresh_button"):
        refresh_now(t)
        st.rerun()
    sidebar.dropped_params_notice(t)


def kpi_tile(column: Any, label: str, value: str, delta: str | None, help_text: str,
             trend: list[float | None] | None = None, lower_is_better: bool = False,
             height: int | str = "content") -> None:
    """A KPI tile; give rows of tiles with and without trend lines one `height` (TILE_HEIGHT)."""
    column.metric(label, value, delta, delta_color="inverse" if lower_is_better else "normal",
                  help=help_text, border=True, height=height,
                  chart_data=[v for v in trend if v is not None] if trend else None, chart_type="line")


def format_kpi(value: float | None, unit: str, f: Filters) -> str:
    """A KPI value by its unit (see queries.overview.HEADLINE), in the filters' language and currency."""
    if unit == "money":
        return fmt.money(value, f.currency, f.lang)
    if unit == "count":
        return fmt.count(value, f.lang)
    if unit == "percent":
        return fmt.percent(None if value is None else value / 100, f.lang)
    if unit == "ratio":
        return fmt.percent(value, f.lang)
    if unit == "hours":
        return fmt.hours(value, f.lang)
    return fmt.decimal(value, f.lang)


def format_change(value: float | None, previous: float | None, unit: str, f: Filters, t: Translate) -> str | None:
    """The change against the comparison period: relative for money and counts, points for scores and
    shares, a duration for times."""
    if value is None or previous is None:
        return None
    if unit in ("money", "count"):
        return None if previous == 0 else fmt.percent(value / previous - 1, f.lang)
    if unit == "ratio":
        return t("{points} pts", points=fmt.decimal(100 * (value - previous), f.lang))
    if unit in ("percent", "score"):
        return t("{points} pts", points=fmt.decimal(value - previous, f.lang))
    return fmt.hours(value - previous, f.lang)


def nps_text(t: Translate, lang: str) -> pl.Expr:
    """The `nps` column as table text: the score, or "too few responses" below MIN_RESPONSES."""
    from queries.satisfaction import MIN_RESPONSES

    return (pl.when(pl.col("responses") >= MIN_RESPONSES)
            .then(pl.col("nps").map_elements(lambda v: fmt.decimal(v, lang), return_dtype=pl.String))
            .otherwise(pl.lit(t("Too few responses"))).alias("nps"))


def revenue_column(t: Translate, currency: str) -> Any:
    """A money column of a table: compact (1.2M), the currency in the header."""
    return st.column_config.NumberColumn(t("Revenue ({currency})", currency=currency), format="compact")


def chart(t: Translate, frame: pl.DataFrame, what: str, build: Callable[[pl.DataFrame], Any]) -> None:
    """The plotly figure `build` makes of `frame`, or the empty state naming `what` when it has no rows."""
    if frame.is_empty():
        empty_state(t, what)
    else:
        st.plotly_chart(build(frame), config={"displayModeBar": False})


def empty_state(t: Translate, what: str) -> None:
    st.info(t("No {what} for these filters. Widen the period or clear some filters in the sidebar.",
              what=what))


def apply_style(shared_screen: bool) -> None:
    """Type scale: bigger on a shared screen (TV, projector), where the sidebar is collapsed."""
    base = 20 if shared_screen else 16
    st.markdown(f"""<style>
        [data-testid="stMetricValue"] {{ font-size: {base * 1.9:.0f}px; }}
        [data-testid="stMetricLabel"] p {{ font-size: {base:.0f}px; }}
        .block-container {{ padding-top: 2.2rem; max-width: 100%; }}
    </style>""", unsafe_allow_html=True)
