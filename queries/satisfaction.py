"""Customer satisfaction: NPS, CSAT and CES from survey responses answered in the period."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Literal

import polars as pl

from dashboard.filters import Filters
from dashboard.snapshot import Snapshot
from queries.common import base_language, rows
from queries.privacy import suppress_small

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


# --- trends ----------------------------------------------------------------------------------------------

Grain = Literal["week", "month", "quarter"]
GRAIN_EVERY = {"week": "1w", "month": "1mo", "quarter": "3mo"}
# How many periods a trend shows: a quarter of weeks, a year of months, two years of quarters (a small
# market has enough responses for a score only per quarter).
GRAIN_PERIODS = {"week": 13, "month": 12, "quarter": 8}
Z95 = 1.96


def trend_window(f: Filters, grain: Grain) -> Filters:
    """The periods a trend covers, up to the period's end: 13 weeks (Monday to Sunday), 12 calendar
    months or 8 calendar quarters, as a custom window so its comparison is the window of equal length
    before it, or the same window a year before."""
    if grain == "month":
        window = f.last_months(GRAIN_PERIODS["month"])
    elif grain == "quarter":
        window = f.last_months(3 * (GRAIN_PERIODS["quarter"] - 1) + 1)
        window = window.with_window(_first(window.start, "quarter"), f.end)
    else:
        window = f.with_window(_first(f.end, "week") - dt.timedelta(weeks=GRAIN_PERIODS["week"] - 1), f.end)
    return replace(window, preset="custom")


def main_product_lines(src: Snapshot, f: Filters) -> pl.DataFrame:
    """customer_id, product_line — each customer's main product line: the one of most won revenue (in
    USD, over the whole history), the alphabetically first on a tie. A survey has no product line of
    its own, so a response is counted under its customer's."""
    return (rows(src, f, "orders", in_period=False).filter(pl.col("status") == "won")
            .group_by("customer_id", "product_line").agg(pl.col("amount_usd").sum().alias("usd"))
            .sort(["customer_id", "usd", "product_line"], descending=[False, True, False])
            .group_by("customer_id", maintain_order=True).first().select("customer_id", "product_line").collect())


def _group(by: str | None) -> pl.Expr:
    if by is None:
        return pl.lit(None, pl.String).alias("group")
    if by == "language":
        return base_language("language").alias("group")
    return pl.col(by).cast(pl.String).alias("group")


def score_trend(src: Snapshot, f: Filters, grain: Grain, by: str | None = None) -> pl.DataFrame:
    """period (first day), group (the `by` value as text; null without `by`), kpi (nps, csat, ces), value,
    low, high (the 95 % confidence interval), sample (responses), enough (sample at least the minimum)
    — NPS, CSAT and CES per week, month or quarter of `trend_window`, each period with responses. `by`:
    a column of the survey rows, "language" (its base language) or "product_line" (the customer's main
    one, `main_product_lines`).

    The interval: NPS is a difference of two shares of one sample, so its standard error is
    100 * sqrt((p + d - (p - d)^2) / n) with p and d the promoter and detractor shares; CSAT a share,
    100 * sqrt(s (1 - s) / n); CES a mean, its standard deviation / sqrt(n). Normal approximation."""
    window = trend_window(f, grain)
    surveys = rows(src, window, "surveys")
    if by == "product_line":
        surveys = surveys.join(main_product_lines(src, f).lazy(), on="customer_id", how="left")
    surveys = surveys.with_columns(
        pl.col("answered_at").dt.truncate(GRAIN_EVERY[grain]).dt.date().alias("period"), _group(by))
    keys = ["period", "group"]
    n = pl.len().cast(pl.Int64).alias("sample")
    nps_rows = (surveys.filter(pl.col("kind") == "NPS").group_by(keys)
                .agg(n, (pl.col("score") >= 9).mean().alias("p"), (pl.col("score") <= 6).mean().alias("d"))
                .with_columns((100 * (pl.col("p") - pl.col("d"))).alias("value"),
                              (100 * ((pl.col("p") + pl.col("d") - (pl.col("p") - pl.col("d")) ** 2)
                                      / pl.col("sample")).sqrt()).alias("se"),
                              pl.lit("nps").alias("kpi")))
    csat_rows = (surveys.filter(pl.col("kind") == "CSAT").group_by(keys)
                 .agg(n, (pl.col("score") >= 4).mean().alias("s"))
                 .with_columns((100 * pl.col("s")).alias("value"),
                               (100 * (pl.col("s") * (1 - pl.col("s")) / pl.col("sample")).sqrt()).alias("se"),
                               pl.lit("csat").alias("kpi")))
    ces_rows = (surveys.filter(pl.col("kind") == "CES").group_by(keys)
                .agg(n, pl.col("score").cast(pl.Float64).mean().alias("value"),
                     pl.col("score").cast(pl.Float64).std().fill_null(0).alias("sd"))
                .with_columns((pl.col("sd") / pl.col("sample").sqrt()).alias("se"), pl.lit("ces").alias("kpi")))
    columns = ["period", "group", "kpi", "value", "se", "sample"]
    bounds = {"nps": (-100.0, 100.0), "csat": (0.0, 100.0), "ces": (1.0, 7.0)}
    low = pl.col("value") - Z95 * pl.col("se")
    high = pl.col("value") + Z95 * pl.col("se")

    def clip(edge: pl.Expr) -> pl.Expr:
        return pl.coalesce([pl.when(pl.col("kpi") == k).then(edge.clip(lo, hi)) for k, (lo, hi) in bounds.items()])

    return (pl.concat([nps_rows.select(columns), csat_rows.select(columns), ces_rows.select(columns)])
            .with_columns(clip(low).alias("low"), clip(high).alias("high"),
                          (pl.col("sample") >= MIN_RESPONSES).alias("enough"))
            .select("period", "group", "kpi", "value", "low", "high", "sample", "enough")
            .sort("kpi", "group", "period", nulls_last=True).collect())


def score_trend_compared(src: Snapshot, f: Filters, grain: Grain) -> pl.DataFrame:
    """The columns of `score_trend` (no groups) for the comparison window, plus `period` moved onto the
    current window's periods by position (the first week or month of each window side by side) and
    `compared_period`, the period it was."""
    now = trend_window(f, grain)
    before = now.comparison()
    frame = score_trend(src, replace(f, start=before.start, end=before.end), grain)
    every = GRAIN_EVERY[grain]
    current = pl.date_range(_first(now.start, grain), now.end, every, eager=True)
    earlier = pl.date_range(_first(before.start, grain), before.end, every, eager=True)
    mapping = pl.DataFrame({"compared_period": earlier[: current.len()], "period": current[: earlier.len()]})
    return (frame.rename({"period": "compared_period"}).join(mapping, on="compared_period")
            .select("period", "compared_period", "group", "kpi", "value", "low", "high", "sample", "enough"))


def _first(day: dt.date, grain: Grain) -> dt.date:
    """The first day of the week, month or quarter `day` falls in."""
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(day=1)


# --- breakdown ---------------------------------------------------------------------------------------------

TOTAL = "__all__"  # the breakdown's column value for a market's total


def _scores_by(src: Snapshot, f: Filters, metric: str, keys: list[str]) -> pl.DataFrame:
    customers = (_responses(src, f, "NPS" if metric == "nps" else "CSAT").group_by(keys)
                 .agg(pl.col("customer_id").n_unique().cast(pl.Int64).alias("customers")).collect())
    return ((nps_by if metric == "nps" else csat_by)(src, f, keys).select(*keys, "responses", metric)
            .join(customers, on=keys, how="left", nulls_equal=True))


def breakdown(src: Snapshot, f: Filters, column: str, metric: str = "nps") -> pl.DataFrame:
    """country_iso2, `column` (segment or channel; TOTAL for the market as a whole), responses, value,
    previous_responses, previous_value, change (value - previous_value), market_value, market_responses
    — `metric` (nps or csat) per market and value of `column` for a market × segment (or channel) grid,
    in the period and the comparison period; every market's rows carry its total (`market_value`) to rank
    markets by. Below MIN_RESPONSES a value is still returned: the page shows it as too few. For a role
    without personal-data rights, a cell of fewer than `privacy.MIN_GROUP` customers has no values."""
    keys = ["country_iso2", column]

    def cells(period: Filters) -> pl.DataFrame:
        by_cell = _scores_by(src, period, metric, keys)
        total = _scores_by(src, period, metric, ["country_iso2"]).with_columns(
            pl.lit(TOTAL).alias(column)).select(by_cell.columns)
        return pl.concat([by_cell.with_columns(pl.col(column).cast(pl.String)), total]).rename({metric: "value"})

    def private(frame: pl.DataFrame) -> pl.DataFrame:
        return suppress_small(frame, f.personal_data, "country_iso2", ["value"]).drop("customers")

    now = private(cells(f))
    before = private(cells(f.comparison())).rename({"responses": "previous_responses", "value": "previous_value"})
    market = now.filter(pl.col(column) == TOTAL).select(
        "country_iso2", pl.col("value").alias("market_value"), pl.col("responses").alias("market_responses"))
    return (now.join(before, on=keys, how="left", nulls_equal=True)
            .join(market, on="country_iso2", how="left", nulls_equal=True)
            .with_columns((pl.col("value") - pl.col("previous_value")).alias("change"),
                          pl.col("previous_responses").fill_null(0))
            .select(*keys, "responses", "value", "previous_responses", "previous_value", "change", "market_value",
                    "market_responses")
            .sort(keys, nulls_last=True))


def moved_most(trend: pl.DataFrame, kpi: str, better: str, limit: int) -> list[str]:
    """The groups of a `score_trend` whose `kpi` worsened most from the window's first half to its second
    (each half pooled, weighting each period by its responses), among groups with at least MIN_RESPONSES
    responses in each half; worst first. `better`: "higher" or "lower"."""
    rows_of = trend.filter((pl.col("kpi") == kpi) & pl.col("group").is_not_null())
    if rows_of.is_empty():
        return []
    periods = rows_of["period"].unique().sort()
    middle = periods[len(periods) // 2]
    pooled = (rows_of.group_by("group", (pl.col("period") >= middle).alias("late"))
              .agg((pl.col("value") * pl.col("sample")).sum().alias("total"), pl.col("sample").sum().alias("n"))
              .filter(pl.col("n") >= MIN_RESPONSES)
              .with_columns((pl.col("total") / pl.col("n")).alias("value")))
    early = pooled.filter(~pl.col("late")).select("group", pl.col("value").alias("early"))
    late = pooled.filter(pl.col("late")).select("group", pl.col("value").alias("late"))
    moved = early.join(late, on="group").with_columns((pl.col("late") - pl.col("early")).alias("change"))
    return moved.sort("change", "group", descending=[better == "lower", False])["group"].head(limit).to_list()


def ranked_markets(grid: pl.DataFrame, better: str) -> list[str]:
    """The markets of a `breakdown`, the one whose score worsened most against the comparison period first
    (both periods with at least MIN_RESPONSES responses), then the others from the worst score, then
    those with too few responses."""
    totals = grid.filter(pl.col(grid.columns[1]) == TOTAL)
    sign = 1 if better == "higher" else -1
    comparable = (pl.col("responses") >= MIN_RESPONSES) & (pl.col("previous_responses") >= MIN_RESPONSES)
    enough = pl.col("responses") >= MIN_RESPONSES
    ranked = totals.sort(~comparable, ~enough, sign * pl.col("change"), sign * pl.col("value"),
                         "country_iso2", nulls_last=True)
    return ranked["country_iso2"].to_list()


def company_value(src: Snapshot, f: Filters, metric: str) -> pl.DataFrame:
    """One row: value, the company's NPS or CSAT over the period and filters (0 without responses): the
    centre a market is compared with."""
    value = (nps if metric == "nps" else csat)(src, f)[metric][0]
    return pl.DataFrame({"value": [float(value) if value is not None else 0.0]})


def trend_periods(f: Filters, grain: Grain) -> list[dt.date]:
    """Every period of `trend_window`, with responses or not, in order."""
    window = trend_window(f, grain)
    return pl.date_range(_first(window.start, grain), window.end, GRAIN_EVERY[grain], eager=True).to_list()


def score_target(src: Snapshot, f: Filters, metric: str) -> pl.DataFrame:
    """target — one row holding the company's target for `metric` (nps, csat, ces) in force at the
    period's end (the targets row of scope "company" with the latest month up to then), none when the
    CRM sets none."""
    month = f.end.replace(day=1)
    return (src.scan("targets")
            .filter((pl.col("scope_kind") == "company") & (pl.col("metric") == metric) & (pl.col("period") <= month))
            .sort("period").select(pl.col("value").cast(pl.Float64).alias("target")).tail(1).collect())


# --- mix and distribution ------------------------------------------------------------------------------------

SCALES = {"NPS": (0, 10), "CSAT": (1, 5), "CES": (1, 7)}


def nps_mix(src: Snapshot, f: Filters, grain: Grain) -> pl.DataFrame:
    """period, responses, promoters, passives, detractors (shares of the period's NPS responses, 0..1)
    — per week, month or quarter of `trend_window`, each period with responses."""
    window = trend_window(f, grain)
    return (rows(src, window, "surveys").filter(pl.col("kind") == "NPS")
            .group_by(pl.col("answered_at").dt.truncate(GRAIN_EVERY[grain]).dt.date().alias("period"))
            .agg(pl.len().cast(pl.Int64).alias("responses"), (pl.col("score") >= 9).mean().alias("promoters"),
                 pl.col("score").is_between(7, 8).mean().alias("passives"),
                 (pl.col("score") <= 6).mean().alias("detractors"))
            .sort("period").collect())


def score_distribution(src: Snapshot, f: Filters, kind: str = "NPS") -> pl.DataFrame:
    """score, responses, share (0..1) — every score of the survey kind's scale (NPS 0-10, CSAT 1-5, CES
    1-7), those nobody gave included, for the period's responses."""
    low, high = SCALES[kind]
    counts = (_responses(src, f, kind).group_by(pl.col("score").cast(pl.Int64))
              .agg(pl.len().cast(pl.Int64).alias("responses")).collect())
    scale = pl.DataFrame({"score": list(range(low, high + 1))}, schema={"score": pl.Int64})
    total = counts["responses"].sum()
    return (scale.join(counts, on="score", how="left").with_columns(pl.col("responses").fill_null(0))
            .with_columns((pl.col("responses") / total if total else pl.lit(None, pl.Float64)).alias("share")))


# --- against each market's own baseline -----------------------------------------------------------------------

def _nps_with_variance(src: Snapshot, f: Filters, prefix: str) -> pl.LazyFrame:
    p, d = (pl.col("score") >= 9).mean(), (pl.col("score") <= 6).mean()
    return (_responses(src, f, "NPS").group_by("country_iso2")
            .agg(pl.len().cast(pl.Int64).alias(f"{prefix}responses"), (100 * (p - d)).alias(f"{prefix}nps"),
                 # Variance of the NPS estimate, in points squared: 100^2 (p + d - (p - d)^2) / n.
                 (10_000 * (p + d - (p - d) ** 2) / pl.len()).alias(f"{prefix}variance")))


def against_baseline(src: Snapshot, f: Filters) -> pl.DataFrame:
    """country_iso2, responses, nps, baseline_responses, baseline_nps (the market's NPS over the 365 days
    before the period), change (nps - baseline_nps), z (change over its standard error: how unusual the
    change is given both samples), comparable (both periods have MIN_RESPONSES) — per market with NPS
    responses in the period, comparable markets first, the most unusual fall first.
    Comparing a market with itself sets aside its habitual way of scoring (in some cultures customers
    rarely give 9 or 10)."""
    baseline = replace(f, start=f.start - dt.timedelta(days=365), end=f.start - dt.timedelta(days=1))
    now = _nps_with_variance(src, f, "")
    before = _nps_with_variance(src, baseline, "baseline_")
    return (now.join(before, on="country_iso2", how="left", nulls_equal=True)
            .with_columns((pl.col("nps") - pl.col("baseline_nps")).alias("change"),
                          pl.col("baseline_responses").fill_null(0))
            .with_columns(pl.when((pl.col("variance") + pl.col("baseline_variance")) > 0)
                          .then(pl.col("change") / (pl.col("variance") + pl.col("baseline_variance")).sqrt())
                          .alias("z"))
            .with_columns(((pl.col("responses") >= MIN_RESPONSES)
                           & (pl.col("baseline_responses") >= MIN_RESPONSES)).alias("comparable"))
            .select("country_iso2", "responses", "nps", "baseline_responses", "baseline_nps", "change", "z",
                    "comparable")
            .sort(~pl.col("comparable"), "z", "country_iso2", nulls_last=True).collect())
