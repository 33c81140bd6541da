"""World map of the business: countries coloured by a chosen metric."""

import streamlit as st

from dashboard import maps, ui
from queries import markets
from queries.revenue import revenue_by_country

ctx = ui.require_page("map")
t, f, src = ctx.t, ctx.filters, ctx.src
ui.header(ctx, t("World map"))

with st.spinner(t("Computing the map…")):
    by_country = ui.cached(revenue_by_country)(src, f)
    countries = ui.cached(markets.countries)(src, f)
if by_country.is_empty():
    ui.empty_state(t, t("revenue"))
else:
    frame = by_country.join(countries, on="country_iso2", how="left")
    st.pydeck_chart(maps.revenue_map(frame, f.currency, f.lang), height=560)
    st.caption(t("Revenue by country ({currency}); darker is more.", currency=f.currency))
    st.dataframe(frame.select("name", "revenue", "orders", "customers").sort("revenue", descending=True),
                 hide_index=True, width="stretch", column_config={
                     "name": t("Country"),
                     "revenue": st.column_config.NumberColumn(t("Revenue ({currency})", currency=f.currency),
                                                              format="%.0f"),
                     "orders": t("Orders"), "customers": t("Customers")})
