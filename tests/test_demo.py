"""The demo CRM: deterministic, plausible in its magnitudes, and the planted patterns of docs/demo-data.md
are really there and found by the dashboard's own queries (or plain polars over the snapshot)."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import inspect, select, text

from dashboard import cli, schema
from dashboard.db import DatabaseError, writable_engine
from dashboard.demo import (
    COMMENTS_FILE,
    LANGUAGE_GAP_TEAM,
    SLOW_FOLLOW_UP_TEAM,
    SLOW_SERVICE_TEAM,
    THEMES,
    TROUBLED_PARTNER_NAME,
    Plan,
    build_world,
    customer_batches,
    default_as_of,
    write_demo,
)
from dashboard.filters import Filters
from dashboard.snapshot import Snapshot
from queries import customers, followup, overview, partners, quality, revenue, satisfaction, service, targets, voice
from tests import tiny
from tests.conftest import backend_url, snapshot_of

AS_OF = dt.date(2026, 5, 31)
PLAN = Plan(20_000, 7, AS_OF)
LAST_YEAR = Filters(start=dt.date(2025, 6, 1), end=AS_OF)
PLANTED_MARKETS = {"AE", "IN", "VN", "IT", "BR", "FR"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    folder = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{folder / 'crm.sqlite'}"
    write_demo(url, PLAN)
    return snapshot_of(url, folder / "snap")


def scan(src: Snapshot, table: str) -> pl.DataFrame:
    return src.scan(table).collect()


def team_of_rep(src: Snapshot) -> pl.DataFrame:
    """rep_id, team_id, team, kind, office, region_id (the team's)."""
    teams = src.scan("teams").select(pl.col("id").alias("team_id"), pl.col("name").alias("team"), "kind",
                                     "office", pl.col("region_id").alias("team_region_id"))
    return src.scan("reps").select(pl.col("id").alias("rep_id"), "team_id").join(teams, on="team_id").collect()


# --- determinism and the calendar ---------------------------------------------------------------

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


def test_as_of_is_a_complete_day(demo: Snapshot) -> None:
    assert default_as_of() == dt.date.today() - dt.timedelta(days=1)
    assert PLAN.end == dt.datetime(2026, 6, 1) and PLAN.start == dt.datetime(2022, 6, 2)
    assert demo.last_day == AS_OF
    # Nothing happens at or after midnight after as_of, and the as_of day itself is busy like any other.
    for table in schema.TABLE_ORDER:
        frame = demo.scan(table).collect()
        for column, dtype in frame.schema.items():
            if dtype == pl.Datetime("us") and column != "due_at":  # a due date may lie ahead
                latest = frame[column].max()
                assert latest is None or latest < PLAN.end, (table, column)
    on_last_day = demo.scan("orders").filter(pl.col("ordered_at").dt.date() == AS_OF).select(pl.len()).collect()
    day_before = demo.scan("orders").filter(pl.col("ordered_at").dt.date() == AS_OF - dt.timedelta(days=7))
    assert on_last_day.item() > 0.5 * day_before.select(pl.len()).collect().item()


# --- plausible magnitudes -----------------------------------------------------------------------

def test_existing_customer_base_buys_from_day_one(demo: Snapshot) -> None:
    people = scan(demo, "customers").filter(~pl.col("duplicate"))
    before = (people["created_at"] < PLAN.start).mean()
    assert 0.4 < before < 0.75
    first_month = Filters(start=PLAN.start.date(), end=PLAN.start.date() + dt.timedelta(days=29))
    year_later = replace(first_month, start=first_month.start.replace(year=2023),
                         end=first_month.end.replace(year=2023))
    assert revenue.revenue(demo, first_month)["revenue"][0] > 0.75 * revenue.revenue(demo, year_later)["revenue"][0]


def test_company_grows_moderately(demo: Snapshot) -> None:
    now = revenue.revenue(demo, LAST_YEAR)["revenue"][0]
    before = revenue.revenue(demo, LAST_YEAR.comparison())["revenue"][0]
    assert 0.03 < now / before - 1 < 0.15


def _market_growth(demo: Snapshot) -> pl.DataFrame:
    """country_iso2, change_pct and the market's share of the year's revenue, for served markets."""
    movers = overview.market_movers(demo, LAST_YEAR)
    served = demo.scan("countries").select(pl.col("iso2").alias("country_iso2")).collect()
    return movers.join(served, on="country_iso2").with_columns(share=pl.col("revenue") / pl.col("revenue").sum())


def test_most_markets_grow_zero_to_twenty_percent(demo: Snapshot) -> None:
    # At 20,000 customers a market of 1 % of revenue has a few dozen business accounts: one won or
    # lost moves it by several points, so "most" is what a real company of this size would see.
    growth = _market_growth(demo)
    moderate = pl.col("change_pct").is_between(0, 20)
    unplanted = growth.filter(~pl.col("country_iso2").is_in(PLANTED_MARKETS))
    sizeable = unplanted.filter(pl.col("share") >= 0.01)
    assert sizeable.height >= 20 and sizeable.select(moderate.mean()).item() >= 0.55
    assert unplanted.select(moderate.mean()).item() > 0.5
    assert 0 < growth["change_pct"].median() < 20
    assert growth.select((pl.col("change_pct") > 30).mean()).item() < 0.2


def test_growing_and_shrinking_markets(demo: Snapshot) -> None:
    growth = _market_growth(demo).filter(pl.col("share") >= 0.01).sort("change_pct", descending=True)
    assert {"AE", "IN", "VN"} <= set(growth["country_iso2"].head(4))
    changes = dict(zip(growth["country_iso2"], growth["change_pct"], strict=True))
    assert min(changes["AE"], changes["IN"], changes["VN"]) > 20
    assert changes["IT"] < 0 and changes["BR"] < 0


def test_expansion_ranking_marks_the_planted_markets(demo: Snapshot) -> None:
    from queries.geo import market_expansion

    actions = dict(market_expansion(demo, LAST_YEAR).select("country_iso2", "action").rows())
    assert actions["BR"] == "fix" and actions["IT"] == "fix"
    assert actions["AE"] == "invest" and actions["IN"] == "invest"
    assert actions["VN"] != "fix"


def test_active_share_and_churn_by_segment(demo: Snapshot) -> None:
    people = demo.scan("customers").filter(~pl.col("duplicate")).select(pl.len()).collect().item()
    active = customers.active_customers(demo, LAST_YEAR)["active"][0]
    assert 0.55 < active / people < 0.75
    churn = {s: customers.churn(demo, replace(LAST_YEAR, segments=(s,)))["churn_rate"][0]
             for s in ("Enterprise", "Mid-market", "SMB", "Consumer")}
    assert churn["Enterprise"] < churn["Mid-market"] < churn["SMB"] < churn["Consumer"]
    assert churn["Enterprise"] < 0.12 and 0.2 < churn["Consumer"] < 0.4


def test_deal_cycle_by_segment_and_open_pipeline(demo: Snapshot) -> None:
    cycle = {s: partners.win_rate(demo, replace(LAST_YEAR, segments=(s,)))["deal_cycle_days"][0]
             for s in ("SMB", "Mid-market", "Enterprise")}
    assert 14 < cycle["SMB"] < 35 and 35 < cycle["Mid-market"] < 80 and 80 < cycle["Enterprise"] < 180
    open_deals = scan(demo, "opportunities").filter(pl.col("outcome").is_null())
    stages = open_deals.group_by("stage").len()
    assert set(stages["stage"]) == {"qualify", "propose", "negotiate"} and stages["len"].min() > 100
    assert open_deals["amount"].null_count() == 0 and open_deals["closed_at"].null_count() == open_deals.height


def test_target_attainment_spreads_around_target(demo: Snapshot) -> None:
    year = targets.target_attainment(demo, LAST_YEAR)
    sales = year.filter(pl.col("metric") == "revenue_usd")["attainment"]
    assert sales.len() >= 15
    assert 0.9 < sales.median() < 1.1 and sales.min() < 0.85 and sales.max() > 1.08
    assert (sales < 1).sum() >= 3 and (sales > 1).sum() >= 3 and sales.is_between(0.7, 1.3).mean() >= 0.85
    new = year.filter(pl.col("metric") == "new_customers")["attainment"]
    assert 0.85 < new.median() < 1.15 and (new < 1).sum() >= 3
    # SLA attainment per service team spreads around its 90 % target (the slow team aside).
    sla = year.filter((pl.col("metric") == "sla_attainment") & (pl.col("team") != SLOW_SERVICE_TEAM))["actual"]
    assert (sla > 0.9).sum() >= 2 and (sla < 0.9).sum() >= 2 and 0.85 < sla.median() < 0.95


def test_slow_service_team(demo: Snapshot) -> None:
    # A response time is lower-is-better: target over actual says how it fares (no "attainment" is shown).
    response = (targets.target_attainment(demo, LAST_YEAR)
                .filter(pl.col("metric") == "first_response_median_hours")
                .select("team", "actual", "status", (pl.col("target") / pl.col("actual")).alias("fares")))
    slow = response.filter(pl.col("team") == SLOW_SERVICE_TEAM).row(0, named=True)
    peers = response.filter(pl.col("team") != SLOW_SERVICE_TEAM)
    assert slow["actual"] > 2.5 * peers["actual"].median()
    assert slow["fares"] < 0.5 and slow["status"] == "behind" and peers["fares"].is_between(0.7, 1.35).all()


# --- organisation -------------------------------------------------------------------------------

def test_organisation_is_not_geography(demo: Snapshot) -> None:
    teams = scan(demo, "teams")
    assert teams["office"].null_count() == 0 and teams["manager"].null_count() == 0
    sales = teams.filter(pl.col("kind") == "sales")
    assert sales.filter(pl.col("region_id") == 1)["office"].n_unique() >= 3  # the Americas: several offices
    served = (scan(demo, "customers").filter(pl.col("region_id").is_not_null())
              .join(team_of_rep(demo), left_on="owner_rep_id", right_on="rep_id")
              .group_by("team").agg(pl.col("country_iso2").n_unique().alias("countries"),
                                    pl.col("segment").n_unique().alias("segments")))
    by_team = {r["team"]: r for r in served.iter_rows(named=True)}
    assert by_team["Singapore hub"]["countries"] >= 5
    assert by_team["North America Enterprise"]["segments"] == 1  # a team by segment, not by place
    dubai = sales.filter(pl.col("office") == "Dubai")["name"][0]
    assert by_team[dubai]["countries"] == 4


def test_reps_per_team_and_some_too_new_to_rank(demo: Snapshot) -> None:
    reps = team_of_rep(demo).filter(pl.col("kind") == "sales")
    assert reps.group_by("team_id").len()["len"].min() >= 3
    won = (revenue.won_orders(demo, LAST_YEAR).group_by("rep_id").agg(pl.len().alias("orders")).collect())
    volume = reps.join(won, on="rep_id", how="left").with_columns(pl.col("orders").fill_null(0))
    assert (volume["orders"] < 10).sum() >= 3  # recent hires: too little volume to rank
    assert (volume["orders"] >= 30).mean() > 0.8


def test_language_gap(demo: Snapshot) -> None:
    reps = scan(demo, "reps").select(pl.col("id").alias("rep_id"), pl.col("languages").str.split(","))
    spoken = (scan(demo, "interactions").join(reps, on="rep_id")
              .with_columns(pl.col("languages").list.contains(pl.col("language")).alias("spoken")))
    by_language = dict(spoken.group_by("language").agg(pl.col("spoken").mean()).rows())
    assert by_language["ko"] < 0.25 and by_language["ja"] < 0.35
    assert by_language["pt"] > 0.85 and by_language["zh"] > 0.95 and by_language["de"] > 0.95
    north_asia = scan(demo, "teams").filter(pl.col("name") == LANGUAGE_GAP_TEAM)["id"][0]
    team_reps = team_of_rep(demo).filter(pl.col("team_id") == north_asia).join(reps, on="rep_id")
    assert team_reps.select(pl.col("languages").list.contains("ko").mean()).item() <= 0.15


# --- planted troubles ---------------------------------------------------------------------------

def test_falling_nps_in_brazil(demo: Snapshot) -> None:
    brazil = replace(LAST_YEAR, countries=("BR",))
    early = satisfaction.nps(demo, replace(brazil, start=dt.date(2025, 1, 1), end=dt.date(2025, 5, 31)))
    late = satisfaction.nps(demo, replace(brazil, start=dt.date(2025, 12, 1), end=dt.date(2026, 5, 31)))
    assert early["nps"][0] - late["nps"][0] > 30
    world = satisfaction.nps(demo, replace(LAST_YEAR, start=dt.date(2025, 12, 1)))
    assert world["nps"][0] > late["nps"][0] + 20


def test_slow_service_in_brazil(demo: Snapshot) -> None:
    recent = Filters(start=dt.date(2025, 12, 10), end=AS_OF)
    served = demo.scan("countries").select(pl.col("iso2").alias("country_iso2")).collect()
    by_country = service.response_times_by(demo, recent, "country_iso2").join(served, on="country_iso2")
    brazil = by_country.filter(pl.col("country_iso2") == "BR")["first_response_median_h"][0]
    world = service.response_times(demo, recent)["first_response_median_h"][0]
    assert brazil > 3 * world
    assert by_country.sort("first_response_median_h", descending=True)["country_iso2"][0] == "BR"


def test_churn_in_france(demo: Snapshot) -> None:
    france = customers.churn(demo, replace(LAST_YEAR, countries=("FR",)))["churn_rate"][0]
    others = customers.churn(demo, LAST_YEAR)["churn_rate"][0]
    assert france > 2 * others


def test_troubled_partner(demo: Snapshot) -> None:
    names = demo.scan("partners").select(pl.col("id").alias("partner_id"), "name").collect()
    orion = names.filter(pl.col("name") == TROUBLED_PARTNER_NAME)["partner_id"][0]
    recent = partners.partner_scorecard(demo, Filters(start=dt.date(2025, 9, 10), end=AS_OF))
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
    assert 0.03 < checks["stale"] < 0.25


def test_channels_fit_the_country(demo: Snapshot) -> None:
    # Customers with a mistyped country code (planted) keep the channel of their real country.
    mix = (demo.scan("interactions").filter(pl.col("region_id").is_not_null())
           .group_by("channel").agg(pl.col("country_iso2").unique()).collect())
    where = dict(zip(mix["channel"], mix["country_iso2"].to_list(), strict=True))
    assert set(where["WeChat"]) == {"CN"}
    assert set(where["LINE"]) == {"JP", "TW", "TH"}
    assert {"BR", "IN", "ID", "MX"} == set(where["WhatsApp"])


def test_coordinates_are_real(demo: Snapshot) -> None:
    shanghai = demo.scan("customers").filter(pl.col("city") == "Shanghai").select("lat", "lon").collect()
    assert shanghai.height > 0
    assert shanghai["lat"].mean() == pytest.approx(31.22, abs=0.1)
    assert shanghai["lon"].mean() == pytest.approx(121.46, abs=0.1)


# --- voice of the customer ----------------------------------------------------------------------

def phrases() -> dict[str, dict[tuple[str, str], list[str]]]:
    """language -> (theme, good|bad) -> its sentences."""
    data = tomllib.loads(COMMENTS_FILE.read_text(encoding="utf-8"))
    return {lang: {(theme, tone): pool[theme][tone] for theme in THEMES for tone in ("good", "bad")}
            for lang, pool in data.items()}


def about(theme: str, tone: str) -> pl.Expr:
    """Whether a comment has a sentence on `theme` in `tone`, in any language."""
    return pl.col("comment").str.contains_any([s for pools in phrases().values() for s in pools[(theme, tone)]])


def tone(kind: str) -> pl.Expr:
    good = {"NPS": pl.col("score") >= 9, "CSAT": pl.col("score") >= 4, "CES": pl.col("score") <= 2}[kind]
    bad = {"NPS": pl.col("score") <= 6, "CSAT": pl.col("score") <= 2, "CES": pl.col("score") >= 5}[kind]
    return pl.when(good).then(pl.lit("good")).when(bad).then(pl.lit("bad")).otherwise(pl.lit("mixed"))


def test_comments_in_the_markets_languages(demo: Snapshot) -> None:
    surveys = scan(demo, "surveys")
    assert 0.3 < surveys["comment"].is_not_null().mean() < 0.5
    commented = surveys.filter(pl.col("comment").is_not_null())
    by_language = dict(commented.group_by("language").len().rows())
    assert {"en", "zh", "es", "pt", "fr", "de", "ja", "ko", "it", "nl", "pl"} <= set(by_language)
    assert min(by_language.values()) >= 50
    # A comment is written in the language the survey carries, in the markets that speak it.
    pools = phrases()
    for lang in ("ja", "pt", "de", "zh"):
        mine = [s for pool in pools[lang].values() for s in pool]
        own = commented.filter(pl.col("language") == lang)
        assert own.select(pl.col("comment").str.contains_any(mine).all()).item(), lang
    countries = dict(commented.filter(pl.col("region_id").is_not_null())
                     .group_by("language").agg(pl.col("country_iso2").unique()).rows())
    assert set(countries["ja"]) <= {"JP"} and set(countries["ko"]) <= {"KR"} and set(countries["pt"]) <= {"BR"}


def test_comments_match_their_scores_and_themes(demo: Snapshot) -> None:
    commented = scan(demo, "surveys").filter(pl.col("comment").is_not_null())
    praise = pl.any_horizontal([about(t, "good") for t in THEMES])
    complaint = pl.any_horizontal([about(t, "bad") for t in THEMES])
    for kind in ("NPS", "CSAT", "CES"):
        rows = commented.filter(pl.col("kind") == kind).with_columns(
            tone(kind).alias("tone"), praise.alias("praise"), complaint.alias("complaint"))
        good, bad, mixed = (rows.filter(pl.col("tone") == t) for t in ("good", "bad", "mixed"))
        assert good["praise"].all() and not good["complaint"].any(), kind
        assert bad["complaint"].all() and not bad["praise"].any(), kind
        assert (mixed["praise"] & mixed["complaint"]).all(), kind
    # Every theme is talked about, and a comment may touch two.
    themes = commented.select([about(t, tn).alias(f"{t}_{tn}") for t in THEMES for tn in ("good", "bad")]).sum()
    assert min(themes.row(0)) >= 30
    two = commented.select(pl.sum_horizontal([about(t, tn) for t in THEMES for tn in ("good", "bad")]) >= 2)
    assert 0.2 < two.to_series().mean() < 0.6


def test_brazil_complains_about_support_speed(demo: Snapshot) -> None:
    complaints = (scan(demo, "surveys")
                  .filter((pl.col("kind") == "NPS") & (pl.col("score") <= 6) & pl.col("comment").is_not_null()
                          & (pl.col("answered_at") >= dt.datetime(2025, 6, 1)))
                  .with_columns(about("support_speed", "bad").alias("speed")))
    brazil = complaints.filter(pl.col("country_iso2") == "BR")
    assert brazil.height >= 15 and (brazil["language"] == "pt").mean() > 0.8
    assert brazil["speed"].mean() > 0.6
    assert complaints.filter(pl.col("country_iso2") != "BR")["speed"].mean() < 0.35


# --- closing the loop ---------------------------------------------------------------------------

def test_detractors_are_followed_up(demo: Snapshot) -> None:
    nps = scan(demo, "surveys").filter(pl.col("kind") == "NPS")
    assert nps.filter(pl.col("score") >= 7)["followed_up_at"].null_count() == nps.filter(pl.col("score") >= 7).height
    settled = nps.filter((pl.col("score") <= 6) & (pl.col("answered_at") < PLAN.end - dt.timedelta(days=30)))
    delay = (pl.col("followed_up_at") - pl.col("answered_at")).dt.total_hours()
    shares = (settled.join(scan(demo, "teams").filter(pl.col("kind") == "success")
                           .select("region_id", pl.col("name").alias("success_team")), on="region_id")
              .group_by(pl.col("success_team") == SLOW_FOLLOW_UP_TEAM)
              .agg((delay <= 48).fill_null(False).mean().alias("two_days"),
                   (delay <= 168).fill_null(False).mean().alias("week"), delay.is_null().mean().alias("never")))
    slow = shares.filter(pl.col("success_team")).row(0, named=True)
    rest = shares.filter(~pl.col("success_team")).row(0, named=True)
    assert rest["two_days"] > 0.6 and rest["week"] > 0.8 and 0.05 < rest["never"] < 0.2
    assert slow["two_days"] < 0.35 and slow["never"] > 0.2


def test_follow_up_reduces_churn(demo: Snapshot) -> None:
    # Detractors of 15 months to 3 years ago: who of them is still a customer (active in the last 12 months)?
    still = (demo.scan("activity").filter(pl.col("at") >= dt.datetime(2025, 6, 1))
             .select("customer_id").unique().with_columns(pl.lit(True).alias("active")).collect())
    delay = (pl.col("followed_up_at") - pl.col("answered_at")).dt.total_hours()
    outcome = (scan(demo, "surveys")
               .filter((pl.col("kind") == "NPS") & (pl.col("score") <= 6)
                       & pl.col("answered_at").is_between(dt.datetime(2023, 6, 1), dt.datetime(2025, 3, 1)))
               .join(still, on="customer_id", how="left")
               .group_by(pl.when(delay <= 48).then(pl.lit("fast")).when(delay.is_null()).then(pl.lit("never"))
                         .otherwise(pl.lit("late")).alias("follow_up"))
               .agg(pl.col("active").is_null().mean().alias("churned"), pl.len()))
    churned = dict(outcome.select("follow_up", "churned").rows())
    assert churned["never"] > 1.5 * churned["fast"] and churned["never"] > 1.3 * churned["late"]


# --- generate never overwrites what it did not write --------------------------------------------

def _rows(url: str) -> dict[str, int]:
    engine = writable_engine(url)
    with engine.connect() as connection:
        counts = {t: connection.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                  for t in inspect(engine).get_table_names()}
    engine.dispose()
    return counts


def _marks(url: str) -> dict[str, str]:
    engine = writable_engine(url)
    with engine.connect() as connection:
        marks = dict(connection.execute(select(schema.meridian_meta.c.key, schema.meridian_meta.c.value)).all())
    engine.dispose()
    return marks


def _refused(url: str, capsys: pytest.CaptureFixture[str]) -> str:
    before = _rows(url)
    assert cli.main(["--url", url, "generate", "--customers", "50", "--replace"]) == 2
    assert _rows(url) == before
    message = capsys.readouterr().err
    assert " --" not in message  # no option that would overwrite it after all
    return message


def test_generate_replace_leaves_a_crm_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    tiny.write(url)
    expected = {name: frame.height for name, frame in tiny.tables().items()}
    assert "nothing marks it as a Meridian demo" in _refused(url, capsys)
    assert _rows(url) == expected


def test_generate_replace_leaves_an_import_store_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    tiny.write(url)
    engine = writable_engine(url)
    schema.store_metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(schema.meridian_meta.insert(), [{"key": "created_by", "value": "meridian import"}])
    engine.dispose()
    assert "meridian import" in _refused(url, capsys)


@pytest.mark.servers
def test_generate_replace_leaves_a_server_crm_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = backend_url("postgresql", tmp_path)
    engine = writable_engine(url)
    schema.store_metadata.drop_all(engine)  # no mark left by an earlier demo in this test database
    engine.dispose()
    tiny.write(url)
    _refused(url, capsys)
    assert _rows(url) == {name: frame.height for name, frame in tiny.tables().items()}


def test_generate_marks_and_replaces_its_own_demo(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    plan = Plan(40, 3, AS_OF)
    write_demo(url, plan)  # an empty database is fine
    assert _marks(url) == {"created_by": "meridian generate", "seed": "3", "customers": "40", "as_of": "2026-05-31"}
    with pytest.raises(DatabaseError, match=r"already holds a demo CRM.*--replace"):
        write_demo(url, plan)
    write_demo(url, replace(plan, seed=4), replace=True)
    assert _marks(url)["seed"] == "4" and _rows(url)["meridian_meta"] == 4


# --- the satisfaction page finds the planted patterns -----------------------------------------------------

def test_satisfaction_page_finds_brazil_and_slow_follow_up(demo: Snapshot) -> None:
    f = replace(LAST_YEAR, personal_data=True)
    grid = satisfaction.breakdown(demo, f, "segment")
    assert satisfaction.ranked_markets(grid, "higher")[0] == "BR"  # the largest fall heads the grid
    trend = satisfaction.score_trend(demo, f, "quarter", "country_iso2")
    assert satisfaction.moved_most(trend, "nps", "higher", 5)[0] == "BR"
    brazil = replace(f, countries=("BR",))
    themes = voice.theme_by_tone(demo, brazil)
    assert themes["theme"][0] == "support_speed" and themes["detractor_share"][0] > 0.5
    lowest = voice.comments(demo, brazil, order="lowest", limit=20)
    assert (lowest["language"] == "pt").mean() > 0.5
    assert (lowest["themes"].list.contains("support_speed")).mean() > 0.5
    # Asia Pacific (its success team follows up late) has the lowest share followed up within 2 days.
    regions = dict(scan(demo, "regions").select("id", "code").rows())
    shares = followup.follow_up_by(demo, f, "region_id").drop_nulls("region_id").sort("share_2d")
    assert regions[shares["region_id"][0]] == "APAC" and shares["share_2d"][0] < 0.35
    churn = dict(followup.churn_after_follow_up(demo, f).select("follow_up", "churn").rows())
    assert churn["never"] > 1.3 * churn["2_days"]
    assert satisfaction.score_target(demo, f, "nps")["target"].to_list() == [30.0]
