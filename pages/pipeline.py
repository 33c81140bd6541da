"""Sales pipeline: open deals by stage, and won deals by rep, team, manager, office, country or segment."""

import polars as pl
import streamlit as st

from dashboard import charts, components, context, fmt, labels, nav
from dashboard.cache import cached
from queries import markets
from queries.kpis import KPIS
from queries.pipeline import deals_by, pipeline_by_stage
from queries.revenue import revenue_by

ctx = context.require_page("pipeline")
t, f, src = ctx.t, ctx.filters, ctx.src
components.header(ctx, t("Sales pipeline"))

with st.spinner(t("Computing the pipeline…")):
    components.kpi_tiles(ctx, nav.page("pipeline").kpis)
components.trend_caption(ctx)

left, right = st.columns(2)
stages = cached(pipeline_by_stage)(src, f).with_columns(labels.labelled("stage", t, f.lang))
with left:
    components.chart(t, stages.filter(pl.col("open_deals") > 0), t("open deals"), lambda _: charts.bars(
        stages, "stage", "pipeline", t("Open pipeline by stage at the period's end ({currency})", currency=f.currency),
        f.lang, unit="money", currency=f.currency))
    st.caption(t("Weighted by stage: {weighted} of {total}.",
                 weighted=fmt.money(stages["weighted_pipeline"].sum(), f.currency, f.lang),
                 total=fmt.money(stages["pipeline"].sum(), f.currency, f.lang)))
# Deals carry no product line: this is the revenue of every won order, a larger sum than the won deals'.
products = cached(revenue_by)(src, f, "product_line").sort("revenue", descending=True, nulls_last=True)
with right:
    components.chart(t, products, t("won orders"), lambda frame: charts.bars(
        frame.with_columns(labels.labelled("product_line", t, f.lang)), "product_line", "revenue",
        t("Revenue by product line, all won orders ({currency})", currency=f.currency), f.lang, unit="money",
        currency=f.currency, horizontal=True))
    if not products.is_empty():
        st.caption(t("Every order won in the period, {total} in all, as in the {revenue} KPI: reorders and purchases "
                     "made without a deal included. {won_value} counts only the deals won in the pipeline, which "
                     "carry no product line.", total=fmt.money(products["revenue"].sum(), f.currency, f.lang),
                     revenue=t(KPIS["revenue"].label), won_value=t(KPIS["won_value"].label)))

DIMENSION_LABELS = {"rep_id": t("Rep"), "team_id": t("Team"), "manager": t("Manager"), "office": t("Office"),
                    "country_iso2": t("Country"), "segment": t("Segment")}
MEASURES = {"won_value": KPIS["won_value"], "win_rate": KPIS["win_rate"], "deal_size": KPIS["deal_size"],
            "deal_cycle_days": KPIS["deal_cycle"]}
# The heading names the breakdown chosen below it.
heading = st.empty()
pick, order = st.columns(2)
dimension = pick.selectbox(t("Break down by"), list(DIMENSION_LABELS), format_func=DIMENSION_LABELS.__getitem__,
                           key="pipeline_dimension")
heading.subheader(t("Deals won and lost by {dimension}", dimension=DIMENSION_LABELS[dimension].lower()))
measure = order.selectbox(t("Sort by"), list(MEASURES), format_func=lambda m: t(MEASURES[m].label),
                          key="pipeline_sort")
frame = cached(deals_by)(src, f, dimension)
if frame.is_empty():
    components.empty_state(t, t("closed deals"))
else:
    kpi = MEASURES[measure]
    # Sorted by the measure; values resting on too few deals go last, unranked.
    frame = frame.sort(kpi.shown(), descending=kpi.better != "lower", nulls_last=True)
    if dimension == "country_iso2":
        names = cached(markets.countries)(src, f).select("country_iso2", pl.col("name").alias("country"))
        frame = frame.join(names, on="country_iso2", how="left").with_columns(
            pl.col("country").fill_null(t(markets.UNKNOWN)).alias("name"))
    shown = frame.with_columns(
        labels.labelled("name", t, f.lang),
        *(components.kpi_text(kpi, f.lang, f.currency) for kpi in MEASURES.values()))
    count = st.column_config.NumberColumn
    components.table(t, shown.select("name", "closed", "won", "win_rate", "won_value", "deal_size",
                                     "deal_cycle_days"), {
        "name": DIMENSION_LABELS[dimension], "closed": count(t("Closed deals"), format="localized"),
        "won": count(t("Won"), format="localized"),
        **{column: components.kpi_column(kpi, t) for column, kpi in MEASURES.items()}}, key="deals_by",
        export="won-deals")
    st.caption(t("Deals closed in the period, by the rep who owns them and that rep's team; money in {currency}.",
                 currency=f.currency))
