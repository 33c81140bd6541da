"""The demo CRM: deterministic, realistic, and the planted patterns of docs/demo-data.md are really there
and found by the dashboard's own queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from dashboard.demo import TROUBLED_PARTNER_NAME, Plan, build_world, customer_batches, write_demo
from dashboard.filters import Filters
from dashboard.snapshot import Snapshot
from queries import customers, overview, partners, quality, satisfaction, service
from tests.conftest import snapshot_of

AS_OF = dt.date(2026, 6, 1)
LAST_YEAR = Filters(start=dt.date(2025, 6, 1), end=dt.date(2026, 5, 31))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    folder = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{folder / 'crm.sqlite'}"
    write_demo(url, Plan(20_000, 7, AS_OF))
    return replace(snapshot_of(url, folder / "snap"), refreshed_at=dt.datetime(2026, 6, 1))


def test_same_seed_same_rows() -> None:
    plan = Plan(300, 5, AS_OF)
    first = next(customer_batches(plan, build_world(plan)))
    second = next(customer_batches(plan, build_world(plan)))
    for name, frame in first.items():
        assert frame.equals(second[name]), name
    other = next(customer_batches(Plan(300, 6, AS_OF), build_world(Plan(300, 6, AS_OF))))
    assert not other["orders"].equals(first["orders"])


def test_scale_of_default_data(demo: Snapshot) -> None:
    events = sum(demo.scan(t).select(pl.len()).collect().item()
                 for t in ("orders", "opportunities", "interactions", "tickets", "surveys"))
    assert 250_000 < events < 600_000
    assert demo.scan("customers").select(pl.len()).collect().item() == 20_200  # 1 % duplicates


def test_falling_nps_in_brazil(demo: Snapshot) -> None:
    brazil = replace(LAST_YEAR, countries=("BR",))
    early = satisfaction.nps(demo, replace(brazil, start=dt.date(2025, 1, 1), end=dt.date(2025, 5, 31)))
    late = satisfaction.nps(demo, replace(brazil, start=dt.date(2025, 12, 1), end=dt.date(2026, 5, 31)))
    assert early["nps"][0] - late["nps"][0] > 30
    world = satisfaction.nps(demo, replace(LAST_YEAR, start=dt.date(2025, 12, 1)))
    assert world["nps"][0] > late["nps"][0] + 20


def test_slow_service_in_brazil(demo: Snapshot) -> None:
    recent = Filters(start=dt.date(2025, 12, 10), end=dt.date(2026, 5, 31))
    by_country = service.response_times_by(demo, recent, "country_iso2")
    brazil = by_country.filter(pl.col("country_iso2") == "BR")["first_response_median_h"][0]
    world = service.response_times(demo, recent)["first_response_median_h"][0]
    assert brazil > 3 * world
    assert by_country.sort("first_response_median_h", descending=True)["country_iso2"][0] == "BR"


def test_churn_in_france(demo: Snapshot) -> None:
    france = customers.churn(demo, replace(LAST_YEAR, countries=("FR",)))["churn_rate"][0]
    others = customers.churn(demo, LAST_YEAR)["churn_rate"][0]
    assert france > 2 * others


def test_growing_and_shrinking_markets(demo: Snapshot) -> None:
    movers = overview.market_movers(demo, replace(LAST_YEAR, compare="previous_period"))
    growth = dict(zip(movers["country_iso2"], movers["change_pct"], strict=True))
    top = sorted(growth, key=lambda c: growth[c] or 0, reverse=True)[:4]
    assert {"AE", "IN", "VN"} <= set(top)
    assert growth["IT"] < 0 and growth["BR"] < 0


def test_expansion_ranking_marks_the_planted_markets(demo: Snapshot) -> None:
    from queries.geo import market_expansion

    actions = dict(market_expansion(demo, LAST_YEAR).select("country_iso2", "action").rows())
    assert actions["BR"] == "fix" and actions["IT"] == "fix"
    assert actions["AE"] == "invest" and actions["IN"] == "invest"
    assert actions["VN"] != "fix"  # fastest growth, satisfaction just below the median market's


def test_troubled_partner(demo: Snapshot) -> None:
    names = demo.scan("partners").select(pl.col("id").alias("partner_id"), "name").collect()
    orion = names.filter(pl.col("name") == TROUBLED_PARTNER_NAME)["partner_id"][0]
    recent = partners.partner_scorecard(demo, Filters(start=dt.date(2025, 9, 10), end=dt.date(2026, 5, 31)))
    before = partners.partner_scorecard(demo, Filters(start=dt.date(2024, 12, 10), end=dt.date(2025, 8, 31)))
    row_now = recent.filter(pl.col("partner_id") == orion).row(0, named=True)
    row_before = before.filter(pl.col("partner_id") == orion).row(0, named=True)
    assert row_now["revenue"] < 0.5 * row_before["revenue"]
    year = partners.partner_scorecard(demo, LAST_YEAR)
    others = year.filter((pl.col("partner_id") != orion) & (pl.col("closed") >= 10))
    assert year.filter(pl.col("partner_id") == orion)["win_rate"][0] < others["win_rate"].median() / 2


def test_dirty_records_are_found(demo: Snapshot) -> None:
    checks = {r["check"]: r["share"] for r in quality.customer_quality(demo, LAST_YEAR).iter_rows(named=True)}
    assert 0.005 < checks["duplicate"] < 0.02
    assert 0.02 < checks["missing_email"] < 0.07
    assert 0 < checks["unknown_country"] < 0.01
    assert checks["stale"] > 0.01


def test_channels_fit_the_country(demo: Snapshot) -> None:
    # Customers with a mistyped country code (planted) keep the channel of their real country.
    mix = (demo.scan("interactions").filter(pl.col("region_id").is_not_null())
           .group_by("channel").agg(pl.col("country_iso2").unique()).collect())
    where = dict(zip(mix["channel"], mix["country_iso2"].to_list(), strict=True))
    assert set(where["WeChat"]) == {"CN"}
    assert set(where["LINE"]) == {"JP", "TW", "TH"}
    assert {"BR", "IN", "ID", "MX"} == set(where["WhatsApp"])


def test_coordinates_are_real(demo: Snapshot, tmp_path: Path) -> None:
    shanghai = demo.scan("customers").filter(pl.col("city") == "Shanghai").select("lat", "lon").collect()
    assert shanghai.height > 0
    assert shanghai["lat"].mean() == pytest.approx(31.22, abs=0.1)
    assert shanghai["lon"].mean() == pytest.approx(121.46, abs=0.1)
