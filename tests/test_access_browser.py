"""Sign-in in the real browser: a deep link survives it, a reload keeps the session, signing out ends it,
and two people with different roles side by side never see each other's numbers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.roles import hash_password
from tests import tiny
from tests.serving import served, server_env
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, LOCAL, settle

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")
PERIOD = "period=custom&from=2026-01-01&to=2026-03-31"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over the tiny CRM, with two password users: an EMEA lead and an executive."""
    folder = tmp_path_factory.mktemp("signed")
    url = f"sqlite:///{folder / 'crm.sqlite'}"
    tiny.write(url)
    users = folder / "users.toml"
    users.write_text(f'[users."li.wei"]\nrole = "lead_emea"\npassword = "{hash_password("s3cret!")}"\n\n'
                     f'[users."ana"]\nrole = "executive"\npassword = "{hash_password("pa55word")}"\n')
    with served(folder, url, env=server_env(folder, MERIDIAN_USERS_FILE=str(users))) as base:
        yield base


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run the README's test command (make test)")
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def open_tab(browser: object) -> object:
    context = browser.new_context(viewport={"width": 1366, "height": 768})  # type: ignore[attr-defined]
    tab = context.new_page()
    tab.requests = []
    tab.on("request", lambda request: tab.requests.append(request.url))
    return tab


def sign_in(tab: object, name: str, password: str) -> None:
    tab.get_by_label("User name").fill(name)  # type: ignore[attr-defined]
    tab.locator("input[type=password]").fill(password)  # type: ignore[attr-defined]
    tab.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]


def revenue(tab: object) -> str:
    tab.wait_for_selector('[data-kpi="revenue"] .mer-value', timeout=60_000)  # type: ignore[attr-defined]
    return tab.locator('[data-kpi="revenue"] .mer-value').inner_text()  # type: ignore[attr-defined]


def test_a_deep_link_survives_sign_in_and_a_reload_keeps_the_session(browser: object, server: str) -> None:
    tab = open_tab(browser)
    tab.goto(f"{server}/map?drill=2/DE&{PERIOD}&lang=en")  # type: ignore[attr-defined]
    settle(tab)
    assert tab.locator("input[type=password]").count() == 1  # type: ignore[attr-defined]
    sign_in(tab, "li.wei", "s3cret!")
    tab.wait_for_function("() => document.querySelector('h1')?.innerText.trim() === 'Germany'",  # type: ignore[attr-defined]
                          timeout=60_000)
    assert "drill=2" in tab.url and "from=2026-01-01" in tab.url  # type: ignore[attr-defined]
    # The session cookie is written by a script the page sends once it is drawn.
    tab.wait_for_function("() => document.cookie.includes('meridian_session=')", timeout=30_000)  # type: ignore[attr-defined]
    tab.reload()  # type: ignore[attr-defined]
    settle(tab)
    assert tab.locator("h1").first.inner_text().strip() == "Germany"  # type: ignore[attr-defined]
    assert tab.locator("input[type=password]").count() == 0  # type: ignore[attr-defined]
    cookies = tab.context.cookies()  # type: ignore[attr-defined]
    tab.get_by_role("button", name="Sign out").click()  # type: ignore[attr-defined]
    tab.wait_for_selector("text=User name", timeout=60_000)  # type: ignore[attr-defined]
    tab.reload()  # type: ignore[attr-defined]
    settle(tab)
    assert tab.locator("input[type=password]").count() == 1  # type: ignore[attr-defined]
    outside = [u for u in tab.requests if not u.startswith(LOCAL)]  # type: ignore[attr-defined]
    tab.context.close()  # type: ignore[attr-defined]
    assert outside == []
    # A copy of the session cookie taken before signing out opens nothing afterwards.
    stolen = browser.new_context()  # type: ignore[attr-defined]
    stolen.add_cookies([c for c in cookies if c["name"] == "meridian_session"])
    thief = stolen.new_page()
    thief.goto(f"{server}/?{PERIOD}&lang=en")
    settle(thief)
    assert thief.locator("input[type=password]").count() == 1
    stolen.close()


def test_two_roles_side_by_side_never_share_numbers(browser: object, server: str) -> None:
    lead, executive = open_tab(browser), open_tab(browser)
    for tab, (name, password) in ((lead, ("li.wei", "s3cret!")), (executive, ("ana", "pa55word"))):
        tab.goto(f"{server}/?{PERIOD}&lang=en")  # type: ignore[attr-defined]
        settle(tab)
        sign_in(tab, name, password)
    # EMEA's revenue is 290; everyone's 1,790 (tests/tiny.py). Back and forth, the caches stay apart.
    for _ in range(2):
        assert revenue(lead) == "$290"
        assert revenue(executive) == "$1,790"
        for tab in (lead, executive):
            tab.reload()  # type: ignore[attr-defined]
            settle(tab)
    for tab in (lead, executive):
        tab.context.close()  # type: ignore[attr-defined]
