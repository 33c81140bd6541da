"""International partners and the pipeline: sourced revenue, win rate, deal cycle and deal size, of all
deals and of those sourced through a partner."""

from __future__ import annotations

import polars as pl

from dashboard.filters import Filters
from dashboard.snapshot import Snapshot
from queries.common import between, in_reporting_currency, rows
from queries.privacy import suppress_small
from queries.revenue import won_orders
from queries.satisfaction import NPS, nps_columns

DAY_US = 86_400_000_000


def closed_opportunities(src: Snapshot, f: Filters) -> pl.LazyFrame:
    """Opportunities closed in the period (whenever they were opened), with `value`: the USD amount in
    the reporting currency at the rate of the close date."""
    closed = (rows(src, f, "opportunities", in_period=False)
              .filter(pl.col("outcome").is_not_null() & between("closed_at", f.start_ts, f.end_ts)))
    return in_reporting_currency(closed, src, f.currency, "closed_at", alias="value")


def win_columns() -> list[pl.Expr]:
    won = pl.col("outcome") == "won"
    cycle_days = (pl.col("closed_at") - pl.col("opened_at")).dt.total_microseconds() / DAY_US
    return [pl.len().cast(pl.Int64).alias("closed"), won.sum().cast(pl.Int64).alias("won"),
            cycle_days.filter(won).median().alias("deal_cycle_days"),
            pl.col("value").filter(won).mean().alias("deal_size"), pl.col("value").filter(won).sum().alias("won_value")]


WIN_RATE = (pl.when(pl.col("closed") > 0).then(pl.col("won") / pl.col("closed"))).alias("win_rate")
# A deal or order is partner-sourced when it names a partner, whatever the partner's status: a suspended
# partner's deals were still brought by it.
PARTNER_SOURCED = pl.col("partner_id").is_not_null()
CLOSED_MONTH = pl.col("closed_at").dt.truncate("1mo").dt.date().alias("month")


def _win_rate(deals: pl.LazyFrame) -> pl.DataFrame:
    return deals.select(win_columns()).with_columns(WIN_RATE).collect()


def _win_rates(deals: pl.LazyFrame, by: str | pl.Expr) -> pl.DataFrame:
    return deals.group_by(by).agg(win_columns()).with_columns(WIN_RATE).sort(pl.first()).collect()


def win_rate(src: Snapshot, f: Filters) -> pl.DataFrame:
    """One row: closed, won, deal_cycle_days (median days from open to close of won deals), deal_size
    (mean amount of the won deals: in USD at the rate of their opening date, then in the reporting
    currency at the rate of their close date), win_rate (won /
    closed, 0..1) — opportunities closed in the period."""
    return _win_rate(closed_opportunities(src, f))


def win_rate_by(src: Snapshot, f: Filters, by: str | pl.Expr) -> pl.DataFrame:
    """`by` and the columns of `win_rate`, one row per value of `by`, sorted."""
    return _win_rates(closed_opportunities(src, f), by)


def partner_win_rate(src: Snapshot, f: Filters) -> pl.DataFrame:
    """One row: the columns of `win_rate`, of the opportunities closed in the period that were sourced
    through a partner (they name one)."""
    return _win_rate(closed_opportunities(src, f).filter(PARTNER_SOURCED))


def partner_win_rate_by_month(src: Snapshot, f: Filters) -> pl.DataFrame:
    """month (of closing) and the columns of `partner_win_rate`, one row per month with a partner-sourced
    opportunity closed in it, sorted."""
    return _win_rates(closed_opportunities(src, f).filter(PARTNER_SOURCED), CLOSED_MONTH)


def _sourced(src: Snapshot, f: Filters) -> pl.LazyFrame:
    """Won orders in the period placed through a partner whose status is active."""
    active = src.scan("partners").filter(pl.col("status") == "active").select(pl.col("id").alias("partner_id"))
    return won_orders(src, f).join(active, on="partner_id", how="semi")


def active_partners(src: Snapshot, f: Filters) -> pl.DataFrame:
    """One row: active_partners — partners with status active and at least one sourced won order in
    the period."""
    return _sourced(src, f).select(pl.col("partner_id").n_unique().cast(pl.Int64).alias("active_partners")).collect()


def active_partners_by(src: Snapshot, f: Filters, by: str | pl.Expr) -> pl.DataFrame:
    """`by`, active_partners; one row per value of `by`, sorted."""
    return (_sourced(src, f).group_by(by)
            .agg(pl.col("partner_id").n_unique().cast(pl.Int64).alias("active_partners")).sort(pl.first())
            .collect())


def _partner_revenue_columns() -> list[pl.Expr]:
    return [pl.col("amount").filter(PARTNER_SOURCED).sum().alias("revenue"),
            PARTNER_SOURCED.sum().cast(pl.Int64).alias("orders"),
            pl.col("amount").sum().alias("total")]


PARTNER_SHARE = pl.when(pl.col("total") > 0).then(pl.col("revenue") / pl.col("total")).alias("share")


def partner_revenue(src: Snapshot, f: Filters) -> pl.DataFrame:
    """One row: revenue (won orders placed through any partner, reporting currency), orders, share
    (of all revenue, 0..1; null without revenue)."""
    return (won_orders(src, f).select(_partner_revenue_columns()).with_columns(PARTNER_SHARE).drop("total")
            .collect())


def partner_revenue_by(src: Snapshot, f: Filters, by: str | pl.Expr) -> pl.DataFrame:
    """`by` and the columns of `partner_revenue`, one row per value of `by`, sorted."""
    return (won_orders(src, f).group_by(by).agg(_partner_revenue_columns()).with_columns(PARTNER_SHARE)
            .drop("total").sort(pl.first()).collect())


def partner_scorecard(src: Snapshot, f: Filters) -> pl.DataFrame:
    """One row per partner with activity in the period: partner_id, name, kind, country_iso2, tier,
    status, revenue (sourced, reporting currency), orders, customers, closed, won, win_rate,
    deal_cycle_days, responses, nps (of the partner's customers). Sorted by revenue. Without
    personal-data rights, the revenue, orders and NPS of a partner with fewer than `privacy.MIN_GROUP`
    customers are empty."""
    sourced = (won_orders(src, f).filter(PARTNER_SOURCED).group_by("partner_id")
               .agg(pl.col("amount").sum().alias("revenue"), pl.len().alias("orders"),
                    pl.col("customer_id").n_unique().alias("customers")))
    deals = (closed_opportunities(src, f).filter(PARTNER_SOURCED)
             .group_by("partner_id").agg(win_columns()).with_columns(WIN_RATE))
    surveys = (rows(src, f, "surveys").filter((pl.col("kind") == "NPS")
                                               & pl.col("customer_partner_id").is_not_null())
               .group_by(pl.col("customer_partner_id").alias("partner_id"))
               .agg(nps_columns()).with_columns(NPS).select("partner_id", "responses", "nps"))
    partners = src.scan("partners").select(pl.col("id").alias("partner_id"), "name", "kind",
                                           "country_iso2", "tier", "status")
    return (sourced.join(deals, on="partner_id", how="full", coalesce=True)
            .join(surveys, on="partner_id", how="left")
            .join(partners, on="partner_id", how="inner")
            .with_columns(pl.col("revenue", "orders", "customers", "closed", "won").fill_null(0))
            .select("partner_id", "name", "kind", "country_iso2", "tier", "status", "revenue", "orders",
                    "customers", "closed", "won", "win_rate", "deal_cycle_days", "responses", "nps")
            .sort("revenue", "partner_id", descending=[True, False]).collect()
            .pipe(suppress_small, f.personal_data, "partner_id", ["revenue", "orders", "nps"]))
