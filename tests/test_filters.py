"""Filters: periods, comparison, URL round-trip, invalid parameters dropped with a notice."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.filters import EVERYTHING, PRESETS, Filters, Scope, preset_window

TODAY = dt.date(2026, 11, 26)
REGIONS = {1: "Americas", 2: "EMEA"}
COUNTRIES = {"US": 1, "DE": 2, "FR": 2}


D = dt.date


# TODAY is the data's last complete day, a Thursday late in November 2026.
@pytest.mark.parametrize(("preset", "window", "previous"), [
    # Open calendar units: the same number of days from the start of the previous unit.
    ("month_to_date", (D(2026, 11, 1), TODAY), (D(2026, 10, 1), D(2026, 10, 26))),
    # 1 Oct – 26 Nov is 57 days; 1 Jul + 56 days is 26 Aug.
    ("quarter_to_date", (D(2026, 10, 1), TODAY), (D(2026, 7, 1), D(2026, 8, 26))),
    ("year_to_date", (D(2026, 1, 1), TODAY), (D(2025, 1, 1), D(2025, 11, 26))),
    # Whole calendar units: the previous unit, whatever its length.
    ("last_month", (D(2026, 10, 1), D(2026, 10, 31)), (D(2026, 9, 1), D(2026, 9, 30))),
    ("last_quarter", (D(2026, 7, 1), D(2026, 9, 30)), (D(2026, 4, 1), D(2026, 6, 30))),
    ("last_year", (D(2025, 1, 1), D(2025, 12, 31)), (D(2024, 1, 1), D(2024, 12, 31))),
    # Rolling windows: the window of equal length just before.
    ("last_30_days", (D(2026, 10, 28), TODAY), (D(2026, 9, 28), D(2026, 10, 27))),
    ("last_90_days", (D(2026, 8, 29), TODAY), (D(2026, 5, 31), D(2026, 8, 28))),
    ("last_12_months", (D(2025, 11, 27), TODAY), (D(2024, 11, 27), D(2025, 11, 26))),
])
def test_presets_and_what_they_compare_with(preset: str, window: tuple, previous: tuple) -> None:
    assert preset_window(preset, TODAY) == window
    f = Filters(start=window[0], end=window[1], preset=preset)
    before = f.comparison()
    assert (before.start, before.end) == previous
    assert f.is_open == preset.endswith("to_date")


def test_open_period_never_runs_past_the_previous_unit() -> None:
    # 1–31 March to date: February has 28 days, so the comparison is the whole of February.
    f = Filters(start=D(2026, 3, 1), end=D(2026, 3, 31), preset="month_to_date")
    assert (f.comparison().start, f.comparison().end) == (D(2026, 2, 1), D(2026, 2, 28))
    # January 2026 to date compares with December 2025 (the unit before crosses the year).
    jan = Filters(start=D(2026, 1, 1), end=D(2026, 1, 10), preset="month_to_date")
    assert (jan.comparison().start, jan.comparison().end) == (D(2025, 12, 1), D(2025, 12, 10))


def test_same_period_last_year_for_an_open_period() -> None:
    f = Filters(start=D(2026, 11, 1), end=TODAY, preset="month_to_date", compare="same_period_last_year")
    assert (f.comparison().start, f.comparison().end) == (D(2025, 11, 1), D(2025, 11, 26))


def test_round_trip_through_url() -> None:
    f = Filters(start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28), preset="custom",
                compare="same_period_last_year", regions=(2,), countries=("DE",), segments=("SMB",),
                channels=("email", "WeChat"), currency="EUR", lang="zh-CN")
    back, dropped = Filters.from_params(f.to_params(), TODAY, EVERYTHING, REGIONS, COUNTRIES)
    assert back == f
    assert dropped == []


@pytest.mark.parametrize("preset", PRESETS[:-1])
def test_round_trip_presets(preset: str) -> None:
    start, end = preset_window(preset, TODAY)
    f = Filters(start=start, end=end, preset=preset)
    assert Filters.from_params(f.to_params(), TODAY, EVERYTHING, REGIONS, COUNTRIES)[0] == f


def test_invalid_parameters_are_dropped_and_named() -> None:
    params = {"period": "forever", "currency": "XYZ", "region": "2,99", "country": "DE,ZZ", "segment": "Giant",
              "lang": "fr", "utm_source": "mail", "from": "2026-13-01"}
    f, dropped = Filters.from_params(params, TODAY, EVERYTHING, REGIONS, COUNTRIES)
    assert f.preset == "last_90_days" and f.currency == "USD" and f.lang == "en"
    assert f.regions == (2,) and f.countries == ("DE",) and f.segments == ()
    assert set(dropped) == {"period=forever", "currency=XYZ", "region=99", "country=ZZ", "segment=Giant",
                            "lang=fr", "utm_source"}


def test_bad_custom_dates_fall_back() -> None:
    f, dropped = Filters.from_params({"period": "custom", "from": "2026-05-01", "to": "2026-04-01"}, TODAY,
                                     EVERYTHING, REGIONS, COUNTRIES)
    assert f.preset == "last_90_days"
    assert dropped


def test_future_custom_period_is_refused() -> None:
    f, dropped = Filters.from_params({"period": "custom", "from": "2026-12-01", "to": "2026-12-31"}, TODAY,
                                     EVERYTHING, REGIONS, COUNTRIES)
    assert f.preset == "last_90_days" and dropped


def test_url_cannot_widen_the_scope() -> None:
    emea = Scope(regions=frozenset({2}))
    f, dropped = Filters.from_params({"region": "1", "country": "US"}, TODAY, emea, REGIONS, COUNTRIES)
    assert f.regions == () and f.countries == ()
    assert f.visible_regions == (2,)
    assert "region=1" in dropped


def test_equal_filters_hash_equal() -> None:
    a = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31), scope=Scope(regions=frozenset({1, 2})))
    b = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31), scope=Scope(regions=frozenset({2, 1})))
    assert a == b and hash(a) == hash(b)
