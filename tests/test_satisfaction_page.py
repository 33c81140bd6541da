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
from tests.test_app import APP, TINY_PERIOD


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
              lang: str = "en") -> AppTest:
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
    headers = [h.value for h in at.subheader]
    assert headers == ["Where customers are unhappy", "Trends", "Each market against its own baseline",
                       "Voice of the customer", "Closing the loop", "Satisfaction and money"]


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
    notes = [i.value for i in at.info]
    assert "Needs survey comments" in notes
    assert "Needs survey responses with their follow-up time" in notes
