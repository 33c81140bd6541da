"""Customer base: lifecycle stages, new customers, and the customers that bring the most revenue."""

import polars as pl
import streamlit as st

from dashboard import charts, components, context, fmt, labels, nav
from dashboard.cache import cached
from queries import kpis, markets
from queries.customers import LIFECYCLE_STAGES, lifecycle, top_customers

ctx = context.require_page("customers")
t, f, src = ctx.t, ctx.filters, ctx.src
components.header(ctx, t("Customer base"))

STAGES = {"prospect": t("Prospect"), "first_purchase": t("First purchase"), "repeat": t("Repeat"),
          "loyal": t("Loyal"), "at_risk": t("At risk"), "churned": t("Churned")}
assert set(STAGES) == set(LIFECYCLE_STAGES)

with st.spinner(t("Computing the customer base…")):
    components.kpi_tiles(ctx, nav.page("customers").kpis)
    stages = cached(lifecycle)(src, f)
    new = cached(kpis.monthly)(src, f, ("new_customers",))
left, right = st.columns(2)
with left:
    components.chart(t, stages.filter(pl.col("customers") > 0), t("customers"), lambda _: charts.bars(
        stages.with_columns(pl.col("stage").replace_strict(STAGES)), "stage", "customers",
        t("Customers by lifecycle stage at the period's end"), f.lang))
with right:
    components.chart(t, new.filter(pl.col("value").is_not_null()), t("new customers"), lambda _: charts.monthly_bars(
        new, t("New customers by month"), "count", f.lang))

st.subheader(t("Top customers by revenue"))
top = cached(top_customers)(src, f)
if top.is_empty():
    components.empty_state(t, t("orders"))
else:
    if not f.personal_data:
        st.caption(t("Personal data is masked for your role."))
    names = cached(markets.countries)(src, f).select("country_iso2", pl.col("name").alias("country"))
    frame = (top.join(names, on="country_iso2", how="left")
             .with_columns(pl.col("country").fill_null(t(markets.UNKNOWN)),
                           labels.labelled("segment", t, f.lang), labels.labelled("city", t, f.lang),
                           pl.col("revenue").map_elements(lambda v: fmt.money(v, f.currency, f.lang),
                                                          return_dtype=pl.String)))
    components.table(t, frame.select("customer_id", "name", "country", "city", "segment", "email", "revenue",
                                     "orders"), {
        "customer_id": st.column_config.NumberColumn(t("ID"), format="plain", width="small"), "name": t("Customer"),
        "country": t("Country"), "city": t("City"), "segment": t("Segment"), "email": t("E-mail"),
        "revenue": components.number_column(t("Revenue ({currency})", currency=f.currency)),
        "orders": st.column_config.NumberColumn(t("Orders"), format="localized")},
        key="top_customers", export="top-customers", fit=("country", "city"))
