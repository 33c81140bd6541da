"""Closing the loop on a tiny case worked out by hand: shares followed up within 2 and 7 days (counting a
detractor only once its window is over), the median time, open detractors, and churn by follow-up."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import polars as pl
import pytest

from dashboard.filters import Filters, Scope
from dashboard.snapshot import Snapshot
from queries import followup, inputs, kpis
from tests import tiny
from tests.conftest import snapshot_of

# Refreshed on 2026-04-01, the data's last complete day is 31 March: "now" is 2026-04-01 00:00.
PERIOD = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31))

# customer, score, answered, followed up (None: never)
DETRACTORS = [
    (1, 3, "2026-01-10 00:00", "2026-01-11 00:00"),  # 24 h
    (1, 5, "2026-02-01 00:00", "2026-02-05 00:00"),  # 96 h: within 7 days, not 2
    (2, 0, "2026-02-10 00:00", "2026-02-25 00:00"),  # 360 h
    (3, 6, "2026-03-01 00:00", None),  # open, 31 days old
    (4, 4, "2026-03-27 00:00", None),  # 5 days old: due for 2 days, not yet for 7
    (4, 2, "2026-03-31 12:00", None),  # 12 hours old: not yet due at all
]


def frames() -> dict[str, pl.DataFrame]:
    base = tiny.tables()
    rows = [{"id": i, "customer_id": c, "kind": "NPS", "score": s, "comment": None, "language": "en",
             "channel": "email", "answered_at": dt.datetime.fromisoformat(at), "ticket_id": None,
             "followed_up_at": dt.datetime.fromisoformat(up) if up else None}
            for i, (c, s, at, up) in enumerate(DETRACTORS, start=1)]
    # A promoter with a follow-up time is no detractor.
    rows.append(rows[0] | {"id": 7, "score": 10})
    base["surveys"] = pl.DataFrame(rows).cast(dict(base["surveys"].schema)).select(base["surveys"].columns)
    return base


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    folder = tmp_path_factory.mktemp("followup")
    url = f"sqlite:///{folder / 'crm.sqlite'}"
    tiny.write(url, frames())
    return replace(snapshot_of(url, folder / "snap"), refreshed_at=dt.datetime(2026, 4, 1, 12))


def test_shares_and_median(src: Snapshot) -> None:
    assert src.as_of == dt.datetime(2026, 4, 1)
    row = followup.follow_up(src, PERIOD).row(0, named=True)
    assert (row["detractors"], row["followed"]) == (6, 3)
    # Due for 2 days: all but the last (5); within 2 days: the first only.
    assert (row["due_2d"], row["within_2d"]) == (5, 1)
    assert row["share_2d"] == pytest.approx(1 / 5)
    # Due for 7 days: the first four; within 7 days: the first two.
    assert (row["due_7d"], row["within_7d"], row["share_7d"]) == (4, 2, 0.5)
    assert row["median_hours"] == pytest.approx(96)  # of 24, 96 and 360 hours


def test_open_detractors_older_than(src: Snapshot) -> None:
    week = followup.open_detractors(src, PERIOD, 7)
    assert week.select("region", "open").rows() == [("Europe, Middle East & Africa", 1)]  # customer 3, DE
    assert week["oldest_days"][0] == pytest.approx(31)
    assert followup.open_detractors(src, PERIOD, 2)["open"].sum() == 2
    assert followup.open_detractors(src, PERIOD, 60).is_empty()


def test_follow_up_by_month(src: Snapshot) -> None:
    monthly = followup.follow_up_by(src, PERIOD, pl.col("answered_at").dt.month().alias("month"))
    assert monthly.select("month", "detractors", "within_2d").rows() == [(1, 1, 1), (2, 2, 0), (3, 3, 0)]


def test_churn_after_follow_up_on_the_tiny_crm(src: Snapshot) -> None:
    # Its cohort (two years ending 15 months before the data's end) has no detractor: nothing to say.
    assert followup.churn_after_follow_up(src, PERIOD).is_empty()


def test_registry_and_needs(src: Snapshot, tmp_path: pytest.TempPathFactory) -> None:
    measured = kpis.measure(src, PERIOD, ("follow_up_2d", "follow_up_7d", "follow_up_time"))
    assert measured["value"].to_list() == pytest.approx([0.2, 0.5, 96])
    # Ten detractors are the minimum: four are too few to show.
    assert not kpis.KPIS["follow_up_7d"].enough(4)
    assert inputs.unmet(src, kpis.KPIS["follow_up_2d"].needs) == []


@pytest.fixture(scope="module")
def money_src(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """Two NPS responses of 1 March 2025 — customer 1 a promoter, customer 3 a detractor — and their orders
    either side; no interactions."""
    base = frames()
    answered = dt.datetime(2025, 3, 1)
    extra = [{"id": 20 + i, "customer_id": c, "kind": "NPS", "score": s, "comment": None, "language": "en",
              "channel": "email", "answered_at": answered, "ticket_id": None, "followed_up_at": None}
             for i, (c, s) in enumerate([(1, 10), (3, 2)])]
    base["surveys"] = pl.concat([base["surveys"], pl.DataFrame(extra).cast(dict(base["surveys"].schema))])
    orders = [(1, 1, "2025-01-01", 100.0), (2, 1, "2025-05-01", 150.0), (3, 3, "2025-02-01", 200.0),
              # Outside the six months either side: left out.
              (4, 3, "2024-06-01", 999.0), (5, 1, "2025-12-01", 999.0)]
    base["orders"] = pl.DataFrame([
        {"id": i, "customer_id": c, "rep_id": None, "partner_id": None, "amount": a, "currency": "USD",
         "ordered_at": dt.datetime.fromisoformat(at), "product_line": "Platform", "status": "won",
         "updated_at": dt.datetime.fromisoformat(at)} for i, c, at, a in orders]).cast(
        dict(base["orders"].schema)).select(base["orders"].columns)
    base["interactions"] = base["interactions"].clear()
    folder = tmp_path_factory.mktemp("money")
    url = f"sqlite:///{folder / 'crm.sqlite'}"
    tiny.write(url, base)
    return replace(snapshot_of(url, folder / "snap"), refreshed_at=dt.datetime(2026, 4, 1, 12))


def test_revenue_and_churn_after_a_response(money_src: Snapshot) -> None:
    # The cohort: responses of the year ending six months (182 days) before 1 April 2026.
    result = {r["tone"]: r for r in followup.money_after_response(money_src, PERIOD).iter_rows(named=True)}
    assert set(result) == {"promoter", "detractor"}
    promoter, detractor = result["promoter"], result["detractor"]
    assert (promoter["revenue_before"], promoter["revenue_after"]) == (100, 150)
    assert promoter["revenue_change"] == pytest.approx(0.5) and promoter["churn"] == 0
    assert (detractor["revenue_before"], detractor["revenue_after"]) == (200, 0)
    assert detractor["revenue_change"] == pytest.approx(-1) and (detractor["churned"], detractor["churn"]) == (1, 1)


def test_revenue_after_a_response_in_another_currency_and_scope(money_src: Snapshot) -> None:
    # Every order around the responses is of 2025, when a euro was worth 1.05 dollars.
    in_eur = {r["tone"]: r for r in followup.money_after_response(money_src, replace(PERIOD, currency="EUR"))
              .iter_rows(named=True)}
    assert in_eur["promoter"]["revenue_before"] == pytest.approx(100 / 1.05)
    assert in_eur["promoter"]["revenue_after"] == pytest.approx(150 / 1.05)
    assert in_eur["detractor"]["revenue_before"] == pytest.approx(200 / 1.05)
    # Back in dollars: each currency's amounts are its own.
    assert followup.money_after_response(money_src, PERIOD)["revenue_before"].to_list() == [100, 200]
    # A lead of the Americas sees customer 1's response only (customer 3 is in Germany).
    americas = followup.money_after_response(money_src, replace(PERIOD, scope=Scope(regions=frozenset({1}))))
    assert americas.select("tone", "responses", "revenue_before", "churned").rows() == [("promoter", 1, 100, 0)]
