"""Every page at every desktop size in both languages, read the way a person reads it, and the map's
navigation. One server for the module; one browser tab per page and language, resized in place (a
resize is what a person does, and it is cheaper than a new session).

What fails the sweep, per page × {1920×1080, 1366×768, 1280×720} × {en, zh-CN}:
- a KPI value (`.mer-value`) cut or broken over two lines: its text is wider than its box
  (scrollWidth > clientWidth) or taller than one line;
- a table header cut. st.dataframe draws on a canvas, so this is checked through a DOM proxy: columns
  without a set width are sized by the grid to their header and cells, and a header is cut only where
  the columns do not fit the table's box — so the grid's scroller must not be wider inside than its box,
  and every column must be drawn (the ARIA grid's `aria-colcount` equals its rendered headers). A table
  that scrolls inside (taller inside than its box) fails too;
- "None", "nan" or "null" on the page; a raw value in a table cell (the ARIA grid's cells): a vocabulary
  value (email, silver, onboarding) or an ISO country code shown as itself, and in Chinese a value left in
  English that has a Chinese name (a channel, a team, a city);
- a map whose canvas is cut by its container, or whose view was fitted to another width than it is drawn
  at (the legend records the box the view was fitted to).

Screenshots of every page, size and language land in tests/artifacts/sweep/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from dashboard import labels, nav, roles
from dashboard.i18n import translator
from dashboard.paths import PROJECT_ROOT
from tests.test_browser import CHROMIUM_ARGS, LOCAL, browser, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")

SIZES = ((1920, 1080), (1366, 768), (1280, 720))
LANGS = ("en", "zh-CN")
SHOTS = PROJECT_ROOT / "tests" / "artifacts" / "sweep"
MISSING_WORDS = re.compile(r"\b(None|nan|NaN|null)\b")
RUNNING = ("() => !document.querySelector('[data-testid=\"stStatusWidget\"], [data-testid=\"stSkeleton\"], "
           "[data-testid=\"stSpinner\"]')")

INSPECT = """() => {
  const problems = [];
  const main = document.querySelector('[data-testid="stMainBlockContainer"]');
  const page = main.getBoundingClientRect();
  for (const value of main.querySelectorAll('.mer-value')) {
    const style = getComputedStyle(value);
    const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.2;
    const label = value.closest('.mer-tile').querySelector('.mer-label').innerText;
    if (value.scrollWidth > value.clientWidth + 1) problems.push(`tile value cut: ${label} = ${value.innerText}`);
    if (value.getBoundingClientRect().height > line * 1.5)
      problems.push(`tile value on two lines: ${label} = ${value.innerText}`);
  }
  const cells = [];
  for (const grid of main.querySelectorAll('[data-testid="stDataFrame"]')) {
    const table = grid.querySelector('table[role="grid"]');
    const scroller = grid.querySelector('.dvn-scroller');
    if (!table || !scroller) continue;
    const headers = [...table.querySelectorAll('th')].map(th => th.innerText.trim());
    const name = headers.slice(0, 3).join(' | ');
    if (scroller.scrollWidth > scroller.clientWidth + 1)
      problems.push(`table wider than its box (${scroller.scrollWidth} > ${scroller.clientWidth} px): ${name}`);
    if (scroller.scrollHeight > scroller.clientHeight + 1) problems.push(`table scrolls inside: ${name}`);
    if (Number(table.getAttribute('aria-colcount')) !== headers.length)
      problems.push(`table columns not all drawn: ${name}`);
    if (grid.getBoundingClientRect().right > page.right + 1) problems.push(`table wider than the page: ${name}`);
    for (const cell of table.querySelectorAll('td')) cells.push([name, cell.innerText.trim()]);
  }
  for (const deck of main.querySelectorAll('[data-testid="stDeckGlJsonChart"]')) {
    const canvas = deck.querySelector('canvas');
    if (!canvas) { problems.push('map without a canvas'); continue; }
    const c = canvas.getBoundingClientRect(), d = deck.getBoundingClientRect();
    if (c.left < d.left - 1 || c.right > d.right + 1 || c.top < d.top - 1 || c.bottom > d.bottom + 1
        || c.right > page.right + 1) problems.push('map canvas cut by its container');
    const legend = deck.closest('[data-testid="stVerticalBlock"]').querySelector('.mer-legend');
    if (!legend) { problems.push('map without a legend'); continue; }
    const fitted = Number(legend.dataset.fitWidth);
    if (Math.abs(fitted - c.width) > 12) problems.push(`map view fitted for ${fitted} px, drawn at ${c.width} px`);
  }
  return { problems, cells, text: main.innerText };
}"""


# Every map of the page drawn at the width its view was fitted for.
MAPS_FITTED = """() => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stDeckGlJsonChart"]')]
  .every(deck => { const canvas = deck.querySelector('canvas');
    const legend = deck.closest('[data-testid="stVerticalBlock"]').querySelector('.mer-legend');
    return canvas && legend
      && Math.abs(Number(legend.dataset.fitWidth) - canvas.getBoundingClientRect().width) <= 12; })"""


def quiet(tab: object) -> None:
    """Waits until the app has stopped running and drawing (a resize may rerun it: the map's probe)."""
    tab.wait_for_selector("h1", timeout=120_000)  # type: ignore[attr-defined]
    for _ in range(2):
        tab.wait_for_timeout(700)  # type: ignore[attr-defined]
        tab.wait_for_function(RUNNING, timeout=120_000)  # type: ignore[attr-defined]
    # After a resize, the map's probe reports the new width and the page runs again for it; on a busy
    # machine that can come after the waits above. A map still drawn for the old width after this is
    # reported by problems_on.
    try:
        tab.wait_for_function(MAPS_FITTED, timeout=30_000)  # type: ignore[attr-defined]
        tab.wait_for_function(RUNNING, timeout=120_000)  # type: ignore[attr-defined]
    except playwright.Error:
        pass
    tab.wait_for_timeout(500)  # type: ignore[attr-defined]


def raw_values(lang: str) -> tuple[set[str], set[str]]:
    """Values that must never be shown as themselves in `lang`: (raw, untranslated)."""
    t = translator(lang)
    raw = {value for value, name in labels.VOCABULARY.items() if t(name) != value}
    from dashboard.maps import country_codes

    raw |= country_codes()
    untranslated: set[str] = set()
    if lang != "en":
        english = translator("en")
        untranslated = {english(name) for name in labels.VOCABULARY.values() if t(name) != english(name)}
        untranslated |= {name for name, shown in labels.company_names(lang).items() if shown != name}
    return raw, untranslated


def problems_on(tab: object, lang: str) -> list[str]:
    seen = tab.evaluate(INSPECT)  # type: ignore[attr-defined]
    problems = list(seen["problems"])
    problems += [f"shows {m.group()!r}" for m in MISSING_WORDS.finditer(seen["text"])][:3]
    raw, untranslated = raw_values(lang)
    for table, cell in seen["cells"]:
        if cell in raw:
            problems.append(f"raw value {cell!r} in table {table}")
        elif cell in untranslated:
            problems.append(f"untranslated {cell!r} in table {table}")
    return problems


def shot(tab: object, name: str) -> None:
    """The whole page: the viewport made as tall as the page for the picture, then put back."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = tab.viewport_size  # type: ignore[attr-defined]
    tall = tab.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")  # type: ignore[attr-defined]
    tab.set_viewport_size({"width": size["width"], "height": max(size["height"], int(tall))})  # type: ignore[attr-defined]
    tab.wait_for_timeout(400)  # type: ignore[attr-defined]
    tab.screenshot(path=str(SHOTS / f"{name}.png"))  # type: ignore[attr-defined]
    tab.set_viewport_size(size)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def context(browser: object) -> Iterator[object]:  # noqa: F811
    """One browser context for the sweep, with a guard on every request."""
    made = browser.new_context(viewport={"width": SIZES[0][0], "height": SIZES[0][1]})  # type: ignore[attr-defined]
    made.outside = []
    made.on("request", lambda request: made.outside.append(request.url)
            if not request.url.startswith(LOCAL) else None)
    yield made
    made.close()
    assert made.outside == [], f"requests left the machine: {made.outside}"


def open_page(tab: object, base: str, spec: nav.PageSpec, lang: str) -> None:
    """Opens the page as a viewer who may see it: a page that needs a right the default role lacks is
    reached through the sidebar once the demo's role picker is set to a role with that right (a link
    would start a new session, back on the default role, and find no such page)."""
    t = translator(lang)
    if roles.roles()[roles.DEFAULT_ROLE].can(spec.right):
        tab.goto(f"{base}/{spec.url_path}?lang={lang}")  # type: ignore[attr-defined]
        return
    role = next(r for r in roles.roles().values() if r.can(spec.right))
    tab.goto(f"{base}/?lang={lang}")  # type: ignore[attr-defined]
    quiet(tab)
    sidebar = tab.get_by_test_id("stSidebar")  # type: ignore[attr-defined]
    sidebar.get_by_role("combobox", name=t("Viewing as (demo sign-in)")).click()
    tab.get_by_role("option", name=t(role.title), exact=True).click()  # type: ignore[attr-defined]
    quiet(tab)
    sidebar.locator(f'[data-testid="stSidebarNav"] a[href$="/{spec.url_path}"]').first.click()
    tab.wait_for_function(f"() => location.pathname.endsWith('/{spec.url_path}')")  # type: ignore[attr-defined]
    quiet(tab)
    assert heading(tab) == t(spec.title)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("spec", nav.PAGES, ids=lambda p: p.key)
def test_page_reads_right_at_every_size(context: object, server: str, spec: nav.PageSpec,  # noqa: F811
                                        lang: str) -> None:
    tab = context.new_page()  # type: ignore[attr-defined]
    found: dict[str, list[str]] = {}
    try:
        for index, (width, height) in enumerate(SIZES):
            tab.set_viewport_size({"width": width, "height": height})
            if index == 0:
                open_page(tab, server, spec, lang)
            quiet(tab)
            assert tab.locator("[data-testid='stException']").count() == 0
            problems = problems_on(tab, lang)
            shot(tab, f"{spec.key}-{width}x{height}-{lang}")
            if problems:
                found[f"{width}x{height}"] = problems
    finally:
        tab.close()
    assert found == {}, found


def drill_level(tab: object) -> str:
    return tab.evaluate("() => new URLSearchParams(location.search).get('drill') || ''")  # type: ignore[attr-defined]


def heading(tab: object) -> str:
    return tab.locator("h1").first.inner_text().strip()  # type: ignore[attr-defined]


def pick(tab: object, label: str, option: str) -> None:
    """Chooses `option` in the main area's select box labelled `label`."""
    main = tab.get_by_test_id("stMainBlockContainer")  # type: ignore[attr-defined]
    main.get_by_label(label, exact=True).click()
    tab.get_by_role("option", name=option, exact=True).click()  # type: ignore[attr-defined]
    quiet(tab)


def test_back_forward_and_breadcrumb_move_through_the_drill_levels(context: object, server: str) -> None:  # noqa: F811
    tab = context.new_page()  # type: ignore[attr-defined]
    tab.set_viewport_size({"width": 1366, "height": 768})
    tab.goto(f"{server}/map?lang=en")
    quiet(tab)
    assert (heading(tab), drill_level(tab)) == ("World map", "")
    steps = [("Region", "Asia Pacific", ("Asia Pacific", "3")), ("Open a country", "Japan", ("Japan", "3/JP")),
             ("Open a city", "Tokyo", ("Japan · Tokyo", "3/JP/Tokyo"))]
    for label, option, expected in steps:
        entries = tab.evaluate("() => history.length")
        pick(tab, label, option)
        assert (heading(tab), drill_level(tab)) == expected
        # One step a click, also once the page has run again (here: the window resized, and the map's
        # probe reports it): the controls of the level left behind must not move the URL again.
        tab.set_viewport_size({"width": 1366 - 40 * len(expected[1]), "height": 768})
        quiet(tab)
        assert (heading(tab), drill_level(tab), tab.evaluate("() => history.length")) == (*expected, entries + 1)
    # The city level narrows the tiles: Tokyo's revenue is part of Japan's.
    city_revenue = tab.locator(".mer-tile[data-kpi='revenue'] .mer-value").inner_text()
    shot(tab, "drill-city")
    for expected in [("Japan", "3/JP"), ("Asia Pacific", "3"), ("World map", "")]:
        tab.go_back()
        quiet(tab)
        assert (heading(tab), drill_level(tab)) == expected
    for expected in [("Asia Pacific", "3"), ("Japan", "3/JP")]:
        tab.go_forward()
        quiet(tab)
        assert (heading(tab), drill_level(tab)) == expected
    assert tab.locator(".mer-tile[data-kpi='revenue'] .mer-value").inner_text() != city_revenue
    # The breadcrumb leads up from every level; each step is a history entry too.
    main = tab.get_by_test_id("stMainBlockContainer")
    main.get_by_role("button", name="Asia Pacific", exact=True).click()
    quiet(tab)
    assert (heading(tab), drill_level(tab)) == ("Asia Pacific", "3")
    main.get_by_role("button", name="World", exact=True).click()
    quiet(tab)
    assert (heading(tab), drill_level(tab)) == ("World map", "")
    tab.go_back()
    quiet(tab)
    assert drill_level(tab) == "3"
    tab.close()


def test_a_lead_starts_at_their_region(context: object, server: str) -> None:  # noqa: F811
    tab = context.new_page()  # type: ignore[attr-defined]
    tab.set_viewport_size({"width": 1280, "height": 720})
    tab.goto(f"{server}/map?lang=en")
    quiet(tab)
    tab.get_by_test_id("stSidebar").get_by_role("combobox", name="Viewing as (demo sign-in)").click()
    tab.keyboard.type("Asia Pacific")
    tab.keyboard.press("Enter")
    quiet(tab)
    assert heading(tab) == "Asia Pacific"
    # Its first view is fitted to the region's countries: Asia and Oceania, not the world.
    west, south, east, north = map(float, tab.locator(".mer-legend").get_attribute("data-bounds").split(","))
    assert west > 60 and east < 180 and south > -50 and north < 50
    assert problems_on(tab, "en") == []
    shot(tab, "lead-apac-map")
    tab.close()


def test_phone_layout(context: object, server: str) -> None:  # noqa: F811
    tab = context.new_page()  # type: ignore[attr-defined]
    tab.set_viewport_size({"width": 390, "height": 844})
    tab.goto(f"{server}/?lang=zh-CN")
    quiet(tab)
    tops = tab.evaluate("() => [...document.querySelectorAll('.mer-tile')]"
                        ".map(t => Math.round(t.getBoundingClientRect().top))")
    assert len(tops) >= 4 and tops[0] == tops[1] and tops[2] > tops[1], tops  # two tiles a row
    canvas = tab.locator("[data-testid='stMain'] [data-testid='stDeckGlJsonChart'] canvas").first.bounding_box()
    assert canvas["x"] >= 0 and canvas["x"] + canvas["width"] <= 390 + 1
    assert canvas["height"] <= 844 * 0.6
    assert tab.evaluate("() => document.documentElement.scrollWidth") <= 390
    shot(tab, "overview-phone-zh-CN")
    tab.close()


def test_dark_theme_draws_no_data_grey(context: object, server: str) -> None:  # noqa: F811
    from dashboard import theme

    tab = context.new_page()  # type: ignore[attr-defined]
    tab.set_viewport_size({"width": 1366, "height": 768})
    tab.goto(f"{server}/map?lang=en&embed_options=dark_theme")
    quiet(tab)
    legend = tab.locator(".mer-legend")
    assert legend.get_attribute("data-theme") == "dark"
    swatch = legend.locator(".mer-swatch").evaluate("e => getComputedStyle(e).backgroundColor")
    grey = theme.MAP_SCALES["dark"]["no_data"]
    assert swatch == "rgb({}, {}, {})".format(*(int(grey[i:i + 2], 16) for i in (1, 3, 5)))
    shot(tab, "map-dark")
    tab.close()
