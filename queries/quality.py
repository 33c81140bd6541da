"""Data quality and compliance: what is missing, stale, duplicated or overdue in the CRM."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.filters import Filters
from dashboard.snapshot import Snapshot
from queries.common import rows

STALE_AFTER = dt.timedelta(days=730)


def customer_quality(src: Snapshot, f: Filters) -> pl.DataFrame:
    """check, affected, records, share — over the customers in view (region filters apply; customers
    with an unknown country code have no region and are only visible to roles that see every region).

    missing_email: no e-mail; unknown_country: country code not among the served countries;
    stale: not updated for two years up to the snapshot; duplicate: same name and e-mail as an
    older customer; no_consent_marketing: e-mail marketing consent not given."""
    countries = src.scan("countries").select(pl.col("iso2").alias("country_iso2"), pl.lit(True).alias("known"))
    customers = rows(src, f, "customers", in_period=False).join(countries, on="country_iso2", how="left")
    checks = {
        "missing_email": pl.col("email").is_null(),
        "unknown_country": pl.col("known").is_null(),
        "stale": pl.col("updated_at") < pl.lit(src.refreshed_at - STALE_AFTER),
        "duplicate": pl.col("duplicate"),
        "no_consent_marketing": ~pl.col("consent_email"),
    }
    summary = customers.select(
        pl.len().alias("records"), *[expr.sum().alias(name) for name, expr in checks.items()]).collect()
    records = int(summary["records"][0])
    return pl.DataFrame({
        "check": list(checks),
        "affected": [int(summary[name][0]) for name in checks],
        "records": [records] * len(checks),
    }).with_columns(pl.when(pl.col("records") > 0).then(pl.col("affected") / pl.col("records")).alias("share"))


def data_requests(src: Snapshot, f: Filters) -> pl.DataFrame:
    """regime, received, closed, open, overdue (open past due at the snapshot), closed_late, median_days
    (to close) — data subject requests received in the period, per privacy regime."""
    now = pl.lit(src.refreshed_at)
    days = (pl.col("closed_at") - pl.col("received_at")).dt.total_seconds() / 86_400
    return (rows(src, f, "data_requests").group_by("regime").agg(
        pl.len().alias("received"),
        pl.col("closed_at").is_not_null().sum().alias("closed"),
        pl.col("closed_at").is_null().sum().alias("open"),
        (pl.col("closed_at").is_null() & (pl.col("due_at") < now)).sum().alias("overdue"),
        (pl.col("closed_at") > pl.col("due_at")).sum().alias("closed_late"),
        days.median().alias("median_days"),
    ).sort("regime").collect())
