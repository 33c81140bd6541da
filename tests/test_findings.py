"""What would make numbers wrong, found in a CRM built to have each problem once."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import text

from dashboard import nav, schema
from dashboard.db import writable_engine
from dashboard.filters import Filters, Scope
from dashboard.snapshot import Snapshot
from queries import findings
from tests import tiny
from tests.conftest import snapshot_of
from tests.test_app import app_on

PERIOD = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31))


@pytest.fixture(scope="module")
def flawed_crm(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """URL and folder of the tiny CRM with: order 4 in reais (no rate), order 5 spelt "Closed Won", order 6 by rep 99
    (there is none), ticket 1 of customer 77 (there is none either), ticket 2 of priority "P0", and
    interaction 2 given twice."""
    folder = tmp_path_factory.mktemp("flawed")
    frames = tiny.tables()
    orders = frames["orders"]
    frames["orders"] = orders.with_columns(
        pl.when(pl.col("id") == 4).then(pl.lit("BRL")).otherwise(pl.col("currency")).alias("currency"),
        pl.when(pl.col("id") == 5).then(pl.lit("Closed Won")).otherwise(pl.col("status")).alias("status"),
        pl.when(pl.col("id") == 6).then(pl.lit(99)).otherwise(pl.col("rep_id")).alias("rep_id"))
    frames["tickets"] = frames["tickets"].with_columns(
        pl.when(pl.col("id") == 2).then(pl.lit("P0")).otherwise(pl.col("priority")).alias("priority"),
        pl.when(pl.col("id") == 1).then(pl.lit(77)).otherwise(pl.col("customer_id")).alias("customer_id"))
    url = f"sqlite:///{folder / 'crm.sqlite'}"
    tiny.write(url, frames)
    # A CRM view without a primary key can repeat an id.
    with writable_engine(url).begin() as connection:
        connection.execute(text("CREATE TABLE loose (id INTEGER, customer_id INTEGER, rep_id INTEGER, channel "
                                "VARCHAR(16), direction VARCHAR(8), language VARCHAR(8), occurred_at DATETIME)"))
        connection.execute(text("INSERT INTO loose SELECT * FROM interactions"))
        connection.execute(text("DROP TABLE interactions"))
        connection.execute(text("ALTER TABLE loose RENAME TO interactions"))
        connection.execute(text("INSERT INTO interactions SELECT * FROM interactions WHERE id = 2"))
    return url, folder


@pytest.fixture(scope="module")
def flawed(flawed_crm: tuple[str, Path]) -> Snapshot:
    url, folder = flawed_crm
    return snapshot_of(url, folder / "snapshot")


def test_each_problem_is_found_with_its_rows_and_examples(flawed: Snapshot) -> None:
    found = {(r["check"], r["table"], r["column"]): (r["rows"], r["examples"], r["detail"])
             for r in findings.data_findings(flawed, PERIOD).iter_rows(named=True)}
    assert found == {
        # Order 4, 20 January 2026: reais, and no rate for reais.
        ("currency_without_rate", "orders", "currency"): (1, "BRL", "2026-01-20 – 2026-01-20"),
        ("outside_vocabulary", "orders", "status"): (1, "Closed Won", "won, cancelled, refunded"),
        ("outside_vocabulary", "tickets", "priority"): (1, "P0", "urgent, high, normal, low"),
        # Customer 8's code XX is no country.
        ("unknown_country", "customers", "country_iso2"): (1, "XX", ""),
        ("orphan_reference", "orders", "rep_id"): (1, "99", "reps"),
        ("orphan_reference", "tickets", "customer_id"): (1, "77", "customers"),
        ("duplicate_id", "interactions", "id"): (2, "2", ""),
    }


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_page_names_tables_and_columns_as_readers_know_them(flawed_crm: tuple[str, Path], lang: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    at = app_on(*flawed_crm, monkeypatch)
    at.query_params["lang"] = lang
    at.run()
    at.selectbox(key="role").set_value("admin").run()
    at.switch_page(nav.page("data_quality").path).run()
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "examples" in d.value.columns)
    raw = {*schema.TABLE_ORDER, *(c.name for name in schema.TABLE_ORDER for c in schema.metadata.tables[name].columns)}
    cells = [cell for column in ("table", "column", "detail") for cell in table[column]]
    assert len(table) == 7 and not raw & set(cells)
    # Every finding says something in its details, those without a detail of their own too.
    assert all(table["detail"]), table[["check", "detail"]]
    [dates] = [c.value for c in at.caption if c.value.startswith(("Dates in the CRM", "CRM 中的日期"))]
    # Each table's dates follow its name, after the colon or a separator.
    assert not [name for name in schema.TABLE_ORDER if re.search(rf"[:;：；]\s*{name}\b", dates)], dates
    if lang == "zh-CN":
        assert {"订单", "国家代码", "销售代表"} <= set(cells) and "；" in dates and "; " not in dates
        assert "客户中没有这些编号的记录。" in set(table["detail"])


def test_repeated_ids_are_counted_as_often_as_given_in_any_order() -> None:
    # 5 three times and 3 twice: five rows, examples 3 and 5; 1 and 2 once.
    twice = findings.repeated(pl.Series([5, 3, 5, 1, 5, 3, 2]))
    assert twice.to_list() == [3, 3, 5, 5, 5]
    assert findings.repeated(pl.Series([1, 2, 2, 2, 9])).to_list() == [2, 2, 2]
    assert findings.repeated(pl.Series([4, 1, 7], dtype=pl.Int64)).is_empty()
    # A missing id is no id: never a repeat of another missing one.
    assert findings.repeated(pl.Series([None, 3, None, 4], dtype=pl.Int32)).is_empty()
    assert findings.repeated(pl.Series([None, 3, None, 3], dtype=pl.Int32)).to_list() == [3, 3]
    assert findings.repeated(pl.Series([], dtype=pl.Int32)).is_empty()


def test_a_lead_sees_only_their_regions_problems(flawed: Snapshot) -> None:
    # Americas: orders 4 and 5 are German customer 3's, order 6 German customer 4's, ticket 2 is customer 1's.
    lead = replace(PERIOD, scope=Scope(regions=frozenset({1})))
    found = findings.data_findings(flawed, lead)
    assert found.select("check", "table", "column").rows() == [("outside_vocabulary", "tickets", "priority")]


def test_date_ranges(flawed: Snapshot) -> None:
    ranges = {r["table"]: (r["rows"], r["first"], r["last"]) for r in findings.date_ranges(flawed, PERIOD).iter_rows(
        named=True)}
    # 18 orders from 1 February 2024 (customer 6's first) to 2 April 2026 (order 6).
    assert ranges["orders"] == (18, dt.datetime(2024, 2, 1, 10), dt.datetime(2026, 4, 2, 10))
    assert ranges["interactions"][0] == 4  # interaction 2 twice


def test_a_clean_crm_has_nothing_to_report(tiny_src: Snapshot) -> None:
    assert findings.data_findings(tiny_src, PERIOD).filter(pl.col("check") != "unknown_country").is_empty()



def test_check_prints_what_would_make_numbers_wrong(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from dashboard import cli

    monkeypatch.setenv("MERIDIAN_DATA_DIR", str(tmp_path))
    url = f"sqlite:///{tmp_path / 'company.sqlite'}"
    tiny.write(url)
    assert cli.main(["--url", url, "check"]) == 0
    printed = capsys.readouterr().err
    assert "customers.country_iso2: 1 row with unknown country codes, e.g. XX" in printed
    assert "the database user may change the CRM" in printed  # a file this user may write
