"""Filters: periods, comparison, URL round-trip, invalid parameters dropped with a notice."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.filters import PRESETS, Filters, preset_window

TODAY = dt.date(2026, 11, 26)
REGIONS = {1: "Americas", 2: "EMEA"}
COUNTRIES = {"US": 1, "DE": 2, "FR": 2}


@pytest.mark.parametrize(("preset", "start"), [
    ("last_30_days", dt.date(2026, 10, 28)), ("last_90_days", dt.date(2026, 8, 29)),
    ("quarter_to_date", dt.date(2026, 10, 1)), ("year_to_date", dt.date(2026, 1, 1)),
    ("last_12_months", dt.date(2025, 11, 27)),
])
def test_presets_end_today(preset: str, start: dt.date) -> None:
    assert preset_window(preset, TODAY) == (start, TODAY)


def test_round_trip_through_url() -> None:
    f = Filters(start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28), preset="custom",
                compare="same_period_last_year", regions=(2,), countries=("DE",), segments=("SMB",),
                channels=("email", "WeChat"), currency="EUR", lang="zh-CN")
    back, dropped = Filters.from_params(f.to_params(), TODAY, None, REGIONS, COUNTRIES)
    assert back == f
    assert dropped == []


@pytest.mark.parametrize("preset", PRESETS[:-1])
def test_round_trip_presets(preset: str) -> None:
    start, end = preset_window(preset, TODAY)
    f = Filters(start=start, end=end, preset=preset)
    assert Filters.from_params(f.to_params(), TODAY, None, REGIONS, COUNTRIES)[0] == f


def test_invalid_parameters_are_dropped_and_named() -> None:
    params = {"period": "forever", "currency": "XYZ", "region": "2,99", "country": "DE,ZZ", "segment": "Giant",
              "lang": "fr", "utm_source": "mail", "from": "2026-13-01"}
    f, dropped = Filters.from_params(params, TODAY, None, REGIONS, COUNTRIES)
    assert f.preset == "last_90_days" and f.currency == "USD" and f.lang == "en"
    assert f.regions == (2,) and f.countries == ("DE",) and f.segments == ()
    assert set(dropped) == {"period=forever", "currency=XYZ", "region=99", "country=ZZ", "segment=Giant",
                            "lang=fr", "utm_source"}


def test_bad_custom_dates_fall_back() -> None:
    f, dropped = Filters.from_params({"period": "custom", "from": "2026-05-01", "to": "2026-04-01"}, TODAY,
                                     None, REGIONS, COUNTRIES)
    assert f.preset == "last_90_days"
    assert dropped


def test_future_custom_period_is_refused() -> None:
    f, dropped = Filters.from_params({"period": "custom", "from": "2026-12-01", "to": "2026-12-31"}, TODAY,
                                     None, REGIONS, COUNTRIES)
    assert f.preset == "last_90_days" and dropped


def test_url_cannot_widen_the_scope() -> None:
    f, dropped = Filters.from_params({"region": "1", "country": "US"}, TODAY, frozenset({2}), REGIONS, COUNTRIES)
    assert f.regions == () and f.countries == ()
    assert f.visible_regions == (2,)
    assert "region=1" in dropped


def test_equal_filters_hash_equal() -> None:
    a = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31), scope=frozenset({1, 2}))
    b = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31), scope=frozenset({2, 1}))
    assert a == b and hash(a) == hash(b)
