"""Connections to the CRM database: where the URL comes from, read-only sessions, schema checks.

Every difference between SQLite, PostgreSQL and MariaDB/MySQL lives in `DIALECTS`, as data.
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from dashboard.paths import SECRETS_FILE, embedded_database
from dashboard.schema import metadata, polars_type

log = logging.getLogger(__name__)

URL_ENV = "CRM_DATABASE_URL"


class DatabaseError(Exception):
    """A problem with the CRM database, worded for the person who has to fix it."""


@dataclass(frozen=True)
class Dialect:
    driver: str
    # Statement run on every new connection of the dashboard so the session itself refuses writes.
    read_only_statement: str | None
    # Connection arguments for a read-only session where the driver does it instead.
    read_only_query: dict[str, str]


DIALECTS: dict[str, Dialect] = {
    "sqlite": Dialect("sqlite", None, {"mode": "ro", "uri": "true"}),
    "postgresql": Dialect("postgresql+psycopg", "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", {}),
    "mysql": Dialect("mysql+pymysql", "SET SESSION TRANSACTION READ ONLY", {}),
    "mariadb": Dialect("mysql+pymysql", "SET SESSION TRANSACTION READ ONLY", {}),
}


def resolve_url(cli_url: str | None = None) -> str:
    """The database URL: --url, else $CRM_DATABASE_URL, else secrets.toml, else the embedded default."""
    if cli_url:
        return cli_url
    if os.environ.get(URL_ENV):
        return os.environ[URL_ENV]
    if SECRETS_FILE.exists():
        try:
            secrets = tomllib.loads(SECRETS_FILE.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise DatabaseError(f"{SECRETS_FILE} is not valid TOML: {exc}") from exc
        url = secrets.get("connections", {}).get("crm", {}).get("url")
        if url:
            return str(url)
    return default_url()


def default_url() -> str:
    return f"sqlite:///{embedded_database()}"


def is_default(url: str) -> bool:
    return url == default_url()


def embedded_missing(url: str) -> bool:
    """True when `url` is the embedded demo database and it has not been built yet."""
    return is_default(url) and not embedded_database().exists()


def _parse(url: str) -> tuple[URL, Dialect]:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(
            f"'{redact(url)}' is not a database URL. Use e.g. postgresql://user@host/db, "
            "mysql://user@host/db or sqlite:///path/to/crm.sqlite."
        ) from exc
    backend = parsed.get_backend_name()
    if backend not in DIALECTS:
        raise DatabaseError(
            f"Database type '{backend}' is not supported: use SQLite, PostgreSQL, MySQL or MariaDB."
        )
    dialect = DIALECTS[backend]
    return parsed.set(drivername=dialect.driver), dialect


def redact(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def sqlite_path(url: str) -> Path | None:
    parsed, _ = _parse(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return Path(parsed.database)


def read_only_engine(url: str) -> Engine:
    """An engine whose every session refuses writes: the dashboard never changes the CRM."""
    parsed, dialect = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path is None or not path.exists():
            raise DatabaseError(f"The SQLite database {path} does not exist.")
        parsed = parsed.set(database=f"file:{path}", query=dialect.read_only_query)
    engine = _create(parsed)
    if dialect.read_only_statement:
        statement = dialect.read_only_statement

        @event.listens_for(engine, "connect")
        def _read_only(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute(statement)
            cursor.close()
            if hasattr(dbapi_connection, "commit"):
                dbapi_connection.commit()

    return engine


def writable_engine(url: str) -> Engine:
    """An engine for the demo generator and the importer, which own what they write."""
    parsed, _ = _parse(url)
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    return _create(parsed)


def _create(parsed: URL) -> Engine:
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except NoSuchModuleError as exc:
        raise DatabaseError(f"No driver installed for {parsed.drivername}.") from exc


def connect_or_explain(engine: Engine) -> None:
    """Open one connection, turning the driver's error into a sentence."""
    try:
        with engine.connect():
            pass
    except SQLAlchemyError as exc:
        log.warning("connection to %s failed: %s", engine.url.render_as_string(hide_password=True), exc)
        raise DatabaseError(
            f"Cannot connect to {engine.url.render_as_string(hide_password=True)}: "
            f"{_first_line(exc)}. Check the host, port, user and database name."
        ) from exc


def _first_line(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    return str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__


def schema_problems(engine: Engine) -> list[str]:
    """Every missing table, missing column and incompatible column type, worded for a person."""
    connect_or_explain(engine)
    inspector = inspect(engine)
    present = set(inspector.get_table_names())
    problems: list[str] = []
    for table in metadata.sorted_tables:
        if table.name not in present:
            problems.append(f"table '{table.name}' is missing")
            continue
        found = {c["name"]: c["type"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in found:
                problems.append(f"column '{table.name}.{column.name}' is missing")
                continue
            expected, actual = polars_type(column.type), polars_type(found[column.name])
            if not _compatible(expected, actual):
                problems.append(
                    f"column '{table.name}.{column.name}' is {found[column.name]}, expected {column.type}"
                )
    return problems


def _compatible(expected: object, actual: object) -> bool:
    if expected == actual:
        return True
    numeric = {pl.Int16(), pl.Int64(), pl.Float64()}
    # MySQL reports BOOLEAN as TINYINT; SQLite and MySQL store dates as strings or datetimes freely.
    if expected == pl.Boolean() and actual in numeric:
        return True
    if expected in numeric and actual in numeric:
        return True
    temporal = {pl.Date(), pl.Datetime("us")}
    return expected in temporal and actual in temporal


def insert_frame(connection: Connection, table_name: str, frame: pl.DataFrame) -> None:
    """Appends a frame's rows to a table with the driver's own executemany (fast on every backend)."""
    if frame.is_empty():
        return
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (f"INSERT INTO {quote(table_name)} ({', '.join(quote(c) for c in frame.columns)}) "
           f"VALUES ({', '.join([marker] * frame.width)})")
    for chunk in frame.iter_slices(20_000):
        connection.exec_driver_sql(sql, chunk.rows())
