"""The KPI registry: its rules for changes, its minimum samples, and the docs that must agree with it."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl
import pytest

from dashboard.filters import Filters
from dashboard.paths import PROJECT_ROOT
from dashboard.snapshot import Snapshot
from queries import common, inputs, kpis
from queries.kpis import KPIS
from tests import tiny
from tests.conftest import snapshot_of

PERIOD = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31))


def test_money_changes_relatively_and_good_is_up() -> None:
    moved = kpis.change(KPIS["revenue"], 1790.0, 800.0)
    assert moved is not None
    assert (moved.relative, moved.direction, moved.verdict) == (True, "up", "good")
    assert moved.amount == pytest.approx(1790 / 800 - 1)


def test_lower_is_better_turns_a_rise_bad() -> None:
    moved = kpis.change(KPIS["churn_rate"], 0.12, 0.10, 200, 180)
    assert moved is not None and (moved.relative, moved.direction, moved.verdict) == (False, "up", "bad")
    assert moved.amount == pytest.approx(0.02)


def test_no_change_is_neutral_never_green() -> None:
    # NPS is shown without decimals: 23.4 against 23.2 is no change.
    flat = kpis.change(KPIS["nps"], 23.4, 23.2, 500, 480)
    assert flat is not None and (flat.direction, flat.verdict, flat.amount) == ("flat", "neutral", 0.0)
    same = kpis.change(KPIS["revenue"], 1000.0, 1000.0)
    assert same is not None and same.verdict == "neutral"


def test_minimum_sample_hides_the_change() -> None:
    # 29 responses now or before: below NPS's minimum of 30, so no change and no colour.
    assert kpis.change(KPIS["nps"], 40.0, 10.0, 29, 500) is None
    assert kpis.change(KPIS["nps"], 40.0, 10.0, 500, 29) is None
    assert kpis.change(KPIS["nps"], 40.0, 10.0, 30, 30) is not None
    assert not KPIS["nps"].enough(29) and KPIS["nps"].enough(30) and not KPIS["nps"].enough(None)


def test_no_relative_change_from_nothing() -> None:
    assert kpis.change(KPIS["revenue"], 500.0, 0.0) is None
    assert kpis.change(KPIS["revenue"], None, 10.0) is None


def test_neutral_kpis_never_judge() -> None:
    moved = kpis.change(KPIS["deal_size"], 2000.0, 1000.0, 50, 50)
    assert moved is not None and moved.verdict == "neutral"


def test_every_kpi_computes_its_columns(tiny_src: Snapshot) -> None:
    for kpi in kpis.KPI_LIST:
        frame = kpi.compute(tiny_src, PERIOD)
        assert frame.height == 1, kpi.key
        assert kpi.column in frame.columns and (kpi.sample is None or kpi.sample in frame.columns), kpi.key
        if kpi.monthly is not None:
            monthly = kpi.monthly(tiny_src, PERIOD)
            assert {"month", kpi.column} <= set(monthly.columns), kpi.key


def test_needs_unmet_by_a_crm_without_them(tmp_path: Path) -> None:
    # The tiny CRM without surveys, and with tickets never answered.
    frames = tiny.tables()
    frames["surveys"] = frames["surveys"].clear()
    frames["tickets"] = frames["tickets"].with_columns(pl.lit(None, pl.Datetime("us")).alias("first_response_at"))
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    tiny.write(url, frames)
    src = snapshot_of(url, tmp_path / "snapshot")
    assert inputs.unmet(src, KPIS["nps"].needs) == ["surveys"]
    assert inputs.unmet(src, KPIS["first_response"].needs) == ["tickets.first_response_at"]
    assert inputs.unmet(src, KPIS["resolution"].needs) == []
    assert inputs.unmet(src, ("orders|interactions", "partners.no_such_column")) == ["partners.no_such_column"]
    frames["orders"] = frames["orders"].clear()
    tiny.write(url, frames)
    without_orders = snapshot_of(url, tmp_path / "snapshot-2")
    assert inputs.unmet(without_orders, KPIS["active_customers"].needs) == []  # interactions will do
    assert inputs.unmet(without_orders, KPIS["revenue"].needs) == ["orders"]
    assert all(need in kpis.NEEDS_TEXT for kpi in kpis.KPI_LIST for need in kpi.needs)


def test_docs_show_the_registry() -> None:
    docs = (PROJECT_ROOT / "docs" / "metrics.md").read_text()
    found = re.search(r"<!-- kpi-registry:start -->\n(.*?)\n<!-- kpi-registry:end -->", docs, re.S)
    assert found, "docs/metrics.md lacks the registry table markers"
    assert found.group(1) == kpis.markdown_table(), "docs/metrics.md disagrees with queries/kpis.py:\n" + (
        kpis.markdown_table())


def test_a_kpi_without_history_shows_no_change() -> None:
    # The CRM keeps no stage history: last quarter's weighted pipeline is not what it was then.
    assert not KPIS["weighted_pipeline"].comparable
    assert kpis.change(KPIS["weighted_pipeline"], 2_000_000.0, 1_000_000.0) is None
    assert kpis.change(KPIS["pipeline_value"], 2_000_000.0, 1_000_000.0) is not None


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    from dashboard.demo import Plan, write_demo

    folder = tmp_path_factory.mktemp("small-demo")
    url = f"sqlite:///{folder / 'crm.sqlite'}"
    write_demo(url, Plan(1500, 7, dt.date(2026, 6, 1)))
    return snapshot_of(url, folder / "snapshot")


def active_by_hand(src: Snapshot, f: Filters, moment: dt.datetime) -> int:
    """Distinct customers with an order or interaction in the 365 days before `moment`."""
    from queries.customers import activity

    since = moment - dt.timedelta(days=365)
    return (activity(src, f).filter((pl.col("at") >= since) & (pl.col("at") < moment))
            .select(pl.col("customer_id").n_unique()).collect().item())


@pytest.mark.parametrize("crm", ["tiny", "demo"])
def test_shared_activity_flags_give_the_counts_of_a_plain_distinct_count(
        crm: str, tiny_sqlite: Snapshot, small_demo: Snapshot) -> None:
    from queries import customers
    from queries.common import month_ends

    src = tiny_sqlite if crm == "tiny" else small_demo
    last = src.last_day
    views = [Filters(start=last - dt.timedelta(days=89), end=last),
             Filters(start=last - dt.timedelta(days=89), end=last, regions=(2,)),
             Filters(start=last.replace(day=1), end=last, segments=("enterprise",), channels=("email",))]
    customers._flags.clear()
    for f in views * 2:  # the second round is answered from the shared flags
        window = kpis.trend_window(f)
        months, ends = month_ends(window)
        assert customers.active_customers(src, f)["active"][0] == active_by_hand(src, f, f.end_ts)
        assert customers.active_customers_by_month(src, window)["active"].to_list() == [
            active_by_hand(src, window, end) for end in ends]
        churn = customers.churn(src, f)
        start_ids = active_by_hand(src, f, f.start_ts)
        assert churn["active_at_start"][0] == start_ids
        from queries.customers import activity

        events = activity(src, f)
        before = events.filter(pl.col("at").is_between(f.start_ts - dt.timedelta(days=365), f.start_ts,
                                                       closed="left")).select("customer_id").unique()
        after = events.filter(pl.col("at").is_between(f.end_ts - dt.timedelta(days=365), f.end_ts,
                                                      closed="left")).select("customer_id").unique()
        assert churn["churned"][0] == before.join(after, on="customer_id", how="anti").collect().height
        assert len(months) == len(ends)


def test_a_trend_depends_only_on_the_day_its_period_ends(tiny_sqlite: Snapshot) -> None:
    from dashboard.cache import cached

    end = tiny_sqlite.last_day
    keys = ("revenue", "active_customers", "churn_rate", "nps")
    quarter = Filters(start=end - dt.timedelta(days=89), end=end, preset="last_90_days")
    month = Filters(start=end.replace(day=1), end=end, preset="this_month", compare="same_period_last_year")
    assert kpis.monthly(tiny_sqlite, quarter, keys).equals(kpis.monthly(tiny_sqlite, month, keys))
    assert kpis.trend_window(quarter) == kpis.trend_window(month) == kpis.trend_window(kpis.trend_window(month))
    assert cached(kpis.monthly)(tiny_sqlite, month, keys).equals(kpis.monthly(tiny_sqlite, quarter, keys))
    earlier = Filters(start=end - dt.timedelta(days=120), end=end - dt.timedelta(days=31))
    assert kpis.trend_window(earlier) != kpis.trend_window(quarter)


def test_queries_run_side_by_side_once_each_with_their_own_results() -> None:
    ran: list[int] = []

    def query(src: Snapshot, f: Filters, n: int) -> pl.DataFrame:
        ran.append(n)
        return pl.DataFrame({"n": [n], "end": [f.end]})

    def broken(src: Snapshot, f: Filters) -> pl.DataFrame:
        raise ValueError("no such column")

    month = Filters(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))
    calls = [(query, month, (1,)), (query, month.comparison(), (1,)), (query, month, (2,)), (query, month, (1,))]
    # The snapshot is only handed on to the queries.
    results = common.run_all(None, calls)  # type: ignore[arg-type]
    assert sorted(ran) == [1, 1, 2]
    assert results[query, month, (2,)]["n"][0] == 2
    assert results[query, month.comparison(), (1,)]["end"][0] == dt.date(2026, 2, 28)
    with pytest.raises(ValueError, match="no such column"):
        common.run_all(None, [(broken, month, ()), (query, month, (3,))])  # type: ignore[arg-type]
