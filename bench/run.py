"""Benchmark: snapshot build and refresh, every page query cold and warm, and the same headline metrics
computed (a) the way most dashboards do, pandas `read_sql` against the database on every query, and
(b) with DuckDB SQL over the same snapshot, its tables in DuckDB's memory or read from Parquet. One
process, one run, peak memory per phase.

    python bench/run.py --customers 20000 [--output docs/performance.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from report import write_section  # noqa: E402

from dashboard import nav  # noqa: E402
from dashboard.db import read_only_engine, writable_engine  # noqa: E402
from dashboard.demo import Plan, write_demo  # noqa: E402
from dashboard.filters import Drill, Filters  # noqa: E402
from dashboard.snapshot import Snapshot, refresh  # noqa: E402
from queries import (  # noqa: E402
    customers,
    findings,
    followup,
    geo,
    kpis,
    markets,
    overview,
    partners,
    pipeline,
    quality,
    revenue,
    satisfaction,
    service,
    targets,
    teams,
    voice,
)

AS_OF = dt.date(2026, 6, 1)
WARM_RUNS = 5


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], object], runs: int = WARM_RUNS) -> tuple[float, float]:
    """Cold (first call) and warm (median of the next runs) in milliseconds."""
    start = time.perf_counter()
    fn()
    cold = (time.perf_counter() - start) * 1000
    warm = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        warm.append((time.perf_counter() - start) * 1000)
    return cold, statistics.median(warm)


# Every page's queries, as the pages call them at their first view; tiles and trends from the pages'
# registry KPIs. The world map is timed at the world and drilled into one country.
def page_queries(f: Filters) -> dict[str, dict[str, Callable[[Snapshot], object]]]:
    def tiles(page: str, view: Filters = f) -> dict[str, Callable[[Snapshot], object]]:
        keys = nav.page(page).kpis
        return {"kpis.measure": lambda s: kpis.measure(s, view, keys),
                "kpis.monthly": lambda s: kpis.monthly(s, view, keys)}

    market = Drill(2, "DE").narrow(f)
    weights = tuple((d, 1.0) for d in teams.SCORE_DIMENSIONS["sales"])
    return {
        "overview": {
            **tiles("overview"),
            "countries": lambda s: markets.countries(s, f),
            # The map's revenue by country, and the movers from it and the comparison period's.
            "revenue_by_country, market_movers": lambda s: overview.movers(
                revenue.revenue_by_country(s, f), revenue.revenue_by_country(s, f.comparison()),
                markets.countries(s, f)),
        },
        "map (world)": {
            # The page ranks markets from the frame it colours the map with.
            "country_metrics, market_expansion": lambda s: geo.expansion(geo.country_metrics(s, f)),
            "city_points": lambda s: geo.city_points(s, f),
        },
        "map (Germany)": {
            **tiles("map", market),
            "city_points": lambda s: geo.city_points(s, market),
            "market_vs_world": lambda s: geo.market_vs_world(s, market),
            "mix (segment)": lambda s: geo.mix(s, market, "segment"),
            "top_customers": lambda s: customers.top_customers(s, market, 15),
            "active_people": lambda s: geo.active_people(s, market),
        },
        "satisfaction": {
            **tiles("satisfaction"),
            "breakdown": lambda s: satisfaction.breakdown(s, f, "segment", "nps"),
            "score_trend": lambda s: satisfaction.score_trend(s, f, "month"),
            "score_trend_compared": lambda s: satisfaction.score_trend_compared(s, f, "month"),
            "nps_mix": lambda s: satisfaction.nps_mix(s, f, "month"),
            "score_distribution": lambda s: satisfaction.score_distribution(s, f),
            "against_baseline": lambda s: satisfaction.against_baseline(s, f),
            "theme_by_tone": lambda s: voice.theme_by_tone(s, f),
            "theme_trend": lambda s: voice.theme_trend(s, f.last_months(12)),
            "theme_counts": lambda s: voice.theme_counts(s, f),
            "comments": lambda s: voice.comments(s, f),
            "follow_up_by region": lambda s: followup.follow_up_by(s, f, "region_id"),
            "open_detractors": lambda s: followup.open_detractors(s, f, 7),
            "churn_after_follow_up": lambda s: followup.churn_after_follow_up(s, f),
            "money_after_response": lambda s: followup.money_after_response(s, f),
        },
        "teams": {
            "teams": lambda s: teams.teams(s, f),
            "team_scores": lambda s: teams.team_scores(s, f, weights),
            "team_scorecard": lambda s: teams.team_scorecard(s, f, "sales"),
            "target_attainment": lambda s: targets.target_attainment(s, f),
            "pace": lambda s: targets.pace(s, f),
            "response_times_by_region": lambda s: service.response_times_by(s, f, "region_id"),
            "sla_by_region": lambda s: service.sla_attainment_by(s, f, "region_id"),
        },
        "pipeline": {
            **tiles("pipeline"),
            "pipeline_by_stage": lambda s: pipeline.pipeline_by_stage(s, f),
            "revenue_by product_line": lambda s: revenue.revenue_by(s, f, "product_line"),
            "deals_by rep": lambda s: pipeline.deals_by(s, f, "rep_id"),
        },
        "partners": {
            **tiles("partners"),
            "partner_scorecard": lambda s: partners.partner_scorecard(s, f),
        },
        "customers": {
            **tiles("customers"),
            "lifecycle": lambda s: customers.lifecycle(s, f),
            "top_customers": lambda s: customers.top_customers(s, f),
        },
        "data_quality": {
            "customer_quality": lambda s: quality.customer_quality(s, f),
            "data_requests": lambda s: quality.data_requests(s, f),
            "findings": lambda s: findings.data_findings(s, f),
        },
    }


# --- the same headline metrics three ways --------------------------------------------------------

def polars_metrics(src: Snapshot, f: Filters) -> dict[str, Callable[[], object]]:
    return {
        "revenue (USD)": lambda: revenue.revenue(src, f),
        "revenue by country": lambda: revenue.revenue_by_country(src, f),
        "NPS": lambda: satisfaction.nps(src, f),
        "response times (median, p90)": lambda: service.response_times(src, f),
        "SLA attainment": lambda: service.sla_attainment(src, f),
        "active customers": lambda: customers.active_customers(src, f),
    }


def pandas_metrics(url: str, f: Filters, now: dt.datetime) -> dict[str, Callable[[], object]]:
    """What a typical dashboard does: read_sql with the period in WHERE, then pandas."""
    import pandas as pd

    engine = read_only_engine(url)
    start, end = f.start_ts.isoformat(sep=" "), f.end_ts.isoformat(sep=" ")

    def orders_usd() -> pd.DataFrame:
        orders = pd.read_sql(
            "SELECT o.amount, o.currency, o.ordered_at, c.country_iso2 FROM orders o "
            "JOIN customers c ON c.id = o.customer_id "
            "WHERE o.status = 'won' AND o.ordered_at >= :s AND o.ordered_at < :e",
            engine, params={"s": start, "e": end}, parse_dates=["ordered_at"])
        fx = pd.read_sql("SELECT date, currency, rate_to_base FROM fx_rates WHERE date >= :d", engine,
                         params={"d": (f.start - dt.timedelta(days=7)).isoformat()}, parse_dates=["date"])
        orders["date"] = orders["ordered_at"].dt.normalize()
        orders = pd.merge_asof(orders.sort_values("date"), fx.sort_values("date"), on="date", by="currency")
        orders["usd"] = orders["amount"].astype(float) * orders["rate_to_base"].astype(float)
        return orders

    def nps() -> float:
        s = pd.read_sql("SELECT score FROM surveys WHERE kind = 'NPS' AND answered_at >= :s AND answered_at < :e",
                        engine, params={"s": start, "e": end})
        return 100 * ((s.score >= 9).mean() - (s.score <= 6).mean())

    def tickets() -> pd.DataFrame:
        return pd.read_sql("SELECT opened_at, first_response_at, resolved_at, sla_hours FROM tickets "
                           "WHERE opened_at >= :s AND opened_at < :e", engine, params={"s": start, "e": end},
                           parse_dates=["opened_at", "first_response_at", "resolved_at"])

    def response_times() -> tuple:
        t = tickets()
        first = (t.first_response_at - t.opened_at).dt.total_seconds() / 3600
        resolution = (t.resolved_at - t.opened_at).dt.total_seconds() / 3600
        return first.median(), first.quantile(0.9), resolution.median(), resolution.quantile(0.9)

    def sla() -> float:
        t = tickets()
        deadline = t.opened_at + pd.to_timedelta(t.sla_hours, unit="h")
        due = t.resolved_at.notna() | (deadline <= now)
        met = t.resolved_at.notna() & (t.resolved_at <= deadline)
        return met.sum() / due.sum()

    def active() -> int:
        since = (f.end_ts - dt.timedelta(days=365)).isoformat(sep=" ")
        a = pd.read_sql("SELECT customer_id FROM orders WHERE ordered_at >= :s AND ordered_at < :e "
                        "UNION SELECT customer_id FROM interactions WHERE occurred_at >= :s AND occurred_at < :e",
                        engine, params={"s": since, "e": end})
        return a.customer_id.nunique()

    return {
        "revenue (USD)": lambda: orders_usd()["usd"].sum(),
        "revenue by country": lambda: orders_usd().groupby("country_iso2")["usd"].sum(),
        "NPS": nps,
        "response times (median, p90)": response_times,
        "SLA attainment": sla,
        "active customers": active,
    }


def duckdb_metrics(src: Snapshot, f: Filters, now: dt.datetime, in_memory: bool) -> dict[str, Callable[[], object]]:
    """The same metrics in DuckDB SQL over the same snapshot: its tables loaded into DuckDB's memory first
    (like for like with polars, which holds them in memory), or read from the Parquet files on every call."""
    import duckdb

    con = duckdb.connect()
    facts = src.path / "facts"
    for name in ("orders", "surveys", "tickets", "interactions"):
        kind = "TABLE" if in_memory else "VIEW"
        con.execute(f"CREATE {kind} {name} AS SELECT * FROM read_parquet('{facts / (name + '.parquet')}')")
    s, e = f.start_ts, f.end_ts
    since = f.end_ts - dt.timedelta(days=365)
    return {
        "revenue (USD)": lambda: con.execute(
            "SELECT sum(amount_usd), count(*) FROM orders WHERE status='won' AND ordered_at >= ? AND ordered_at < ?",
            [s, e]).fetchall(),
        "revenue by country": lambda: con.execute(
            "SELECT country_iso2, sum(amount_usd) FROM orders WHERE status='won' AND ordered_at >= ? "
            "AND ordered_at < ? GROUP BY 1", [s, e]).fetchall(),
        "NPS": lambda: con.execute(
            "SELECT 100.0 * (count(*) FILTER (score >= 9) - count(*) FILTER (score <= 6)) / count(*) FROM surveys "
            "WHERE kind = 'NPS' AND answered_at >= ? AND answered_at < ?", [s, e]).fetchall(),
        "response times (median, p90)": lambda: con.execute(
            "SELECT median(epoch(first_response_at - opened_at) / 3600), "
            "quantile_cont(epoch(first_response_at - opened_at) / 3600, 0.9), "
            "median(epoch(resolved_at - opened_at) / 3600), quantile_cont(epoch(resolved_at - opened_at) / 3600, 0.9) "
            "FROM tickets WHERE opened_at >= ? AND opened_at < ?", [s, e]).fetchall(),
        "SLA attainment": lambda: con.execute(
            "SELECT count(*) FILTER (resolved_at <= opened_at + sla_hours * INTERVAL 1 HOUR) / "
            "count(*) FILTER (resolved_at IS NOT NULL OR opened_at + sla_hours * INTERVAL 1 HOUR <= ?) "
            "FROM tickets WHERE opened_at >= ? AND opened_at < ?", [now, s, e]).fetchall(),
        "active customers": lambda: con.execute(
            "SELECT count(DISTINCT customer_id) FROM (SELECT customer_id FROM orders WHERE ordered_at >= ? AND "
            "ordered_at < ? UNION ALL SELECT customer_id FROM interactions WHERE occurred_at >= ? AND "
            "occurred_at < ?)", [since, e, since, e]).fetchall(),
    }


def map_payload(src: Snapshot, f: Filters) -> str:
    """What the world map sends to the browser: countries and aggregated city points, never raw rows."""
    from dashboard import maps

    countries = geo.country_metrics(src, f).with_columns(
        pl.col("customers").alias("value"), pl.col("name").alias("label"),
        pl.col("customers").cast(pl.String).alias("amount"))
    cities = geo.city_points(src, f).with_columns(
        pl.lit(4.0).alias("radius"), pl.col("city").alias("label"), pl.col("revenue").cast(pl.String).alias("amount"))
    bounds = maps.bounds_of(countries["country_iso2"])
    width = 1460  # the map's width on a 1920-pixel screen
    height = maps.map_height(width, bounds, 560)
    deck = maps.choropleth(countries, maps.Scale.of(countries["value"].to_list(), "sequential"), "Active customers",
                           maps.fit_view(bounds, width, height), (width, height), cities=cities)
    start = time.perf_counter()
    size = len(deck.to_json().encode())
    encode_ms = (time.perf_counter() - start) * 1000
    return (f"World map payload: {size / 1024:,.0f} KiB of deck JSON ({countries.height} countries, "
            f"{cities.height:,} city points) for {countries['customers'].sum():,} active customers, encoded in "
            f"{encode_ms:.0f} ms.")


# --- the run ----------------------------------------------------------------------------------------

def ensure_database(customers_n: int, folder: Path) -> str:
    path = folder / f"crm-{customers_n}.sqlite"
    url = f"sqlite:///{path}"
    if not path.exists():
        print(f"generating {customers_n:,} customers into {path} …", flush=True)
        start = time.perf_counter()
        write_demo(url, Plan(customers_n, 7, AS_OF))
        print(f"  generated in {time.perf_counter() - start:.0f} s", flush=True)
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--folder", type=Path, default=ROOT / "data" / "bench")
    parser.add_argument("--output", type=Path, help="write the tables into this Markdown file's generated section")
    args = parser.parse_args(argv)
    args.folder.mkdir(parents=True, exist_ok=True)
    url = ensure_database(args.customers, args.folder)
    root = args.folder / f"snapshot-{args.customers}"
    lines = [f"## {args.customers:,} customers", "",
             f"Machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start; polars "
             f"{pl.__version__}; SQLite source; period 2026-03-03 – 2026-06-01 (90 days); warm = median of 5 runs.",
             ""]

    engine = read_only_engine(url)
    start = time.perf_counter()
    cold_rows = sum(refresh(engine, root, full=True).values())
    cold_build = time.perf_counter() - start
    start = time.perf_counter()
    refresh(engine, root)
    no_change = time.perf_counter() - start
    writer = writable_engine(url)
    with writer.begin() as connection:
        top = connection.exec_driver_sql("SELECT max(id) FROM interactions").scalar()
        connection.exec_driver_sql(
            "INSERT INTO interactions SELECT id + ?, customer_id, rep_id, channel, direction, language, occurred_at "
            "FROM interactions WHERE id <= 1000", (top,))
    start = time.perf_counter()
    refresh(engine, root)
    incremental = time.perf_counter() - start
    with writer.begin() as connection:
        connection.exec_driver_sql("DELETE FROM interactions WHERE id > ?", (top,))
    refresh(engine, root, full=True)
    build_peak = peak_rss_mb()
    lines += ["| snapshot | seconds |", "|---|---:|",
              f"| cold build (every table, {cold_rows:,} rows read) | {cold_build:.2f} |",
              f"| refresh, nothing changed | {no_change:.2f} |",
              f"| refresh, 1,000 new interactions | {incremental:.2f} |", ""]

    src = replace(Snapshot.open(root), refreshed_at=dt.datetime(2026, 6, 1))
    f = Filters(start=dt.date(2026, 3, 3), end=AS_OF)
    gc.collect()
    lines += ["| page | query | cold ms | warm ms |", "|---|---|---:|---:|"]
    page_totals = {}
    for page, queries in page_queries(f).items():
        total = 0.0
        for name, fn in queries.items():
            cold, warm = timed(lambda fn=fn: fn(src))
            total += warm
            lines.append(f"| {page} | {name} | {cold:.1f} | {warm:.1f} |")
        page_totals[page] = total
    # A view nobody has opened yet: another period, region and currency, so no result is reused; what
    # queries share across views (activity flags, tagged comments) is computed anew where it depends on them.
    other = Filters(start=dt.date(2026, 5, 1), end=dt.date(2026, 5, 31), preset="last_month", regions=(1,),
                    currency="EUR")
    first_views = {}
    for page, queries in page_queries(other).items():
        start = time.perf_counter()
        for fn in queries.values():
            fn(src)
        first_views[page] = (time.perf_counter() - start) * 1000
    polars_peak = peak_rss_mb()
    lines += ["", map_payload(src, f)]
    lines += ["", "Per page, all its queries: warm (the view above, every table in memory), and the first view of "
              "another filter combination (May 2026, one region, in EUR), each query run once.", "",
              "| page | all its queries, warm ms | first view of another filter combination ms |", "|---|---:|---:|"]
    lines += [f"| {page} | {total:.0f} | {first_views[page]:.0f} |" for page, total in page_totals.items()]

    now = dt.datetime(2026, 6, 1)
    engines = {"polars (snapshot)": polars_metrics(src, f)}
    results: dict[str, dict[str, float]] = {"polars (snapshot)": {}}
    for metric, fn in engines["polars (snapshot)"].items():
        results["polars (snapshot)"][metric] = timed(fn)[1]
    results["pandas read_sql"] = {m: timed(fn, 3)[1] for m, fn in pandas_metrics(url, f, now).items()}
    pandas_peak = peak_rss_mb()
    results["DuckDB (in memory)"] = {m: timed(fn)[1] for m, fn in duckdb_metrics(src, f, now, True).items()}
    results["DuckDB (Parquet)"] = {m: timed(fn)[1] for m, fn in duckdb_metrics(src, f, now, False).items()}
    duck_peak = peak_rss_mb()
    lines += ["", "| metric | polars ms | DuckDB, in memory ms | DuckDB, Parquet ms | pandas read_sql ms "
              "| polars ÷ DuckDB in memory | pandas ÷ polars |", "|---|---:|---:|---:|---:|---:|---:|"]
    for metric in results["polars (snapshot)"]:
        p, mem, parquet, pd_ = (results[k][metric] for k in ("polars (snapshot)", "DuckDB (in memory)",
                                                             "DuckDB (Parquet)", "pandas read_sql"))
        lines.append(f"| {metric} | {p:.1f} | {mem:.1f} | {parquet:.1f} | {pd_:.1f} | {p / mem:.2f} | {pd_ / p:.0f}× |")
    lines += ["", f"Peak RSS (the process's high-water mark, cumulative): {build_peak:,.0f} MB after the snapshot "
              f"builds, {polars_peak:,.0f} MB after the polars queries, {pandas_peak:,.0f} MB after pandas, "
              f"{duck_peak:,.0f} MB after DuckDB.", ""]
    text = "\n".join(lines)
    print(text)
    if args.output:
        write_section(args.output, f"queries-{args.customers}", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
