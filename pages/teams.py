"""Team performance: each team's actual against its target for the period, and service by region."""

import polars as pl
import streamlit as st

from dashboard import components, context, fmt, labels
from dashboard.cache import cached
from dashboard.settings import load
from queries import markets
from queries.kpis import KPIS
from queries.service import response_times_by, sla_attainment_by
from queries.targets import narrows_teams, target_attainment

ctx = context.require_page("teams")
t, f, src = ctx.t, ctx.filters, ctx.src
components.header(ctx, t("Team performance"))

STATUS = {"on_track": "🟢 " + t("On track"), "at_risk": "🟠 " + t("At risk"), "behind": "🔴 " + t("Behind")}

with st.spinner(t("Computing team numbers…")):
    targets = cached(target_attainment)(src, f)
st.subheader(t("Targets for the period"))
if narrows_teams(f):
    st.info(t("Targets are set per team for all of its customers. With a country, segment or channel filter the "
              "actuals cover only part of them, so targets and attainment are not shown; clear those filters "
              "to compare."))
if targets.is_empty():
    components.empty_state(t, t("targets"))
else:
    def shown(column: str) -> pl.Expr:
        return pl.struct("kpi", column).map_elements(
            lambda r: fmt.by_unit(r[column], KPIS[r["kpi"]].unit, f.lang, f.currency, KPIS[r["kpi"]].digits),
            return_dtype=pl.String).alias(column)

    table = targets.with_columns(
        labels.labelled("team", t, f.lang), labels.labelled("office", t, f.lang),
        pl.col("kpi").map_elements(lambda k: t(KPIS[k].label), return_dtype=pl.String).alias("metric"),
        shown("target"), shown("actual"), components.text_column("attainment", lambda v: fmt.percent(v, f.lang, 1)),
        pl.col("status").replace_strict(STATUS, default=fmt.MISSING))
    components.table(t, table.select("team", "office", "metric", "target", "actual", "attainment", "status"), {
        "team": t("Team"), "office": t("Office"), "metric": t("Metric"),
        "target": components.number_column(t("Target"), t("Prorated to the days of the period in each month.")),
        "actual": components.number_column(t("Actual")),
        "attainment": components.number_column(t("Attainment"), t("Actual over target; not given where lower "
                                                                  "is better: compare target and actual.")),
        "status": t("Status")}, key="targets", export="targets")
    thresholds = load().targets
    st.caption(t("Money in {currency}. Monthly targets are prorated to the days of the period in each month. On "
                 "track: at least {on_track} of target; at risk: at least {at_risk}; where lower is better, "
                 "target over actual is compared instead.", currency=f.currency,
                 on_track=fmt.percent(thresholds.on_track, f.lang, 0),
                 at_risk=fmt.percent(thresholds.at_risk, f.lang, 0)))

st.subheader(t("Service by region"))
times = cached(response_times_by)(src, f, "region_id")
sla = cached(sla_attainment_by)(src, f, "region_id")
if times.is_empty():
    components.empty_state(t, t("tickets"))
else:
    regions = cached(markets.regions)(src, f).select(pl.col("id").alias("region_id"), "name")
    frame = (times.join(sla, on="region_id", how="left").join(regions, on="region_id", how="left")
             .sort("region_id", nulls_last=True)
             .with_columns(pl.col("name").fill_null(markets.UNKNOWN).map_elements(t, return_dtype=pl.String)))
    columns = {"first_response_median_h": KPIS["first_response"], "first_response_p90_h": KPIS["first_response_p90"],
               "resolution_median_h": KPIS["resolution"], "sla_attainment": KPIS["sla_attainment"]}
    frame = frame.with_columns(components.kpi_text(kpi, f.lang) for kpi in columns.values())
    components.table(t, frame.select("name", "tickets", *columns), {
        "name": t("Region"), "tickets": st.column_config.NumberColumn(t("Tickets"), format="localized"),
        **{column: components.kpi_column(kpi, t) for column, kpi in columns.items()}},
        key="service")
