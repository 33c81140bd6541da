"""The connection layer: read-only sessions, clear errors for bad input, schema checks, identical
snapshots from every backend."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from dashboard import cli, schema, snapshot
from dashboard.db import DatabaseError, read_only_engine, redact, resolve_url, schema_problems, writable_engine
from dashboard.demo import GENERATOR, Plan, write_demo
from dashboard.snapshot import Snapshot, refresh
from tests import tiny
from tests.conftest import BACKENDS, backend_url


@pytest.mark.parametrize("backend", BACKENDS)
def test_dashboard_session_refuses_writes(backend: str, tmp_path: Path) -> None:
    url = backend_url(backend, tmp_path)
    tiny.write(url)
    engine = read_only_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM regions")).scalar() == 4
    with pytest.raises(Exception, match=r"(?i)read.?only"), engine.begin() as connection:
        connection.execute(text("DELETE FROM regions"))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM regions")).scalar() == 4
    engine.dispose()


def test_sqlite_cannot_attach_another_file_to_write_there(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    tiny.write(url)
    engine = read_only_engine(url)
    with pytest.raises(Exception, match="not authorized"), engine.connect() as connection:
        connection.execute(text(f"ATTACH DATABASE '{tmp_path / 'other.sqlite'}' AS other"))
    assert not (tmp_path / "other.sqlite").exists()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM regions")).scalar() == 4
    engine.dispose()


# A database user with read rights only, as docs/security.md creates it.
READER_SETUP = {
    "postgresql": ["DROP OWNED BY meridian_reader", "DROP ROLE IF EXISTS meridian_reader",
                   "CREATE ROLE meridian_reader LOGIN",
                   "GRANT SELECT ON ALL TABLES IN SCHEMA public TO meridian_reader"],
    "mariadb": ["DROP USER IF EXISTS 'meridian_reader'@'%'", "CREATE USER 'meridian_reader'@'%'",
                "GRANT SELECT ON test.* TO 'meridian_reader'@'%'"],
}


@pytest.mark.parametrize("backend", ["postgresql", "mariadb"])
def test_check_tells_a_user_that_can_write_from_one_that_can_only_read(backend: str, tmp_path: Path) -> None:
    from dashboard.db import user_can_write

    url = backend_url(backend, tmp_path)
    tiny.write(url)
    assert user_can_write(read_only_engine(url))  # the test servers' administrators
    admin = create_engine(url)
    with admin.begin() as connection:
        for statement in READER_SETUP[backend]:
            if statement.startswith("DROP OWNED"):
                exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = 'meridian_reader'")).first()
                if not exists:
                    continue
            connection.execute(text(statement))
    admin.dispose()
    reader = read_only_engine(make_url(url).set(username="meridian_reader").render_as_string(hide_password=False))
    with reader.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM regions")).scalar() == 4
    assert not user_can_write(reader)
    reader.dispose()


@pytest.mark.parametrize("url", ["not a url", "oracle://scott@host/db", "sqlite:///does/not/exist.sqlite"])
def test_bad_urls_explain_themselves(url: str) -> None:
    with pytest.raises(DatabaseError) as info:
        schema_problems(read_only_engine(url))
    assert "Traceback" not in str(info.value)
    assert len(str(info.value)) < 300


def test_unreachable_server_is_a_sentence() -> None:
    with pytest.raises(DatabaseError, match="Cannot connect to the CRM database"):
        schema_problems(read_only_engine("postgresql://nobody:secret@127.0.0.1:1/crm"))


def test_password_never_shown() -> None:
    assert "secret" not in redact("postgresql://nobody:secret@127.0.0.1:1/crm")


def test_missing_table_and_column_named_in_one_message(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'partial.sqlite'}"
    tiny.write(url)
    engine = writable_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE surveys"))
        connection.execute(text("ALTER TABLE customers DROP COLUMN segment"))
    problems = schema_problems(read_only_engine(url))
    assert problems == ["column 'customers.segment' is missing", "table 'surveys' is missing"]
    with pytest.raises(DatabaseError, match=r"table 'surveys' is missing; column|column 'customers.segment'"):
        refresh(read_only_engine(url), tmp_path / "snap")
    assert not (tmp_path / "snap" / "CURRENT").exists()


def test_empty_database_lists_every_table(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    writable_engine(url).connect().close()
    problems = schema_problems(read_only_engine(url))
    assert len(problems) == len(schema.metadata.tables)


def test_check_command_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'ok.sqlite'}"
    tiny.write(url)
    assert cli.main(["--url", url, "check"]) == 0
    assert cli.main(["--url", "sqlite:///nowhere.sqlite", "check"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_url_resolution_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRM_DATABASE_URL", raising=False)
    assert resolve_url("sqlite:///a.sqlite") == "sqlite:///a.sqlite"
    monkeypatch.setenv("CRM_DATABASE_URL", "sqlite:///b.sqlite")
    assert resolve_url() == "sqlite:///b.sqlite"


def test_generate_refuses_to_overwrite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    tiny.write(url)
    with pytest.raises(DatabaseError, match="nothing marks it as a Meridian demo"):
        write_demo(url, Plan(50, 1, dt.date(2026, 1, 1)), replace=True)


def test_incremental_refresh_reads_only_new_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    tiny.write(url)
    root = tmp_path / "snap"
    refresh(read_only_engine(url), root)
    assert not any(refresh(read_only_engine(url), root).values())
    engine = writable_engine(url)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO interactions VALUES (99, 1, 1, 'chat', 'inbound', 'en', "
                                "'2026-03-30 10:00:00')"))
        connection.execute(text("UPDATE customers SET segment = 'Enterprise', updated_at = '2026-06-02 00:00:00' "
                                "WHERE id = 3"))
    read = refresh(read_only_engine(url), root)
    # Customers read again: the changed one and customer 4, the last one read before (one-second overlap).
    assert read["interactions"] == 1 and read["customers"] == 2 and read["orders"] == 0
    src = Snapshot.open(root)
    assert src.scan("interactions").collect().height == 4
    customers = src.scan("customers").collect()
    assert customers.height == 9
    assert customers.filter(pl.col("id") == 3)["segment"][0] == "Enterprise"
    # Facts follow the customer's new segment.
    assert set(src.scan("orders").filter(pl.col("customer_id") == 3).collect()["segment"]) == {"Enterprise"}


def test_code_columns_are_held_encoded_and_read_as_their_values(tiny_sqlite: Snapshot) -> None:
    """In memory, columns of short vocabularies are dictionary-encoded (4 bytes a row, not a 16-byte
    string view); their values, their row order and every other column are those of the files."""
    facts = tiny_sqlite.path / "facts" / "interactions.parquet"
    stored = pl.read_parquet(facts)
    held = tiny_sqlite.scan("interactions").collect()
    assert {c for c, t in held.schema.items() if t == pl.Categorical} == {
        "channel", "direction", "language", "country_iso2", "segment", "office", "customer_office"}
    assert held.cast(stored.schema).equals(stored)
    # Free text stays text.
    assert tiny_sqlite.scan("customers").collect_schema()["name"] == pl.String


def test_a_table_with_no_rows_is_held_with_the_same_types(tmp_path: Path) -> None:
    """A CRM without partners: the empty table's code columns are encoded like a full table's, so it
    joins and compares with the others."""
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    tiny.write(url)
    with writable_engine(url).begin() as connection:
        connection.execute(text("DELETE FROM partners"))
    refresh(read_only_engine(url), tmp_path / "snap")
    partners = Snapshot.open(tmp_path / "snap").scan("partners")
    assert partners.collect().is_empty()
    assert partners.collect_schema()["country_iso2"] == pl.Categorical
    assert partners.collect_schema()["name"] == pl.String


def test_an_id_beyond_32_bits_is_a_row_left_out_not_a_wrong_number(tmp_path: Path) -> None:
    """Ids are SQL INTEGER, 32-bit on PostgreSQL and MariaDB; SQLite stores more, which the snapshot
    cannot hold: the row is left out and said, never wrapped round to another id."""
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    tiny.write(url)
    with writable_engine(url).begin() as connection:
        connection.execute(text("INSERT INTO interactions VALUES (3000000000, 1, 1, 'chat', 'inbound', 'en', "
                                "'2026-03-30 10:00:00')"))
    root = tmp_path / "snap"
    refresh(read_only_engine(url), root)
    src = Snapshot.open(root)
    assert src.scan("interactions").collect_schema()["id"] == pl.Int32
    assert src.scan("interactions").collect().height == 3
    assert src.quarantine().select("table", "key", "column", "problem").rows() == [
        ("interactions", "3000000000", "id", "not a whole number")]


def test_a_refresh_with_nothing_changed_takes_no_checksum_again(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows read again by the one-second overlap are no change: the tables' row counts and checksums in
    the manifest stay as they were, not taken again over whole tables."""
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    tiny.write(url)
    root = tmp_path / "snap"
    refresh(read_only_engine(url), root)
    manifest = Snapshot.open(root).manifest()
    taken: list[str] = []
    original = snapshot.checksum
    monkeypatch.setattr(snapshot, "checksum", lambda frame: taken.append("x") or original(frame))
    assert not any(refresh(read_only_engine(url), root).values())
    assert taken == []
    assert Snapshot.open(root).manifest()["tables"] == manifest["tables"]


def test_failed_refresh_leaves_nothing_to_append_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    from dashboard import snapshot

    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    tiny.write(url)
    root = tmp_path / "snap"
    refresh(read_only_engine(url), root)
    with writable_engine(url).begin() as connection:
        connection.execute(text("INSERT INTO interactions VALUES (99, 1, 1, 'chat', 'inbound', 'en', "
                                "'2026-03-30 10:00:00')"))
    real = snapshot._refresh_table

    def failing(connection, root, name, state):  # type: ignore[no-untyped-def]
        if name == "surveys":  # read after interactions
            raise OperationalError("SELECT", {}, Exception("connection lost"))
        return real(connection, root, name, state)

    monkeypatch.setattr(snapshot, "_refresh_table", failing)
    with pytest.raises(DatabaseError, match="Reading the CRM database failed"):
        refresh(read_only_engine(url), root)
    monkeypatch.setattr(snapshot, "_refresh_table", real)
    assert refresh(read_only_engine(url), root)["interactions"] == 1
    ids = Snapshot.open(root).scan("interactions").collect()["id"]
    assert ids.len() == 4 and ids.n_unique() == 4


def test_every_backend_gives_the_same_snapshot(tmp_path_factory: pytest.TempPathFactory) -> None:
    plan = Plan(customers=2_000, seed=11, as_of=dt.date(2026, 6, 1))
    snapshots = {}
    for backend in BACKENDS:
        folder = tmp_path_factory.mktemp(f"same-{backend}")
        url = backend_url(backend, folder)
        # The servers' shared test database holds other tests' tables, which generate rightly refuses to
        # replace: this test claims it as a demo database (generate then replaces only its own tables).
        engine = writable_engine(url)
        schema.store_metadata.drop_all(engine)
        schema.store_metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(schema.meridian_meta.insert(), [{"key": "created_by", "value": GENERATOR}])
        engine.dispose()
        write_demo(url, plan, replace=True)
        refresh(read_only_engine(url), folder / "snap", full=True)
        snapshots[backend] = Snapshot.open(folder / "snap")
    reference = snapshots["sqlite"]
    for name in schema.TABLE_ORDER:
        expected = reference.scan(name).sort(pl.all()).collect()
        assert expected.height > 0, name
        for backend, src in snapshots.items():
            got = src.scan(name).sort(pl.all()).collect()
            assert got.equals(expected), f"{name} differs on {backend}"
