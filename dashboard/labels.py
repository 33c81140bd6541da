"""How values from the data are shown: never raw.

Meridian's own vocabularies (channels, partner kinds, tiers and statuses, team kinds, ticket priorities
and categories, survey kinds, directions) have a display name in each UI language. The company's own
names (teams, offices, regions, products, cities) are shown as they are, or through a translation table
the company can extend: `data/labels/<language>.toml` ships with Meridian, and
`.streamlit/labels.<language>.toml` (optional) adds to it or overrides it:

    [names]
    "AMER Sales" = "美洲销售部"
    "Singapore hub" = "新加坡中心"
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

import polars as pl

from dashboard.fmt import MISSING
from dashboard.i18n import N_, Translate, context_translator
from dashboard.paths import PROJECT_ROOT, STREAMLIT_DIR

LABELS_DIR = PROJECT_ROOT / "data" / "labels"

VOCABULARY: dict[str, str] = {
    # channels
    "email": N_("E-mail"), "phone": N_("Phone"), "chat": N_("Chat"), "visit": N_("Visit"), "WeChat": N_("WeChat"),
    "WhatsApp": N_("WhatsApp"), "LINE": N_("LINE"),
    # partners: kinds, tiers, statuses
    "reseller": N_("Reseller"), "distributor": N_("Distributor"), "agency": N_("Agency"),
    "integrator": N_("Integrator"), "platinum": N_("Platinum"), "gold": N_("Gold"), "silver": N_("Silver"),
    "active": N_("Active"), "onboarding": N_("Onboarding"), "suspended": N_("Suspended"),
    "terminated": N_("Terminated"),
    # teams
    "sales": N_("Sales"), "service": N_("Service"), "success": N_("Customer success"),
    # tickets: priorities and categories
    "urgent": N_("Urgent"), "high": N_("High"), "normal": N_("Normal"), "low": N_("Low"),
    "billing": N_("Billing"), "technical": N_("Technical"), "delivery": N_("Delivery"), "account": N_("Account"),
    # interactions, customers, opportunities
    "inbound": N_("Inbound"), "outbound": N_("Outbound"), "B2B": N_("Company"), "B2C": N_("Consumer"),
    "qualify": N_("Qualify"), "propose": N_("Propose"), "negotiate": N_("Negotiate"), "closed": N_("Closed"),
    "won": N_("Won"), "lost": N_("Lost"),
}

# What survey comments are about (queries/voice.py, data/voice/themes.toml).
THEME_LABELS: dict[str, str] = {
    "price": N_("Price"), "delivery": N_("Delivery"), "support_speed": N_("Support speed"),
    "product_quality": N_("Product quality"), "communication": N_("Communication & language"),
    "billing": N_("Billing"), "onboarding": N_("Setup & ease of use"),
}
# How a response's score says the customer feels (queries/voice.py: TONE).
TONE_LABELS: dict[str, str] = {"promoter": N_("Promoter"), "passive": N_("Passive"), "detractor": N_("Detractor")}


@cache
def _table_names(lang: str) -> dict[str, str]:
    # In the "table" context: "Orders" alone is a KPI, a count (订单数), not the table of orders.
    pt = context_translator(lang)
    return {
        "regions": pt("table", "Regions"), "countries": pt("table", "Countries"),
        "fx_rates": pt("table", "Exchange rates"), "teams": pt("table", "Teams"), "reps": pt("table", "Reps"),
        "partners": pt("table", "Partners"), "customers": pt("table", "Customers"),
        "contacts": pt("table", "Contacts"), "orders": pt("table", "Orders"),
        "opportunities": pt("table", "Opportunities"), "interactions": pt("table", "Interactions"),
        "tickets": pt("table", "Service tickets"), "surveys": pt("table", "Surveys"),
        "targets": pt("table", "Targets"), "data_requests": pt("table", "Data subject requests"),
        "consents": pt("table", "Consents"),
    }


@cache
def _column_names(lang: str) -> dict[str, str]:
    # In the "column" context: a field's name ("Closed": when it closed), not a state or a count.
    pt = context_translator(lang)
    return {
        "id": pt("column", "ID"), "name": pt("column", "Name"), "kind": pt("column", "Kind"),
        "code": pt("column", "Code"), "status": pt("column", "Status"), "tier": pt("column", "Tier"),
        "country_iso2": pt("column", "Country code"), "iso2": pt("column", "Country code"),
        "iso3": pt("column", "ISO alpha-3 code"), "region_id": pt("column", "Region"),
        "currency": pt("column", "Currency"), "languages": pt("column", "Languages"),
        "timezone": pt("column", "Time zone"), "lat": pt("column", "Latitude"), "lon": pt("column", "Longitude"),
        "population": pt("column", "Population"), "date": pt("column", "Date"),
        "rate_to_base": pt("column", "Rate to base currency"), "signed_at": pt("column", "Signed"),
        "certification": pt("column", "Certification"), "scope_kind": pt("column", "Target scope"),
        "scope_id": pt("column", "Scope ID"), "period": pt("column", "Period"), "metric": pt("column", "Metric"),
        "value": pt("column", "Value"), "manager": pt("column", "Manager"), "office": pt("column", "Office"),
        "team_id": pt("column", "Team"), "hired_at": pt("column", "Hired"), "city": pt("column", "City"),
        "industry": pt("column", "Industry"), "size_band": pt("column", "Size band"),
        "segment": pt("column", "Segment"), "preferred_language": pt("column", "Preferred language"),
        "preferred_channel": pt("column", "Preferred channel"), "owner_rep_id": pt("column", "Owner rep"),
        "partner_id": pt("column", "Partner"), "created_at": pt("column", "Created"),
        "updated_at": pt("column", "Updated"), "email": pt("column", "E-mail"), "phone": pt("column", "Phone"),
        "consent_email": pt("column", "E-mail consent"), "consent_phone": pt("column", "Phone consent"),
        "customer_id": pt("column", "Customer"), "language": pt("column", "Language"),
        "consent": pt("column", "Consent"), "regime": pt("column", "Regime"),
        "received_at": pt("column", "Received"), "due_at": pt("column", "Due"), "closed_at": pt("column", "Closed"),
        "rep_id": pt("column", "Rep"), "channel": pt("column", "Channel"), "direction": pt("column", "Direction"),
        "occurred_at": pt("column", "Occurred"), "stage": pt("column", "Stage"), "amount": pt("column", "Amount"),
        "opened_at": pt("column", "Opened"), "outcome": pt("column", "Outcome"),
        "ordered_at": pt("column", "Ordered"), "product_line": pt("column", "Product line"),
        "priority": pt("column", "Priority"), "category": pt("column", "Category"),
        "first_response_at": pt("column", "First response"), "resolved_at": pt("column", "Resolved"),
        "sla_hours": pt("column", "SLA hours"), "contact_id": pt("column", "Contact"),
        "purpose": pt("column", "Purpose"), "recorded_at": pt("column", "Recorded"),
        "score": pt("column", "Score"), "comment": pt("column", "Comment"),
        "answered_at": pt("column", "Answered"), "ticket_id": pt("column", "Ticket"),
        "followed_up_at": pt("column", "Followed up"),
    }


def table_name(table: str, lang: str) -> str:
    """A table of Meridian's store as readers know it ("orders": Orders, 订单); its own name if unknown."""
    return _table_names(lang).get(table, table)


def column_name(column: str, lang: str) -> str:
    """A column of Meridian's store as readers know it ("country_iso2": Country code, 国家代码); its own
    name if unknown."""
    return _column_names(lang).get(column, column)


def _names_file(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    return {str(k): str(v) for k, v in tomllib.loads(path.read_text(encoding="utf-8")).get("names", {}).items()}


@cache
def company_names(lang: str) -> dict[str, str]:
    """The company's own names in `lang`: the shipped table, then the operator's additions."""
    code = lang.replace("-", "_")
    return _names_file(LABELS_DIR / f"{code}.toml") | _names_file(STREAMLIT_DIR / f"labels.{code}.toml")


def label(value: object, t: Translate, lang: str) -> str:
    """A value from the data as the reader should see it; "–" for no value."""
    if value is None:
        return MISSING
    text = str(value)
    if text in VOCABULARY:
        return t(VOCABULARY[text])
    translated = t(text)
    return company_names(lang).get(text, translated)


def labelled(column: str, t: Translate, lang: str) -> pl.Expr:
    """The column's values through `label`, for tables and charts."""
    return pl.col(column).map_elements(lambda v: label(v, t, lang), return_dtype=pl.String, skip_nulls=False
                                       ).alias(column)
