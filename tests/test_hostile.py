"""A CRM whose names carry Markdown, HTML, scripts, remote images, formulas, right-to-left overrides and
10 kB strings renders inertly on every page: nothing is interpreted, nothing leaves the machine, no
script runs, no page breaks."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl
import pytest

from dashboard import nav
from tests import tiny
from tests.serving import served
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, LOCAL, settle

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")

EVIL = "evil.example"
HOSTILE = [
    f"[click](https://{EVIL}/link)", f"![pixel](https://{EVIL}/pixel.png)",
    f"<img src=https://{EVIL}/img.png onerror=alert(1)>", "<script>alert(2)</script>",
    f'=HYPERLINK("https://{EVIL}/cell","x")', "\u202eretteb si siht\u202c", ":red[alarm] **bold** $x^2$",
    "A" * 10_000,
]


def hostile_crm() -> dict[str, pl.DataFrame]:
    """The tiny CRM with every name the viewer reads replaced by a hostile one."""
    frames = tiny.tables()

    def rename(table: str, column: str, offset: int = 0) -> None:
        frame = frames[table]
        values = [HOSTILE[(i + offset) % len(HOSTILE)] for i in range(frame.height)]
        frames[table] = frame.with_columns(pl.Series(column, values, dtype=pl.String))

    rename("regions", "name")
    rename("teams", "name", 2)
    rename("teams", "office", 3)
    rename("teams", "manager", 4)
    rename("reps", "name", 5)
    rename("partners", "name", 1)
    rename("customers", "name")
    rename("customers", "city", 3)
    rename("surveys", "comment", 6)
    rename("orders", "product_line", 2)
    return frames


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("hostile")
    url = f"sqlite:///{folder / 'crm.sqlite'}"
    tiny.write(url, hostile_crm())
    with served(folder, url, demo=True) as base:
        yield base


@pytest.fixture(scope="module")
def tab(server: str) -> Iterator[object]:
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
        page.requests = []
        page.dialogs = []
        page.on("request", lambda request: page.requests.append(request.url))
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        yield page
        browser.close()


INTERPRETED = f"""() => [...document.querySelectorAll('a[href*="{EVIL}"], img[src*="{EVIL}"], script')]
    .filter(e => e.tagName !== 'SCRIPT' || e.textContent.includes('alert')).map(e => e.outerHTML.slice(0, 120))"""


@pytest.mark.parametrize("spec", nav.PAGES, ids=lambda p: p.key)
def test_every_page_shows_hostile_names_as_text(tab: object, server: str, spec: nav.PageSpec) -> None:
    params = "period=custom&from=2026-01-01&to=2026-03-31&lang=en"
    if not spec.right:
        tab.goto(f"{server}/{spec.url_path}?{params}&drill=2/DE")  # type: ignore[attr-defined]
        settle(tab)
    else:  # as the administrator, who may open every page and see every name
        tab.goto(f"{server}/?{params}")  # type: ignore[attr-defined]
        settle(tab)
        tab.get_by_role("combobox", name="Viewing as (demo sign-in)").click()  # type: ignore[attr-defined]
        tab.get_by_role("option", name="Administrator").click()  # type: ignore[attr-defined]
        settle(tab)
        tab.get_by_role("link", name=spec.title, exact=True).click()  # type: ignore[attr-defined]
        settle(tab)
    assert tab.locator("[data-testid='stException']").count() == 0  # type: ignore[attr-defined]
    assert tab.evaluate(INTERPRETED) == []  # type: ignore[attr-defined]
    assert tab.dialogs == []  # type: ignore[attr-defined]
    assert [u for u in tab.requests if not u.startswith(LOCAL)] == []  # type: ignore[attr-defined]


def test_hostile_link_parameters_are_shown_as_text(tab: object, server: str) -> None:
    tab.goto(f"{server}/?currency=[x](https://{EVIL}/c)&region=<img src=https://{EVIL}/r.png>")  # type: ignore[attr-defined]
    settle(tab)
    notice = tab.get_by_text("were not valid and were ignored").inner_text()  # type: ignore[attr-defined]
    # Shown as written (an invisible word joiner keeps the address from becoming a link).
    assert f"currency=[x](https://{EVIL}/c)" in notice.replace("\u2060", "")
    assert tab.evaluate(INTERPRETED) == []  # type: ignore[attr-defined]
    assert [u for u in tab.requests if not u.startswith(LOCAL)] == []  # type: ignore[attr-defined]
