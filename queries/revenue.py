"""Revenue: won orders converted to the reporting currency at the rate of the order's date."""

from __future__ import annotations

import polars as pl

from dashboard.filters import Filters
from dashboard.snapshot import Snapshot
from queries.common import in_reporting_currency, rows
from queries.privacy import suppress_small

WON = pl.col("status") == "won"


def won_orders(src: Snapshot, f: Filters) -> pl.LazyFrame:
    """Won orders in the period with `amount` in the reporting currency."""
    orders = rows(src, f, "orders").filter(WON)
    return in_reporting_currency(orders, src, f.currency, "ordered_at")


def revenue(src: Snapshot, f: Filters) -> pl.DataFrame:
    """One row: revenue (reporting currency), orders (won), customers (who bought)."""
    return won_orders(src, f).select(
        pl.col("amount").sum().alias("revenue"),
        pl.len().alias("orders"),
        pl.col("customer_id").n_unique().alias("customers"),
    ).collect()


def revenue_by(src: Snapshot, f: Filters, by: str | pl.Expr) -> pl.DataFrame:
    """`by`, revenue, orders; one row per value of `by` with won orders, sorted by `by`."""
    return (won_orders(src, f).group_by(by)
            .agg(pl.col("amount").sum().alias("revenue"), pl.len().alias("orders"))
            .sort(pl.first()).collect())


def revenue_by_country(src: Snapshot, f: Filters) -> pl.DataFrame:
    """country_iso2, revenue, orders, customers (who bought); sorted by revenue, largest first. Without
    personal-data rights, a country's revenue and orders from fewer than `privacy.MIN_GROUP` customers
    are empty."""
    frame = (won_orders(src, f).group_by("country_iso2")
             .agg(pl.col("amount").sum().alias("revenue"), pl.len().alias("orders"),
                  pl.col("master_id").n_unique().alias("customers"))
             .sort("revenue", "country_iso2", descending=[True, False], nulls_last=True).collect())
    return suppress_small(frame, f.personal_data, "country_iso2", ["revenue", "orders"]).sort(
        "revenue", "country_iso2", descending=[True, False], nulls_last=True)


def unconverted_orders(src: Snapshot, f: Filters) -> pl.DataFrame:
    """currency, orders — won orders in the period that revenue leaves out because no exchange rate
    converts them (none for their currency on or before their date, or none for the reporting
    currency), by currency, most first. Empty when every order converts."""
    return (won_orders(src, f).filter(pl.col("amount").is_null())
            .with_columns(pl.when(pl.col("amount_usd").is_null()).then(pl.col("currency"))
                          .otherwise(pl.lit(f.currency)).alias("currency"))
            .group_by("currency").agg(pl.len().cast(pl.Int64).alias("orders"))
            .sort("orders", "currency", descending=[True, False]).collect())
