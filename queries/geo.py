"""The business on the map: metrics per country and per city, market drill-down, expansion ranking."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import polars as pl

from dashboard.filters import Filters
from dashboard.snapshot import Snapshot
from queries import customers, markets, revenue, satisfaction
from queries.common import rows
from queries.kpis import KPIS, measure

# Cities (and countries) with fewer customers than this are merged for roles without personal-data
# rights: a handful of customers in one place can identify them.
MIN_CUSTOMERS_SHOWN = 5
MAP_METRICS = ("customers", "revenue", "growth", "nps", "churn_rate", "partner_share")


@dataclass(frozen=True, repr=False)
class CityFilters(Filters):
    """The filters narrowed to the customers of one city: every query that takes them (tiles, trends,
    mixes, lists) counts only rows of customers whose record is in `city` — in the customers table by
    its city, in every other table by the customer's id (`customer_ids`: every record in the city)."""

    city: str | None = None
    customer_ids: tuple[int, ...] = ()

    def predicate(self, columns: list[str], time_column: str | None) -> pl.Expr:
        base = super().predicate(columns, time_column)
        if self.city is None:
            return base
        if "city" in columns:
            return base & (pl.col("city") == self.city)
        if "customer_id" in columns:
            return base & pl.col("customer_id").is_in(self.customer_ids)
        return base

    def __repr__(self) -> str:
        # The cache key: the ids follow from the city, the scope and the snapshot (keyed apart).
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.name != "customer_ids")
        return f"CityFilters({shown})"


def in_city(src: Snapshot, base: Filters, city: str) -> CityFilters:
    """`base` narrowed to the customers of `city` (within its countries and the viewer's scope: the ids
    are read through `rows`, like every query's)."""
    ids = (rows(src, base, "customers", in_period=False).filter(pl.col("city") == city)
           .select(pl.col("id").sort()).collect()["id"].to_list())
    return CityFilters(**{f_.name: getattr(base, f_.name) for f_ in fields(Filters)}, city=city,
                       customer_ids=tuple(ids))


def without_city(f: Filters) -> Filters:
    """The same filters for the whole of their countries."""
    return Filters(**{f_.name: getattr(f, f_.name) for f_ in fields(Filters)})


def country_metrics(src: Snapshot, f: Filters) -> pl.DataFrame:
    """country_iso2, name, region_id, iso3, customers (active at the period's end), revenue, previous
    (revenue of the comparison period), growth (% change of revenue, null without previous revenue),
    responses, nps (null below MIN_RESPONSES), churn_rate (0..1), partner_share (share of revenue
    sourced by partners, 0..1), population, lat, lon — one row per country with customers in view."""
    won = revenue.won_orders(src, f)
    money = won.group_by("country_iso2").agg(
        pl.col("amount").sum().alias("revenue"),
        pl.col("amount").filter(pl.col("partner_id").is_not_null()).sum().alias("partner_revenue"))
    before = revenue.won_orders(src, f.comparison()).group_by("country_iso2").agg(
        pl.col("amount").sum().alias("previous"))
    where = customers.customers_in_view(src, f).select(pl.col("id").alias("customer_id"), "country_iso2")
    active = (customers.active_ids(src, f, f.end_ts).lazy().join(where, on="customer_id")
              .group_by("country_iso2").agg(pl.len().alias("customers")))
    churn = customers.churn_by(src, f, "country_iso2").lazy()
    nps = satisfaction.nps_by(src, f, "country_iso2").lazy().select("country_iso2", "responses", "nps")
    names = markets.countries(src, f).lazy()
    return (
        active.join(money, on="country_iso2", how="full", coalesce=True)
        .join(before, on="country_iso2", how="left").join(churn, on="country_iso2", how="left")
        .join(nps, on="country_iso2", how="left")
        .join(names, on="country_iso2", how="inner")
        .with_columns(
            pl.col("customers", "revenue", "previous", "partner_revenue", "responses").fill_null(0))
        .with_columns(
            pl.when(pl.col("previous") > 0).then(100 * (pl.col("revenue") / pl.col("previous") - 1)).alias("growth"),
            KPIS["nps"].shown(), KPIS["churn_rate"].shown(),
            pl.when(pl.col("revenue") > 0).then(pl.col("partner_revenue") / pl.col("revenue"))
            .alias("partner_share"),
        )
        .select("country_iso2", "name", "region_id", "iso3", "customers", "revenue", "previous", "growth",
                "responses", "nps", "churn_rate", "partner_share", "population", "lat", "lon")
        .sort("revenue", "country_iso2", descending=[True, False])
        .collect()
    )


def city_points(src: Snapshot, f: Filters) -> pl.DataFrame:
    """country_iso2, city, lat, lon, customers (all customers created by the period's end), revenue
    (period) — one row per city. Without personal-data rights, cities with fewer than
    MIN_CUSTOMERS_SHOWN customers are merged into one point per country ("city" null) placed at
    their mean position, and such merged points below the threshold are dropped."""
    people = (customers.customers_in_view(src, f)
              .filter((pl.col("created_at") < f.end_ts) & pl.col("lat").is_not_null() & pl.col("lon").is_not_null())
              .select(pl.col("id").alias("customer_id"), "country_iso2", "city", "lat", "lon"))
    money = revenue.won_orders(src, f).group_by("customer_id").agg(pl.col("amount").sum().alias("revenue"))
    per_customer = people.join(money, on="customer_id", how="left").with_columns(pl.col("revenue").fill_null(0.0))
    cities = per_customer.group_by("country_iso2", "city").agg(
        pl.col("lat").mean(), pl.col("lon").mean(), pl.len().alias("customers"), pl.col("revenue").sum())
    if not f.personal_data:
        small = pl.col("customers") < MIN_CUSTOMERS_SHOWN
        kept = cities.filter(~small)
        merged = (cities.filter(small).group_by("country_iso2")
                  .agg(pl.lit(None, pl.String).alias("city"),
                       ((pl.col("lat") * pl.col("customers")).sum() / pl.col("customers").sum()).alias("lat"),
                       ((pl.col("lon") * pl.col("customers")).sum() / pl.col("customers").sum()).alias("lon"),
                       pl.col("customers").sum(), pl.col("revenue").sum())
                  .filter(pl.col("customers") >= MIN_CUSTOMERS_SHOWN))
        cities = pl.concat([kept, merged.select(kept.collect_schema().names())])
    return (cities.with_columns(pl.col("customers").cast(pl.Int64))
            .sort("revenue", "country_iso2", "city", descending=[True, False, False], nulls_last=True).collect())


def market_expansion(src: Snapshot, f: Filters) -> pl.DataFrame:
    """country_iso2, name, customers, per_million (active customers per million inhabitants), revenue,
    revenue_per_customer, growth, responses, nps, churn_rate, action — markets ranked by growth.

    action: "invest" where revenue grows by 15 %+ and NPS is at least the median market's, "fix"
    where revenue falls, NPS is below 0, or churn is twice the median market's; else "hold"."""
    return expansion(country_metrics(src, f))


def expansion(frame: pl.DataFrame) -> pl.DataFrame:
    """`market_expansion` from the frame of `country_metrics`, for a page that already has it."""
    if frame.is_empty():
        return frame.select("country_iso2", "name").with_columns(pl.lit(None, pl.String).alias("action"))
    nps_median = frame["nps"].median()
    churn_median = frame["churn_rate"].median()
    invest = (pl.col("growth") >= 15) & (pl.col("nps").fill_null(-100) >= (nps_median if nps_median is not None
                                                                           else -100))
    fix = ((pl.col("growth") < 0) | (pl.col("nps") < 0)
           | (pl.col("churn_rate") > 2 * (churn_median if churn_median is not None else 1.0)))
    return (frame.with_columns(
        (pl.col("customers") / pl.col("population") * 1_000_000).alias("per_million"),
        pl.when(pl.col("customers") > 0).then(pl.col("revenue") / pl.col("customers")).alias("revenue_per_customer"),
        pl.when(fix).then(pl.lit("fix")).when(invest).then(pl.lit("invest")).otherwise(pl.lit("hold"))
        .alias("action"))
        .select("country_iso2", "name", "customers", "per_million", "revenue", "revenue_per_customer", "growth",
                "responses", "nps", "churn_rate", "action")
        .sort("growth", "country_iso2", descending=[True, False], nulls_last=True))


def mix(src: Snapshot, f: Filters, column: str) -> pl.DataFrame:
    """`column`, customers, share (0..1) — customers created by the period's end, by `column`
    (segment, industry, preferred_channel, preferred_language). Largest first."""
    people = customers.customers_in_view(src, f).filter(pl.col("created_at") < f.end_ts)
    return (people.group_by(column).agg(pl.len().alias("customers"))
            .with_columns((pl.col("customers") / pl.col("customers").sum()).alias("share"))
            .sort("customers", column, descending=[True, False], nulls_last=True).collect())


VERSUS_WORLD = ("nps", "csat", "first_response", "sla_attainment")


def market_vs_world(src: Snapshot, f: Filters) -> pl.DataFrame:
    """measure (a registry KPI), market, world — NPS, CSAT, median first response and SLA attainment of
    the market in view (the filters' regions and countries) against every region the viewer may see;
    null where either rests on fewer observations than the KPI's minimum sample."""
    world = replace(without_city(f), regions=(), countries=())
    market, everywhere = measure(src, f, VERSUS_WORLD), measure(src, world, VERSUS_WORLD)
    shown = [(KPIS[k].enough(s) and v is not None) for k, v, s in market.select("kpi", "value", "sample").rows()]
    return pl.DataFrame({
        "measure": list(VERSUS_WORLD),
        "market": [v if ok else None for v, ok in zip(market["value"], shown, strict=True)],
        "world": [v if KPIS[k].enough(s) else None for k, v, s in everywhere.select("kpi", "value", "sample").rows()],
    }, schema={"measure": pl.String, "market": pl.Float64, "world": pl.Float64})


def active_people(src: Snapshot, f: Filters) -> pl.DataFrame:
    """kind ("rep" or "partner"), id, name, count (interactions of a rep, orders of a partner), revenue —
    the ten reps with most interactions, most first, then the ten partners with most sourced revenue,
    most first, in the market and period."""
    reps = (rows(src, f, "interactions").filter(pl.col("rep_id").is_not_null()).group_by("rep_id")
            .agg(pl.len().alias("count")).sort("count", "rep_id", descending=[True, False]).head(10)
            .join(src.scan("reps").select(pl.col("id").alias("rep_id"), "name"), on="rep_id")
            .select(pl.lit("rep").alias("kind"), pl.col("rep_id").alias("id"), "name", "count",
                    pl.lit(None, pl.Float64).alias("revenue")))
    sourced = (revenue.won_orders(src, f).filter(pl.col("partner_id").is_not_null()).group_by("partner_id")
               .agg(pl.len().alias("count"), pl.col("amount").sum().alias("revenue"))
               .sort("revenue", "partner_id", descending=[True, False]).head(10)
               .join(src.scan("partners").select(pl.col("id").alias("partner_id"), "name"), on="partner_id")
               .select(pl.lit("partner").alias("kind"), pl.col("partner_id").alias("id"), "name",
                       pl.col("count").cast(pl.UInt32), "revenue"))
    # A join does not keep row order: each list is sorted by the measure it is named after.
    return pl.concat([reps.with_columns(pl.col("count").cast(pl.UInt32)).sort("count", "id", descending=[True, False]),
                      sourced.sort("revenue", "id", descending=[True, False])]).collect()
