"""Values from the data in Simplified Chinese: the demo's product lines and cities, and the store's own
table and column names, which the data quality page shows."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from dashboard import schema
from dashboard.demo import PRODUCT_LINES, Plan, build_world
from dashboard.i18n import translator
from dashboard.labels import column_name, label, table_name

ZH = "zh-CN"


def untranslated(names: list[str]) -> list[str]:
    t = translator(ZH)
    return sorted({name for name in names if not re.search(r"[\u4e00-\u9fff]", label(name, t, ZH))})


def test_every_product_line_of_the_demo_has_a_chinese_name() -> None:
    assert untranslated(list(PRODUCT_LINES)) == []
    assert label("Analytics", translator("en"), "en") == "Analytics"


def test_every_city_of_the_demo_has_a_chinese_name() -> None:
    world = build_world(Plan(100, 1, dt.date(2026, 3, 31)))
    cities = [city for frame in world.cities.values() for city in frame["city"]]
    assert len(cities) > 900
    assert untranslated(cities) == []


@pytest.mark.parametrize(("city", "chinese"), [
    ("New York City", "纽约"), ("San Diego", "圣迭戈"), ("Medan", "棉兰"), ("Konya", "科尼亚"),
    ("Thuận An", "顺安"), ("Queens", "皇后区"), ("Dallas", "达拉斯"),
    # GeoNames' own were a smaller namesake's (坂井, 涛源), Japanese (横浜) or not the standard name (翡冷翠).
    ("Sakai", "堺"), ("Taoyuan", "桃园"), ("Yokohama", "横滨"), ("Florence", "佛罗伦萨"),
])
def test_cities_have_their_standard_chinese_names(city: str, chinese: str) -> None:
    assert label(city, translator(ZH), ZH) == chinese


def test_every_table_and_column_of_the_store_has_a_name_for_readers() -> None:
    for table in schema.TABLE_ORDER:
        assert table_name(table, "en") != table, table
        assert re.search(r"[\u4e00-\u9fff]", table_name(table, ZH)), table
        for column in schema.metadata.tables[table].columns:
            assert column.name not in {column_name(column.name, "en"), column_name(column.name, ZH)}, column.name
    # "Orders" alone is a count, 订单数: the table is 订单.
    assert (table_name("orders", ZH), table_name("orders", "en")) == ("订单", "Orders")
    assert (column_name("country_iso2", ZH), column_name("country_iso2", "en")) == ("国家代码", "Country code")
