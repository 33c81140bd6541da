"""Executive overview: headline KPIs with deltas and trends, revenue map, rising and falling markets."""

import streamlit as st

from dashboard import charts, components, context, fmt, maps
from dashboard.cache import cached
from queries import markets
from queries.overview import LOWER_IS_BETTER, headline_kpis, market_movers, monthly_trends
from queries.revenue import revenue_by_country
from queries.satisfaction import MIN_RESPONSES

ctx = context.require_page("overview")
t, f, src = ctx.t, ctx.filters, ctx.src
components.header(ctx, t("Executive overview"))

LABELS = {
    "revenue": (t("Revenue"), t("Won orders, converted at the rate of each order's date.")),
    "active_customers": (t("Active customers"), t("Customers with an order or interaction in the 12 months "
                                                  "up to the period's end.")),
    "new_customers": (t("New customers"), t("Customers created in the period.")),
    "nps": (t("NPS"), t("% promoters (9–10) minus % detractors (0–6), −100 to 100.")),
    "csat": (t("CSAT"), t("Share of CSAT responses scoring 4 or 5 out of 5.")),
    "first_response": (t("Median first response"), t("Median time from a ticket's opening to the first "
                                                      "response, tickets opened in the period.")),
    "sla_attainment": (t("SLA attainment"), t("Share of due tickets resolved within their SLA hours.")),
    "churn_rate": (t("Churn rate"), t("Customers active at the period's start and no longer active at its "
                                      "end, over those active at the start.")),
    "active_partners": (t("Active partners"), t("Partners with at least one sourced won order in the "
                                                 "period.")),
}
TREND_COLUMN = {"revenue": "revenue", "new_customers": "new_customers", "nps": "nps", "csat": "csat",
                "first_response": "first_response_median_h", "sla_attainment": "sla_attainment"}


with st.spinner(t("Computing the overview…")):
    kpis = cached(headline_kpis)(src, f)
    trends = cached(monthly_trends)(src, f)

rows = [kpis.head(5), kpis.slice(5)]
for part in rows:
    columns = st.columns(5)
    for column, kpi in zip(columns, part.iter_rows(named=True), strict=False):
        label, help_text = LABELS[kpi["kpi"]]
        value = kpi["value"]
        shown = components.format_kpi(value, kpi["unit"], f)
        if kpi["responses"] is not None:
            if kpi["responses"] < MIN_RESPONSES:
                shown = t("Too few responses")
            help_text += " " + t("{n} responses.", n=fmt.count(kpi["responses"], f.lang))
        trend = trends[TREND_COLUMN[kpi["kpi"]]].to_list() if kpi["kpi"] in TREND_COLUMN else None
        change = components.format_change(value, kpi["previous"], kpi["unit"], f, t)
        components.kpi_tile(column, label, shown, change, help_text, trend,
                    lower_is_better=kpi["kpi"] in LOWER_IS_BETTER, height=components.TILE_HEIGHT)

st.caption(t("Trend lines show the last 12 months. Deltas compare with the comparison period."))

left, right = st.columns([3, 2])
by_country = cached(revenue_by_country)(src, f)
with left:
    if by_country.is_empty():
        components.empty_state(t, t("revenue"))
    else:
        countries = cached(markets.countries)(src, f)
        st.pydeck_chart(maps.revenue_map(by_country.join(countries, on="country_iso2"), f.currency, f.lang),
                        height=380)
        st.caption(t("Revenue by country ({currency}); darker is more.", currency=f.currency))
with right:
    components.chart(t, trends, t("revenue"), lambda frame: charts.revenue_trend(frame, f.currency, f.lang))

movers = cached(market_movers)(src, f)
rising, falling = st.columns(2)
with rising:
    components.chart(t, movers.filter(movers["change"] > 0).head(5), t("rising markets"),
             lambda frame: charts.movers(frame, f.currency, f.lang, t("Top rising markets")))
with falling:
    components.chart(t, movers.filter(movers["change"] < 0).sort("change").head(5), t("falling markets"),
             lambda frame: charts.movers(frame, f.currency, f.lang, t("Top falling markets")))
