"""The converted sources as one consistent set of Meridian rows.

- Every record gets its stable integer id (keys.py).
- A reference matches the referred record's source id, else its name when exactly one record (in the
  import or already in the store) has that name.
- A rep, team or partner referred to but not in the import is created with that name and nothing
  else: the name is the source's own value.
- A record whose customer is missing (no value, or a customer neither in the import nor in the store)
  is kept under one placeholder customer named "Unassigned", with no country; the report counts them.
- A customer without a creation date is dated by its first activity in the import (or its stored date,
  if earlier); one with neither is a problem.
- Won deals become orders (status won, amount and currency of the deal, ordered at its close date,
  its rep, partner and product line) unless the import brings orders of its own; orders made that way
  by an earlier import are then removed, as are those of deals no longer won.
- Amounts in US dollars get the base rate 1 (USD is Meridian's base currency); no other rate is
  ever made up: amounts in a currency without rates are reported.
- The `countries` and `regions` tables get the reference rows (dashboard/reference.py) of the countries
  the import names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import polars as pl

from dashboard import reference, schema
from dashboard.i18n import N_
from dashboard.importer.convert import KEY, REF, ROW, Converted
from dashboard.importer.fields import EVENT_TIME
from dashboard.importer.keys import FROM_WON_DEAL, MAX_SOURCE_ID, UNASSIGNED, Keys
from dashboard.importer.report import Note, Problem, Unmapped
from dashboard.importer.store import Batch, StoreState
from dashboard.importer.vocabularies import WON

UNASSIGNED_NAME = "Unassigned"
BASE_CURRENCY = "USD"
# The base currency's rate is 1 on every day: one row dated before any business record covers them all.
BASE_RATE_FROM = dt.date(1900, 1, 1)
CREATED_FROM_REFERENCE = ("reps", "teams", "partners")
# The order references are resolved in: a record's references point at entities resolved before it.
LINK_ORDER = ("teams", "partners", "reps", "customers", "contacts", "orders", "opportunities", "interactions",
              "tickets", "surveys", "targets", "fx_rates")
EXAMPLES = 3


@dataclass
class Plan:
    batches: list[Batch] = field(default_factory=list)
    new_keys: pl.DataFrame = field(default_factory=pl.DataFrame)
    removals: dict[str, list[int]] = field(default_factory=dict)
    read: dict[str, int] = field(default_factory=dict)
    unassigned: dict[str, int] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)


class Resolver:
    """Finds a record's id by source id, else by a name only one record has."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.names: dict[str, int | None] = {}

    def add_names(self, ids: Iterable[int], names: Iterable[str | None]) -> None:
        for id_, name in zip(ids, names, strict=True):
            if name is None:
                continue
            key = name.strip().casefold()
            self.names[key] = id_ if self.names.get(key, id_) == id_ else None

    def find(self, value: str) -> int | None:
        return self.ids.get(value) or self.names.get(value.strip().casefold())

    def resolve(self, values: pl.Series) -> pl.Series:
        found = {v: self.find(v) for v in values.drop_nulls().unique()}
        return values.replace_strict(found, default=None, return_dtype=pl.Int64)


@dataclass
class _Source:
    converted: Converted
    frame: pl.DataFrame


class _Linker:
    def __init__(self, converted: list[Converted], state: StoreState, skip_incomplete: bool) -> None:
        self.state = state
        self.skip_incomplete = skip_incomplete
        self.keys = Keys(state.keys, state.highest)
        self.plan = Plan()
        self.sources: dict[str, list[_Source]] = {}
        self.created: dict[str, list[tuple[str, int]]] = {}
        self.resolvers: dict[str, Resolver] = {}
        for c in converted:
            self.sources.setdefault(c.entity.name, []).append(_Source(c, c.frame))
            self.plan.read[c.entity.name] = self.plan.read.get(c.entity.name, 0) + c.summary.rows

    def problem(self, file: str, why: str, values: dict[str, object], row: int | None = None,
                column: str | None = None, value: str | None = None) -> None:
        self.plan.problems.append(Problem(file, why, values, row, column, value))

    def run(self) -> Plan:
        self.assign_ids()
        self.build_resolvers()
        for entity in LINK_ORDER:
            for source in self.sources.get(entity, []):
                source.frame = self.resolve_references(source)
        self.date_customers()
        self.orders_from_won_deals()
        self.base_rate()
        self.geography()
        self.collect()
        return self.plan

    def assign_ids(self) -> None:
        for entity, sources in self.sources.items():
            if entity == "fx_rates":
                continue
            for source in sources:
                too_long = source.frame.filter(pl.col(KEY).str.len_bytes() > MAX_SOURCE_ID)
                for row, key in too_long.select(ROW, KEY).iter_rows():
                    self.problem(source.converted.table.name, N_("The id is longer than {n} bytes."),
                                 {"n": MAX_SOURCE_ID}, row, None, key)
                missing = source.frame.filter(pl.col(KEY).is_null())
                for row in missing[ROW]:
                    self.problem(source.converted.table.name, N_("The row has no id (nor a name to know it by)."),
                                 {}, row)
                source.frame = source.frame.filter(pl.col(KEY).is_not_null()).with_columns(
                    self.keys.assign(entity, source.frame.filter(pl.col(KEY).is_not_null())[KEY]))

    def build_resolvers(self) -> None:
        for entity in ("customers", "reps", "teams", "partners", "tickets"):
            resolver = Resolver()
            resolver.ids = dict(self.keys.known(entity))
            stored = self.state.named.get(entity)
            if stored is not None:
                resolver.add_names(stored["id"], stored["name"])
            for source in self.sources.get(entity, []):
                if "name" in source.frame.columns:
                    resolver.add_names(source.frame["id"], source.frame["name"])
            self.resolvers[entity] = resolver
        regions = Resolver()
        defaults = reference.default_regions()
        regions.ids = {str(i): int(i) for i in defaults["id"]}
        regions.add_names(defaults["id"], defaults["code"])
        regions.add_names(defaults["id"], defaults["name"])
        self.resolvers["regions"] = regions

    def resolve_references(self, source: _Source) -> pl.DataFrame:
        converted, frame = source.converted, source.frame
        entity = converted.entity
        for column in [c for c in frame.columns if c.startswith(REF)]:
            f = entity.field(column.removeprefix(REF))
            assert f is not None and f.column is not None
            label = " + ".join(converted.mapping.columns.get(f.name, ("=",)))
            text = frame[column]
            if f.name == "scope":
                ids = self.scopes(converted, frame, label)
            else:
                target = f.refers_to or ""
                ids = self.resolvers[target].resolve(text)
                missing = text.is_not_null() & ids.is_null()
                if target in CREATED_FROM_REFERENCE and missing.any():
                    ids = self.create_from_references(target, text, ids, missing)
                elif target == "customers":
                    ids = self.unassign(converted, frame, text, ids)
                elif missing.any():
                    for value, rows in text.filter(missing).value_counts(sort=True).iter_rows():
                        self.plan.unmapped.append(Unmapped(converted.table.name, f.name, label, value, rows))
            frame = frame.with_columns(ids.alias(f.column)).drop(column)
        if (entity.name in EVENT_TIME or entity.name == "contacts") and "customer_id" not in frame.columns:
            nobody = pl.Series([None] * frame.height, dtype=pl.String)
            ids = self.unassign(converted, frame, nobody, nobody.cast(pl.Int64))
            frame = frame.with_columns(ids.alias("customer_id"))
        return frame

    def create_from_references(self, entity: str, text: pl.Series, ids: pl.Series, missing: pl.Series) -> pl.Series:
        names = text.filter(missing).unique(maintain_order=True)
        new_ids = self.keys.assign(entity, names)
        resolver = self.resolvers[entity]
        for name, id_ in zip(names, new_ids, strict=True):
            resolver.ids[name] = id_
            resolver.add_names([id_], [name])
            self.created.setdefault(entity, []).append((name, id_))
        return self.resolvers[entity].resolve(text)

    def unassign(self, converted: Converted, frame: pl.DataFrame, text: pl.Series, ids: pl.Series) -> pl.Series:
        """Customer ids, with the Unassigned customer for rows whose customer is missing."""
        missing = ids.is_null()
        if not missing.any():
            return ids
        unassigned = self.keys.assign("customers", pl.Series([UNASSIGNED]))[0]
        entity = converted.entity.name
        self.plan.unassigned[entity] = self.plan.unassigned.get(entity, 0) + int(missing.sum())
        examples = text.filter(missing).drop_nulls().unique(maintain_order=True).head(EXAMPLES).to_list()
        self.plan.notes.append(Note(converted.table.name, N_(
            "{n} rows refer to no customer in the import or the store ({examples}): kept under the customer "
            "Unassigned."), {"n": int(missing.sum()), "examples": ", ".join(examples) or "no customer given"}))
        return ids.fill_null(unassigned)

    def scopes(self, converted: Converted, frame: pl.DataFrame, label: str) -> pl.Series:
        kinds = frame["scope_kind"] if "scope_kind" in frame.columns else pl.Series([None] * frame.height)
        ids = []
        for row, kind, value in zip(frame[ROW], kinds, frame[REF + "scope"], strict=True):
            resolver = self.resolvers["teams" if kind == "team" else "regions"]
            found = resolver.find(value) if value is not None and kind is not None else None
            if found is None:
                self.problem(converted.table.name, N_("No {kind} named {value} for this target."),
                             {"kind": kind or "team or region", "value": value}, row, label, value)
            ids.append(found)
        return pl.Series(ids, dtype=pl.Int64)

    def activity(self) -> pl.DataFrame:
        """customer_id, at: every dated record of the import."""
        parts = [source.frame.select("customer_id", pl.col(column).alias("at"))
                 for entity, column in EVENT_TIME.items() for source in self.sources.get(entity, [])
                 if column in source.frame.columns and "customer_id" in source.frame.columns]
        return pl.concat(parts) if parts else pl.DataFrame(schema={"customer_id": pl.Int64, "at": pl.Datetime("us")})

    def date_customers(self) -> None:
        first = self.activity().group_by("customer_id").agg(pl.col("at").min().alias("_first"))
        stored = self.state.named.get("customers")
        if stored is not None and not stored.is_empty():
            first = (first.join(stored.select(pl.col("id").alias("customer_id"), pl.col("created_at").alias("_s")),
                                on="customer_id", how="full", coalesce=True)
                     .select("customer_id", pl.min_horizontal("_first", "_s").alias("_first")))
        dated = 0
        for source in self.sources.get("customers", []):
            frame = source.frame
            if "created_at" not in frame.columns:
                frame = frame.with_columns(created_at=pl.lit(None, pl.Datetime("us")))
            frame = frame.join(first.rename({"customer_id": "id"}), on="id", how="left")
            dated += frame.filter(pl.col("created_at").is_null() & pl.col("_first").is_not_null()).height
            undated = frame.filter(pl.col("created_at").is_null() & pl.col("_first").is_null())
            for row, name in undated.select(ROW, "name").iter_rows():
                self.problem(source.converted.table.name, N_(
                    "The customer {name} has no creation date and no activity in the import to date it by: map "
                    "a creation date column."), {"name": name}, row)
            source.frame = frame.with_columns(created_at=pl.coalesce("created_at", "_first")).drop("_first")
        if dated:
            self.plan.notes.append(Note(None, N_("{n} customers without a creation date dated by their first "
                                                 "activity."), {"n": dated}))
        unassigned = self.keys.known("customers").get(UNASSIGNED)
        if unassigned is not None and self.plan.unassigned:
            at = first.filter(pl.col("customer_id") == unassigned)["_first"]
            if at.is_empty() or at[0] is None:
                at = self.activity()["at"].min()
                at = pl.Series([at])
            if at[0] is None:
                self.problem(UNASSIGNED_NAME, N_("Contacts without a customer, and no dated record in the import to "
                                                 "date the customer Unassigned by: add the customers' file."), {})
                return
            frame = pl.DataFrame({"id": [unassigned], "name": [UNASSIGNED_NAME], "created_at": [at[0]]},
                                 schema={"id": pl.Int64, "name": pl.String, "created_at": pl.Datetime("us")})
            self.plan.batches.append(self.batch("customers", frame, "Unassigned"))

    def orders_from_won_deals(self) -> None:
        derived = {s: i for s, i in self.keys.known("orders").items() if s.startswith(FROM_WON_DEAL)}
        if "orders" in self.sources:
            if derived:
                self.plan.removals["orders"] = sorted(derived.values())
                self.plan.notes.append(Note(None, N_("{n} orders made from won deals by an earlier import removed: "
                                                     "this import has orders of its own."), {"n": len(derived)}))
            return
        made = 0
        for source in self.sources.get("opportunities", []):
            frame = source.frame
            if "outcome" not in frame.columns:
                continue
            won = frame.filter(pl.col("outcome") == WON)
            no_longer = [derived[FROM_WON_DEAL + k] for k in frame.filter(pl.col("outcome").fill_null("") != WON)[KEY]
                         if FROM_WON_DEAL + k in derived]
            if no_longer:
                self.plan.removals.setdefault("orders", []).extend(no_longer)
            name = source.converted.table.name
            for column, field_name in (("amount", "amount"), ("closed_at", "closed_at")):
                if column not in won.columns:
                    won = won.with_columns(pl.lit(None).alias(column))
                incomplete = won.filter(pl.col(column).is_null())
                if incomplete.height and not self.skip_incomplete:
                    for row in incomplete[ROW]:
                        self.problem(name, N_("A won deal becomes an order, which needs {field}: the deal has none."),
                                     {"field": field_name}, row)
                elif incomplete.height:
                    self.plan.notes.append(Note(name, N_("{n} won deals without {field} made no order "
                                                         "(--skip-incomplete)."),
                                                {"n": incomplete.height, "field": field_name}))
                won = won.filter(pl.col(column).is_not_null())
            orders = won.select(
                (pl.lit(FROM_WON_DEAL) + pl.col(KEY)).alias(KEY), "customer_id",
                *[pl.col(c) for c in ("rep_id", "partner_id", "currency", "product_line", "updated_at")
                  if c in won.columns],
                "amount", pl.col("closed_at").alias("ordered_at"), pl.lit(WON).alias("status"))
            orders = orders.with_columns(self.keys.assign("orders", orders[KEY])).drop(KEY)
            self.plan.batches.append(self.batch("orders", orders, f"{name} (won deals)"))
            made += orders.height
        if made:
            self.plan.notes.append(Note(None, N_("{n} won deals made orders (status won, amount of the deal, "
                                                 "ordered at its close date): the import has no orders of its "
                                                 "own."), {"n": made}))

    def amounts(self) -> pl.DataFrame:
        """currency, at: every amount of the import (orders, deals and the orders they make)."""
        parts = [source.frame.select("currency", pl.col(EVENT_TIME[e]).alias("at"))
                 for e in ("orders", "opportunities") for source in self.sources.get(e, [])
                 if "currency" in source.frame.columns and EVENT_TIME[e] in source.frame.columns]
        parts += [b.frame.select("currency", pl.col("ordered_at").alias("at")) for b in self.plan.batches
                  if b.table == "orders" and "currency" in b.frame.columns]
        if not parts:
            return pl.DataFrame(schema={"currency": pl.String, "at": pl.Datetime("us")})
        return pl.concat(parts).drop_nulls()

    def base_rate(self) -> None:
        amounts = self.amounts()
        rates = pl.concat([s.frame.select("currency", "date") for s in self.sources.get("fx_rates", [])
                           if {"currency", "date"} <= set(s.frame.columns)]
                          or [pl.DataFrame(schema={"currency": pl.String, "date": pl.Date})])
        rates_from = dict(rates.group_by("currency").agg(pl.col("date").min()).iter_rows())
        for currency, first in self.state.rates_from.items():
            rates_from[currency] = min(first, rates_from.get(currency, first))
        if (amounts["currency"] == BASE_CURRENCY).any():
            rates_from[BASE_CURRENCY] = BASE_RATE_FROM
            frame = pl.DataFrame({"date": [BASE_RATE_FROM], "currency": [BASE_CURRENCY], "rate_to_base": [1.0]})
            self.plan.batches.append(self.batch("fx_rates", frame, "USD base rate"))
        for currency, earliest in amounts.group_by("currency").agg(pl.col("at").min()).sort("currency").iter_rows():
            first_rate = rates_from.get(currency)
            if first_rate is None:
                self.plan.notes.append(Note(None, N_(
                    "Amounts in {currency} have no exchange rate to USD, so revenue cannot count them: import "
                    "fx_rates for {currency} (no rate is made up)."), {"currency": currency}))
            elif first_rate > earliest.date():
                self.plan.notes.append(Note(None, N_(
                    "Amounts in {currency} from before {date} have no exchange rate to USD yet: import earlier "
                    "fx_rates."), {"currency": currency, "date": first_rate.isoformat()}))

    def geography(self) -> None:
        codes: set[str] = set()
        for entity in ("customers", "partners"):
            for source in self.sources.get(entity, []):
                if "country_iso2" in source.frame.columns:
                    codes |= set(source.frame["country_iso2"].drop_nulls())
        countries = reference.country_rows(codes)
        unknown = sorted(codes - set(countries["iso2"]))
        if unknown:
            self.plan.notes.append(Note(None, N_("No reference data for the country codes {codes}: their rows "
                                                 "keep the code but have no region."), {"codes": ", ".join(unknown)}))
        region_ids = set(countries["region_id"])
        for source in self.sources.get("teams", []):
            if "region_id" in source.frame.columns:
                region_ids |= set(source.frame["region_id"].drop_nulls())
        regions = reference.default_regions().filter(pl.col("id").is_in(sorted(region_ids)))
        if regions.height:
            self.plan.batches.append(self.batch("regions", regions, "reference regions"))
        if countries.height:
            self.plan.batches.append(self.batch("countries", countries, "reference countries"))

    def collect(self) -> None:
        for entity, sources in self.sources.items():
            for source in sources:
                frame = source.frame.drop("product_line") if entity == "opportunities" and \
                    "product_line" in source.frame.columns else source.frame
                self.plan.batches.append(self.batch(entity, frame, source.converted.table.name))
        for entity, created in self.created.items():
            frame = pl.DataFrame(created, schema={"name": pl.String, "id": pl.Int64}, orient="row")
            self.plan.batches.append(self.batch(entity, frame, "references"))
            examples = ", ".join(name for name, _ in created[:EXAMPLES])
            self.plan.notes.append(Note(None, N_("{n} {entity} created from references, with their name only: "
                                                 "{examples}."), {"n": len(created), "entity": entity,
                                                                  "examples": examples}))
        self.plan.new_keys = self.keys.new()

    def batch(self, table: str, frame: pl.DataFrame, origin: str) -> Batch:
        target = schema.polars_schema(table)
        columns = [c for c in target.names() if c in frame.columns]
        return Batch(table, frame.select(columns).cast({c: target[c] for c in columns}), origin)


def link(converted: list[Converted], state: StoreState, skip_incomplete: bool = False) -> Plan:
    return _Linker(converted, state, skip_incomplete).run()

