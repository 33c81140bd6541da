"""`meridian serve` in a child process for the browser tests: started on a data folder, waited for until it
answers, stopped at the end. Its output goes to server.log in the folder, and is shown when it exits early."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dashboard.paths import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(folder: Path, **extra: str) -> dict[str, str]:
    """This process's environment for a server on `folder`, without a CRM URL or demo switch of its own."""
    inherited = {k: v for k, v in os.environ.items() if k not in ("CRM_DATABASE_URL", "MERIDIAN_DEMO")}
    return inherited | {"MERIDIAN_DATA_DIR": str(folder)} | extra


@contextmanager
def served(folder: Path, url: str | None = None, demo: bool = False, env: dict[str, str] | None = None,
           wait_seconds: int = 240) -> Iterator[str]:
    """The base address of `meridian [--url URL] serve [--demo]` on `folder`, once it answers."""
    port = free_port()
    command = [sys.executable, "-m", "dashboard.cli", *(["--url", url] if url else []), "serve",
               *(["--demo"] if demo else []), "--port", str(port)]
    with (folder / "server.log").open("w") as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env or server_env(folder), stdout=log,
                                   stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + wait_seconds
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                        break
                except OSError:
                    if process.poll() is not None:
                        pytest.fail("the server exited: " + (folder / "server.log").read_text()[-2000:])
                    if time.time() > deadline:
                        pytest.fail("the server did not start in time")
                    time.sleep(0.5)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
