"""Presentation mode and presentation links through the real entrypoint (AppTest), on the tiny CRM."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import stat
from pathlib import Path

import polars as pl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import kiosk, nav, presentation, signing
from tests.test_app import app, crm, metric, shown

SHARED_FIXTURES = (app, crm)  # the tiny CRM and the app of tests/test_app.py
TEAMS = nav.page("teams").path


def test_kiosk_parameters() -> None:
    pages = ["overview", "teams", "satisfaction"]
    show, problems = kiosk.from_params({"kiosk": "1", "rotate": "60", "pages": "teams,satisfaction"}, pages)
    assert show == kiosk.Kiosk(60, ("teams", "satisfaction")) and problems == []
    assert [show.next_page(p) for p in ("teams", "satisfaction", "overview")] == ["satisfaction", "teams", "teams"]
    # A rotation below 5 seconds, and a page the viewer may not open, are refused and named.
    show, problems = kiosk.from_params({"kiosk": "1", "rotate": "1", "pages": "teams,data_quality"}, pages)
    assert show == kiosk.Kiosk(None, ("teams",)) and problems == ["rotate=1", "pages=data_quality"]
    assert show.next_page("teams") is None  # no rotation: the screen stays
    # Rotating without a list goes through every page the viewer may open.
    assert kiosk.from_params({"kiosk": "1", "rotate": "30"}, pages)[0] == kiosk.Kiosk(30, tuple(pages))
    assert kiosk.from_params({"rotate": "30"}, pages) == (None, [])


def test_kiosk_tables_are_plain_escaped_html() -> None:
    html = kiosk.table_html([["<b>Team</b>", "1,234"], [None, ""]], ["Team", "Revenue"], [False, True])
    assert "&lt;b&gt;Team&lt;/b&gt;" in html and "<b>" not in html
    assert html.count("–") == 2 and '<td class="num">1,234</td>' in html
    assert kiosk.number_text(12345, "localized", "zh-CN") == "12,345"
    assert kiosk.number_text(1_234_567.0, "compact", "zh-CN") == "123.5万"
    assert kiosk.number_text(45.0, "%.0f%%", "en") == "45%"
    # A data grid's column labels, number formats and alignment carry over.
    grid = kiosk.grid_table_html(pl.DataFrame({"name": ["Kite"], "orders": [12345]}), {
        "name": "Customer", "orders": st.column_config.NumberColumn("Orders", format="localized")}, "en")
    assert '<th class="">Customer</th><th class="num">Orders</th>' in grid and '<td class="num">12,345</td>' in grid


def test_a_page_in_presentation_mode(app: AppTest) -> None:
    app.query_params.update({"kiosk": "1", "lang": "zh-CN"})
    app.run()
    app.switch_page(TEAMS).run()
    assert not app.exception, app.exception
    assert app.title[0].value == "团队绩效"
    # The filters and the data's age are one line under the title; no widget is drawn on the page.
    assert len(app.caption[0].value.splitlines()) == 1
    assert "数据截至" in app.caption[0].value and "2026" in shown(app.caption[0].value)
    assert not app.get("segmented_control") and not [b for b in app.button if b.label == "刷新数据"]
    # Tables are HTML, which the room's type scale enlarges.
    assert any('class="mer-table"' in h.value for h in app.get("html"))
    assert app.query_params["kiosk"] == "1"  # kept in the link, so a reload stays in presentation mode


def test_invalid_kiosk_parameters_are_named(app: AppTest) -> None:
    app.query_params.update({"kiosk": "1", "rotate": "abc"})
    app.run()
    assert not app.exception
    assert any("rotate=abc" in shown(w.value) for w in app.warning)


def test_team_page_with_a_team_and_its_reps(app: AppTest) -> None:
    app.run()
    app.selectbox(key="role").set_value("admin").run()
    app.switch_page(TEAMS).run()
    app.selectbox(key="team_pick").set_value(1).run()
    assert not app.exception, app.exception
    # Team 1's revenue tile: orders 1 and 2 of rep 1, 1000 + 500.
    assert metric(app, "revenue") == "$1,500"
    assert app.selectbox(key="rep_drill").options == ["Rep One"]
    assert "Presentation links" in [s.value for s in app.subheader]


@pytest.fixture
def link_token(app: AppTest, crm: tuple[str, Path]) -> str:
    """A presentation link for EMEA (region 2) showing the overview and the team page, valid for a day."""
    _, token = presentation.create("Berlin floor", ["EMEA"], ["overview", "teams"],
                                   dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=1), "test")
    return token


def test_a_presentation_link_signs_a_screen_in(app: AppTest, link_token: str) -> None:
    app.query_params.update({"link": link_token})
    app.run()
    assert not app.exception, app.exception
    assert "role" not in [s.key for s in app.selectbox]  # no role picker: the link decides
    # EMEA only: 100 + 100 + 50 EUR at 1.10, 1.20 and 1.20 = 290 USD.
    assert metric(app, "revenue") == "$290"
    assert app.multiselect(key="f_regions").options == ["Europe, Middle East & Africa"]
    # A second run (a reload keeps the link in the address) is still signed in, still in presentation mode.
    app.run()
    assert metric(app, "revenue") == "$290" and app.query_params["link"] == link_token
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page(nav.page("satisfaction").path)  # not one of the link's pages


def test_an_edited_link_is_refused(app: AppTest, link_token: str) -> None:
    body, signature = link_token.split(".")
    forged = presentation._encode(presentation._decode(body).replace(b'["EMEA"]', b'["AMER","EMEA"]')) + "." + signature
    app.query_params.update({"link": forged})
    app.run()
    assert any("not valid" in e.value for e in app.error)
    assert not any("data-kpi" in h.value for h in app.get("html"))  # nothing shown


def test_a_token_signed_with_another_secret_is_refused(link_token: str) -> None:
    body, _ = link_token.split(".")
    foreign = presentation._encode(hmac.new(b"not the server's", body.encode(), hashlib.sha256).digest())
    with pytest.raises(presentation.LinkRefused, match="not valid"):
        presentation.verify(f"{body}.{foreign}")
    assert presentation.verify(link_token).label == "Berlin floor"


def test_a_link_asking_for_more_pages_is_refused(app: AppTest, link_token: str) -> None:
    app.query_params.update({"link": link_token, "pages": "overview,satisfaction"})
    app.run()
    assert any("changed to ask for" in e.value for e in app.error)


def test_a_region_outside_the_link_is_dropped(app: AppTest, link_token: str) -> None:
    app.query_params.update({"link": link_token, "region": "1"})
    app.run()
    assert any("region=1" in shown(w.value) for w in app.warning)
    assert metric(app, "revenue") == "$290"


def test_revoked_and_expired_links(app: AppTest, link_token: str) -> None:
    link = presentation.verify(link_token)
    with pytest.raises(presentation.LinkRefused, match="expired"):
        presentation.verify(link_token, now=link.expires_at)
    presentation.revoke(link.id, "admin")
    app.query_params.update({"link": link_token})
    app.run()
    assert any("revoked" in e.value for e in app.error)


def test_the_secret_is_generated_once_readable_by_its_owner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MERIDIAN_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(signing, "SECRETS_FILE", tmp_path / "no-secrets.toml")
    first = presentation.secret()
    assert len(first) == 64 and presentation.secret() == first
    assert stat.S_IMODE(os.stat(tmp_path / "secret.key").st_mode) == 0o600
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[meridian]\nsecret = "from the operator, at least 32 characters long"\n')
    monkeypatch.setattr(signing, "SECRETS_FILE", secrets)
    assert presentation.secret() == b"from the operator, at least 32 characters long"
    secrets.write_text('[meridian]\nsecret = "short"\n')
    with pytest.raises(signing.SecretError, match="at least 32 characters"):
        presentation.secret()
