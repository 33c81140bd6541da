"""Closing the loop: how soon unhappy customers hear back after an NPS response, who is still waiting,
and whether those who heard back stayed.

A detractor is an NPS response scoring 0-6; it is followed up when the CRM records `followed_up_at`
(a call, a visit, a ticket: whatever the team logs). Time runs from the response to the follow-up;
a follow-up after the data's end has not happened yet.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import polars as pl

from dashboard.filters import Filters
from dashboard.snapshot import Snapshot
from queries.common import DAY, activity_between, between, in_reporting_currency, rows
from queries.revenue import WON

HOURS = (pl.col("followed_up_at") - pl.col("answered_at")).dt.total_seconds() / 3600
# A customer who gives up does so within weeks (docs/demo-data.md); the outcome is read once a full year
# of activity after that is in the data.
OUTCOME_AFTER = dt.timedelta(days=90) + 365 * DAY
COHORT_YEARS = 2


def _detractors(src: Snapshot, f: Filters, in_period: bool = True) -> pl.LazyFrame:
    """NPS detractors the viewer may see, with `hours` to their follow-up (null: none by the data's end)."""
    as_of = src.as_of
    return (rows(src, f, "surveys", in_period=in_period)
            .filter((pl.col("kind") == "NPS") & (pl.col("score") <= 6))
            .with_columns(pl.when(pl.col("followed_up_at") < as_of).then(HOURS).alias("hours"),
                          ((as_of - pl.col("answered_at")).dt.total_seconds() / 3600).alias("age_hours")))


def _columns() -> list[pl.Expr]:
    hours, age = pl.col("hours"), pl.col("age_hours")
    # A response of yesterday cannot have been followed up "within 7 days" or not yet: it counts only once
    # its window is over.
    return [
        pl.len().cast(pl.Int64).alias("detractors"),
        hours.is_not_null().sum().cast(pl.Int64).alias("followed"),
        (age >= 48).sum().cast(pl.Int64).alias("due_2d"),
        ((age >= 48) & (hours <= 48)).sum().cast(pl.Int64).alias("within_2d"),
        (age >= 168).sum().cast(pl.Int64).alias("due_7d"),
        ((age >= 168) & (hours <= 168)).sum().cast(pl.Int64).alias("within_7d"),
        hours.median().alias("median_hours"),
    ]


SHARES = [pl.when(pl.col("due_2d") > 0).then(pl.col("within_2d") / pl.col("due_2d")).alias("share_2d"),
          pl.when(pl.col("due_7d") > 0).then(pl.col("within_7d") / pl.col("due_7d")).alias("share_7d")]


def follow_up(src: Snapshot, f: Filters) -> pl.DataFrame:
    """One row: detractors (NPS 0-6 answered in the period), followed (by the data's end), due_2d and
    due_7d (answered at least 2 or 7 days before the data's end), within_2d and within_7d (of those,
    followed up within 2 or 7 days), share_2d, share_7d (0..1, null when none is due), median_hours
    (from response to follow-up, of those followed up)."""
    return _detractors(src, f).select(_columns()).with_columns(SHARES).collect()


def follow_up_by(src: Snapshot, f: Filters, by: str | pl.Expr) -> pl.DataFrame:
    """`by` and the columns of `follow_up`, one row per value of `by`, sorted."""
    return (_detractors(src, f).group_by(by).agg(_columns()).with_columns(SHARES).sort(pl.first())
            .collect())


def open_detractors(src: Snapshot, f: Filters, older_than_days: int) -> pl.DataFrame:
    """region, team, open (detractors of the period not followed up by the data's end and answered more
    than `older_than_days` days before it), oldest_days — per customer region and the team that owns
    the customer, most open first."""
    regions = src.scan("regions").select(pl.col("id").alias("region_id"), pl.col("name").alias("region"))
    teams = src.scan("teams").select(pl.col("id").alias("customer_team_id"), pl.col("name").alias("team"))
    return (_detractors(src, f)
            .filter(pl.col("hours").is_null() & (pl.col("age_hours") > 24 * older_than_days))
            .group_by("region_id", "customer_team_id")
            .agg(pl.len().cast(pl.Int64).alias("open"), (pl.col("age_hours").max() / 24).alias("oldest_days"))
            .join(regions, on="region_id", how="left").join(teams, on="customer_team_id", how="left")
            .select("region", "team", "open", "oldest_days")
            .sort("open", "oldest_days", "region", "team", descending=[True, True, False, False], nulls_last=True)
            .collect())


def churn_after_follow_up(src: Snapshot, f: Filters) -> pl.DataFrame:
    """follow_up ("2_days": within 2 days, "later", "never"), detractors, churned, churn (0..1) — the
    detractors whose outcome is known (answered in the COHORT_YEARS years ending OUTCOME_AFTER before the
    data's end, whatever the period) and how many of their customers have had no order or interaction in
    the last 12 months: did those who heard back stay?"""
    as_of = src.as_of
    cohort_end = as_of - OUTCOME_AFTER
    cohort = (_detractors(src, f, in_period=False)
              .filter(pl.col("answered_at").is_between(cohort_end - COHORT_YEARS * 365 * DAY, cohort_end,
                                                       closed="left")))
    still = _active_in_last_year(src).lazy().with_columns(pl.lit(True).alias("active"))
    bucket = (pl.when(pl.col("hours") <= 48).then(pl.lit("2_days"))
              .when(pl.col("hours").is_null()).then(pl.lit("never")).otherwise(pl.lit("later")).alias("follow_up"))
    order = {"2_days": 0, "later": 1, "never": 2}
    return (cohort.join(still, on="customer_id", how="left").group_by(bucket)
            .agg(pl.len().cast(pl.Int64).alias("detractors"),
                 pl.col("active").is_null().sum().cast(pl.Int64).alias("churned"))
            .with_columns((pl.col("churned") / pl.col("detractors")).alias("churn"))
            .sort(pl.col("follow_up").replace_strict(order, return_dtype=pl.Int8)).collect())


# The two outcome cohorts are the same whatever the period and scope; what is slow about them (a pass
# over a year or more of activity or orders) is done once per snapshot (and currency), and a view picks
# its own responses.
@lru_cache(maxsize=2)
def _active_in_last_year(src: Snapshot) -> pl.DataFrame:
    """customer_id of every customer record with an order or interaction in the year before the data's end."""
    return activity_between(src, src.as_of - 365 * DAY, src.as_of).select("customer_id").unique().collect()


# What happens to revenue and to customers after they answer: six months either side of the response.
MONEY_WINDOW = dt.timedelta(days=182)


def _cohort_start(src: Snapshot) -> dt.datetime:
    """When the money cohort starts: a year before it ends, six months before the data's end."""
    return src.as_of - MONEY_WINDOW - 365 * DAY


def _money_cohort(surveys: pl.LazyFrame, src: Snapshot) -> pl.LazyFrame:
    """The NPS responses among `surveys` whose six months after are in the data: those of the year
    ending six months before the data's end, as response_id, customer_id, answered_at and score."""
    return (surveys.filter((pl.col("kind") == "NPS")
                           & between("answered_at", _cohort_start(src), src.as_of - MONEY_WINDOW))
            .select(pl.col("id").alias("response_id"), "customer_id", "answered_at", "score"))


@lru_cache(maxsize=2)
def _heard_from_after(src: Snapshot) -> pl.DataFrame:
    """response_id of every response of the money cohort (any viewer's) whose customer had an order or
    interaction in the six months after it."""
    after = activity_between(src, _cohort_start(src), src.as_of).select("customer_id", "at")
    return (_money_cohort(src.scan("surveys"), src).join(after, on="customer_id")
            .filter(pl.col("at").is_between(pl.col("answered_at"), pl.col("answered_at") + MONEY_WINDOW,
                                            closed="right"))
            .select("response_id").unique().collect())


@lru_cache(maxsize=8)
def _money_around(src: Snapshot, currency: str) -> pl.DataFrame:
    """response_id, revenue_before, revenue_after — the won orders of the customer of every response of
    the money cohort (any viewer's) with orders in the six months before or after it, in `currency`."""
    # The orders of the six months either side of any response of the cohort.
    won = src.scan("orders").filter(WON & between("ordered_at", _cohort_start(src) - MONEY_WINDOW, src.as_of))
    won = in_reporting_currency(won, src, currency, "ordered_at").select("customer_id", "ordered_at", "amount")
    return (_money_cohort(src.scan("surveys"), src).join(won, on="customer_id")
            .with_columns((pl.col("ordered_at") - pl.col("answered_at")).alias("gap"))
            .group_by("response_id")
            .agg(pl.when(pl.col("gap").is_between(-MONEY_WINDOW, dt.timedelta(0), closed="left"))
                 .then(pl.col("amount")).sum().alias("revenue_before"),
                 pl.when(pl.col("gap").is_between(dt.timedelta(0), MONEY_WINDOW, closed="left"))
                 .then(pl.col("amount")).sum().alias("revenue_after"))
            .collect())


def prepare(src: Snapshot, currency: str = Filters.currency) -> None:
    """Finds the outcome cohorts of `src` (in `currency`) ahead of the first view that needs them."""
    _active_in_last_year(src)
    _heard_from_after(src)
    _money_around(src, currency)


def money_after_response(src: Snapshot, f: Filters) -> pl.DataFrame:
    """tone (promoter, passive, detractor), responses, revenue_before, revenue_after (won orders of the
    responding customers in the six months before and after each response, in the reporting currency),
    revenue_change (after / before - 1; null without revenue before), churned (responses whose customer
    had no order or interaction in the six months after), churn (0..1) — NPS responses of the year
    ending six months before the data's end, whatever the period, so every response has its six months
    after."""
    responses = (_money_cohort(rows(src, f, "surveys", in_period=False), src)
                 .select("response_id",
                         pl.when(pl.col("score") >= 9).then(pl.lit("promoter"))
                         .when(pl.col("score") >= 7).then(pl.lit("passive")).otherwise(pl.lit("detractor"))
                         .alias("tone")))
    money = _money_around(src, f.currency).lazy()
    active = _heard_from_after(src).lazy().with_columns(pl.lit(True).alias("active"))
    order = {"promoter": 0, "passive": 1, "detractor": 2}
    return (responses.join(money, on="response_id", how="left").join(active, on="response_id", how="left")
            .group_by("tone")
            .agg(pl.len().cast(pl.Int64).alias("responses"), pl.col("revenue_before").sum(),
                 pl.col("revenue_after").sum(), pl.col("active").is_null().sum().cast(pl.Int64).alias("churned"))
            .with_columns(pl.when(pl.col("revenue_before") > 0)
                          .then(pl.col("revenue_after") / pl.col("revenue_before") - 1).alias("revenue_change"),
                          (pl.col("churned") / pl.col("responses")).alias("churn"))
            .sort(pl.col("tone").replace_strict(order, return_dtype=pl.Int8))
            .select("tone", "responses", "revenue_before", "revenue_after", "revenue_change", "churned", "churn")
            .collect())


# Both read their cohorts whatever the period.
churn_after_follow_up.filters_used = Filters.timeless  # type: ignore[attr-defined]
money_after_response.filters_used = Filters.timeless  # type: ignore[attr-defined]
