"""Satisfaction: NPS, CSAT and CES, their trend, and where customers are unhappy."""

import polars as pl
import streamlit as st

from dashboard import charts, components, context, fmt
from dashboard.cache import cached
from queries import markets
from queries.common import month_of
from queries.satisfaction import MIN_RESPONSES, ces, csat, csat_by, nps, nps_by

ctx = context.require_page("satisfaction")
t, f, src = ctx.t, ctx.filters, ctx.src
components.header(ctx, t("Satisfaction"))


def score(value: float | None, responses: int, digits: int = 1) -> str:
    return t("Too few responses") if responses < MIN_RESPONSES else fmt.decimal(value, f.lang, digits)


with st.spinner(t("Computing satisfaction…")):
    now_nps, now_csat, now_ces = cached(nps)(src, f), cached(csat)(src, f), cached(ces)(src, f)
a, b, c = st.columns(3)
components.kpi_tile(a, t("NPS"), score(now_nps["nps"][0], now_nps["responses"][0]), None,
            t("{n} responses.", n=fmt.count(now_nps["responses"][0], f.lang)))
components.kpi_tile(b, t("CSAT"), t("Too few responses") if now_csat["responses"][0] < MIN_RESPONSES
            else fmt.percent((now_csat["csat"][0] or 0) / 100, f.lang), None,
            t("{n} responses.", n=fmt.count(now_csat["responses"][0], f.lang)))
components.kpi_tile(c, t("Customer effort (CES)"), score(now_ces["ces"][0], now_ces["responses"][0], 2), None,
            t("Mean effort score, 1 (easy) to 7 (hard); lower is better.") + " "
            + t("{n} responses.", n=fmt.count(now_ces["responses"][0], f.lang)), lower_is_better=True)

window = f.last_months(12)
left, right = st.columns(2)
trend = cached(nps_by)(src, window, month_of("surveys"))
with left:
    components.chart(t, trend, t("NPS responses"),
             lambda frame: charts.line(frame, "month", "nps", t("NPS by month, last 12 months"), f.lang))
by_channel = cached(csat_by)(src, f, "channel").with_columns(
    pl.col("channel").map_elements(t, return_dtype=pl.String))
with right:
    components.chart(t, by_channel, t("CSAT responses"),
             lambda frame: charts.bars(frame, "channel", "csat", t("CSAT by channel (%)"), f.lang))

st.subheader(t("NPS by country"))
by_country = cached(nps_by)(src, f, "country_iso2")
if by_country.is_empty():
    components.empty_state(t, t("NPS responses"))
else:
    names = cached(markets.countries)(src, f).select("country_iso2", "name")
    table = (by_country.join(names, on="country_iso2", how="left")
             .sort(pl.when(pl.col("responses") >= MIN_RESPONSES).then(pl.col("nps")), descending=True,
                   nulls_last=True)
             .with_columns(components.nps_text(t, f.lang))
             .select("name", "responses", "promoters", "passives", "detractors", "nps"))
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "name": t("Country"), "responses": t("Responses"), "promoters": t("Promoters"),
        "passives": t("Passives"), "detractors": t("Detractors"),
        "nps": st.column_config.TextColumn(t("NPS"), help=t("Empty where fewer than {n} responses.",
                                                            n=MIN_RESPONSES)),
    })
