"""World map and market drill-down: world › region › country › city, by click, list, breadcrumb or URL.

Every level is its own URL (`?drill=3/JP/Osaka`), so the browser's Back and Forward move between
levels; the URL is the only record of the level (the pickers are set from it on every run). A viewer
starts at what they may see and chose: a regional lead at their region. The city level narrows every
number on the page to the city's customers.
"""

from dataclasses import replace

import polars as pl
import streamlit as st

from dashboard import charts, components, context, fmt, labels, maps, nav, text, tiles
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
    expansion,
    in_city,
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


def city_name(city: str | None) -> str:
    return t("Other places") if city is None else labels.label(city, t, f.lang)


start = Drill.start(f, country_region)
drill, valid = Drill.from_param(st.query_params.get("drill"), f, country_region)
if drill.city is not None:
    # A city is a level only where the viewer may see it: a small place could identify its customers.
    shown_cities = cached(city_points)(src, Drill(drill.region, drill.country).narrow(f))
    if drill.city not in set(shown_cities["city"].drop_nulls()):
        drill, valid = drill.up(), False


def set_drill(target: Drill) -> None:
    """Moves the map to `target` by changing the URL: a new browser history entry."""
    if target == start:
        if "drill" in st.query_params:
            del st.query_params["drill"]
    else:
        st.query_params["drill"] = target.to_param()


def move(drawn: Drill, target: Drill) -> None:
    """A control drawn on level `drawn` moves the map to `target`. Streamlit may call a control's callback
    again, with its last value, on a run after the control has left the page: the URL then shows another
    level, and nothing moves (else every such call would be one more step for the browser's Back)."""
    if still_shown(drawn):
        set_drill(target)


def still_shown(drawn: Drill) -> bool:
    return Drill.from_param(st.query_params.get("drill"), f, country_region)[0] == drawn


if not valid:
    # Once: the link is corrected to the level shown (and the notice kept through the probe's rerun).
    place = country_names.get(drill.country or "", region_names.get(drill.region, t("World")))
    st.session_state["mer_map_notice"] = t("The map link pointed outside what you may see; showing {place} "
                                           "instead.", place=text.markdown(place))
    set_drill(drill)
elif not maps.probe_rerun():
    st.session_state.pop("mer_map_notice", None)
with st.container():  # in its place whether shown or not: the map below stays in its own (components.header)
    if st.session_state.get("mer_map_notice"):
        st.warning(st.session_state["mer_map_notice"])

view = drill.narrow(f)
if drill.city is not None:
    view = in_city(src, view, drill.city)

METRICS = {  # metric: (label with unit, unit of fmt.by_unit, scale, digits)
    "customers": (t("Active customers"), "count", "sequential", 0),
    "revenue": (t("Revenue ({currency})", currency=f.currency), "money", "sequential", 1),
    "growth": (t("Revenue growth (%)"), "percent", "diverging", 1),
    "nps": (t("NPS (−100 to 100)"), "score", "diverging", 0),
    "churn_rate": (t("Churn rate (%)"), "ratio", "sequential", 1),
    "partner_share": (t("Share through partners (%)"), "ratio", "sequential", 1),
}
assert set(METRICS) == set(MAP_METRICS)


def show(metric: str, value: float | None) -> str:
    _, unit, kind, digits = METRICS[metric]
    shown = fmt.by_unit(value, unit, f.lang, f.currency, digits)
    return fmt.signed(shown, value) if kind == "diverging" and value is not None else shown


if drill.city:
    title = country_names[drill.country] + " · " + city_name(drill.city)
elif drill.country:
    title = country_names[drill.country]
elif drill.region is not None:
    title = region_names[drill.region]
else:
    title = t("World map")
components.header(replace(ctx, filters=view), title)


def label_of(level: Drill) -> str:
    if level.city is not None:
        return city_name(level.city)
    if level.country is not None:
        return country_names[level.country]
    if level.region is not None:
        return region_names[level.region]
    return t("World")


components.breadcrumb([(label_of(level), lambda level=level: move(drill, level)) for level in drill.trail(start)])

# --- world and region: the map of countries -------------------------------------------------------
if drill.country is None:
    visible = f.visible_regions
    region_options = [r for r in region_names if visible is None or r in visible]
    if f.countries:
        region_options = [r for r in region_options if r in {country_region.get(c) for c in f.countries}]
    country_options = sorted((c for c, r in country_region.items() if r in region_options
                              and (drill.region is None or r == drill.region)
                              and (not f.countries or c in f.countries)), key=lambda c: country_names[c])
    metric = st.query_params.get("metric")
    metric = metric if metric in MAP_METRICS else MAP_METRICS[0]
    # The pickers show the level in the URL; choosing moves the URL. (0 and "" stand for none: a picker
    # whose value is None shows a placeholder instead of its option.)
    st.session_state["map_region"] = drill.region or 0
    st.session_state["map_country"] = ""
    st.session_state["map_metric"] = metric

    def region_chosen(drawn: Drill = drill) -> None:
        chosen = st.session_state["map_region"]
        move(drawn, Drill(chosen) if chosen else Drill())

    def country_chosen(drawn: Drill = drill) -> None:
        chosen = st.session_state["map_country"]
        if chosen:
            move(drawn, Drill(country_region[chosen], chosen))

    def metric_chosen(drawn: Drill = drill) -> None:
        if still_shown(drawn):
            st.query_params["metric"] = st.session_state["map_metric"]

    pick_region, pick_country, pick_metric = st.columns(3)
    pick_region.selectbox(t("Region"), [0, *region_options] if start.region is None else region_options,
                          format_func=lambda r: region_names[r] if r else t("All regions"),
                          key="map_region", on_change=region_chosen, disabled=start.region is not None)
    pick_country.selectbox(t("Open a country"), ["", *country_options], key="map_country",
                           format_func=lambda c: country_names[c] if c else t("Choose…"),
                           on_change=country_chosen)
    pick_metric.selectbox(t("Colour countries by"), MAP_METRICS, key="map_metric", on_change=metric_chosen,
                          format_func=lambda m: METRICS[m][0])

    with st.spinner(t("Computing the map…")):
        frame = cached(country_metrics)(src, view)
        cities = cached(city_points)(src, view)
    if frame.is_empty():
        components.empty_state(t, t("customers"))
        st.stop()
    shown = frame.with_columns(
        pl.col(metric).alias("value"), pl.col("name").alias("label"),
        pl.col(metric).map_elements(lambda v: show(metric, v), return_dtype=pl.String, skip_nulls=False)
        .alias("amount"))
    largest = max(float(cities["revenue"].max() or 0), 1.0)
    points = cities.with_columns(
        (2 + 12 * (pl.col("revenue") / largest).sqrt()).alias("radius"),
        pl.col("city").map_elements(city_name, return_dtype=pl.String, skip_nulls=False).alias("label"),
        pl.col("revenue").map_elements(lambda v: fmt.money(v, f.currency, f.lang), return_dtype=pl.String)
        .alias("amount"))
    map_key = f"map-{drill.to_param() or 'world'}"

    def map_clicked(drawn: Drill = drill) -> None:
        country = maps.picked(map_key, "countries")
        if country and country.get("iso2") in country_region:
            move(drawn, Drill(country_region[country["iso2"]], country["iso2"]))

    title_text, _, kind, _ = METRICS[metric]
    maps.draw("world-map", shown, maps.Scale.of(shown["value"].to_list(), kind), title_text,
              lambda v: show(metric, v), t("No data or not in view"), maps.bounds_of(frame["country_iso2"]),
              tallest=560, key=map_key, on_select=map_clicked, cities=points,
              city_metric=t("Revenue ({currency})", currency=f.currency))
    st.caption(t("Circles are cities sized by revenue. Click a country to open it. Places with fewer than {n} "
                 "customers are merged unless your role may see personal data.", n=MIN_CUSTOMERS_SHOWN))

    st.subheader(t("Market expansion"))
    ranking = expansion(frame)
    actions = {"invest": t("Invest"), "fix": t("Fix"), "hold": t("Hold")}
    nps = KPIS["nps"]
    money = components.number_column
    components.table(t, ranking.with_columns(
        pl.col("action").replace_strict(actions, default=fmt.MISSING),
        components.text_column("growth", lambda v: show("growth", v)),
        components.text_column("churn_rate", lambda v: fmt.percent(v, f.lang)),
        components.text_column("revenue", lambda v: fmt.money(v, f.currency, f.lang)),
        components.kpi_text(nps, f.lang)).drop("responses", "country_iso2", "revenue_per_customer"), {
        "name": t("Country"), "customers": st.column_config.NumberColumn(t("Active customers")),
        "per_million": st.column_config.NumberColumn(t("Per million people"), format="%.1f",
                                                     help=t("Active customers per million inhabitants.")),
        "revenue": money(t("Revenue ({currency})", currency=f.currency)),
        "growth": money(t("Revenue growth"), t("Against the comparison period; – without revenue then.")),
        "nps": components.kpi_column(nps, t),
        "churn_rate": components.kpi_column(KPIS["churn_rate"], t),
        "action": st.column_config.TextColumn(t("Action"), help=t("Suggested action"))}, key="expansion",
        fit=("name",))
    st.caption(t("Markets by revenue growth. Invest: revenue growing 15 %+ with NPS at least the median "
                 "market's. Fix: revenue falling, NPS below 0, or churn twice the median market's."))
    st.stop()

# --- market view: one country (and optionally one of its cities) --------------------------------
with st.spinner(t("Computing the market…")):
    components.kpi_tiles(replace(ctx, filters=view), nav.page("map").kpis)

country_view = Drill(drill.region, drill.country).narrow(f)
cities = cached(city_points)(src, country_view)
city_options = [c for c in cities["city"].to_list() if c]
st.session_state["map_city"] = drill.city if drill.city in city_options else ""


def city_chosen(drawn: Drill = drill) -> None:
    move(drawn, Drill(drawn.region, drawn.country, st.session_state["map_city"] or None))


map_col, versus_col = st.columns(maps.BESIDE)
with map_col:
    if city_options:
        st.selectbox(t("Open a city"), ["", *city_options], key="map_city", on_change=city_chosen,
                     format_func=lambda c: city_name(c) if c else t("All cities"))
    largest = max(float(cities["revenue"].max() or 0), 1.0) if cities.height else 1.0
    points = cities.with_columns(
        (3 + 14 * (pl.col("revenue") / largest).sqrt()).alias("radius"),
        pl.col("city").map_elements(city_name, return_dtype=pl.String, skip_nulls=False).alias("label"),
        pl.col("revenue").map_elements(lambda v: fmt.money(v, f.currency, f.lang), return_dtype=pl.String)
        .alias("amount"))
    here = points.filter(pl.col("city") == drill.city) if drill.city else points
    revenue_title = t("Revenue ({currency})", currency=f.currency)
    market = pl.DataFrame({"country_iso2": [drill.country], "label": [country_names[drill.country]],
                           "value": [float(cities["revenue"].sum())],
                           "amount": [fmt.money(float(cities["revenue"].sum()), f.currency, f.lang)]})
    city_key = f"map-{drill.to_param()}"

    def city_clicked(drawn: Drill = drill) -> None:
        place = maps.picked(city_key, "cities")
        if place and place.get("city") in city_options:
            move(drawn, Drill(drawn.region, drawn.country, place["city"]))

    bounds = maps.bounds_of([drill.country])
    if drill.city and here.height:
        lon, lat = float(here["lon"][0]), float(here["lat"][0])
        bounds = (lon - 2, lat - 2, lon + 2, lat + 2)
    maps.draw("market-map", market, maps.Scale.of(market["value"].to_list(), "sequential"), revenue_title,
              lambda v: fmt.money(v, f.currency, f.lang), t("No data or not in view"), bounds, tallest=420,
              key=city_key, on_select=city_clicked, cities=points, city_metric=revenue_title, share=maps.BESIDE)
    st.caption(t("Circles are cities sized by revenue; click one to open it."))

with versus_col:
    st.markdown("**" + t("This market against every market you may see") + "**")
    versus = cached(market_vs_world)(src, view)
    made = []
    for row in versus.iter_rows(named=True):
        kpi = KPIS[row["measure"]]
        made.append(tiles.Tile(kpi.key, t(kpi.label), fmt.by_unit(row["market"], kpi.unit, f.lang, f.currency,
                                                                    kpi.digits), t(kpi.definition),
                               note=t("world {value}", value=fmt.by_unit(row["world"], kpi.unit, f.lang,
                                                                          f.currency, kpi.digits))))
    st.html(tiles.tiles_html(made))
    st.caption(t("– where either rests on too few observations to show."))


def trends() -> None:
    left, right = st.columns(2)
    with left:
        revenue_trend = cached(kpis.monthly)(src, view, ("revenue",))
        components.chart(t, revenue_trend.filter(pl.col("value").is_not_null()), t("revenue"),
                         lambda _: charts.monthly_bars(revenue_trend, t("Revenue by month ({currency})",
                                                                        currency=f.currency), "money", f.lang,
                                                       f.currency))
    with right:
        new_trend = cached(kpis.monthly)(src, view, ("new_customers",))
        components.chart(t, new_trend.filter(pl.col("value").is_not_null()), t("new customers"),
                         lambda _: charts.monthly_bars(new_trend, t("New customers by month"), "count", f.lang))


def top_cities() -> None:
    if cities.is_empty():
        components.empty_state(t, t("customers"))
        return
    components.table(t, cities.head(15).with_columns(
        pl.col("city").map_elements(city_name, return_dtype=pl.String, skip_nulls=False)).select(
        "city", "customers", "revenue"), {
        "city": t("City"), "customers": st.column_config.NumberColumn(t("Customers")),
        "revenue": components.revenue_column(t, f.currency)}, key="cities")


def customer_mix() -> None:
    mixes = [*st.columns(2), *st.columns(2)]  # two a row: a share and its bar need the room
    for column, (field, label) in zip(mixes, [("segment", t("Segment")), ("industry", t("Industry")),
                                              ("preferred_channel", t("Channel")),
                                              ("preferred_language", t("Language"))], strict=True):
        frame = cached(mix)(src, view, field)
        column.markdown("**" + t("{what} mix", what=label) + "**")

        def name_of(value: str | None, field: str = field) -> str:
            if value is None:
                return fmt.MISSING
            if field == "preferred_language":
                return fmt.language_name(value, f.lang)
            return labels.label(value, t, f.lang)

        with column:
            if frame.is_empty():
                components.empty_state(t, t("customers"))
                continue
            components.table(t, frame.with_columns(
                pl.col(field).map_elements(name_of, return_dtype=pl.String, skip_nulls=False),
                pl.col("share") * 100).drop("customers"), {
                field: label, "share": st.column_config.ProgressColumn(t("Share"), format="%.0f%%", min_value=0,
                                                                       max_value=100)}, key=f"mix-{field}")


def top_customers_table() -> None:
    top = cached(top_customers)(src, view, 15)
    if top.is_empty():
        components.empty_state(t, t("orders"))
        return
    if not f.personal_data:
        st.caption(t("Personal data is masked for your role."))
    components.table(t, top.drop("country_iso2").with_columns(
        pl.col("city").map_elements(city_name, return_dtype=pl.String, skip_nulls=False),
        labels.labelled("segment", t, f.lang)), {
        "customer_id": st.column_config.NumberColumn(t("ID"), format="plain"), "name": t("Customer"),
        "city": t("City"), "segment": t("Segment"), "email": t("E-mail"),
        "orders": st.column_config.NumberColumn(t("Orders")),
        "revenue": components.revenue_column(t, f.currency)}, key="top-customers")


def reps_and_partners() -> None:
    people = cached(active_people)(src, view)
    reps_col, partners_col = st.columns(2)
    with reps_col:
        st.markdown("**" + t("Most active reps") + "**")
        reps = people.filter(pl.col("kind") == "rep").select("name", "count")
        if reps.is_empty():
            components.empty_state(t, t("rep interactions"))
        else:
            components.table(t, reps, {"name": t("Rep"),
                                       "count": st.column_config.NumberColumn(t("Interactions"))}, key="reps")
    with partners_col:
        st.markdown("**" + t("Top partners by sourced revenue") + "**")
        partners = people.filter(pl.col("kind") == "partner").select("name", "count", "revenue")
        if partners.is_empty():
            components.empty_state(t, t("partner activity"))
        else:
            components.table(t, partners, {
                "name": t("Partner"), "count": st.column_config.NumberColumn(t("Orders")),
                "revenue": components.revenue_column(t, f.currency)}, key="partners")


components.sections("market_section", {
    "trends": components.Section(t("Trends"), trends),
    # A city's view has no cities to rank.
    **({} if drill.city else {"cities": components.Section(t("Top cities by revenue"), top_cities)}),
    "mix": components.Section(t("Customer mix"), customer_mix),
    "customers": components.Section(t("Top customers by revenue"), top_customers_table),
    "people": components.Section(t("Reps and partners"), reps_and_partners),
})
