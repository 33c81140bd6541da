"""Targets: each team's actual against its target for exactly the period.

Targets are set per team and calendar month. For a period they are prorated: a month counts with
the share of its days that fall in the period (10 days of a 30-day month: a third of its target).
Totals (revenue, new customers) are the sum of the prorated months; rates and times (SLA attainment,
median first response) the day-weighted mean of the months. The actual is the registry KPI over the
same days, for the team's reps — so a team's "new customers" equals the same count anywhere else.

A target covers all of a team's customers. Under a country, segment or channel filter the actual
would cover only part of them, so no target, attainment or status is given (`comparable` is false);
regions choose which teams are shown.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import replace

import polars as pl

from dashboard.filters import Filters
from dashboard.settings import load
from dashboard.snapshot import Snapshot
from queries import customers, organisation, revenue, service
from queries.common import months, reporting_rate, rows

# target metric (as stored in `targets.metric`) -> (registry KPI it is measured by, how months combine)
TARGET_METRICS: dict[str, tuple[str, str]] = {
    "revenue_usd": ("revenue", "sum"),
    "new_customers": ("new_customers", "sum"),
    "sla_attainment": ("sla_attainment", "mean"),
    "first_response_median_hours": ("first_response", "mean"),
}
LOWER_IS_BETTER = {"first_response_median_hours"}
STATUSES = ("on_track", "at_risk", "behind")


def month_to_date(f: Filters) -> Filters:
    """The month of the period's end, from its first day to the period's end."""
    return replace(f, start=f.end.replace(day=1), preset="month_to_date")


def narrows_teams(f: Filters) -> bool:
    """The filters cut inside a team's customers, so its actual no longer matches its target."""
    return bool(f.countries or f.segments or f.channels)


def month_weights(f: Filters) -> pl.DataFrame:
    """period (the month's first day), days (of the period in that month), weight (days ÷ days of the
    month) — for every month the period touches."""
    records = []
    for first in months(f):
        length = calendar.monthrange(first.year, first.month)[1]
        last = first.replace(day=length)
        days = (min(last, f.end) - max(first, f.start)).days + 1
        records.append({"period": first, "days": days, "weight": days / length})
    return pl.DataFrame(records, schema={"period": pl.Date, "days": pl.Int64, "weight": pl.Float64})


def teams_in_view(src: Snapshot, f: Filters) -> pl.LazyFrame:
    """team_id, team, kind, office, manager, region_id — the teams of the regions, teams and offices in
    view."""
    return organisation.teams(src, f).lazy().rename({"name": "team"})


def _targets_by_month(src: Snapshot, f: Filters) -> pl.LazyFrame:
    """scope_id (the team), metric, period, value, days, weight — each month's target of each team in
    view, for the months the period touches; revenue in the reporting currency at the month's mean rate
    over its days in the period."""
    weights = month_weights(f).lazy()
    monthly = (src.scan("targets").filter(pl.col("scope_kind") == "team")
               .join(teams_in_view(src, f).select(pl.col("team_id").alias("scope_id")), on="scope_id", how="semi")
               .join(weights, on="period", how="inner"))
    if f.currency != "USD":
        # Each day's rate is the latest on or before it; a month's rate is the mean over its days in
        # the period.
        days = pl.LazyFrame({"date": pl.date_range(f.start, f.end, eager=True)})
        rates = (days.join_asof(reporting_rate(src, f.currency), on="date", strategy="backward")
                 .group_by(pl.col("date").dt.truncate("1mo").alias("period"))
                 .agg(pl.col("usd_per_unit").mean()))
        monthly = (monthly.join(rates, on="period", how="left")
                   .with_columns(pl.when(pl.col("metric") == "revenue_usd")
                                 .then(pl.col("value") / pl.col("usd_per_unit")).otherwise(pl.col("value"))
                                 .alias("value")))
    return monthly


SUMMED = pl.col("metric").is_in([m for m, (_, how) in TARGET_METRICS.items() if how == "sum"])


def prorated_targets(src: Snapshot, f: Filters) -> pl.LazyFrame:
    """team_id, metric, target — the target of each team in view for exactly the period (see the
    module docstring); revenue in the reporting currency at each month's mean rate over its days in
    the period."""
    return (_targets_by_month(src, f).group_by(pl.col("scope_id").alias("team_id"), "metric")
            .agg(pl.when(SUMMED.first()).then((pl.col("value") * pl.col("weight")).sum())
                 .otherwise((pl.col("value") * pl.col("days")).sum() / pl.col("days").sum()).alias("target"))
            .sort("team_id", "metric"))


def monthly_targets(src: Snapshot, f: Filters) -> pl.DataFrame:
    """month, team_id, metric, kpi (the registry key), target — each team's target for each month the
    period touches, prorated to the period's days in that month like `prorated_targets` (a month to date
    has the share of its target that its days bring; rates and times keep the month's own)."""
    keys = {m: k for m, (k, _) in TARGET_METRICS.items()}
    return (_targets_by_month(src, f)
            .select(pl.col("period").alias("month"), pl.col("scope_id").alias("team_id"), "metric",
                    pl.col("metric").replace_strict(keys, default=None).alias("kpi"),
                    pl.when(SUMMED).then(pl.col("value") * pl.col("weight")).otherwise(pl.col("value"))
                    .alias("target"))
            .sort("month", "team_id", "metric").collect())


def team_actuals(src: Snapshot, f: Filters, metrics: tuple[str, ...] = tuple(TARGET_METRICS)) -> pl.LazyFrame:
    """team_id, metric, actual — the registry KPIs of each team's reps over the period, for every
    customer of theirs the viewer may see (geography filters left aside: see `narrows_teams`), for
    the target `metrics`."""
    whole = replace(f, regions=(), countries=(), segments=(), channels=())
    reps = src.scan("reps").select(pl.col("id").alias("rep_id"), "team_id")
    tickets = rows(src, whole, "tickets").join(reps, on="rep_id")
    actuals: dict[str, Callable[[], pl.LazyFrame]] = {
        "revenue_usd": lambda: (revenue.won_orders(src, whole).join(reps, on="rep_id")
                                .group_by("team_id").agg(pl.col("amount").sum().alias("actual"))),
        "new_customers": lambda: (customers.customers_in_view(src, whole, in_period=True)
                                  .join(reps, left_on="owner_rep_id", right_on="rep_id")
                                  .group_by("team_id").agg(pl.len().cast(pl.Float64).alias("actual"))),
        "sla_attainment": lambda: (tickets.group_by("team_id").agg(service.sla_columns(src))
                                   .with_columns(service.SLA).select("team_id", pl.col("sla_attainment")
                                                                     .alias("actual"))),
        "first_response_median_hours": lambda: (
            tickets.group_by("team_id").agg(service.time_columns(("first_response_median_h",)))
            .select("team_id", pl.col("first_response_median_h").alias("actual"))),
    }
    return (pl.concat([actuals[m]().select("team_id", pl.lit(m).alias("metric"), pl.col("actual").cast(pl.Float64))
                       for m in metrics])
            .join(teams_in_view(src, f), on="team_id", how="semi").sort("team_id", "metric"))


def target_attainment(src: Snapshot, f: Filters, metrics: tuple[str, ...] = tuple(TARGET_METRICS)) -> pl.DataFrame:
    """team_id, team, kind, office, manager, metric, kpi (the registry key), target, actual, attainment,
    status, comparable — one row per team target in the period of the target `metrics` (all by default),
    for the teams of the regions in view.

    attainment: actual ÷ target for higher-is-better metrics, null for lower-is-better ones (a
    response time of half the target is not "200 %": target and actual are shown side by side).
    status: on_track, at_risk or behind against the thresholds of the settings file, comparing
    actual ÷ target (target ÷ actual where lower is better). Without `comparable`, target,
    attainment and status are null."""
    thresholds = load().targets
    teams = teams_in_view(src, f)
    lower = pl.col("metric").is_in(list(LOWER_IS_BETTER))
    # A team with nothing won or created has an actual of zero; a rate with nothing measured has none.
    ratio = pl.when(lower).then(pl.col("target") / pl.col("actual")).otherwise(pl.col("actual") / pl.col("target"))
    comparable = not narrows_teams(f)
    frame = (teams.join(prorated_targets(src, f).filter(pl.col("metric").is_in(metrics)), on="team_id")
             .join(team_actuals(src, f, metrics), on=["team_id", "metric"], how="left")
             .with_columns(pl.when(SUMMED).then(pl.col("actual").fill_null(0.0)).otherwise(pl.col("actual"))
                           .alias("actual"))
             .with_columns(pl.col("metric").replace_strict({m: k for m, (k, _) in TARGET_METRICS.items()},
                                                           default=None).alias("kpi"),
                           pl.when(~lower).then(pl.col("actual") / pl.col("target")).alias("attainment"),
                           pl.when(ratio >= thresholds.on_track).then(pl.lit("on_track"))
                           .when(ratio >= thresholds.at_risk).then(pl.lit("at_risk"))
                           .when(ratio.is_not_null()).then(pl.lit("behind")).alias("status"),
                           pl.lit(comparable).alias("comparable")))
    if not comparable:
        frame = frame.with_columns(pl.lit(None, pl.Float64).alias("target"), pl.lit(None, pl.Float64)
                                   .alias("attainment"), pl.lit(None, pl.String).alias("status"))
    return (frame.select("team_id", "team", "kind", "office", "manager", "metric", "kpi", "target", "actual",
                         "attainment", "status", "comparable")
            .sort("team_id", "metric").collect())


def pace(src: Snapshot, f: Filters) -> pl.DataFrame:
    """The columns of `target_attainment` for the month to date of the period's end: each team's pace.
    Targets are prorated to the days of the month gone by, so the attainment of the prorated target is
    whether the team is on course for the whole month (on track, at risk, behind)."""
    return target_attainment(src, month_to_date(f))
