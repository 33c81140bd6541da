"""A tiny CRM whose every KPI is worked out by hand in tests/test_metrics.py.

The period under test is 2026-01-01 .. 2026-03-31 (90 days); the comparison period is the 90 days
before it, 2025-10-03 .. 2025-12-31. Region 1 (AMER) holds the US, region 2 (EMEA) Germany.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard import schema


def d(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _customer(id_: int, country: str, kind: str, segment: str, created: str, owner: int | None,
              partner: int | None = None, email: str | None = "x", consent: bool = True,
              name: str | None = None) -> dict:
    return {"id": id_, "name": name or f"Customer {id_}", "kind": kind, "country_iso2": country,
            "city": "City", "lat": 1.0, "lon": 2.0, "industry": "Retail", "size_band": "1-49",
            "segment": segment, "tier": "Gold", "preferred_language": "en", "preferred_channel": "email",
            "owner_rep_id": owner, "partner_id": partner, "created_at": d(created), "updated_at": d(created),
            "email": f"c{id_}@example.com" if email == "x" else email, "phone": "+1 555",
            "consent_email": consent, "consent_phone": True}


def _order(id_: int, customer: int, at: str, amount: float, currency: str, status: str = "won",
           rep: int | None = None, partner: int | None = None) -> dict:
    return {"id": id_, "customer_id": customer, "rep_id": rep, "partner_id": partner, "amount": amount,
            "currency": currency, "ordered_at": d(at), "product_line": "Platform", "status": status,
            "updated_at": d(at)}


def tables() -> dict[str, pl.DataFrame]:
    rows: dict[str, list[dict]] = {
        "regions": [{"id": 1, "code": "AMER", "name": "Americas", "currency": "USD"},
                    {"id": 2, "code": "EMEA", "name": "Europe, Middle East & Africa", "currency": "EUR"},
                    # Regions without customers (yet).
                    {"id": 3, "code": "APAC", "name": "Asia Pacific", "currency": "USD"},
                    {"id": 4, "code": "GCHN", "name": "Greater China", "currency": "CNY"}],
        "countries": [
            {"iso2": "US", "iso3": "USA", "name": "United States", "region_id": 1, "currency": "USD",
             "languages": "en-US", "timezone": "America/New_York", "lat": 38.9, "lon": -77.0,
             "population": 331_000_000},
            {"iso2": "DE", "iso3": "DEU", "name": "Germany", "region_id": 2, "currency": "EUR",
             "languages": "de", "timezone": "Europe/Berlin", "lat": 52.5, "lon": 13.4, "population": 83_000_000},
        ],
        "fx_rates": [
            {"date": day("2025-01-01"), "currency": "USD", "rate_to_base": 1.0},
            {"date": day("2025-01-01"), "currency": "EUR", "rate_to_base": 1.05},
            {"date": day("2026-01-01"), "currency": "EUR", "rate_to_base": 1.10},
            {"date": day("2026-02-01"), "currency": "EUR", "rate_to_base": 1.20},
        ],
        "teams": [{"id": 1, "name": "AMER Sales", "region_id": 1, "kind": "sales", "manager": "Ann",
                   "office": "New York"},
                  {"id": 2, "name": "EMEA Service", "region_id": 2, "kind": "service", "manager": "Bo",
                   "office": "Berlin"}],
        "reps": [{"id": 1, "team_id": 1, "name": "Rep One", "languages": "en", "hired_at": day("2020-01-01"),
                  "timezone": "America/New_York"},
                 {"id": 2, "team_id": 2, "name": "Rep Two", "languages": "de", "hired_at": day("2020-01-01"),
                  "timezone": "Europe/Berlin"}],
        "partners": [{"id": 1, "name": "P1", "kind": "reseller", "country_iso2": "US", "tier": "gold",
                      "status": "active", "signed_at": day("2020-01-01"), "certification": None}],
        "customers": [
            _customer(1, "US", "B2B", "Enterprise", "2025-01-10 00:00:00", 1, partner=1),
            _customer(2, "US", "B2C", "Consumer", "2026-01-05 00:00:00", 1, email=None, consent=False),
            _customer(3, "DE", "B2B", "SMB", "2025-06-01 00:00:00", None, name="Dup GmbH"),
            _customer(4, "DE", "B2B", "Mid-market", "2026-02-10 00:00:00", None, consent=False),
            _customer(5, "DE", "B2B", "SMB", "2024-01-01 00:00:00", None),
            _customer(6, "US", "B2B", "Enterprise", "2024-01-01 00:00:00", 1),
            _customer(7, "DE", "B2B", "SMB", "2025-01-01 00:00:00", None),
            _customer(8, "XX", "B2B", "SMB", "2024-05-01 00:00:00", None),
            # A second record of customer 3: same name, same e-mail.
            {**_customer(9, "DE", "B2B", "SMB", "2025-07-01 00:00:00", None, name="Dup GmbH"),
             "email": "c3@example.com"},
        ],
        "contacts": [{"id": 1, "customer_id": 1, "name": "Carl", "email": "carl@example.com", "phone": "+1",
                      "language": "en", "consent": True, "updated_at": d("2025-01-10 00:00:00")}],
        "orders": [
            _order(1, 1, "2026-01-15 10:00:00", 1000, "USD", rep=1, partner=1),
            _order(2, 1, "2026-02-20 10:00:00", 500, "USD", rep=1, partner=1),
            _order(3, 2, "2026-03-05 10:00:00", 200, "USD", status="cancelled", rep=1),
            _order(4, 3, "2026-01-20 10:00:00", 100, "EUR"),
            _order(5, 3, "2026-02-15 10:00:00", 100, "EUR"),
            _order(6, 4, "2026-04-02 10:00:00", 300, "EUR"),
            _order(7, 1, "2025-11-15 10:00:00", 800, "USD", rep=1),
            _order(8, 3, "2025-06-15 10:00:00", 50, "EUR"),
            _order(9, 5, "2025-02-01 10:00:00", 70, "EUR"),
            _order(10, 4, "2026-03-10 10:00:00", 50, "EUR"),
            *[_order(10 + i, 6, at, 100, "USD", rep=1) for i, at in enumerate(
                ["2024-02-01 10:00:00", "2024-06-01 10:00:00", "2024-10-01 10:00:00", "2025-02-01 10:00:00",
                 "2025-06-01 10:00:00", "2025-10-01 10:00:00"], start=1)],
            _order(17, 7, "2025-09-01 10:00:00", 10, "EUR"),
            _order(18, 7, "2025-10-01 10:00:00", 10, "EUR"),
        ],
        "opportunities": [
            {"id": 1, "customer_id": 1, "rep_id": 1, "partner_id": 1, "stage": "closed", "amount": 10,
             "currency": "USD", "opened_at": d("2025-12-01 00:00:00"), "closed_at": d("2026-01-15 00:00:00"),
             "outcome": "won"},
            {"id": 2, "customer_id": 1, "rep_id": 1, "partner_id": 1, "stage": "closed", "amount": 10,
             "currency": "USD", "opened_at": d("2026-01-10 00:00:00"), "closed_at": d("2026-02-09 00:00:00"),
             "outcome": "lost"},
            {"id": 3, "customer_id": 3, "rep_id": None, "partner_id": None, "stage": "closed", "amount": 10,
             "currency": "EUR", "opened_at": d("2026-02-01 00:00:00"), "closed_at": d("2026-03-13 00:00:00"),
             "outcome": "won"},
            {"id": 4, "customer_id": 4, "rep_id": None, "partner_id": None, "stage": "propose", "amount": 10,
             "currency": "EUR", "opened_at": d("2026-03-01 00:00:00"), "closed_at": None, "outcome": None},
            {"id": 5, "customer_id": 3, "rep_id": None, "partner_id": None, "stage": "closed", "amount": 10,
             "currency": "EUR", "opened_at": d("2025-11-01 00:00:00"), "closed_at": d("2025-12-20 00:00:00"),
             "outcome": "lost"},
        ],
        "interactions": [
            {"id": 1, "customer_id": 2, "rep_id": 1, "channel": "email", "direction": "inbound",
             "language": "en", "occurred_at": d("2026-01-06 09:00:00")},
            {"id": 2, "customer_id": 4, "rep_id": None, "channel": "phone", "direction": "outbound",
             "language": "de", "occurred_at": d("2026-02-12 09:00:00")},
            {"id": 3, "customer_id": 3, "rep_id": None, "channel": "email", "direction": "inbound",
             "language": "de", "occurred_at": d("2025-03-01 09:00:00")},
        ],
        "tickets": [
            {"id": 1, "customer_id": 1, "rep_id": 1, "channel": "email", "priority": "high", "category": "billing",
             "opened_at": d("2026-01-10 09:00:00"), "first_response_at": d("2026-01-10 10:00:00"),
             "resolved_at": d("2026-01-10 17:00:00"), "sla_hours": 24},
            {"id": 2, "customer_id": 1, "rep_id": 1, "channel": "phone", "priority": "high",
             "category": "technical", "opened_at": d("2026-02-01 00:00:00"),
             "first_response_at": d("2026-02-01 03:00:00"), "resolved_at": d("2026-02-03 00:00:00"),
             "sla_hours": 24},
            {"id": 3, "customer_id": 3, "rep_id": 2, "channel": "email", "priority": "urgent",
             "category": "technical", "opened_at": d("2026-03-01 00:00:00"),
             "first_response_at": d("2026-03-01 02:00:00"), "resolved_at": None, "sla_hours": 8},
            {"id": 4, "customer_id": 4, "rep_id": 2, "channel": "chat", "priority": "low", "category": "account",
             "opened_at": d("2026-03-20 00:00:00"), "first_response_at": None, "resolved_at": None,
             "sla_hours": 120},
            {"id": 5, "customer_id": 3, "rep_id": 2, "channel": "email", "priority": "low", "category": "account",
             "opened_at": d("2025-12-20 00:00:00"), "first_response_at": d("2025-12-20 05:00:00"),
             "resolved_at": d("2025-12-21 00:00:00"), "sla_hours": 120},
        ],
        "surveys": [
            *[{"id": i, "customer_id": c, "kind": "NPS", "score": s, "comment": None, "language": "en",
               "channel": "email", "answered_at": d(at), "ticket_id": None, "followed_up_at": None}
              for i, (c, s, at) in enumerate([(1, 10, "2026-01-20 12:00:00"), (1, 9, "2026-02-10 12:00:00"),
                                              (2, 7, "2026-01-07 12:00:00"), (3, 3, "2026-02-01 12:00:00"),
                                              (4, 6, "2026-03-15 12:00:00"), (6, 10, "2026-03-20 12:00:00")],
                                             start=1)],
            {"id": 7, "customer_id": 1, "kind": "CSAT", "score": 5, "comment": "Great", "language": "en",
             "channel": "email", "answered_at": d("2026-01-11 12:00:00"), "ticket_id": 1, "followed_up_at": None},
            {"id": 8, "customer_id": 1, "kind": "CSAT", "score": 2, "comment": None, "language": "en",
             "channel": "phone", "answered_at": d("2026-02-04 12:00:00"), "ticket_id": 2,
             "followed_up_at": d("2026-02-05 12:00:00")},
            {"id": 9, "customer_id": 3, "kind": "CSAT", "score": 4, "comment": None, "language": "de",
             "channel": "email", "answered_at": d("2026-03-02 12:00:00"), "ticket_id": None,
             "followed_up_at": None},
            {"id": 10, "customer_id": 1, "kind": "CES", "score": 2, "comment": None, "language": "en",
             "channel": "email", "answered_at": d("2026-01-12 12:00:00"), "ticket_id": 1, "followed_up_at": None},
            {"id": 11, "customer_id": 3, "kind": "CES", "score": 5, "comment": None, "language": "de",
             "channel": "email", "answered_at": d("2026-03-03 12:00:00"), "ticket_id": None,
             "followed_up_at": None},
        ],
        "targets": [
            *[{"id": i, "scope_kind": "team", "scope_id": 1, "period": day(m), "metric": "revenue_usd",
               "value": 500.0} for i, m in enumerate(["2026-01-01", "2026-02-01", "2026-03-01"], start=1)],
            *[{"id": i, "scope_kind": "team", "scope_id": 1, "period": day(m), "metric": "new_customers",
               "value": 1.0} for i, m in enumerate(["2026-01-01", "2026-02-01", "2026-03-01"], start=4)],
            *[{"id": i, "scope_kind": "team", "scope_id": 2, "period": day(m), "metric": "sla_attainment",
               "value": 0.9} for i, m in enumerate(["2026-01-01", "2026-02-01", "2026-03-01"], start=7)],
            *[{"id": i, "scope_kind": "team", "scope_id": 2, "period": day(m),
               "metric": "first_response_median_hours", "value": 4.0}
              for i, m in enumerate(["2026-01-01", "2026-02-01", "2026-03-01"], start=10)],
        ],
        "consents": [{"id": 1, "customer_id": 3, "contact_id": None, "regime": "GDPR", "purpose": "marketing",
                      "status": "granted", "recorded_at": d("2025-06-01 01:00:00")}],
        "data_requests": [
            {"id": 1, "customer_id": 3, "regime": "GDPR", "kind": "access", "status": "closed",
             "received_at": d("2026-01-05 00:00:00"), "due_at": d("2026-02-04 00:00:00"),
             "closed_at": d("2026-01-20 00:00:00")},
            {"id": 2, "customer_id": 4, "regime": "GDPR", "kind": "erasure", "status": "open",
             "received_at": d("2026-03-01 00:00:00"), "due_at": d("2026-03-31 00:00:00"), "closed_at": None},
            {"id": 3, "customer_id": 1, "regime": "CCPA", "kind": "access", "status": "closed",
             "received_at": d("2026-02-01 00:00:00"), "due_at": d("2026-03-18 00:00:00"),
             "closed_at": d("2026-03-20 00:00:00")},
        ],
    }
    frames = {}
    for name, records in rows.items():
        target = schema.polars_schema(name)
        frame = pl.DataFrame(records, infer_schema_length=None)
        if "updated_at" in target and "updated_at" not in frame.columns:
            time_column = next(c for c in ("closed_at", "resolved_at", "received_at", "opened_at")
                               if c in frame.columns)
            frame = frame.with_columns(pl.coalesce(time_column, *[c for c in ("received_at", "opened_at")
                                                                   if c in frame.columns]).alias("updated_at"))
        frames[name] = frame.select(target.names()).cast(target)
    return frames


def write(url: str, frames: dict[str, pl.DataFrame] | None = None) -> None:
    """Creates the schema at `url` (dropping what is there) and writes the tiny CRM (or `frames`)."""
    from dashboard.db import insert_frame, writable_engine

    frames = frames or tables()
    engine = writable_engine(url)
    schema.metadata.drop_all(engine)
    schema.metadata.create_all(engine)
    with engine.begin() as connection:
        for name in schema.TABLE_ORDER:
            insert_frame(connection, name, frames[name])
    engine.dispose()
