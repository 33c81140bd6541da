"""Executive overview: headline KPIs with their change and 12-month trend, revenue map, rising and
falling markets."""

import polars as pl
import streamlit as st

from dashboard import charts, components, context, fmt, maps, nav
from dashboard.cache import cached
from queries import kpis, markets, overview
from queries.revenue import revenue_by_country

ctx = context.require_page("overview")
t, f, src = ctx.t, ctx.filters, ctx.src
components.header(ctx, t("Executive overview"))

with st.spinner(t("Computing the overview…")):
    components.kpi_tiles(ctx, nav.page("overview").kpis)
components.trend_caption(ctx)

left, right = st.columns(maps.BESIDE)
by_country = cached(revenue_by_country)(src, f)
with left:
    if by_country.is_empty():
        components.empty_state(t, t("revenue"))
    else:
        # The map frames what the numbers cover: the viewer's regions, the chosen regions and countries.
        countries = cached(markets.countries)(src, f)
        shown = by_country.join(countries, on="country_iso2").select(
            "country_iso2", pl.col("name").alias("label"), pl.col("revenue").alias("value"),
            pl.col("revenue").map_elements(lambda v: fmt.money(v, f.currency, f.lang), return_dtype=pl.String)
            .alias("amount"))
        maps.draw("overview-map", shown, maps.Scale.of(shown["value"].to_list(), "sequential"),
                  t("Revenue ({currency})", currency=f.currency), lambda v: fmt.money(v, f.currency, f.lang),
                  t("No data or not in view"), maps.bounds_of(shown["country_iso2"]), tallest=400, share=maps.BESIDE)
with right:
    revenue = kpis.KPIS["revenue"]
    # The tiles' trends hold revenue's already.
    trend = cached(kpis.monthly)(src, f, nav.page("overview").kpis).filter(pl.col("kpi") == "revenue")
    components.chart(t, trend.filter(pl.col("value").is_not_null()), t("revenue"), lambda frame: charts.monthly_bars(
        trend, t("Revenue by month ({currency})", currency=f.currency), revenue.unit, f.lang, f.currency))

movers = overview.movers(by_country, cached(revenue_by_country)(src, f.comparison()),
                         cached(markets.countries)(src, f)).with_columns(
    pl.col("name").map_elements(t, return_dtype=pl.String))
rising = movers.filter(pl.col("change") > 0).head(5)
falling = movers.filter(pl.col("change") < 0).sort("change").head(5)
largest = max([abs(v) for v in pl.concat([rising, falling])["change"]], default=None)
up, down = st.columns(2)
if movers.is_empty():
    with up:
        components.empty_state(t, t("revenue"))
    st.stop()
with up:
    if rising.is_empty():
        components.nothing_to_report(t("No market grew against the comparison period."))
    else:
        components.figure(charts.movers(rising, f.currency, f.lang, t("Top rising markets ({currency})",
                                                                       currency=f.currency), largest))
with down:
    if falling.is_empty():
        components.nothing_to_report(t("No market fell against the comparison period."))
    else:
        components.figure(charts.movers(falling, f.currency, f.lang, t("Top falling markets ({currency})",
                                                                        currency=f.currency), largest))
