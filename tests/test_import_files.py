"""Exports as the CRMs write them (tests/fixtures/imports/), each recognised by its preset and stored
with the values worked out by hand below; and a corpus of broken files, each with its exact problem."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import create_engine, select

from dashboard import schema
from dashboard.importer.files import read_tables
from dashboard.importer.mapping import Options
from dashboard.importer.presets import recognise
from dashboard.importer.report import Report
from dashboard.importer.run import Request, run

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
BROKEN = FIXTURES / "broken"


def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.sqlite'}"


def imported(folder: str, tmp_path: Path, **options: str) -> tuple[str, Report]:
    url = store_url(tmp_path)
    report = run(Request([FIXTURES / folder], url, options=Options(**options)))
    assert report.ok, report.text()
    return url, report


def table(url: str, name: str, *columns: str) -> pl.DataFrame:
    engine = create_engine(url)
    t = schema.metadata.tables[name]
    with engine.connect() as connection:
        rows = connection.execute(select(*[t.c[c] for c in columns]).order_by(*[t.c[c] for c in columns])).all()
    engine.dispose()
    return pl.DataFrame([tuple(r) for r in rows], schema=list(columns), orient="row")


@pytest.mark.parametrize(("folder", "presets"), [
    ("salesforce", ["Salesforce Accounts", "Salesforce Cases", "Salesforce Contacts", "Salesforce Opportunities"]),
    ("hubspot", ["HubSpot companies", "HubSpot contacts", "HubSpot deals", "HubSpot tickets"]),
    ("zoho", ["Zoho CRM Accounts", "Zoho CRM Cases", "Zoho CRM Contacts", "Zoho CRM Deals"]),
    ("dynamics", ["Dynamics 365 accounts", "Dynamics 365 contacts", "Dynamics 365 incidents",
                  "Dynamics 365 opportunities"]),
])
def test_each_export_is_recognised_by_its_headers(folder: str, presets: list[str]) -> None:
    tables, problems, _ = read_tables([FIXTURES / folder])
    assert problems == []
    found = [recognise(t)[0] for t in tables]
    assert [p.name if p else None for p in found] == presets


def test_salesforce(tmp_path: Path) -> None:
    url, report = imported("salesforce", tmp_path)
    customers = table(url, "customers", "name", "country_iso2", "size_band", "created_at")
    assert customers.rows() == [
        # The formula-looking name is kept as text, never evaluated.
        ('=HYPERLINK("http://example.com","Click")', "GB", None, dt.datetime(2024, 3, 1)),
        ("Acme Inc.", "US", "1000-4999", dt.datetime(2024, 2, 3)),  # "1,200" employees, 2/3/2024 month first
        ("Müller Maschinenbau GmbH", "DE", "250-999", dt.datetime(2024, 1, 15)),  # "Deutschland"
        ("Société Générale Services", None, "1-49", dt.datetime(2023, 11, 30)),  # "Frnace": proposed, not kept
        # The deal of "Unknown Prospect Ltd" has no account: the placeholder is dated by it (3/1/2024).
        ("Unassigned", None, None, dt.datetime(2024, 3, 1)),
        ("北京华盛科技有限公司", "CN", "5000+", dt.datetime(2023, 12, 20)),
    ]
    assert [(c.value, c.proposal) for c in report.countries] == [("Frnace", "FR")]
    opportunities = table(url, "opportunities", "amount", "currency", "stage", "outcome", "closed_at")
    assert opportunities.rows() == [
        (None, "USD", "qualify", None, None),  # Prospecting, no amount; 6/30/2024 is only expected
        (3000.0, "USD", "closed", "lost", dt.datetime(2024, 3, 15)),
        (12500.0, "EUR", "closed", "won", dt.datetime(2024, 2, 28)),
        (48000.0, "USD", "negotiate", None, None),
        (80000.0, "USD", "closed", "won", dt.datetime(2024, 3, 20)),
    ]
    # The two won deals became orders; there are no EUR rates, so only USD gets its base rate.
    assert table(url, "orders", "amount", "currency", "ordered_at", "status").rows() == [
        (12500.0, "EUR", dt.datetime(2024, 2, 28), "won"), (80000.0, "USD", dt.datetime(2024, 3, 20), "won")]
    assert table(url, "fx_rates", "currency", "rate_to_base").rows() == [("USD", 1.0)]
    assert table(url, "contacts", "name", "consent").rows() == [
        ("Amélie Dubois", True), ("José Müller", True), ("伟 王", False)]  # "Email Opt Out" 1 = no consent
    assert table(url, "tickets", "priority", "channel", "opened_at", "resolved_at").rows() == [
        ("high", "phone", dt.datetime(2024, 1, 16, 9, 5), dt.datetime(2024, 1, 16, 16, 30)),
        ("low", None, dt.datetime(2024, 2, 1, 8), dt.datetime(2024, 2, 2, 10, 15)),  # "Web" is no channel
        ("normal", "email", dt.datetime(2024, 3, 18, 23, 47), None),
    ]
    assert [(u.field, u.value) for u in report.unmapped] == [("channel", "Web")]
    assert table(url, "reps", "name", "team_id").rows() == [("Jane Doe", None), ("John Smith", None)]
    assert any("4 footer lines" in n.text() for n in report.notes)


def test_hubspot_needs_a_currency_then_imports(tmp_path: Path) -> None:
    report = run(Request([FIXTURES / "hubspot"], store_url(tmp_path), dry_run=True))
    assert [(p.row, p.text()) for p in report.problems] == [
        (2, "4 amounts have no currency: add the currency column to the mapping, or state the file's currency "
            "with --currency or currency = \"EUR\".")]
    url, report = imported("hubspot", tmp_path, currency="EUR")
    assert table(url, "customers", "name", "country_iso2").rows() == [
        ("Kobe Precision K.K.", "JP"), ("Loja Azul Ltda.", "BR"), ("Nordlicht Logistik GmbH", "DE"),
        ("Rheinmetall Services AG", None), ("Thames Analytics Ltd", "GB"), ("Unassigned", None)]
    assert [(c.value, c.proposal) for c in report.countries] == [("Germnay", "DE")]
    assert table(url, "orders", "amount", "currency").rows() == [(9800.5, "EUR"), (15000.0, "EUR")]
    assert report.unassigned == {"contacts": 1}
    # Tickets name their company: matched by name.
    customers = dict(table(url, "customers", "id", "name").rows())
    assert [customers[i] for (i,) in table(url, "tickets", "customer_id").rows()] == [
        "Nordlicht Logistik GmbH", "Kobe Precision K.K."]
    assert any("no exchange rate" in n.text() and "EUR" in n.text() for n in report.notes)


def test_zoho_day_first_semicolons_and_decimal_commas(tmp_path: Path) -> None:
    report = run(Request([FIXTURES / "zoho"], store_url(tmp_path), dry_run=True))
    assert [(p.file, p.column) for p in report.problems] == [
        ("Cases_2024_03_25.csv", "Created Time"), ("Cases_2024_03_25.csv", "Modified Time")]
    url, _ = imported("zoho", tmp_path, date_order="day-first")
    assert table(url, "customers", "name", "country_iso2", "size_band", "created_at").rows() == [
        ("Boulangerie Lefèvre", "FR", "1-49", dt.datetime(2024, 1, 15, 14, 40)),
        ("Officine Rossi S.r.l.", "IT", "50-249", dt.datetime(2024, 1, 3, 9, 15)),  # "Italia", 03/01 = 3 Jan
        ("Praha Tech s.r.o.", "CZ", "1000-4999", dt.datetime(2024, 1, 22, 10, 5)),  # "1.500" employees
    ]
    assert table(url, "opportunities", "amount", "currency", "outcome").rows() == [
        (1200.0, "EUR", "won"), (2300.5, "EUR", "lost"), (12500.0, "EUR", "won"), (48000.0, "CZK", None)]
    assert table(url, "tickets", "opened_at").rows() == [(dt.datetime(2024, 3, 5, 8, 30),),
                                                         (dt.datetime(2024, 3, 12, 16, 10),)]


def test_dynamics_excel(tmp_path: Path) -> None:
    url, report = imported("dynamics", tmp_path)
    assert table(url, "customers", "name", "country_iso2").rows() == [
        ("Adventure Works Cycles", "CA"), ("Contoso Pharmaceuticals", "US"), ("Fabrikam Japan 株式会社", "JP")]
    assert table(url, "opportunities", "stage", "outcome", "amount", "currency", "closed_at").rows() == [
        ("closed", "lost", 1800000.0, "JPY", dt.datetime(2024, 2, 20)),
        ("closed", "won", 25000.0, "USD", dt.datetime(2024, 2, 15)),
        ("propose", None, 8000.0, "USD", None),
    ]
    assert table(url, "orders", "amount", "currency", "ordered_at").rows() == [
        (25000.0, "USD", dt.datetime(2024, 2, 15))]
    assert table(url, "contacts", "name").rows() == [("Rene Valdes",), ("佐藤 花子",)]
    assert sum("Hidden sheet hiddenSheet" in n.text() for n in report.notes) == 4


@pytest.mark.parametrize(("file", "options", "expected"), [
    ("missing_created_date_opportunities.csv", {"currency": "USD"},
     [(None, None, None, "opportunities need opened_at, and the mapping gives no column for it.")]),
    ("unparseable_date_deals.csv", {"currency": "USD"},
     [(3, "Create Date", "next Tuesday", "Not a date in the column's format (YYYY-MM-DD).")]),
    ("ambiguous_dates_cases.csv", {},
     [(None, "Date/Time Opened", None,
       "Dates like 3/4/2024 9:05 AM read both day first and month first, and no date in this file decides: state "
       "the order with --date-order day-first|month-first or date_order in the mapping.")]),
    ("empty.csv", {}, [(None, None, None, "The file is empty: export it again with its header row.")]),
    ("cp1252_accounts.csv", {},
     [(2, None, None, "The file is not UTF-8 (byte 0xFC on line 2). Save it as UTF-8, or state its encoding with "
                      "--encoding, for example cp1252 or gbk.")]),
    ("duplicate_ids_accounts.csv", {},
     [(3, "Account ID", "0015g00000AbCdE1",
       "The id 0015g00000AbCdE1 is also on row 2, with other values: keep one of the rows.")]),
])
def test_broken_files(file: str, options: dict[str, str], expected: list[tuple], tmp_path: Path) -> None:
    report = run(Request([BROKEN / file], store_url(tmp_path), options=Options(**options)))
    assert [(p.row, p.column, p.value, p.text()) for p in report.problems] == expected
    assert all(p.file == file for p in report.problems)
    assert not (tmp_path / "store.sqlite").exists()


def test_a_stated_encoding_reads_the_file(tmp_path: Path) -> None:
    url = store_url(tmp_path)
    report = run(Request([BROKEN / "cp1252_accounts.csv"], url, options=Options(encoding="cp1252")))
    assert report.ok, report.text()
    assert table(url, "customers", "name", "country_iso2").rows() == [("Müller Maschinenbau GmbH", "AT")]


def test_an_unknown_file_asks_for_a_mapping(tmp_path: Path) -> None:
    report = run(Request([FIXTURES / "b2b" / "products.csv"], store_url(tmp_path)))
    assert [p.text() for p in report.problems] == [
        "Not a recognised export (Salesforce, HubSpot, Zoho CRM, Dynamics 365) and not in the mapping file: map "
        "its columns in a mapping file (see docs/mapping-example.toml). Its columns are: product, series, "
        "sales_price."]
