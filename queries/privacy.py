"""Personal data as a role without personal-data rights may see it: masked in the query layer, so no
page can forget it."""

from __future__ import annotations

import polars as pl


def mask_email(value: str | None) -> str | None:
    if not value or "@" not in value:
        return value and "•••"
    local, domain = value.split("@", 1)
    return f"{local[:1]}•••@{domain}"


def mask_text(value: str | None) -> str | None:
    return value and f"{value[:1]}•••"


def masked_email(column: str) -> pl.Expr:
    return pl.col(column).map_elements(mask_email, return_dtype=pl.String).alias(column)


def masked_text(column: str) -> pl.Expr:
    return pl.col(column).map_elements(mask_text, return_dtype=pl.String).alias(column)
