"""Meridian's value vocabularies and the spellings the usual CRMs use for them.

A source value is compared without case, spaces or punctuation ("Closed Won", "closedwon" and
"CLOSED-WON" are one spelling). The mapping file's `[source.values.FIELD]` tables come first; a value
in neither is stored empty and listed in the report, never guessed. Mapping a value to "" says it is
deliberately empty (an open deal has no outcome).

Opportunity stages: `won` and `lost` stand for the closed stage with that outcome, so one stage column
("Closed Won") fills both the stage and the outcome.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from dashboard.demo import PARTNER_KINDS, PRIORITIES, SIZE_BANDS
from dashboard.filters import CHANNELS, SEGMENTS

WON, LOST, CLOSED = "won", "lost", "closed"


def spelling(value: str) -> str:
    """A value's spelling for comparison: lower case, letters and digits only."""
    return re.sub(r"[\W_]+", "", value.casefold())


@dataclass(frozen=True)
class Vocabulary:
    name: str
    values: tuple[str, ...]
    # Spellings of each value in the usual exports (besides the value itself); "" collects spellings
    # that mean empty on purpose.
    synonyms: Mapping[str, tuple[str, ...]]

    def lookup(self, own: Mapping[str, str]) -> dict[str, str]:
        """Spelling -> Meridian value ("" for deliberately empty): the vocabulary's own, then `own`
        (the mapping file's, which wins)."""
        table = {spelling(v): v for v in self.values}
        for value, spellings in self.synonyms.items():
            table.update({spelling(s): value for s in spellings})
        table.update({spelling(k): v for k, v in own.items()})
        return table


VOCABULARIES: dict[str, Vocabulary] = {v.name: v for v in (
    Vocabulary("stage", ("qualify", "propose", "negotiate", CLOSED, WON, LOST), {
        "qualify": ("prospecting", "qualification", "qualified", "needs analysis", "qualified to buy",
                    "appointment scheduled", "1-qualify", "discovery", "new", "lead"),
        "propose": ("value proposition", "id. decision makers", "identify decision makers",
                    "perception analysis", "proposal/price quote", "proposal", "presentation scheduled",
                    "decision maker bought-in", "2-develop", "develop", "3-propose"),
        "negotiate": ("negotiation/review", "negotiation", "contract sent", "4-close", "commit"),
        WON: ("closed won", "win"),
        LOST: ("closed lost", "closed-lost to competition", "lose"),
    }),
    Vocabulary("outcome", (WON, LOST), {
        WON: ("closed won", "win"),
        LOST: ("closed lost", "out-sold", "canceled", "cancelled"),
        "": ("open", "in progress", "on hold"),
    }),
    Vocabulary("order_status", (WON, "cancelled", "refunded"), {
        WON: ("closed won", "paid", "completed", "complete", "delivered", "fulfilled", "invoiced", "shipped"),
        "cancelled": ("canceled", "void", "voided", "unavailable"),
        "refunded": ("returned", "refund"),
    }),
    Vocabulary("channel", CHANNELS, {
        "email": ("mail", "inbound email"), "phone": ("call", "telephone", "voice", "phone call"),
        "chat": ("live chat", "web chat", "chatbot"), "visit": ("meeting", "in person", "on-site"),
        "WeChat": ("weixin", "微信"),
    }),
    Vocabulary("direction", ("inbound", "outbound"), {"inbound": ("in", "incoming", "received"),
                                                      "outbound": ("out", "outgoing", "sent")}),
    Vocabulary("segment", SEGMENTS, {
        "Enterprise": ("large enterprise", "corporate", "large"),
        "Mid-market": ("mid-size", "mid-sized", "commercial"),
        "SMB": ("small business", "small and medium business", "sme", "small"),
        "Consumer": ("b2c", "individual", "private"),
    }),
    Vocabulary("customer_kind", ("B2B", "B2C"), {"B2B": ("business", "company", "organization", "organisation"),
                                                 "B2C": ("consumer", "individual", "person", "private")}),
    Vocabulary("priority", PRIORITIES, {"urgent": ("critical", "highest", "p1", "blocker"), "high": ("p2",),
                                        "normal": ("medium", "p3", "moderate"), "low": ("lowest", "p4")}),
    Vocabulary("survey_kind", ("NPS", "CSAT", "CES"), {
        "NPS": ("net promoter score", "net promoter"), "CSAT": ("customer satisfaction", "satisfaction"),
        "CES": ("customer effort score", "effort"),
    }),
    Vocabulary("team_kind", ("sales", "service", "success"), {"service": ("support", "customer service"),
                                                             "success": ("customer success", "account management")}),
    Vocabulary("partner_kind", PARTNER_KINDS, {"reseller": ("var", "value added reseller"),
                                               "integrator": ("system integrator", "si")}),
    Vocabulary("partner_tier", ("platinum", "gold", "silver"), {}),
    Vocabulary("partner_status", ("active", "onboarding", "suspended", "terminated"), {
        "terminated": ("inactive", "ended", "churned"), "onboarding": ("new", "pending")}),
    Vocabulary("size_band", SIZE_BANDS, {}),
    Vocabulary("scope_kind", ("team", "region"), {}),
    Vocabulary("target_metric", ("revenue_usd", "new_customers", "sla_attainment", "first_response_median_hours"),
               {"revenue_usd": ("revenue",)}),
    Vocabulary("boolean", ("true", "false"), {"true": ("yes", "y", "1", "x", "checked", "opted in", "granted"),
                                              "false": ("no", "n", "0", "unchecked", "opted out", "withdrawn")}),
)}


def size_band(employees: int) -> str:
    """The size band (`SIZE_BANDS`) of a head count: 1-49, 50-249, 250-999, 1000-4999, 5000+."""
    for band in SIZE_BANDS[:-1]:
        upper = int(band.split("-")[1])
        if employees <= upper:
            return band
    return SIZE_BANDS[-1]
