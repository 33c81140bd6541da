"""Team reviews on the tiny CRM (tests/tiny.py) and on a small variant of it with more reps: the KPIs
the reviews add, pace against prorated targets, ranks with a minimum sample, the weighted score and
language coverage — every expected value worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from dashboard import settings
from dashboard.filters import Filters, Scope
from dashboard.snapshot import Snapshot
from queries import kpis, targets, team_kpis, teams
from queries.common import base_language
from tests import tiny
from tests.conftest import snapshot_of

PERIOD = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31))
EMEA_LEAD = replace(PERIOD, scope=Scope(regions=frozenset({2})), personal_data=True)


# --- the KPIs team reviews add ---------------------------------------------------------------------------

def test_pipeline_at_each_months_end(tiny_src: Snapshot) -> None:
    # End of January (1 Feb 00:00): deal 2 (opened 10 Jan, closed 9 Feb) was open; closed since, it counts
    # in the stage before closing, negotiate: 10 USD × 60 % = 6. Deal 1 closed on 15 Jan.
    # End of February: deal 3 (10 EUR opened 1 Feb at 1.20 = 12 USD, closed 13 Mar): 12 × 60 % = 7.2.
    # End of March: deal 4 (propose, still open, 10 EUR opened 1 Mar = 12 USD): 12 × 30 % = 3.6.
    monthly = team_kpis.pipeline_by_month(tiny_src, PERIOD)
    assert monthly.rows() == [(dt.date(2026, 1, 1), 1, pytest.approx(10.0), pytest.approx(6.0)),
                              (dt.date(2026, 2, 1), 1, pytest.approx(12.0), pytest.approx(7.2)),
                              (dt.date(2026, 3, 1), 1, pytest.approx(12.0), pytest.approx(3.6))]
    row = team_kpis.pipeline(tiny_src, PERIOD).row(0, named=True)
    assert (row["open_deals"], row["pipeline"], row["weighted_pipeline"]) == (1, pytest.approx(12.0),
                                                                              pytest.approx(3.6))
    # In EUR at the rate of the period's last day (1.20): 12 USD is 10 EUR.
    eur = team_kpis.pipeline(tiny_src, replace(PERIOD, currency="EUR"))
    assert eur["pipeline"][0] == pytest.approx(10.0)


def test_tickets_handled_and_backlog(tiny_src: Snapshot) -> None:
    # Resolved in the period: tickets 1 (10 Jan) and 2 (3 Feb); ticket 5 was resolved in December.
    assert team_kpis.tickets_handled(tiny_src, PERIOD)["handled"][0] == 2
    # Open on 1 April 00:00: ticket 3 (opened 1 Mar: 31 days, 744 h) and 4 (opened 20 Mar: 12 days, 288 h);
    # median age (744 + 288) / 2 = 516 h.
    row = team_kpis.backlog(tiny_src, PERIOD).row(0, named=True)
    assert (row["open_tickets"], row["backlog_age_h"]) == (2, pytest.approx(516.0))
    # Nothing open at the end of January (ticket 1 was resolved on 10 Jan) nor of February (ticket 2 was
    # resolved on 3 Feb; ticket 3 opened at the first moment of March).
    assert team_kpis.backlog_by_month(tiny_src, PERIOD)["open_tickets"].to_list() == [0, 0, 2]
    # At the end of 1 February, ticket 2 (opened that midnight, resolved on 3 Feb) was open, 24 h old.
    first = team_kpis.backlog(tiny_src, replace(PERIOD, end=dt.date(2026, 2, 1))).row(0)
    assert first == (1, pytest.approx(24.0))


def test_csat_of_a_teams_tickets(tiny_src: Snapshot) -> None:
    # Responses naming a ticket: 7 (ticket 1, score 5) and 8 (ticket 2, score 2), both tickets of rep 1 in
    # team 1; response 9 names no ticket. One of two satisfied: 50 %.
    row = team_kpis.ticket_csat(tiny_src, PERIOD).row(0, named=True)
    assert (row["responses"], row["satisfied"], row["csat"]) == (2, 1, 50.0)
    assert team_kpis.ticket_csat_by(tiny_src, PERIOD, "team_id").select("team_id", "csat").rows() == [(1, 50.0)]


# --- targets: pace and the monthly target line -------------------------------------------------------------

def test_pace_is_the_attainment_of_the_prorated_month_to_date(tiny_src: Snapshot) -> None:
    # Period ending 20 February: the month to date is 1-20 February, 20 of its 28 days.
    # Revenue: 500 × 20 / 28 = 357.14 asked; order 2 (500 USD, 20 Feb) won: 500 / 357.14 = 140 %, on track.
    # New customers: 1 × 20 / 28 = 0.714 asked; none created for team 1 in those days: 0 %, behind.
    pace = targets.pace(tiny_src, replace(PERIOD, end=dt.date(2026, 2, 20))).filter(pl.col("team_id") == 1)
    rows = {r["kpi"]: r for r in pace.iter_rows(named=True)}
    assert rows["revenue"]["target"] == pytest.approx(500 * 20 / 28)
    assert rows["revenue"]["attainment"] == pytest.approx(1.4)
    assert rows["revenue"]["status"] == "on_track"
    assert rows["new_customers"]["target"] == pytest.approx(20 / 28)
    assert (rows["new_customers"]["actual"], rows["new_customers"]["status"]) == (0.0, "behind")


def test_trend_has_the_months_target(tiny_src: Snapshot) -> None:
    # Team 1's revenue by month: January 1000 (order 1), February 500 (order 2), March nothing won; the
    # monthly target is 500. Ending on 15 March, March is to date and asks 500 × 15 / 31 = 241.94.
    trend = teams.team_trends(tiny_src, replace(PERIOD, end=dt.date(2026, 3, 15)), "sales")
    revenue = trend.filter((pl.col("team_id") == 1) & (pl.col("kpi") == "revenue")).tail(3)
    assert revenue.select("value", "target", "partial").rows() == [
        (1000.0, 500.0, False), (500.0, 500.0, False), (0.0, pytest.approx(500 * 15 / 31), True)]
    assert trend.filter(pl.col("month") == dt.date(2025, 4, 1)).height == 7  # 12 months of the 7 KPIs


# --- scorecards and ranks ----------------------------------------------------------------------------------

def more_reps() -> dict[str, pl.DataFrame]:
    """The tiny CRM with two more reps in team 1 and deals closed in the period: rep 1 has 10 closed (its
    2, plus 4 won and 4 lost), rep 3 has 12 (9 won), rep 4 only 3 (all won). Languages are spelled
    loosely on purpose."""
    frames = tiny.tables()
    reps = pl.concat([frames["reps"], pl.DataFrame({
        "id": [3, 4], "team_id": [1, 1], "name": ["Rep Three", "Rep Four"], "languages": ["EN-us, fr, cmn", "de_DE"],
        "hired_at": [dt.date(2021, 1, 1)] * 2, "timezone": ["America/New_York"] * 2})], how="vertical_relaxed")
    deals = []
    for rep, won, lost in ((1, 4, 4), (3, 9, 3), (4, 3, 0)):
        for i in range(won + lost):
            deals.append({"id": 100 + len(deals), "customer_id": 1, "rep_id": rep, "partner_id": None,
                          "stage": "closed", "amount": 100.0, "currency": "USD",
                          "opened_at": dt.datetime(2026, 1, 5), "closed_at": dt.datetime(2026, 2, 5),
                          "outcome": "won" if i < won else "lost", "updated_at": dt.datetime(2026, 2, 5)})
    opportunities = pl.concat([frames["opportunities"], pl.DataFrame(deals).cast(
        frames["opportunities"].schema)])
    return dict(frames, reps=reps.cast(frames["reps"].schema), opportunities=opportunities)


@pytest.fixture(scope="module")
def team_src(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    folder = tmp_path_factory.mktemp("teams")
    url = f"sqlite:///{folder / 'crm.sqlite'}"
    tiny.write(url, more_reps())
    return snapshot_of(url, folder / "snapshot")


def test_team_scorecard(tiny_src: Snapshot) -> None:
    card = teams.team_scorecard(tiny_src, PERIOD, "sales")
    values = {r["kpi"]: r for r in card.iter_rows(named=True)}
    assert list(values) == list(teams.SCORECARDS["sales"])
    # Revenue of rep 1's won orders: 1000 + 500 now, 800 (order 7) before; customer 2 is rep 1's only new one.
    assert (values["revenue"]["value"], values["revenue"]["previous"]) == (1500.0, 800.0)
    assert values["new_customers"]["value"] == 1.0
    # Deals 1 (won) and 2 (lost) closed in the period: 50 %, but 2 closed deals are fewer than 10.
    assert (values["win_rate"]["value"], values["win_rate"]["enough"], values["win_rate"]["rank"]) == (0.5, False,
                                                                                                       None)
    assert values["revenue"]["rank"] == 1 and values["revenue"]["peers"] == 1


def test_reps_below_the_minimum_sample_are_marked_not_ranked(team_src: Snapshot) -> None:
    card = teams.rep_scorecard(team_src, replace(PERIOD, personal_data=True), 1)
    win = {r["rep"]: r for r in card.filter(pl.col("kpi") == "win_rate").iter_rows(named=True)}
    # Rep 3: 9 of 12 = 75 %, rank 1; rep 1: 5 of 10 = 50 %, rank 2; rep 4: 3 of 3 = 100 % on 3 deals,
    # below the minimum of 10: marked and not ranked, though its rate is the highest.
    assert (win["Rep Three"]["value"], win["Rep Three"]["rank"]) == (0.75, 1)
    assert (win["Rep One"]["value"], win["Rep One"]["rank"]) == (0.5, 2)
    assert (win["Rep Four"]["value"], win["Rep Four"]["enough"], win["Rep Four"]["rank"]) == (1.0, False, None)
    # Revenue has no minimum: rep 1 (1500) first, reps 3 and 4 (nothing won) share second place.
    revenue = card.filter(pl.col("kpi") == "revenue").sort("rep_id")
    assert revenue.select("value", "rank").rows() == [(1500.0, 1), (0.0, 2), (0.0, 2)]


def test_rep_names_are_masked_without_personal_data_rights(team_src: Snapshot) -> None:
    card = teams.rep_scorecard(team_src, PERIOD, 1)
    assert sorted(set(card["rep"])) == ["R••• #1", "R••• #3", "R••• #4"]


def test_drill_to_a_reps_deals_and_tickets_keeps_the_scope(tiny_src: Snapshot) -> None:
    # Rep 2's tickets opened in the period, newest first: 4 (20 Mar, unanswered) and 3 (1 Mar, first answer
    # after 2 h); both due by 3 April and unresolved, so their SLA was missed.
    tickets = teams.rep_tickets(tiny_src, PERIOD, 2)
    assert tickets.select("ticket_id", "first_response_h", "sla_met", "resolved").rows() == [
        (4, None, False, False), (3, 2.0, False, False)]
    # Rep 1's deals open at some time in the period: 1 (closed 15 Jan) and 2; deal 5 closed in December.
    assert sorted(teams.rep_deals(tiny_src, PERIOD, 1)["opportunity_id"]) == [1, 2]
    # An EMEA lead sees none of rep 1's deals: they are all with an American customer.
    assert teams.rep_deals(tiny_src, EMEA_LEAD, 1).is_empty()


# --- the score ------------------------------------------------------------------------------------------

def test_weighted_percentile_score() -> None:
    # Three sales teams. Revenue attainment 1.2, 0.9, 1.0: percentiles 1, 0, 0.5. Win rate 20 %, 40 %
    # and none: 0 and 1 between the two that have one. Deal cycle (lower is better) 30, 30, 60 days:
    # team 3 is worst (0), teams 1 and 2 share places 2 and 3: (2.5 - 1) / 2 = 0.75.
    frame = pl.DataFrame({
        "team_id": [1, 2, 3] * 3, "kind": ["sales"] * 9,
        "dimension": ["revenue"] * 3 + ["win_rate"] * 3 + ["deal_cycle"] * 3,
        "better": ["higher"] * 6 + ["lower"] * 3,
        "value": [1.2, 0.9, 1.0, 0.2, 0.4, None, 30.0, 30.0, 60.0]})
    ranked = frame.with_columns(teams.percentiles(frame, "value").alias("percentile"))
    assert ranked["percentile"].to_list() == [1.0, 0.0, 0.5, 0.0, 1.0, None, 0.75, 0.75, 0.0]
    # Weights 0.5, 0.3, 0.2. Team 1: 0.5 × 1 + 0.3 × 0 + 0.2 × 0.75 = 0.65; team 2: 0.3 + 0.15 = 0.45;
    # team 3 has no win rate, so its weight is left out: (0.5 × 0.5 + 0.2 × 0) / 0.7 = 0.357.
    scores = teams.weighted_scores(ranked, {"revenue": 0.5, "win_rate": 0.3, "deal_cycle": 0.2})
    assert scores.rows() == [(1, pytest.approx(65.0), 3), (2, pytest.approx(45.0), 3),
                             (3, pytest.approx(100 * 0.25 / 0.7), 2)]


def test_teams_shown_with_the_same_score_share_a_place() -> None:
    scores = pl.DataFrame({"kind": ["sales"] * 5 + ["service"],
                           "score": [69.2, 68.8, 30.0, 28.4, 27.6, 28.4]})
    # 69.2 and 68.8 are both shown as 69: first together; 30 third; 28.4 and 27.6 both 28: fourth
    # together. The service team is ranked among its own kind alone.
    assert scores.select(teams.score_rank("score"))["score"].to_list() == [1, 1, 3, 4, 4, 1]


def test_one_team_alone_has_no_score(tiny_src: Snapshot) -> None:
    # Each kind has a single team in the tiny CRM: nobody to compare with, so no percentile and no score.
    scores = teams.team_scores(tiny_src, PERIOD, (("revenue", 1.0),))
    assert scores.select("team_id", "score", "dimensions", "rank").rows() == [(1, None, 0, None),
                                                                              (2, None, 0, None)]


def test_score_weights_come_from_the_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "meridian.toml"
    monkeypatch.setenv("MERIDIAN_SETTINGS_FILE", str(path))
    path.write_text("[team_score]\nwin_rate = 2\n")
    settings.load.cache_clear()
    assert (settings.load().team_score.win_rate, settings.load().team_score.revenue) == (2.0, 0.35)
    path.write_text("[team_score]\nwin_rate = -1\n")
    settings.load.cache_clear()
    with pytest.raises(settings.ConfigError, match="cannot be negative"):
        settings.load()
    settings.load.cache_clear()


# --- language coverage ------------------------------------------------------------------------------------

def test_language_gaps_per_region(team_src: Snapshot) -> None:
    # Americas: interaction 1 (en) and seven survey responses of US customers (all en); its reps are those
    # of team 1: rep 1 (en), rep 3 ("EN-us, fr, cmn" is English, French and Chinese), rep 4 ("de_DE" is
    # German).
    # EMEA: interaction 2 (de), responses 9 and 11 (de) and 4 and 5 (en); its one rep speaks German, so
    # English is a gap: 2 of 5 contacts.
    coverage = teams.language_coverage(team_src, PERIOD, "region_id")
    assert coverage.rows() == [(1, "en", 8, 1.0, 2, False), (2, "de", 3, 0.6, 1, False),
                               (2, "en", 2, 0.4, 0, True)]


def test_language_coverage_per_team(team_src: Snapshot) -> None:
    # Interaction 1 (rep 1, team 1) and responses 7, 8 and 10, about tickets 1 and 2 of rep 1: four contacts
    # in English, which two of the team's reps speak. Interaction 2 has no rep; response 9 names no ticket.
    assert teams.language_coverage(team_src, PERIOD, "team_id").rows() == [(1, "en", 4, 1.0, 2, False)]


def test_languages_are_compared_by_base_language() -> None:
    spelled = pl.DataFrame({"tag": ["en-US", " EN", "en_GB", "cmn-CN", "zh", "pt-br"]})
    expected = ["en", "en", "en", "zh", "zh", "pt"]
    assert spelled.select(base_language("tag"))["tag"].to_list() == expected
    # Held in memory dictionary-encoded, as the snapshot holds a language column.
    assert spelled.select(base_language(pl.col("tag").cast(pl.Categorical)))["tag"].to_list() == expected


def test_registry_has_the_review_kpis() -> None:
    assert set(teams.SCORECARDS["sales"]) | set(teams.SCORECARDS["service"]) <= set(kpis.KPIS)
    assert {d for dims in teams.SCORE_DIMENSIONS.values() for d in dims} <= {
        f.name for f in settings.fields(settings.TeamScore)}
