"""Faults during and between refreshes: after each, the next refresh equals the database exactly.

A refresh is stopped at every step it names to `snapshot.step_hook` — killed (SIGKILL), terminated
(SIGTERM) or failing with a full disk — while reading new rows in batches, rebuilding facts, replacing a
table's parts and switching versions. Snapshot files are cut short, values made unreadable, and pages
read while refreshes run. Equal means: every table has the database's row count and checksum.
"""

from __future__ import annotations

import gc
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import column as sql_column
from sqlalchemy import select, table, text

from dashboard import schema, snapshot
from dashboard.db import read_only_engine, writable_engine
from dashboard.paths import PROJECT_ROOT
from dashboard.snapshot import Snapshot, checksum, normalise, refresh
from tests import tiny
from tests.fault_runner import SMALL_BATCHES


def database_state(url: str) -> dict[str, tuple[int, str]]:
    """Row count and checksum of every table as the CRM holds it (rows that cannot be read left out)."""
    engine = read_only_engine(url)
    state = {}
    with engine.connect() as connection:
        for name in schema.TABLE_ORDER:
            target = schema.polars_schema(name)
            query = select(*[sql_column(c) for c in target.names()]).select_from(table(name))
            frame = pl.read_database(query, connection, infer_schema_length=None)
            rows = normalise(frame, target, name)[0] if frame.height else pl.DataFrame(schema=target)
            state[name] = (rows.height, checksum(rows.lazy()))
    engine.dispose()
    return state


def snapshot_state(root: Path) -> dict[str, tuple[int, str]]:
    """The same, as pages see it (facts for event tables, in their own columns)."""
    src = Snapshot.open(root)
    state = {}
    for name in schema.TABLE_ORDER:
        target = schema.polars_schema(name)
        rows = src.scan(name).select(target.names()).cast(target)  # code columns are held encoded
        state[name] = (rows.select(pl.len()).collect().item(), checksum(rows))
    return state


def change_database(url: str) -> None:
    """New rows for every kind of table: appended (several batches), upserted, by date and reloaded."""
    with writable_engine(url).begin() as connection:
        for i in range(5):
            connection.execute(text(f"INSERT INTO interactions VALUES ({100 + i}, 1, 1, 'chat', 'inbound', 'en', "
                                    f"'2026-03-30 1{i}:00:00')"))
        for i in range(3):
            connection.execute(text(f"INSERT INTO surveys VALUES ({100 + i}, 1, 'NPS', 9, 'ok', 'en', 'email', "
                                    f"'2026-03-30 1{i}:00:00', NULL, NULL)"))
        connection.execute(text("UPDATE customers SET segment = 'Enterprise', updated_at = '2026-06-02 00:00:00' "
                                "WHERE id = 3"))
        connection.execute(text("INSERT INTO orders VALUES (99, 2, 1, NULL, 42.5, 'USD', '2026-03-30 10:00:00', "
                                "'Platform', 'won', '2026-06-02 00:00:00')"))
        connection.execute(text("INSERT INTO fx_rates VALUES ('2026-03-01', 'EUR', 1.3)"))
        connection.execute(text("UPDATE teams SET office = 'Boston' WHERE id = 1"))


@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, dict[str, tuple[int, str]]]:
    """A tiny CRM, a snapshot of it, then changes in the CRM that the snapshot has not read yet."""
    folder = tmp_path_factory.mktemp("faults")
    url = f"sqlite:///{folder / 'crm.sqlite'}"
    tiny.write(url)
    base = folder / "base"
    refresh(read_only_engine(url), base)
    change_database(url)
    return url, base, database_state(url)


def steps(url: str, base: Path, tmp_path: Path, full: bool, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every step a refresh of a copy of `base` goes through."""
    seen: list[str] = []
    root = tmp_path / ("steps-full" if full else "steps")
    shutil.copytree(base, root)
    monkeypatch.setattr(snapshot, "BATCH_ROWS", SMALL_BATCHES)
    monkeypatch.setattr(snapshot, "step_hook", seen.append)
    refresh(read_only_engine(url), root, full=full)
    monkeypatch.setattr(snapshot, "step_hook", None)
    monkeypatch.undo()
    return seen


def test_a_refresh_names_its_steps(crm: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url, base, _ = crm
    seen = steps(url, base, tmp_path, False, monkeypatch)
    assert {"batch:interactions:0", "batch:interactions:1", "batch:interactions:2", "facts:surveys",
            "replace:customers", "replaced:customers", "manifest", "switched"} <= set(seen)


def fault_cases(url: str, base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """SIGKILL and SIGTERM at every step of an incremental refresh, a full disk at every write; SIGKILL at
    every step of a full refresh but the second and later batches of a table (the same step again)."""
    cases = []
    for full in (False, True):
        for step in steps(url, base, tmp_path, full, monkeypatch):
            if full and re.fullmatch(r"batch:\w+:([1-9]\d*)|write:\w+/part-\d*[1-9]\d*\.parquet", step) \
                    and not step.startswith("write:facts"):
                continue
            hows = ["kill"] if full else ["kill", "term"] + (["disk"] if step.startswith("write:") else [])
            cases += [{"root": str(tmp_path / f"case-{len(cases)}-{how}"), "step": step, "how": how, "full": full}
                      for how in hows]
    return cases


def test_every_interrupted_refresh_is_repaired_by_the_next(crm: tuple, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    url, base, expected = crm
    cases = fault_cases(url, base, tmp_path, monkeypatch)
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    done = subprocess.run([sys.executable, "-m", "tests.fault_runner", url, str(base), str(tmp_path / "cases.json")],
                          capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=600, check=True)
    statuses = json.loads(done.stdout)
    for case in cases:
        root, (status, repaired) = Path(case["root"]), statuses[case["root"]]
        where = f"{case['how']} at {case['step']} ({'full' if case['full'] else 'incremental'})"
        stopped = {"kill": os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL,
                   "term": os.WIFEXITED(status) and os.WEXITSTATUS(status) == 128 + signal.SIGTERM,
                   "disk": os.WIFEXITED(status) and os.WEXITSTATUS(status) == 3}[case["how"]]
        assert stopped, f"{where}: the refresh was not stopped (status {status})"
        # Zero: a page could open the snapshot after the fault, and the next refresh succeeded.
        assert repaired == 0, f"{where}: status {repaired} after the fault"
        assert snapshot_state(root) == expected, where
        assert len(list((root / "versions").iterdir())) <= 2, where
        shutil.rmtree(root)
    assert len(cases) > 150


def test_full_refresh_keeps_what_readers_hold(crm: tuple, tmp_path: Path) -> None:
    url, base, expected = crm
    root = tmp_path / "snap"
    shutil.copytree(base, root)
    reader = Snapshot.open(root)
    held = reader.path
    for _ in range(3):
        refresh(read_only_engine(url), root, full=True)
    assert snapshot.verify(held) is None
    assert reader.scan("orders").collect().height == expected["orders"][0] - 1  # order 99 came later
    del reader
    gc.collect()
    refresh(read_only_engine(url), root, full=True)
    assert not held.exists()
    assert len(list((root / "versions").iterdir())) == 2  # the current one and one to fall back on


def test_pages_read_while_refreshes_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    tiny.write(url)
    root = tmp_path / "snap"
    refresh(read_only_engine(url), root)
    errors: list[BaseException] = []
    stop = threading.Event()

    def refreshing() -> None:
        try:
            for i in range(12):
                with writable_engine(url).begin() as connection:
                    connection.execute(text(f"INSERT INTO interactions VALUES ({1000 + i}, 1, 1, 'chat', "
                                            f"'inbound', 'en', '2026-03-30 10:00:00')"))
                refresh(read_only_engine(url), root, full=i % 3 == 0)
        except BaseException as exc:
            errors.append(exc)
        finally:
            stop.set()

    worker = threading.Thread(target=refreshing)
    worker.start()
    reads = 0
    while not stop.is_set():
        try:
            src = Snapshot.open(root)
            for name in schema.TABLE_ORDER:
                src.scan(name).select(pl.len()).collect()
            src.scan("activity").collect()
            reads += 1
        except BaseException as exc:
            errors.append(exc)
    worker.join()
    assert not errors
    assert reads >= 3
    assert snapshot_state(root) == database_state(url)
