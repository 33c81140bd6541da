"""Refreshes on a schedule, from one place: a thread in the server, or `meridian refresh --every`.

Page loads never refresh (the first visitor after the age limit would wait for it, and a CRM that is
down would be retried on every load): they read the snapshot this refreshes. A failed refresh is
retried after `retry_after` seconds, then twice as long each time, up to the regular interval; a
snapshot that did not verify is rebuilt at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from dashboard import bootstrap
from dashboard.db import DatabaseError
from dashboard.snapshot import Snapshot, SnapshotError, needs_rebuild, snapshot_root

log = logging.getLogger(__name__)


@dataclass
class Schedule:
    """When the snapshot of `url` is refreshed next."""

    url: str
    every: float
    retry_after: float
    failures: int = 0

    def due_in(self, now: dt.datetime) -> float:
        """Seconds until the next refresh: none when the snapshot is missing, stale or did not verify."""
        root = snapshot_root(self.url)
        if needs_rebuild(root):
            return 0.0
        try:
            age = (now - Snapshot.open(root).refreshed_at).total_seconds()
        except SnapshotError:
            return 0.0
        return max(0.0, self.every - age)

    def backoff(self) -> float:
        """Seconds to wait after the latest failure."""
        return min(self.every, self.retry_after * 2 ** max(0, self.failures - 1))

    def run(self, on_table: Callable[[str, int], None] | None = None) -> dict[str, int] | None:
        """One refresh; rows read per table, or None when it failed (logged, and recorded for the banner)."""
        try:
            read = bootstrap.update_snapshot(self.url, on_table=on_table)
        except (DatabaseError, SnapshotError, OSError) as exc:
            self.failures += 1
            log.error("scheduled refresh failed (attempt %d, next in %.0f s): %s", self.failures, self.backoff(), exc)
            return None
        self.failures = 0
        return read

    def wait(self) -> float:
        """Seconds to sleep before the next attempt."""
        if self.failures:
            return self.backoff()
        return self.due_in(dt.datetime.now(dt.UTC).replace(tzinfo=None))


def loop(schedule: Schedule, stop: threading.Event, on_run: Callable[[dict[str, int] | None], None] | None = None,
         poll: float = 30.0) -> None:
    """Refreshes whenever due until `stop` is set. Waits at most `poll` seconds at a time, so a snapshot
    found broken or refreshed by someone else is noticed."""
    while not stop.is_set():
        wait = schedule.wait()
        if wait > 0:
            stop.wait(min(wait, poll))
            continue
        result = schedule.run()
        if on_run:
            on_run(result)


_threads: dict[str, threading.Thread] = {}
_starting = threading.Lock()


def start_in_background(url: str, every: float, retry_after: float) -> None:
    """The server's refresh thread for `url`, started once per process."""
    with _starting:
        if url in _threads and _threads[url].is_alive():
            return
        thread = threading.Thread(target=loop, args=(Schedule(url, every, retry_after), threading.Event()),
                                  name="meridian-refresh", daemon=True)
        _threads[url] = thread
        thread.start()
