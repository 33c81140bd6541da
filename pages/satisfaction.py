"""Satisfaction: NPS, CSAT and CES, their trend, and where customers are unhappy."""

import polars as pl
import streamlit as st

from dashboard import charts, components, context, labels, nav
from dashboard.cache import cached
from queries import kpis, markets
from queries.kpis import KPIS
from queries.satisfaction import csat_by, nps_by

ctx = context.require_page("satisfaction")
t, f, src = ctx.t, ctx.filters, ctx.src
components.header(ctx, t("Satisfaction"), money=False)

with st.spinner(t("Computing satisfaction…")):
    components.kpi_tiles(ctx, nav.page("satisfaction").kpis)
components.trend_caption(ctx)

nps_kpi, csat_kpi = KPIS["nps"], KPIS["csat"]
left, right = st.columns(2)
with left:
    trend = cached(kpis.monthly)(src, f, ("nps",))
    components.chart(t, trend.filter(pl.col("sample") > 0), t("NPS responses"), lambda _: charts.monthly_line(
        trend, t("NPS by month (−100 to 100)"), nps_kpi.unit, f.lang, y_range=(-100, 100), digits=0))
    st.caption(t("Months with fewer than {n} responses are left out.", n=nps_kpi.min_sample))
by_channel = cached(csat_by)(src, f, "channel").with_columns(
    labels.labelled("channel", t, f.lang), csat_kpi.shown()).filter(pl.col("csat").is_not_null())
with right:
    components.chart(t, by_channel, t("CSAT responses"), lambda frame: charts.bars(
        frame, "channel", "csat", t("CSAT by channel (% satisfied)"), f.lang, unit=csat_kpi.unit))

st.subheader(t("NPS by country"))
by_country = cached(nps_by)(src, f, "country_iso2")
if by_country.is_empty():
    components.empty_state(t, t("NPS responses"))
else:
    names = cached(markets.countries)(src, f).select("country_iso2", "name")
    frame = (by_country.join(names, on="country_iso2", how="left")
             .with_columns(pl.col("name").fill_null(t(markets.UNKNOWN)))
             .sort(nps_kpi.shown(), "responses", descending=True, nulls_last=True)
             .with_columns(components.kpi_text(nps_kpi, f.lang))
             .select("name", "responses", "promoters", "passives", "detractors", "nps"))
    count = st.column_config.NumberColumn
    components.table(t, frame, {
        "name": t("Country"), "responses": count(t("Responses"), format="localized"),
        "promoters": count(t("Promoters"), format="localized"), "passives": count(t("Passives"), format="localized"),
        "detractors": count(t("Detractors"), format="localized"),
        "nps": components.kpi_column(nps_kpi, t),
    }, key="nps_by_country", export="nps-by-country")
