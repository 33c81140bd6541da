"""The customer base: active, new, churned, lifecycle stages.

A customer entered twice (a likely duplicate, see the snapshot's `master_id`) is one customer: it is
counted once, with its master record, and its activity is the master's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from itertools import pairwise

import numpy as np
import polars as pl

from dashboard.filters import Filters
from dashboard.snapshot import Snapshot
from queries.common import YEAR, activity_between, between, month_ends, rows, visible
from queries.privacy import masked_email, masked_text
from queries.revenue import won_orders

LIFECYCLE_STAGES = ("prospect", "first_purchase", "repeat", "loyal", "at_risk", "churned")
LOYAL_MIN_ORDERS = 4
AT_RISK_MIN_DAYS = 90


def customers_in_view(src: Snapshot, f: Filters, *, in_period: bool = False) -> pl.LazyFrame:
    """The customer records the viewer may see, each customer once (duplicates left out); without
    personal-data rights, consumers' names, e-mails and phones masked (computed only where selected)."""
    frame = rows(src, f, "customers", in_period=in_period).filter(~pl.col("duplicate"))
    if f.personal_data:
        return frame
    # Consumers are people: their names are personal data; companies' names are not.
    return frame.with_columns(pl.when(pl.col("kind") == "B2C").then(masked_text("name")).otherwise(pl.col("name"))
                              .alias("name"), masked_email("email"), masked_text("phone"))


def activity(src: Snapshot, f: Filters) -> pl.LazyFrame:
    """customer_id (the master record), at: every order and interaction of the customers in view, at
    any time.

    The channel filter does not apply: a customer is active whatever channel they used.
    """
    return activity_of(src.scan("activity"), f)


def activity_of(table: pl.LazyFrame, f: Filters) -> pl.LazyFrame:
    """customer_id (the master record), at: the rows of the activity table the viewer may see."""
    return visible(table, replace(f, channels=())).select(pl.col("master_id").alias("customer_id"), "at")


def year_before(moment: dt.datetime) -> pl.Expr:
    """Activity in the 365 days before `moment`: what makes a customer active at that moment."""
    return between("at", moment - YEAR, moment)


def active_at(events: pl.LazyFrame, moment: dt.datetime) -> pl.LazyFrame:
    """Customers with activity in the 365 days before `moment`."""
    return events.filter(year_before(moment)).select("customer_id").unique()


# Customer ids below this are counted with a flag per possible id (a few MB) instead of hashing:
# at a million customers that is ten times faster than a distinct count.
DENSE_ID_LIMIT = 50_000_000


# Flags of activity, shared by the KPIs that need them (active customers and churn, for the period, the
# comparison period and every month of the trends): a moment is computed once per snapshot version and
# activity filters. The oldest are forgotten first.
_flags: dict[tuple[str, ...], np.ndarray] = {}
FLAGS_KEPT = 256


def _activity_key(src: Snapshot, f: Filters) -> tuple[str, ...]:
    """What `activity` depends on: the snapshot's version and every filter but the period, channels,
    currency and language (activity is read at any time, on every channel)."""
    neutral = replace(f.timeless(), channels=(), currency="USD", lang="en")
    return str(src.root), src.refreshed_at.isoformat(), repr(neutral)


def _active_flags(src: Snapshot, f: Filters, events: pl.LazyFrame,
                  moments: list[dt.datetime]) -> list[np.ndarray] | None:
    """Per moment, a flag per customer id telling whether it was active in the 365 days before it;
    None where ids are too large to flag densely."""
    scope = _activity_key(src, f)
    top = _flags.get((*scope, "top"))
    if top is None:
        top = np.array([events.select(pl.col("customer_id").max()).collect().item() or -1])
        _flags[(*scope, "top")] = top
    if top[0] < 0 or top[0] >= DENSE_ID_LIMIT:
        return None
    flags = []
    for moment in moments:
        key = (*scope, moment.isoformat())
        flag = _flags.get(key)
        if flag is None:
            ids = _year_before(src, f, moment).select("customer_id").collect().to_series().to_numpy()
            flag = np.zeros(int(top[0]) + 1, dtype=bool)
            flag[ids] = True
            flag.flags.writeable = False
            while len(_flags) >= FLAGS_KEPT:
                _flags.pop(next(iter(_flags)), None)
            _flags[key] = flag
        flags.append(flag)
    return flags


def _year_before(src: Snapshot, f: Filters, moment: dt.datetime) -> pl.LazyFrame:
    """The activity the viewer may see in the 365 days before `moment`."""
    return activity_of(activity_between(src, moment - YEAR, moment), f)


def active_ids(src: Snapshot, f: Filters, moment: dt.datetime) -> pl.DataFrame:
    """customer_id of every customer active at `moment`, in id order."""
    events = activity(src, f)
    flags = _active_flags(src, f, events, [moment])
    if flags is None:
        return active_at(events, moment).sort("customer_id").collect()
    return pl.DataFrame({"customer_id": pl.Series(np.flatnonzero(flags[0]),
                                                  dtype=events.collect_schema()["customer_id"])})


def _active_counts(src: Snapshot, f: Filters, moments: list[dt.datetime]) -> list[tuple[int, int]]:
    """For each moment after the first: (active at the previous moment, churned since it), and for the
    first moment (active, 0). Churned: active at the previous moment and no longer at this one."""
    events = activity(src, f)
    flags = _active_flags(src, f, events, moments)
    if flags is not None:
        counts = [(int(flags[0].sum()), 0)]
        counts += [(int(before.sum()), int((before & ~after).sum())) for before, after in pairwise(flags)]
        return counts
    ids = [active_at(events, moment).collect() for moment in moments]
    counts = [(ids[0].height, 0)]
    counts += [(before.height, before.join(after, on="customer_id", how="anti").height)
               for before, after in pairwise(ids)]
    return counts


def _active_sizes(src: Snapshot, f: Filters, moments: list[dt.datetime]) -> list[int]:
    """How many customers were active at each moment."""
    events = activity(src, f)
    flags = _active_flags(src, f, events, moments)
    if flags is not None:
        return [int(flag.sum()) for flag in flags]
    return [active_at(events, moment).select(pl.len()).collect().item() for moment in moments]


def active_customers(src: Snapshot, f: Filters) -> pl.DataFrame:
    """One row: active — customers with an order or interaction in the 365 days up to the period's end."""
    return pl.DataFrame({"active": _active_sizes(src, f, [f.end_ts])}, schema={"active": pl.Int64})


def active_customers_by_month(src: Snapshot, f: Filters) -> pl.DataFrame:
    """month, active — customers active at each month's end (or the period's end, in its last month),
    for the months from the period's start to its end."""
    months, ends = month_ends(f)
    return pl.DataFrame({"month": months, "active": _active_sizes(src, f, ends)},
                        schema={"month": pl.Date, "active": pl.Int64})


def new_customers(src: Snapshot, f: Filters) -> pl.DataFrame:
    """One row: new — customers created in the period."""
    return customers_in_view(src, f, in_period=True).select(pl.len().cast(pl.Int64).alias("new")).collect()


def new_customers_by(src: Snapshot, f: Filters, by: str | pl.Expr) -> pl.DataFrame:
    """`by`, new; one row per value of `by` with new customers, sorted."""
    return (customers_in_view(src, f, in_period=True).group_by(by).agg(pl.len().cast(pl.Int64).alias("new"))
            .sort(pl.first()).collect())


def _churn_frame(active_at_start: int, churned: int) -> pl.DataFrame:
    return pl.DataFrame({"active_at_start": [active_at_start], "churned": [churned]},
                        schema={"active_at_start": pl.Int64, "churned": pl.Int64}).with_columns(CHURN_RATE)


CHURN_RATE = (pl.when(pl.col("active_at_start") > 0)
              .then(pl.col("churned") / pl.col("active_at_start")).alias("churn_rate"))


def churn(src: Snapshot, f: Filters) -> pl.DataFrame:
    """One row: active_at_start, churned, churn_rate (0..1, null without active customers).

    Churned in the period: active at its start and no longer active at its end.
    """
    _, (active_at_start, churned) = _active_counts(src, f, [f.start_ts, f.end_ts])
    return _churn_frame(active_at_start, churned)


def churn_by_month(src: Snapshot, f: Filters) -> pl.DataFrame:
    """month, active_at_start, churned, churn_rate — churn within each month of the period (its first
    and last month cut to the period)."""
    months, ends = month_ends(f)
    counts = _active_counts(src, f, [f.start_ts, *ends])[1:]
    return pl.concat([_churn_frame(*c) for c in counts]).with_columns(pl.Series("month", months)).select(
        "month", "active_at_start", "churned", "churn_rate")


def churn_by(src: Snapshot, f: Filters, by: str) -> pl.DataFrame:
    """`by` (a customer column such as country_iso2 or segment), active_at_start, churned, churn_rate."""
    where = customers_in_view(src, f).select(pl.col("id").alias("customer_id"), by)
    still = active_ids(src, f, f.end_ts).lazy().with_columns(pl.lit(True).alias("still"))
    return (active_ids(src, f, f.start_ts).lazy().join(where, on="customer_id")
            .join(still, on="customer_id", how="left")
            .group_by(by)
            .agg(pl.len().cast(pl.Int64).alias("active_at_start"),
                 pl.col("still").is_null().sum().cast(pl.Int64).alias("churned"))
            .with_columns(CHURN_RATE).sort(by).collect())


def lifecycle_by_customer(src: Snapshot, f: Filters) -> pl.LazyFrame:
    """customer_id, stage (one of LIFECYCLE_STAGES) as of the period's end, for customers created by then.

    churned: no activity for 365 days; at_risk: no activity for longer than twice the customer's
    mean gap between won orders and at least 90 days; loyal: 4+ won orders spread over 12+ months;
    repeat: 2+ won orders; first_purchase: 1; prospect: none.
    """
    end = f.end_ts
    customers = customers_in_view(src, f).filter(pl.col("created_at") < end).select(
        pl.col("id").alias("customer_id"))
    orders = (rows(src, f, "orders", in_period=False)
              .filter((pl.col("status") == "won") & (pl.col("ordered_at") < end))
              .group_by(pl.col("master_id").alias("customer_id"))
              .agg(pl.len().alias("orders"), pl.col("ordered_at").min().alias("first_order"),
                   pl.col("ordered_at").max().alias("last_order"))
              # The usual gap is the mean time between won orders: the span over the number of gaps.
              .with_columns(pl.when(pl.col("orders") > 1)
                            .then((pl.col("last_order") - pl.col("first_order")) / (pl.col("orders") - 1))
                            .alias("usual_gap")))
    if src.data_last is None or end > src.data_last:
        # The period ends after the last event: every customer's last activity is precomputed.
        last_seen = src.scan("last_activity").select(pl.col("master_id").alias("customer_id"),
                                                     pl.col("last_at").alias("last_seen"))
    else:
        last_seen = (activity(src, f).filter(pl.col("at") < end).group_by("customer_id")
                     .agg(pl.col("at").max().alias("last_seen")))
    idle = pl.lit(end) - pl.col("last_seen")
    risk_gap = pl.max_horizontal(pl.col("usual_gap") * 2, pl.lit(dt.timedelta(days=AT_RISK_MIN_DAYS)))
    stage = (
        pl.when(pl.col("orders").fill_null(0) == 0).then(pl.lit("prospect"))
        .when(idle > YEAR).then(pl.lit("churned"))
        .when(idle > risk_gap).then(pl.lit("at_risk"))
        .when((pl.col("orders") >= LOYAL_MIN_ORDERS)
              & (pl.col("last_order") - pl.col("first_order") >= YEAR)).then(pl.lit("loyal"))
        .when(pl.col("orders") >= 2).then(pl.lit("repeat"))
        .otherwise(pl.lit("first_purchase"))
    )
    return (customers.join(orders, on="customer_id", how="left")
            .join(last_seen, on="customer_id", how="left")
            .select("customer_id", stage.alias("stage")).sort("customer_id"))


def lifecycle(src: Snapshot, f: Filters) -> pl.DataFrame:
    """stage, customers: every stage of LIFECYCLE_STAGES in order, zero where none."""
    counts = lifecycle_by_customer(src, f).group_by("stage").agg(pl.len().alias("customers"))
    order = pl.LazyFrame({"stage": LIFECYCLE_STAGES})
    return (order.join(counts, on="stage", how="left", maintain_order="left")
            .with_columns(pl.col("customers").fill_null(0).cast(pl.UInt32)).collect())


def top_customers(src: Snapshot, f: Filters, limit: int = 20) -> pl.DataFrame:
    """customer_id, name, country_iso2, city, segment, email, revenue, orders — the customers with the
    most revenue in the period (a customer entered twice under its master record). Consumers' names
    and e-mails are masked unless the filters carry personal-data rights (`customers_in_view`)."""
    best = (won_orders(src, f).group_by(pl.col("master_id").alias("customer_id"))
            .agg(pl.col("amount").sum().alias("revenue"), pl.len().cast(pl.Int64).alias("orders"))
            .sort("revenue", "customer_id", descending=[True, False]).head(limit).collect())
    # Only the customers listed are read and masked, not every customer in view.
    people = (customers_in_view(src, f).filter(pl.col("id").is_in(best["customer_id"].implode()))
              .select(pl.col("id").alias("customer_id"), "name", "country_iso2", "city", "segment", "kind", "email"))
    return (best.lazy().join(people, on="customer_id", how="inner")
            .select("customer_id", "name", "country_iso2", "city", "segment", "email", "revenue", "orders")
            .sort("revenue", "customer_id", descending=[True, False]).collect())
