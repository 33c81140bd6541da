"""Targets: actual against target for the same team and month."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.filters import Filters
from dashboard.snapshot import Snapshot
from queries.common import between, rows
from queries.service import SLA, sla_columns


def _months(f: Filters) -> tuple[dt.date, dt.datetime]:
    """Months touched by the period: from the first day of the start's month to the period's end."""
    return f.start.replace(day=1), f.end_ts


def target_attainment(src: Snapshot, f: Filters) -> pl.DataFrame:
    """team_id, team, kind, metric, target, actual, attainment (actual / target; for response time,
    where lower is better, target / actual). Summed (revenue, new customers) or averaged (rates)
    over the months the period touches; the actual counts the whole of each month up to the
    period's end. Revenue targets are in USD."""
    first_month, end = _months(f)
    window = f.with_window(first_month, f.end)
    teams = src.scan("teams").select(pl.col("id").alias("team_id"), pl.col("name").alias("team"), "kind",
                                     "region_id")
    regions = f.visible_regions
    if regions is not None:
        teams = teams.filter(pl.col("region_id").is_in(regions))
    reps = src.scan("reps").select(pl.col("id").alias("rep_id"), "team_id")
    targets = (src.scan("targets").filter((pl.col("scope_kind") == "team")
                                          & pl.col("period").is_between(first_month, f.end))
               .group_by(pl.col("scope_id").alias("team_id"), "metric")
               .agg(pl.when(pl.col("metric").is_in(["revenue_usd", "new_customers"]))
                    .then(pl.col("value").sum()).otherwise(pl.col("value").mean()).first().alias("target")))
    revenue = (rows(src, window, "orders").filter(pl.col("status") == "won")
               .join(reps, on="rep_id").group_by("team_id")
               .agg(pl.col("amount_usd").sum().alias("actual")).with_columns(metric=pl.lit("revenue_usd")))
    new = (rows(src, window, "customers").join(reps, left_on="owner_rep_id", right_on="rep_id")
           .group_by("team_id").agg(pl.len().cast(pl.Float64).alias("actual"))
           .with_columns(metric=pl.lit("new_customers")))
    tickets = rows(src, window, "tickets").filter(between("opened_at", window.start_ts, end)).join(
        reps, on="rep_id")
    sla = (tickets.group_by("team_id").agg(sla_columns(src)).with_columns(SLA)
           .select("team_id", pl.col("sla_attainment").alias("actual"), metric=pl.lit("sla_attainment")))
    response = (tickets.group_by("team_id")
                .agg(((pl.col("first_response_at") - pl.col("opened_at")).dt.total_microseconds()
                      / 3_600_000_000).median().alias("actual"))
                .with_columns(metric=pl.lit("first_response_median_hours")))
    actuals = pl.concat([a.select("team_id", "metric", pl.col("actual").cast(pl.Float64))
                         for a in (revenue, new, sla, response)])
    lower_is_better = pl.col("metric") == "first_response_median_hours"
    return (teams.join(targets, on="team_id").join(actuals, on=["team_id", "metric"], how="left")
            .with_columns(pl.when(lower_is_better).then(pl.col("target") / pl.col("actual"))
                          .otherwise(pl.col("actual") / pl.col("target")).alias("attainment"))
            .select("team_id", "team", "kind", "metric", "target", "actual", "attainment")
            .sort("team_id", "metric").collect())
