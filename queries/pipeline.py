"""The sales pipeline: open deals by stage, and won deals by rep, team, manager, office, country or
segment — the organisation beside the customers' geography."""

from __future__ import annotations

import polars as pl

from dashboard.filters import Filters
from dashboard.snapshot import Snapshot
from queries import team_kpis
from queries.partners import WIN_RATE, closed_opportunities, win_columns
from queries.privacy import masked_text

STAGES = ("qualify", "propose", "negotiate")
# What deals can be broken down by: the column of the deal (or of its rep's team) and what names it.
DIMENSIONS = ("rep_id", "team_id", "manager", "office", "country_iso2", "segment")


def pipeline_by_stage(src: Snapshot, f: Filters) -> pl.DataFrame:
    """stage, open_deals, pipeline, weighted_pipeline — deals open at the period's end by their stage
    then (every stage of STAGES, zero where none), in the reporting currency."""
    open_deals = team_kpis.pipeline_by(src, f, pl.col("stage_then").cast(pl.String).alias("stage"))
    return (pl.DataFrame({"stage": STAGES}).join(open_deals, on="stage", how="left")
            .with_columns(pl.col("open_deals").fill_null(0), pl.col("pipeline", "weighted_pipeline").fill_null(0.0)))


def _deals(src: Snapshot, f: Filters) -> pl.LazyFrame:
    """Deals closed in the period with their rep's team's manager."""
    managers = src.scan("teams").select(pl.col("id").alias("team_id"), "manager")
    return closed_opportunities(src, f).join(managers, on="team_id", how="left")


def _names(src: Snapshot, f: Filters, dimension: str) -> pl.LazyFrame | None:
    """dimension, name: what to call each value of the dimension (reps' names are personal data)."""
    if dimension == "rep_id":
        reps = src.scan("reps").select(pl.col("id").alias("rep_id"), "name")
        if not f.personal_data:
            reps = reps.with_columns((masked_text("name") + " #" + pl.col("rep_id").cast(pl.String)).alias("name"))
        return reps
    if dimension == "team_id":
        return src.scan("teams").select(pl.col("id").alias("team_id"), "name")
    return None


def deals_by(src: Snapshot, f: Filters, dimension: str) -> pl.DataFrame:
    """`dimension`, name, closed, won, win_rate (0..1), won_value, deal_size (mean won deal), deal_cycle_days
    (median, won deals) — deals closed in the period, by rep, team, manager, office, country or segment
    (DIMENSIONS), largest won value first. Values in the reporting currency; `name` is the rep's or
    team's name, else the value itself."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"deals cannot be broken down by {dimension!r}")
    grouped = _deals(src, f).group_by(dimension).agg(win_columns()).with_columns(WIN_RATE)
    names = _names(src, f, dimension)
    grouped = (grouped.join(names, on=dimension, how="left") if names is not None
               else grouped.with_columns(pl.col(dimension).cast(pl.String).alias("name")))
    return (grouped.select(dimension, "name", "closed", "won", "win_rate", "won_value", "deal_size", "deal_cycle_days")
            .sort("won_value", dimension, descending=[True, False], nulls_last=True).collect())
