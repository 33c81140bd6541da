"""Shared fixtures: the three backends, the tiny hand-checked CRM and a small demo CRM on each, a
network guard, and clean Streamlit caches between tests."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from dashboard.db import read_only_engine
from dashboard.snapshot import Snapshot, refresh
from tests import tiny

SERVER_URLS = {
    "postgresql": os.environ.get("MERIDIAN_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    "mariadb": os.environ.get("MERIDIAN_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306/test"),
}
BACKENDS = ("sqlite", "postgresql", "mariadb")
# Snapshot time used by tests, so "overdue" and "stale" do not depend on today's date.
TEST_NOW = dt.datetime(2026, 6, 1)


def _reachable(url: str) -> str | None:
    try:
        engine = create_engine(url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure means the server is not usable
        return str(exc).splitlines()[0]


def backend_url(backend: str, tmp_path: Path) -> str:
    """A URL for the backend; servers must be up when MERIDIAN_REQUIRE_SERVERS is set (CI)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'crm.sqlite'}"
    url = SERVER_URLS[backend]
    problem = _reachable(url)
    if problem:
        if os.environ.get("MERIDIAN_REQUIRE_SERVERS"):
            pytest.fail(f"{backend} server is required but unreachable: {problem}")
        pytest.skip(f"{backend} server unreachable: {problem}")
    return url


def snapshot_of(url: str, root: Path) -> Snapshot:
    engine = read_only_engine(url)
    refresh(engine, root, full=True)
    engine.dispose()
    return replace(Snapshot.open(root), refreshed_at=TEST_NOW)


@pytest.fixture(scope="session", params=BACKENDS)
def tiny_src(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """The tiny CRM written to one backend and read back through the snapshot."""
    folder = tmp_path_factory.mktemp(f"tiny-{request.param}")
    url = backend_url(request.param, folder)
    tiny.write(url)
    return snapshot_of(url, folder / "snapshot")


@pytest.fixture(scope="session")
def tiny_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    folder = tmp_path_factory.mktemp("tiny-sqlite-only")
    url = f"sqlite:///{folder / 'crm.sqlite'}"
    tiny.write(url)
    return snapshot_of(url, folder / "snapshot")


@pytest.fixture
def tiny_src_writable(tmp_path: Path) -> tuple[str, Snapshot]:
    """A tiny CRM of this test's own in SQLite (the test may change it) and its snapshot."""
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    tiny.write(url)
    return url, snapshot_of(url, tmp_path / "snapshot")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests may talk to this machine only."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        if isinstance(address, tuple):
            host = str(address[0])
            try:
                local = ipaddress.ip_address(host).is_loopback
            except ValueError:
                local = host == "localhost"
            if not local:
                raise OSError(f"network access to {host} is blocked in tests")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True)
def clear_streamlit_caches() -> None:
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
