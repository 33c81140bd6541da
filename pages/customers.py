"""Customer base: lifecycle stages, new customers, and the customers that bring the most revenue."""

import polars as pl
import streamlit as st

from dashboard import charts, components, context
from dashboard.cache import cached
from queries.common import month_of
from queries.customers import LIFECYCLE_STAGES, lifecycle, new_customers_by, top_customers

ctx = context.require_page("customers")
t, f, src = ctx.t, ctx.filters, ctx.src
components.header(ctx, t("Customer base"))

STAGES = {"prospect": t("Prospect"), "first_purchase": t("First purchase"), "repeat": t("Repeat"),
          "loyal": t("Loyal"), "at_risk": t("At risk"), "churned": t("Churned")}
assert set(STAGES) == set(LIFECYCLE_STAGES)

with st.spinner(t("Computing the customer base…")):
    stages = cached(lifecycle)(src, f)
    year = f.last_months(12)
    new = cached(new_customers_by)(src, year, month_of("customers"))
left, right = st.columns(2)
with left:
    components.chart(t, stages.with_columns(pl.col("stage").replace_strict(STAGES)), t("customers"),
             lambda frame: charts.bars(frame, "stage", "customers", t("Lifecycle stage at the period's end"), f.lang))
with right:
    components.chart(t, new, t("new customers"),
             lambda frame: charts.bars(frame, "month", "new", t("New customers by month"), f.lang))

st.subheader(t("Top customers by revenue"))
top = cached(top_customers)(src, f)
if top.is_empty():
    components.empty_state(t, t("orders"))
else:
    if not f.personal_data:
        st.caption(t("Personal data is masked for your role."))
    st.dataframe(top.with_columns(pl.col("segment").map_elements(t, return_dtype=pl.String)), hide_index=True,
                 width="stretch", column_config={
                     "customer_id": t("ID"), "name": t("Customer"), "country_iso2": t("Country"), "city": t("City"),
                     "segment": t("Segment"), "email": t("E-mail"),
                     "revenue": components.revenue_column(t, f.currency),
                     "orders": t("Orders")})
