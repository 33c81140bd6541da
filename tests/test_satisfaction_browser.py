"""The satisfaction page in headless Chromium: a click on a cell of the market grid narrows the whole
page to that market, its tabs keep their choices and stay open across a language change, and every tab
in both languages at a desktop and a laptop size (tests/artifacts/)."""

from __future__ import annotations

import pytest

from tests.test_browser import ARTIFACTS, browser, page, server, settle  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

# The grid's pixel position of a market's cell, from plotly's own axes (the chart is drawn in the page).
CELL = """([market, column]) => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')].find(g => g.layout.clickmode === 'event+select');
  gd.scrollIntoView();
  const trace = gd.data[0];
  const i = trace.customdata.findIndex(c => c[0] === market && c[1] === column);
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
  return {x: box.left + xa._offset + xa.d2p(trace.x[i]), y: box.top + ya._offset + ya.d2p(trace.y[i]),
          first: trace.customdata.map(c => c[0]), rows: ya.categoryarray};
}"""


def test_a_click_on_a_grid_cell_narrows_the_page(page: object, server: str) -> None:  # noqa: F811
    page.goto(f"{server}/satisfaction?period=last_12_months")  # type: ignore[attr-defined]
    settle(page)
    everyone = page.locator("[data-kpi='nps'] .mer-value").inner_text()  # type: ignore[attr-defined]
    cell = page.evaluate(CELL, ["BR", "__all__"])  # type: ignore[attr-defined]
    # The planted falling market heads the grid.
    assert cell["rows"][0] == "Brazil"
    page.wait_for_timeout(300)  # type: ignore[attr-defined]
    cell = page.evaluate(CELL, ["BR", "__all__"])  # type: ignore[attr-defined]
    page.mouse.click(cell["x"], cell["y"])  # type: ignore[attr-defined]
    settle(page)
    alerts = " ".join(page.locator("[data-testid='stAlert']").all_inner_texts())  # type: ignore[attr-defined]
    assert "Showing Brazil · All" in alerts
    page.get_by_role("tab", name="Trends").click()  # type: ignore[attr-defined]
    settle(page)
    # Still narrowed in another tab, with the grid's own selection gone with its tab.
    alerts = " ".join(page.locator("[data-testid='stAlert']").all_inner_texts())  # type: ignore[attr-defined]
    assert "Showing Brazil · All" in alerts
    page.get_by_role("tab", name="Unhappy markets").click()  # type: ignore[attr-defined]
    settle(page)
    brazil = page.locator("[data-kpi='nps'] .mer-value").inner_text()  # type: ignore[attr-defined]
    assert brazil != everyone and brazil.lstrip("-−").isdigit() and brazil[0] in "-−"
    page.get_by_role("button", name="Show all").click()  # type: ignore[attr-defined]
    settle(page)
    assert page.locator("[data-kpi='nps'] .mer-value").inner_text() == everyone  # type: ignore[attr-defined]


def test_tabs_keep_choices_and_stay_open_across_languages(page: object, server: str) -> None:  # noqa: F811
    page.goto(f"{server}/satisfaction?period=last_12_months&lang=en")  # type: ignore[attr-defined]
    settle(page)
    page.get_by_role("tab", name="Trends").click()  # type: ignore[attr-defined]
    settle(page)
    page.get_by_label("Split by").click()  # type: ignore[attr-defined]
    page.get_by_role("option", name="Channel").click()  # type: ignore[attr-defined]
    settle(page)
    page.get_by_role("tab", name="Voice of the customer").click()  # type: ignore[attr-defined]
    settle(page)
    assert page.get_by_text("Search the comments").count() == 1  # type: ignore[attr-defined]
    page.get_by_role("tab", name="Own baseline").click()  # type: ignore[attr-defined]
    settle(page)
    page.get_by_label("Language / 语言").click()  # type: ignore[attr-defined]
    page.get_by_role("option", name="中文").click()  # type: ignore[attr-defined]
    settle(page)
    selected = page.locator("[role='tab'][aria-selected='true']").inner_text()  # type: ignore[attr-defined]
    assert selected == "与自身基线比较"
    page.get_by_role("tab", name="趋势").click()  # type: ignore[attr-defined]
    settle(page)
    # The value the page uses, shown in the browser: not the widget's default beside it.
    split = page.get_by_role("combobox", name="拆分维度").input_value()  # type: ignore[attr-defined]
    assert split == "渠道" and page.get_by_text("从时间窗口前半段到后半段").count() == 1  # type: ignore[attr-defined]
    alerts = page.locator("[data-testid='stAlert'], [data-testid='stException']")  # type: ignore[attr-defined]
    assert not [a for a in alerts.all_inner_texts() if "Session State" in a or "Traceback" in a]


def test_a_shared_screen_shows_every_part_and_no_control(page: object, server: str) -> None:  # noqa: F811
    page.goto(f"{server}/satisfaction?kiosk=1&period=last_12_months&lang=en")  # type: ignore[attr-defined]
    settle(page)
    headings = page.locator("[data-testid='stMain'] h3").all_inner_texts()  # type: ignore[attr-defined]
    assert headings == ["Unhappy markets", "Trends", "Own baseline", "Voice of the customer", "Closing the loop",
                        "Satisfaction and money"]
    assert page.get_by_role("tab").count() == 0  # type: ignore[attr-defined]
    # Nobody at the screen can use a control: none shows (the segmented controls once did).
    kinds = ", ".join(f"[data-testid='{kind}']" for kind in ("stButtonGroup", "stSelectbox", "stMultiSelect",
                                                             "stTextInput", "stNumberInput", "stCheckbox"))
    controls = page.locator(f"[data-testid='stMain'] :is({kinds})")  # type: ignore[attr-defined]
    assert controls.count() > 0 and not any(controls.nth(i).is_visible() for i in range(controls.count()))


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_screenshots(browser: object, server: str, lang: str, size: tuple[int, int]) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})  # type: ignore[attr-defined]
    tab = context.new_page()
    tab.goto(f"{server}/satisfaction?period=last_12_months&lang={lang}")
    settle(tab)
    assert tab.locator("[data-testid='stException']").count() == 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    main = "document.querySelector('[data-testid=\"stMain\"]')"
    for number in range(tab.locator("[role='tab']").count()):
        tab.locator("[role='tab']").nth(number).click()
        settle(tab)
        assert tab.locator("[data-testid='stException']").count() == 0
        height = tab.evaluate(f"() => {main}.scrollHeight")
        for part, top in enumerate(range(0, height, size[1] - 80)):
            tab.evaluate(f"() => {main}.scrollTo(0, {top})")
            tab.wait_for_timeout(500)
            tab.screenshot(path=str(ARTIFACTS / f"satisfaction-{lang}-{size[0]}-tab{number}-{part}.png"))
    context.close()
