"""A shared screen in headless Chromium, with nobody touching it: the playlist moves on by itself, new data
appears by itself, a presentation link stays signed in across a reload and refuses an edited address.
Screenshots of presentation mode at 1280×720 and 1920×1080 in both languages land in tests/artifacts/."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dashboard import presentation
from dashboard.paths import PROJECT_ROOT
from dashboard.roles import hash_password
from tests import serving, tiny
from tests.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, settle

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")

REFRESH_SECONDS = 2


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """`meridian serve` on the tiny CRM, with users who must sign in (so only a link can skip it) and a
    screen that looks for new data every 2 seconds."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run the README's test command (make test)")
    folder = tmp_path_factory.mktemp("kiosk")
    url = f"sqlite:///{folder / 'crm.sqlite'}"
    tiny.write(url)
    (folder / "settings.toml").write_text(f"[kiosk]\nrefresh_seconds = {REFRESH_SECONDS}\n")
    (folder / "users.toml").write_text(f'[users.li]\nrole = "admin"\npassword = "{hash_password("s3cret")}"\n')
    env = serving.server_env(folder, MERIDIAN_SETTINGS_FILE=str(folder / "settings.toml"),
                     MERIDIAN_USERS_FILE=str(folder / "users.toml"))
    with serving.served(folder, url, env=env, wait_seconds=120) as base:
        yield {"base": base, "url": url, "folder": folder, "env": env}


@contextmanager
def data_folder(served: dict) -> Iterator[None]:
    """This process works on the server's state database and secret meanwhile."""
    previous = os.environ.get("MERIDIAN_DATA_DIR")
    os.environ["MERIDIAN_DATA_DIR"] = str(served["folder"])
    try:
        yield
    finally:
        if previous is None:
            del os.environ["MERIDIAN_DATA_DIR"]
        else:
            os.environ["MERIDIAN_DATA_DIR"] = previous


@pytest.fixture(scope="module")
def link(served: dict) -> str:
    """A presentation link for every region, the overview and the team page, valid for a day."""
    with data_folder(served):
        _, token = presentation.create("Sales floor", [], ["overview", "teams"],
                                       dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=1), "test")
    return token


@pytest.fixture(scope="module")
def browser(served: dict) -> Iterator[object]:
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def screen(browser: object, width: int = 1280, height: int = 720) -> object:
    return browser.new_context(viewport={"width": width, "height": height}).new_page()  # type: ignore[attr-defined]


def wait_for_heading(tab: object, text: str, seconds: float) -> None:
    tab.wait_for_function("(text) => [...document.querySelectorAll('h1')].some(h => h.innerText.trim() === text)",  # type: ignore[attr-defined]
                          arg=text, timeout=seconds * 1000)


def test_the_playlist_moves_on_by_itself(browser: object, served: dict, link: str) -> None:
    tab = screen(browser)
    tab.goto(f"{served['base']}/?link={link}&rotate=5&pages=overview,teams&lang=en")  # type: ignore[attr-defined]
    wait_for_heading(tab, "Executive overview", 60)
    wait_for_heading(tab, "Team performance", 60)
    assert "/teams" in tab.url and f"link={link}" in tab.url  # type: ignore[attr-defined]
    wait_for_heading(tab, "Executive overview", 60)
    tab.context.close()  # type: ignore[attr-defined]


def test_a_page_taller_than_the_screen_scrolls_by_itself(browser: object, served: dict, link: str) -> None:
    tab = screen(browser)
    tab.goto(f"{served['base']}/teams?link={link}&lang=en")  # type: ignore[attr-defined]
    wait_for_heading(tab, "Team performance", 60)
    tab.wait_for_function("() => document.querySelector('[data-testid=stMain]').scrollTop > 100",  # type: ignore[attr-defined]
                          timeout=30_000)
    tab.context.close()  # type: ignore[attr-defined]


def test_new_data_appears_without_a_click(browser: object, served: dict, link: str) -> None:
    tab = screen(browser)
    tab.goto(f"{served['base']}/?link={link}&lang=en")  # type: ignore[attr-defined]
    wait_for_heading(tab, "Executive overview", 60)
    caption = tab.get_by_text("Data as of").first  # type: ignore[attr-defined]
    before = caption.inner_text(timeout=60_000)
    revenue = tab.locator("[data-kpi='revenue'] .mer-value").inner_text()  # type: ignore[attr-defined]
    time.sleep(1.1)  # the refresh time is shown to the second
    # Written now, so the incremental refresh (by `updated_at`) reads it.
    written = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    with sqlite3.connect(served["url"].removeprefix("sqlite:///")) as crm:
        crm.execute("INSERT INTO orders (id, customer_id, rep_id, partner_id, amount, currency, ordered_at, "
                    "product_line, status, updated_at) VALUES (99, 6, 1, NULL, 1000, 'USD', '2026-03-30 10:00:00', "
                    "'Platform', 'won', ?)", (written,))
    subprocess.run([sys.executable, "-m", "dashboard.cli", "--url", served["url"], "refresh"], cwd=PROJECT_ROOT,
                   env=served["env"], check=True, capture_output=True)
    tab.wait_for_function(  # type: ignore[attr-defined]
        "(before) => [...document.querySelectorAll('[data-testid=stCaptionContainer]')]"
        ".some(c => c.innerText.includes('Data as of') && !c.innerText.includes(before.split('Data as of')[1]))",
        arg=before, timeout=30_000)
    # The default period (the last 90 days up to 2 April 2026) now holds the new order: 1,000 USD more.
    tab.wait_for_function("(before) => document.querySelector(\"[data-kpi='revenue'] .mer-value\").innerText "  # type: ignore[attr-defined]
                          "!== before", arg=revenue, timeout=30_000)
    tab.context.close()  # type: ignore[attr-defined]


def test_a_reload_keeps_the_link_signed_in(browser: object, served: dict, link: str) -> None:
    tab = screen(browser)
    tab.goto(f"{served['base']}/teams?link={link}&lang=zh-CN")  # type: ignore[attr-defined]
    wait_for_heading(tab, "团队绩效", 60)
    tab.reload()  # type: ignore[attr-defined]
    wait_for_heading(tab, "团队绩效", 60)
    assert tab.get_by_text("登录").count() == 0  # type: ignore[attr-defined]
    # Without the link, the same server asks for a password.
    tab.goto(f"{served['base']}/teams?lang=en")  # type: ignore[attr-defined]
    tab.get_by_text("Sign in").first.wait_for(timeout=60_000)  # type: ignore[attr-defined]
    tab.context.close()  # type: ignore[attr-defined]


def test_a_revoked_link_signs_its_screen_out_by_itself(browser: object, served: dict) -> None:
    with data_folder(served):
        link, token = presentation.create("Lobby", [], ["overview"], dt.datetime.now(dt.UTC).replace(tzinfo=None)
                                          + dt.timedelta(days=1), "test")
    tab = screen(browser)
    tab.goto(f"{served['base']}/?link={token}&lang=en")  # type: ignore[attr-defined]
    wait_for_heading(tab, "Executive overview", 60)
    settle(tab)
    with data_folder(served):
        presentation.revoke(link.id, "admin")
    tab.get_by_text("This presentation link was revoked").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    tab.context.close()  # type: ignore[attr-defined]


def test_an_edited_link_is_refused(browser: object, served: dict, link: str) -> None:
    tab = screen(browser)
    body, signature = link.split(".")
    forged = presentation._encode(presentation._decode(body).replace(b'"pages":["overview","teams"]',
                                                                    b'"pages":["overview","teams","customers"]'))
    tab.goto(f"{served['base']}/?link={forged}.{signature}&lang=en")  # type: ignore[attr-defined]
    tab.get_by_text("This presentation link is not valid").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    assert tab.locator("h1").count() == 0  # type: ignore[attr-defined]
    tab.goto(f"{served['base']}/?link={link}&pages=overview,customers&lang=en")  # type: ignore[attr-defined]
    tab.get_by_text("does not allow what its address was changed").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    tab.context.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1920, 1080)])
def test_screenshots_for_the_back_of_the_room(browser: object, served: dict, link: str, lang: str, width: int,
                                              height: int) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab = screen(browser, width, height)
    tab.goto(f"{served['base']}/teams?link={link}&lang={lang}")  # type: ignore[attr-defined]
    wait_for_heading(tab, "Team performance" if lang == "en" else "团队绩效", 60)
    settle(tab)  # the screen's style comes with the page's run
    tab.screenshot(path=str(ARTIFACTS / f"kiosk-teams-{lang}-{width}x{height}.png"))  # type: ignore[attr-defined]
    # Nothing of the sidebar, the toolbar or a widget shows; the text is larger than the app's usual 16 px.
    assert not tab.locator("[data-testid='stSidebar']").is_visible()  # type: ignore[attr-defined]
    assert not tab.locator("[data-testid='stToolbar']").is_visible()  # type: ignore[attr-defined]
    zoom = tab.evaluate("getComputedStyle(document.querySelector('[data-testid=stMainBlockContainer]')).zoom")  # type: ignore[attr-defined]
    assert float(zoom) > 1
    tab.context.close()  # type: ignore[attr-defined]
