"""Team performance: targets, response and resolution times, SLA — made for a shared screen."""

import polars as pl
import streamlit as st

from dashboard import components, context, fmt
from dashboard.cache import cached
from queries import markets
from queries.service import response_times_by, sla_attainment_by
from queries.targets import target_attainment

ctx = context.require_page("teams")
t, f, src = ctx.t, ctx.filters, ctx.src
components.header(ctx, t("Team performance"))

METRICS = {"revenue_usd": t("Revenue (USD)"), "new_customers": t("New customers"),
           "sla_attainment": t("SLA attainment"), "first_response_median_hours": t("Median first response (h)")}

with st.spinner(t("Computing team numbers…")):
    targets = cached(target_attainment)(src, f)
st.subheader(t("Targets this period"))
if targets.is_empty():
    components.empty_state(t, t("targets"))
else:
    st.dataframe(
        targets.with_columns(pl.col("metric").replace_strict(METRICS, default=pl.col("metric")),
                             (pl.col("attainment") * 100).alias("attainment")).drop("team_id", "kind"),
        hide_index=True, width="stretch",
        column_config={
            "team": t("Team"), "metric": t("Metric"),
            "target": st.column_config.NumberColumn(t("Target"), format="compact"),
            "actual": st.column_config.NumberColumn(t("Actual"), format="compact"),
            "attainment": st.column_config.ProgressColumn(t("Attainment"), format="%.0f%%", min_value=0,
                                                          max_value=150),
        })
    st.caption(t("Attainment is actual over target; for response time, where lower is better, target over actual."))

st.subheader(t("Service by region"))
times = cached(response_times_by)(src, f, "region_id")
sla = cached(sla_attainment_by)(src, f, "region_id")
if times.is_empty():
    components.empty_state(t, t("tickets"))
else:
    regions = cached(markets.regions)(src, f).select(pl.col("id").alias("region_id"), "name")
    table = (times.join(sla, on="region_id", how="left").join(regions, on="region_id", how="left")
             .sort("region_id", nulls_last=True))
    cols = st.columns(max(table.height, 1))
    for column, row in zip(cols, table.iter_rows(named=True), strict=False):
        column.metric(t(row["name"] or "Unknown country"), fmt.hours(row["first_response_median_h"], f.lang),
                      help=t("Median first response"), border=True)
        column.caption(t("p90 {p90} · resolution median {median} · SLA {sla}",
                         p90=fmt.hours(row["first_response_p90_h"], f.lang),
                         median=fmt.hours(row["resolution_median_h"], f.lang),
                         sla=fmt.percent(row["sla_attainment"], f.lang)))
