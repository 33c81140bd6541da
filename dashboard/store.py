"""The dashboard's own state: a small SQLite database beside the snapshots (`<data dir>/meridian.sqlite`),
never the CRM. It holds what Meridian itself records — presentation links, the audit trail, sign-in
throttling — each feature declaring its tables on `state_metadata`.

Writes are short transactions; SQLite's WAL mode lets the server's threads read while one writes.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Engine, MetaData, create_engine, event

from dashboard.paths import data_dir

state_metadata = MetaData()


def state_url() -> str:
    return f"sqlite:///{data_dir() / 'meridian.sqlite'}"


@cache
def _engine(url: str, tables: tuple[str, ...]) -> Engine:
    data_dir().mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 10})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    state_metadata.create_all(engine)
    return engine


def engine() -> Engine:
    """The state database of the current data folder, with every table declared so far created."""
    return _engine(state_url(), tuple(sorted(state_metadata.tables)))
