"""The KPIs team reviews add to the registry: the pipeline (open deals, weighted by their stage), the
service workload (tickets handled, the open backlog and its age) and the CSAT of a team's own tickets.

Pipeline and backlog are states, not flows: they are taken at the period's end (for a month, at that
month's end), whenever their rows were opened.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.filters import Filters
from dashboard.snapshot import Snapshot
from queries.common import between, in_reporting_currency, month_ends, rows
from queries.satisfaction import CSAT
from queries.service import HOUR_US

# The chance that an open deal in each stage is won: what the weighted pipeline counts of its amount.
STAGE_PROBABILITY = {"qualify": 0.1, "propose": 0.3, "negotiate": 0.6}
# A deal open at the period's end and closed since was, at that end, in the stage before closing.
STAGE_BEFORE_CLOSING = "negotiate"


def _open_deals(src: Snapshot, f: Filters, at: dt.datetime) -> pl.LazyFrame:
    """Opportunities open at `at` (opened before it, not closed by then), with `value`: the amount in the
    reporting currency at the rate of the day before `at`, `stage_then` (their stage at `at`) and its
    `probability`."""
    deals = rows(src, f, "opportunities", in_period=False).filter(
        (pl.col("opened_at") < at)
        & (pl.col("closed_at").is_null() & pl.col("stage").ne_missing("closed") | (pl.col("closed_at") >= at)))
    stage = (pl.when(pl.col("closed_at").is_not_null()).then(pl.lit(STAGE_BEFORE_CLOSING))
             .otherwise(pl.col("stage")))
    valued = deals.with_columns(pl.lit(at - dt.timedelta(days=1)).alias("valued_at"), stage.alias("stage_then"),
                                stage.replace_strict(STAGE_PROBABILITY, default=None, return_dtype=pl.Float64)
                                .alias("probability"))
    return in_reporting_currency(valued, src, f.currency, "valued_at", alias="value")


def _pipeline_columns() -> list[pl.Expr]:
    return [pl.len().cast(pl.Int64).alias("open_deals"), pl.col("value").sum().alias("pipeline"),
            (pl.col("value") * pl.col("probability")).sum().alias("weighted_pipeline")]


def pipeline(src: Snapshot, f: Filters) -> pl.DataFrame:
    """One row: open_deals, pipeline (their amount), weighted_pipeline (each amount times its stage's
    probability, STAGE_PROBABILITY; a stage outside it counts nothing) — deals open at the period's end."""
    return _open_deals(src, f, f.end_ts).select(_pipeline_columns()).collect()


def pipeline_by(src: Snapshot, f: Filters, by: str | pl.Expr) -> pl.DataFrame:
    """`by` and the columns of `pipeline`, one row per value of `by` with open deals, sorted."""
    return _open_deals(src, f, f.end_ts).group_by(by).agg(_pipeline_columns()).sort(pl.first()).collect()


def pipeline_by_month(src: Snapshot, f: Filters) -> pl.DataFrame:
    """month and the columns of `pipeline`, at the end of each month of the period (at the period's end
    in its last month)."""
    months, ends = month_ends(f)
    return pl.concat([_open_deals(src, f, end).select(_pipeline_columns()).collect()
                      .with_columns(pl.lit(month).alias("month")) for month, end in zip(months, ends, strict=True)]
                     ).select("month", "open_deals", "pipeline", "weighted_pipeline")


# --- tickets handled, the open backlog ------------------------------------------------------------------

def _handled(src: Snapshot, f: Filters) -> pl.LazyFrame:
    return rows(src, f, "tickets", in_period=False).filter(between("resolved_at", f.start_ts, f.end_ts))


def tickets_handled(src: Snapshot, f: Filters) -> pl.DataFrame:
    """One row: handled — tickets resolved in the period, whenever they were opened."""
    return _handled(src, f).select(pl.len().cast(pl.Int64).alias("handled")).collect()


def tickets_handled_by(src: Snapshot, f: Filters, by: str | pl.Expr) -> pl.DataFrame:
    """`by`, handled; one row per value of `by` with tickets resolved in the period, sorted."""
    return _handled(src, f).group_by(by).agg(pl.len().cast(pl.Int64).alias("handled")).sort(pl.first()).collect()


def tickets_handled_by_month(src: Snapshot, f: Filters) -> pl.DataFrame:
    """month, handled — by the month of their resolution."""
    return tickets_handled_by(src, f, pl.col("resolved_at").dt.truncate("1mo").dt.date().alias("month"))


def _open_tickets(src: Snapshot, f: Filters, at: dt.datetime) -> pl.LazyFrame:
    """Tickets open at `at` (opened before it, not resolved by then), with `age_h`: hours since opening."""
    return (rows(src, f, "tickets", in_period=False)
            .filter((pl.col("opened_at") < at) & (pl.col("resolved_at").is_null() | (pl.col("resolved_at") >= at)))
            .with_columns(((pl.lit(at) - pl.col("opened_at")).dt.total_microseconds() / HOUR_US).alias("age_h")))


def _backlog_columns() -> list[pl.Expr]:
    return [pl.len().cast(pl.Int64).alias("open_tickets"), pl.col("age_h").median().alias("backlog_age_h")]


def backlog(src: Snapshot, f: Filters) -> pl.DataFrame:
    """One row: open_tickets (at the period's end), backlog_age_h (their median age then, in hours)."""
    return _open_tickets(src, f, f.end_ts).select(_backlog_columns()).collect()


def backlog_by(src: Snapshot, f: Filters, by: str | pl.Expr) -> pl.DataFrame:
    """`by`, open_tickets, backlog_age_h; one row per value of `by` with open tickets, sorted."""
    return _open_tickets(src, f, f.end_ts).group_by(by).agg(_backlog_columns()).sort(pl.first()).collect()


def backlog_by_month(src: Snapshot, f: Filters) -> pl.DataFrame:
    """month, open_tickets, backlog_age_h — at the end of each month of the period (at the period's end in
    its last month)."""
    months, ends = month_ends(f)
    return pl.concat([_open_tickets(src, f, end).select(_backlog_columns()).collect()
                      .with_columns(pl.lit(month).alias("month")) for month, end in zip(months, ends, strict=True)]
                     ).select("month", "open_tickets", "backlog_age_h")


# --- CSAT of a team's tickets ------------------------------------------------------------------------------

def _ticket_responses(src: Snapshot, f: Filters) -> pl.LazyFrame:
    """CSAT responses answered in the period about a ticket, with the ticket's rep, team and office (a
    response counts for whoever handled the ticket it is about)."""
    tickets = src.scan("tickets").select(pl.col("id").alias("ticket_id"), "rep_id", "team_id", "office")
    return (rows(src, f, "surveys").filter((pl.col("kind") == "CSAT") & pl.col("ticket_id").is_not_null())
            .join(tickets, on="ticket_id", how="inner"))


def _csat_columns() -> list[pl.Expr]:
    return [pl.len().cast(pl.Int64).alias("responses"), (pl.col("score") >= 4).sum().cast(pl.Int64).alias("satisfied")]


def ticket_csat(src: Snapshot, f: Filters) -> pl.DataFrame:
    """One row: responses, satisfied (4-5 of 5), csat (% satisfied; null without responses) — CSAT
    responses about tickets, answered in the period."""
    return _ticket_responses(src, f).select(_csat_columns()).with_columns(CSAT).collect()


def ticket_csat_by(src: Snapshot, f: Filters, by: str | pl.Expr) -> pl.DataFrame:
    """`by` (a column of the ticket, such as team_id or rep_id, or of the response), responses, satisfied,
    csat; one row per value of `by`, sorted."""
    return (_ticket_responses(src, f).group_by(by).agg(_csat_columns()).with_columns(CSAT)
            .sort(pl.first()).collect())


def ticket_csat_by_month(src: Snapshot, f: Filters) -> pl.DataFrame:
    """month, responses, satisfied, csat — by the month of the answer."""
    return ticket_csat_by(src, f, pl.col("answered_at").dt.truncate("1mo").dt.date().alias("month"))
