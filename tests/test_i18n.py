"""Every UI string has a Simplified Chinese translation; numbers and dates follow the locale."""

from __future__ import annotations

import datetime as dt
import re
import string
import tomllib

import pytest
from babel.messages.extract import extract_from_dir

from dashboard import fmt
from dashboard.demo import INDUSTRIES, REGIONS
from dashboard.filters import SEGMENTS
from dashboard.i18n import catalog, catalog_files, catalog_key, context_translator, read_catalog, translator
from dashboard.paths import PROJECT_ROOT
from dashboard.roles import SHIPPED_ROLES

# Values from the data that the UI shows translated.
# (Meridian's own vocabularies have display names: dashboard/labels.py.) The shipped roles' titles are shown
# translated too.
DATA_MESSAGES = {*SEGMENTS, *INDUSTRIES, *(name for _, _, name, _ in REGIONS),
                 *(role["title"] for role in tomllib.loads(SHIPPED_ROLES.read_text())["roles"].values())}


def ui_messages() -> set[str]:
    found = set(DATA_MESSAGES)
    for folder in ("dashboard", "pages", "queries"):
        for _file, _line, message, _comments, context in extract_from_dir(
                PROJECT_ROOT / folder, method_map=[("**.py", "python")],
                keywords={"t": None, "N_": None, "Nn_": (1, 2), "tn": (1, 2), "pt": ((1, "c"), 2)}):
            # A plural message is translated under its singular form.
            found.add(catalog_key(message if isinstance(message, str) else message[0], context))
    return found


def test_every_ui_string_is_translated() -> None:
    missing = sorted(ui_messages() - set(catalog("zh-CN")))
    assert missing == [], f"no zh-CN translation for: {missing}"


def test_placeholders_survive_translation() -> None:
    fields = string.Formatter()
    for message, translated in catalog("zh-CN").items():
        expected = {f for _, f, _, _ in fields.parse(message) if f}
        assert {f for _, f, _, _ in fields.parse(translated) if f} == expected, message


def test_each_message_translated_in_one_file() -> None:
    seen: dict[str, str] = {}
    twice = []
    for path in catalog_files("zh-CN"):
        for message in read_catalog(path, "zh-CN"):
            if message in seen:
                twice.append(f"{message!r} in {seen[message]} and {path.name}")
            seen[message] = path.name
    assert twice == []


def test_no_stale_translations() -> None:
    assert set(catalog("zh-CN")) - ui_messages() == set()


def test_a_target_at_risk_is_not_a_customer_at_risk() -> None:
    # The same English words: a customer likely to churn (customers page), a target likely to be missed (teams
    # page, whose caption calls it 有风险).
    assert translator("zh-CN")("At risk") == "流失风险"
    assert context_translator("zh-CN")("target status", "At risk") == "有风险"
    assert context_translator("en")("target status", "At risk") == "At risk"
    assert catalog_key("At risk", "target status") in ui_messages()


def test_translator_formats_values() -> None:
    assert translator("zh-CN")("{n} response", n="5") == "5 条回复"
    assert translator("en")("{n} responses", n="5") == "5 responses"


@pytest.mark.parametrize(("lang", "money", "day"), [
    ("en", "$1.23M", "Mar 1, 2026"),
    ("zh-CN", "US$123.5万", "2026年3月1日"),
])
def test_locale_formats(lang: str, money: str, day: str) -> None:
    assert fmt.money(1_234_567, "USD", lang) == money
    assert fmt.date(dt.date(2026, 3, 1), lang) == day
    assert re.fullmatch(r"77[.,]8\s?%", fmt.percent(0.7776, lang))
    assert fmt.count(17132, lang) == "17,132"


def test_a_small_share_is_not_shown_as_none() -> None:
    # 0.5 % rounds to even, 0 %: it is above nothing too.
    assert [fmt.share(v, "en") for v in (0.0, 0.00095, 0.005, 0.0051, 0.25, None)] == ["0%", "<1%", "<1%", "1%",
                                                                                      "25%", "–"]


@pytest.mark.parametrize(("amount", "english", "chinese"), [
    (30_100, "$30.1K", "US$3.01万"),  # a deal size: one significant digit in Chinese without the second place
    (86_000, "$86K", "US$8.6万"),
    (1_069_000, "$1.07M", "US$106.9万"),
    (21_400_000, "$21.4M", "US$2,140万"),
    (214_100_000, "$214.1M", "US$2.14亿"),
    (9_845, "$9,845", "US$9,845"),
])
def test_compact_amounts_keep_three_significant_digits_in_both_languages(amount: int, english: str,
                                                                          chinese: str) -> None:
    assert (fmt.money(amount, "USD", "en"), fmt.money(amount, "USD", "zh-CN")) == (english, chinese)


def test_every_vocabulary_value_has_a_display_name() -> None:
    from dashboard.filters import CHANNELS
    from dashboard.labels import VOCABULARY, label

    t = translator("zh-CN")
    assert set(CHANNELS) <= set(VOCABULARY)
    assert label("email", translator("en"), "en") == "E-mail"
    assert label("reseller", t, "zh-CN") != "reseller" and label(None, t, "zh-CN") == "–"
    assert label("Singapore hub", t, "zh-CN") == "新加坡中心"


def test_every_team_and_office_of_the_demo_has_a_chinese_name() -> None:
    from dashboard.demo import TEAMS
    from dashboard.labels import label

    t = translator("zh-CN")
    untranslated = {name for team in TEAMS for name in (team.name, team.office) if label(name, t, "zh-CN") == name}
    assert not untranslated


def test_a_kpi_sample_takes_the_form_its_count_needs() -> None:
    from dashboard.components import sample_text
    from queries.kpis import KPIS

    deal_size, churn = KPIS["deal_size"], KPIS["churn_rate"]
    assert sample_text(deal_size, 1, "en") == "1 won deal"
    assert sample_text(deal_size, 2, "en") == "2 won deals"
    assert sample_text(churn, 1, "en") == "1 customer active at the start"
    assert sample_text(deal_size, 1_234, "en") == "1,234 won deals"
    assert sample_text(deal_size, 1, "zh-CN") == "1 个赢单"
    assert sample_text(deal_size, None, "en") == ""
