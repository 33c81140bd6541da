"""The local columnar snapshot every page query reads.

The CRM database is an OLTP system: analytic scans must not load it. The snapshot copies the tables
into Parquet files once, then refreshes incrementally: each table is read with only its own columns
(projection) and only the rows past its watermark (`updated_at`, an append-only id, or a date).
Reading goes through the dashboard's read-only SQLAlchemy session (see docs/performance.md for the
readers compared). After a refresh, the event tables are joined once with what every query filters
on (region, country, segment) and converted to USD at the rate of their date, so page queries are
plain scans.

Versions (docs/operations.md): a refresh builds a complete new version beside the current one — files
it does not change are hard links to the current version's, never rewritten — and switches to it by
renaming one pointer file. Readers open the version the pointer names and hold it with a shared lock;
old versions are deleted only when nobody holds them. So a refresh that fails, is killed or runs out
of disk leaves the current version as it was, with its watermarks: the next refresh starts from it,
and nothing is read twice or lost. Every version records each table's row count and checksum and
every file's size; a version that does not verify is set aside for the last good one, and the next
refresh rebuilds from scratch.

Layout: <root>/CURRENT (the current version's name), <root>/versions/<name>/{raw/<table>/part-*.parquet,
facts/<table>.parquet, quarantine.parquet, manifest.json}, <root>/health.json (refresh outcomes).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import shutil
import signal
import sys
import threading
import uuid
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import polars as pl
from sqlalchemy import Engine, column, func, select, table
from sqlalchemy.exc import SQLAlchemyError

from dashboard import schema
from dashboard.db import DatabaseError, connect_or_explain, redact, schema_problems
from dashboard.paths import data_dir

log = logging.getLogger(__name__)

SNAPSHOT_FORMAT = 7
BATCH_ROWS = 200_000
MAX_PARTS = 16
CURRENT = "CURRENT"
VERSIONS = "versions"
READERS = ".readers"
# Unreadable values: one row per row left out, replaced when the row is read again.
QUARANTINE_SCHEMA = pl.Schema({"table": pl.String(), "key": pl.String(), "column": pl.String(),
                               "value": pl.String(), "problem": pl.String()})

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
# Customer columns attached to every fact row, under these names: what the filters and the scope test.
CUSTOMER_DIMENSIONS = {"country_iso2": "country_iso2", "segment": "segment", "region_id": "region_id",
                       "master_id": "master_id", "team_id": "customer_team_id", "office": "customer_office"}
# The customer's partner, attached only where a query reads it (a partner's NPS): at a million customers
# every attached column costs 10-35 MB per table in memory.
CUSTOMER_PARTNER_TABLES = ("surveys",)
MONEY_TABLES = {"orders": "ordered_at", "opportunities": "opened_at"}
# The timestamps that say when the CRM's data begins and ends (its own calendar, not the wall clock).
EVENT_TIMES = {"orders": "ordered_at", "opportunities": "opened_at", "interactions": "occurred_at",
               "tickets": "opened_at", "surveys": "answered_at"}

# Called with the name of every step of a refresh; fault-injection tests stop the refresh there.
step_hook: Callable[[str], None] | None = None


def _step(name: str) -> None:
    if step_hook is not None:
        step_hook(name)


class SnapshotError(Exception):
    """The snapshot could not be built or read; the message says why and what to do."""


@dataclass(frozen=True)
class Snapshot:
    """A read-only view of one version of the snapshot, held (never deleted) while the object lives.

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
    version: str = ""
    # Rows left out per table because a value could not be read (see `quarantine`).
    quarantined: dict[str, int] = field(default_factory=dict, hash=False, compare=False)

    def __post_init__(self) -> None:
        if self.version:
            _hold(self.path)
            weakref.finalize(self, _release, self.path)

    @classmethod
    def open(cls, root: Path) -> Snapshot:
        """The current version; the last good one when the current one does not verify."""
        for name in _candidates(root):
            try:
                src = cls._open_version(root, name)
            except SnapshotError:
                # Deleted by a refresh between reading the pointer and holding it, or its manifest is damaged.
                if (root / VERSIONS / name / "manifest.json").exists():
                    set_aside(root, name, "its manifest is unreadable")
                continue
            problem = verify(src.path)
            if problem is None:
                return src
            set_aside(root, name, problem)
        raise SnapshotError(f"No snapshot in {root}: run `meridian refresh`.")

    @classmethod
    def _open_version(cls, root: Path, name: str) -> Snapshot:
        path = root / VERSIONS / name
        manifest = _read_manifest(path)
        if manifest is None:
            raise SnapshotError(f"The snapshot version {name} has no manifest.")
        bounds = {k: dt.datetime.fromisoformat(v) if v else None
                  for k, v in (manifest.get("data_range") or {}).items()}
        return cls(root, dt.datetime.fromisoformat(manifest["refreshed_at"]), manifest["source"],
                   bounds.get("first"), bounds.get("last"), version=name,
                   quarantined={k: int(v) for k, v in manifest.get("quarantined", {}).items() if v})

    @property
    def path(self) -> Path:
        """The version's folder."""
        return self.root / VERSIONS / self.version

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

        Tables are held in memory once per process and file: every page query is then a scan of
        columns already in memory rather than a Parquet decode."""
        fact = self.path / "facts" / f"{name}.parquet"
        if fact.exists():
            return _in_memory([fact]).lazy()
        parts = self.path / "raw" / name
        if not parts.exists():
            raise SnapshotError(f"The snapshot has no table '{name}'.")
        files = sorted(parts.glob("part-*.parquet"))
        if not files:
            return _encoded(pl.LazyFrame(schema=schema.polars_schema(name)))
        return _in_memory(files).lazy()

    def quarantine(self) -> pl.DataFrame:
        """Rows left out because a value could not be read: table, key, column, value, problem."""
        path = self.path / "quarantine.parquet"
        return pl.read_parquet(path) if path.exists() else pl.DataFrame(schema=QUARANTINE_SCHEMA)

    def manifest(self) -> dict:
        return _read_manifest(self.path) or {}


# Versions this process reads: the open lock file (shared lock) and how many Snapshot objects use it.
_held: dict[Path, tuple[IO[str], int]] = {}
_holding = threading.Lock()
# Releases not yet applied. A Snapshot is released by its finalizer, which the garbage collector may run
# anywhere, also inside `_hold` on the thread that holds `_holding`: waiting for the lock there would wait
# forever. A release is queued, and applied by whoever holds the lock next (or at once, if it is free).
_released: deque[Path] = deque()


def _hold(path: Path) -> None:
    with _holding:
        _apply_releases()
        lock, count = _held.get(path, (None, 0))
        if lock is None:
            try:
                lock = (path / READERS).open("a")
            except FileNotFoundError as exc:
                raise SnapshotError(f"The snapshot version {path.name} was removed.") from exc
            fcntl.flock(lock, fcntl.LOCK_SH)
            # A version deleted between opening the lock file and locking it is gone: its manifest goes last.
            if not (path / "manifest.json").exists():
                lock.close()
                raise SnapshotError(f"The snapshot version {path.name} was removed.")
        _held[path] = (lock, count + 1)
        _apply_releases()


def _release(path: Path) -> None:
    _released.append(path)
    if _holding.acquire(blocking=False):
        try:
            _apply_releases()
        finally:
            _holding.release()


def _apply_releases() -> None:
    """Applies the queued releases; the caller holds `_holding`."""
    while _released:
        path = _released.popleft()
        lock, count = _held.get(path, (None, 0))
        if lock is None:
            continue
        if count > 1:
            _held[path] = (lock, count - 1)
            continue
        del _held[path]
        lock.close()


# Tables in memory, keyed by their files' inodes: a new version's hard links to unchanged files are
# the same tables, not read again.
_loaded: dict[tuple[tuple[int, int], ...], tuple[tuple[str, ...], pl.DataFrame]] = {}
_loading = threading.Lock()


def _in_memory(files: list[Path]) -> pl.DataFrame:
    """The files' rows, read once and kept while any version has them."""
    stats = [f.stat() for f in files]
    key = tuple((s.st_dev, s.st_ino) for s in stats)
    paths = tuple(str(f) for f in files)
    with _loading:
        cached = _loaded.get(key)
        if cached is None:
            for stale in [k for k, (known, _) in _loaded.items() if not all(Path(f).exists() for f in known)]:
                del _loaded[stale]
            cached = (paths, _marked_sorted(_read_encoded(files)))
        _loaded[key] = (paths, cached[1])
        return cached[1]


def _encoded(frame: pl.LazyFrame) -> pl.LazyFrame:
    """The frame with its code columns (`schema.CODE_COLUMNS`) dictionary-encoded, as every table is
    held in memory: an empty table's columns then join and compare like a full one's."""
    codes = [c for c, t in frame.collect_schema().items() if c in schema.CODE_COLUMNS and t == pl.String]
    return frame.with_columns(pl.col(codes).cast(pl.Categorical))


def _read_encoded(files: list[Path]) -> pl.DataFrame:
    """The files' rows, encoded (`_encoded`) batch by batch so the table is never held twice."""
    return _encoded(pl.scan_parquet(files)).collect(engine="streaming")


def _marked_sorted(frame: pl.DataFrame) -> pl.DataFrame:
    """The activity table is written in time order; Parquet does not keep that flag, so it is set again
    (after checking), and queries may slice the table by time instead of scanning it."""
    if "at" in frame.columns and frame["at"].is_sorted():
        return frame.with_columns(pl.col("at").set_sorted())
    return frame


def snapshot_root(url: str) -> Path:
    """One folder per source database; the key hides the URL (it may hold a password)."""
    key = hashlib.sha256(url.encode()).hexdigest()[:16]
    return data_dir() / "snapshots" / key


def _read_manifest(path: Path) -> dict | None:
    try:
        manifest = json.loads((path / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and manifest.get("format") == SNAPSHOT_FORMAT else None


def _current(root: Path) -> str | None:
    try:
        name = (root / CURRENT).read_text().strip()
    except OSError:
        return None
    return name or None


def _candidates(root: Path) -> list[str]:
    """Version names to try, best first: the current one, then the others newest first."""
    current = _current(root)
    others = sorted((p.name for p in (root / VERSIONS).glob("*") if p.name != current), reverse=True) \
        if (root / VERSIONS).exists() else []
    return ([current] if current else []) + others


# Versions whose Parquet footers were read once in this process (the sizes are checked on every open).
_footers_ok: set[Path] = set()


def verify(path: Path) -> str | None:
    """Why the version in `path` cannot be used (a file missing, cut short or unreadable), or None."""
    manifest = _read_manifest(path)
    if manifest is None:
        return "its manifest is missing or unreadable"
    files: dict[str, int] = manifest.get("files", {})
    for relative, size in files.items():
        try:
            actual = (path / relative).stat().st_size
        except OSError:
            return f"{relative} is missing"
        if actual != size:
            return f"{relative} has {actual:,} bytes, {size:,} expected"
    if path in _footers_ok:
        return None
    for name, entry in manifest.get("tables", {}).items():
        try:
            rows = _raw(path, name).select(pl.len()).collect().item()
        except (pl.exceptions.PolarsError, OSError) as exc:
            return f"table {name} cannot be read ({type(exc).__name__})"
        if rows != entry.get("rows"):
            return f"table {name} has {rows:,} rows, {entry.get('rows')} recorded"
    _footers_ok.add(path)
    return None


def set_aside(root: Path, name: str, problem: str) -> None:
    """Records that a version failed verification; the next refresh rebuilds from scratch."""
    health = read_health(root)
    if any(entry.get("version") == name for entry in health.get("set_aside", [])):
        return
    log.error("snapshot version %s set aside: %s", name, problem)
    health.setdefault("set_aside", []).append(
        {"version": name, "problem": problem, "at": _now().isoformat()})
    _write_health(root, health)


def read_health(root: Path) -> dict:
    """What the last refreshes left: last_success, failing_since, last_error, set_aside (versions that
    did not verify, with why)."""
    try:
        health = json.loads((root / "health.json").read_text())
    except (OSError, ValueError):
        return {}
    return health if isinstance(health, dict) else {}


def _write_health(root: Path, health: dict) -> None:
    root.mkdir(parents=True, exist_ok=True)
    _write_atomic(root / "health.json", json.dumps(health, indent=1).encode())


def needs_rebuild(root: Path) -> str | None:
    """Why the next refresh must rebuild from scratch (the current version did not verify), or None."""
    current = _current(root)
    for entry in read_health(root).get("set_aside", []):
        if entry.get("version") == current:
            return str(entry.get("problem"))
    return None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


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
    missing table and column, before anything is written. `full` builds the new version from nothing
    (also the way to pick up rows deleted in the CRM, which watermarks cannot see); the current version
    serves pages until the new one replaces it.
    """
    try:
        problems = schema_problems(engine)
        if problems:
            raise DatabaseError("The database does not match the CRM schema: " + "; ".join(problems) + ".")
        with _locked(root):
            read = _build_version(engine, root, full, progress)
    except DatabaseError as exc:
        record_failure(root, str(exc))
        raise
    return read


def exit_on_sigterm() -> None:
    """A service manager's stop signal ends a refresh as Ctrl-C does: its unfinished version is removed
    at once rather than by the next refresh."""
    signal.signal(signal.SIGTERM, lambda _signal, _frame: sys.exit(128 + signal.SIGTERM))


def record_failure(root: Path, problem: str) -> None:
    """Remembers since when refreshes fail (for the "could not be reached since" notice) and why."""
    health = read_health(root)
    health["failing_since"] = health.get("failing_since") or _now().isoformat()
    health["last_error"] = problem
    _write_health(root, health)


def _base(root: Path) -> tuple[Path, dict] | None:
    """The version a refresh starts from: the current one, if it verifies."""
    name = _current(root)
    if name is None:
        return None
    path = root / VERSIONS / name
    problem = verify(path)
    if problem is not None:
        set_aside(root, name, problem)
        log.warning("rebuilding the snapshot from scratch: version %s %s", name, problem)
        return None
    manifest = _read_manifest(path)
    return None if manifest is None else (path, manifest)


def _build_version(engine: Engine, root: Path, full: bool,
                   progress: Callable[[str, int], None] | None) -> dict[str, int]:
    started = _now()
    base = None if full else _base(root)
    name = started.strftime("%Y%m%dT%H%M%S%f") + "-" + uuid.uuid4().hex[:6]
    work = root / VERSIONS / name
    try:
        if base is None:
            work.mkdir(parents=True)
            tables: dict[str, dict] = {}
        else:
            # Hard links: the new version shares every file it does not change with the current one, and
            # files are only ever replaced (a new file renamed over a name), never written in place.
            shutil.copytree(base[0], work, copy_function=os.link,
                            ignore=shutil.ignore_patterns(READERS, "manifest.json", "*.tmp"))
            tables = base[1]["tables"]
        _step("linked")
        read: dict[str, int] = {}
        quarantined: list[pl.DataFrame] = []
        with engine.connect() as connection:
            for table_name in schema.TABLE_ORDER:
                _step(f"read:{table_name}")
                state = tables.get(table_name, {})
                read[table_name], tables[table_name], bad = _refresh_table(connection, work, table_name, state)
                quarantined.append(bad)
                if progress:
                    progress(table_name, read[table_name])
        for table_name in schema.TABLE_ORDER:
            parts = sorted((work / "raw" / table_name).glob("part-*.parquet"))
            if len(parts) > MAX_PARTS:
                _replace_parts(work / "raw" / table_name, pl.scan_parquet(parts))
        _step("compacted")
        changed = {table_name for table_name, rows in read.items() if rows}
        _build_facts(work, changed if base is not None else set(schema.TABLE_ORDER))
        counts = _write_quarantine(work, pl.concat(quarantined), read)
        for table_name in schema.TABLE_ORDER:
            if table_name in changed or "checksum" not in tables[table_name]:
                frame = _raw(work, table_name)
                tables[table_name] |= {"rows": frame.select(pl.len()).collect().item(),
                                       "checksum": checksum(frame)}
        _step("checksummed")
        manifest = {"format": SNAPSHOT_FORMAT, "version": name, "tables": tables,
                    "refreshed_at": started.isoformat(), "source": redact(str(engine.url)),
                    "data_range": _data_range(work), "quarantined": counts,
                    "files": {str(p.relative_to(work)): p.stat().st_size
                              for p in sorted(work.rglob("*.parquet"))}}
        _write_atomic(work / "manifest.json", json.dumps(manifest, indent=1).encode())
        _step("manifest")
        _write_atomic(root / CURRENT, name.encode(), durable=True)
        _step("switched")
    except BaseException as exc:
        shutil.rmtree(work, ignore_errors=True)
        if isinstance(exc, SQLAlchemyError):
            log.exception("snapshot refresh failed")
            raise DatabaseError("Reading the CRM database failed; the details are in the server log.") from exc
        if isinstance(exc, OSError):
            log.exception("writing the snapshot failed")
            raise SnapshotError(f"Writing the snapshot failed ({exc.strerror or exc}); the data shown is unchanged. "
                                f"Free disk space in {root.parent} and refresh again.") from exc
        raise
    health = read_health(root)
    health.update(last_success=started.isoformat(), failing_since=None, last_error=None,
                  set_aside=[e for e in health.get("set_aside", []) if (root / VERSIONS / e["version"]).exists()])
    _write_health(root, health)
    collect(root)
    return read


def collect(root: Path) -> list[str]:
    """Deletes the versions nobody reads any more, keeping the current one and the newest other good
    one (to fall back on); also what an interrupted refresh left. Returns the names deleted."""
    current = _current(root)
    versions = sorted((p for p in (root / VERSIONS).glob("*") if p.is_dir()), reverse=True) \
        if (root / VERSIONS).exists() else []
    fallback = next((p for p in versions if p.name != current and verify(p) is None), None)
    deleted = []
    for path in versions:
        if path.name == current or path == fallback:
            continue
        with (path / READERS).open("a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a page is reading it
            # The manifest goes first: a reader that locks the version after this finds it gone.
            (path / "manifest.json").unlink(missing_ok=True)
            shutil.rmtree(path, ignore_errors=True)
            _footers_ok.discard(path)
            deleted.append(path.name)
    for old in ("raw", "facts", "manifest.json"):  # the layout before versions
        target = root / old
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink(missing_ok=True)
    return deleted


def database_counts(engine: Engine) -> dict[str, int]:
    """Rows per table as the database counts them."""
    connect_or_explain(engine)
    with engine.connect() as connection:
        return {name: int(connection.execute(select(func.count()).select_from(table(name))).scalar_one())
                for name in schema.TABLE_ORDER}


def unreadable_values(engine: Engine) -> pl.DataFrame:
    """Every row of the database with a value a refresh cannot read (quarantine schema)."""
    found = []
    with engine.connect() as connection:
        for name in schema.TABLE_ORDER:
            target = schema.polars_schema(name)
            query = select(*[column(c) for c in target.names()]).select_from(table(name))
            for batch in pl.read_database(query, connection, iter_batches=True, batch_size=BATCH_ROWS,
                                          infer_schema_length=None):
                found.append(normalise(batch, target, name)[1])
    return pl.concat(found) if found else pl.DataFrame(schema=QUARANTINE_SCHEMA)


def checksum(frame: pl.LazyFrame) -> str:
    """An order-independent checksum of a table's rows (a row twice counts twice)."""
    value = frame.select(pl.struct(pl.all()).hash(seed=9).sum()).collect().item()
    return f"{value or 0:016x}"


def _refresh_table(connection, root: Path, name: str,  # type: ignore[no-untyped-def]
                   state: dict) -> tuple[int, dict, pl.DataFrame]:
    """Reads the table's new rows into its part files. Returns the rows read, the table's new state and
    the rows left out (quarantine schema)."""
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
    rejected: list[pl.DataFrame] = []

    def converted() -> Iterator[pl.DataFrame]:
        for batch in pl.read_database(query, connection, iter_batches=True, batch_size=BATCH_ROWS,
                                      infer_schema_length=None):
            good, bad = normalise(batch, target, name)
            rejected.append(bad)
            yield good

    def left_out() -> pl.DataFrame:
        return pl.concat(rejected) if rejected else pl.DataFrame(schema=QUARANTINE_SCHEMA)

    existing = sorted(parts.glob("part-*.parquet"))
    if watermark_column and (not existing or name not in UPSERT_BY_UPDATED_AT):
        rows, state = _append_batches(parts, len(existing), converted(), watermark_column, state, name)
        return rows, state, left_out()
    batch_list = list(converted())
    new = pl.concat(batch_list) if batch_list else pl.DataFrame(schema=target)
    current = pl.scan_parquet(existing) if existing else pl.LazyFrame(schema=target)
    changed = not new.is_empty()
    if name in RELOAD or not watermark_column:
        changed = not new.equals(current.collect())
        if changed:
            _replace_parts(parts, pl.LazyFrame(new))
    bad = left_out()
    # A row whose new version cannot be read leaves the snapshot with it, not kept as it was.
    gone = bad["key"].cast(target.get("id", pl.Int64()), strict=False).drop_nulls()
    if name not in RELOAD and watermark_column and (changed or not gone.is_empty()):
        # Rows read again unchanged (the one-second overlap) are no change. Only the rows of the same ids
        # can be the same rows: the rest of the table is not read for the comparison.
        same_ids = current.filter(pl.col("id").is_in(new["id"].implode())).collect()
        changed = not new.join(same_ids, on=target.names(), how="anti", nulls_equal=True).is_empty()
        dropped = current.filter(pl.col("id").is_in(gone.implode())).select(pl.len()).collect().item()
        if changed or dropped:
            kept = current.filter(~pl.col("id").is_in(pl.concat([new["id"], gone]).implode()))
            _replace_parts(parts, pl.concat([kept, new.lazy()]))
            changed = True
    if watermark_column and not new.is_empty():
        # The table's row count and checksum stay valid when nothing changed (else they are taken again).
        state = state | {"watermark": _format_watermark(new[watermark_column].max())}
    return (new.height if changed or not bad.is_empty() else 0), state, bad


def _append_batches(parts: Path, index: int, batches: Iterator[pl.DataFrame], watermark_column: str,
                    state: dict, name: str) -> tuple[int, dict]:
    """Writes every batch as a part file as it arrives, so a first read of millions of rows, or the
    new rows of an append-only table, never sit in memory all at once."""
    rows, top = 0, None
    for number, batch in enumerate(batches):
        if batch.is_empty():
            continue
        _write_atomic_frame(parts / f"part-{index:05d}.parquet", batch)
        _step(f"batch:{name}:{number}")
        index += 1
        rows += batch.height
        batch_top = batch[watermark_column].max()
        top = batch_top if top is None or batch_top > top else top
    if top is not None:
        state = {"watermark": _format_watermark(top)}
    return rows, state


def _converted(name: str, source: pl.DataType, dtype: pl.DataType) -> pl.Expr:
    """The column as `dtype`; null where a value cannot be converted (strict=False)."""
    col = pl.col(name)
    if source == pl.String() and dtype == pl.Datetime("us"):
        # ISO 8601 with a space or a T, with or without fractions; or a bare date.
        text = col.str.strip_chars().str.replace("T", " ", literal=True)
        return pl.coalesce(text.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us", strict=False),
                           text.str.to_datetime("%Y-%m-%d", time_unit="us", strict=False))
    if source == pl.String() and dtype == pl.Date():
        return col.str.strip_chars().str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    if source == pl.Datetime and dtype == pl.Date():
        return col.dt.date()
    if dtype == pl.Boolean() and source != pl.Boolean():
        return col.cast(pl.Int64, strict=False) != 0
    if source == pl.String() and dtype != pl.String():
        return col.str.strip_chars().cast(dtype, strict=False)
    return col.cast(dtype, strict=False)


KIND_OF = {pl.Datetime("us"): "timestamp", pl.Date(): "date", pl.Float64(): "number",
           pl.Int32(): "whole number", pl.Int16(): "whole number",
           pl.Boolean(): "yes/no value"}


def normalise(frame: pl.DataFrame, target: pl.Schema, name: str = "") -> tuple[pl.DataFrame, pl.DataFrame]:
    """Gives a batch read from any backend the snapshot's column types; rows with a value that cannot be
    converted are returned apart, one row each (quarantine schema), instead of failing the batch.

    SQLite hands timestamps over as text and booleans as integers, MySQL booleans as integers,
    PostgreSQL and MySQL money as Decimal: all end up as the types `schema.polars_type` names. SQLite
    also keeps any text in any column: such a value is unreadable, not a reason to stop.
    """
    out = frame.select([_converted(c, frame.schema[c], dtype).alias(c) for c, dtype in target.items()])
    # A value that was there and is not after conversion could not be read.
    lost = [c for c in target.names() if frame[c].null_count() != out[c].null_count()]
    if not lost:
        return out, pl.DataFrame(schema=QUARANTINE_SCHEMA)
    first_lost = pl.coalesce([pl.when(pl.col(c).is_not_null() & out[c].is_null()).then(pl.lit(c))
                              for c in lost])
    marked = frame.with_columns(first_lost.alias("_lost"))
    # SQLAlchemy names are `quoted_name`s, which polars takes for rows: plain strings here.
    name = str(name)
    key = [str(c.name) for c in schema.metadata.tables[name].primary_key.columns] if name else target.names()[:1]
    left_out = marked.filter(pl.col("_lost").is_not_null()).select(
        table=pl.lit(name, pl.String),
        key=pl.concat_str([pl.col(k).cast(pl.String) for k in key], separator="/"),
        column=pl.col("_lost"),
        value=pl.coalesce([pl.when(pl.col("_lost") == c).then(pl.col(c).cast(pl.String)) for c in lost]),
        problem=pl.lit("not a ") + pl.col("_lost").replace_strict(
            {c: KIND_OF.get(target[c], str(target[c])) for c in lost}, return_dtype=pl.String),
    )
    return out.filter(marked["_lost"].is_null()), left_out


def _write_quarantine(root: Path, new: pl.DataFrame, read: dict[str, int]) -> dict[str, int]:
    """Merges the rows left out by this refresh into the version's quarantine; returns rows per table.

    A row read again replaces its earlier entry: fixed in the CRM, it leaves the quarantine; still
    unreadable, it stays once. A reloaded table's entries are all replaced."""
    path = root / "quarantine.parquet"
    old = pl.read_parquet(path) if path.exists() else pl.DataFrame(schema=QUARANTINE_SCHEMA)
    reloaded = [name for name in RELOAD if read.get(name)]
    good_keys = pl.concat([_raw(root, name).select(pl.lit(str(name)).alias("table"), pl.col("id").cast(pl.String)
                                                   .alias("key")).collect()
                           for name in UPSERT_BY_UPDATED_AT if read.get(name)] or
                          [pl.DataFrame(schema={"table": pl.String(), "key": pl.String()})])
    kept = (old.filter(~pl.col("table").is_in(reloaded))
            .join(new.select("table", "key"), on=["table", "key"], how="anti")
            .join(good_keys, on=["table", "key"], how="anti"))
    merged = pl.concat([kept, new]).unique(["table", "key"], keep="last", maintain_order=True)
    if merged.is_empty():
        path.unlink(missing_ok=True)
        return {}
    _write_atomic_frame(path, merged)
    return dict(merged.group_by("table").len().iter_rows())


def _parse_watermark(dtype: pl.DataType, value: str | int) -> object:
    if dtype == pl.Datetime("us"):
        return dt.datetime.fromisoformat(str(value))
    if dtype == pl.Date():
        return dt.date.fromisoformat(str(value))
    return int(value)


def _format_watermark(value: object) -> str | int:
    return value.isoformat() if isinstance(value, dt.date) else int(value)  # type: ignore[arg-type]


def _replace_parts(parts: Path, rows: pl.LazyFrame) -> None:
    """Replaces a table's part files by one file of `rows`, streamed (`rows` may read the old parts)."""
    staging = parts.with_name(parts.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    rows.sink_parquet(staging / "part-00000.parquet")
    _step(f"replace:{parts.name}")
    shutil.rmtree(parts)
    _step(f"replaced:{parts.name}")
    staging.rename(parts)


def _write_atomic(path: Path, data: bytes, durable: bool = False) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("wb") as out:
        out.write(data)
        if durable:
            out.flush()
            os.fsync(out.fileno())
    tmp.replace(path)
    if durable:
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def _write_atomic_frame(path: Path, frame: pl.DataFrame | pl.LazyFrame) -> None:
    tmp = path.with_suffix(".tmp")
    _step(f"write:{path.parent.name}/{path.name}")
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
                         *[pl.col(c).alias(alias) for c, alias in CUSTOMER_DIMENSIONS.items()],
                         pl.col("partner_id").alias("customer_partner_id")))
    fx = _raw(root, "fx_rates").sort("date")
    for name in FACT_TABLES:
        if not (dimensions or organisation or name in changed or (name in MONEY_TABLES and "fx_rates" in changed)):
            continue
        attached = customers if name in CUSTOMER_PARTNER_TABLES else customers.drop("customer_partner_id")
        frame = _raw(root, name).join(attached, on="customer_id", how="left")
        if "rep_id" in schema.polars_schema(name):
            frame = frame.join(teams, on="rep_id", how="left")
        if name in MONEY_TABLES:
            frame = with_usd(frame, fx, MONEY_TABLES[name])
        # In id order: joins do not keep row order, and every reader must see the same rows the same way.
        _write_atomic_frame(facts / f"{name}.parquet", frame.sort("id"))
        _step(f"facts:{name}")
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
