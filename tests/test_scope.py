"""A regional scope is enforced inside every query.

Every public query function runs twice: as a regional lead over the whole tiny CRM, and as an
administrator over a CRM that holds only that region's rows. The results must be identical — so a
query that forgets the scope (and sees the other region's rows) fails here. Query functions are
found by inspection, so a new query is covered without being listed.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

import queries
from dashboard.filters import EVERYTHING, Filters, Scope
from dashboard.snapshot import Snapshot
from queries import geo, kpis, revenue
from queries.common import month_of
from tests import tiny
from tests.conftest import snapshot_of

PERIOD = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31))
AMER, EMEA = 1, 2
# Every module of the query layer: a new one is covered without being listed.
MODULES = tuple(importlib.import_module(f"queries.{m.name}") for m in pkgutil.iter_modules(queries.__path__))
# Arguments beyond (snapshot, filters) for the queries that need them.
EXTRA_ARGS: dict[str, tuple] = {
    "revenue_by": (month_of("orders"),), "new_customers_by": (month_of("customers"),),
    "active_ids": (dt.datetime(2026, 5, 1),), "nps_by": ("country_iso2",), "csat_by": ("channel",),
    "ces_by": ("channel",),
    "response_times_by": ("region_id",), "first_response_times_by": ("region_id",),
    "resolution_times_by": ("region_id",), "sla_attainment_by": ("region_id",),
    "win_rate_by": ("partner_id",), "partner_revenue_by": (month_of("orders"),),
    "active_partners_by": (month_of("orders"),), "churn_by": ("segment",),
    "mix": ("segment",), "measure": (tuple(kpis.KPIS),), "monthly": (tuple(kpis.KPIS),),
    "measure_by": (tuple(kpis.KPIS), "team_id"), "deals_by": ("team_id",),
    "rows": ("orders",),
    "pipeline_by": ("team_id",), "tickets_handled_by": ("team_id",), "backlog_by": ("team_id",),
    "ticket_csat_by": ("team_id",), "team_scorecard": ("service",), "team_trends": ("service",),
    "team_scores": ((("sla_attainment", 1.0), ("first_response", 1.0)),), "rep_scorecard": (2,),
    "rep_deals": (2,), "rep_tickets": (2,), "language_coverage": ("region_id",),
    "follow_up_by": ("region_id",), "open_detractors": (0,), "score_trend": ("month", "country_iso2"),
    "score_trend_compared": ("month",), "breakdown": ("segment",), "nps_mix": ("month",),
    "company_value": ("nps",), "score_target": ("nps",),
}


def query_functions() -> Iterator[Callable[..., object]]:
    for module in MODULES:
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module.__name__ or name.startswith("_"):
                continue
            if list(inspect.signature(fn).parameters)[:2] == ["src", "f"]:
                yield fn


QUERIES = sorted(query_functions(), key=lambda fn: f"{fn.__module__}.{fn.__name__}")


def regional_crm(region: int) -> dict[str, pl.DataFrame]:
    """The tiny CRM holding only the rows of `region`: its customers and their events, its teams with
    their reps and targets; reference tables (regions, countries, rates, partners) and company-wide targets
    whole."""
    frames = tiny.tables()
    countries = frames["countries"].filter(pl.col("region_id") == region)["iso2"]
    kept = frames["customers"].filter(pl.col("country_iso2").is_in(countries.implode()))
    ids = kept["id"].implode()
    teams = frames["teams"].filter(pl.col("region_id") == region)
    reps = frames["reps"].filter(pl.col("team_id").is_in(teams["id"].implode()))
    regional = dict(frames, customers=kept, teams=teams, reps=reps,
                    targets=frames["targets"].filter(pl.col("scope_id").is_in(teams["id"].implode())
                                                      | (pl.col("scope_kind") == "company")))
    for name in ("contacts", "orders", "opportunities", "interactions", "tickets", "surveys", "consents",
                 "data_requests"):
        regional[name] = frames[name].filter(pl.col("customer_id").is_in(ids))
    # Events of the region's customers may name reps of other teams: they stay, as in the whole CRM.
    return regional


@pytest.fixture(scope="module")
def whole_and_regional(tmp_path_factory: pytest.TempPathFactory) -> tuple[Snapshot, Snapshot]:
    folder = tmp_path_factory.mktemp("scope")
    whole_url, regional_url = f"sqlite:///{folder / 'whole.sqlite'}", f"sqlite:///{folder / 'emea.sqlite'}"
    tiny.write(whole_url)
    tiny.write(regional_url, regional_crm(EMEA))
    whole, regional = snapshot_of(whole_url, folder / "whole"), snapshot_of(regional_url, folder / "emea")
    # "Due" and "stale" are judged at the data's as-of time: the same moment for both.
    return whole, replace(regional, data_first=whole.data_first, data_last=whole.data_last)


def _result(fn: Callable[..., object], src: Snapshot, f: Filters) -> pl.DataFrame:
    out = fn(src, f, *EXTRA_ARGS.get(fn.__name__, ()))
    frame = out.collect() if isinstance(out, pl.LazyFrame) else out
    assert isinstance(frame, pl.DataFrame)
    return frame


@pytest.mark.parametrize("fn", QUERIES, ids=lambda fn: f"{fn.__module__.split('.')[-1]}.{fn.__name__}")
def test_lead_over_everything_equals_admin_over_their_region(whole_and_regional: tuple[Snapshot, Snapshot],
                                                            fn: Callable[..., object]) -> None:
    whole, regional = whole_and_regional
    lead = _result(fn, whole, replace(PERIOD, scope=Scope(regions=frozenset({EMEA})), personal_data=True))
    admin = _result(fn, regional, replace(PERIOD, personal_data=True))
    assert lead.equals(admin), f"{fn.__name__}:\n{lead}\n!=\n{admin}"


def test_every_query_is_checked() -> None:
    names = {fn.__name__ for fn in QUERIES}
    assert {"revenue", "top_customers", "target_attainment", "country_metrics", "measure", "customer_quality"} <= names
    assert len(QUERIES) >= 40


def test_the_scope_test_sees_a_leak(whole_and_regional: tuple[Snapshot, Snapshot]) -> None:
    # A query that ignores the viewer's region gives the lead the Americas' revenue too.
    whole, regional = whole_and_regional

    def leaky(src: Snapshot, f: Filters) -> pl.DataFrame:
        return revenue.revenue(src, replace(f, scope=EVERYTHING))

    lead = leaky(whole, replace(PERIOD, scope=Scope(regions=frozenset({EMEA}))))
    assert not lead.equals(leaky(regional, PERIOD))


def test_a_region_outside_the_scope_shows_nothing(whole_and_regional: tuple[Snapshot, Snapshot]) -> None:
    whole, _ = whole_and_regional
    outside = revenue.revenue(whole, replace(PERIOD, scope=Scope(regions=frozenset({EMEA})), regions=(AMER,)))
    assert outside["orders"][0] == 0
    assert replace(PERIOD, scope=Scope(regions=frozenset({EMEA})), regions=(AMER, EMEA)).visible_regions == (EMEA,)
    assert PERIOD.visible_regions is None


def test_world_comparison_is_the_world_the_viewer_may_see(whole_and_regional: tuple[Snapshot, Snapshot]) -> None:
    # For an EMEA lead the "world" of the market comparison is EMEA, never the Americas.
    whole, _ = whole_and_regional
    lead = replace(PERIOD, scope=Scope(regions=frozenset({EMEA})), countries=("DE",))
    versus = geo.market_vs_world(whole, lead)
    assert versus["world"].to_list() == versus["market"].to_list()


def test_regional_crm_is_what_it_says(tmp_path: Path) -> None:
    emea = regional_crm(EMEA)
    assert set(emea["customers"]["country_iso2"]) == {"DE"}
    assert set(emea["teams"]["region_id"]) == {EMEA}


KEYED_BY_PART = [fn for fn in QUERIES if hasattr(fn, "filters_used")]


def test_queries_that_ignore_the_period_say_so() -> None:
    names = {fn.__name__ for fn in KEYED_BY_PART}
    assert {"monthly", "money_after_response", "churn_after_follow_up", "data_findings", "customer_quality"} <= names


@pytest.mark.parametrize("fn", KEYED_BY_PART, ids=lambda fn: f"{fn.__module__.split('.')[-1]}.{fn.__name__}")
@pytest.mark.parametrize("view", [PERIOD, replace(PERIOD, start=dt.date(2025, 11, 1), end=dt.date(2025, 11, 30),
                                                  preset="last_month", compare="same_period_last_year",
                                                  currency="EUR")], ids=["period", "another_month_in_eur"])
def test_a_query_cached_by_part_of_the_filters_answers_the_same_from_that_part(
        whole_and_regional: tuple[Snapshot, Snapshot], fn: Callable[..., object], view: Filters) -> None:
    # The cache calls such a query with only the part of the filters it declares (`dashboard.cache`).
    whole, _ = whole_and_regional
    assert _result(fn, whole, view).equals(_result(fn, whole, fn.filters_used(view)))  # type: ignore[attr-defined]
