"""First start, shared by the command line and the app: the embedded demo database when it is missing,
then a snapshot of the CRM. Each caller shows progress its own way (tqdm, st.progress)."""

from __future__ import annotations

import importlib
import inspect
import logging
import pkgutil
from collections.abc import Callable

from dashboard.db import DatabaseError, default_url, embedded_missing, read_only_engine
from dashboard.schema import TABLE_ORDER
from dashboard.snapshot import Snapshot, SnapshotError, record_failure, refresh, snapshot_root

log = logging.getLogger(__name__)

CustomersDone = Callable[[int], None]
TableDone = Callable[[str, int], None]


def ensure_demo(url: str, on_customers: CustomersDone | None = None) -> bool:
    """Generates the embedded demo database when `url` is the embedded default and it is missing.
    Returns whether it was built."""
    if not embedded_missing(url):
        return False
    from dashboard.demo import DEFAULT_CUSTOMERS, DEFAULT_SEED, Plan, default_as_of, write_demo

    write_demo(default_url(), Plan(DEFAULT_CUSTOMERS, DEFAULT_SEED, default_as_of()), progress=on_customers)
    return True


def update_snapshot(url: str, full: bool = False, on_table: TableDone | None = None) -> dict[str, int]:
    """Brings the snapshot of `url` up to date; rows read per table."""
    try:
        engine = read_only_engine(url)
    except DatabaseError as exc:
        record_failure(snapshot_root(url), str(exc))
        raise
    try:
        return refresh(engine, snapshot_root(url), full=full, progress=on_table)
    finally:
        engine.dispose()


def ensure_data(url: str, on_customers: CustomersDone | None = None, on_table: TableDone | None = None) -> None:
    """The demo database if it is the missing embedded default, then an up-to-date snapshot."""
    ensure_demo(url, on_customers)
    update_snapshot(url, on_table=on_table)


def import_modules() -> None:
    """Every module the pages use, imported before the first visitor's page needs it (plotly, pydeck and
    the charts' template among them)."""
    import dashboard
    import queries

    for package in (dashboard, queries):
        for module in pkgutil.iter_modules(package.__path__):
            if module.name not in SCRIPTS:
                importlib.import_module(f"{package.__name__}.{module.name}")
    # Streamlit imports pandas (and with it pyarrow's compute functions) to check its version the first
    # time a map is drawn, and Pillow to read the page's icon: 0.4 s of the first visitor's wait, unless
    # done here.
    importlib.import_module("pandas")
    importlib.import_module("PIL.Image")


def warm_up(url: str) -> None:
    """What the first visitor would otherwise wait for, done while the server starts: the snapshot's
    tables read into memory, what the queries keep per snapshot whoever views it (response outcome
    cohorts, comment themes) and the borders every map draws. Best effort: a page that finds something
    missing reports it itself."""
    from dashboard import maps
    from queries import followup, voice

    # Streamlit looks at the call stack when a process sends its first element (to warn when it is not
    # run as a server), and `inspect` then maps the file of every module imported: a tenth of a second.
    # Done once the modules are imported (import_modules), so the map holds them all.
    inspect.stack()
    maps.land_borders()
    try:
        src = Snapshot.open(snapshot_root(url))
        for name in TABLE_ORDER:
            src.scan(name)
    except (SnapshotError, OSError):
        return
    for prepare in (followup.prepare, voice.prepare):
        try:
            prepare(src)
        except Exception:  # whatever it is, the page that needs it computes it again and reports it
            log.warning("warm-up: %s failed", prepare.__qualname__, exc_info=True)


# Modules that are programs rather than libraries: importing them would run them.
SCRIPTS = frozenset({"app", "cli", "__main__"})
