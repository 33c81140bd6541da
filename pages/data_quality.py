"""Data quality and compliance: gaps in customer records, consent, data subject requests."""

import polars as pl
import streamlit as st

from dashboard import components, context, fmt
from dashboard.cache import cached
from queries.quality import customer_quality, data_requests

ctx = context.require_page("data_quality")
t, f, src = ctx.t, ctx.filters, ctx.src
components.header(ctx, t("Data quality & compliance"))

CHECKS = {"missing_email": (t("Missing e-mail"), t("Customers without an e-mail address.")),
          "unknown_country": (t("Unknown country code"), t("Country codes that are not a served country.")),
          "stale": (t("Stale records"), t("Not updated for two years.")),
          "duplicate": (t("Likely duplicates"), t("Same name and e-mail as an older customer record.")),
          "no_consent_marketing": (t("No marketing consent"), t("E-mail marketing consent not given."))}

with st.spinner(t("Checking the data…")):
    quality = cached(customer_quality)(src, f)
    requests = cached(data_requests)(src, f)
columns = st.columns(len(CHECKS))
for column, row in zip(columns, quality.iter_rows(named=True), strict=True):
    label, help_text = CHECKS[row["check"]]
    components.kpi_tile(column, label, f"{fmt.count(row['affected'], f.lang)} · {fmt.percent(row['share'], f.lang)}",
                None, help_text)
st.caption(t("Records affected and their share of the {n} customer records in view.",
             n=fmt.count(quality["records"][0], f.lang)))

st.subheader(t("Data subject requests received in the period"))
if requests.is_empty():
    components.empty_state(t, t("data subject requests"))
else:
    st.dataframe(requests.with_columns(pl.col("median_days").round(1)), hide_index=True, width="stretch",
                 column_config={"regime": t("Regime"), "received": t("Received"), "closed": t("Closed"),
                                "open": t("Open"), "overdue": t("Overdue"), "closed_late": t("Closed late"),
                                "median_days": t("Median days to close")})
