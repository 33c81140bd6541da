"""Personal data as a role without personal-data rights may see it: masked in the query layer, so no
page can forget it."""

from __future__ import annotations

import polars as pl


def mask_text(value: str | None) -> str | None:
    return value and f"{value[:1]}•••"


def masked_email(column: str) -> pl.Expr:
    """An e-mail as its first letter and domain (a•••@example.com); "•••" for a value that is no address."""
    value = pl.col(column)
    domain = value.str.split_exact("@", 1).struct.field("field_1")
    return (pl.when(domain.is_not_null()).then(value.str.slice(0, 1) + "•••@" + domain)
            .when(value.is_not_null() & (value != "")).then(pl.lit("•••")).otherwise(value).alias(column))


def masked_text(column: str) -> pl.Expr:
    """`mask_text` over a column, vectorised."""
    value = pl.col(column)
    return (pl.when(value.is_not_null() & (value != "")).then(value.str.slice(0, 1) + "•••").otherwise(value)
            .alias(column))


# A group of fewer customers than this, in a breakdown by something that can single people out (a
# country, a city, a segment, a language, a partner), is not shown to roles without personal-data
# rights: two customers in a town are two people.
MIN_GROUP = 5
PERSONAL_DIMENSIONS = frozenset({"country_iso2", "city", "segment", "industry", "preferred_language",
                                 "preferred_channel", "language", "customer_partner_id", "partner_id"})


def suppress_small(frame: pl.DataFrame, personal_data: bool, by: object, values: list[str],
                   customers: str = "customers") -> pl.DataFrame:
    """`frame` with the `values` of groups of fewer than MIN_GROUP `customers` emptied, when grouped by a
    personal dimension for a role without personal-data rights."""
    if personal_data or not isinstance(by, str) or by not in PERSONAL_DIMENSIONS:
        return frame
    small = pl.col(customers) < MIN_GROUP
    return frame.with_columns(pl.when(~small).then(pl.col(c)).alias(c) for c in values)
