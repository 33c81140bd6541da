"""International partners: sourced revenue, win rate and deal cycle."""

from __future__ import annotations

import polars as pl

from dashboard.filters import Filters
from dashboard.snapshot import Snapshot
from queries.common import between, rows
from queries.revenue import won_orders
from queries.satisfaction import NPS, nps_columns

DAY_US = 86_400_000_000


def _closed_opportunities(src: Snapshot, f: Filters) -> pl.LazyFrame:
    """Opportunities closed in the period (whenever they were opened)."""
    return (rows(src, f, "opportunities", in_period=False)
            .filter(pl.col("outcome").is_not_null() & between("closed_at", f.start_ts, f.end_ts)))


def _win_columns() -> list[pl.Expr]:
    won = pl.col("outcome") == "won"
    cycle_days = (pl.col("closed_at") - pl.col("opened_at")).dt.total_microseconds() / DAY_US
    return [pl.len().alias("closed"), won.sum().alias("won"),
            cycle_days.filter(won).median().alias("deal_cycle_days")]


WIN_RATE = (pl.when(pl.col("closed") > 0).then(pl.col("won") / pl.col("closed"))).alias("win_rate")


def win_rate(src: Snapshot, f: Filters) -> pl.DataFrame:
    """One row: closed, won, deal_cycle_days (median days from open to close of won deals),
    win_rate (won / closed, 0..1)."""
    return _closed_opportunities(src, f).select(_win_columns()).with_columns(WIN_RATE).collect()


def active_partners(src: Snapshot, f: Filters) -> pl.DataFrame:
    """One row: active_partners — partners with at least one sourced won order in the period."""
    return (won_orders(src, f).filter(pl.col("partner_id").is_not_null())
            .select(pl.col("partner_id").n_unique().alias("active_partners")).collect())


def partner_scorecard(src: Snapshot, f: Filters) -> pl.DataFrame:
    """One row per partner with activity in the period: partner_id, name, kind, country_iso2, tier,
    status, revenue (sourced, reporting currency), orders, customers, closed, won, win_rate,
    deal_cycle_days, responses, nps (of the partner's customers). Sorted by revenue."""
    sourced = (won_orders(src, f).filter(pl.col("partner_id").is_not_null()).group_by("partner_id")
               .agg(pl.col("amount").sum().alias("revenue"), pl.len().alias("orders"),
                    pl.col("customer_id").n_unique().alias("customers")))
    deals = (_closed_opportunities(src, f).filter(pl.col("partner_id").is_not_null())
             .group_by("partner_id").agg(_win_columns()).with_columns(WIN_RATE))
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
            .sort("revenue", "partner_id", descending=[True, False]).collect())
