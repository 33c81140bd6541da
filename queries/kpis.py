"""The KPI registry: every number Meridian shows as a KPI, declared once.

An entry says what the KPI is (label, one-line definition), how it reads (unit, which direction is
good, decimal digits), when it may be shown (the minimum sample below which neither the value nor a
change is shown), what it needs from the CRM, and which query computes it — for a period and month by
month. Tiles, tables, chart titles, tooltips, deltas, the benchmark and the table in docs/metrics.md
all read from here; `tests/test_kpis.py` fails when the docs and the registry disagree.

Adding a KPI touches its query function, its entry here, and its hand-worked test.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Literal

import polars as pl

from dashboard.filters import Filters
from dashboard.i18n import N_, Nn_
from dashboard.snapshot import Snapshot
from queries import customers, followup, partners, revenue, satisfaction, service, team_kpis
from queries.common import month_of, run_all

Unit = Literal["money", "count", "percent", "ratio", "score", "hours", "days", "decimal"]
Better = Literal["higher", "lower", "neutral"]
Query = Callable[[Snapshot, Filters], pl.DataFrame]
GroupedQuery = Callable[[Snapshot, Filters, "str | pl.Expr"], pl.DataFrame]

# The units whose change is relative (+12 %); every other unit changes by points or by its own unit.
RELATIVE_UNITS = ("money", "count")
TREND_MONTHS = 12


@dataclass(frozen=True)
class Kpi:
    key: str
    table: str  # the snapshot table its rows come from
    label: str  # msgid
    definition: str  # msgid: one line, what is counted and how
    unit: Unit  # percent: 0..100; ratio: 0..1; score: NPS points; hours, days: durations
    better: Better
    compute: Query  # one row holding `column` (and `sample`)
    column: str
    monthly: Query | None = None  # one row per month ("month", `column`, `sample`)
    by: GroupedQuery | None = None  # the same for any grouping of its rows: a country, a team, an office…
    # Rows the value leaves out because they cannot be converted (no exchange rate): "currency", and a
    # count in its second column.
    left_out: Query | None = None
    # False where past values cannot be known as they were (the CRM keeps no history of them): no change
    # and no trend is shown.
    comparable: bool = True
    sample: str | None = None  # the column holding how many observations the value rests on
    min_sample: int = 0
    sample_label: tuple[str, str] | None = None  # msgid with {n} and its plural: what the sample counts
    digits: int = 1
    # What the KPI needs from the CRM: "table" or "table.column"; "a|b" where either will do.
    needs: tuple[str, ...] = ()

    @property
    def function(self) -> str:
        return f"{self.compute.__module__.removeprefix('queries.')}.{self.compute.__name__}"

    def enough(self, sample: float | None) -> bool:
        """Whether a value resting on `sample` observations may be shown (and compared)."""
        return self.sample is None or (sample is not None and sample >= self.min_sample)

    def shown(self) -> pl.Expr:
        """The KPI's column, null where its sample is below the minimum: for tables and breakdowns."""
        if self.sample is None:
            return pl.col(self.column)
        return pl.when(pl.col(self.sample) >= self.min_sample).then(pl.col(self.column)).alias(self.column)


def _by_month(fn: GroupedQuery, table: str) -> Query:
    def monthly(src: Snapshot, f: Filters) -> pl.DataFrame:
        return fn(src, f, month_of(table))

    monthly.__name__ = f"{fn.__name__}_by_month"
    return monthly


def _closed_month(src: Snapshot, f: Filters) -> pl.DataFrame:
    return partners.win_rate_by(src, f, partners.CLOSED_MONTH)


# One series each, shared by the median and the 90th percentile.
_first_response_by_month = _by_month(service.first_response_times_by, "tickets")
_resolution_by_month = _by_month(service.resolution_times_by, "tickets")


KPI_LIST: tuple[Kpi, ...] = (
    Kpi("revenue", "orders", N_("Revenue"), N_("Won orders in the period, each converted at the rate of its own date."),
        "money", "higher", revenue.revenue, "revenue", _by_month(revenue.revenue_by, "orders"),
        by=revenue.revenue_by, left_out=revenue.unconverted_orders, needs=("orders",)),
    Kpi("active_customers", "activity", N_("Active customers"),
        N_("Customers with an order or interaction in the 12 months up to the period's end."),
        "count", "higher", customers.active_customers, "active", customers.active_customers_by_month,
        needs=("orders|interactions",)),
    Kpi("new_customers", "customers", N_("New customers"),
        N_("Customers created in the period; a duplicate record counts once."),
        "count", "higher", customers.new_customers, "new", _by_month(customers.new_customers_by, "customers"),
        by=customers.new_customers_by),
    Kpi("churn_rate", "customers", N_("Churn rate"),
        N_("Customers active at the period's start and no longer active at its end, over those active at "
           "the start."),
        "ratio", "lower", customers.churn, "churn_rate", customers.churn_by_month, by=customers.churn_by,
        sample="active_at_start", min_sample=20,
        sample_label=Nn_("{n} customer active at the start", "{n} customers active at the start"),
        needs=("orders|interactions",)),
    Kpi("nps", "surveys", N_("NPS"), N_("% promoters (9–10) minus % detractors (0–6) of NPS responses, −100 to 100."),
        "score", "higher", satisfaction.nps, "nps", _by_month(satisfaction.nps_by, "surveys"),
        by=satisfaction.nps_by, sample="responses", min_sample=satisfaction.MIN_RESPONSES,
        sample_label=Nn_("{n} response", "{n} responses"), digits=0, needs=("surveys",)),
    Kpi("csat", "surveys", N_("CSAT"), N_("Share of CSAT responses scoring 4 or 5 out of 5."),
        "percent", "higher", satisfaction.csat, "csat", _by_month(satisfaction.csat_by, "surveys"),
        by=satisfaction.csat_by, sample="responses", min_sample=satisfaction.MIN_RESPONSES,
        sample_label=Nn_("{n} response", "{n} responses"), needs=("surveys",)),
    Kpi("ces", "surveys", N_("Customer effort (CES)"), N_("Mean effort score of CES responses, 1 (easy) to 7 (hard)."),
        "decimal", "lower", satisfaction.ces, "ces", _by_month(satisfaction.ces_by, "surveys"),
        by=satisfaction.ces_by, sample="responses", min_sample=satisfaction.MIN_RESPONSES,
        sample_label=Nn_("{n} response", "{n} responses"), digits=2, needs=("surveys",)),
    Kpi("first_response", "tickets", N_("Median first response"),
        N_("Median time from a ticket's opening to its first response, tickets opened in the period."),
        "hours", "lower", service.first_response_times, "first_response_median_h", _first_response_by_month,
        by=service.first_response_times_by, sample="responded", min_sample=10,
        sample_label=Nn_("{n} ticket answered", "{n} tickets answered"), needs=("tickets.first_response_at",)),
    Kpi("first_response_p90", "tickets", N_("First response, 90th percentile"),
        N_("Nine in ten tickets opened in the period were first answered within this time."),
        "hours", "lower", service.first_response_times, "first_response_p90_h", _first_response_by_month,
        by=service.first_response_times_by, sample="responded", min_sample=10,
        sample_label=Nn_("{n} ticket answered", "{n} tickets answered"), needs=("tickets.first_response_at",)),
    Kpi("resolution", "tickets", N_("Median resolution"),
        N_("Median time from a ticket's opening to its resolution, tickets opened in the period."),
        "hours", "lower", service.resolution_times, "resolution_median_h", _resolution_by_month,
        by=service.resolution_times_by, sample="resolved", min_sample=10,
        sample_label=Nn_("{n} ticket resolved", "{n} tickets resolved"), needs=("tickets.resolved_at",)),
    Kpi("resolution_p90", "tickets", N_("Resolution, 90th percentile"),
        N_("Nine in ten resolved tickets opened in the period were resolved within this time."),
        "hours", "lower", service.resolution_times, "resolution_p90_h", _resolution_by_month,
        by=service.resolution_times_by, sample="resolved", min_sample=10,
        sample_label=Nn_("{n} ticket resolved", "{n} tickets resolved"), needs=("tickets.resolved_at",)),
    Kpi("sla_attainment", "tickets", N_("SLA attainment"),
        N_("Share of the tickets opened in the period and due by the data's as-of time that were resolved "
           "within their SLA hours."),
        "ratio", "higher", service.sla_attainment, "sla_attainment", _by_month(service.sla_attainment_by, "tickets"),
        by=service.sla_attainment_by, sample="due", min_sample=10,
        sample_label=Nn_("{n} ticket due", "{n} tickets due"),
        needs=("tickets.sla_hours", "tickets.resolved_at")),
    Kpi("active_partners", "orders", N_("Active partners"),
        N_("Partners with status active and at least one won order placed through them in the period."),
        "count", "higher", partners.active_partners, "active_partners",
        _by_month(partners.active_partners_by, "orders"), by=partners.active_partners_by,
        needs=("partners", "orders.partner_id")),
    Kpi("partner_revenue", "orders", N_("Partner-sourced revenue"),
        N_("Won orders in the period placed through a partner."),
        "money", "higher", partners.partner_revenue, "revenue", _by_month(partners.partner_revenue_by, "orders"),
        by=partners.partner_revenue_by, left_out=revenue.unconverted_orders, needs=("orders.partner_id",)),
    Kpi("win_rate", "opportunities", N_("Win rate"), N_("Won over closed opportunities, those closed in the period."),
        "ratio", "higher", partners.win_rate, "win_rate", _closed_month, by=partners.win_rate_by, sample="closed",
        min_sample=10, sample_label=Nn_("{n} closed deal", "{n} closed deals"),
        needs=("opportunities.outcome", "opportunities.closed_at")),
    Kpi("deal_cycle", "opportunities", N_("Deal cycle"),
        N_("Median days from opening to closing, deals won in the period."),
        "days", "lower", partners.win_rate, "deal_cycle_days", _closed_month, by=partners.win_rate_by,
        sample="won", min_sample=5, sample_label=Nn_("{n} won deal", "{n} won deals"),
        needs=("opportunities.outcome", "opportunities.closed_at")),
    Kpi("won_value", "opportunities", N_("Won deal value"), N_("Amount of the deals won in the period."),
        "money", "higher", partners.win_rate, "won_value", _closed_month, by=partners.win_rate_by,
        needs=("opportunities.outcome", "opportunities.amount")),
    Kpi("deal_size", "opportunities", N_("Average deal size"), N_("Mean amount of the deals won in the period."),
        "money", "neutral", partners.win_rate, "deal_size", _closed_month, by=partners.win_rate_by, sample="won",
        min_sample=5,
        sample_label=Nn_("{n} won deal", "{n} won deals"), needs=("opportunities.outcome", "opportunities.amount")),
    # The same three over the deals sourced through a partner: the partner page's own figures.
    Kpi("partner_win_rate", "opportunities", N_("Partner win rate"),
        N_("Won over closed opportunities sourced through a partner, those closed in the period."),
        "ratio", "higher", partners.partner_win_rate, "win_rate", partners.partner_win_rate_by_month, sample="closed",
        min_sample=10, sample_label=Nn_("{n} closed deal", "{n} closed deals"),
        needs=("opportunities.outcome", "opportunities.closed_at", "opportunities.partner_id")),
    Kpi("partner_deal_cycle", "opportunities", N_("Partner deal cycle"),
        N_("Median days from opening to closing, deals sourced through a partner and won in the period."),
        "days", "lower", partners.partner_win_rate, "deal_cycle_days", partners.partner_win_rate_by_month,
        sample="won", min_sample=5, sample_label=Nn_("{n} won deal", "{n} won deals"),
        needs=("opportunities.outcome", "opportunities.closed_at", "opportunities.partner_id")),
    Kpi("partner_deal_size", "opportunities", N_("Average partner deal size"),
        N_("Mean amount of the deals sourced through a partner and won in the period."),
        "money", "neutral", partners.partner_win_rate, "deal_size", partners.partner_win_rate_by_month,
        sample="won", min_sample=5, sample_label=Nn_("{n} won deal", "{n} won deals"),
        needs=("opportunities.outcome", "opportunities.amount", "opportunities.partner_id")),
    Kpi("pipeline_value", "opportunities", N_("Pipeline"),
        N_("Amount of the deals open at the period's end (opened by then, not closed by then), at the rate of "
           "its last day."),
        "money", "higher", team_kpis.pipeline, "pipeline", team_kpis.pipeline_by_month, by=team_kpis.pipeline_by,
        needs=("opportunities.amount", "opportunities.closed_at")),
    Kpi("weighted_pipeline", "opportunities", N_("Weighted pipeline"),
        N_("Deals open at the period's end, each at its amount times its stage's chance: qualify 10 %, propose "
           "30 %, negotiate 60 %. The CRM keeps no stage history, so there is no earlier value to compare."),
        "money", "higher", team_kpis.pipeline, "weighted_pipeline", team_kpis.pipeline_by_month,
        by=team_kpis.pipeline_by, comparable=False, needs=("opportunities.amount", "opportunities.closed_at")),
    Kpi("tickets_handled", "tickets", N_("Tickets handled"),
        N_("Tickets resolved in the period, whenever they were opened."),
        "count", "neutral", team_kpis.tickets_handled, "handled", team_kpis.tickets_handled_by_month,
        by=team_kpis.tickets_handled_by, needs=("tickets.resolved_at",)),
    Kpi("open_backlog", "tickets", N_("Open backlog"),
        N_("Tickets open at the period's end: opened by then and not resolved by then."),
        "count", "lower", team_kpis.backlog, "open_tickets", team_kpis.backlog_by_month, by=team_kpis.backlog_by,
        needs=("tickets.resolved_at",)),
    Kpi("backlog_age", "tickets", N_("Backlog age"), N_("Median age of the tickets open at the period's end."),
        "hours", "lower", team_kpis.backlog, "backlog_age_h", team_kpis.backlog_by_month, by=team_kpis.backlog_by,
        sample="open_tickets", min_sample=5,
        sample_label=Nn_("{n} open ticket", "{n} open tickets"), needs=("tickets.resolved_at",)),
    # Grouped by the columns of the ticket a response is about (its rep, team and office): "tickets".
    Kpi("ticket_csat", "tickets", N_("CSAT of tickets"),
        N_("Share of CSAT responses about a ticket scoring 4 or 5 out of 5, counted for the ticket's rep and "
           "team."),
        "percent", "higher", team_kpis.ticket_csat, "csat", team_kpis.ticket_csat_by_month, by=team_kpis.ticket_csat_by,
        sample="responses", min_sample=satisfaction.MIN_RESPONSES, sample_label=Nn_("{n} response", "{n} responses"),
        needs=("surveys", "surveys.ticket_id")),
    Kpi("follow_up_2d", "surveys", N_("Detractors followed up within 2 days"),
        N_("Share of NPS detractors (0–6) answered in the period, at least 2 days before the data's end, whose "
           "follow-up came within 2 days."),
        "ratio", "higher", followup.follow_up, "share_2d", _by_month(followup.follow_up_by, "surveys"),
        by=followup.follow_up_by, sample="due_2d", min_sample=10, sample_label=Nn_("{n} detractor", "{n} detractors"),
        needs=("surveys.followed_up_at",)),
    Kpi("follow_up_7d", "surveys", N_("Detractors followed up within 7 days"),
        N_("Share of NPS detractors (0–6) answered in the period, at least 7 days before the data's end, whose "
           "follow-up came within 7 days."),
        "ratio", "higher", followup.follow_up, "share_7d", _by_month(followup.follow_up_by, "surveys"),
        by=followup.follow_up_by, sample="due_7d", min_sample=10, sample_label=Nn_("{n} detractor", "{n} detractors"),
        needs=("surveys.followed_up_at",)),
    Kpi("follow_up_time", "surveys", N_("Median time to follow up"),
        N_("Median time from an NPS detractor's response in the period to its follow-up, of those followed up."),
        "hours", "lower", followup.follow_up, "median_hours", _by_month(followup.follow_up_by, "surveys"),
        by=followup.follow_up_by, sample="followed", min_sample=10,
        sample_label=Nn_("{n} followed up", "{n} followed up"),
        needs=("surveys.followed_up_at",)),
)
KPIS: dict[str, Kpi] = {k.key: k for k in KPI_LIST}


# --- values for a period, and their change -----------------------------------------------------------

def _value(frame: pl.DataFrame, column: str | None) -> float | None:
    if column is None or frame.is_empty():
        return None
    value = frame[column][0]
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def measure(src: Snapshot, f: Filters, keys: Iterable[str]) -> pl.DataFrame:
    """kpi, value, sample, previous, previous_sample — one row per KPI in `keys` (in that order), for
    the period and the comparison period. A value resting on too small a sample is still returned:
    `Kpi.enough` decides what is shown. Each query function runs once per period, however many KPIs
    it serves."""
    chosen = [KPIS[k] for k in keys]
    periods = (f, f.comparison())
    results = run_all(src, ((kpi.compute, period, ()) for period in periods for kpi in chosen))
    now, before = ({kpi.key: results[kpi.compute, period, ()] for kpi in chosen} for period in periods)
    return pl.DataFrame(
        [{"kpi": k.key, "value": _value(now[k.key], k.column), "sample": _value(now[k.key], k.sample),
          "previous": _value(before[k.key], k.column), "previous_sample": _value(before[k.key], k.sample)}
         for k in chosen],
        schema={"kpi": pl.String, "value": pl.Float64, "sample": pl.Float64, "previous": pl.Float64,
                "previous_sample": pl.Float64})


def measure_by(src: Snapshot, f: Filters, keys: Iterable[str], by: str) -> pl.DataFrame:
    """`by`, kpi, value, sample, previous, previous_sample — each KPI of `keys` that can be grouped
    (`Kpi.by`) and whose rows carry `by` (country_iso2, segment, team_id, office…), for every value of it,
    for the period and the comparison period. Below the minimum sample the value is still returned:
    `Kpi.enough` and `Kpi.shown` decide what is shown."""
    chosen = [KPIS[k] for k in keys
              if KPIS[k].by is not None and by in src.scan(KPIS[k].table).collect_schema().names()]
    periods = {"now": f, "before": f.comparison()}
    results = run_all(src, ((kpi.by, period, (by,)) for period in periods.values() for kpi in chosen))  # type: ignore[misc]
    parts = []
    for when, period in periods.items():
        for kpi in chosen:
            frame = results[kpi.by, period, (by,)]  # type: ignore[index]
            sample = pl.col(kpi.sample).cast(pl.Float64) if kpi.sample else pl.lit(None, pl.Float64)
            parts.append(frame.select(pl.col(by), pl.lit(kpi.key).alias("kpi"), pl.lit(when).alias("when"),
                                      pl.col(kpi.column).cast(pl.Float64).alias("value"), sample.alias("sample")))
    # The dimension's own type, from a table that has it, for a frame with no rows too.
    by_type = next((schema[by] for schema in (src.scan(k.table).collect_schema() for k in KPI_LIST) if by in schema),
                   pl.String())
    schema = {by: by_type, "kpi": pl.String, "value": pl.Float64, "sample": pl.Float64,
              "previous": pl.Float64, "previous_sample": pl.Float64}
    if not parts:
        return pl.DataFrame(schema=schema)
    long = pl.concat(parts, how="vertical_relaxed")
    now = long.filter(pl.col("when") == "now").drop("when")
    before = long.filter(pl.col("when") == "before").drop("when").rename({"value": "previous",
                                                                          "sample": "previous_sample"})
    return (now.join(before, on=[by, "kpi"], how="left", nulls_equal=True)
            .sort(by, "kpi", nulls_last=True))


@dataclass(frozen=True)
class Change:
    """A KPI's change against the comparison period, as the reader should see it."""

    amount: float  # relative (0.12: +12 %) for money and counts, else the difference in the KPI's unit
    relative: bool
    direction: Literal["up", "down", "flat"]
    verdict: Literal["good", "bad", "neutral"]


def change(kpi: Kpi, value: float | None, previous: float | None, sample: float | None = None,
           previous_sample: float | None = None) -> Change | None:
    """The change worth showing, or None: no change is shown when either period lacks a value or rests
    on fewer observations than the KPI's minimum sample, nor as a percentage of nothing. A change that
    rounds to zero at the KPI's precision is flat and neutral, never good."""
    if (value is None or previous is None or not kpi.comparable
            or not (kpi.enough(sample) and kpi.enough(previous_sample))):
        return None
    relative = kpi.unit in RELATIVE_UNITS
    if relative:
        if previous == 0:
            return None
        amount = value / previous - 1
        shown = round(amount * 100, 1)
    else:
        amount = value - previous
        shown = round(amount * (100 if kpi.unit == "ratio" else 1), kpi.digits)
    if shown == 0:
        return Change(0.0, relative, "flat", "neutral")
    direction: Literal["up", "down"] = "up" if amount > 0 else "down"
    if kpi.better == "neutral":
        return Change(amount, relative, direction, "neutral")
    good = (direction == "up") == (kpi.better == "higher")
    return Change(amount, relative, direction, "good" if good else "bad")


# --- month by month ------------------------------------------------------------------------------------

def trend_window(f: Filters, months: int = TREND_MONTHS) -> Filters:
    """The calendar months of a trend: `months` of them, up to the period's end. What else the period
    was (its preset, its comparison) does not matter to a trend, so every period ending on the same day
    has the same window."""
    return replace(f.last_months(months), preset="custom", compare="previous_period")


def monthly(src: Snapshot, f: Filters, keys: Iterable[str], months: int = TREND_MONTHS) -> pl.DataFrame:
    """month, kpi, value, sample, enough, partial — each KPI of `keys` (that has a monthly series) per
    calendar month, over the `months` months up to the period's end. A month without data has a null
    value; `enough` is false where the sample is below the KPI's minimum (the value is then null too);
    `partial` marks the last month when the period ends before that month does ("to date")."""
    window = trend_window(f, months)
    calendar = pl.date_range(window.start, window.end, "1mo", eager=True).alias("month").to_frame()
    last_month = window.end.replace(day=1)
    next_month = (last_month + dt.timedelta(days=32)).replace(day=1)
    partial = window.end < next_month - dt.timedelta(days=1)
    chosen = [KPIS[key] for key in keys if KPIS[key].monthly is not None]
    results = run_all(src, ((kpi.monthly, window, ()) for kpi in chosen))  # type: ignore[misc]
    parts = []
    for kpi in chosen:
        key = kpi.key
        series = results[kpi.monthly, window, ()]  # type: ignore[index]
        sample = pl.col(kpi.sample).cast(pl.Float64) if kpi.sample else pl.lit(None, pl.Float64)
        enough = (pl.col(kpi.sample) >= kpi.min_sample).fill_null(False) if kpi.sample else pl.lit(True)
        frame = series.select("month", pl.col(kpi.column).cast(pl.Float64).alias("value"), sample.alias("sample"),
                              enough.alias("enough"))
        parts.append(calendar.join(frame, on="month", how="left").with_columns(
            pl.lit(key).alias("kpi"), pl.col("enough").fill_null(kpi.sample is None),
            ((pl.col("month") == last_month) & partial).alias("partial"))
            .with_columns(pl.when(pl.col("enough")).then(pl.col("value")).alias("value")))
    schema = {"month": pl.Date, "kpi": pl.String, "value": pl.Float64, "sample": pl.Float64,
              "enough": pl.Boolean, "partial": pl.Boolean}
    if not parts:
        return pl.DataFrame(schema=schema)
    return pl.concat(parts).select(list(schema))


# The trend reads only its window: a cache keyed by the window is shared by every period ending that day.
monthly.filters_used = trend_window  # type: ignore[attr-defined]


# --- what a KPI needs ----------------------------------------------------------------------------------

# Each need in words, for "Needs …" notes (queries/inputs.py says which are met).
NEEDS_TEXT = {
    "orders": N_("orders"), "orders|interactions": N_("orders or interactions"), "surveys": N_("survey responses"),
    "tickets.first_response_at": N_("tickets with a first response time"),
    "tickets.resolved_at": N_("tickets with a resolution time"), "tickets.sla_hours": N_("tickets with SLA hours"),
    "partners": N_("partners"), "orders.partner_id": N_("orders with their partner"),
    "opportunities.partner_id": N_("deals with their partner"),
    "opportunities.outcome": N_("deals with an outcome (won or lost)"),
    "opportunities.closed_at": N_("deals with a close date"), "opportunities.amount": N_("deals with an amount"),
    "customers.country_iso2": N_("customers with a country"), "teams": N_("teams"), "reps": N_("reps"),
    "opportunities": N_("deals"),
    "surveys.ticket_id": N_("survey responses linked to their ticket"),
    "surveys.followed_up_at": N_("survey responses with their follow-up time"),
    "surveys.comment": N_("survey comments"), "surveys.language": N_("the language of survey responses"),
}


# --- the documentation ---------------------------------------------------------------------------------

UNIT_TEXT = {"money": "money (reporting currency)", "count": "count", "percent": "% (0–100)",
             "ratio": "share, shown as %", "score": "points (−100..100)", "hours": "duration", "days": "days",
             "decimal": "mean score"}
CHANGE_TEXT = {"money": "relative %", "count": "relative %", "percent": "points", "ratio": "points",
               "score": "points", "hours": "duration", "days": "days", "decimal": "difference"}


def markdown_table() -> str:
    """The registry as the Markdown table in docs/metrics.md."""
    lines = ["| key | KPI | definition | unit | change shown as | better | minimum sample | query |",
             "|---|---|---|---|---|---|---|---|"]
    for k in KPI_LIST:
        minimum = f"{k.min_sample} ({k.sample})" if k.sample else "–"
        lines.append(f"| `{k.key}` | {k.label} | {k.definition} | {UNIT_TEXT[k.unit]} | {CHANGE_TEXT[k.unit]} "
                     f"| {k.better} | {minimum} | `{k.function}` |")
    return "\n".join(lines)
