"""The CRM schema: every table the dashboard reads, in SQLAlchemy Core.

The demo generator writes these tables, the importer maps a real CRM onto them, the snapshot reads
them, and `meridian check` validates a database against them. The polars type of every column is
derived here too, so every backend's rows come out of the snapshot with identical types.

What a company must have is small: the `customers` table and at least one activity table
(`ACTIVITY_TABLES`). Within a table, the columns declared NOT NULL are required; every other column is
optional — a CRM without it still works, and the pages that need it say so instead of showing zeros.
Teams belong to an organisation of their own (an office, an org region), distinct from the
geography of the customers they serve.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeEngine

metadata = MetaData()

regions = Table(
    "regions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("code", String(16), unique=True),
    Column("name", String(64), nullable=False),
    Column("currency", String(3)),
)

countries = Table(
    "countries",
    metadata,
    Column("iso2", String(2), primary_key=True),
    Column("iso3", String(3)),
    Column("name", String(80)),
    Column("region_id", Integer, ForeignKey("regions.id"), nullable=False),
    Column("currency", String(3)),
    Column("languages", String(64)),
    Column("timezone", String(40)),
    Column("lat", Double),
    Column("lon", Double),
    Column("population", Integer),
)

teams = Table(
    "teams",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(80), nullable=False),
    Column("region_id", Integer, ForeignKey("regions.id")),
    Column("kind", String(16)),
    Column("manager", String(80)),
    # A sales or service office ("Central", "Singapore hub"): organisation, not customer geography.
    Column("office", String(80)),
)

reps = Table(
    "reps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("team_id", Integer, ForeignKey("teams.id")),
    Column("name", String(80), nullable=False),
    Column("languages", String(64)),
    Column("hired_at", Date),
    Column("timezone", String(40)),
)

partners = Table(
    "partners",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(120), nullable=False),
    Column("kind", String(16)),
    Column("country_iso2", String(2)),
    Column("tier", String(16)),
    Column("status", String(16)),
    Column("signed_at", Date),
    Column("certification", String(32)),
)

customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(160), nullable=False),
    Column("kind", String(3)),
    # Not a foreign key: real CRMs hold unknown or mistyped codes, which the data-quality views report.
    Column("country_iso2", String(2)),
    Column("city", String(120)),
    Column("lat", Double),
    Column("lon", Double),
    Column("industry", String(40)),
    Column("size_band", String(16)),
    Column("segment", String(16)),
    Column("tier", String(16)),
    Column("preferred_language", String(8)),
    Column("preferred_channel", String(16)),
    Column("owner_rep_id", Integer, ForeignKey("reps.id")),
    Column("partner_id", Integer, ForeignKey("partners.id")),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime),
    Column("email", String(160)),
    Column("phone", String(40)),
    Column("consent_email", Boolean),
    Column("consent_phone", Boolean),
    Index("ix_customers_updated_at", "updated_at"),
    Index("ix_customers_country", "country_iso2"),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("name", String(120), nullable=False),
    Column("email", String(160)),
    Column("phone", String(40)),
    Column("language", String(8)),
    Column("consent", Boolean),
    Column("updated_at", DateTime),
    Index("ix_contacts_customer", "customer_id"),
    Index("ix_contacts_updated_at", "updated_at"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("rep_id", Integer, ForeignKey("reps.id")),
    Column("partner_id", Integer, ForeignKey("partners.id")),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("currency", String(3)),
    Column("ordered_at", DateTime, nullable=False),
    Column("product_line", String(32)),
    Column("status", String(16)),
    Column("updated_at", DateTime),
    Index("ix_orders_customer", "customer_id"),
    Index("ix_orders_ordered_at", "ordered_at"),
    Index("ix_orders_updated_at", "updated_at"),
)

opportunities = Table(
    "opportunities",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("rep_id", Integer, ForeignKey("reps.id")),
    Column("partner_id", Integer, ForeignKey("partners.id")),
    Column("stage", String(16)),
    Column("amount", Numeric(14, 2)),
    Column("currency", String(3)),
    Column("opened_at", DateTime, nullable=False),
    Column("closed_at", DateTime),
    Column("outcome", String(8)),
    Column("updated_at", DateTime),
    Index("ix_opportunities_customer", "customer_id"),
    Index("ix_opportunities_updated_at", "updated_at"),
)

interactions = Table(
    "interactions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("rep_id", Integer, ForeignKey("reps.id")),
    Column("channel", String(16)),
    Column("direction", String(8)),
    Column("language", String(8)),
    Column("occurred_at", DateTime, nullable=False),
    Index("ix_interactions_customer", "customer_id"),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("rep_id", Integer, ForeignKey("reps.id")),
    Column("channel", String(16)),
    Column("priority", String(8)),
    Column("category", String(24)),
    Column("opened_at", DateTime, nullable=False),
    Column("first_response_at", DateTime),
    Column("resolved_at", DateTime),
    Column("sla_hours", SmallInteger),
    Column("updated_at", DateTime),
    Index("ix_tickets_customer", "customer_id"),
    Index("ix_tickets_updated_at", "updated_at"),
)

surveys = Table(
    "surveys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("kind", String(4), nullable=False),
    Column("score", SmallInteger, nullable=False),
    Column("comment", Text),
    Column("language", String(8)),
    Column("channel", String(16)),
    Column("answered_at", DateTime, nullable=False),
    Column("ticket_id", Integer, ForeignKey("tickets.id")),
    Column("followed_up_at", DateTime),
    Index("ix_surveys_customer", "customer_id"),
)

fx_rates = Table(
    "fx_rates",
    metadata,
    Column("date", Date),
    Column("currency", String(3)),
    # Units of the base currency (USD) for one unit of `currency`.
    Column("rate_to_base", Numeric(18, 8), nullable=False),
    PrimaryKeyConstraint("date", "currency"),
)

targets = Table(
    "targets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("scope_kind", String(8), nullable=False),
    Column("scope_id", Integer, nullable=False),
    Column("period", Date, nullable=False),
    Column("metric", String(32), nullable=False),
    Column("value", Double, nullable=False),
    Index("ix_targets_scope", "scope_kind", "scope_id", "period"),
)

consents = Table(
    "consents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("contact_id", Integer, ForeignKey("contacts.id")),
    Column("regime", String(8), nullable=False),
    Column("purpose", String(16)),
    Column("status", String(16), nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Index("ix_consents_customer", "customer_id"),
)

data_requests = Table(
    "data_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("regime", String(8), nullable=False),
    Column("kind", String(16)),
    Column("status", String(16)),
    Column("received_at", DateTime, nullable=False),
    Column("due_at", DateTime),
    Column("closed_at", DateTime),
    Column("updated_at", DateTime),
    Index("ix_data_requests_updated_at", "updated_at"),
)

# Tables in the order that satisfies foreign keys when writing.
TABLE_ORDER: tuple[str, ...] = tuple(t.name for t in metadata.sorted_tables)
REQUIRED_TABLES = ("customers",)
# A CRM needs at least one of these for any page to have something to show.
ACTIVITY_TABLES = ("orders", "opportunities", "interactions", "tickets", "surveys")


def required_columns(table_name: str) -> tuple[str, ...]:
    """The columns a CRM must have in this table: the key and every NOT NULL column."""
    return tuple(c.name for c in metadata.tables[table_name].columns if c.primary_key or not c.nullable)


# Tables Meridian keeps in a database it owns (the demo database, an import store), never in a CRM.
store_metadata = MetaData()

meridian_meta = Table(
    "meridian_meta",
    store_metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(400), nullable=False),
)

# An import store's stable ids: the integer id Meridian gave each source record (an entity and the
# source's own id, or its name or content where it has none), so a re-import updates, never duplicates.
meridian_keys = Table(
    "meridian_keys",
    store_metadata,
    Column("entity", String(32), primary_key=True),
    Column("source_id", String(255), primary_key=True),
    Column("id", Integer, nullable=False),
    UniqueConstraint("entity", "id"),
)


def polars_type(sql_type: TypeEngine) -> pl.DataType:
    """The polars type a column of this SQL type has in the snapshot, on every backend."""
    if isinstance(sql_type, Boolean):
        return pl.Boolean()
    if isinstance(sql_type, DateTime):
        return pl.Datetime("us")
    if isinstance(sql_type, Date):
        return pl.Date()
    if isinstance(sql_type, SmallInteger):
        return pl.Int16()
    if isinstance(sql_type, Integer):
        # SQL INTEGER is 32-bit on PostgreSQL and MariaDB: ids held at that width take half the memory.
        return pl.Int32()
    # Money is stored exactly (NUMERIC) and computed in float64: every backend's Decimal converts to
    # the same double, and sums over the snapshot are done once, by polars.
    if isinstance(sql_type, Numeric | Float):
        return pl.Float64()
    return pl.String()


def polars_schema(table_name: str) -> pl.Schema:
    table = metadata.tables[table_name]
    return pl.Schema({str(c.name): polars_type(c.type) for c in table.columns})


# Columns whose values come from a short list (codes, vocabularies, offices), by name in every table and
# in the facts that copy them. In memory they are dictionary-encoded (polars Categorical): 4 bytes a row
# instead of a 16-byte string view, and filters and groupings compare integers. Stored files keep strings,
# so checksums and files do not depend on a process's dictionary.
CODE_COLUMNS = frozenset({
    "iso2", "country_iso2", "currency", "segment", "kind", "tier", "status", "industry",
    "size_band", "preferred_language", "preferred_channel", "office", "customer_office", "channel",
    "direction", "language", "product_line", "stage", "outcome", "priority", "category", "regime", "purpose",
})
