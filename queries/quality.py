"""Data quality and compliance: what is missing, stale, duplicated or overdue in the CRM."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.filters import Filters
from dashboard.i18n import N_
from dashboard.snapshot import Snapshot
from queries.common import rows

STALE_AFTER = dt.timedelta(days=730)
# Each check of customer records: its label and what it counts.
CHECKS = {
    "missing_email": (N_("Missing e-mail"), N_("Customers without an e-mail address.")),
    "unknown_country": (N_("Unknown country code"), N_("Country codes that are not a known country.")),
    "stale": (N_("Stale records"), N_("Not updated for two years up to the data's as-of time.")),
    "duplicate": (N_("Likely duplicates"), N_("Same name and e-mail as an older customer record; counted once, "
                                              "with that record, everywhere else.")),
    "no_consent_marketing": (N_("No marketing consent"), N_("E-mail marketing consent not given.")),
}


def customer_quality(src: Snapshot, f: Filters) -> pl.DataFrame:
    """check, affected, records, share — over the customers in view (region filters apply; customers
    with an unknown country code have no region and are only visible to roles that see every region).

    missing_email: no e-mail; unknown_country: country code not among the served countries;
    stale: not updated for two years up to the data's as-of time; duplicate: same name and e-mail as an
    older customer; no_consent_marketing: e-mail marketing consent not given."""
    countries = src.scan("countries").select(pl.col("iso2").alias("country_iso2"), pl.lit(True).alias("known"))
    customers = rows(src, f, "customers", in_period=False).join(countries, on="country_iso2", how="left")
    checks: dict[str, pl.Expr] = {
        "missing_email": pl.col("email").is_null(),
        "unknown_country": pl.col("known").is_null(),
        "stale": pl.col("updated_at") < pl.lit(src.as_of - STALE_AFTER),
        "duplicate": pl.col("duplicate"),
        "no_consent_marketing": ~pl.col("consent_email").fill_null(False),
    }
    assert set(checks) == set(CHECKS)
    summary = customers.select(
        pl.len().alias("records"), *[expr.sum().alias(name) for name, expr in checks.items()]).collect()
    records = int(summary["records"][0])
    return pl.DataFrame({
        "check": list(checks),
        "affected": [int(summary[name][0]) for name in checks],
        "records": [records] * len(checks),
    }).with_columns(pl.when(pl.col("records") > 0).then(pl.col("affected") / pl.col("records")).alias("share"))


def data_requests(src: Snapshot, f: Filters) -> pl.DataFrame:
    """regime, received, closed, open, overdue (open past due at the data's as-of time), closed_late,
    median_days (to close) — data subject requests received in the period, per privacy regime."""
    now = pl.lit(src.as_of)
    days = (pl.col("closed_at") - pl.col("received_at")).dt.total_seconds() / 86_400
    return (rows(src, f, "data_requests").group_by("regime").agg(
        pl.len().alias("received"),
        pl.col("closed_at").is_not_null().sum().alias("closed"),
        pl.col("closed_at").is_null().sum().alias("open"),
        (pl.col("closed_at").is_null() & (pl.col("due_at") < now)).sum().alias("overdue"),
        (pl.col("closed_at") > pl.col("due_at")).sum().alias("closed_late"),
        days.median().alias("median_days"),
    ).sort("regime").collect())


# The customer records are checked as they are, whatever the period.
customer_quality.filters_used = Filters.timeless  # type: ignore[attr-defined]
