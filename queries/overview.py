"""The executive overview's own query: rising and falling markets. Its tiles and trends are registry
KPIs (`queries.kpis.measure`, `queries.kpis.monthly`)."""

from __future__ import annotations

import polars as pl

from dashboard.filters import Filters
from dashboard.snapshot import Snapshot
from queries import markets, revenue


def market_movers(src: Snapshot, f: Filters) -> pl.DataFrame:
    """country_iso2, name, revenue, previous (comparison period), change, change_pct (null where the
    market had no revenue before). Sorted by change, largest rise first. Customers whose country code
    is not a known country are one market named by `markets.UNKNOWN` (a translation key). A market
    whose revenue is not shown to the viewer in either period (too few customers) is left out."""
    return movers(revenue.revenue_by_country(src, f), revenue.revenue_by_country(src, f.comparison()),
                  markets.countries(src, f))


def movers(by_country: pl.DataFrame, before_by_country: pl.DataFrame, countries: pl.DataFrame) -> pl.DataFrame:
    """`market_movers` from `revenue.revenue_by_country` of the period and of the comparison period and
    `markets.countries`, for a page that already has them."""
    now = by_country.select("country_iso2", "revenue", "customers")
    before = before_by_country.select(
        "country_iso2", pl.col("revenue").alias("previous"), pl.col("customers").alias("customers_before"))
    names = countries.select("country_iso2", "name")
    hidden = ((pl.col("revenue").is_null() & pl.col("customers").is_not_null())
              | (pl.col("previous").is_null() & pl.col("customers_before").is_not_null()))
    return (now.join(before, on="country_iso2", how="full", coalesce=True)
            .filter(~hidden)
            .with_columns(pl.col("revenue", "previous").fill_null(0.0))
            .with_columns((pl.col("revenue") - pl.col("previous")).alias("change"),
                          pl.when(pl.col("previous") > 0)
                          .then(100 * (pl.col("revenue") / pl.col("previous") - 1)).alias("change_pct"))
            .join(names, on="country_iso2", how="left")
            .with_columns(pl.col("name").fill_null(markets.UNKNOWN))
            .select("country_iso2", "name", "revenue", "previous", "change", "change_pct")
            .sort("change", "country_iso2", descending=[True, False]))
