"""The company's organisation: teams, their offices and managers, and reps — a dimension of its own,
beside the customers' geography."""

from __future__ import annotations

import polars as pl

from dashboard.filters import Filters
from dashboard.snapshot import Snapshot


def teams(src: Snapshot, f: Filters) -> pl.DataFrame:
    """team_id, name, kind, office, manager, region_id — the teams the viewer may see (those of the
    regions, teams and offices in view), by name."""
    frame = src.scan("teams").select(pl.col("id").alias("team_id"), "name", "kind", "office", "manager",
                                     "region_id")
    for values, column in ((f.visible_regions, "region_id"), (f.visible_teams, "team_id"),
                           (f.visible_offices, "office")):
        if values is not None:
            frame = frame.filter(pl.col(column).is_in(values))
    return frame.sort("name", "team_id").collect()


def reps(src: Snapshot, f: Filters) -> pl.DataFrame:
    """rep_id, name, team_id, team, office, manager, languages — the reps of the teams the viewer may see."""
    in_view = teams(src, f).select("team_id", pl.col("name").alias("team"), "office", "manager").lazy()
    return (src.scan("reps").select(pl.col("id").alias("rep_id"), "name", "team_id", "languages")
            .join(in_view, on="team_id", how="inner")
            .select("rep_id", "name", "team_id", "team", "office", "manager", "languages")
            .sort("name", "rep_id").collect())
