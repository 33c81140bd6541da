"""Meridian's entities as an import sees them: the fields a mapping can fill, what kind of value each
takes, and the store column it fills. A field is required when its column is NOT NULL in
dashboard/schema.py; every other field is optional and stays empty when the source lacks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import String

from dashboard import schema


class Kind(StrEnum):
    ID = "id"
    TEXT = "text"
    DATETIME = "datetime"
    DATE = "date"
    MONTH = "month"
    MONEY = "money"
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    COUNTRY = "country"
    CURRENCY = "currency"
    VOCABULARY = "vocabulary"
    REFERENCE = "reference"


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    # The store column it fills; None for a field a rule turns into another column.
    column: str | None = None
    vocabulary: str | None = None
    refers_to: str | None = None
    # A boolean that says the opposite of its column ("Email Opt Out" against e-mail consent).
    inverted: bool = False


def _f(name: str, kind: Kind, column: str | None = None) -> Field:
    return Field(name, kind, column or name)


def _ref(name: str, entity: str, column: str | None) -> Field:
    return Field(name, Kind.REFERENCE, column, refers_to=entity)


def _vocab(name: str, vocabulary: str, column: str | None = None) -> Field:
    return Field(name, Kind.VOCABULARY, column or name, vocabulary=vocabulary)


@dataclass(frozen=True)
class Entity:
    name: str
    fields: tuple[Field, ...]
    # What identifies a record when the source has no id column: its name, else its content.
    natural_key: str | None = None

    @property
    def table(self) -> str:
        return self.name

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def required(self, field: Field) -> bool:
        if field.column is None or field.kind is Kind.ID:
            return False
        return not schema.metadata.tables[self.table].columns[field.column].nullable

    def max_length(self, field: Field) -> int | None:
        if field.column is None:
            return None
        column_type = schema.metadata.tables[self.table].columns[field.column].type
        return column_type.length if isinstance(column_type, String) else None


ID = Field("id", Kind.ID, "id")
UPDATED = _f("updated_at", Kind.DATETIME)

ENTITIES: dict[str, Entity] = {e.name: e for e in (
    Entity("customers", (
        ID, _f("name", Kind.TEXT), _vocab("kind", "customer_kind"), _f("country", Kind.COUNTRY, "country_iso2"),
        _f("city", Kind.TEXT), _f("lat", Kind.NUMBER), _f("lon", Kind.NUMBER), _f("industry", Kind.TEXT),
        _vocab("size_band", "size_band"), Field("employees", Kind.INTEGER), _vocab("segment", "segment"),
        _f("tier", Kind.TEXT), _f("preferred_language", Kind.TEXT),
        _vocab("preferred_channel", "channel"), _ref("owner", "reps", "owner_rep_id"),
        _ref("partner", "partners", "partner_id"), _f("created_at", Kind.DATETIME), UPDATED,
        _f("email", Kind.TEXT), _f("phone", Kind.TEXT), _f("consent_email", Kind.BOOLEAN),
        _f("consent_phone", Kind.BOOLEAN), Field("email_opt_out", Kind.BOOLEAN, "consent_email", inverted=True),
    ), natural_key="name"),
    Entity("contacts", (
        ID, _ref("customer", "customers", "customer_id"), _f("name", Kind.TEXT), _f("email", Kind.TEXT),
        _f("phone", Kind.TEXT), _f("language", Kind.TEXT), _f("consent", Kind.BOOLEAN),
        Field("email_opt_out", Kind.BOOLEAN, "consent", inverted=True), UPDATED,
    )),
    Entity("orders", (
        ID, _ref("customer", "customers", "customer_id"), _ref("rep", "reps", "rep_id"),
        _ref("partner", "partners", "partner_id"), _f("amount", Kind.MONEY), _f("currency", Kind.CURRENCY),
        _f("ordered_at", Kind.DATETIME), _f("product_line", Kind.TEXT), _vocab("status", "order_status"), UPDATED,
    )),
    Entity("opportunities", (
        ID, _ref("customer", "customers", "customer_id"), _ref("rep", "reps", "rep_id"),
        _ref("partner", "partners", "partner_id"), _vocab("stage", "stage"), _vocab("outcome", "outcome"),
        _f("amount", Kind.MONEY), _f("currency", Kind.CURRENCY), _f("opened_at", Kind.DATETIME),
        _f("closed_at", Kind.DATETIME),
        # Not stored with the opportunity: it becomes the product line of the order a won deal makes.
        Field("product_line", Kind.TEXT), UPDATED,
    )),
    Entity("interactions", (
        ID, _ref("customer", "customers", "customer_id"), _ref("rep", "reps", "rep_id"),
        _vocab("channel", "channel"), _vocab("direction", "direction"), _f("language", Kind.TEXT),
        _f("occurred_at", Kind.DATETIME),
    )),
    Entity("tickets", (
        ID, _ref("customer", "customers", "customer_id"), _ref("rep", "reps", "rep_id"),
        _vocab("channel", "channel"), _vocab("priority", "priority"), _f("category", Kind.TEXT),
        _f("opened_at", Kind.DATETIME), _f("first_response_at", Kind.DATETIME), _f("resolved_at", Kind.DATETIME),
        _f("sla_hours", Kind.INTEGER), UPDATED,
    )),
    Entity("surveys", (
        ID, _ref("customer", "customers", "customer_id"), _vocab("kind", "survey_kind"),
        _f("score", Kind.INTEGER), _f("comment", Kind.TEXT), _f("language", Kind.TEXT),
        _vocab("channel", "channel"), _f("answered_at", Kind.DATETIME), _ref("ticket", "tickets", "ticket_id"),
        _f("followed_up_at", Kind.DATETIME),
    )),
    Entity("teams", (
        ID, _f("name", Kind.TEXT), _ref("region", "regions", "region_id"), _vocab("kind", "team_kind"),
        _f("manager", Kind.TEXT), _f("office", Kind.TEXT),
    ), natural_key="name"),
    Entity("reps", (
        ID, _f("name", Kind.TEXT), _ref("team", "teams", "team_id"), _f("languages", Kind.TEXT),
        _f("hired_at", Kind.DATE), _f("timezone", Kind.TEXT),
    ), natural_key="name"),
    Entity("partners", (
        ID, _f("name", Kind.TEXT), _vocab("kind", "partner_kind"), _f("country", Kind.COUNTRY, "country_iso2"),
        _vocab("tier", "partner_tier"), _vocab("status", "partner_status"), _f("signed_at", Kind.DATE),
        _f("certification", Kind.TEXT),
    ), natural_key="name"),
    Entity("targets", (
        ID, _vocab("scope_kind", "scope_kind"), Field("scope", Kind.REFERENCE, "scope_id"),
        _f("period", Kind.MONTH), _vocab("metric", "target_metric"), _f("value", Kind.NUMBER),
    )),
    Entity("fx_rates", (
        _f("date", Kind.DATE), _f("currency", Kind.CURRENCY), _f("rate_to_base", Kind.NUMBER),
    )),
)}

# Where a record sits in time: the customer of a record dated here was active then.
EVENT_TIME = {"orders": "ordered_at", "opportunities": "opened_at", "interactions": "occurred_at",
              "tickets": "opened_at", "surveys": "answered_at"}
