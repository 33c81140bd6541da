"""An import end to end: the B2B pipeline export through docs/mapping-example.toml into a store on
SQLite, PostgreSQL and MariaDB, then Meridian's own snapshot and queries, against totals worked out by
hand from tests/fixtures/imports/b2b; re-imports, refusals, dry runs and failures."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from dashboard import schema
from dashboard.cli import main
from dashboard.filters import Filters
from dashboard.importer import store
from dashboard.importer.run import Request, run
from dashboard.paths import PROJECT_ROOT
from queries.partners import win_rate
from queries.revenue import revenue_by_country
from tests import tiny
from tests.conftest import BACKENDS, backend_url, snapshot_of

B2B = Path(__file__).parent / "fixtures" / "imports" / "b2b"
EXAMPLE = PROJECT_ROOT / "docs" / "mapping-example.toml"
# As an administrator: the fixtures' countries have too few customers to show to anyone else.
MARCH_2017 = Filters(start=dt.date(2017, 3, 1), end=dt.date(2017, 3, 31), personal_data=True)


def import_b2b(url: str, folder: Path = B2B, **request: object) -> object:
    # Prospecting deals have no engage date, so --skip-incomplete (the export's real shape).
    return run(Request([folder], url, EXAMPLE, skip_incomplete=True, **request))  # type: ignore[arg-type]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own on each backend: the shared `test` database stays untouched."""
    base = backend_url(request.param, tmp_path)
    if request.param == "sqlite":
        yield base
        return
    server = make_url(base)
    own = server.set(database=f"{server.database}_import")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    create = "CREATE DATABASE {} CHARACTER SET utf8mb4" if request.param == "mariadb" else "CREATE DATABASE {}"
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {own.database}"))
        connection.execute(text(create.format(own.database)))
    yield own.render_as_string(hide_password=False)
    with admin.connect() as connection:
        if request.param == "postgresql":
            connection.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    f"WHERE datname = '{own.database}' AND pid <> pg_backend_pid()"))
        connection.execute(text(f"DROP DATABASE IF EXISTS {own.database}"))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.sqlite'}"


def rows(url: str, name: str, *columns: str) -> list[tuple]:
    engine = create_engine(url)
    t = schema.metadata.tables.get(name) if name in schema.metadata.tables else schema.store_metadata.tables[name]
    with engine.connect() as connection:
        found = connection.execute(select(*[t.c[c] for c in columns]).order_by(*[t.c[c] for c in columns])).all()
    engine.dispose()
    return [tuple(r) for r in found]


def test_round_trip_through_the_snapshot_and_meridians_queries(url: str, tmp_path: Path) -> None:
    report = import_b2b(url)
    assert report.ok, report.text()
    src = snapshot_of(url, tmp_path / "snapshot")
    # Won deals closed in March 2017, by the account's office_location (Philipines and Korea confirmed in
    # the mapping): US 1054 + 4514 + 50 + 601; KR 49 + 3000; DE 588 + 517; PH 57; Globex is not in
    # accounts.csv, so its 1200 sits with "Unassigned", country unknown.
    by_country = revenue_by_country(src, MARCH_2017).select("country_iso2", "revenue", "orders").rows()
    assert by_country == [("US", 6219.0, 4), ("KR", 3049.0, 2), (None, 1200.0, 1), ("DE", 1105.0, 2),
                          ("PH", 57.0, 1)]
    # Closed in March: 10 won, 2 lost (7GN8Q4LL, UP409DSB); Engaging and Prospecting are open.
    row = win_rate(src, MARCH_2017).row(0, named=True)
    assert (row["closed"], row["won"]) == (12, 10)
    assert row["win_rate"] == pytest.approx(10 / 12)
    # Won value per manager and office, from the snapshot's own tables: Dustin Brinkmann's Anna Snelling
    # (1054, 49) and Cecily Lampkin (4514, 50); Melvin Marxen's Corliss Cosme (588, 517); Rocco Neubert's
    # Daniell Hammack (57) and Donn Cantrell (601, 1200); Violet Mclelland is in no team (3000).
    won = (src.scan("orders").filter(pl.col("status") == "won")
           .join(src.scan("reps").select(pl.col("id").alias("rep_id"), "team_id"), on="rep_id", how="left")
           .join(src.scan("teams").select(pl.col("id").alias("team_id"), "manager", "office"), on="team_id",
                 how="left").collect())
    by_manager = won.group_by("manager").agg(pl.col("amount").sum()).sort("manager", nulls_last=True).rows()
    assert by_manager == [("Dustin Brinkmann", 5667.0), ("Melvin Marxen", 1105.0), ("Rocco Neubert", 1858.0),
                          (None, 3000.0)]
    by_office = won.group_by("office").agg(pl.col("amount").sum()).sort("office", nulls_last=True).rows()
    assert by_office == [("Central", 6772.0), ("East", 1858.0), (None, 3000.0)]
    # Re-importing the same files changes nothing and keeps every id.
    before = {name: rows(url, name, "id", "name") for name in ("customers", "reps", "teams")}
    again = import_b2b(url)
    assert again.ok, again.text()
    assert {name: (c.new, c.updated) for name, c in again.counts.items()} == {
        name: (0, 0) for name in again.counts}
    assert {name: rows(url, name, "id", "name") for name in ("customers", "reps", "teams")} == before


def test_counts_of_a_first_import(sqlite_url: str) -> None:
    report = import_b2b(sqlite_url)
    counts = {name: (c.read, c.new) for name, c in report.counts.items()}
    # 7 accounts and the Unassigned placeholder; 5 reps in sales_teams.csv and Violet Mclelland, named by a
    # deal only; 3 managers; 14 deals less the Prospecting one without an engage date; 10 won deals.
    assert counts == {"fx_rates": (0, 1), "regions": (0, 3), "countries": (0, 4), "teams": (5, 3),
                      "reps": (5, 6), "customers": (7, 8), "opportunities": (14, 13), "orders": (0, 10)}
    assert report.unassigned == {"opportunities": 2}
    assert rows(sqlite_url, "customers", "name", "created_at")[-1] == ("Zumgoity", dt.datetime(2016, 10, 25))
    assert rows(sqlite_url, "meridian_meta", "key", "value")[0] == ("created_by", "meridian import")


def test_a_changed_export_updates_the_same_rows(sqlite_url: str, tmp_path: Path) -> None:
    assert import_b2b(sqlite_url).ok
    ids = rows(sqlite_url, "opportunities", "id", "amount")
    changed = tmp_path / "changed"
    shutil.copytree(B2B, changed)
    pipeline = changed / "sales_pipeline.csv"
    pipeline.write_text(pipeline.read_text().replace("Konex,Won,2016-11-06,2017-03-08,3000",
                                                     "Konex,Won,2016-11-06,2017-03-08,3500"))
    report = import_b2b(sqlite_url, changed)
    assert report.ok, report.text()
    assert (report.counts["opportunities"].updated, report.counts["orders"].updated) == (1, 1)
    assert report.counts["opportunities"].new == 0
    after = rows(sqlite_url, "opportunities", "id", "amount")
    assert [i for i, _ in after] == [i for i, _ in ids]
    # 4FRT55ZX is the 13th deal with an id: the Prospecting deal before it was left out.
    assert [(i, float(a)) for i, a in sorted(set(after) - set(ids))] == [(13, 3500.0)]


def test_a_crm_without_the_meridian_mark_is_refused(sqlite_url: str) -> None:
    tiny.write(sqlite_url)
    report = import_b2b(sqlite_url)
    assert report.problems[0].text().startswith("refused: the database holds CRM tables but is not a Meridian")
    assert len(rows(sqlite_url, "customers", "id")) == 9
    engine = create_engine(sqlite_url)
    assert schema.meridian_meta.name not in inspect(engine).get_table_names()
    engine.dispose()


def test_the_demo_database_is_replaced(sqlite_url: str) -> None:
    tiny.write(sqlite_url)
    engine = create_engine(sqlite_url)
    schema.store_metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(schema.meridian_meta.insert(), {"key": "created_by", "value": "meridian generate"})
    engine.dispose()
    report = import_b2b(sqlite_url)
    assert report.ok and report.action == store.ACTIONS[store.StoreKind.DEMO]
    assert len(rows(sqlite_url, "customers", "id")) == 8
    assert rows(sqlite_url, "meridian_meta", "key", "value")[0] == ("created_by", "meridian import")


def test_a_dry_run_writes_nothing(sqlite_url: str, tmp_path: Path) -> None:
    report = import_b2b(sqlite_url, dry_run=True)
    assert report.ok and report.counts["customers"].new == 8
    assert not (tmp_path / "store.sqlite").exists()
    assert import_b2b(sqlite_url).ok
    stamp = rows(sqlite_url, "meridian_meta", "key", "value")
    changed = tmp_path / "changed"
    shutil.copytree(B2B, changed)
    (changed / "accounts.csv").write_text((B2B / "accounts.csv").read_text().replace("technolgy", "technology"))
    report = import_b2b(sqlite_url, changed, dry_run=True)
    assert (report.counts["customers"].updated, report.counts["customers"].unchanged) == (2, 6)
    assert rows(sqlite_url, "customers", "industry").count(("technolgy",)) == 2
    assert rows(sqlite_url, "meridian_meta", "key", "value") == stamp
    assert list(report.preview)[:3] == ["teams", "reps", "customers"]


def test_a_failed_write_leaves_the_store_as_it_was(sqlite_url: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert import_b2b(sqlite_url).ok
    before = rows(sqlite_url, "opportunities", "id", "amount")
    changed = tmp_path / "changed"
    shutil.copytree(B2B, changed)
    pipeline = changed / "sales_pipeline.csv"
    pipeline.write_text(pipeline.read_text().replace(",3000\n", ",3500\n"))
    real_update = store._update

    def failing(connection, batch, changed_rows):  # type: ignore[no-untyped-def]
        real_update(connection, batch, changed_rows)
        if batch.table == "orders":
            raise RuntimeError("disk full")

    monkeypatch.setattr(store, "_update", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        import_b2b(sqlite_url, changed)
    assert rows(sqlite_url, "opportunities", "id", "amount") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["changed", "store.sqlite"]


def test_a_bad_file_among_good_ones_stops_everything(sqlite_url: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(B2B, broken)
    (broken / "sales_pipeline.csv").write_text((B2B / "sales_pipeline.csv").read_text().replace(
        "2017-03-07,50", "2017-03-77,50"))
    report = import_b2b(sqlite_url, broken)
    assert [(p.file, p.row, p.column, p.value) for p in report.problems] == [
        ("sales_pipeline.csv", 4, "close_date", "2017-03-77")]
    assert not (tmp_path / "store.sqlite").exists()


def test_the_command_line(sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--url", sqlite_url, "import", "--mapping", str(EXAMPLE), "--skip-incomplete"]
    assert main([*args, "--dry-run", str(B2B)]) == 0
    out = capsys.readouterr().out
    assert "Dry run: nothing written." in out and "customers             7        8" in out
    assert not (tmp_path / "store.sqlite").exists()
    assert main([*args, str(B2B)]) == 0
    assert "Next: meridian --url" in capsys.readouterr().out
    problems = tmp_path / "problems.csv"
    assert main(["--url", sqlite_url, "import", "--mapping", str(EXAMPLE), "--problems", str(problems),
                 str(B2B)]) == 1
    assert problems.read_text().splitlines() == [
        "file,row,column,value,why", "sales_pipeline.csv,12,engage_date,,opened_at is required and empty."]


def test_a_company_in_one_currency_sees_its_own_amounts(sqlite_url: str, tmp_path: Path) -> None:
    folder = Path(__file__).parent / "fixtures" / "imports" / "eur_company"
    report = run(Request([folder], sqlite_url, folder / "mapping.toml"))
    assert report.ok, report.text()
    # No USD amounts, so no base rate: only the company's own two EUR rates.
    assert rows(sqlite_url, "fx_rates", "currency") == [("EUR",), ("EUR",)]
    src = snapshot_of(sqlite_url, tmp_path / "snapshot")
    q1 = Filters(start=dt.date(2024, 1, 1), end=dt.date(2024, 3, 31), personal_data=True)
    # Won: 1.000,00 EUR on 15.01.2024 at 1.10 USD and 500,00 EUR on 20.02.2024 at 1.20 USD.
    assert revenue_by_country(src, q1).select("country_iso2", "revenue").rows() == [
        ("DE", pytest.approx(1100.0)), ("AT", pytest.approx(600.0))]
    # In euros, each amount goes to USD and back at its own day's rate: the books' own amounts.
    in_euros = Filters(start=q1.start, end=q1.end, currency="EUR", personal_data=True)
    assert revenue_by_country(src, in_euros).select("country_iso2", "revenue").rows() == [
        ("DE", pytest.approx(1000.0)), ("AT", pytest.approx(500.0))]
