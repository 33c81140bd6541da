"""Where an import writes: Meridian's own store, never a CRM.

A store is marked in its `meridian_meta` table (`created_by`): "meridian generate" for the demo
database, "meridian import" for an import store. An import creates the schema in an empty target,
replaces the demo database with a fresh store, updates an import store, and refuses a database that
holds CRM tables without the mark: that is someone's CRM.

Everything is written in one transaction. SQLite is written into a copy that replaces the store by an
atomic rename, so readers never see half an import; PostgreSQL and MariaDB in one transaction (on
MariaDB, creating tables commits on its own, so a failed first import can leave an empty, marked store;
never rows of a half import). Rows are upserted by their key: new rows inserted, changed rows updated
(only in the columns the import fills), identical rows left alone.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass, field
from enum import StrEnum

import polars as pl
from sqlalchemy import Connection, Engine, Table, bindparam, delete, inspect, select, tuple_

from dashboard import schema
from dashboard.db import connect_or_explain, insert_frame, read_only_engine, sqlite_path, writable_engine
from dashboard.i18n import N_
from dashboard.importer.keys import KEYS_SCHEMA
from dashboard.importer.report import Counts
from dashboard.snapshot import normalise

CREATED_BY = "created_by"
IMPORTED_AT = "imported_at"
DEMO_MARK = "meridian generate"
IMPORT_MARK = "meridian import"
# Records that others refer to by name when the source has no id for them.
NAMED = ("customers", "reps", "teams", "partners")
KEY_COLUMNS = {"countries": ("iso2",), "fx_rates": ("date", "currency")}
CHUNK = 5_000


class StoreKind(StrEnum):
    EMPTY = "empty"
    DEMO = "demo"
    IMPORT = "import"
    FOREIGN = "foreign"


ACTIONS = {
    StoreKind.EMPTY: N_("creates a new Meridian store."),
    StoreKind.DEMO: N_("replaces the generated demo database with a new store (`meridian generate "
                       "--replace` brings the demo back)."),
    StoreKind.IMPORT: N_("updates this Meridian import store."),
    StoreKind.FOREIGN: N_("refused: the database holds CRM tables but is not a Meridian store (no "
                          "meridian_meta mark), so it is probably a CRM. Meridian never writes into a CRM: "
                          "import into the embedded store (no --url) or an empty database."),
}
REPLACE_ACTION = N_("replaces this Meridian import store with a new one (--replace).")


@dataclass
class StoreState:
    """What the target holds, as far as an import needs to know."""

    kind: StoreKind
    created_by: str | None = None
    keys: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=KEYS_SCHEMA))
    highest: dict[str, int] = field(default_factory=dict)
    # id, name, created_at of the store's customers; id, name of its reps, teams and partners.
    named: dict[str, pl.DataFrame] = field(default_factory=dict)
    # Each currency's first rate date in the store.
    rates_from: dict[str, dt.date] = field(default_factory=dict)

    @property
    def fresh(self) -> bool:
        """Whether the import starts from an empty store (nothing in it is kept)."""
        return self.kind is not StoreKind.IMPORT


def inspect_target(url: str, replace: bool = False) -> StoreState:
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return StoreState(StoreKind.EMPTY)
    engine = read_only_engine(url)
    try:
        connect_or_explain(engine)
        present = set(inspect(engine).get_table_names())
        created_by = None
        if schema.meridian_meta.name in present:
            with engine.connect() as connection:
                created_by = connection.execute(select(schema.meridian_meta.c.value).where(
                    schema.meridian_meta.c.key == CREATED_BY)).scalar()
        crm_tables = present & set(schema.TABLE_ORDER)
        if created_by == IMPORT_MARK:
            return StoreState(StoreKind.IMPORT, created_by) if replace else _import_state(engine, present)
        if created_by == DEMO_MARK:
            return StoreState(StoreKind.DEMO, created_by)
        if crm_tables or created_by is not None:
            return StoreState(StoreKind.FOREIGN, created_by)
        return StoreState(StoreKind.EMPTY)
    finally:
        engine.dispose()


def _import_state(engine: Engine, present: set[str]) -> StoreState:
    state = StoreState(StoreKind.IMPORT, IMPORT_MARK)
    with engine.connect() as connection:
        if schema.meridian_keys.name in present:
            state.keys = _read(connection, select(schema.meridian_keys), KEYS_SCHEMA)
        for name in schema.TABLE_ORDER:
            table = schema.metadata.tables[name]
            if "id" in table.columns and name in present:
                top = connection.execute(select(table.c.id).order_by(table.c.id.desc()).limit(1)).scalar()
                state.highest[name] = int(top or 0)
        for name in NAMED:
            table = schema.metadata.tables[name]
            columns = [table.c.id, table.c.name] + ([table.c.created_at] if name == "customers" else [])
            target = schema.polars_schema(name)
            state.named[name] = _read(connection, select(*columns), {c.name: target[c.name] for c in columns})
        fx = schema.fx_rates
        rates = _read(connection, select(fx.c.currency, fx.c.date), {"currency": pl.String, "date": pl.Date})
        state.rates_from = dict(rates.group_by("currency").agg(pl.col("date").min()).iter_rows())
    return state


def _read(connection: Connection, query, target: dict[str, pl.DataType]) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    frame = pl.read_database(query, connection, infer_schema_length=None)
    if frame.is_empty():
        return pl.DataFrame(schema=target)
    return normalise(frame.rename(dict(zip(frame.columns, target, strict=True))), pl.Schema(target))[0]


@dataclass(frozen=True)
class Batch:
    """Rows for one table from one source (or one rule): the store columns they fill and their key."""

    table: str
    frame: pl.DataFrame
    origin: str

    @property
    def key(self) -> tuple[str, ...]:
        return KEY_COLUMNS.get(self.table, ("id",))


def diff(connection: Connection, batch: Batch) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """The batch's new rows, its rows that change a stored row, and how many it leaves unchanged."""
    frame = batch.frame.unique(subset=list(batch.key), keep="last", maintain_order=True)
    if frame.is_empty():
        return frame, frame, 0
    table = schema.metadata.tables[batch.table]
    target = schema.polars_schema(batch.table)
    wanted = pl.Schema({c: target[c] for c in frame.columns})
    stored_parts = []
    for chunk in frame.select(batch.key).iter_slices(CHUNK):
        key_columns = [table.c[k] for k in batch.key]
        condition = (key_columns[0].in_(chunk[batch.key[0]].to_list()) if len(key_columns) == 1
                     else tuple_(*key_columns).in_(chunk.rows()))
        stored_parts.append(_read(connection, select(*[table.c[c] for c in frame.columns]).where(condition),
                                  dict(wanted)))
    stored = pl.concat(stored_parts)
    new = frame.join(stored, on=list(batch.key), how="anti", nulls_equal=True)
    existing = frame.join(stored.select(batch.key), on=list(batch.key), how="semi", nulls_equal=True)
    changed = existing.join(stored, on=list(existing.columns), how="anti", nulls_equal=True)
    return new, changed, existing.height - changed.height


def _update(connection: Connection, batch: Batch, rows: pl.DataFrame) -> None:
    table: Table = schema.metadata.tables[batch.table]
    values = [c for c in rows.columns if c not in batch.key]
    if not values or rows.is_empty():
        return
    where = [table.c[k] == bindparam(f"key_{k}") for k in batch.key]
    statement = table.update().where(*where).values({c: bindparam(f"value_{c}") for c in values})
    for chunk in rows.iter_slices(CHUNK):
        connection.execute(statement, [{**{f"key_{k}": r[k] for k in batch.key},
                                        **{f"value_{c}": r[c] for c in values}}
                                       for r in chunk.iter_rows(named=True)])


def predict(url: str, state: StoreState, batches: list[Batch]) -> dict[str, Counts]:
    """What writing the batches would do, read without writing (the dry run)."""
    counts: dict[str, Counts] = {}
    if state.fresh:
        for name in {b.table for b in batches}:
            keys = pl.concat([b.frame.select(b.key) for b in batches if b.table == name])
            counts[name] = Counts(new=keys.unique().height)
        return counts
    engine = read_only_engine(url)
    try:
        with engine.connect() as connection:
            for batch in batches:
                new, changed, unchanged = diff(connection, batch)
                total = counts.setdefault(batch.table, Counts())
                total.new += new.height
                total.updated += changed.height
                total.unchanged += unchanged
    finally:
        engine.dispose()
    return counts


def write(url: str, state: StoreState, batches: list[Batch], new_keys: pl.DataFrame,
          removals: dict[str, list[int]]) -> dict[str, Counts]:
    """Writes the import in one transaction (SQLite: into a copy swapped in by rename)."""
    path = sqlite_path(url)
    if path is None:
        return _write(url, state, batches, new_keys, removals)
    staging = path.with_name(path.name + ".importing")
    staging.unlink(missing_ok=True)
    if not state.fresh:
        shutil.copy2(path, staging)
    try:
        counts = _write(f"sqlite:///{staging}", state, batches, new_keys, removals)
        os.replace(staging, path)
        return counts
    finally:
        staging.unlink(missing_ok=True)


def _write(url: str, state: StoreState, batches: list[Batch], new_keys: pl.DataFrame,
           removals: dict[str, list[int]]) -> dict[str, Counts]:
    engine = writable_engine(url)
    counts: dict[str, Counts] = {}
    try:
        with engine.begin() as connection:
            if state.fresh:
                for metadata in (schema.store_metadata, schema.metadata):
                    metadata.drop_all(connection)
                schema.metadata.create_all(connection)
                schema.store_metadata.create_all(connection)
            _mark(connection, state)
            for table_name, ids in removals.items():
                table = schema.metadata.tables[table_name]
                for start in range(0, len(ids), CHUNK):
                    connection.execute(delete(table).where(table.c.id.in_(ids[start:start + CHUNK])))
                    connection.execute(delete(schema.meridian_keys).where(
                        (schema.meridian_keys.c.entity == table_name)
                        & schema.meridian_keys.c.id.in_(ids[start:start + CHUNK])))
                counts.setdefault(table_name, Counts()).removed += len(ids)
            insert_frame(connection, schema.meridian_keys.name, new_keys)
            for name in schema.TABLE_ORDER:
                for batch in (b for b in batches if b.table == name):
                    new, changed, unchanged = diff(connection, batch)
                    insert_frame(connection, name, new)
                    _update(connection, batch, changed)
                    total = counts.setdefault(name, Counts())
                    total.new += new.height
                    total.updated += changed.height
                    total.unchanged += unchanged
    finally:
        engine.dispose()
    return counts


def _mark(connection: Connection, state: StoreState) -> None:
    meta = schema.meridian_meta
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    connection.execute(delete(meta).where(meta.c.key.in_([CREATED_BY, IMPORTED_AT])))
    connection.execute(meta.insert(), [{"key": CREATED_BY, "value": IMPORT_MARK}, {"key": IMPORTED_AT, "value": now}])

