"""The local columnar snapshot every page query reads.

The CRM database is an OLTP system: analytic scans must not load it. The snapshot copies the tables
into Parquet files once, then refreshes incrementally: each table is read with only its own columns
(projection) and only the rows past its watermark (`updated_at`, an append-only id, or a date).
Reading goes through the dashboard's read-only SQLAlchemy session (see docs/performance.md for the
readers compared). After a refresh, the event tables are joined once with what every query filters
on (region, country, segment) and converted to USD at the rate of their date, so page queries are
plain scans.

Layout: <root>/raw/<table>/part-*.parquet, <root>/facts/<table>.parquet, <root>/manifest.json.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import logging
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, column, select, table
from sqlalchemy.exc import SQLAlchemyError

from dashboard import schema
from dashboard.db import DatabaseError, redact, schema_problems
from dashboard.paths import data_dir

log = logging.getLogger(__name__)

SNAPSHOT_FORMAT = 4
BATCH_ROWS = 200_000
MAX_PARTS = 16

# How each table is refreshed: by `updated_at` (rows change), by id (rows are only ever added),
# by date, or in full (small dimension tables).
UPSERT_BY_UPDATED_AT = ("customers", "contacts", "orders", "opportunities", "tickets", "data_requests")
APPEND_BY_ID = ("interactions", "surveys", "consents")
APPEND_BY_DATE = {"fx_rates": "date"}
RELOAD = ("regions", "countries", "teams", "reps", "partners", "targets")

# A customer's master record: the lowest id with the same name and e-mail (a likely duplicate points to
# it, and counts once, with it). Hashing every name is the slowest part of the data-quality page at a
# million customers, so it is done once, here.
MASTER_ID = (pl.when(pl.col("email").is_not_null()).then(pl.col("id").min().over("name", "email"))
             .otherwise(pl.col("id")))

# Facts: event tables with the customer's region, country and segment attached.
FACT_TABLES = ("orders", "opportunities", "interactions", "tickets", "surveys", "consents",
               "data_requests", "contacts")
# Customer columns attached to every fact row, under these names.
CUSTOMER_DIMENSIONS = {"country_iso2": "country_iso2", "segment": "segment", "kind": "customer_kind",
                       "partner_id": "customer_partner_id", "region_id": "region_id", "master_id": "master_id",
                       "team_id": "customer_team_id", "office": "customer_office"}
MONEY_TABLES = {"orders": "ordered_at", "opportunities": "opened_at"}
# The timestamps that say when the CRM's data begins and ends (its own calendar, not the wall clock).
EVENT_TIMES = {"orders": "ordered_at", "opportunities": "opened_at", "interactions": "occurred_at",
               "tickets": "opened_at", "surveys": "answered_at"}


class SnapshotError(Exception):
    """The snapshot could not be built or read; the message says why and what to do."""


@dataclass(frozen=True)
class Snapshot:
    """A read-only view of one refresh of the snapshot.

    `data_first` and `data_last` are the earliest and latest event in the CRM (orders, opportunities,
    interactions, tickets, surveys); None when it holds no events."""

    root: Path
    refreshed_at: dt.datetime
    source: str
    data_first: dt.datetime | None = None
    data_last: dt.datetime | None = None
    # What the CRM lacks: optional tables it does not have, and optional columns absent per table.
    absent_tables: frozenset[str] = frozenset()
    absent_columns: dict[str, frozenset[str]] = field(default_factory=dict, hash=False)

    @classmethod
    def open(cls, root: Path) -> Snapshot:
        manifest = _read_manifest(root)
        if manifest is None:
            raise SnapshotError(f"No snapshot in {root}: run `meridian refresh`.")
        bounds = {k: dt.datetime.fromisoformat(v) if v else None
                  for k, v in (manifest.get("data_range") or {}).items()}
        return cls(root, dt.datetime.fromisoformat(manifest["refreshed_at"]), manifest["source"],
                   bounds.get("first"), bounds.get("last"))

    @property
    def last_day(self) -> dt.date:
        """The data's last complete day: the day of its newest event, unless that is the day of the
        refresh itself (the CRM is still writing it), then the day before. Periods end here."""
        day_before_refresh = self.refreshed_at.date() - dt.timedelta(days=1)
        return day_before_refresh if self.data_last is None else min(self.data_last.date(), day_before_refresh)

    @property
    def as_of(self) -> dt.datetime:
        """Midnight after the last complete day: the moment "due", "overdue" and "stale" are judged at,
        so they do not drift while the data stands still."""
        return dt.datetime.combine(self.last_day + dt.timedelta(days=1), dt.time())

    def scan(self, name: str) -> pl.LazyFrame:
        """The table as a lazy frame: facts (enriched) for event tables, raw rows otherwise.

        Tables are held in memory once per process and file version: every page query is then a scan
        of columns already in memory rather than a Parquet decode."""
        fact = self.root / "facts" / f"{name}.parquet"
        if fact.exists():
            return _in_memory([fact]).lazy()
        parts = self.root / "raw" / name
        if not parts.exists():
            raise SnapshotError(f"The snapshot has no table '{name}'.")
        files = sorted(parts.glob("part-*.parquet"))
        if not files:
            return pl.LazyFrame(schema=schema.polars_schema(name))
        return _in_memory(files).lazy()

    def manifest(self) -> dict:
        return _read_manifest(self.root) or {}


_loaded: dict[tuple[str, ...], tuple[tuple[int, ...], pl.DataFrame]] = {}
_loading = threading.Lock()


def _in_memory(files: list[Path]) -> pl.DataFrame:
    """The files' rows, read once and kept until a refresh replaces the files."""
    key = tuple(str(f) for f in files)
    version = tuple(f.stat().st_mtime_ns for f in files)
    with _loading:
        cached = _loaded.get(key)
        if cached is None or cached[0] != version:
            # Forget tables whose files a refresh has replaced, so old versions do not pile up.
            for stale in [k for k in _loaded if not all(Path(f).exists() for f in k)]:
                del _loaded[stale]
            _loaded[key] = (version, pl.read_parquet(files))
        return _loaded[key][1]


def snapshot_root(url: str) -> Path:
    """One folder per source database; the key hides the URL (it may hold a password)."""
    key = hashlib.sha256(url.encode()).hexdigest()[:16]
    return data_dir() / "snapshots" / key


def _read_manifest(root: Path) -> dict | None:
    path = root / "manifest.json"
    if not path.exists():
        return None
    manifest = json.loads(path.read_text())
    return manifest if manifest.get("format") == SNAPSHOT_FORMAT else None


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def refresh(engine: Engine, root: Path, full: bool = False,
            progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Brings the snapshot up to date with the database. Returns rows read per table.

    Checks the schema first, so a database that is not a CRM fails with one message naming every
    missing table and column, before anything is written. `full` drops the snapshot and reads all
    (also the way to pick up rows deleted in the CRM, which watermarks cannot see).
    """
    problems = schema_problems(engine)
    if problems:
        raise DatabaseError("The database does not match the CRM schema: " + "; ".join(problems) + ".")
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with _locked(root):
        manifest = None if full else _read_manifest(root)
        if manifest is None:
            shutil.rmtree(root / "raw", ignore_errors=True)
            shutil.rmtree(root / "facts", ignore_errors=True)
            manifest = {"format": SNAPSHOT_FORMAT, "tables": {}}
        read: dict[str, int] = {}
        appended: list[Path] = []
        try:
            with engine.connect() as connection:
                for name in schema.TABLE_ORDER:
                    state = manifest["tables"].get(name, {})
                    read[name], manifest["tables"][name] = _refresh_table(connection, root, name, state, appended)
                    if progress:
                        progress(name, read[name])
        except BaseException as exc:
            # The watermarks are saved only when every table is read: rows appended before a failure
            # would be appended again by the next refresh, so they go. (Upserts and reloads replace
            # rows by id and are safe to repeat.)
            for path in appended:
                path.unlink(missing_ok=True)
            if isinstance(exc, SQLAlchemyError):
                log.exception("snapshot refresh failed")
                raise DatabaseError(f"Reading the CRM database failed: {str(exc).splitlines()[0]}") from exc
            raise
        for name in {path.parent.name for path in appended}:
            parts = sorted((root / "raw" / name).glob("part-*.parquet"))
            if len(parts) > MAX_PARTS:
                _replace_parts(root / "raw" / name, pl.scan_parquet(parts))
        changed = {name for name, rows in read.items() if rows}
        if changed or not (root / "facts").exists():
            _build_facts(root, changed if (root / "facts").exists() else set(schema.TABLE_ORDER))
        manifest.update(refreshed_at=started.isoformat(), source=redact(str(engine.url)),
                        data_range=_data_range(root))
        _write_atomic(root / "manifest.json", json.dumps(manifest, indent=1).encode())
    return read


def _refresh_table(connection, root: Path, name: str, state: dict,  # type: ignore[no-untyped-def]
                   appended: list[Path]) -> tuple[int, dict]:
    """Reads the table's new rows into its part files; part files it adds are listed in `appended`."""
    target = schema.polars_schema(name)
    parts = root / "raw" / name
    parts.mkdir(parents=True, exist_ok=True)
    watermark_column = ("updated_at" if name in UPSERT_BY_UPDATED_AT else "id" if name in APPEND_BY_ID
                        else APPEND_BY_DATE.get(name))
    query = select(*[column(c) for c in target.names()]).select_from(table(name))
    watermark = state.get("watermark")
    if watermark_column and watermark is not None:
        bound = _parse_watermark(target[watermark_column], watermark)
        if name in UPSERT_BY_UPDATED_AT:
            # Rows written in the last second before the previous read are read again and
            # de-duplicated, never missed (also where SQLite compares timestamps as text).
            query = query.where(column(watermark_column) >= bound - dt.timedelta(seconds=1))
        else:
            query = query.where(column(watermark_column) > bound)
    batches = (normalise(batch, target) for batch in pl.read_database(
        query, connection, iter_batches=True, batch_size=BATCH_ROWS, infer_schema_length=None))
    existing = sorted(parts.glob("part-*.parquet"))
    if watermark_column and (not existing or name not in UPSERT_BY_UPDATED_AT):
        return _append_batches(parts, len(existing), batches, watermark_column, state, appended)
    batch_list = list(batches)
    new = pl.concat(batch_list) if batch_list else pl.DataFrame(schema=target)
    current = pl.scan_parquet(existing) if existing else pl.LazyFrame(schema=target)
    changed = not new.is_empty()
    if name in RELOAD or not watermark_column:
        changed = not new.equals(current.collect())
        if changed:
            _replace_parts(parts, pl.LazyFrame(new))
    elif changed:
        # Rows read again unchanged (the one-second overlap) are no change.
        changed = not new.join(current.collect(), on=target.names(), how="anti", nulls_equal=True).is_empty()
        if changed:
            kept = current.filter(~pl.col("id").is_in(new["id"].implode()))
            _replace_parts(parts, pl.concat([kept, new.lazy()]))
    if watermark_column and not new.is_empty():
        state = {"watermark": _format_watermark(new[watermark_column].max())}
    return (new.height if changed else 0), state


def _append_batches(parts: Path, index: int, batches: Iterator[pl.DataFrame], watermark_column: str,
                    state: dict, appended: list[Path]) -> tuple[int, dict]:
    """Writes every batch as a part file as it arrives, so a first read of millions of rows, or the
    new rows of an append-only table, never sit in memory all at once."""
    rows, top = 0, None
    for batch in batches:
        if batch.is_empty():
            continue
        path = parts / f"part-{index:05d}.parquet"
        _write_atomic_frame(path, batch)
        appended.append(path)
        index += 1
        rows += batch.height
        batch_top = batch[watermark_column].max()
        top = batch_top if top is None or batch_top > top else top
    if top is not None:
        state = {"watermark": _format_watermark(top)}
    return rows, state


def normalise(frame: pl.DataFrame, target: pl.Schema) -> pl.DataFrame:
    """Gives a batch read from any backend the snapshot's column types.

    SQLite hands timestamps over as text and booleans as integers, MySQL booleans as integers,
    PostgreSQL and MySQL money as Decimal: all end up as the types `schema.polars_type` names.
    """
    columns = []
    for name, dtype in target.items():
        col = pl.col(name)
        source = frame.schema[name]
        if source == pl.String() and dtype == pl.Datetime("us"):
            col = col.str.to_datetime(time_unit="us", strict=True)
        elif source == pl.String() and dtype == pl.Date():
            col = col.str.slice(0, 10).str.to_date(strict=True)
        elif source == pl.Datetime and dtype == pl.Date():
            col = col.dt.date()
        elif dtype == pl.Boolean() and source != pl.Boolean():
            col = col.cast(pl.Int64) != 0
        columns.append(col.cast(dtype).alias(name))
    return frame.select(columns)


def _parse_watermark(dtype: pl.DataType, value: str | int) -> object:
    if dtype == pl.Datetime("us"):
        return dt.datetime.fromisoformat(str(value))
    if dtype == pl.Date():
        return dt.date.fromisoformat(str(value))
    return int(value)


def _format_watermark(value: object) -> str | int:
    return value.isoformat() if isinstance(value, dt.date) else int(value)  # type: ignore[arg-type]


def _replace_parts(parts: Path, rows: pl.LazyFrame) -> None:
    """Replaces a table's part files by one file of `rows`, streamed, then swapped in by renames."""
    staging = parts.with_name(parts.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    rows.sink_parquet(staging / "part-00000.parquet")
    old = parts.with_name(parts.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    parts.rename(old)
    staging.rename(parts)
    shutil.rmtree(old, ignore_errors=True)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _write_atomic_frame(path: Path, frame: pl.DataFrame | pl.LazyFrame) -> None:
    tmp = path.with_suffix(".tmp")
    if isinstance(frame, pl.LazyFrame):
        frame.sink_parquet(tmp)
    else:
        frame.write_parquet(tmp)
    tmp.replace(path)


def _raw(root: Path, name: str) -> pl.LazyFrame:
    files = sorted((root / "raw" / name).glob("part-*.parquet"))
    return pl.scan_parquet(files) if files else pl.LazyFrame(schema=schema.polars_schema(name))


def _build_facts(root: Path, changed: set[str]) -> None:
    """Writes the enriched tables that page queries scan, those whose inputs `changed`."""
    facts = root / "facts"
    facts.mkdir(exist_ok=True)
    dimensions = bool(changed & {"customers", "countries"})
    organisation = bool(changed & {"reps", "teams"})
    countries = _raw(root, "countries").select(pl.col("iso2").alias("country_iso2"), "region_id")
    # The organisation a row belongs to: the team and office of its rep (of its owner, for customers).
    teams = (_raw(root, "reps").select(pl.col("id").alias("rep_id"), "team_id")
             .join(_raw(root, "teams").select(pl.col("id").alias("team_id"), "office"), on="team_id", how="left"))
    customers = (_raw(root, "customers").join(countries, on="country_iso2", how="left")
                 .join(teams.rename({"rep_id": "owner_rep_id"}), on="owner_rep_id", how="left")
                 .with_columns(master_id=MASTER_ID)
                 .select(pl.col("id").alias("customer_id"),
                         *[pl.col(c).alias(alias) for c, alias in CUSTOMER_DIMENSIONS.items()]))
    fx = _raw(root, "fx_rates").sort("date")
    for name in FACT_TABLES:
        if not (dimensions or organisation or name in changed or (name in MONEY_TABLES and "fx_rates" in changed)):
            continue
        frame = _raw(root, name).join(customers, on="customer_id", how="left")
        if "rep_id" in schema.polars_schema(name):
            frame = frame.join(teams, on="rep_id", how="left")
        if name in MONEY_TABLES:
            frame = with_usd(frame, fx, MONEY_TABLES[name])
        # In id order: joins do not keep row order, and every reader must see the same rows the same way.
        _write_atomic_frame(facts / f"{name}.parquet", frame.sort("id"))
    if dimensions or organisation:
        customers_fact = (_raw(root, "customers").join(countries, on="country_iso2", how="left")
                          .join(teams.rename({"rep_id": "owner_rep_id"}), on="owner_rep_id", how="left")
                          .with_columns(master_id=MASTER_ID)
                          .with_columns(duplicate=pl.col("master_id") != pl.col("id")).sort("id"))
        _write_atomic_frame(facts / "customers.parquet", customers_fact)
    if dimensions or changed & {"orders", "interactions"}:
        # Activity (any order or interaction), time-sorted: "active customer" and churn scan only this.
        activity = (pl.concat([_raw(root, "orders").select("customer_id", pl.col("ordered_at").alias("at")),
                               _raw(root, "interactions").select("customer_id",
                                                                  pl.col("occurred_at").alias("at"))])
                    .join(customers.select("customer_id", "master_id", "region_id", "country_iso2", "segment",
                                           "customer_team_id", "customer_office"),
                          on="customer_id", how="left")
                    .sort("at", "customer_id"))
        _write_atomic_frame(facts / "activity.parquet", activity)
        # Per master record: a customer entered twice is one customer, active through either record.
        last = pl.scan_parquet(facts / "activity.parquet").group_by("master_id").agg(
            pl.col("at").max().alias("last_at"))
        _write_atomic_frame(facts / "last_activity.parquet", last)


def _data_range(root: Path) -> dict[str, str | None]:
    """The earliest and latest event time over the event tables, as ISO text."""
    bounds = pl.concat([
        _raw(root, name).select(pl.col(column).min().alias("first"), pl.col(column).max().alias("last"))
        for name, column in EVENT_TIMES.items()
    ]).select(pl.col("first").min(), pl.col("last").max()).collect()
    return {k: (None if v is None else v.isoformat()) for k, v in bounds.row(0, named=True).items()}


def with_usd(frame: pl.LazyFrame, fx: pl.LazyFrame, date_column: str) -> pl.LazyFrame:
    """Adds `amount_usd`: the amount at the rate of its own date (the latest rate on or before it)."""
    return (
        frame.with_columns(pl.col(date_column).dt.date().alias("_date"))
        .sort("_date")
        .join_asof(fx.select(pl.col("date").alias("_date"), "currency", "rate_to_base"),
                   on="_date", by="currency", strategy="backward", check_sortedness=False)
        # USD is the base: one dollar is one dollar, with or without a rate for it.
        .with_columns(pl.when(pl.col("currency") == "USD").then(pl.col("amount"))
                      .otherwise(pl.col("amount") * pl.col("rate_to_base")).alias("amount_usd"))
        .drop("_date", "rate_to_base")
    )
