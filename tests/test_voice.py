"""Voice of the customer: theme counting by the dictionaries of data/voice/themes.toml (English, Chinese
after word segmentation, Portuguese), the lowest and newest comments, and masking by role."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import polars as pl
import pytest

from dashboard import roles
from dashboard.demo import COMMENTS_FILE
from dashboard.filters import Filters
from dashboard.snapshot import Snapshot
from queries import voice
from tests import tiny
from tests.conftest import snapshot_of

PERIOD = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31), personal_data=True)

# id, customer, kind, score, comment, language, answered_at
COMMENTS = [
    (1, 1, "NPS", 2, "Support takes days to answer. Too expensive for what it does.", "en", "2026-01-10 09:00"),
    (2, 1, "NPS", 10, "Great quality, very few issues.", "en", "2026-01-20 09:00"),
    (3, 2, "NPS", 3, "客服好几天都不回复。价格太贵了。", "zh-CN", "2026-02-01 09:00"),
    (4, 2, "NPS", 9, "质量很好，几乎没有问题。", "zh-CN", "2026-02-02 09:00"),
    # "客户" alone is no theme word: segmentation keeps 客户经理 (account manager) whole.
    (5, 3, "NPS", 6, "很难联系到客户经理。", "zh", "2026-02-03 09:00"),
    (6, 3, "NPS", 1, "O suporte demora dias para responder.", "pt-BR", "2026-03-01 09:00"),
    (7, 4, "NPS", 8, "Preço justo pelo que entrega.", "pt", "2026-03-02 09:00"),
    (8, 4, "CSAT", 5, "Billing is simple and transparent.", "en", "2026-03-03 09:00"),
    # A language without a dictionary: listed, never counted under a theme.
    (9, 6, "NPS", 4, "Usluga je spora.", "hr", "2026-03-04 09:00"),
    (10, 6, "NPS", 0, None, "en", "2026-03-05 09:00"),
]


def surveys() -> pl.DataFrame:
    return pl.DataFrame([
        {"id": i, "customer_id": c, "kind": k, "score": s, "comment": text, "language": lang, "channel": "email",
         "answered_at": dt.datetime.fromisoformat(at), "ticket_id": None, "followed_up_at": None}
        for i, c, k, s, text, lang, at in COMMENTS])


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    folder = tmp_path_factory.mktemp("voice")
    url = f"sqlite:///{folder / 'crm.sqlite'}"
    frames = tiny.tables()
    frames["surveys"] = surveys().cast(dict(frames["surveys"].schema)).select(frames["surveys"].columns)
    tiny.write(url, frames)
    return snapshot_of(url, folder / "snap")


def test_themes_of_single_comments() -> None:
    frame = voice.with_themes(pl.LazyFrame(
        {"comment": [c[4] for c in COMMENTS[:9]], "language": [c[5] for c in COMMENTS[:9]]})).collect()
    assert frame["themes"].to_list() == [
        ["price", "support_speed"], ["product_quality"], ["price", "support_speed"], ["product_quality"],
        ["communication"], ["support_speed"], ["price"], ["billing"], []]
    assert frame["lang"].to_list()[2:7] == ["zh", "zh", "zh", "pt", "pt"]
    assert frame["price"].to_list()[-1] is None  # no dictionary: unknown, not "no"


def test_chinese_is_matched_word_by_word() -> None:
    assert voice.segment("很难联系到客户经理。").split(voice.WORD_GAP) == ["很难", "联系", "到", "客户经理", "。"]
    # 品质 is not a theme word, and 质量 inside a longer word would not match: whole words only.
    frame = voice.with_themes(pl.LazyFrame({"comment": ["品质一般"], "language": ["zh"]})).collect()
    assert frame["themes"].to_list() == [[]]


def test_dictionaries_recover_the_demo_comments_themes() -> None:
    """Every sentence the demo generator writes falls under its own theme and no other."""
    sentences = [{"language": lang, "comment": s, "truth": theme}
                 for lang, spec in tomllib.loads(COMMENTS_FILE.read_text(encoding="utf-8")).items()
                 for theme, tones in spec.items() if theme != "joiner"
                 for ss in tones.values() for s in ss]
    frame = voice.with_themes(pl.LazyFrame(sentences)).collect()
    wrong = frame.filter(pl.col("themes") != pl.concat_list("truth"))
    assert wrong.is_empty(), wrong.select("language", "comment", "themes").rows()
    assert set(voice.dictionaries()) >= {"en", "zh", "es", "pt", "fr", "de", "ja"}


def test_theme_counts_per_language(src: Snapshot) -> None:
    counts = voice.theme_counts(src, PERIOD)
    def row(lang: str, theme: str) -> tuple[int, int]:
        hit = counts.filter((pl.col("language") == lang) & (pl.col("theme") == theme))
        return hit["comments"][0], hit["of"][0]

    # English: 3 comments (1, 2, 8); Chinese 3 (3, 4, 5); Portuguese 2 (6, 7); Croatian has no dictionary.
    assert row("en", "support_speed") == (1, 3)
    assert row("en", "billing") == (1, 3)
    assert row("zh", "price") == (1, 3)
    assert row("zh", "communication") == (1, 3)
    assert row("pt", "support_speed") == (1, 2)
    assert "hr" not in counts["language"].to_list()


def test_theme_shares_among_detractors_and_promoters(src: Snapshot) -> None:
    shares = {r["theme"]: r for r in voice.theme_by_tone(src, PERIOD).iter_rows(named=True)}
    # NPS comments in a language with a dictionary: detractors 1, 3, 5, 6 (4); promoters 2, 4 (2).
    assert shares["support_speed"]["detractors"] == 4 and shares["support_speed"]["promoters"] == 2
    assert shares["support_speed"]["detractor_share"] == pytest.approx(3 / 4)  # 1, 3, 6
    assert shares["price"]["detractor_share"] == pytest.approx(2 / 4)  # 1, 3
    assert shares["product_quality"]["promoter_share"] == pytest.approx(1.0)
    assert shares["product_quality"]["detractor_share"] == 0


def test_theme_trend_counts_detractor_comments_per_month(src: Snapshot) -> None:
    trend = voice.theme_trend(src, PERIOD).filter(pl.col("theme") == "support_speed")
    # January: comment 1; February: 3 and 5; March: 6 (the Croatian one has no dictionary).
    assert trend.select("comments", "of").rows() == [(1, 1), (1, 2), (1, 1)]


def test_each_text_is_tagged_once_per_snapshot_not_per_filter(src: Snapshot,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A new period or filter looks its comments' themes up: the slow tagging is not done again."""
    tagged: list[int] = []
    original = voice.with_themes
    monkeypatch.setattr(voice, "with_themes", lambda frame: tagged.append(1) or original(frame))
    voice._themes_of_texts.cache_clear()
    voice._tagged.cache_clear()
    quarter = voice.theme_counts(src, PERIOD)
    year = voice.theme_counts(src, Filters(start=dt.date(2025, 4, 1), end=dt.date(2026, 3, 31), personal_data=True))
    assert len(tagged) == 1
    assert quarter["comments"].sum() <= year["comments"].sum()


def test_lowest_and_newest_comments(src: Snapshot) -> None:
    lowest = voice.comments(src, PERIOD, order="lowest")
    assert lowest["score"].to_list()[:3] == [1, 2, 3]  # the empty comment (score 0) is not a comment
    assert lowest.filter(pl.col("kind") == "CSAT")["tone"].to_list() == ["promoter"]
    newest = voice.comments(src, PERIOD)
    assert newest["answered_at"].is_sorted(descending=True) and newest.height == 9
    assert voice.comments(src, PERIOD, search="SUPPORT")["score"].to_list() == [2]
    assert voice.comments(src, PERIOD, themes=("communication",))["language"].to_list() == ["zh"]
    assert voice.comments(src, PERIOD, languages=("pt",)).height == 2


@pytest.mark.parametrize("role_name", sorted(roles.roles()))
def test_comments_masked_for_roles_without_personal_data(src: Snapshot, role_name: str) -> None:
    role = roles.roles()[role_name]
    f = Filters(start=PERIOD.start, end=PERIOD.end, personal_data=role.personal_data)
    shown = voice.comments(src, f)
    if role.personal_data:
        assert "Support takes days to answer. Too expensive for what it does." in shown["comment"].to_list()
    else:
        assert set(shown["comment"].to_list()) == {voice.MASK}
        # A search must not reveal what a masked text says.
        assert voice.comments(src, f, search="no such words").height == shown.height
        assert shown["themes"].list.len().sum() > 0  # themes are counts, not personal data


def test_themes_file_is_valid() -> None:
    data = tomllib.loads(Path(voice.THEMES_FILE).read_text(encoding="utf-8"))
    for lang, spec in data.items():
        assert spec["match"] in ("prefix", "words", "substring"), lang
        assert set(spec) - {"match"} <= set(voice.THEMES), lang
