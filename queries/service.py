"""Service: response and resolution times and SLA attainment of tickets opened in the period."""

from __future__ import annotations

import polars as pl

from dashboard.filters import Filters
from dashboard.snapshot import Snapshot
from queries.common import rows

HOUR_US = 3_600_000_000


def _hours(later: str, earlier: str) -> pl.Expr:
    return (pl.col(later) - pl.col(earlier)).dt.total_microseconds() / HOUR_US


TIME_COLUMNS = ("tickets", "responded", "first_response_median_h", "first_response_p90_h", "resolved",
                "resolution_median_h", "resolution_p90_h")


def time_columns(wanted: tuple[str, ...] = TIME_COLUMNS) -> list[pl.Expr]:
    first = _hours("first_response_at", "opened_at")
    resolution = _hours("resolved_at", "opened_at")
    columns = {
        "tickets": pl.len().cast(pl.Int64),
        "responded": first.count().cast(pl.Int64),
        "first_response_median_h": first.median(),
        "first_response_p90_h": first.quantile(0.9, interpolation="linear"),
        "resolved": resolution.count().cast(pl.Int64),
        "resolution_median_h": resolution.median(),
        "resolution_p90_h": resolution.quantile(0.9, interpolation="linear"),
    }
    return [columns[name].alias(name) for name in wanted]


# The columns of each KPI family: a page showing first responses does not sort resolution times.
FIRST_RESPONSE = ("tickets", "responded", "first_response_median_h", "first_response_p90_h")
RESOLUTION = ("tickets", "resolved", "resolution_median_h", "resolution_p90_h")


def first_response_times(src: Snapshot, f: Filters) -> pl.DataFrame:
    """One row: the FIRST_RESPONSE columns of `response_times`."""
    return response_times(src, f, FIRST_RESPONSE)


def resolution_times(src: Snapshot, f: Filters) -> pl.DataFrame:
    """One row: the RESOLUTION columns of `response_times`."""
    return response_times(src, f, RESOLUTION)


def first_response_times_by(src: Snapshot, f: Filters, by: str | pl.Expr) -> pl.DataFrame:
    return response_times_by(src, f, by, FIRST_RESPONSE)


def resolution_times_by(src: Snapshot, f: Filters, by: str | pl.Expr) -> pl.DataFrame:
    return response_times_by(src, f, by, RESOLUTION)


def response_times(src: Snapshot, f: Filters, wanted: tuple[str, ...] = TIME_COLUMNS) -> pl.DataFrame:
    """One row: the `wanted` of tickets, responded, first_response_median_h, first_response_p90_h,
    resolved, resolution_median_h, resolution_p90_h (hours; unanswered or unresolved tickets are left
    out of the times they lack)."""
    return rows(src, f, "tickets").select(time_columns(wanted)).collect()


def response_times_by(src: Snapshot, f: Filters, by: str | pl.Expr,
                      wanted: tuple[str, ...] = TIME_COLUMNS) -> pl.DataFrame:
    """`by` and the `wanted` columns of `response_times` (all by default; percentiles are costly over
    millions of tickets), one row per value of `by`, sorted."""
    return rows(src, f, "tickets").group_by(by).agg(time_columns(wanted)).sort(pl.first()).collect()


def sla_columns(src: Snapshot) -> list[pl.Expr]:
    deadline = pl.col("opened_at") + pl.duration(hours=pl.col("sla_hours"))
    # A ticket counts once it is resolved or its deadline has passed at the data's as-of time (not the
    # wall clock, so the figure stands still while the data does). Tickets without an SLA do not count.
    due = pl.col("sla_hours").is_not_null() & (pl.col("resolved_at").is_not_null()
                                               | (deadline <= pl.lit(src.as_of)))
    met = due & pl.col("resolved_at").is_not_null() & (pl.col("resolved_at") <= deadline)
    return [due.sum().cast(pl.Int64).alias("due"), met.sum().cast(pl.Int64).alias("met")]


SLA = (pl.when(pl.col("due") > 0).then(pl.col("met") / pl.col("due"))).alias("sla_attainment")


def sla_attainment(src: Snapshot, f: Filters) -> pl.DataFrame:
    """One row: due, met, sla_attainment (0..1; null when no ticket is due)."""
    return rows(src, f, "tickets").select(sla_columns(src)).with_columns(SLA).collect()


def sla_attainment_by(src: Snapshot, f: Filters, by: str | pl.Expr) -> pl.DataFrame:
    """`by`, due, met, sla_attainment; one row per value of `by`, sorted."""
    return (rows(src, f, "tickets").group_by(by).agg(sla_columns(src)).with_columns(SLA)
            .sort(pl.first()).collect())
