"""Signing in through a company identity provider (Streamlit's OIDC sign-in), against a provider running
on this machine: a user of the users file gets their role; someone the provider knows but Meridian does
not is let in nowhere."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.db import read_only_engine
from dashboard.paths import PROJECT_ROOT
from dashboard.snapshot import refresh, snapshot_root
from tests import tiny
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider
from tests.serving import free_port
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, LOCAL, settle

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")


def serve(folder: Path, provider: Provider) -> tuple[subprocess.Popen, str]:
    url = f"sqlite:///{folder / 'crm.sqlite'}"
    tiny.write(url)
    os.environ["MERIDIAN_DATA_DIR"] = str(folder)
    refresh(read_only_engine(url), snapshot_root(url))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    (folder / "users.toml").write_text('[users."ana@example.com"]\nrole = "lead_emea"\nprovider = "company"\n')
    (folder / "secrets.toml").write_text(
        f'[auth]\nredirect_uri = "{base}/oauth2callback"\ncookie_secret = "{"c" * 40}"\n\n'
        f'[auth.company]\nclient_id = "{CLIENT_ID}"\nclient_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{provider.metadata_url}"\n')
    env = {k: v for k, v in os.environ.items() if k != "MERIDIAN_DEMO"} | {
        "CRM_DATABASE_URL": url, "MERIDIAN_DATA_DIR": str(folder), "MERIDIAN_USERS_FILE": str(folder / "users.toml")}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "dashboard" / "app.py"), "--server.port",
         str(port), "--server.address", "127.0.0.1", "--secrets.files", str(folder / "secrets.toml")],
        cwd=PROJECT_ROOT, env=env, stdout=(folder / "server.log").open("w"), stderr=subprocess.STDOUT)
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                return process, base
        except OSError:
            time.sleep(1)
    process.kill()
    pytest.fail("the server did not start: " + (folder / "server.log").read_text()[-2000:])
    raise AssertionError


@pytest.fixture
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run the README's test command (make test)")
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.mark.parametrize(("email", "lets_in"), [("ana@example.com", True), ("mallory@example.com", False)])
def test_sign_in_through_the_identity_provider(browser: object, tmp_path: Path, email: str, lets_in: bool) -> None:
    with Provider(email) as provider:
        process, base = serve(tmp_path, provider)
        try:
            tab = browser.new_context().new_page()  # type: ignore[attr-defined]
            requests: list[str] = []
            tab.on("request", lambda request: requests.append(request.url))
            tab.goto(f"{base}/map?drill=2&period=custom&from=2026-01-01&to=2026-03-31&lang=en")
            settle(tab)
            tab.get_by_role("button", name="Sign in with company").click()
            if lets_in:
                # Back on the page and with the filters the link asked for, as the EMEA lead of the users file.
                tab.wait_for_function("() => location.pathname.endsWith('/map') && location.search.includes("
                                      "'from=2026-01-01')", timeout=60_000)
                settle(tab)
                assert "ana@example.com" in tab.locator("[data-testid='stSidebar']").inner_text().replace("\u2060", "")
                tab.goto(f"{base}/?period=custom&from=2026-01-01&to=2026-03-31&lang=en")
                tab.wait_for_selector('[data-kpi="revenue"] .mer-value', timeout=60_000)
                # EMEA's revenue of the tiny CRM: the provider's user has the EMEA lead's scope.
                assert tab.locator('[data-kpi="revenue"] .mer-value').inner_text() == "$290"
            else:
                tab.wait_for_selector("text=is not a user of Meridian", timeout=60_000)
                assert tab.locator(".mer-tile").count() == 0
            # Only this machine took part: the app and the provider.
            assert all(u.startswith((*LOCAL, provider.base)) for u in requests)
        finally:
            process.terminate()
            process.wait(timeout=30)
