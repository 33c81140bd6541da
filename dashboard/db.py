"""Connections to the CRM database: where the URL comes from, read-only sessions, schema checks.

Every difference between SQLite, PostgreSQL and MariaDB/MySQL lives in `DIALECTS`, as data.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import tomllib
from collections.abc import Callable
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
    # The driver's connection arguments for a connect and a statement timeout (seconds).
    timeouts: Callable[[float, float], dict[str, object]]
    # Whether the connected user may change the CRM's tables (the session refuses writes either way).
    user_can_write: Callable[[Connection], bool]


def _postgresql_timeouts(connect: float, statement: float) -> dict[str, object]:
    return {"connect_timeout": max(1, round(connect)), "options": f"-c statement_timeout={round(statement * 1000)}"}


def _mysql_timeouts(connect: float, statement: float) -> dict[str, object]:
    # PyMySQL has no statement timeout: a read that waits longer than it for the server's answer fails.
    return {"connect_timeout": connect, "read_timeout": statement, "write_timeout": statement}


def _sqlite_timeouts(connect: float, _statement: float) -> dict[str, object]:
    # A local file: nothing to connect to; only a writer's lock to wait for.
    return {"timeout": connect}


def _sqlite_can_write(connection: Connection) -> bool:
    path = connection.exec_driver_sql("PRAGMA database_list").fetchone()[2]
    return bool(path) and os.access(path, os.W_OK)


def _postgresql_can_write(connection: Connection) -> bool:
    return bool(connection.exec_driver_sql(
        "SELECT coalesce(bool_or(has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')), false) "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind = 'r'").scalar())


# A grant that lets the user change data or tables, on everything or on the CRM's database.
MYSQL_WRITE_GRANT = re.compile(r"^GRANT (.*?) ON (\S+) TO", re.IGNORECASE)
MYSQL_WRITES = re.compile(r"\b(ALL PRIVILEGES|INSERT|UPDATE|DELETE|DROP|ALTER|CREATE)\b", re.IGNORECASE)


def _mysql_can_write(connection: Connection) -> bool:
    database = connection.exec_driver_sql("SELECT DATABASE()").scalar() or ""
    for (grant,) in connection.exec_driver_sql("SHOW GRANTS FOR CURRENT_USER()"):
        found = MYSQL_WRITE_GRANT.match(grant)
        if found and MYSQL_WRITES.search(found.group(1)):
            target = found.group(2).replace("`", "").split(".")[0]
            if target in ("*", database):
                return True
    return False


DIALECTS: dict[str, Dialect] = {
    "sqlite": Dialect("sqlite", None, {"mode": "ro", "uri": "true"}, _sqlite_timeouts, _sqlite_can_write),
    "postgresql": Dialect("postgresql+psycopg", "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", {},
                          _postgresql_timeouts, _postgresql_can_write),
    "mysql": Dialect("mysql+pymysql", "SET SESSION TRANSACTION READ ONLY", {}, _mysql_timeouts, _mysql_can_write),
    "mariadb": Dialect("mysql+pymysql", "SET SESSION TRANSACTION READ ONLY", {}, _mysql_timeouts,
                       _mysql_can_write),
}


def user_can_write(engine: Engine) -> bool:
    """Whether the database user of `engine` may change the CRM: the session refuses writes anyway, but a
    user that cannot write is the safer setting (docs/security.md shows how to create one)."""
    with engine.connect() as connection:
        return DIALECTS[engine.dialect.name].user_can_write(connection)


def resolve_url(cli_url: str | None = None) -> str:
    """The database URL: --url, else $CRM_DATABASE_URL, else secrets.toml, else the embedded default."""
    if cli_url:
        return cli_url
    if os.environ.get(URL_ENV):
        return os.environ[URL_ENV]
    if SECRETS_FILE.exists():
        return _secrets_url(SECRETS_FILE) or default_url()
    return default_url()


def _secrets_url(path: Path) -> str | None:
    """The CRM URL in a secrets file, None when it names no database. A file that cannot be read, or
    that seems to name one in the wrong place, is refused: silently serving the demo database instead
    of the company's would show plausible, wrong numbers."""
    try:
        secrets = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise DatabaseError(f"{path} cannot be read: {exc}. Fix it, or remove it to use the demo database.") from exc
    connections = secrets.get("connections")
    if connections is None:
        misplaced = sorted(k for k in secrets if k in {"connection", "crm", "database", "url", "db"})
        if misplaced:
            raise DatabaseError(f"{path}: [{misplaced[0]}] is not read; the CRM's URL goes in [connections.crm] "
                                "url = \"…\".")
        return None
    crm = connections.get("crm") if isinstance(connections, dict) else None
    url = crm.get("url") if isinstance(crm, dict) else None
    if not isinstance(url, str) or not url:
        raise DatabaseError(f"{path}: [connections] has no crm.url; the CRM's URL goes in [connections.crm] "
                            "url = \"…\".")
    return url


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


def _deny_attach(action: int, *_names: object) -> int:
    """SQLite authoriser: a file opened read-only could still ATTACH another file and write to it."""
    return sqlite3.SQLITE_DENY if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH) else sqlite3.SQLITE_OK


def read_only_engine(url: str) -> Engine:
    """An engine whose every session refuses writes: the dashboard never changes the CRM."""
    parsed, dialect = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path is None or not path.exists():
            log.warning("SQLite database %s not found", path)
            raise DatabaseError("The CRM's SQLite database file does not exist: check CRM_DATABASE_URL or "
                                ".streamlit/secrets.toml; the path is in the server log.")
        parsed = parsed.set(database=f"file:{path}", query=dialect.read_only_query)
    engine = _create(parsed, dialect)
    if parsed.get_backend_name() == "sqlite":

        @event.listens_for(engine, "connect")
        def _no_attach(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            dbapi_connection.set_authorizer(_deny_attach)

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
    parsed, dialect = _parse(url)
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    return _create(parsed, dialect)


def _create(parsed: URL, dialect: Dialect) -> Engine:
    from dashboard.settings import load

    timeouts = load().database
    try:
        return create_engine(parsed, pool_pre_ping=True,
                             connect_args=dialect.timeouts(timeouts.connect_timeout, timeouts.statement_timeout))
    except NoSuchModuleError as exc:
        raise DatabaseError(f"No driver installed for {parsed.drivername}.") from exc


def connect_or_explain(engine: Engine) -> None:
    """Open one connection, turning the driver's error into a sentence."""
    try:
        with engine.connect():
            pass
    except SQLAlchemyError as exc:
        # Host, port, user and database name go to the server log only: messages reach the browser.
        log.warning("connection to %s failed: %s", engine.url.render_as_string(hide_password=True), exc)
        raise DatabaseError(
            f"Cannot connect to the CRM database ({_kind(exc)}). Check that it is running and reachable from "
            "this server and that CRM_DATABASE_URL or .streamlit/secrets.toml names it; the details are in "
            "the server log."
        ) from exc


def _kind(exc: BaseException) -> str:
    """What kind of failure, without the driver's text (which names the host, port and user)."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    for words, kind in (("timeout|timed out", "no answer in time"), ("refused", "connection refused"),
                        ("password|authentication|access denied", "sign-in refused"),
                        ("does not exist|unknown database", "no such database"),
                        ("could not translate|name or service|nodename", "unknown host")):
        if any(w in text for w in words.split("|")):
            return kind
    return type(getattr(exc, "orig", None) or exc).__name__


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
    numeric = {pl.Int16(), pl.Int32(), pl.Float64()}
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
