"""What in the CRM would make numbers wrong: amounts no exchange rate converts, values outside Meridian's
vocabularies, country codes that are no country, references to records that do not exist, ids given
twice, rows a refresh left out because a value in them cannot be read — and each table's date
range. Every finding names the table and column, counts the rows and shows a few example values.
`meridian check` prints them; the data-quality page lists them.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from dashboard.filters import Filters
from dashboard.i18n import N_
from dashboard.importer.vocabularies import VOCABULARIES
from dashboard.snapshot import Snapshot
from queries.common import TIME_COLUMN, rows

EXAMPLES = 5
# Each check as readers see it: its name, and a sentence for its detail column (`{detail}`: the finding's
# detail, the table's name for a reference to a missing record). Every check says something there, those
# without a detail too.
CHECKS: dict[str, tuple[str, str]] = {
    "currency_without_rate": (N_("Amounts without an exchange rate"),
                              N_("Dated {detail}: with no rate for the currency, totals leave them out.")),
    "outside_vocabulary": (N_("Values Meridian does not know"), N_("Values Meridian knows: {detail}.")),
    "unknown_country": (N_("Unknown country codes"),
                        N_("Not an ISO 3166 two-letter code (GB for the United Kingdom, not UK).")),
    "orphan_reference": (N_("References to missing records"), N_("No record with these IDs in {detail}.")),
    "duplicate_id": (N_("Ids given twice"), N_("Rows that share an ID: each record needs an ID of its own.")),
}
# table, column -> the vocabulary its values must come from
VOCABULARY_COLUMNS = {
    ("orders", "status"): "order_status", ("opportunities", "stage"): "stage",
    ("opportunities", "outcome"): "outcome", ("interactions", "channel"): "channel",
    ("interactions", "direction"): "direction", ("tickets", "channel"): "channel",
    ("tickets", "priority"): "priority", ("surveys", "kind"): "survey_kind", ("surveys", "channel"): "channel",
    ("customers", "segment"): "segment", ("customers", "kind"): "customer_kind", ("teams", "kind"): "team_kind",
    ("partners", "kind"): "partner_kind", ("partners", "tier"): "partner_tier",
    ("partners", "status"): "partner_status",
}
# table, column -> the table whose ids it refers to
REFERENCES = {
    ("orders", "customer_id"): "customers", ("orders", "rep_id"): "reps", ("orders", "partner_id"): "partners",
    ("opportunities", "customer_id"): "customers", ("opportunities", "rep_id"): "reps",
    ("opportunities", "partner_id"): "partners", ("interactions", "customer_id"): "customers",
    ("interactions", "rep_id"): "reps", ("tickets", "customer_id"): "customers", ("tickets", "rep_id"): "reps",
    ("surveys", "customer_id"): "customers", ("surveys", "ticket_id"): "tickets",
    ("customers", "owner_rep_id"): "reps", ("customers", "partner_id"): "partners", ("reps", "team_id"): "teams",
    ("contacts", "customer_id"): "customers",
}
SCHEMA = {"check": pl.String, "table": pl.String, "column": pl.String, "rows": pl.Int64, "examples": pl.String,
          "detail": pl.String}


def _finding(check: str, table: str, column: str, rows: int, examples: list[object], detail: str = "") -> dict:
    return {"check": check, "table": table, "column": column, "rows": rows,
            "examples": ", ".join(str(e) for e in examples[:EXAMPLES]), "detail": detail}


# Tables of the organisation and reference data, not of customers: only viewers who may see everything
# are shown their problems.
ORGANISATION = ("reps", "teams", "partners")


def _in_view(src: Snapshot, f: Filters, table: str) -> pl.LazyFrame | None:
    """The table's rows the viewer may see (all of them, at any time), or None for an organisation table
    and a viewer with a limited scope."""
    if table in ORGANISATION:
        return src.scan(table) if f.scope.everything else None
    return rows(src, f, table, in_period=False)


def _without_rate(src: Snapshot, f: Filters) -> list[dict]:
    found = []
    for table, time_column in (("orders", "ordered_at"), ("opportunities", "opened_at")):
        lacking = (rows(src, f, table, in_period=False)
                   .filter(pl.col("amount").is_not_null() & pl.col("amount_usd").is_null())
                   .group_by("currency")
                   .agg(pl.len().alias("rows"), pl.col(time_column).min().alias("first"),
                        pl.col(time_column).max().alias("last"))
                   .sort("rows", "currency", descending=[True, False], nulls_last=True).collect())
        for row in lacking.iter_rows(named=True):
            found.append(_finding("currency_without_rate", table, "currency", row["rows"], [row["currency"]],
                                  f"{row['first']:%Y-%m-%d} – {row['last']:%Y-%m-%d}" if row["first"] else ""))
    return found


def _outside_vocabulary(src: Snapshot, f: Filters) -> list[dict]:
    found = []
    for (table, column), name in VOCABULARY_COLUMNS.items():
        frame = _in_view(src, f, table)
        if frame is None or column not in frame.collect_schema().names():
            continue
        allowed = list(VOCABULARIES[name].values)
        odd = (frame.filter(pl.col(column).is_not_null() & ~pl.col(column).is_in(allowed))
               .group_by(column).agg(pl.len().alias("rows")).sort("rows", column, descending=[True, False])
               .collect())
        if odd.height:
            found.append(_finding("outside_vocabulary", table, column, int(odd["rows"].sum()), odd[column].to_list(),
                                  ", ".join(allowed)))
    return found


def _unknown_countries(src: Snapshot, f: Filters) -> list[dict]:
    known = src.scan("countries").select("iso2")
    odd = (rows(src, f, "customers", in_period=False).join(known, left_on="country_iso2", right_on="iso2", how="anti")
           .group_by("country_iso2").agg(pl.len().alias("rows"))
           .sort("rows", "country_iso2", descending=[True, False], nulls_last=True).collect())
    if not odd.height:
        return []
    return [_finding("unknown_country", "customers", "country_iso2", int(odd["rows"].sum()),
                     odd["country_iso2"].fill_null("(empty)").to_list())]


def _orphans(src: Snapshot, f: Filters) -> list[dict]:
    found = []
    for (table, column), parent in REFERENCES.items():
        frame = _in_view(src, f, table)
        if frame is None or column not in frame.collect_schema().names():
            continue
        if parent == "customers" and "master_id" in frame.collect_schema().names():
            # The snapshot attached each row's customer (its master record) when it was built: a row whose
            # customer does not exist has none, and no lookup in a million ids is needed.
            orphan = (pl.col(column).is_not_null() & pl.col("master_id").is_null()).alias("orphan")
        else:
            ids = src.scan(parent).select("id").collect().to_series().implode()
            orphan = (pl.col(column).is_not_null() & ~pl.col(column).is_in(ids)).alias("orphan")
        # Computed as a column, then filtered on: given to `filter` directly, polars 2.1 takes five
        # times as long over a million rows.
        orphans = (frame.select(column, orphan).filter("orphan")
                   .select(pl.len().alias("rows"), pl.col(column).unique().sort().head(EXAMPLES).implode()
                           .alias("examples")).collect().row(0, named=True))
        if orphans["rows"]:
            found.append(_finding("orphan_reference", table, column, orphans["rows"], orphans["examples"], parent))
    return found


def repeated(ids: pl.Series) -> pl.Series:
    """Every value given more than once, as often as it is given, in order. Sorted, a repeated value is
    next to its twin: one pass over a column the snapshot mostly holds in order already, instead of
    grouping millions of rows."""
    if not ids.is_sorted():
        ids = ids.sort()
    # Most tables have none: one comparison of neighbours over the raw values says so, ten times faster
    # than building the filter.
    values = ids.to_numpy()
    if not np.any(values[1:] == values[:-1]):
        return ids.clear()
    return ids.filter(((ids == ids.shift(1)) | (ids == ids.shift(-1))).fill_null(False))


def _duplicate_ids(src: Snapshot, f: Filters) -> list[dict]:
    found = []
    for table in ("customers", "contacts", "orders", "opportunities", "interactions", "tickets", "surveys",
                  *ORGANISATION):
        frame = _in_view(src, f, table)
        if frame is None:
            continue
        twice = repeated(frame.select("id").collect().to_series())
        if twice.len():
            found.append(_finding("duplicate_id", table, "id", twice.len(),
                                  twice.unique(maintain_order=True).to_list()))
    return found


def data_findings(src: Snapshot, f: Filters) -> pl.DataFrame:
    """check, table, column, rows, examples, detail — one row per problem found in the rows the viewer
    may see, at any time (the organisation's tables only for viewers who may see everything).

    checks: currency_without_rate (detail: the dates of those rows), outside_vocabulary (detail: the
    values Meridian knows), unknown_country, orphan_reference (detail: the table referred to),
    duplicate_id."""
    found = [*_without_rate(src, f), *_outside_vocabulary(src, f), *_unknown_countries(src, f), *_orphans(src, f),
             *_duplicate_ids(src, f)]
    return pl.DataFrame(found, schema=SCHEMA)


def left_out_rows(src: Snapshot, f: Filters) -> pl.DataFrame:
    """table, key, column, value, problem — rows of the CRM the snapshot leaves out because a value in
    them cannot be read (a malformed timestamp, amount or id), one row each. Such a row has no region a
    scope could test, so only viewers who may see every region see them."""
    if f.visible_regions is not None:
        return src.quarantine().clear()
    return src.quarantine().sort("table", "key")


def date_ranges(src: Snapshot, f: Filters) -> pl.DataFrame:
    """table, rows, first, last — each table's rows the viewer may see and the span of their dates (the
    time column of `queries.common.TIME_COLUMN`), for every table that has one."""
    records = []
    for table, column in TIME_COLUMN.items():
        if table == "activity":
            continue
        span = rows(src, f, table, in_period=False).select(pl.len().alias("rows"), pl.col(column).min().alias("first"),
                                       pl.col(column).max().alias("last")).collect().row(0, named=True)
        records.append({"table": table, **span})
    return pl.DataFrame(records, schema={"table": pl.String, "rows": pl.Int64, "first": pl.Datetime("us"),
                                         "last": pl.Datetime("us")})


# Findings are about the rows at any time.
data_findings.filters_used = Filters.timeless  # type: ignore[attr-defined]
left_out_rows.filters_used = Filters.timeless  # type: ignore[attr-defined]
date_ranges.filters_used = Filters.timeless  # type: ignore[attr-defined]
