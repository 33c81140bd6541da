"""The executive overview: headline KPIs with their comparison, monthly trends, rising and falling markets.

Composes the metric functions; defines none of its own.
"""

from __future__ import annotations

import polars as pl

from dashboard.filters import Filters
from dashboard.snapshot import Snapshot
from queries import customers, markets, partners, revenue, satisfaction, service
from queries.common import month_of

# kpi name -> (function, column, unit); the unit drives formatting and whether lower is better.
HEADLINE: dict[str, tuple] = {
    "revenue": (revenue.revenue, "revenue", "money"),
    "active_customers": (customers.active_customers, "active", "count"),
    "new_customers": (customers.new_customers, "new", "count"),
    "nps": (satisfaction.nps, "nps", "score"),
    "csat": (satisfaction.csat, "csat", "percent"),
    "first_response": (service.response_times, "first_response_median_h", "hours"),
    "sla_attainment": (service.sla_attainment, "sla_attainment", "ratio"),
    "churn_rate": (customers.churn, "churn_rate", "ratio"),
    "active_partners": (partners.active_partners, "active_partners", "count"),
}
LOWER_IS_BETTER = {"first_response", "churn_rate"}


def headline_kpis(src: Snapshot, f: Filters) -> pl.DataFrame:
    """kpi, value, previous (same KPI over the comparison period), unit, responses (NPS and CSAT only)."""
    previous_f = f.comparison()
    records = []
    for kpi, (function, column, unit) in HEADLINE.items():
        now, before = function(src, f), function(src, previous_f)
        records.append({
            "kpi": kpi, "value": _float(now[column][0]), "previous": _float(before[column][0]),
            "unit": unit,
            "responses": int(now["responses"][0]) if "responses" in now.columns else None,
        })
    return pl.DataFrame(records, schema={"kpi": pl.String, "value": pl.Float64, "previous": pl.Float64,
                                         "unit": pl.String, "responses": pl.Int64})


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def monthly_trends(src: Snapshot, f: Filters, months: int = 12) -> pl.DataFrame:
    """month, revenue, new_customers, nps, csat, first_response_median_h, sla_attainment for the
    `months` calendar months up to the period's end (the last one possibly partial); a month
    without data has nulls."""
    window = f.last_months(months)
    calendar = pl.DataFrame({"month": pl.date_range(window.start, window.end, "1mo", eager=True)})
    parts = [
        revenue.revenue_by(src, window, month_of("orders")).select("month", "revenue"),
        customers.new_customers_by(src, window, month_of("customers")).select(
            "month", pl.col("new").alias("new_customers")),
        satisfaction.nps_by(src, window, month_of("surveys")).select("month", "nps"),
        satisfaction.csat_by(src, window, month_of("surveys")).select("month", "csat"),
        service.response_times_by(src, window, month_of("tickets"), ("first_response_median_h",)),
        service.sla_attainment_by(src, window, month_of("tickets")).select("month", "sla_attainment"),
    ]
    for part in parts:
        calendar = calendar.join(part, on="month", how="left")
    return calendar


def market_movers(src: Snapshot, f: Filters) -> pl.DataFrame:
    """country_iso2, name, revenue, previous (comparison period), change, change_pct (null where the
    market had no revenue before). Sorted by change, largest rise first."""
    now = revenue.revenue_by_country(src, f).select("country_iso2", "revenue")
    before = revenue.revenue_by_country(src, f.comparison()).select(
        "country_iso2", pl.col("revenue").alias("previous"))
    names = markets.countries(src, f).select("country_iso2", "name")
    return (now.join(before, on="country_iso2", how="full", coalesce=True)
            .with_columns(pl.col("revenue", "previous").fill_null(0.0))
            .with_columns((pl.col("revenue") - pl.col("previous")).alias("change"),
                          pl.when(pl.col("previous") > 0)
                          .then(100 * (pl.col("revenue") / pl.col("previous") - 1)).alias("change_pct"))
            .join(names, on="country_iso2", how="left")
            .select("country_iso2", "name", "revenue", "previous", "change", "change_pct")
            .sort("change", "country_iso2", descending=[True, False]))
