"""Every page through the real entrypoint with Streamlit's AppTest, on the tiny CRM."""

from __future__ import annotations

import ast
import html
import json
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import nav, plot, preload, roles
from dashboard.db import read_only_engine
from dashboard.paths import PROJECT_ROOT
from dashboard.snapshot import refresh, snapshot_root
from tests import tiny

APP = str(PROJECT_ROOT / "dashboard" / "app.py")
TINY_PERIOD = {"period": "custom", "from": "2026-01-01", "to": "2026-03-31"}


@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    folder = tmp_path_factory.mktemp("app")
    url = f"sqlite:///{folder / 'crm.sqlite'}"
    tiny.write(url)
    return url, folder


def app_on(url: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app on the CRM at `url` (data folder `folder`), its snapshot taken, over the tiny CRM's period."""
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    monkeypatch.setenv("MERIDIAN_DATA_DIR", str(folder))
    # The tiny CRM is not the generated demo: the demo sign-in is asked for, as `meridian serve --demo` does.
    monkeypatch.setenv("MERIDIAN_DEMO", "1")
    refresh(read_only_engine(url), snapshot_root(url))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(TINY_PERIOD)
    return at


@pytest.fixture
def app(crm: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return app_on(*crm, monkeypatch)


def opened(app: AppTest, key: str) -> AppTest:
    """The app switched to the page `key` after its first run, which ran without an exception."""
    app.run()
    app.switch_page(nav.page(key).path).run()
    assert not app.exception, app.exception
    return app


def page_path(spec: nav.PageSpec) -> str:
    return spec.path


def tile(at: AppTest, key: str) -> dict[str, str]:
    """The parts of the KPI tile of registry KPI `key`: label, value, change, note."""
    for element in at.get("html"):
        found = re.search(rf'data-kpi="{key}".*?class="mer-label">(.*?)</div><div class="mer-value">(.*?)</div>'
                          r'<div class="mer-change[^"]*"[^>]*>(.*?)</div><div class="mer-note">(.*?)</div>',
                          element.value, re.S)
        if found:
            label, value, change, note = (html.unescape(part).replace("\xa0", "").strip() for part in found.groups())
            return {"label": label, "value": value, "change": change, "note": note}
    raise AssertionError(f"no tile for {key}")


def metric(at: AppTest, key: str) -> str:
    return tile(at, key)["value"]


def charts(node: Any) -> list[dict]:
    """The plotly figures drawn under an AppTest node (dashboard/plot.py), as plotly.js receives them."""
    sent = [json.loads(part.proto.json) for part in node.get("bidi_component")
            if part.proto.component_name.endswith(plot.COMPONENT)]
    return [json.loads(data["figure"]) for data in sent if data["figure"]]


def shown(markdown: str) -> str:
    """What a Markdown text displays: escaped characters as themselves."""
    return re.sub(r"\\(.)", r"\1", markdown)


@pytest.mark.parametrize("spec", nav.PAGES, ids=lambda p: p.key)
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_page_renders(app: AppTest, spec: nav.PageSpec, lang: str) -> None:
    app.query_params["lang"] = lang
    app.run()
    if spec.right:  # a page that needs a right: as the administrator, who has them all
        app.selectbox(key="role").set_value("admin").run()
    app.switch_page(page_path(spec)).run()
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]
    assert app.title


def test_overview_numbers_and_currency_filter(app: AppTest) -> None:
    app.run()
    assert not app.exception
    assert metric(app, "revenue") == "$1,790"
    assert metric(app, "new_customers") == "2"
    app.selectbox(key="f_currency").set_value("EUR").run()
    assert metric(app, "revenue") == "€1,576"
    assert app.query_params["currency"] == "EUR"


def test_region_filter_changes_numbers_and_url(app: AppTest) -> None:
    app.run()
    app.multiselect(key="f_regions").set_value([2]).run()
    assert metric(app, "revenue") == "$290"
    assert app.query_params["region"] == "2"


def test_url_reproduces_the_view(app: AppTest) -> None:
    app.query_params["currency"] = "EUR"
    app.query_params["region"] = "1"
    app.run()
    assert app.selectbox(key="f_currency").value == "EUR"
    assert app.multiselect(key="f_regions").value == [1]
    assert metric(app, "revenue") == "€1,326"  # 1000 / 1.10 + 500 / 1.20


def test_invalid_parameters_are_dropped_with_a_notice(app: AppTest) -> None:
    app.query_params["currency"] = "XYZ"
    app.query_params["bogus"] = "1"
    app.run()
    assert not app.exception
    assert any("currency=XYZ" in shown(w.value) and "bogus" in w.value for w in app.warning)
    assert app.selectbox(key="f_currency").value == "USD"


def test_a_notice_coming_or_going_leaves_the_elements_below_it_in_their_places(app: AppTest) -> None:
    """The browser redraws an element whose place changed from scratch (a map: a new WebGL context)."""
    def layout() -> list[str]:
        return [child.type for child in app.main.children.values()]

    app.query_params["bogus"] = "1"
    app.run()
    assert app.warning, "the ignored parameter is reported"
    with_notice = layout()
    app.run()  # the notice is shown once
    assert not app.warning
    assert layout() == with_notice


def test_chinese_ui(app: AppTest) -> None:
    app.query_params["lang"] = "zh-CN"
    app.run()
    assert app.title[0].value == "管理层总览"
    assert metric(app, "revenue") == "US$1,790"


def test_regional_lead_sees_only_their_region(app: AppTest) -> None:
    app.run()
    app.selectbox(key="role").set_value("lead_emea").run()
    assert metric(app, "revenue") == "$290"
    assert app.multiselect(key="f_regions").options == ["Europe, Middle East & Africa"]


def test_shared_screen_cannot_open_compliance(app: AppTest) -> None:
    assert nav.page("data_quality") not in nav.pages_for(roles.roles()["team_screen"])
    app.run()
    app.selectbox(key="role").set_value("team_screen").run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page(nav.page("data_quality").path)


def test_empty_period_explains_itself(app: AppTest) -> None:
    app.query_params.update({"from": "2020-01-01", "to": "2020-01-31"})
    app.run()
    assert not app.exception
    assert any("No revenue" in i.value for i in app.info)


def test_future_dates_in_the_link_are_refused(app: AppTest) -> None:
    app.query_params.update({"from": "2030-01-01", "to": "2030-01-31"})
    app.run()
    assert not app.exception
    assert any("from=2030-01-01" in shown(w.value) for w in app.warning)


def test_unreadable_database_is_a_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CRM_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/crm")
    monkeypatch.setenv("MERIDIAN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MERIDIAN_DEMO", "1")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert any("cannot be read" in e.value for e in at.error)


def test_map_drills_into_a_country_from_the_url_and_back(app: AppTest) -> None:
    app.query_params["drill"] = "2/DE"
    app.run()
    app.switch_page(nav.page("map").path).run()
    assert not app.exception
    assert app.title[0].value == "Germany"
    assert metric(app, "revenue") == "$290"
    next(b for b in app.button if b.label == "World").click().run()
    assert app.title[0].value == "World map"
    assert "drill" not in app.query_params  # the starting level has no drill parameter


def test_market_view_draws_only_its_open_tab_and_a_city_has_no_city_ranking(app: AppTest) -> None:
    app.query_params["drill"] = "2/DE"
    app.run()
    app.selectbox(key="role").set_value("admin").run()  # sees cities of any size
    app.switch_page(nav.page("map").path).run()
    assert [tab.label for tab in app.main.tabs] == ["Trends", "Top cities by revenue", "Customer mix",
                                                    "Top customers by revenue", "Reps and partners"]
    assert len(charts(app.main.tabs[0])) == 2 and not app.main.dataframe
    app.session_state["market_section-open"] = "customers"
    app.run()
    assert [len(tab.dataframe) for tab in app.main.tabs] == [0, 0, 0, 1, 0]
    assert not charts(app.main.tabs[0])
    app.selectbox(key="map_city").set_value("City").run()
    assert app.title[0].value == "Germany · City"
    assert "Top cities by revenue" not in [tab.label for tab in app.main.tabs]
    assert [len(tab.dataframe) for tab in app.main.tabs] == [0, 0, 1, 0]  # still the top customers


def test_map_link_outside_the_scope_is_refused(app: AppTest) -> None:
    app.query_params["drill"] = "1/US"
    app.run()
    app.selectbox(key="role").set_value("lead_emea").run()
    app.switch_page(nav.page("map").path).run()
    assert not app.exception
    # A lead's map starts at their region: the link falls back there, with a notice.
    assert shown(app.title[0].value) == "Europe, Middle East & Africa"
    assert any("outside what you may see" in w.value for w in app.warning)


def test_configured_users_sign_in_with_a_password(app: AppTest, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard.roles import hash_password

    users = tmp_path / "users.toml"
    users.write_text(f'[users.li]\nrole = "lead_emea"\npassword = "{hash_password("s3cret")}"\n')
    monkeypatch.setenv("MERIDIAN_USERS_FILE", str(users))
    app.run()
    assert not app.exception
    assert not app.get("html") or not any("data-kpi" in h.value for h in app.get("html"))  # nothing before sign-in
    app.text_input[0].input("li")
    app.text_input[1].input("wrong")
    app.button[0].click().run()
    assert any("wrong password" in e.value for e in app.error)
    app.text_input[1].input("s3cret")
    app.button[0].click().run()
    assert not app.exception
    assert metric(app, "revenue") == "$290"  # EMEA only


def test_pages_folder_is_not_beside_the_entrypoint() -> None:
    # A pages/ folder next to the entrypoint switches Streamlit to its old multipage mode, where a
    # deep link skips the entrypoint (no sign-in, no filters).
    assert not (PROJECT_ROOT / "dashboard" / "pages").exists()
    assert (PROJECT_ROOT / "pages").is_dir()


def test_tiles_show_honest_changes(app: AppTest) -> None:
    app.run()
    revenue = tile(app, "revenue")
    # 1,790 against 800 in the comparison period: +123.75 % (a binary float just under it: 123.7), up is good.
    assert (revenue["value"], revenue["change"]) == ("$1,790", "▲ +123.7%")
    assert 'data-kpi="revenue"' in next(h.value for h in app.get("html") if 'data-kpi="revenue"' in h.value)
    # Six NPS answers now, none before: below the minimum of 30, so no value and no change.
    nps = tile(app, "nps")
    assert (nps["value"], nps["change"], nps["note"]) == ("–", "", "Too few to show: 6 responses (at least 30)")


def test_header_states_scope_and_periods(app: AppTest) -> None:
    app.run()
    caption = shown(app.caption[0].value)
    # Babel's date intervals put thin spaces around the dash.
    assert caption.startswith("All regions · 2 countries · USD · Custom · Jan 1\u2009–\u2009Mar 31, 2026")
    assert "compared with Oct 3\u2009–\u2009Dec 31, 2025" in caption
    app.multiselect(key="f_regions").set_value([2]).run()
    assert shown(app.caption[0].value).startswith("Europe, Middle East & Africa · 1 countries · USD")


def test_a_notice_is_shown_once(app: AppTest) -> None:
    app.query_params["currency"] = "XYZ"
    app.run()
    assert any("currency=XYZ" in shown(w.value) for w in app.warning)
    app.selectbox(key="f_compare").set_value("same_period_last_year").run()
    assert not any("currency=XYZ" in shown(w.value) for w in app.warning)


def test_calendar_period_compares_with_the_previous_unit(app: AppTest) -> None:
    app.query_params.update({"period": "last_month"})
    app.run()
    # The tiny CRM's last complete day is 2 April 2026: last month is March, compared with February.
    caption = shown(app.caption[0].value)
    assert "Last month · Mar 1\u2009–\u200931, 2026 · compared with Feb 1\u2009–\u200928, 2026" in caption


def test_a_page_says_what_the_crm_lacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A CRM without survey responses or partners: those pages say so instead of showing zeros.
    frames = tiny.tables()
    frames["surveys"] = frames["surveys"].clear()
    frames["partners"] = frames["partners"].clear()
    frames["customers"] = frames["customers"].with_columns(partner_id=None)
    frames["orders"] = frames["orders"].with_columns(partner_id=None)
    frames["opportunities"] = frames["opportunities"].with_columns(partner_id=None)
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    tiny.write(url, frames)
    at = app_on(url, tmp_path, monkeypatch).run()
    assert tile(at, "nps")["note"] == "Needs survey responses"
    at.switch_page(page_path(nav.page("satisfaction"))).run()
    assert any("This page needs survey responses" in i.value for i in at.info)
    assert not at.get("html") or not any("data-kpi" in h.value for h in at.get("html"))


def test_orders_without_an_exchange_rate_are_said_not_summed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two orders in Brazilian reais, a currency the CRM has no exchange rate for: revenue says it leaves
    # them out, and shows no change it could not compute honestly.
    frames = tiny.tables()
    frames["orders"] = frames["orders"].with_columns(
        pl.when(pl.col("id").is_in([4, 5])).then(pl.lit("BRL")).otherwise(pl.col("currency")).alias("currency"))
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    tiny.write(url, frames)
    at = app_on(url, tmp_path, monkeypatch).run()
    revenue = tile(at, "revenue")
    # 1,790 less orders 4 and 5 (110 + 120 in USD).
    assert (revenue["value"], revenue["change"]) == ("$1,560", "")
    assert revenue["note"] == "Leaves out 2 orders in BRL: no exchange rate"


def code_scripts(node: Any) -> list[str]:
    """The hidden scripts under an AppTest node that ask for the chart, table and map code (preload)."""
    return [part.value for part in node.get("html") if json.dumps(plot.bundle_url()) in part.value]


def test_a_tab_first_run_asks_for_the_chart_table_and_map_code_hidden_and_later_runs_do_not(app: AppTest) -> None:
    app.run()
    [script] = code_scripts(app.sidebar)
    # Streamlit's own files, named as its build names them: no empty elements stand in for them.
    assert re.search(r'"DataFrame\.[\w-]+\.js"', script) and re.search(r'"DeckGlJsonChart\.[\w-]+\.js"', script)
    assert not app.sidebar.get("dataframe") and not app.sidebar.get("deck_gl_json_chart")
    assert any(preload.STYLE in element.value for element in app.get("html"))
    app.run()
    assert code_scripts(app.sidebar) == []


def test_no_page_shows_a_value_by_magic() -> None:
    """Streamlit's magic is off (.streamlit/config.toml): a value on a line of its own would show nothing."""
    bare = []
    for path in [*sorted((PROJECT_ROOT / "pages").glob("*.py")), Path(APP)]:
        for node in ast.walk(ast.parse(path.read_text())):
            fields = [getattr(node, field, None) for field in ("body", "orelse", "finalbody")]
            body = [statement for found in fields if isinstance(found, list) for statement in found]
            for index, statement in enumerate(body):
                if not isinstance(statement, ast.Expr) or isinstance(statement.value, ast.Call | ast.Await):
                    continue
                docstring = index == 0 and isinstance(statement.value, ast.Constant) and isinstance(
                    statement.value.value, str)
                if not docstring:
                    bare.append(f"{path.name}:{statement.lineno}")
    assert bare == []
