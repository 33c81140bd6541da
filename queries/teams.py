"""Team reviews: each team's scorecard of registry KPIs with its rank among its peers, month by month
with its targets, a score over several dimensions, its reps, and the languages its customers use.

Teams are those of the regions in view (`targets.teams_in_view`); their numbers come from the rows the
viewer may see, through the registry (`kpis.measure_by` by `team_id` or `rep_id`). Peers are the teams
of the same kind (sales with sales, service with service).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import polars as pl

from dashboard.filters import Filters
from dashboard.snapshot import Snapshot
from queries import kpis
from queries.common import base_language, in_reporting_currency, rows, run_all
from queries.kpis import KPIS, RELATIVE_UNITS
from queries.privacy import mask_text
from queries.service import HOUR_US
from queries.targets import TARGET_METRICS, monthly_targets, target_attainment, teams_in_view

# The registry KPIs of each kind of team's scorecard, in the order they are shown.
SCORECARDS: dict[str, tuple[str, ...]] = {
    "sales": ("revenue", "new_customers", "pipeline_value", "weighted_pipeline", "win_rate", "deal_size",
              "deal_cycle"),
    "service": ("tickets_handled", "open_backlog", "backlog_age", "first_response", "first_response_p90",
                "resolution", "resolution_p90", "sla_attainment", "ticket_csat"),
}
# The dimensions of a team's score: registry KPIs, rates and times only. Revenue and new customers are
# counts that grow with a team's market, so they enter as attainment of the team's own target.
SCORE_DIMENSIONS: dict[str, tuple[str, ...]] = {
    "sales": ("revenue", "new_customers", "win_rate", "deal_cycle"),
    "service": ("first_response", "resolution", "sla_attainment", "ticket_csat", "backlog_age"),
}
AGAINST_TARGET = frozenset({"revenue", "new_customers"})
TARGETED = tuple(metric for metric, (kpi, _) in TARGET_METRICS.items() if kpi in AGAINST_TARGET)
# Customers belong to their owner: a rep's new customers are those they own.
OWNER_COLUMN = {"rep_id": "owner_rep_id"}


def teams(src: Snapshot, f: Filters) -> pl.DataFrame:
    """team_id, team, kind, office, manager, region_id, reps — the teams of the regions in view, sorted by
    kind and name."""
    reps = src.scan("reps").group_by("team_id").agg(pl.len().cast(pl.Int64).alias("reps"))
    return (teams_in_view(src, f).join(reps, on="team_id", how="left")
            .with_columns(pl.col("reps").fill_null(0)).sort("kind", "team", "team_id").collect())


def _ranked(frame: pl.DataFrame, over: str, value: str, rank: str) -> pl.DataFrame:
    """Adds `rank` (1 is best) among the rows of the same `over` (a KPI) whose value may be shown; a
    value resting on too small a sample, or of a KPI without a good direction, has no rank."""
    better = pl.col(over).replace_strict({k: v.better for k, v in KPIS.items()}, default="neutral")
    sortable = pl.when(better == "lower").then(pl.col(value)).otherwise(-pl.col(value))
    eligible = pl.col(value).is_not_null() & (better != "neutral") & pl.col(f"{value}_enough")
    return frame.with_columns(
        pl.when(eligible).then(pl.when(eligible).then(sortable).rank("min").over(over)).cast(pl.Int64).alias(rank))


def _enough(value: str, sample: str) -> pl.Expr:
    minimum = pl.col("kpi").replace_strict({k: v.min_sample for k, v in KPIS.items()}, default=0)
    has_sample = pl.col("kpi").replace_strict({k: v.sample is not None for k, v in KPIS.items()}, default=False)
    return (~has_sample | (pl.col(sample) >= minimum).fill_null(False)).alias(f"{value}_enough")


def _grouping(src: Snapshot, key: str, keys: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """The column each KPI of `keys` is grouped by for a member `key` (team_id, rep_id): the key itself, or
    the column that stands for it (a rep's new customers are those they own); KPIs whose rows have
    neither are left out."""
    by_column: dict[str, tuple[str, ...]] = {}
    for k in keys:
        columns = src.scan(KPIS[k].table).collect_schema().names()
        column = key if key in columns else OWNER_COLUMN.get(key)
        if column in columns:
            by_column[column] = (*by_column.get(column, ()), k)
    return by_column


def _measure_members(src: Snapshot, f: Filters, key: str, keys: tuple[str, ...]) -> pl.DataFrame:
    """`key`, kpi, value, sample, previous, previous_sample — every KPI of `keys` for every value of `key`
    with rows (`kpis.measure_by`)."""
    by_column = _grouping(src, key, keys)
    if not by_column:
        return kpis.measure_by(src, f, (), key)
    return pl.concat([kpis.measure_by(src, f, chosen, column).rename({column: key})
                      for column, chosen in by_column.items()], how="vertical_relaxed")


def _measured(src: Snapshot, f: Filters, members: pl.DataFrame, key: str, keys: tuple[str, ...],
              measured: pl.DataFrame | None = None) -> pl.DataFrame:
    """`key`, kpi, value, sample, previous, previous_sample, enough, previous_enough, rank, previous_rank —
    every KPI of `keys` for every member (team or rep) in `members`, with its rank among them. Members
    without rows have zero of a count or amount, and no value of anything else. `measured`: the
    `_measure_members` of these keys (or more), where already at hand."""
    by_column = _grouping(src, key, keys)
    if measured is None:
        measured = _measure_members(src, f, key, keys)
    grid = members.select(key).join(pl.DataFrame({"kpi": list(keys)}, schema={"kpi": pl.String}), how="cross")
    # Members without rows have zero of a total, where the total can be grouped by them at all.
    totals = pl.col("kpi").is_in([k for chosen in by_column.values() for k in chosen
                                  if KPIS[k].unit in RELATIVE_UNITS and KPIS[k].sample is None])
    frame = (grid.join(measured, on=[key, "kpi"], how="left")
             .with_columns(pl.when(totals).then(pl.col(c).fill_null(0.0)).otherwise(pl.col(c)).alias(c)
                           for c in ("value", "previous"))
             .with_columns(_enough("value", "sample"), _enough("previous", "previous_sample")))
    frame = _ranked(_ranked(frame, "kpi", "value", "rank"), "kpi", "previous", "previous_rank")
    order = pl.col("kpi").replace_strict({k: i for i, k in enumerate(keys)}, return_dtype=pl.Int64)
    return (frame.rename({"value_enough": "enough", "previous_enough": "previous_enough"})
            .sort(order, key).select(key, "kpi", "value", "sample", "previous", "previous_sample", "enough",
                                     "previous_enough", "rank", "previous_rank"))


def team_scorecard(src: Snapshot, f: Filters, kind: str) -> pl.DataFrame:
    """team_id, team, office, kpi, value, sample, previous, previous_sample, enough, previous_enough, rank,
    previous_rank, peers — each scorecard KPI (SCORECARDS) of each team of `kind` in view, for the period
    and the comparison period. `enough`: the value rests on the KPI's minimum sample; rank 1 is the best
    among the teams of that kind with enough (none for a KPI without a good direction); peers: how many
    were ranked."""
    members = teams(src, f).filter(pl.col("kind") == kind)
    frame = _measured(src, f, members, "team_id", SCORECARDS.get(kind, ()))
    return (frame.join(members.select("team_id", "team", "office"), on="team_id", how="left")
            .with_columns(pl.col("rank").count().over("kpi").cast(pl.Int64).alias("peers"))
            .select("team_id", "team", "office", "kpi", "value", "sample", "previous", "previous_sample", "enough",
                    "previous_enough", "rank", "previous_rank", "peers"))


def team_trends(src: Snapshot, f: Filters, kind: str) -> pl.DataFrame:
    """month, team_id, kpi, value, sample, enough, partial, target — each scorecard KPI of each team of
    `kind` in view, month by month over the 12 calendar months up to the period's end (each month is its
    own period: flows within it, states at its end), with the month's target where the team has one. As
    in `kpis.monthly`: below the minimum sample the value is null; `partial` marks a last month not over
    yet, whose target is prorated to its days so far."""
    window = kpis.trend_window(f)
    members = teams(src, f).filter(pl.col("kind") == kind).select("team_id")
    keys = SCORECARDS.get(kind, ())
    months = pl.date_range(window.start, window.end, "1mo", eager=True).to_list()
    last = months[-1]
    partial = window.end < _month_end(last)
    parts = []
    for month in months:
        within = window.with_window(max(month, window.start), min(_month_end(month), window.end))
        results: dict[kpis.GroupedQuery, pl.DataFrame] = {}
        for key in keys:
            kpi = KPIS[key]
            if kpi.by not in results:
                results[kpi.by] = kpi.by(src, within, "team_id")  # type: ignore[misc,index]
            found = results[kpi.by]  # type: ignore[index]
            sample = pl.col(kpi.sample).cast(pl.Float64) if kpi.sample else pl.lit(None, pl.Float64)
            parts.append(found.select("team_id", pl.col(kpi.column).cast(pl.Float64).alias("value"),
                                      sample.alias("sample"))
                         .with_columns(pl.lit(month).alias("month"), pl.lit(key).alias("kpi")))
    schema = {"month": pl.Date, "team_id": pl.Int64, "kpi": pl.String, "value": pl.Float64, "sample": pl.Float64}
    measured = (pl.concat(parts, how="vertical_relaxed").select(list(schema)) if parts
                else pl.DataFrame(schema=schema))
    grid = (pl.DataFrame({"month": months}).join(members, how="cross")
            .join(pl.DataFrame({"kpi": list(keys)}, schema={"kpi": pl.String}), how="cross"))
    totals = pl.col("kpi").is_in([k for k in keys if KPIS[k].unit in RELATIVE_UNITS and KPIS[k].sample is None])
    targets = monthly_targets(src, window).select("month", "team_id", "kpi", "target")
    return (grid.join(measured, on=["month", "team_id", "kpi"], how="left")
            .with_columns(pl.when(totals).then(pl.col("value").fill_null(0.0)).otherwise(pl.col("value")))
            .with_columns(_enough("value", "sample").alias("enough"))
            .with_columns(pl.when(pl.col("enough")).then(pl.col("value")).alias("value"),
                          ((pl.col("month") == last) & partial).alias("partial"))
            .join(targets, on=["month", "team_id", "kpi"], how="left")
            .sort("team_id", "kpi", "month")
            .select("month", "team_id", "kpi", "value", "sample", "enough", "partial", "target"))


def _month_end(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


# --- the score ----------------------------------------------------------------------------------------------

def percentiles(frame: pl.DataFrame, value: str) -> pl.Expr:
    """Where each row's `value` stands among the rows of its kind and dimension that have one: 0 the worst,
    1 the best (ties share their mean place), by the dimension's good direction (`better`). Null without a
    value, or with no peer to stand against."""
    goodness = pl.when(pl.col("better") == "lower").then(-pl.col(value)).otherwise(pl.col(value))
    groups = ("kind", "dimension")
    peers = pl.col(value).count().over(groups)
    place = goodness.rank("average").over(groups)
    return pl.when(pl.col(value).is_not_null() & (peers > 1)).then((place - 1) / (peers - 1))


def weighted_scores(dimensions: pl.DataFrame, weights: Mapping[str, float]) -> pl.DataFrame:
    """team_id, score (0-100), dimensions (how many it rests on) from `dimensions` (team_id, dimension,
    percentile): the mean of the team's percentiles weighted by `weights`, over the dimensions where it
    has one (the weights of the others are left out, not counted as zero). Null without any."""
    weighted = dimensions.with_columns(
        pl.col("dimension").replace_strict(dict(weights), default=0.0, return_dtype=pl.Float64).alias("weight"))
    usable = weighted.filter(pl.col("percentile").is_not_null() & (pl.col("weight") > 0))
    return (weighted.select("team_id").unique()
            .join(usable.group_by("team_id").agg(
                (100 * (pl.col("percentile") * pl.col("weight")).sum() / pl.col("weight").sum()).alias("score"),
                pl.len().cast(pl.Int64).alias("dimensions")), on="team_id", how="left")
            .with_columns(pl.col("dimensions").fill_null(0)).sort("team_id"))


def score_dimensions(src: Snapshot, f: Filters, wanted: frozenset[str] | None = None) -> pl.DataFrame:
    """team_id, kind, dimension, better, value, previous, percentile, previous_percentile — each team's
    score dimensions (SCORE_DIMENSIONS; only those `wanted`, if given) for the period and the comparison
    period: the registry KPI where its value rests on enough observations, or (revenue, new customers)
    the attainment of the team's target. Percentiles among the teams of the same kind in view
    (`percentiles`)."""
    chosen = {kind: tuple(d for d in dimensions if wanted is None or d in wanted)
              for kind, dimensions in SCORE_DIMENSIONS.items()}
    # Only the KPIs scored, not each kind's whole scorecard, every team's at once; and the targets of
    # both periods, side by side.
    scored = tuple(d for dimensions in chosen.values() for d in dimensions if d not in AGAINST_TARGET)
    targets = [(target_attainment, period, (TARGETED,)) for period in (f, f.comparison())]
    measures = (_measure_members, f, ("team_id", scored))
    results = run_all(src, [*targets, measures] if scored else targets)
    attained = [results[call].select("team_id", pl.col("kpi").alias("dimension"), pl.col("attainment").alias(when))
                for when, call in zip(("value", "previous"), targets, strict=True)]
    in_view = teams(src, f)
    parts = []
    for kind, dimensions in chosen.items():
        if not dimensions:
            continue
        members = in_view.filter(pl.col("kind") == kind)
        kpi_dimensions = tuple(d for d in dimensions if d not in AGAINST_TARGET)
        measured = (_measured(src, f, members, "team_id", kpi_dimensions, results.get(measures))
                    .select("team_id", pl.col("kpi").alias("dimension"),
                            pl.when(pl.col("enough")).then(pl.col("value")).alias("value"),
                            pl.when(pl.col("previous_enough")).then(pl.col("previous")).alias("previous")))
        targeted = (members.select("team_id")
                    .join(pl.DataFrame({"dimension": [d for d in dimensions if d in AGAINST_TARGET]},
                                       schema={"dimension": pl.String}), how="cross")
                    .join(attained[0], on=["team_id", "dimension"], how="left")
                    .join(attained[1], on=["team_id", "dimension"], how="left"))
        parts.append(pl.concat([measured, targeted], how="vertical_relaxed").with_columns(pl.lit(kind).alias("kind")))
    better = {k: KPIS[k].better for dims in SCORE_DIMENSIONS.values() for k in dims} | dict.fromkeys(
        AGAINST_TARGET, "higher")
    schema = {"team_id": pl.Int32, "kind": pl.String, "dimension": pl.String, "better": pl.String,
              "value": pl.Float64, "previous": pl.Float64, "percentile": pl.Float64,
              "previous_percentile": pl.Float64}
    if not parts:
        return pl.DataFrame(schema=schema)
    frame = pl.concat(parts).with_columns(pl.col("dimension").replace_strict(better).alias("better"))
    return (frame.with_columns(percentiles(frame, "value").alias("percentile"),
                               percentiles(frame, "previous").alias("previous_percentile"))
            .select(list(schema))
            .sort("team_id", "dimension"))


def score_rank(column: str) -> pl.Expr:
    """The rank (1 is the best) of a team's score among the teams of its kind, by the score as shown, in
    whole points: two teams shown at 28 share a place, as two shown at 69 do (ranking 28.4 above 27.6
    gave them places 14 and 15 beside equal numbers)."""
    return pl.col(column).round(0).rank("min", descending=True).over("kind").cast(pl.Int64)


def team_scores(src: Snapshot, f: Filters, weights: tuple[tuple[str, float], ...]) -> pl.DataFrame:
    """team_id, team, kind, office, score, dimensions, rank, previous_score, previous_rank, movement — each
    team's weighted score (`weighted_scores` of `score_dimensions`) for the period and the comparison
    period, its rank among the teams of its kind (1 is the best) and how many places it rose since
    (negative: fell; null where either period has no score). Sorted by kind, then rank."""
    chosen = dict(weights)
    # A dimension without weight changes no score: it is not computed.
    dimensions = score_dimensions(src, f, frozenset(d for d, w in chosen.items() if w > 0))
    now = weighted_scores(dimensions, chosen)
    before = weighted_scores(dimensions.drop("percentile").rename({"previous_percentile": "percentile"}), chosen)
    in_view = teams(src, f).select("team_id", "team", "kind", "office")
    return (in_view.join(now, on="team_id", how="left")
            .join(before.select("team_id", pl.col("score").alias("previous_score")), on="team_id", how="left")
            .with_columns(pl.col("dimensions").fill_null(0), score_rank("score").alias("rank"),
                          score_rank("previous_score").alias("previous_rank"))
            .with_columns((pl.col("previous_rank") - pl.col("rank")).alias("movement"))
            .sort("kind", "rank", "team", nulls_last=True)
            .select("team_id", "team", "kind", "office", "score", "dimensions", "rank", "previous_score",
                    "previous_rank", "movement"))


# --- reps -----------------------------------------------------------------------------------------------------

def _rep_names(src: Snapshot, f: Filters, team_id: int) -> pl.DataFrame:
    """rep_id, rep — the reps of the team, if it is in view; their names are personal data, masked (with
    the rep's id, to tell them apart) without personal-data rights."""
    in_view = teams_in_view(src, f).filter(pl.col("team_id") == team_id).select("team_id")
    reps = (src.scan("reps").join(in_view, on="team_id", how="semi")
            .select(pl.col("id").alias("rep_id"), pl.col("name").alias("rep")).sort("rep_id").collect())
    if f.personal_data:
        return reps
    return reps.with_columns(pl.struct("rep", "rep_id").map_elements(
        lambda r: f"{mask_text(r['rep'])} #{r['rep_id']}", return_dtype=pl.String).alias("rep"))


def rep_scorecard(src: Snapshot, f: Filters, team_id: int) -> pl.DataFrame:
    """rep_id, rep, kpi, value, sample, previous, previous_sample, enough, previous_enough, rank,
    previous_rank — the scorecard KPIs of the team's kind for each of its reps (the team must be in view),
    over the rows the viewer may see. A rep whose value rests on fewer observations than the KPI's
    minimum sample has `enough` false and no rank: marked, not ranked."""
    kind = teams(src, f).filter(pl.col("team_id") == team_id)["kind"]
    reps = _rep_names(src, f, team_id)
    keys = SCORECARDS.get(kind[0], ()) if kind.len() else ()
    return (_measured(src, f, reps, "rep_id", keys).join(reps, on="rep_id", how="left")
            .select("rep_id", "rep", "kpi", "value", "sample", "previous", "previous_sample", "enough",
                    "previous_enough", "rank", "previous_rank"))


def _customer_names(src: Snapshot, f: Filters) -> pl.LazyFrame:
    """customer_id, customer — consumers' names masked without personal-data rights (companies' are not
    personal data)."""
    names = src.scan("customers").select(pl.col("id").alias("customer_id"), pl.col("name").alias("customer"),
                                         pl.col("kind").alias("customer_kind_"))
    if not f.personal_data:
        names = names.with_columns(pl.when(pl.col("customer_kind_") == "B2C")
                                   .then(pl.col("customer").map_elements(mask_text, return_dtype=pl.String))
                                   .otherwise(pl.col("customer")).alias("customer"))
    return names.drop("customer_kind_")


def rep_deals(src: Snapshot, f: Filters, rep_id: int) -> pl.DataFrame:
    """opportunity_id, customer, country_iso2, stage, outcome, amount (reporting currency, at the rate of
    its opening date), opened_at, closed_at — the rep's deals that were open at some time in the period
    (opened before its end, not closed before its start), among the rows the viewer may see. Largest
    first."""
    deals = (rows(src, f, "opportunities", in_period=False)
             .filter((pl.col("rep_id") == rep_id) & (pl.col("opened_at") < f.end_ts)
                     & (pl.col("closed_at").is_null() | (pl.col("closed_at") >= f.start_ts))))
    return (in_reporting_currency(deals, src, f.currency, "opened_at")
            .join(_customer_names(src, f), on="customer_id", how="left")
            .select(pl.col("id").alias("opportunity_id"), "customer", "country_iso2", "stage", "outcome", "amount",
                    "opened_at", "closed_at")
            .sort("amount", "opportunity_id", descending=[True, False], nulls_last=True).collect())


def rep_tickets(src: Snapshot, f: Filters, rep_id: int) -> pl.DataFrame:
    """ticket_id, customer, country_iso2, channel, priority, category, opened_at, first_response_h,
    resolution_h, sla_met (null while not due: see `service.sla_columns`), resolved — the rep's tickets
    opened in the period, among the rows the viewer may see. Newest first."""
    deadline = pl.col("opened_at") + pl.duration(hours=pl.col("sla_hours"))
    due = pl.col("sla_hours").is_not_null() & (pl.col("resolved_at").is_not_null() | (deadline <= pl.lit(src.as_of)))
    met = pl.col("resolved_at").is_not_null() & (pl.col("resolved_at") <= deadline)

    def hours(later: str) -> pl.Expr:
        return (pl.col(later) - pl.col("opened_at")).dt.total_microseconds() / HOUR_US

    return (rows(src, f, "tickets").filter(pl.col("rep_id") == rep_id)
            .join(_customer_names(src, f), on="customer_id", how="left")
            .select(pl.col("id").alias("ticket_id"), "customer", "country_iso2", "channel", "priority", "category",
                    "opened_at", hours("first_response_at").alias("first_response_h"),
                    hours("resolved_at").alias("resolution_h"), pl.when(due).then(met).alias("sla_met"),
                    pl.col("resolved_at").is_not_null().alias("resolved"))
            .sort("opened_at", "ticket_id", descending=True).collect())


# --- language coverage ---------------------------------------------------------------------------------------

# The tables whose rows say which language the customer used.
LANGUAGE_TABLES = ("interactions", "tickets", "surveys")


def _in_language(src: Snapshot, f: Filters, table: str, by: str) -> pl.LazyFrame | None:
    """`by`, language of the table's rows in the period, or None where its rows carry no language or
    cannot be placed by `by`. A survey response about a ticket counts for the ticket's team."""
    frame = rows(src, f, table)
    columns = frame.collect_schema().names()
    if "language" not in columns:
        return None
    if by not in columns:
        if "ticket_id" not in columns or by not in src.scan("tickets").collect_schema().names():
            return None
        frame = frame.join(src.scan("tickets").select(pl.col("id").alias("ticket_id"), by), on="ticket_id")
    return frame.select(pl.col(by).cast(pl.Int64), base_language("language").alias("language"))


def language_coverage(src: Snapshot, f: Filters, by: str) -> pl.DataFrame:
    """`by` (region_id: the customers' region; or team_id: the team of the rep), language (base code),
    volume (rows of the period in that language: interactions, tickets and survey responses, those of
    them that carry a language and `by` — per team, a response about a ticket counts for the ticket's
    team), share (of the group's volume, 0..1), speakers (the group's reps who speak it: a region's are
    those of its teams), gap (volume without a speaker). Rows without a language, a region or a team in
    view are left out. Sorted by group, then volume, largest first."""
    team_region = teams_in_view(src, f).select("team_id", "region_id")
    placed = [frame for frame in (_in_language(src, f, table, by) for table in LANGUAGE_TABLES) if frame is not None]
    volume = (pl.concat(placed)
              .filter(pl.col(by).is_not_null() & pl.col("language").is_not_null() & (pl.col("language") != ""))
              .join(team_region.select(pl.col(by).cast(pl.Int64)).unique(), on=by, how="semi")
              .group_by(by, "language").agg(pl.len().cast(pl.Int64).alias("volume")))
    speakers = (src.scan("reps").join(team_region, on="team_id", how="inner")
                .select(pl.col(by).cast(pl.Int64), "id",
                        pl.col("languages").fill_null("").str.split(",").alias("language"))
                .explode("language").with_columns(base_language("language").alias("language"))
                .filter(pl.col("language") != "").unique([by, "id", "language"])
                .group_by(by, "language").agg(pl.len().cast(pl.Int64).alias("speakers")))
    return (volume.join(speakers, on=[by, "language"], how="left")
            .with_columns(pl.col("speakers").fill_null(0),
                          (pl.col("volume") / pl.col("volume").sum().over(by)).alias("share"))
            .with_columns((pl.col("speakers") == 0).alias("gap"))
            .select(by, "language", "volume", "share", "speakers", "gap")
            .sort(by, "volume", "language", descending=[False, True, False]).collect())
