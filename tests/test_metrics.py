"""Every KPI on the tiny CRM (tests/tiny.py), on SQLite, PostgreSQL and MariaDB, against values
worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from dashboard.filters import Filters, Scope
from dashboard.snapshot import Snapshot
from queries import customers, kpis, markets, overview, partners, quality, revenue, satisfaction, service, targets

PERIOD = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31))


def test_period_and_comparison() -> None:
    assert PERIOD.days == 90
    previous = PERIOD.comparison()
    assert (previous.start, previous.end) == (dt.date(2025, 10, 3), dt.date(2025, 12, 31))
    last_year = Filters(start=PERIOD.start, end=PERIOD.end, compare="same_period_last_year").comparison()
    assert (last_year.start, last_year.end) == (dt.date(2025, 1, 1), dt.date(2025, 3, 31))


def test_revenue_in_usd(tiny_src: Snapshot) -> None:
    # Won orders in the period: 1000 + 500 USD (customer 1), 100 EUR at 1.10 + 100 EUR at 1.20
    # (customer 3), 50 EUR at 1.20 (customer 4); order 3 is cancelled, order 6 falls after the period.
    row = revenue.revenue(tiny_src, PERIOD).row(0, named=True)
    assert row["revenue"] == pytest.approx(1000 + 500 + 110 + 120 + 60)
    assert (row["orders"], row["customers"]) == (5, 3)


def test_revenue_in_reporting_currency_uses_rate_of_each_date(tiny_src: Snapshot) -> None:
    # EUR: 1000/1.10 + 500/1.20 + 100 + 100 + 50 (EUR orders convert back to themselves).
    eur = revenue.revenue(tiny_src, Filters(start=PERIOD.start, end=PERIOD.end, currency="EUR"))
    assert eur["revenue"][0] == pytest.approx(1000 / 1.10 + 500 / 1.20 + 250)


def test_revenue_by_country_and_comparison(tiny_src: Snapshot) -> None:
    by_country = revenue.revenue_by_country(tiny_src, replace(PERIOD, personal_data=True))
    # US: orders 1 and 2 of customer 1; DE: orders 4 and 5 of customer 3, 10 of customer 4.
    assert by_country.select("country_iso2", "revenue", "orders", "customers").rows() == [
        ("US", 1500.0, 2, 1), ("DE", pytest.approx(290.0), 3, 2)]
    # Without personal-data rights, one or two customers are too few to show a country's revenue.
    assert revenue.revenue_by_country(tiny_src, PERIOD)["revenue"].to_list() == [None, None]
    # Comparison period: order 7, 800 USD.
    assert revenue.revenue(tiny_src, PERIOD.comparison())["revenue"][0] == pytest.approx(800)


def test_active_new_and_churn(tiny_src: Snapshot) -> None:
    # Active at the end (activity 2025-04-01 .. 2026-03-31): customers 1, 2, 3, 4, 6, 7.
    assert customers.active_customers(tiny_src, PERIOD)["active"][0] == 6
    # Created in the period: customers 2 and 4.
    assert customers.new_customers(tiny_src, PERIOD)["new"][0] == 2
    # Active at the start (2025-01-01 .. 2025-12-31): 1, 3, 5, 6, 7; of these only 5 is not active at the end.
    row = customers.churn(tiny_src, PERIOD).row(0, named=True)
    assert (row["active_at_start"], row["churned"]) == (5, 1)
    assert row["churn_rate"] == pytest.approx(0.2)


def test_lifecycle(tiny_src: Snapshot) -> None:
    # Customer 9 is a second record of customer 3 and counts once, with it.
    # prospect: 2 (cancelled order only), 8 (no orders); first purchase: 4; repeat: 1 and 3 (3 orders,
    # idle 40 and 45 days); loyal: 6 (6 orders over 20 months, idle 182 days < twice its 121.6-day mean gap);
    # at risk: 7 (idle 182 days > 90); churned: 5 (idle 424 days).
    stages = dict(customers.lifecycle(tiny_src, PERIOD).rows())
    assert stages == {"prospect": 2, "first_purchase": 1, "repeat": 2, "loyal": 1, "at_risk": 1, "churned": 1}


def test_nps_csat_ces(tiny_src: Snapshot) -> None:
    # NPS scores 10, 9, 7, 3, 6, 10: 3 promoters, 1 passive, 2 detractors of 6 -> 100 * 1/6.
    row = satisfaction.nps(tiny_src, PERIOD).row(0, named=True)
    assert (row["responses"], row["promoters"], row["passives"], row["detractors"]) == (6, 3, 1, 2)
    assert row["nps"] == pytest.approx(100 / 6)
    # CSAT 5, 2, 4: 2 of 3 satisfied.
    csat = satisfaction.csat(tiny_src, PERIOD).row(0, named=True)
    assert (csat["responses"], csat["satisfied"]) == (3, 2)
    assert csat["csat"] == pytest.approx(200 / 3)
    # CES 2 and 5.
    assert satisfaction.ces(tiny_src, PERIOD)["ces"][0] == pytest.approx(3.5)


def test_nps_by_month(tiny_src: Snapshot) -> None:
    from queries.common import month_of

    # Jan: 10, 7 -> 50; Feb: 9, 3 -> 0; Mar: 6, 10 -> 0.
    frame = satisfaction.nps_by(tiny_src, PERIOD, month_of("surveys"))
    assert frame.select("month", "responses", "nps").rows() == [
        (dt.date(2026, 1, 1), 2, 50.0), (dt.date(2026, 2, 1), 2, 0.0), (dt.date(2026, 3, 1), 2, 0.0)]


def test_response_times_and_sla(tiny_src: Snapshot) -> None:
    # First responses 1 h, 3 h, 2 h (ticket 4 unanswered): median 2, p90 2 + 0.8 * (3 - 2) = 2.8.
    # Resolutions 8 h and 48 h: median 28, p90 8 + 0.9 * 40 = 44.
    row = service.response_times(tiny_src, PERIOD).row(0, named=True)
    assert (row["tickets"], row["responded"], row["resolved"]) == (4, 3, 2)
    assert row["first_response_median_h"] == pytest.approx(2.0)
    assert row["first_response_p90_h"] == pytest.approx(2.8)
    assert row["resolution_median_h"] == pytest.approx(28.0)
    assert row["resolution_p90_h"] == pytest.approx(44.0)
    # All four are due at the data's as-of time (3 April); only ticket 1 met its SLA.
    sla = service.sla_attainment(tiny_src, PERIOD).row(0, named=True)
    assert (sla["due"], sla["met"], sla["sla_attainment"]) == (4, 1, 0.25)
    by_region = service.sla_attainment_by(tiny_src, PERIOD, "region_id")
    assert by_region.select("region_id", "sla_attainment").rows() == [(1, 0.5), (2, 0.0)]


def test_sla_is_judged_at_the_data_as_of_time(tiny_src: Snapshot) -> None:
    # A later refresh of unchanged data changes nothing.
    later = replace(tiny_src, refreshed_at=dt.datetime(2027, 1, 1))
    assert service.sla_attainment(later, PERIOD)["sla_attainment"][0] == 0.25
    # Data ending at noon on 20 March: its as-of time is 21 March 00:00. Ticket 4 (opened 20 March,
    # 120 SLA hours) is not due yet: 1 met of 3 due.
    earlier = replace(tiny_src, data_last=dt.datetime(2026, 3, 20, 12))
    assert earlier.as_of == dt.datetime(2026, 3, 21)
    row = service.sla_attainment(earlier, PERIOD).row(0, named=True)
    assert (row["due"], row["met"]) == (3, 1)


def test_win_rate_deal_cycle_partners(tiny_src: Snapshot) -> None:
    # Closed in the period: opportunities 1 (won, 45 days), 2 (lost), 3 (won, 40 days).
    row = partners.win_rate(tiny_src, PERIOD).row(0, named=True)
    assert (row["closed"], row["won"]) == (3, 2)
    assert row["win_rate"] == pytest.approx(2 / 3)
    assert row["deal_cycle_days"] == pytest.approx(42.5)
    assert partners.active_partners(tiny_src, PERIOD)["active_partners"][0] == 1
    card = partners.partner_scorecard(tiny_src, replace(PERIOD, personal_data=True)).row(0, named=True)
    assert (card["partner_id"], card["revenue"], card["orders"], card["customers"]) == (1, 1500.0, 2, 1)
    # Partner 1's single customer is too few to show its revenue without personal-data rights.
    assert partners.partner_scorecard(tiny_src, PERIOD)["revenue"].to_list() == [None]
    assert (card["closed"], card["won"], card["win_rate"], card["deal_cycle_days"]) == (2, 1, 0.5, 45.0)
    # Customer 1's NPS answers: 10 and 9.
    assert (card["responses"], card["nps"]) == (2, 100.0)


def test_partner_win_rate_deal_cycle_and_deal_size(tiny_src: Snapshot) -> None:
    # Partner-sourced deals closed in the period: opportunities 1 (partner 1, won, 10 USD, 1 December to
    # 15 January: 45 days) and 2 (partner 1, lost). Opportunity 3 (won, 40 days, 12 USD) names no partner.
    row = partners.partner_win_rate(tiny_src, PERIOD).row(0, named=True)
    assert (row["closed"], row["won"], row["win_rate"], row["deal_cycle_days"]) == (2, 1, 0.5, 45.0)
    assert (row["deal_size"], row["won_value"]) == (10.0, 10.0)
    # In euros at the rate of the close date: 15 January, 1.10 USD per euro.
    assert partners.partner_win_rate(tiny_src, replace(PERIOD, currency="EUR"))["deal_size"][0] == pytest.approx(
        10 / 1.10)
    # By the month of closing: opportunity 1 in January, 2 in February; March's closed deal (3) is no partner's.
    by_month = partners.partner_win_rate_by_month(tiny_src, PERIOD)
    assert by_month.select("month", "closed", "won").rows() == [(dt.date(2026, 1, 1), 1, 1),
                                                                 (dt.date(2026, 2, 1), 1, 0)]
    # The registry's partner KPIs are these, not the company's (3 closed, 2 won: 2/3, 42.5 days, 11 USD); the
    # comparison period's one closed deal (5, lost) names no partner.
    keys = ("partner_win_rate", "partner_deal_cycle", "partner_deal_size")
    measured = {r["kpi"]: r for r in kpis.measure(tiny_src, PERIOD, keys).iter_rows(named=True)}
    assert [(measured[k]["value"], measured[k]["sample"]) for k in keys] == [(0.5, 2), (45.0, 1), (10.0, 1)]
    assert [(measured[k]["previous"], measured[k]["previous_sample"]) for k in keys] == [(None, 0)] * 3


def test_target_attainment(tiny_src: Snapshot) -> None:
    frame = targets.target_attainment(tiny_src, PERIOD)
    got = {(r["team_id"], r["metric"]): (r["target"], r["actual"], r["attainment"], r["status"])
           for r in frame.iter_rows(named=True)}
    # Three whole months: the targets are the three monthly targets. Team 1: revenue 1500 of 3 x 500;
    # one new customer (2) of 3 x 1.
    assert got[(1, "revenue_usd")] == pytest.approx((1500.0, 1500.0, 1.0, "on_track"))
    assert got[(1, "new_customers")] == pytest.approx((3.0, 1.0, 1 / 3, "behind"))
    # Team 2: tickets 3 and 4, due at the data's as-of time (3 April), none within SLA; first response
    # median 2 h against a 4 h target: lower is better, so no attainment percentage, and on track.
    assert got[(2, "sla_attainment")] == pytest.approx((0.9, 0.0, 0.0, "behind"))
    assert got[(2, "first_response_median_hours")] == (4.0, 2.0, None, "on_track")


def test_targets_are_prorated_across_a_month_boundary(tiny_src: Snapshot) -> None:
    # 10 January - 25 February: 22 of January's 31 days and 25 of February's 28.
    f = Filters(start=dt.date(2026, 1, 10), end=dt.date(2026, 2, 25), preset="custom")
    got = {(r["team_id"], r["metric"]): r for r in targets.target_attainment(tiny_src, f).iter_rows(named=True)}
    revenue_target = 500 * 22 / 31 + 500 * 25 / 28
    # Orders 1 (15 Jan, 1000) and 2 (20 Feb, 500); customer 2 was created on 5 January, before the period.
    assert got[(1, "revenue_usd")]["target"] == pytest.approx(revenue_target)
    assert got[(1, "revenue_usd")]["actual"] == pytest.approx(1500.0)
    assert got[(1, "new_customers")]["target"] == pytest.approx(22 / 31 + 25 / 28)
    assert got[(1, "new_customers")]["actual"] == 0.0
    # Rates: the day-weighted mean of the monthly targets.
    assert got[(2, "sla_attainment")]["target"] == pytest.approx(0.9)
    # The same count as the registry's new customers of the team's region for the same days (customer 4,
    # created 10 February, is in Germany and has no owner).
    assert customers.new_customers(tiny_src, replace(f, regions=(1,)))["new"][0] == 0
    assert customers.new_customers(tiny_src, f)["new"][0] == 1
    # In euros: January's days at 1.10 USD per euro (the rate of 1 January holds), February's at 1.20.
    eur = {(r["team_id"], r["metric"]): r for r in
           targets.target_attainment(tiny_src, replace(f, currency="EUR")).iter_rows(named=True)}
    assert eur[(1, "revenue_usd")]["target"] == pytest.approx(500 * 22 / 31 / 1.10 + 500 * 25 / 28 / 1.20)
    assert eur[(1, "revenue_usd")]["actual"] == pytest.approx(1000 / 1.10 + 500 / 1.20)


def test_targets_are_not_compared_under_a_country_filter(tiny_src: Snapshot) -> None:
    # A team's target covers all its customers: an actual filtered to one country is not set against it.
    frame = targets.target_attainment(tiny_src, replace(PERIOD, countries=("US",)))
    assert not frame["comparable"].any()
    assert frame["target"].null_count() == frame.height and frame["status"].null_count() == frame.height
    assert targets.narrows_teams(replace(PERIOD, segments=("SMB",)))
    assert not targets.narrows_teams(replace(PERIOD, regions=(1,)))


def test_headline_kpis_and_movers(tiny_src: Snapshot) -> None:
    measured = {r["kpi"]: r for r in kpis.measure(tiny_src, PERIOD, kpis.KPIS).iter_rows(named=True)}
    assert measured["revenue"]["value"] == pytest.approx(1790)
    assert measured["revenue"]["previous"] == pytest.approx(800)
    assert (measured["nps"]["sample"], measured["nps"]["previous_sample"]) == (6, 0)
    # Partner 1 is active and sourced orders 1 and 2.
    assert (measured["active_partners"]["value"], measured["partner_revenue"]["value"]) == (1, 1500.0)
    movers = overview.market_movers(tiny_src, replace(PERIOD, personal_data=True))
    # US: 1500 now against 800 before; DE: 290 against nothing.
    assert movers.select("country_iso2", "change").rows() == [("US", 700.0), ("DE", pytest.approx(290.0))]
    assert movers["change_pct"].to_list() == [pytest.approx(87.5), None]
    # Without personal-data rights, both markets are too small to show.
    assert overview.market_movers(tiny_src, PERIOD).is_empty()


def test_monthly_trends_cover_twelve_months(tiny_src: Snapshot) -> None:
    trends = kpis.monthly(tiny_src, PERIOD, ("revenue", "nps"))
    revenue_months = trends.filter(pl.col("kpi") == "revenue")
    assert revenue_months.height == 12
    assert revenue_months["month"][0] == dt.date(2025, 4, 1)
    jan = revenue_months.filter(pl.col("month") == dt.date(2026, 1, 1)).row(0, named=True)
    assert jan["value"] == pytest.approx(1110.0)  # 1000 USD + 100 EUR at 1.10
    # January's two NPS answers are far below the minimum of 30: no value, but the count is kept.
    nps_jan = trends.filter((pl.col("kpi") == "nps") & (pl.col("month") == dt.date(2026, 1, 1))).row(0, named=True)
    assert (nps_jan["value"], nps_jan["sample"], nps_jan["enough"]) == (None, 2.0, False)
    # The period ends on 31 March: no month is partial. Ending on 20 March, March is "to date".
    assert not trends["partial"].any()
    partial = kpis.monthly(tiny_src, replace(PERIOD, end=dt.date(2026, 3, 20)), ("revenue",))
    assert partial.filter(pl.col("partial"))["month"].to_list() == [dt.date(2026, 3, 1)]


def test_duplicates_count_once(tiny_src: Snapshot) -> None:
    # Customer 9 is a second record of customer 3 (same name and e-mail), created 1 July 2025.
    second_half = Filters(start=dt.date(2025, 6, 1), end=dt.date(2025, 7, 31), preset="custom")
    assert customers.new_customers(tiny_src, second_half)["new"][0] == 1  # 3 only, not 9
    assert quality.customer_quality(tiny_src, PERIOD).filter(pl.col("check") == "duplicate")["affected"][0] == 1


def test_active_partners_need_status_active(tiny_src_writable: tuple[str, Snapshot]) -> None:
    url, _ = tiny_src_writable
    from sqlalchemy import text

    from dashboard.db import writable_engine
    from tests.conftest import snapshot_of

    with writable_engine(url).begin() as connection:
        connection.execute(text("UPDATE partners SET status = 'suspended'"))
    src = snapshot_of(url, Path(url.removeprefix("sqlite:///")).parent / "suspended")
    assert partners.active_partners(src, PERIOD)["active_partners"][0] == 0
    # Its revenue is still partner-sourced revenue.
    assert partners.partner_revenue(src, PERIOD)["revenue"][0] == pytest.approx(1500.0)


def test_data_quality_and_requests(tiny_src: Snapshot) -> None:
    checks = {r["check"]: r["affected"] for r in quality.customer_quality(tiny_src, PERIOD).iter_rows(named=True)}
    # Missing e-mail: 2; unknown country: 8; stale (not updated in the two years before the data's as-of
    # time, 3 April 2026): 5, 6 (8 was updated on 1 May 2024); duplicate: 9; no consent: 2, 4.
    assert checks == {"missing_email": 1, "unknown_country": 1, "stale": 2, "duplicate": 1,
                      "no_consent_marketing": 2}
    requests = {r["regime"]: r for r in quality.data_requests(tiny_src, PERIOD).iter_rows(named=True)}
    assert (requests["GDPR"]["received"], requests["GDPR"]["open"], requests["GDPR"]["overdue"]) == (2, 1, 1)
    assert requests["GDPR"]["median_days"] == pytest.approx(15.0)
    assert (requests["CCPA"]["closed_late"], requests["CCPA"]["median_days"]) == (1, pytest.approx(47.0))


def test_personal_data_masked_without_rights(tiny_src: Snapshot) -> None:
    masked = customers.top_customers(tiny_src, PERIOD)
    assert masked["email"].to_list()[0] == "c•••@example.com"
    shown = customers.top_customers(tiny_src, Filters(start=PERIOD.start, end=PERIOD.end, personal_data=True))
    assert shown["email"].to_list()[0] == "c1@example.com"


def test_empty_period_gives_nulls_not_errors(tiny_src: Snapshot) -> None:
    empty = Filters(start=dt.date(2030, 1, 1), end=dt.date(2030, 1, 31))
    assert revenue.revenue(tiny_src, empty)["orders"][0] == 0
    assert satisfaction.nps(tiny_src, empty)["nps"][0] is None
    assert service.sla_attainment(tiny_src, empty)["sla_attainment"][0] is None
    assert customers.churn(tiny_src, empty)["churn_rate"][0] is None


@pytest.mark.parametrize("dense_limit", [customers.DENSE_ID_LIMIT, 0], ids=["flags", "hashing"])
def test_active_and_churn_with_and_without_dense_ids(tiny_src: Snapshot, monkeypatch: pytest.MonkeyPatch,
                                                     dense_limit: int) -> None:
    # Customer ids too large to flag one by one take the hashing path, with the same results.
    monkeypatch.setattr(customers, "DENSE_ID_LIMIT", dense_limit)
    customers._flags.clear()
    assert customers.active_customers(tiny_src, PERIOD)["active"][0] == 6
    row = customers.churn(tiny_src, PERIOD).row(0, named=True)
    assert (row["active_at_start"], row["churned"]) == (5, 1)
    assert customers.active_ids(tiny_src, PERIOD, PERIOD.end_ts)["customer_id"].to_list() == [1, 2, 3, 4, 6, 7]
    by_kind = {r["kind"]: (r["active_at_start"], r["churned"])
               for r in customers.churn_by(tiny_src, PERIOD, "kind").iter_rows(named=True)}
    assert sum(a for a, _ in by_kind.values()) == 5 and sum(c for _, c in by_kind.values()) == 1


def test_lifecycle_before_the_end_of_the_data(tiny_src: Snapshot) -> None:
    # As of the end of 2025: customer 1 has one won order (7, idle 47 days) -> first purchase; 3 has one
    # (8), idle 199 days > 90 -> at risk; 5 idle 333 days -> at risk; 6: 6 orders over 20 months, idle
    # 91 days < twice its 121.6-day mean gap -> loyal; 7: 2 orders 30 days apart, idle 91 > 90 -> at risk;
    # 2 and 4 did not exist yet; 8 never ordered -> prospect (9 is a second record of 3).
    stages = dict(customers.lifecycle(tiny_src, Filters(start=dt.date(2025, 10, 3), end=dt.date(2025, 12, 31))).rows())
    assert stages == {"prospect": 1, "first_purchase": 1, "repeat": 0, "loyal": 1, "at_risk": 3, "churned": 0}


def test_lifecycle_after_the_end_of_the_data(tiny_src: Snapshot, monkeypatch: pytest.MonkeyPatch) -> None:
    # A period ending after the last event takes the precomputed last activity of every customer (the
    # path taken at scale), never the event scan.
    def no_scan(*_: object) -> None:
        raise AssertionError("the event scan was used")

    monkeypatch.setattr(customers, "activity", no_scan)
    # As of 1 July 2026. 1: 3 won orders, mean gap 48.5 days, idle 130.6 > 97 -> at risk; 2: a cancelled order
    # only -> prospect; 3: 3 orders, gap 122.5 days, idle 136 < 245 -> repeat; 4: 2 orders 23 days apart, idle
    # 89.6 days < 90 -> repeat; 5: idle 515 days -> churned; 6: 6 orders over 20 months, gap 121.6 days, idle 273
    # > 243.2 -> at risk; 7: gap 30 days, idle 273 > 90 -> at risk; 8: no orders -> prospect.
    stages = dict(customers.lifecycle(tiny_src, Filters(start=dt.date(2026, 4, 1), end=dt.date(2026, 6, 30))).rows())
    assert stages == {"prospect": 2, "first_purchase": 0, "repeat": 2, "loyal": 0, "at_risk": 3, "churned": 1}


def test_unknown_countries_left_out_by_a_filter_are_counted(tiny_src: Snapshot) -> None:
    # Customer 8 (country code XX) has no region: a region filter leaves it out, and says so.
    assert markets.left_out_unknown(tiny_src, replace(PERIOD, regions=(1,)))["customers"][0] == 1
    assert markets.left_out_unknown(tiny_src, PERIOD)["customers"][0] == 0
    # A regional lead never saw it.
    lead = replace(PERIOD, scope=Scope(regions=frozenset({1})), regions=(1,))
    assert markets.left_out_unknown(tiny_src, lead)["customers"][0] == 0
