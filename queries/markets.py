"""Regions and countries: the geography every filter and map uses."""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from dashboard.filters import Filters
from dashboard.i18n import N_, babel_locale
from dashboard.snapshot import Snapshot
from queries.common import rows

# Where a customer's country code is not a known country: shown, never dropped, under this name.
UNKNOWN = N_("Unknown")


def regions(src: Snapshot, f: Filters) -> pl.DataFrame:
    """id, code, name, currency of every region (the filters' scope decides which may be chosen)."""
    return src.scan("regions").select("id", "code", "name", "currency").sort("id").collect()


def countries(src: Snapshot, f: Filters) -> pl.DataFrame:
    """country_iso2, name (in the filters' language), iso3, region_id, lat, lon, population."""
    frame = src.scan("countries").select(pl.col("iso2").alias("country_iso2"), "name", "iso3", "region_id",
                                         "lat", "lon", "population").sort("country_iso2").collect()
    return frame.with_columns(pl.Series("name", [country_name(c, n, f.lang) for c, n in
                                                 zip(frame["country_iso2"], frame["name"], strict=True)]))


# Names the language's common usage gives where CLDR's differ: mainland Chinese usage names Taiwan as it
# names Hong Kong and Macao (中国香港特别行政区), as part of China.
OWN_NAMES = {"zh-CN": {"TW": "中国台湾"}}


def country_name(code: str, name: str, lang: str) -> str:
    """A country's or territory's name in `lang` (CLDR's, or OWN_NAMES'), else `name`, the CRM's own."""
    return OWN_NAMES.get(lang, {}).get(code) or babel_locale(lang).territories.get(code, name)


def left_out_unknown(src: Snapshot, f: Filters) -> pl.DataFrame:
    """One row: customers — customers (each once) whose country code is not a known country, that the
    viewer may see and that the chosen regions or countries leave out (such customers have no region).
    Zero for a scoped viewer: their scope never held them."""
    if not f.scope.everything or not (f.regions or f.countries):
        return pl.DataFrame({"customers": [0]}, schema={"customers": pl.Int64})
    everywhere = replace(f, regions=(), countries=())
    return (rows(src, everywhere, "customers", in_period=False)
            .filter(pl.col("region_id").is_null() & ~pl.col("duplicate"))
            .select(pl.len().cast(pl.Int64).alias("customers")).collect())
