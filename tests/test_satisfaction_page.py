"""The satisfaction page through the real entrypoint (AppTest) on a tiny CRM with comments and
follow-ups: every part draws, comments are masked for a role without personal-data rights, and a CRM
without comments or follow-up times says what it lacks."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import nav
from dashboard.db import read_only_engine
from dashboard.snapshot import refresh, snapshot_root
from tests import test_voice, tiny
from tests.test_app import APP, TINY_PERIOD, charts

OPEN = "sat_section-open"  # the id of the page's open tab


def frames(comments: bool = True) -> dict[str, pl.DataFrame]:
    base = tiny.tables()
    surveys = test_voice.surveys().with_columns(
        pl.when(pl.col("score") <= 6).then(pl.col("answered_at") + pl.duration(days=1)).alias("followed_up_at"))
    if not comments:
        surveys = surveys.with_columns(pl.lit(None, pl.String).alias("comment"),
                                       pl.lit(None, pl.Datetime).alias("followed_up_at"))
    base["surveys"] = surveys.cast(dict(base["surveys"].schema)).select(base["surveys"].columns)
    return base


def open_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, role: str, comments: bool = True,
              lang: str = "en", section: str = "voice") -> AppTest:
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    tiny.write(url, frames(comments))
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    monkeypatch.setenv("MERIDIAN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MERIDIAN_DEMO", "1")
    refresh(read_only_engine(url), snapshot_root(url))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(TINY_PERIOD | {"lang": lang})
    at.run()
    at.selectbox(key="role").set_value(role).run()
    at.session_state[OPEN] = section
    at.switch_page(nav.page("satisfaction").path).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def comment_texts(at: AppTest) -> list[str]:
    table = next(d.value for d in at.dataframe if "comment" in d.value.columns and "tone" in d.value.columns)
    return table["comment"].tolist()


def test_comments_shown_to_a_role_with_personal_data_rights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(tmp_path, monkeypatch, "admin")
    texts = comment_texts(at)
    assert "O suporte demora dias para responder." in texts and len(texts) == 9
    assert not at.text_input(key="sat_comment_search").disabled


def test_comments_masked_for_the_executive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(tmp_path, monkeypatch, "executive")
    assert set(comment_texts(at)) == {"•••"}
    assert at.text_input(key="sat_comment_search").disabled
    assert any("Comments are personal data" in c.value for c in at.caption)


def test_chinese_page_translates_themes_and_tones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(tmp_path, monkeypatch, "admin", lang="zh-CN")
    table = next(d.value for d in at.dataframe if "tone" in d.value.columns)
    assert set(table["tone"]) <= {"贬损者", "中立者", "推荐者"}
    assert "客服响应速度" in " ".join(table["themes"])
    assert "葡萄牙语" in set(table["language"])


def test_missing_comments_and_follow_ups_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(tmp_path, monkeypatch, "admin", comments=False)
    assert "Needs survey comments" in [i.value for i in at.info]
    at.session_state[OPEN] = "follow_up"
    at.run()
    assert "Needs survey responses with their follow-up time" in [i.value for i in at.info]


def test_the_page_is_in_tabs_and_only_the_open_one_is_drawn(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(tmp_path, monkeypatch, "admin", section="unhappy")
    assert [tab.label for tab in at.main.tabs] == ["Unhappy markets", "Trends", "Own baseline",
                                                   "Voice of the customer", "Closing the loop",
                                                   "Satisfaction and money"]
    # The market grid only: no trend, no table of another tab.
    assert len(charts(at.main)) == 1 and not at.main.dataframe
    assert [len(tab.children) > 0 for tab in at.main.tabs] == [True, False, False, False, False, False]
    at.session_state[OPEN] = "follow_up"
    at.run()
    assert [len(tab.children) > 0 for tab in at.main.tabs] == [False, False, False, False, True, False]
    # The follow-ups by region, and the outcome chart's empty state on so small a CRM.
    assert len(at.main.tabs[4].dataframe) == 1 and at.main.tabs[4].number_input(key="sat_open_days")
    assert any("No detractors with a known outcome" in i.value for i in at.main.tabs[4].info)


def test_a_closed_tab_keeps_its_choices_and_the_open_tab_survives_a_language_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(tmp_path, monkeypatch, "admin", section="trends")
    at.selectbox(key="sat_trend_split").set_value("channel").run()
    at.session_state[OPEN] = "voice"
    at.run()
    at.run()  # a second run with the trends closed: Streamlit would have forgotten an undrawn widget by now
    at.selectbox(key="lang").set_value("zh-CN").run()
    assert at.main.tabs[3].label == "客户之声" and at.main.tabs[3].children
    at.session_state[OPEN] = "trends"
    at.run()
    assert at.selectbox(key="sat_trend_split").value == "channel"
    assert not at.exception and not at.warning


def test_a_shared_screen_shows_every_section(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(tmp_path, monkeypatch, "admin", section="unhappy")
    at.query_params["kiosk"] = "1"
    at.run()
    assert not at.main.tabs
    assert [h.value for h in at.main.subheader] == ["Unhappy markets", "Trends", "Own baseline",
                                                    "Voice of the customer", "Closing the loop",
                                                    "Satisfaction and money"]
