"""The snapshot between refreshes: files cut short, unreadable values, a CRM that never answers, a
mistyped secrets file, serving without the CRM, scheduled refreshes, and what the pages say about it."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from dashboard import bootstrap, cli, db, scheduler, settings, snapshot
from dashboard.db import DatabaseError, read_only_engine, resolve_url, schema_problems, writable_engine
from dashboard.paths import PROJECT_ROOT
from dashboard.snapshot import Snapshot, SnapshotError, read_health, refresh, snapshot_root
from queries import followup, voice
from tests import tiny
from tests.test_faults import database_state, snapshot_state


@pytest.fixture
def crm(tmp_path: Path) -> tuple[str, Path]:
    """A tiny CRM and a snapshot of it with two versions (the second one current). Versions share the
    files a refresh does not change (hard links): these two differ in customers and orders."""
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    tiny.write(url)
    root = tmp_path / "snap"
    refresh(read_only_engine(url), root)
    with writable_engine(url).begin() as connection:
        connection.execute(text("UPDATE customers SET tier = 'Silver', updated_at = '2026-06-02 00:00:00' "
                                "WHERE id = 1"))
        connection.execute(text("UPDATE orders SET status = 'won', updated_at = '2026-06-02 00:00:00' WHERE id = 3"))
    refresh(read_only_engine(url), root)
    return url, root


def cut_in_half(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.parametrize("victim", ["facts/orders.parquet", "raw/customers/part-00000.parquet", "manifest.json"])
def test_a_damaged_version_is_set_aside_and_the_next_refresh_rebuilds(crm: tuple[str, Path], victim: str) -> None:
    url, root = crm
    current = Snapshot.open(root)
    damaged = current.version
    del current
    cut_in_half(root / "versions" / damaged / victim)
    fallback = Snapshot.open(root)
    assert fallback.version != damaged
    assert snapshot.verify(fallback.path) is None
    assert snapshot.needs_rebuild(root)
    assert [entry["version"] for entry in read_health(root)["set_aside"]] == [damaged]
    del fallback
    refresh(read_only_engine(url), root)
    assert snapshot_state(root) == database_state(url)
    assert not snapshot.needs_rebuild(root)
    assert not (root / "versions" / damaged).exists()


def test_no_good_version_is_a_clear_error_and_a_refresh_rebuilds(crm: tuple[str, Path]) -> None:
    url, root = crm
    # A file both versions share (unchanged by the second refresh): damaged once, damaged in both.
    cut_in_half(Snapshot.open(root).path / "raw" / "regions" / "part-00000.parquet")
    with pytest.raises(SnapshotError, match="run `meridian refresh`"):
        Snapshot.open(root)
    refresh(read_only_engine(url), root)
    assert snapshot_state(root) == database_state(url)


def unreadable(url: str) -> None:
    """One value no backend type fits, in every kind of table: upserted, appended by id, by date, reloaded."""
    with writable_engine(url).begin() as connection:
        connection.execute(text("UPDATE orders SET ordered_at = '2026-13-45 99:00', updated_at = '2026-07-01 00:00:00' "
                                "WHERE id = 1"))
        connection.execute(text("UPDATE orders SET amount = '12,3x', updated_at = '2026-07-01 00:00:00' WHERE id = 2"))
        connection.execute(text("INSERT INTO interactions VALUES (99, 'c1', 1, 'chat', 'inbound', 'en', "
                                "'2026-03-30 10:00:00')"))
        connection.execute(text("INSERT INTO fx_rates VALUES ('someday', 'EUR', 1.3)"))
        connection.execute(text("UPDATE teams SET region_id = 'north' WHERE id = 2"))


def test_unreadable_values_are_left_out_not_fatal(crm: tuple[str, Path], capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    url, root = crm
    unreadable(url)
    assert cli.main(["--url", url, "check"]) == 1
    assert "orders 2: amount = '12,3x' is not a number" in capsys.readouterr().err
    refresh(read_only_engine(url), root)
    src = Snapshot.open(root)
    assert src.quarantined == {"orders": 2, "interactions": 1, "fx_rates": 1, "teams": 1}
    left_out = src.quarantine().sort("table", "key")
    assert left_out.select("table", "key", "column", "problem").rows() == [
        ("fx_rates", "someday/EUR", "date", "not a date"), ("interactions", "99", "customer_id", "not a whole number"),
        ("orders", "1", "ordered_at", "not a timestamp"), ("orders", "2", "amount", "not a number"),
        ("teams", "2", "region_id", "not a whole number")]
    # Pages see the database's readable rows, exactly; the unreadable ones are nowhere else.
    assert snapshot_state(root) == database_state(url)
    assert 1 not in src.scan("orders").collect()["id"]
    # Read again, a row still unreadable stays listed once; fixed, it comes back.
    refresh(read_only_engine(url), root)
    assert Snapshot.open(root).quarantined["orders"] == 2
    with writable_engine(url).begin() as connection:
        connection.execute(text("UPDATE orders SET amount = 500, updated_at = '2026-07-02 00:00:00' WHERE id = 2"))
    refresh(read_only_engine(url), root)
    assert Snapshot.open(root).quarantined["orders"] == 1
    assert snapshot_state(root) == database_state(url)
    monkeypatch.setenv("MERIDIAN_DATA_DIR", str(root.parent / "data"))
    refresh(read_only_engine(url), snapshot_root(url))
    assert cli.main(["--url", url, "status"]) == 0  # the snapshot's rows and those left out make the database's


@pytest.fixture
def hung_server() -> Iterator[int]:
    """A local server that accepts connections and never answers; its port."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


@pytest.fixture
def short_timeouts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "meridian.toml"
    path.write_text("[database]\nconnect_timeout = 1\nstatement_timeout = 2\n")
    monkeypatch.setenv("MERIDIAN_SETTINGS_FILE", str(path))
    settings.load.cache_clear()
    yield
    settings.load.cache_clear()


@pytest.mark.parametrize("scheme", ["postgresql", "mysql"])
def test_a_database_that_never_answers_fails_in_time_without_naming_itself(
        hung_server: int, short_timeouts: None, scheme: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    url = f"{scheme}://dashboard:s3cret@127.0.0.1:{hung_server}/crm"
    started = time.monotonic()
    with pytest.raises(DatabaseError) as info:
        schema_problems(read_only_engine(url))
    assert time.monotonic() - started < 10
    message = str(info.value)
    assert "no answer in time" in message
    for secret in ("s3cret", "dashboard", "127.0.0.1", str(hung_server), "crm "):
        assert secret not in message
    root = tmp_path / "snap"
    with pytest.raises(DatabaseError):
        refresh(read_only_engine(url), root)
    assert read_health(root)["failing_since"]
    started = time.monotonic()
    assert cli.main(["--url", url, "check"]) == 2
    assert time.monotonic() - started < 10
    assert "s3cret" not in capsys.readouterr().err


def test_timeouts_reach_every_driver() -> None:
    assert db.DIALECTS["postgresql"].timeouts(5, 60) == {"connect_timeout": 5, "options": "-c statement_timeout=60000"}
    assert db.DIALECTS["mariadb"].timeouts(5, 60) == {"connect_timeout": 5, "read_timeout": 60, "write_timeout": 60}
    assert db.DIALECTS["sqlite"].timeouts(5, 60) == {"timeout": 5}


@pytest.mark.parametrize("content", ["[connections.crm\nurl = 'x'", "[connection.crm]\nurl = 'sqlite:///x.sqlite'",
                                     "[connections.crm]\nuri = 'sqlite:///x.sqlite'", "\xff\xfe"])
def test_a_mistyped_secrets_file_refuses_instead_of_the_demo(content: str, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secrets.toml"
    path.write_bytes(content.encode("latin-1"))
    monkeypatch.setattr(db, "SECRETS_FILE", path)
    monkeypatch.delenv("CRM_DATABASE_URL", raising=False)
    with pytest.raises(DatabaseError, match=r"secrets\.toml"):
        resolve_url()


def test_secrets_without_a_database_keep_the_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secrets.toml"
    path.write_text("[meridian]\nsecret = 'a long random string, at least 32 characters'\n")
    monkeypatch.setattr(db, "SECRETS_FILE", path)
    monkeypatch.delenv("CRM_DATABASE_URL", raising=False)
    assert resolve_url() == db.default_url()


ServerRun = Callable[[str, bool, list[str], dict], None]


def serve_until_started_up(url: str, folder: Path, monkeypatch: pytest.MonkeyPatch, run: ServerRun) -> int:
    """`meridian --url URL serve` with `run` in place of Streamlit's server, and neither imports nor
    warm-up beside it; returns once the start-up thread beside the server is done."""
    from streamlit.web import bootstrap as streamlit_bootstrap

    monkeypatch.setattr(streamlit_bootstrap, "load_config_options", lambda flag_options: None)
    monkeypatch.setattr(streamlit_bootstrap, "run", run)
    monkeypatch.setattr(cli.bootstrap, "import_modules", lambda: None)
    monkeypatch.setattr(cli.bootstrap, "warm_up", lambda _url: None)
    monkeypatch.chdir(folder)
    code = cli.main(["--url", url, "serve"])
    for thread in threading.enumerate():
        if thread.name == cli.START_UP_THREAD:
            thread.join(timeout=60)
    return code


def test_serve_starts_on_the_last_snapshot_when_the_crm_is_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MERIDIAN_DATA_DIR", str(tmp_path))
    database = tmp_path / "company.sqlite"  # not the embedded demo, which serve would build
    url = f"sqlite:///{database}"
    tiny.write(url)
    refresh(read_only_engine(url), snapshot_root(url))
    database.rename(tmp_path / "away.sqlite")
    started: list[str] = []
    serve_until_started_up(url, tmp_path, monkeypatch, lambda script, _hello, _args, _options: started.append(script))
    assert started and started[0].endswith("app.py")
    assert "Serving the snapshot of" in capsys.readouterr().err


@pytest.mark.parametrize("snapshot_there", [True, False])
def test_serve_answers_at_once_on_a_snapshot_and_builds_a_missing_one_first(
        snapshot_there: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MERIDIAN_DATA_DIR", str(tmp_path))
    url = f"sqlite:///{tmp_path / 'company.sqlite'}"
    tiny.write(url)
    if snapshot_there:
        refresh(read_only_engine(url), snapshot_root(url))
    order: list[str] = []
    serving = threading.Event()
    real_update = bootstrap.update_snapshot

    def update(refreshed: str, **kwargs: object) -> dict[str, int]:
        if refreshed != url:  # a refresh thread left running by an earlier test, on its own database
            return real_update(refreshed, **kwargs)
        serving.wait(timeout=5 if snapshot_there else 0)  # a refresh in the foreground would wait for nothing
        order.append("refresh")
        return real_update(refreshed)

    def run(_script: str, _hello: bool, _args: list[str], _options: dict) -> None:
        order.append("serve")
        serving.set()

    monkeypatch.setattr(cli.bootstrap, "update_snapshot", update)
    assert serve_until_started_up(url, tmp_path, monkeypatch, run) == 0
    assert order == (["serve", "refresh"] if snapshot_there else ["refresh", "serve"])
    assert Snapshot.open(snapshot_root(url)).refreshed_at is not None


def test_scheduled_refreshes_back_off_after_failures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MERIDIAN_DATA_DIR", str(tmp_path))
    url = f"sqlite:///{tmp_path / 'missing.sqlite'}"
    schedule = scheduler.Schedule(url, every=600, retry_after=30)
    assert schedule.wait() == 0  # no snapshot yet
    waits = []
    for _ in range(6):
        assert schedule.run() is None
        waits.append(schedule.wait())
    assert waits == [30, 60, 120, 240, 480, 600]
    tiny.write(url)
    assert schedule.run() is not None
    assert 590 < schedule.wait() <= 600
    monkeypatch.setattr(scheduler, "needs_rebuild", lambda _root: "a file is cut short")
    assert schedule.due_in(dt.datetime.now()) == 0


def test_refresh_every_runs_until_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MERIDIAN_DATA_DIR", str(tmp_path))
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    tiny.write(url)
    runs: list[object] = []

    def stop_after_two(schedule: scheduler.Schedule, stop: threading.Event, on_run, poll: float) -> None:  # type: ignore[no-untyped-def]
        while len(runs) < 2:
            result = schedule.run()
            runs.append(result)
            on_run(result)

    monkeypatch.setattr(scheduler, "loop", stop_after_two)
    assert cli.main(["--url", url, "refresh", "--every", "15m"]) == 0
    assert capsys.readouterr().out.count("snapshot up to date") == 2
    with pytest.raises(SystemExit):
        cli.main(["refresh", "--every", "soon"])


@pytest.fixture
def app(crm: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    url, _ = crm
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    monkeypatch.setenv("MERIDIAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MERIDIAN_DEMO", "1")
    refresh(read_only_engine(url), snapshot_root(url))
    return AppTest.from_file(str(PROJECT_ROOT / "dashboard" / "app.py"), default_timeout=60)


def test_refresh_button_only_for_roles_that_may_and_failure_is_visible(app: AppTest, crm: tuple[str, Path],
                                                                       tmp_path: Path) -> None:
    app.run()
    app.selectbox(key="role").set_value("executive").run()
    assert not [b for b in app.button if b.key == "refresh_button"]
    app.selectbox(key="role").set_value("admin").run()
    database = Path(crm[0].removeprefix("sqlite:///"))
    database.rename(tmp_path / "away.sqlite")
    app.button(key="refresh_button").click().run()
    assert not app.exception
    errors = [e.value for e in app.error]
    assert any("Refreshing failed" in e for e in errors), errors
    assert not any(str(database.parent) in e for e in errors)
    warnings = [w.value for w in app.warning]
    assert any("the CRM could not be reached since" in w for w in warnings), warnings


def test_pages_render_on_the_last_good_version(app: AppTest, crm: tuple[str, Path],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard import nav

    url, _ = crm
    root = snapshot_root(url)
    with writable_engine(url).begin() as connection:
        connection.execute(text("UPDATE orders SET amount = 7, updated_at = '2026-06-03 00:00:00' WHERE id = 4"))
    refresh(read_only_engine(url), root)
    # The rebuild the server would start at once (scheduler.Schedule.due_in) would hide the notice.
    monkeypatch.setattr(scheduler, "start_in_background", lambda *_: None)
    cut_in_half(Snapshot.open(root).path / "facts" / "orders.parquet")
    snapshot._footers_ok.clear()
    app.run()
    app.selectbox(key="role").set_value("admin").run()
    assert any("was set aside" in e.value for e in app.error)
    for spec in nav.PAGES:
        app.switch_page(spec.path).run()
        assert not app.exception, (spec.key, app.exception)
    assert pl.read_parquet(Snapshot.open(root).path / "facts" / "orders.parquet").height


def test_status_names_what_differs(crm: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    url, _ = crm
    monkeypatch.setenv("MERIDIAN_DATA_DIR", str(tmp_path / "data"))
    refresh(read_only_engine(url), snapshot_root(url))
    assert cli.main(["--url", url, "status"]) == 0
    assert "orders" in capsys.readouterr().out
    with writable_engine(url).begin() as connection:
        connection.execute(text("INSERT INTO interactions VALUES (99, 1, 1, 'chat', 'inbound', 'en', "
                                "'2026-03-30 10:00:00')"))
    assert cli.main(["--url", url, "status"]) == 1
    assert "differ in interactions" in capsys.readouterr().err


def test_pages_render_while_refreshes_run(app: AppTest, crm: tuple[str, Path]) -> None:
    from dashboard import nav

    url, _ = crm
    errors: list[BaseException] = []
    done = threading.Event()

    def refreshing() -> None:
        try:
            for i in range(8):
                with writable_engine(url).begin() as connection:
                    connection.execute(text(f"INSERT INTO interactions VALUES ({500 + i}, 1, 1, 'chat', 'inbound', "
                                            f"'en', '2026-03-30 10:00:00')"))
                refresh(read_only_engine(url), snapshot_root(url), full=i % 2 == 0)
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    app.run()
    app.selectbox(key="role").set_value("admin").run()
    worker = threading.Thread(target=refreshing)
    worker.start()
    loads = 0
    while not done.is_set() or loads < len(nav.PAGES):
        app.switch_page(nav.PAGES[loads % len(nav.PAGES)].path).run()
        assert not app.exception, app.exception
        assert not [e.value for e in app.error]
        loads += 1
    worker.join()
    assert not errors


def test_the_warm_up_finds_what_queries_keep_per_snapshot_and_survives_a_failure(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("MERIDIAN_DATA_DIR", str(tmp_path))
    url = f"sqlite:///{tmp_path / 'company.sqlite'}"
    tiny.write(url)
    refresh(read_only_engine(url), snapshot_root(url))
    src = Snapshot.open(snapshot_root(url))
    for kept in (followup._heard_from_after, followup._money_around, voice._themes_of_texts):
        kept.cache_clear()
    bootstrap.warm_up(url)
    # A view's call is answered from what the warm-up kept (hits, no new entry).
    followup._heard_from_after(src)
    followup._money_around(src, "USD")
    voice._themes_of_texts(src)
    for kept in (followup._heard_from_after, followup._money_around, voice._themes_of_texts):
        assert (kept.cache_info().currsize, kept.cache_info().hits) == (1, 1), kept

    def broken(_src: Snapshot) -> None:
        raise ValueError("no surveys")

    monkeypatch.setattr(voice, "prepare", broken)
    bootstrap.warm_up(url)  # does not raise: the page that needs it computes it again
    assert [r.getMessage() for r in caplog.records if r.name == "dashboard.bootstrap"] == [
        "warm-up: test_the_warm_up_finds_what_queries_keep_per_snapshot_and_survives_a_failure.<locals>.broken "
        "failed"]


def test_a_snapshot_released_while_its_lock_is_held_on_the_same_thread_does_not_wait_forever(
        tiny_src_writable: tuple[str, Snapshot]) -> None:
    """The collector may run a Snapshot's finalizer inside `_hold`, on the thread holding the lock."""
    _, src = tiny_src_writable
    snapshot._hold(src.path)  # a reader of our own, released below as a finalizer would be
    held = snapshot._held[src.path][1]
    returned = threading.Event()

    def release_inside_the_lock() -> None:
        with snapshot._holding:
            snapshot._release(src.path)
        returned.set()

    threading.Thread(target=release_inside_the_lock, daemon=True).start()
    assert returned.wait(5), "the release waited for the lock its own thread holds"
    snapshot._hold(src.path)  # the next holder applies the queued release
    snapshot._release(src.path)
    assert snapshot._held[src.path][1] == held - 1
    assert not snapshot._released
