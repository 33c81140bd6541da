"""Map layers, market drill-down and expansion on the tiny CRM, against hand-worked numbers."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from dashboard.db import read_only_engine
from dashboard.filters import Drill, Filters, Scope
from dashboard.snapshot import Snapshot, refresh
from queries import customers, geo
from queries.kpis import KPIS
from tests import tiny

PERIOD = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31))
COUNTRY_REGION = {"US": 1, "DE": 2}


def test_country_metrics(tiny_src: Snapshot) -> None:
    rows = {r["country_iso2"]: r for r in geo.country_metrics(tiny_src, PERIOD).iter_rows(named=True)}
    # The unknown country code (customer 8) has no country to draw.
    assert list(rows) == ["US", "DE"]
    us, de = rows["US"], rows["DE"]
    # US: active 1, 2, 6; revenue 1500 against 800 before; 4 NPS answers (too few); churn over too few
    # customers active at the start to show; all revenue through partner 1.
    assert (us["customers"], us["revenue"], us["previous"]) == (3, 1500.0, 800.0)
    assert us["growth"] == pytest.approx(87.5)
    assert (us["responses"], us["nps"], us["churn_rate"], us["partner_share"]) == (4, None, None, 1.0)
    # DE: active 3, 4, 7; 290 against nothing.
    assert (de["customers"], de["previous"], de["growth"], de["partner_share"], de["churn_rate"]) == (
        3, 0.0, None, 0.0, None)
    assert de["revenue"] == pytest.approx(290.0)


def test_churn_by_country(tiny_src: Snapshot) -> None:
    # Active at the start: US 1 and 6, DE 3, 5 and 7; of these only 5 is no longer active at the end.
    churn = customers.churn_by(tiny_src, PERIOD, "country_iso2")
    assert churn.select("country_iso2", "active_at_start", "churned").rows() == [("DE", 3, 1), ("US", 2, 0)]
    assert churn["churn_rate"].to_list() == pytest.approx([1 / 3, 0.0])


def test_city_points_merge_small_places_without_personal_data_rights(tiny_src: Snapshot) -> None:
    # Every tiny customer lives in "City": US has 3 customers, DE 4 (customer 9 is a second record of
    # customer 3), XX 1. Every place is under 5 customers: nothing is drawn without personal-data rights.
    assert geo.city_points(tiny_src, PERIOD).is_empty()
    full = geo.city_points(tiny_src, replace(PERIOD, personal_data=True))
    assert full.select("country_iso2", "customers", "revenue").rows() == [
        ("US", 3, 1500.0), ("DE", 4, pytest.approx(290.0)), ("XX", 1, 0.0)]


def test_a_customer_without_a_longitude_is_no_city_point(tmp_path: Path) -> None:
    frames = tiny.tables()
    frames["customers"] = frames["customers"].with_columns(
        pl.when(pl.col("id") == 1).then(None).otherwise(pl.col("lon")).alias("lon"))
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    tiny.write(url, frames)
    refresh(read_only_engine(url), tmp_path / "snapshot")
    points = geo.city_points(Snapshot.open(tmp_path / "snapshot"), replace(PERIOD, personal_data=True))
    # US had customers 1, 2 and 6 in "City"; 1 has a latitude only and cannot be placed.
    assert dict(points.select("country_iso2", "customers").rows()) == {"US": 2, "DE": 4, "XX": 1}
    assert points["lon"].null_count() == 0


def test_market_expansion(tiny_src: Snapshot) -> None:
    ranking = {r["country_iso2"]: r for r in geo.market_expansion(tiny_src, PERIOD).iter_rows(named=True)}
    assert ranking["US"]["per_million"] == pytest.approx(3 / 331)
    assert ranking["US"]["revenue_per_customer"] == pytest.approx(500.0)
    assert ranking["DE"]["revenue_per_customer"] == pytest.approx(290 / 3)
    # US grows 87.5 % (no NPS to hold it back): invest. DE: no growth figure, churn not above twice
    # the median (1/6): hold.
    assert (ranking["US"]["action"], ranking["DE"]["action"]) == ("invest", "hold")


def test_mix(tiny_src: Snapshot) -> None:
    segments = geo.mix(tiny_src, PERIOD, "segment")
    # Customer 9 is a second record of customer 3 and counts once, with it.
    assert segments.select("segment", "customers").rows() == [
        ("SMB", 4), ("Enterprise", 2), ("Consumer", 1), ("Mid-market", 1)]
    assert segments["share"][0] == pytest.approx(4 / 8)


def test_market_against_world(tiny_src: Snapshot, monkeypatch: pytest.MonkeyPatch) -> None:
    germany = replace(PERIOD, countries=("DE",))
    # The tiny CRM is far below every minimum sample: nothing is compared.
    versus = geo.market_vs_world(tiny_src, germany)
    assert versus["market"].to_list() == versus["world"].to_list() == [None] * 4
    for key in geo.VERSUS_WORLD:
        monkeypatch.setitem(KPIS, key, replace(KPIS[key], min_sample=0))
    versus = {r["measure"]: (r["market"], r["world"])
              for r in geo.market_vs_world(tiny_src, germany).iter_rows(named=True)}
    assert versus["nps"] == pytest.approx((-100.0, 100 / 6))
    assert versus["csat"] == pytest.approx((100.0, 200 / 3))
    assert versus["first_response"] == pytest.approx((2.0, 2.0))
    assert versus["sla_attainment"] == pytest.approx((0.0, 0.25))


def test_active_people(tiny_src: Snapshot) -> None:
    us = geo.active_people(tiny_src, replace(PERIOD, countries=("US",)))
    # Rep 1 had one interaction (with customer 2); partner 1 sourced orders 1 and 2.
    assert us.select("kind", "id", "count", "revenue").rows() == [("rep", 1, 1, None), ("partner", 1, 2, 1500.0)]


def test_scope_hides_other_regions_on_the_map(tiny_src: Snapshot) -> None:
    emea = replace(PERIOD, scope=Scope(regions=frozenset({2})), personal_data=True)
    assert set(geo.country_metrics(tiny_src, emea)["country_iso2"]) == {"DE"}
    assert set(geo.city_points(tiny_src, emea)["country_iso2"]) == {"DE"}


@pytest.mark.parametrize(("value", "drill", "valid"), [
    (None, Drill(), True), ("2", Drill(2), True), ("2/DE", Drill(2, "DE"), True),
    ("2/DE/Berlin", Drill(2, "DE", "Berlin"), True), ("9", Drill(), False), ("x", Drill(), False),
    ("2/US", Drill(2), False),
])
def test_drill_from_the_url(value: str | None, drill: Drill, valid: bool) -> None:
    assert Drill.from_param(value, PERIOD, COUNTRY_REGION) == (drill, valid)
    if valid and value:
        assert drill.to_param() == value


def test_drill_never_leaves_the_scope() -> None:
    emea_lead = replace(PERIOD, scope=Scope(regions=frozenset({2})))
    # A lead's map starts at their region, and a link outside it falls back there.
    assert Drill.from_param("1/US", emea_lead, COUNTRY_REGION) == (Drill(2), False)
    assert Drill.from_param(None, emea_lead, COUNTRY_REGION) == (Drill(2), True)
    narrowed = Drill(2, "DE").narrow(emea_lead)
    assert (narrowed.visible_regions, narrowed.countries) == ((2,), ("DE",))
    assert Drill(2, "DE", "Berlin").up() == Drill(2, "DE")
    assert Drill(2, "DE").up().up() == Drill()


def test_drill_starts_at_what_the_viewer_chose() -> None:
    assert Drill.start(PERIOD, COUNTRY_REGION) == Drill()
    assert Drill.start(replace(PERIOD, regions=(1,)), COUNTRY_REGION) == Drill(1)
    assert Drill.start(replace(PERIOD, countries=("DE",)), COUNTRY_REGION) == Drill(2, "DE")
    assert Drill.start(replace(PERIOD, countries=("DE", "US")), COUNTRY_REGION) == Drill()
    # Never above the start, never outside the chosen countries.
    germany = replace(PERIOD, countries=("DE",))
    assert Drill.from_param("2", germany, COUNTRY_REGION) == (Drill(2, "DE"), True)
    assert Drill.from_param("1/US", germany, COUNTRY_REGION) == (Drill(2, "DE"), False)
    assert Drill(2, "DE", "Berlin").trail(Drill()) == [Drill(), Drill(2), Drill(2, "DE"), Drill(2, "DE", "Berlin")]
    assert Drill(2, "DE").trail(Drill(2)) == [Drill(2), Drill(2, "DE")]


def test_the_city_level_narrows_every_query(tiny_src: Snapshot) -> None:
    from queries import revenue

    everyone = replace(PERIOD, personal_data=True)
    # Every tiny customer lives in "City": the city holds the whole country.
    us = replace(everyone, countries=("US",))
    city = geo.in_city(tiny_src, us, "City")
    assert city.city == "City" and "customer_ids" not in repr(city)
    assert revenue.revenue(tiny_src, city)["revenue"][0] == revenue.revenue(tiny_src, us)["revenue"][0] == 1500.0
    assert geo.mix(tiny_src, city, "segment").equals(geo.mix(tiny_src, us, "segment"))
    # A city where nobody lives has no rows, in any table, in the period or before it.
    nowhere = geo.in_city(tiny_src, us, "Nowhere")
    assert revenue.revenue(tiny_src, nowhere)["orders"][0] == 0
    assert revenue.revenue(tiny_src, nowhere.comparison())["orders"][0] == 0
    assert geo.mix(tiny_src, nowhere, "segment").is_empty()
    assert geo.active_people(tiny_src, nowhere).is_empty()
    # The market is compared with every market the viewer may see, not with the city.
    assert geo.without_city(nowhere) == us


def test_top_lists_are_sorted_by_their_measure(tiny_src: Snapshot) -> None:
    people = geo.active_people(tiny_src, PERIOD)
    for kind, measure in (("rep", "count"), ("partner", "revenue")):
        values = people.filter(people["kind"] == kind)[measure].to_list()
        assert values == sorted(values, reverse=True)


def test_every_served_country_has_a_shape() -> None:
    from dashboard.demo import MARKETS
    from dashboard.maps import country_codes

    assert set(MARKETS) <= country_codes()


def test_country_names_follow_the_language_and_its_usage() -> None:
    from queries.markets import country_name

    assert country_name("AE", "UAE", "en") == "United Arab Emirates"
    assert country_name("AE", "UAE", "zh-CN") == "阿拉伯联合酋长国"
    assert country_name("TW", "Taiwan", "en") == "Taiwan"
    assert country_name("TW", "Taiwan", "zh-CN") == "中国台湾"  # as 中国香港特别行政区
    assert country_name("HK", "Hong Kong", "zh-CN") == "中国香港特别行政区"
    assert country_name("XK", "Kosovo", "en") == "Kosovo"  # CLDR's own name
    assert country_name("QQ", "Somewhere", "en") == "Somewhere"  # not a known code: the CRM's name
