"""What every query shares: the filtered rows of a table, currency conversion, and running several
queries side by side."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

import polars as pl

from dashboard.filters import Filters
from dashboard.snapshot import Snapshot

# The timestamp that places a row of each table in the period.
TIME_COLUMN = {
    "orders": "ordered_at",
    "opportunities": "opened_at",
    "interactions": "occurred_at",
    "tickets": "opened_at",
    "surveys": "answered_at",
    "customers": "created_at",
    "data_requests": "received_at",
    "consents": "recorded_at",
    "activity": "at",
}

DAY = dt.timedelta(days=1)
YEAR = dt.timedelta(days=365)


def rows(src: Snapshot, f: Filters, table: str, *, in_period: bool = True) -> pl.LazyFrame:
    """The table's rows the viewer may see under the filters; with `in_period`, inside the period."""
    return visible(src.scan(table), f, TIME_COLUMN[table] if in_period else None)


def visible(frame: pl.LazyFrame, f: Filters, time_column: str | None = None) -> pl.LazyFrame:
    """The frame's rows the viewer may see under the filters; with `time_column`, inside the period."""
    return frame.filter(f.predicate(frame.collect_schema().names(), time_column))


def between(column: str, start: dt.datetime, end: dt.datetime) -> pl.Expr:
    """start <= column < end."""
    return pl.col(column).is_between(start, end, closed="left")


def activity_between(src: Snapshot, start: dt.datetime, end: dt.datetime) -> pl.LazyFrame:
    """The activity table's rows with start <= at < end. The table is held in time order, so they are a
    slice found by binary search: at a million customers that halves the time of a full scan."""
    table = src.scan("activity").collect()
    at = table["at"]
    if not at.flags["SORTED_ASC"]:
        return table.lazy().filter(between("at", start, end))
    first, last = at.search_sorted(start, "left"), at.search_sorted(end, "left")
    return table.slice(first, last - first).lazy()


def reporting_rate(src: Snapshot, currency: str) -> pl.LazyFrame:
    """Daily rate of the reporting currency: date, usd_per_unit."""
    return (src.scan("fx_rates").filter(pl.col("currency") == currency)
            .select("date", pl.col("rate_to_base").alias("usd_per_unit")).sort("date"))


def in_reporting_currency(frame: pl.LazyFrame, src: Snapshot, currency: str, time_column: str,
                          usd_column: str = "amount_usd", alias: str = "amount") -> pl.LazyFrame:
    """Adds `alias`: the USD amount converted to the reporting currency at the rate of the row's date."""
    if currency == "USD":
        return frame.with_columns(pl.col(usd_column).alias(alias))
    return (
        frame.with_columns(pl.col(time_column).dt.date().alias("_date")).sort("_date")
        .join_asof(reporting_rate(src, currency), left_on="_date", right_on="date", strategy="backward")
        .with_columns((pl.col(usd_column) / pl.col("usd_per_unit")).alias(alias))
        .drop("_date", "usd_per_unit", "date", strict=False)
    )


# Individual languages written as their macrolanguage, so that "cmn" counts as "zh".
LANGUAGE_ALIASES = {"cmn": "zh"}


def base_language(column: str | pl.Expr) -> pl.Expr:
    """A language tag as its base language: "en-US", "EN" and "en_GB" are all "en"; "zh_TW" and
    "cmn-CN" are "zh"."""
    tag = pl.col(column) if isinstance(column, str) else column
    base = (tag.cast(pl.String).str.strip_chars().str.to_lowercase().str.replace_all("_", "-").str.split("-")
            .list.first())
    return base.replace(LANGUAGE_ALIASES)


def month_of(table: str) -> pl.Expr:
    """The first day of the month a row of `table` falls in, as `month`."""
    return pl.col(TIME_COLUMN[table]).dt.truncate("1mo").dt.date().alias("month")


def months(f: Filters) -> list[dt.date]:
    """The first day of every calendar month the period touches."""
    return pl.date_range(f.start.replace(day=1), f.end, "1mo", eager=True).to_list()


def month_ends(f: Filters) -> tuple[list[dt.date], list[dt.datetime]]:
    """Every month the period touches, and the moment each ends within the period (exclusive: the next
    month's first midnight, or the period's end in its last month)."""
    firsts = months(f)
    ends = [min(dt.datetime.combine(nxt, dt.time()), f.end_ts) for nxt in [*firsts[1:], _next_month(firsts[-1])]]
    return firsts, ends


def _next_month(first: dt.date) -> dt.date:
    return (first + dt.timedelta(days=32)).replace(day=1)


Call = tuple[Callable[..., pl.DataFrame], Filters, tuple]


def run_all(src: Snapshot, calls: Iterable[Call]) -> dict[Call, pl.DataFrame]:
    """The result of each distinct call (query, filters, further arguments), each run once, side by side:
    polars works outside the interpreter lock, and one small query alone leaves cores idle."""
    distinct = list(dict.fromkeys(calls))
    if len(distinct) < 2:
        return {call: call[0](src, call[1], *call[2]) for call in distinct}
    with ThreadPoolExecutor(max_workers=min(len(distinct), os.cpu_count() or 1, 8)) as pool:
        futures = {call: pool.submit(call[0], src, call[1], *call[2]) for call in distinct}
        return {call: future.result() for call, future in futures.items()}
