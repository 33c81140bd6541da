"""Customer satisfaction: NPS, CSAT and CES from survey responses answered in the period."""

from __future__ import annotations

import polars as pl

from dashboard.filters import Filters
from dashboard.snapshot import Snapshot
from queries.common import rows

# Below this many responses a score is "too few responses" (the KPI registry's minimum sample).
MIN_RESPONSES = 30


def _responses(src: Snapshot, f: Filters, kind: str) -> pl.LazyFrame:
    return rows(src, f, "surveys").filter(pl.col("kind") == kind)


def nps_columns() -> list[pl.Expr]:
    """NPS counts for any grouping of NPS responses; `NPS` computes the score from them."""
    return [
        pl.len().cast(pl.Int64).alias("responses"),
        (pl.col("score") >= 9).sum().cast(pl.Int64).alias("promoters"),
        pl.col("score").is_between(7, 8).sum().cast(pl.Int64).alias("passives"),
        (pl.col("score") <= 6).sum().cast(pl.Int64).alias("detractors"),
    ]


NPS = (pl.when(pl.col("responses") > 0)
       .then(100 * (pl.col("promoters") - pl.col("detractors")) / pl.col("responses")).alias("nps"))


def nps(src: Snapshot, f: Filters) -> pl.DataFrame:
    """One row: responses, promoters (9-10), passives (7-8), detractors (0-6), nps (-100..100, null
    without responses)."""
    return _responses(src, f, "NPS").select(nps_columns()).with_columns(NPS).collect()


def nps_by(src: Snapshot, f: Filters, by: str | pl.Expr) -> pl.DataFrame:
    """`by`, responses, promoters, passives, detractors, nps; one row per value of `by`, sorted."""
    return (_responses(src, f, "NPS").group_by(by).agg(nps_columns()).with_columns(NPS)
            .sort(pl.first()).collect())


def _csat_columns() -> list[pl.Expr]:
    return [pl.len().cast(pl.Int64).alias("responses"),
            (pl.col("score") >= 4).sum().cast(pl.Int64).alias("satisfied")]


CSAT = pl.when(pl.col("responses") > 0).then(100 * pl.col("satisfied") / pl.col("responses")).alias("csat")


def csat(src: Snapshot, f: Filters) -> pl.DataFrame:
    """One row: responses, satisfied (4-5 of 5), csat (% satisfied, null without responses)."""
    return _responses(src, f, "CSAT").select(_csat_columns()).with_columns(CSAT).collect()


def csat_by(src: Snapshot, f: Filters, by: str | pl.Expr) -> pl.DataFrame:
    """`by`, responses, satisfied, csat; one row per value of `by`, sorted."""
    return (_responses(src, f, "CSAT").group_by(by).agg(_csat_columns()).with_columns(CSAT)
            .sort(pl.first()).collect())


def _ces_columns() -> list[pl.Expr]:
    return [pl.len().cast(pl.Int64).alias("responses"), pl.col("score").cast(pl.Float64).mean().alias("ces")]


def ces(src: Snapshot, f: Filters) -> pl.DataFrame:
    """One row: responses, ces (mean effort 1-7, lower is better; null without responses)."""
    return _responses(src, f, "CES").select(_ces_columns()).collect()


def ces_by(src: Snapshot, f: Filters, by: str | pl.Expr) -> pl.DataFrame:
    """`by`, responses, ces; one row per value of `by`, sorted."""
    return _responses(src, f, "CES").group_by(by).agg(_ces_columns()).sort(pl.first()).collect()
