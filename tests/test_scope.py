"""A regional scope is enforced inside every query: no query returns another region's rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

import polars as pl
import pytest

from dashboard.filters import Filters
from dashboard.snapshot import Snapshot
from queries import customers, geo, overview, partners, quality, revenue, satisfaction, service, targets
from queries.common import month_of

PERIOD = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31))
AMER, EMEA = 1, 2

# Every page query, with the arguments it needs beyond (snapshot, filters).
QUERIES: list[tuple[Callable[..., pl.DataFrame], tuple]] = [
    (revenue.revenue, ()), (revenue.revenue_by_country, ()), (revenue.revenue_by, (month_of("orders"),)),
    (customers.active_customers, ()), (customers.new_customers, ()), (customers.churn, ()),
    (customers.lifecycle, ()), (customers.top_customers, ()),
    (customers.new_customers_by, (month_of("customers"),)),
    (satisfaction.nps, ()), (satisfaction.csat, ()), (satisfaction.ces, ()),
    (satisfaction.nps_by, ("country_iso2",)), (satisfaction.csat_by, ("channel",)),
    (service.response_times, ()), (service.sla_attainment, ()), (service.response_times_by, ("region_id",)),
    (service.sla_attainment_by, ("region_id",)),
    (partners.win_rate, ()), (partners.active_partners, ()), (partners.partner_scorecard, ()),
    (targets.target_attainment, ()),
    (overview.headline_kpis, ()), (overview.monthly_trends, ()), (overview.market_movers, ()),
    (quality.customer_quality, ()), (quality.data_requests, ()),
    (geo.country_metrics, ()), (geo.city_points, ()), (geo.market_expansion, ()), (geo.mix, ("segment",)),
    (geo.active_people, ()),
]


def _id(item: tuple) -> str:
    return item[0].__module__.split(".")[-1] + "." + item[0].__name__


@pytest.mark.parametrize("query", QUERIES, ids=_id)
def test_scope_equals_choosing_the_region_and_hides_others(tiny_sqlite: Snapshot, query: tuple) -> None:
    fn, args = query
    scoped = fn(tiny_sqlite, replace(PERIOD, scope=frozenset({EMEA})), *args)
    chosen = fn(tiny_sqlite, replace(PERIOD, regions=(EMEA,)), *args)
    assert scoped.equals(chosen)
    # Choosing a region outside the scope shows nothing at all, exactly as an empty scope does.
    outside = fn(tiny_sqlite, replace(PERIOD, scope=frozenset({EMEA}), regions=(AMER,)), *args)
    assert outside.equals(fn(tiny_sqlite, replace(PERIOD, scope=frozenset()), *args))
    for column in ("country_iso2", "region_id"):
        if column in scoped.columns:
            assert set(scoped[column].drop_nulls()) <= {"DE", EMEA}


def test_scope_changes_the_numbers(tiny_sqlite: Snapshot) -> None:
    assert revenue.revenue(tiny_sqlite, replace(PERIOD, scope=frozenset({AMER})))["revenue"][0] == 1500
    assert revenue.revenue(tiny_sqlite, replace(PERIOD, scope=frozenset({EMEA})))["revenue"][0] == pytest.approx(290)
    emea_teams = targets.target_attainment(tiny_sqlite, replace(PERIOD, scope=frozenset({EMEA})))
    assert set(emea_teams["team_id"]) == {2}


def test_visible_regions_never_widen_the_scope() -> None:
    f = replace(PERIOD, scope=frozenset({EMEA}), regions=(AMER, EMEA))
    assert f.visible_regions == (EMEA,)
    assert replace(PERIOD, scope=frozenset({EMEA}), regions=(AMER,)).visible_regions == ()
    assert PERIOD.visible_regions is None


def test_world_comparison_is_the_world_the_viewer_may_see(tiny_sqlite: Snapshot) -> None:
    # For an EMEA lead the "world" of the market comparison is EMEA, never the Americas.
    lead = replace(PERIOD, scope=frozenset({EMEA}))
    versus = geo.market_vs_world(tiny_sqlite, replace(lead, countries=("DE",)))
    assert versus["world"].to_list() == versus["market"].to_list()
