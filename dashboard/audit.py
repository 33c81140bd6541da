"""The audit trail: who signed in (or failed to), which pages and filters they viewed, which customers
they looked up, what they exported, which presentation links were created or revoked.

Entries are appended to the dashboard's own state database (never the CRM) and chained: each stores
the SHA-256 of its predecessor's hash and its own content, so a changed, removed or inserted entry
breaks the chain from there on (`verify`). `meridian audit` exports it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Iterator

import polars as pl
from sqlalchemy import Column, DateTime, Integer, String, Table, Text, insert, select

from dashboard import store

audit_log = Table(
    "audit_log", store.state_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("user", String(200), nullable=False),
    Column("action", String(40), nullable=False),
    Column("detail", Text, nullable=False),
    Column("previous", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
GENESIS = "0" * 64
ACTIONS = ("sign_in", "sign_in_failed", "sign_out", "view", "customer_lookup", "export", "link_created",
           "link_revoked", "import")
_appending = threading.Lock()


def _digest(previous: str, at: dt.datetime, user: str, action: str, detail: str) -> str:
    content = json.dumps([previous, at.isoformat(), user, action, detail], ensure_ascii=False)
    return hashlib.sha256(content.encode()).hexdigest()


def record(user: str, action: str, **detail: object) -> None:
    """Appends one entry, chained to the last."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    text = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
    at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with _appending, store.engine().begin() as connection:
        last = connection.execute(select(audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)).scalar()
        previous = last or GENESIS
        connection.execute(insert(audit_log).values(at=at, user=user, action=action, detail=text, previous=previous,
                                                    hash=_digest(previous, at, user, action, text)))


def entries(limit: int | None = None) -> pl.DataFrame:
    """id, at, user, action, detail, previous, hash — newest first."""
    query = select(audit_log).order_by(audit_log.c.id.desc())
    if limit:
        query = query.limit(limit)
    with store.engine().connect() as connection:
        rows = connection.execute(query).mappings().all()
    schema = {"id": pl.Int64, "at": pl.Datetime("us"), "user": pl.String, "action": pl.String, "detail": pl.String,
              "previous": pl.String, "hash": pl.String}
    return pl.DataFrame([dict(r) for r in rows], schema=schema)


def _chain() -> Iterator[tuple[int, bool]]:
    previous = GENESIS
    with store.engine().connect() as connection:
        for row in connection.execute(select(audit_log).order_by(audit_log.c.id)).mappings():
            ok = row["previous"] == previous and row["hash"] == _digest(
                previous, row["at"], row["user"], row["action"], row["detail"])
            yield row["id"], ok
            previous = row["hash"]


def verify() -> int | None:
    """The id of the first entry that breaks the chain, or None when the whole trail is intact."""
    return next((entry for entry, ok in _chain() if not ok), None)
