"""The real server in headless Chromium: every page in both languages, a filter change, a copied link,
and not a single request that leaves the machine. Screenshots land in tests/artifacts/."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard import maps, nav, plot, preload
from dashboard.paths import PROJECT_ROOT
from tests.serving import served

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run"]
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`meridian serve` on a fresh data folder: it builds the demo database and snapshot first."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run the README's test command (make test)")
    with served(tmp_path_factory.mktemp("served")) as base:
        yield base


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[object]:
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1920, "height": 1080})  # type: ignore[attr-defined]
    tab = context.new_page()
    tab.requests = []
    tab.on("request", lambda request: tab.requests.append(request.url))
    yield tab
    outside = [url for url in tab.requests if not url.startswith(LOCAL)]
    context.close()
    assert outside == [], f"requests left the machine: {outside}"


def settle(tab: object) -> None:
    """Waits until Streamlit has finished running the script and drawing."""
    tab.wait_for_selector("h1", timeout=120_000)  # type: ignore[attr-defined]
    busy = ("() => !document.querySelector('[data-testid=\"stStatusWidget\"], [data-testid=\"stSkeleton\"], "
            "[data-testid=\"stSpinner\"]')")
    for _ in range(2):  # a rerun can start right after the first one ends
        tab.wait_for_function(busy, timeout=120_000)  # type: ignore[attr-defined]
        tab.wait_for_timeout(1500)  # type: ignore[attr-defined]


def shot(tab: object, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize("spec", nav.PAGES, ids=lambda p: p.key)
def test_every_page_in_both_languages(page: object, server: str, spec: nav.PageSpec, lang: str) -> None:
    page.goto(f"{server}/{spec.url_path}?lang={lang}")  # type: ignore[attr-defined]
    settle(page)
    shot(page, f"{spec.key}-{lang}")
    assert page.locator("[data-testid='stException']").count() == 0  # type: ignore[attr-defined]
    heading = page.locator("h1").first.inner_text()  # type: ignore[attr-defined]
    assert heading.strip()
    if lang == "zh-CN":
        assert any("\u4e00" <= ch <= "\u9fff" for ch in heading), heading


def test_charts_are_drawn_by_the_apps_own_chart_code_in_the_themes_colours(page: object, server: str) -> None:
    page.goto(f"{server}/?lang=en")  # type: ignore[attr-defined]
    settle(page)
    page.wait_for_function("document.querySelectorAll('.mer-chart .main-svg').length >= 3")  # type: ignore[attr-defined]
    requested = page.requests  # type: ignore[attr-defined]
    assert [url for url in requested if url.endswith(plot.bundle_url())] == [f"{server}{plot.bundle_url()}"]
    # Streamlit's own chart element, with plotly.js whole, is never loaded.
    assert not [url for url in requested if "PlotlyChart" in url]
    # Titles in the theme's text colour, axis labels faded (plotly writes a colour as a fill and opacities).
    colours = page.evaluate("""() => [...document.querySelectorAll('.mer-chart')].map(chart => {
        const seen = (text) => { const style = getComputedStyle(text);
            return [style.fill, Number(style.fillOpacity) * Number(style.opacity)]; };
        return [getComputedStyle(chart.parentElement).color, ...seen(chart.querySelector('.gtitle')),
                ...seen(chart.querySelector('.ytick text'))]; })""")  # type: ignore[attr-defined]
    assert len(colours) == 3, colours
    for text, title, title_alpha, tick, tick_alpha in colours:
        assert (title, title_alpha, tick, tick_alpha) == (text, 1, text, 0.6)


def test_a_chart_whose_code_cannot_load_says_so_instead_of_staying_blank(page: object, server: str) -> None:
    page.route(f"**{plot.bundle_url()}", lambda route: route.abort())  # type: ignore[attr-defined]
    page.goto(f"{server}/?lang=zh-CN")  # type: ignore[attr-defined]
    settle(page)
    page.wait_for_function("() => { const charts = [...document.querySelectorAll('.mer-chart')];"  # type: ignore[attr-defined]
                           " return charts.length >= 3 && charts.every((chart) => chart.textContent); }")
    said = page.locator(".mer-chart").all_inner_texts()  # type: ignore[attr-defined]
    assert said == ["无法绘制此图表：图表代码未能加载。请重新加载页面。"] * 3, said


def test_the_chart_code_is_served_as_javascript_and_nothing_outside_its_folder(server: str) -> None:
    with urllib.request.urlopen(f"{server}{plot.bundle_url()}") as response:
        assert response.headers["Content-Type"].split(";")[0] in ("application/javascript", "text/javascript")
        assert response.read() == plot.BUNDLE.read_bytes()
    for outside in ("../app.py", "..%2Fapp.py", "../../.streamlit/config.toml", "../../data/secret.key"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{server}/app/static/{outside}")
        assert refused.value.code in (400, 404)


def test_table_and_map_code_is_asked_for_once_the_page_is_drawn_and_is_ready_for_the_next_page(
        page: object, server: str) -> None:
    table_code, map_code = preload.element_files()
    # When the overview (charts and a map, no table) was complete, by the page's clock.
    page.add_init_script("""new MutationObserver(() => {
        const main = document.querySelector('[data-testid="stMain"]');
        if (!window.merDrawnAt && main && main.querySelectorAll('.mer-chart .main-svg').length >= 3
            && main.querySelector('[data-testid="stDeckGlJsonChart"] canvas')) window.merDrawnAt = performance.now();
    }).observe(document, { subtree: true, childList: true });""")  # type: ignore[attr-defined]
    page.goto(f"{server}/?lang=en")  # type: ignore[attr-defined]
    settle(page)
    asked_at = ("(name) => performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/' + name))"
                ".map((e) => e.startTime)")
    page.wait_for_function(f"() => ({asked_at})({json.dumps(table_code)}).length > 0", timeout=30_000)  # type: ignore[attr-defined]
    [table_asked] = page.evaluate(asked_at, table_code)  # type: ignore[attr-defined]
    assert table_asked > page.evaluate("window.merDrawnAt"), "the table code held up the page"  # type: ignore[attr-defined]
    assert len(page.evaluate(asked_at, map_code)) == 1  # type: ignore[attr-defined]
    page.locator(f'[data-testid="stSidebarNav"] a[href$="/{nav.page("partners").url_path}"]').first.click()  # type: ignore[attr-defined]
    page.wait_for_selector("[data-testid='stMain'] [data-testid='stDataFrame'] canvas", timeout=60_000)  # type: ignore[attr-defined]
    # Streamlit's own import of the table code found the module already there, by the same address.
    assert sum(url.endswith(f"/static/js/{table_code}") for url in page.requests) == 1  # type: ignore[attr-defined]


def choose(tab: object, label: str, option: str, in_link: str) -> None:
    """Picks `option` in the sidebar's select box `label` by typing it, and waits for the page to answer."""
    tab.get_by_label(label).click()  # type: ignore[attr-defined]
    tab.keyboard.type(option)  # type: ignore[attr-defined]
    tab.keyboard.press("Enter")  # type: ignore[attr-defined]
    tab.wait_for_url(f"**{in_link}**", timeout=60_000)  # type: ignore[attr-defined]
    settle(tab)


def test_filter_change_goes_into_a_link_that_reproduces_the_view(page: object, server: str, browser: object) -> None:
    page.goto(f"{server}/")  # type: ignore[attr-defined]
    settle(page)
    choose(page, "Reporting currency", "EUR", "currency=EUR")
    revenue = page.locator(".mer-value").first.inner_text()  # type: ignore[attr-defined]
    assert "€" in revenue
    shot(page, "overview-eur")
    link = page.url  # type: ignore[attr-defined]

    other = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()  # type: ignore[attr-defined]
    other.goto(link)
    settle(other)
    assert other.locator(".mer-value").first.inner_text() == revenue
    shot(other, "overview-from-link")
    other.context.close()


def test_filters_keep_their_values_when_the_language_changes(page: object, server: str) -> None:
    # The browser holds a choice as the label it showed: after a language change, the next click once
    # sent the old label back, and the period fell back to month-to-date, the segment was dropped.
    page.goto(f"{server}/?period=last_12_months&segment=SMB&lang=en")  # type: ignore[attr-defined]
    settle(page)
    choose(page, "Language / 语言", "简体中文", "lang=zh-CN")
    choose(page, "报告币种", "EUR", "currency=EUR")
    assert "period=last_12_months" in page.url and "segment=SMB" in page.url  # type: ignore[attr-defined]
    assert page.get_by_text("最近 12 个月").count() >= 1  # type: ignore[attr-defined]


def test_invalid_link_parameter_shows_a_notice(page: object, server: str) -> None:
    page.goto(f"{server}/?currency=XYZ")  # type: ignore[attr-defined]
    settle(page)
    assert page.get_by_text("currency=XYZ").count() >= 1  # type: ignore[attr-defined]


def test_a_map_opened_from_another_page_is_drawn_once_at_its_size(browser: object, server: str) -> None:
    """Every page reports its width: the map drawn next is fitted to its box at once, not drawn at a guess
    and again when its own probe reports (each drawing is a few hundred kilobytes and a second of the
    browser's time)."""
    tab = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()  # type: ignore[attr-defined]
    maps_sent: list[int] = []
    tab.on("websocket", lambda ws: ws.on("framereceived", lambda payload: maps_sent.append(len(payload))
                                         if len(payload) > 100_000 else None))
    tab.goto(f"{server}/customers?lang=en")
    settle(tab)
    maps_sent.clear()
    tab.locator('[data-testid="stSidebarNav"] a[href$="/map"]').first.click()
    settle(tab)
    fitted = tab.evaluate("() => { const l = document.querySelector('.mer-legend');"
                          " return [Number(l.dataset.fitWidth), l.closest('[data-testid=stVerticalBlock]')"
                          ".getBoundingClientRect().width]; }")
    assert abs(fitted[0] - fitted[1]) <= 8, fitted
    assert len(maps_sent) == 1, maps_sent
    tab.context.close()


def test_click_on_a_country_drills_in_and_the_breadcrumb_leads_back(page: object, server: str) -> None:
    page.goto(f"{server}/map")  # type: ignore[attr-defined]
    settle(page)
    canvas = page.locator("[data-testid='stMain'] [data-testid='stDeckGlJsonChart'] canvas").first  # type: ignore[attr-defined]
    legend = page.locator(".mer-legend")  # type: ignore[attr-defined]
    for attempt in range(3):
        # The view is fitted to the countries in view for the box it is drawn in; the legend records
        # both. Wait until the map is drawn at the width its view was fitted to (the probe's rerun).
        page.wait_for_function("() => { const c = document.querySelector("  # type: ignore[attr-defined]
                               "'[data-testid=\"stMain\"] [data-testid=\"stDeckGlJsonChart\"] canvas');"
                               " const l = document.querySelector('.mer-legend'); return c && l &&"
                               " Math.abs(c.getBoundingClientRect().width - Number(l.dataset.fitWidth)) < 12; }",
                               timeout=60_000)
        settle(page)
        box = canvas.bounding_box()
        bounds = tuple(float(v) for v in legend.get_attribute("data-bounds").split(","))
        view = maps.fit_view(bounds, float(legend.get_attribute("data-fit-width")),
                             float(legend.get_attribute("data-fit-height")))
        # The US centre is 98°W 39°N.
        scale = 2 ** view["zoom"]
        x = box["width"] / 2 + (-98 - view["target"][0]) * scale
        y = box["height"] / 2 - (39 - view["target"][1]) * scale
        # A person's click: move, press, release (deck.gl ignores a bare synthetic click).
        page.mouse.move(box["x"] + x, box["y"] + y)  # type: ignore[attr-defined]
        page.wait_for_timeout(500)  # type: ignore[attr-defined]  # the hover picks the country first
        # Press and release at once: on a busy machine a gap lets deck.gl take the press for a drag.
        page.mouse.down()  # type: ignore[attr-defined]
        page.mouse.up()  # type: ignore[attr-defined]
        try:
            page.wait_for_function("() => decodeURIComponent(location.search).includes('drill=1/US')",  # type: ignore[attr-defined]
                                   timeout=20_000)
            break
        except playwright.Error:
            if attempt == 2:
                raise
    settle(page)
    assert page.locator("h1").first.inner_text().strip() == "United States"  # type: ignore[attr-defined]
    shot(page, "map-drilled-us")
    page.get_by_role("button", name="World").click()  # type: ignore[attr-defined]
    page.wait_for_function("() => document.querySelector('h1')?.innerText.trim() === 'World map'",  # type: ignore[attr-defined]
                           timeout=60_000)
