"""Runs refreshes that stop at a named step: `python -m tests.fault_runner URL BASE CASES.json`.

Each case copies the snapshot folder BASE to its own root, then refreshes it in a forked child that a
step hook kills (SIGKILL), terminates (SIGTERM, handled as `meridian refresh` handles it) or fails with
"no space left on device" at that step. Forking from a process that has imported the libraries but
never run a polars computation (its thread pool must not exist at the fork) makes a case cost
milliseconds instead of an interpreter start. Then each root is refreshed again, without faults, by a
child that first opens the snapshot as a page would. Prints {root: [stop status, repair status]} as JSON.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import sqlalchemy.orm  # noqa: F401  (polars imports it on first read: once here, not in every child)

from dashboard import snapshot
from dashboard.db import read_only_engine

SMALL_BATCHES = 2  # several append batches even on a tiny database
WORKERS = 2 * (os.cpu_count() or 1)  # children spend much of their time waiting on files


def _child(url: str, root: Path, step: str, how: str, full: bool) -> None:
    signal.alarm(60)  # a child that hangs fails its case instead of the suite
    snapshot.BATCH_ROWS = SMALL_BATCHES
    snapshot.exit_on_sigterm()

    def hook(name: str) -> None:
        if name != step:
            return
        if how == "disk":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        os.kill(os.getpid(), signal.SIGKILL if how == "kill" else signal.SIGTERM)

    snapshot.step_hook = hook
    code = 0
    try:
        snapshot.refresh(read_only_engine(url), root, full=full)
    except snapshot.SnapshotError as exc:
        code = 3 if isinstance(exc.__cause__, OSError) and exc.__cause__.errno == errno.ENOSPC else 5
    except SystemExit as exc:
        code = int(exc.code or 0)
    os._exit(code)


def _repair(url: str, root: Path) -> None:
    signal.alarm(60)
    code = 0
    try:
        snapshot.Snapshot.open(root)
        snapshot.refresh(read_only_engine(url), root)
    except snapshot.SnapshotError:
        code = 4
    os._exit(code)


def _in_children(roots: list[str], run: Callable[[str], None]) -> dict[str, int]:
    """Runs `run(root)` in a forked child per root, several at a time; their wait statuses."""
    statuses, running = {}, {}
    for root in roots:
        if len(running) >= WORKERS:
            pid, status = os.wait()
            statuses[running.pop(pid)] = status
        pid = os.fork()
        if pid == 0:
            run(root)
        running[pid] = root
    while running:
        pid, status = os.wait()
        statuses[running.pop(pid)] = status
    return statuses


def main() -> None:
    url, base, cases_file = sys.argv[1:4]
    cases = {case["root"]: case for case in json.loads(Path(cases_file).read_text())}
    for root in cases:
        shutil.copytree(base, root)
    stopped = _in_children(list(cases), lambda root: _child(url, Path(root), cases[root]["step"],
                                                            cases[root]["how"], cases[root]["full"]))
    repaired = _in_children(list(cases), lambda root: _repair(url, Path(root)))
    print(json.dumps({root: [stopped[root], repaired[root]] for root in cases}))


if __name__ == "__main__":
    main()
