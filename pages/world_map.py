"""World map and market drill-down: world › region › country › city, by click, list or URL."""

from dataclasses import replace

import polars as pl
import streamlit as st

from dashboard import charts, components, context, fmt, maps, nav, text
from dashboard.cache import cached
from dashboard.filters import Drill
from queries import kpis, markets
from queries.customers import top_customers
from queries.geo import (
    MAP_METRICS,
    MIN_CUSTOMERS_SHOWN,
    active_people,
    city_points,
    country_metrics,
    market_expansion,
    market_vs_world,
    mix,
)
from queries.kpis import KPIS

ctx = context.require_page("map")
t, f, src = ctx.t, ctx.filters, ctx.src
countries = cached(markets.countries)(src, f)
regions = cached(markets.regions)(src, f)
region_names = {r: t(n) for r, n in zip(regions["id"], regions["name"], strict=True)}
country_names = dict(zip(countries["country_iso2"], countries["name"], strict=True))
country_region = dict(zip(countries["country_iso2"], countries["region_id"], strict=True))

drill, valid = Drill.from_param(st.query_params.get("drill"), f, country_region)
if not valid:
    st.warning(t("The map link pointed outside what you may see; showing {place} instead.",
                 place=text.markdown(region_names.get(drill.region, t("World")))))


def go(target: Drill) -> None:
    st.query_params["drill"] = target.to_param()
    st.rerun()


METRIC_LABELS = {"customers": t("Active customers"), "revenue": t("Revenue ({currency})", currency=f.currency),
                 "growth": t("Revenue growth (%)"), "nps": t("NPS"), "churn_rate": t("Churn rate"),
                 "partner_share": t("Share through partners")}


METRIC_UNITS = {"customers": "count", "revenue": "money", "growth": "percent", "nps": "score",
                "churn_rate": "ratio", "partner_share": "ratio"}


def show(metric: str, value: float | None) -> str:
    return fmt.by_unit(value, METRIC_UNITS[metric], f.lang, f.currency, 0 if metric == "nps" else 1)


if drill.country:
    title = country_names[drill.country] + (f" · {drill.city}" if drill.city else "")
elif drill.region is not None:
    title = region_names[drill.region]
else:
    title = t("World map")
components.header(ctx, title)

# Breadcrumb: every level above the current one leads back up.
trail = [(t("World"), Drill())]
if drill.region is not None:
    trail.append((region_names[drill.region], Drill(drill.region)))
if drill.country:
    trail.append((country_names[drill.country], Drill(drill.region, drill.country)))
if drill.city:
    trail.append((drill.city, drill))
crumbs = st.container(horizontal=True, vertical_alignment="center", gap="small")
for i, (label, target) in enumerate(trail):
    if i == len(trail) - 1:
        crumbs.markdown(f"**{text.markdown(label)}**", width="content")
    else:
        if crumbs.button(text.markdown(label), key=f"crumb-{i}", type="tertiary"):
            go(target)
        crumbs.markdown("›", width="content")

view = drill.narrow(f)

if drill.country is None:
    pick_region, pick_country, pick_metric = st.columns(3)
    region_options = [r for r in region_names if f.visible_regions is None or r in f.visible_regions]
    chosen_region = pick_region.selectbox(t("Region"), [None, *region_options], index=(
        region_options.index(drill.region) + 1 if drill.region in region_options else 0),
        format_func=lambda r: t("All regions") if r is None else region_names[r], key="map_region")
    if chosen_region != drill.region:
        go(Drill(chosen_region))
    options = sorted((c for c, r in country_region.items() if r in region_options
                      and (drill.region is None or r == drill.region)), key=lambda c: country_names[c])
    chosen_country = pick_country.selectbox(t("Open a country"), [None, *options], index=0,
                                            format_func=lambda c: t("Choose…") if c is None else country_names[c],
                                            key="map_country")
    if chosen_country:
        go(Drill(country_region[chosen_country], chosen_country))
    metric = pick_metric.selectbox(t("Colour countries by"), MAP_METRICS, key="map_metric",
                                   format_func=METRIC_LABELS.__getitem__)

    with st.spinner(t("Computing the map…")):
        frame = cached(country_metrics)(src, view)
        cities = cached(city_points)(src, view)
    if frame.is_empty():
        components.empty_state(t, t("customers"))
        st.stop()
    shown = frame.with_columns(
        pl.col(metric).alias("value"),
        pl.col(metric).map_elements(lambda v: show(metric, v), return_dtype=pl.String).alias("amount"),
        pl.col("name").alias("label"))
    largest = max(float(cities["revenue"].max() or 0), 1.0)
    points = cities.with_columns(
        (2 + 12 * (pl.col("revenue") / largest).sqrt()).alias("radius"),
        pl.coalesce(pl.col("city"), pl.lit(t("Other places"))).alias("label"),
        pl.col("revenue").map_elements(lambda v: fmt.money(v, f.currency, f.lang), return_dtype=pl.String)
        .alias("amount"))
    deck = maps.choropleth(shown, {"label": "label", "amount": "amount"}, "<b>{label}</b><br/>{amount}",
                           cities=points, view=maps.view_of(frame) if drill.region is not None else None)
    event = st.pydeck_chart(deck, height=560, on_select="rerun", selection_mode="single-object", key="world")
    picked = (event.selection.get("objects", {}) if event else {}).get("countries") or []
    if picked:
        iso2 = picked[0].get("properties", {}).get("iso2")
        if iso2 in country_region:
            go(Drill(country_region[iso2], iso2))
    values = shown["value"].drop_nulls()
    legend, note = st.columns([1, 2])
    if not values.is_empty():
        legend.html(maps.legend_html(show(metric, values.min()), show(metric, values.max())))
    note.caption(t("{metric} by country; circles are cities sized by revenue. Click a country to open it. "
                   "Places with fewer than {n} customers are merged unless your role may see personal data.",
                   metric=METRIC_LABELS[metric], n=MIN_CUSTOMERS_SHOWN))

    st.subheader(t("Market expansion"))
    ranking = cached(market_expansion)(src, view)
    st.dataframe(ranking.with_columns(pl.col("action").replace_strict(
        {"invest": t("Invest"), "fix": t("Fix"), "hold": t("Hold")}, default=None),
        (pl.col("churn_rate") * 100), components.kpi_text(KPIS['nps'], f.lang)).drop("responses"),
        hide_index=True, width="stretch", column_config={
        "country_iso2": None, "name": t("Country"), "customers": t("Active customers"),
        "per_million": st.column_config.NumberColumn(t("Customers per million people"), format="%.1f"),
        "revenue": components.revenue_column(t, f.currency),
        "revenue_per_customer": st.column_config.NumberColumn(t("Revenue per customer"), format="compact"),
        "growth": st.column_config.NumberColumn(t("Revenue growth (%)"), format="%.1f"),
        "nps": t("NPS"),
        "churn_rate": st.column_config.NumberColumn(t("Churn rate (%)"), format="%.1f"),
        "action": t("Suggested action")})
    st.caption(t("Invest: revenue growing 15 %+ with NPS at least the median market's. Fix: revenue falling, "
                 "NPS below 0, or churn twice the median market's."))
    st.stop()

# --- market view: one country (and optionally one of its cities) --------------------------------
with st.spinner(t("Computing the market…")):
    components.kpi_tiles(replace(ctx, filters=view), nav.page("map").kpis)

left, right = st.columns(2)
with left:
    revenue_trend = cached(kpis.monthly)(src, view, ("revenue",))
    components.chart(t, revenue_trend.filter(pl.col("value").is_not_null()), t("revenue"),
                     lambda _: charts.monthly_bars(revenue_trend, t("Revenue by month ({currency})",
                                                                    currency=f.currency), "money", f.lang, f.currency))
    new_trend = cached(kpis.monthly)(src, view, ("new_customers",))
    components.chart(t, new_trend.filter(pl.col("value").is_not_null()), t("new customers"),
                     lambda _: charts.monthly_bars(new_trend, t("New customers by month"), "count", f.lang))
with right:
    st.markdown("**" + t("This market against every market you may see") + "**")
    versus = cached(market_vs_world)(src, view)
    grid = st.columns(2)
    for i, row in enumerate(versus.iter_rows(named=True)):
        kpi = KPIS[row["measure"]]
        grid[i % 2].metric(t(kpi.label), fmt.by_unit(row["market"], kpi.unit, f.lang, f.currency, kpi.digits),
                           t("world {value}", value=fmt.by_unit(row["world"], kpi.unit, f.lang, f.currency,
                                                                kpi.digits)),
                           delta_color="off", delta_arrow="off", border=True)

cities = cached(city_points)(src, view)
st.subheader(t("Top cities"))
if cities.is_empty():
    components.empty_state(t, t("customers"))
else:
    city_options = [c for c in cities["city"].to_list() if c]
    chosen_city = st.selectbox(t("Open a city"), [None, *city_options],
                               index=city_options.index(drill.city) + 1 if drill.city in city_options else 0,
                               format_func=lambda c: t("All cities") if c is None else c, key="map_city")
    if chosen_city != drill.city:
        go(Drill(drill.region, drill.country, chosen_city))
    st.dataframe(cities.head(15).with_columns(pl.col("city").fill_null(t("Other places"))).select(
        "city", "customers", "revenue"), hide_index=True, width="stretch", column_config={
        "city": t("City"), "customers": t("Customers"),
        "revenue": components.revenue_column(t, f.currency)})

mixes = st.columns(4)
for column, (field, label) in zip(mixes, [("segment", t("Segment")), ("industry", t("Industry")),
                                          ("preferred_channel", t("Channel")),
                                          ("preferred_language", t("Language"))], strict=True):
    frame = cached(mix)(src, view, field)
    column.markdown("**" + t("{what} mix", what=label) + "**")
    name_of = (lambda code: fmt.language_name(code, f.lang)) if field == "preferred_language" else t
    column.dataframe(frame.with_columns(pl.col(field).fill_null("–").map_elements(name_of, return_dtype=pl.String),
                                        pl.col("share") * 100).drop("customers"),
                     hide_index=True, width="stretch", column_config={
                         field: label, "share": st.column_config.ProgressColumn(t("Share"), format="%.0f%%",
                                                                                 min_value=0, max_value=100)})

st.subheader(t("Top customers") + (f" · {text.markdown(drill.city)}" if drill.city else ""))
top = cached(top_customers)(src, view, 50)
if drill.city:
    top = top.filter(pl.col("city") == drill.city)
if top.is_empty():
    components.empty_state(t, t("orders"))
else:
    if not f.personal_data:
        st.caption(t("Personal data is masked for your role."))
    st.dataframe(top.head(15).drop("country_iso2"), hide_index=True, width="stretch", column_config={
        "customer_id": t("ID"), "name": t("Customer"), "city": t("City"), "segment": t("Segment"),
        "email": t("E-mail"), "orders": t("Orders"),
        "revenue": components.revenue_column(t, f.currency)})

people = cached(active_people)(src, view)
reps_col, partners_col = st.columns(2)
reps_col.markdown("**" + t("Most active reps") + "**")
reps_col.dataframe(people.filter(pl.col("kind") == "rep").select("name", "count"), hide_index=True,
                   width="stretch", column_config={"name": t("Rep"), "count": t("Interactions")})
partners_col.markdown("**" + t("Top partners") + "**")
partners_col.dataframe(people.filter(pl.col("kind") == "partner").select("name", "count", "revenue"),
                       hide_index=True, width="stretch", column_config={
                           "name": t("Partner"), "count": t("Orders"),
                           "revenue": components.revenue_column(t, f.currency)})
