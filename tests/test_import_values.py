"""The importer's readers of single values: dates, numbers, currencies, countries, vocabularies, the
mapping file and stable keys. Expected values are worked out by hand."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from dashboard.importer import countries, mapping
from dashboard.importer.keys import Keys
from dashboard.importer.parsing import (
    DAY_FIRST,
    MONTH_FIRST,
    currency_code,
    currency_in_values,
    decide_date_format,
    decide_decimal,
    parse_datetimes,
    parse_numbers,
)
from dashboard.importer.vocabularies import VOCABULARIES, size_band, spelling


def dates(*values: str | None) -> pl.Series:
    return pl.Series("d", list(values), dtype=pl.String)


def test_a_day_above_twelve_decides_day_first() -> None:
    values = dates("31/01/2024", "02/03/2024 14:05", None)
    fmt, why = decide_date_format("d", values, [], None, None)
    assert why is None and fmt is not None
    assert (fmt.order, fmt.pattern, fmt.values) == (DAY_FIRST, "DD/MM/YYYY hh:mm", {"value": "31/01/2024"})
    assert parse_datetimes(values, fmt).to_list() == [dt.datetime(2024, 1, 31), dt.datetime(2024, 3, 2, 14, 5), None]


def test_month_first_with_am_pm_and_two_digit_years() -> None:
    values = dates("1/15/2024 9:05 AM", "3/2/24 12:30 PM", "3/2/24 12:10 AM")
    fmt, _ = decide_date_format("d", values, [], None, None)
    assert fmt is not None and fmt.order == MONTH_FIRST
    assert parse_datetimes(values, fmt).to_list() == [
        dt.datetime(2024, 1, 15, 9, 5), dt.datetime(2024, 3, 2, 12, 30), dt.datetime(2024, 3, 2, 0, 10)]


def test_iso_named_months_chinese_and_offsets() -> None:
    values = dates("2024-01-05T10:00:00Z", "2024-01-05 10:00:00+02:00", "5 Jan 2024", "Mar 31, 2024 3:00 PM",
                   "2024年3月5日", "2024/03/06")
    fmt, _ = decide_date_format("d", values, [], None, None)
    assert fmt is not None
    # +02:00 is two hours ahead of UTC: 10:00 there is 08:00 UTC.
    assert parse_datetimes(values, fmt).to_list() == [
        dt.datetime(2024, 1, 5, 10), dt.datetime(2024, 1, 5, 8), dt.datetime(2024, 1, 5),
        dt.datetime(2024, 3, 31, 15), dt.datetime(2024, 3, 5), dt.datetime(2024, 3, 6)]


def test_ambiguous_dates_need_a_stated_order_or_another_column() -> None:
    values = dates("03/04/2024", "05/06/2024")
    fmt, why = decide_date_format("Opened", values, [], None, None)
    assert fmt is None and why is not None and why[1] == {"value": "03/04/2024"}
    fmt, why = decide_date_format("Opened", values, [], DAY_FIRST, None)
    assert fmt is not None and parse_datetimes(values, fmt)[0] == dt.datetime(2024, 4, 3)
    from dashboard.importer.parsing import date_evidence

    other = [("Closed", date_evidence(dates("12/31/2024")))]
    fmt, why = decide_date_format("Opened", values, other, None, None)
    assert fmt is not None and fmt.order == MONTH_FIRST
    assert fmt.values == {"column": "Closed", "value": "12/31/2024"}
    assert parse_datetimes(values, fmt)[0] == dt.datetime(2024, 3, 4)


def test_mixed_date_orders_and_impossible_dates() -> None:
    fmt, why = decide_date_format("d", dates("31/01/2024", "01/31/2024"), [], None, None)
    assert fmt is None and why is not None
    assert why[1] == {"day_first": "31/01/2024", "month_first": "01/31/2024"}
    fmt, _ = decide_date_format("d", dates("30/02/2024", "31/01/2024"), [], None, None)
    assert fmt is not None and parse_datetimes(dates("30/02/2024"), fmt).to_list() == [None]


def test_a_stated_date_format_wins() -> None:
    fmt, _ = decide_date_format("d", dates("05.03.2024"), [], None, "%m.%d.%Y")
    assert fmt is not None and parse_datetimes(dates("05.03.2024"), fmt).to_list() == [dt.datetime(2024, 5, 3)]


@pytest.mark.parametrize(("values", "decimal", "expected"), [
    (["1.234,56", "12,5"], ",", [1234.56, 12.5]),
    (["1,234.56", "(1,234.00)", "-7"], ".", [1234.56, -1234.0, -7.0]),
    (["€ 1 234", "1 234,50 €", "EUR 1.234,56"], ",", [1234.0, 1234.5, 1234.56]),
    (["1'234.50", "$12.00"], ".", [1234.5, 12.0]),
])
def test_numbers_with_separators(values: list[str], decimal: str, expected: list[float]) -> None:
    series = pl.Series("n", values)
    found, why = decide_decimal("n", series, [], None, excel=False)
    assert why is None and found is not None and found.decimal == decimal
    assert parse_numbers(series, decimal).to_list() == pytest.approx(expected)


def test_ambiguous_thousands() -> None:
    series = pl.Series("n", ["1,234", "2,500"])
    found, why = decide_decimal("n", series, [], None, excel=False)
    assert found is None and why is not None and why[1] == {"value": "1,234"}
    # Whole numbers cannot have decimals: the comma groups thousands.
    found, _ = decide_decimal("n", series, [], None, excel=False, whole=True)
    assert found is not None and parse_numbers(series, found.decimal).to_list() == [1234.0, 2500.0]
    found, _ = decide_decimal("n", series, [], ",", excel=False)
    assert found is not None and parse_numbers(series, found.decimal).to_list() == [1.234, 2.5]


def test_currencies_named_in_amounts_and_by_name() -> None:
    assert currency_in_values(pl.Series(["€ 1 234", "EUR 1.234,56", "1,234.00 USD", "$12", "R$ 10", "12"])
                              ).to_list() == ["EUR", "EUR", "USD", None, "BRL", None]
    assert [currency_code(v) for v in ("eur", "US Dollar", "Japanese Yen", "Euro", "XYZ")] == [
        "EUR", "USD", "JPY", "EUR", None]


@pytest.mark.parametrize(("text", "code"), [
    ("DE", "DE"), ("deu", "DE"), ("Germany", "DE"), ("Deutschland", "DE"), ("USA", "US"), ("U.S.A.", "US"),
    ("United States of America", "US"), ("UK", "GB"), ("United Kingdom", "GB"), ("Great Britain", "GB"),
    ("Brasil", "BR"), ("中国", "CN"), ("日本", "JP"), ("Korea, Republic of", "KR"), ("Republic of Korea", "KR"),
    ("Côte d'Ivoire", "CI"), ("Curacao", "CW"), ("The Netherlands", "NL"), ("Türkiye", "TR"),
])
def test_country_forms(text: str, code: str) -> None:
    assert countries.match(text).code == code


def test_near_misses_are_proposed_not_accepted() -> None:
    assert countries.match("Germnay") == countries.Match(None, (("DE", "Germany"),))
    assert countries.match("Philipines") == countries.Match(None, (("PH", "Philippines"),))
    korea = countries.match("Korea")
    assert korea.code is None and [code for code, _ in korea.proposals] == ["KP", "KR"]
    assert countries.match("Atlantis") == countries.Match(None, ())
    assert countries.resolve(["Korea"], {"korea": "KR"})["Korea"].code == "KR"


def test_vocabularies_know_the_crms_spellings() -> None:
    stage = VOCABULARIES["stage"].lookup({"Engaging": "propose"})
    assert [stage[spelling(v)] for v in ("Closed Won", "closedwon", "CLOSED-LOST", "Negotiation/Review",
                                         "1-Qualify", "Engaging")] == ["won", "won", "lost", "negotiate",
                                                                       "qualify", "propose"]
    assert spelling("Gewonnen") not in stage
    assert VOCABULARIES["outcome"].lookup({})[spelling("Open")] == ""
    assert VOCABULARIES["priority"].lookup({})[spelling("Medium")] == "normal"
    assert [size_band(n) for n in (1, 49, 50, 999, 1000, 4999, 5000)] == [
        "1-49", "1-49", "50-249", "250-999", "1000-4999", "1000-4999", "5000+"]


def test_keys_are_stable_and_continue_after_the_store() -> None:
    known = pl.DataFrame({"entity": ["customers"], "source_id": ["A"], "id": [7]})
    keys = Keys(known, {"customers": 9, "orders": 3})
    assert keys.assign("customers", pl.Series(["B", "A", None, "B", "C"])).to_list() == [10, 7, None, 10, 11]
    assert keys.assign("orders", pl.Series(["x"])).to_list() == [4]
    assert keys.new().rows() == [("customers", "B", 10), ("customers", "C", 11), ("orders", "x", 4)]


def test_mapping_file_mistakes_are_each_reported() -> None:
    parsed, problems = mapping.parse("m.toml", {
        "countries": {"Frnace": "FX"},
        "options": {"date_order": "weekday-first"},
        "source": [
            {"file": "a.csv", "entity": "clients"},
            {"file": "b.csv", "entity": "opportunities", "columns": {"stage": "Stage", "colour": "C"},
             "values": {"stage": {"Won": "victory"}}},
        ],
    })
    assert [p.text() for p in problems] == [
        "options: date_order must be day-first or month-first, not weekday-first.",
        "[countries] maps Frnace to FX, which is not an ISO 3166 alpha-2 code.",
        "[[source]] 1: entity clients is not one of customers, contacts, orders, opportunities, interactions, "
        "tickets, surveys, teams, reps, partners, targets, fx_rates.",
        "[[source]] 2 (b.csv -> opportunities): opportunities has no field colour; its fields are id, customer, "
        "rep, partner, stage, outcome, amount, currency, opened_at, closed_at, product_line, updated_at.",
        "[[source]] 2 (b.csv -> opportunities): stage value Won maps to victory, which is not one of qualify, "
        "propose, negotiate, closed, won, lost (or \"\" for empty).",
    ]
    assert [s.entity for s in parsed.sources] == ["opportunities"]
