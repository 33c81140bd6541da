"""Satisfaction trends worked out by hand: NPS, CSAT and CES per period with the response count, the
minimum-sample rule and the 95 % confidence band, and the comparison window beside them."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace

import polars as pl
import pytest

from dashboard.filters import Filters
from dashboard.snapshot import Snapshot
from queries import satisfaction
from tests import tiny
from tests.conftest import snapshot_of

# A whole-quarter period ending 2026-03-31; monthly trends cover April 2025 .. March 2026.
PERIOD = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31), preset="custom")


def _response(kind: str, score: int, at: str, customer: int = 1, channel: str = "email") -> dict:
    return {"id": 0, "customer_id": customer, "kind": kind, "score": score, "comment": None, "language": "en",
            "channel": channel, "answered_at": dt.datetime.fromisoformat(at), "ticket_id": None,
            "followed_up_at": None}


def responses() -> list[dict]:
    rows: list[dict] = []
    # February 2026: 30 NPS responses, 15 promoters, 5 passives, 10 detractors; 30 CSAT, 24 satisfied.
    scores = [10] * 15 + [8] * 5 + [3] * 10
    rows += [_response("NPS", s, f"2026-02-{1 + k % 27:02d} 10:00") for k, s in enumerate(scores)]
    rows += [_response("CSAT", 5 if k < 24 else 2, f"2026-02-{1 + k % 27:02d} 11:00")
             for k in range(30)]
    # March 2026: two NPS responses (a promoter, a detractor) and three CES — too few to show.
    rows += [_response("NPS", 9, "2026-03-05 10:00", customer=3),
             _response("NPS", 0, "2026-03-06 10:00", customer=3)]
    rows += [_response("CES", s, "2026-03-07 10:00") for s in (1, 2, 3)]
    # A year before (the comparison window's February 2025): 30 NPS, all promoters.
    rows += [_response("NPS", 10, f"2025-02-{1 + k % 27:02d} 10:00") for k in range(30)]
    return [row | {"id": i} for i, row in enumerate(rows, start=1)]


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    folder = tmp_path_factory.mktemp("trend")
    url = f"sqlite:///{folder / 'crm.sqlite'}"
    frames = tiny.tables()
    frames["surveys"] = pl.DataFrame(responses()).cast(dict(frames["surveys"].schema)).select(
        frames["surveys"].columns)
    # A company NPS target, raised in March 2026.
    company = pl.DataFrame([{"id": 100 + i, "scope_kind": "company", "scope_id": 0, "period": dt.date(2026, m, 1),
                             "metric": "nps", "value": v} for i, (m, v) in enumerate([(1, 25.0), (3, 30.0)])])
    frames["targets"] = pl.concat([frames["targets"], company.cast(dict(frames["targets"].schema))])
    tiny.write(url, frames)
    return snapshot_of(url, folder / "snap")


def point(frame: pl.DataFrame, kpi: str, period: str) -> dict:
    return frame.filter((pl.col("kpi") == kpi) & (pl.col("period") == dt.date.fromisoformat(period))).row(
        0, named=True)


def test_nps_with_its_confidence_band(src: Snapshot) -> None:
    feb = point(satisfaction.score_trend(src, PERIOD, "month"), "nps", "2026-02-01")
    # p = 15/30, d = 10/30: NPS 100 (1/2 - 1/3) = 16.7; SE = 100 sqrt((1/2 + 1/3 - 1/36) / 30) = 16.39.
    se = 100 * math.sqrt((0.5 + 1 / 3 - (1 / 6) ** 2) / 30)
    assert feb["value"] == pytest.approx(100 / 6)
    assert (feb["low"], feb["high"]) == (pytest.approx(100 / 6 - 1.96 * se), pytest.approx(100 / 6 + 1.96 * se))
    assert feb["sample"] == 30 and feb["enough"]


def test_csat_and_ces(src: Snapshot) -> None:
    trend = satisfaction.score_trend(src, PERIOD, "month")
    csat = point(trend, "csat", "2026-02-01")
    # 24 of 30 satisfied: 80 %, SE = 100 sqrt(0.8 * 0.2 / 30) = 7.30.
    assert csat["value"] == pytest.approx(80)
    assert csat["high"] - csat["value"] == pytest.approx(1.96 * 100 * math.sqrt(0.16 / 30))
    ces = point(trend, "ces", "2026-03-01")
    # Scores 1, 2, 3: mean 2, standard deviation 1, SE 1 / sqrt(3); the band is kept within 1..7.
    assert ces["value"] == pytest.approx(2)
    assert ces["low"] == pytest.approx(max(1.0, 2 - 1.96 / math.sqrt(3)))
    assert ces["sample"] == 3 and not ces["enough"]


def test_minimum_sample_and_clipped_band(src: Snapshot) -> None:
    march = point(satisfaction.score_trend(src, PERIOD, "month"), "nps", "2026-03-01")
    # One promoter, one detractor: NPS 0, SE 100 sqrt(1 / 2) = 70.7, so the band is clipped to −100..100.
    assert march["value"] == 0 and march["sample"] == 2 and not march["enough"]
    assert (march["low"], march["high"]) == (-100, 100)
    assert satisfaction.MIN_RESPONSES == 30


def test_periods_without_responses_are_absent_and_windows_are_whole(src: Snapshot) -> None:
    trend = satisfaction.score_trend(src, PERIOD, "month").filter(pl.col("kpi") == "nps")
    assert trend["period"].to_list() == [dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
    assert satisfaction.trend_window(PERIOD, "month").start == dt.date(2025, 4, 1)
    assert satisfaction.trend_window(PERIOD, "week").start == dt.date(2026, 1, 5)  # 13 Mondays to 30 March
    assert satisfaction.trend_window(PERIOD, "quarter").start == dt.date(2024, 4, 1)


def test_comparison_window_lies_beside_the_current_one(src: Snapshot) -> None:
    last_year = Filters(start=PERIOD.start, end=PERIOD.end, preset="custom", compare="same_period_last_year")
    compared = satisfaction.score_trend_compared(src, last_year, "month").filter(pl.col("kpi") == "nps")
    assert compared.select("period", "compared_period", "value").rows() == [
        (dt.date(2026, 2, 1), dt.date(2025, 2, 1), 100.0)]


def test_split_by_a_dimension(src: Snapshot) -> None:
    by_country = satisfaction.score_trend(src, PERIOD, "month", "country_iso2").filter(pl.col("kpi") == "nps")
    # Customer 1 is in the US, customer 3 in Germany.
    assert by_country.select("period", "group", "sample").rows() == [
        (dt.date(2026, 3, 1), "DE", 2), (dt.date(2026, 2, 1), "US", 30)]


def test_mix_and_distribution(src: Snapshot) -> None:
    mix = satisfaction.nps_mix(src, PERIOD, "month").row(0, named=True)
    assert mix["period"] == dt.date(2026, 2, 1) and mix["responses"] == 30
    assert (mix["promoters"], mix["passives"], mix["detractors"]) == pytest.approx((0.5, 1 / 6, 1 / 3))
    spread = satisfaction.score_distribution(src, PERIOD)
    assert spread["score"].to_list() == list(range(11))
    # February's 30 and March's 9 and 0: 32 responses in the period.
    assert dict(spread.select("score", "responses").rows())[10] == 15
    assert spread["responses"].sum() == 32 and spread["share"].sum() == pytest.approx(1)
    assert satisfaction.score_distribution(src, PERIOD, "CES")["responses"].to_list() == [1, 1, 1, 0, 0, 0, 0]


def test_against_the_market_own_baseline(src: Snapshot) -> None:
    # The period 2026-01-01 .. 03-31 against 2025-01-01 .. 12-31: the US had 30 promoters a year before
    # (NPS 100, no variance) and now NPS 16.7 with SE 16.39: change −83.3, z = −83.3 / 16.39.
    rows = {r["country_iso2"]: r for r in satisfaction.against_baseline(src, PERIOD).iter_rows(named=True)}
    us = rows["US"]
    assert (us["responses"], us["baseline_responses"], us["baseline_nps"]) == (30, 30, 100)
    assert us["change"] == pytest.approx(100 / 6 - 100)
    assert us["z"] == pytest.approx((100 / 6 - 100) / (100 * math.sqrt((0.5 + 1 / 3 - 1 / 36) / 30)))
    # Germany has no baseline: no change, no score.
    assert rows["DE"]["baseline_responses"] == 0 and rows["DE"]["change"] is None and rows["DE"]["z"] is None
    assert us["comparable"] and not rows["DE"]["comparable"]


def test_target_in_force_at_the_period_end(src: Snapshot) -> None:
    assert satisfaction.score_target(src, PERIOD, "nps")["target"].to_list() == [30.0]
    february = Filters(start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28))
    assert satisfaction.score_target(src, february, "nps")["target"].to_list() == [25.0]
    assert satisfaction.score_target(src, PERIOD, "csat").is_empty()


def test_breakdown_by_market_and_segment(src: Snapshot) -> None:
    shown = replace(PERIOD, personal_data=True)
    grid = satisfaction.breakdown(src, shown, "segment")
    cells = {(r["country_iso2"], r["segment"]): r for r in grid.iter_rows(named=True)}
    us = cells[("US", satisfaction.TOTAL)]
    assert (us["responses"], us["value"], us["market_value"]) == (30, pytest.approx(100 / 6), pytest.approx(100 / 6))
    assert us["previous_responses"] == 0 and us["change"] is None
    assert cells[("DE", satisfaction.TOTAL)]["responses"] == 2
    # The US has 30 responses (enough), Germany 2: the US first.
    assert satisfaction.ranked_markets(grid, "higher") == ["US", "DE"]
    # Without personal-data rights, a market of one customer shows no score.
    hidden = satisfaction.breakdown(src, PERIOD, "segment")
    assert hidden["value"].null_count() == hidden.height
    assert hidden["responses"].to_list() == grid["responses"].to_list()


def test_split_by_the_customers_main_product_line(src: Snapshot) -> None:
    # Customer 1 (the February responses) bought only Platform; customer 3 too (tiny orders are Platform).
    lines = satisfaction.main_product_lines(src, PERIOD)
    assert dict(lines.rows())[1] == "Platform"
    split = satisfaction.score_trend(src, PERIOD, "month", "product_line").filter(pl.col("kpi") == "nps")
    assert split.select("period", "group", "sample").rows() == [
        (dt.date(2026, 2, 1), "Platform", 30), (dt.date(2026, 3, 1), "Platform", 2)]
