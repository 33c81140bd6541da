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
from dashboard.i18n import N_, Translate
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
