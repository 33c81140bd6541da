"""Team performance: sales and service teams' scorecards against their targets, with pace, rank and a
weighted score; one team's trends, its reps and their deals and tickets; language coverage."""

import polars as pl
import streamlit as st

from dashboard import charts, components, context, fmt, kiosk, labels, nav, presentation, tiles
from dashboard.cache import cached
from dashboard.i18n import N_, context_translator, plural_translator
from dashboard.settings import load
from queries import markets, teams
from queries.kpis import KPIS
from queries.service import response_times_by, sla_attainment_by
from queries.targets import narrows_teams, pace, target_attainment

ctx = context.require_page("teams")
t, f, src = ctx.t, ctx.filters, ctx.src
components.header(ctx, t("Team performance"))
presenting = kiosk.current() is not None

KINDS = {"sales": t("Sales teams"), "service": t("Service teams")}
pt = context_translator(f.lang)
tn = plural_translator(f.lang)
STATUS = {"on_track": "🟢 " + t("On track"), "at_risk": "🟠 " + pt("target status", "At risk"),
          "behind": "🔴 " + t("Behind")}
DIMENSION_TEXT = {"revenue": t("Revenue against target"), "new_customers": t("New customers against target")}


def value_text(kpi_key: str, value: float | None, enough: bool = True) -> str:
    kpi = KPIS[kpi_key]
    return fmt.by_unit(value, kpi.unit, f.lang, f.currency, kpi.digits) if enough else fmt.MISSING


def movement_text(movement: int | None) -> str:
    if movement is None:
        return fmt.MISSING
    return "▲ " + fmt.count(movement, f.lang) if movement > 0 else "▼ " + fmt.count(-movement, f.lang) if movement < 0 \
        else "="


def wide(long: pl.DataFrame, key: str, keys: tuple[str, ...]) -> pl.DataFrame:
    """One row per team or rep, one text column per KPI ("–" below the KPI's minimum sample)."""
    cells = long.with_columns(pl.struct("kpi", "value", "enough").map_elements(
        lambda r: value_text(r["kpi"], r["value"], r["enough"]), return_dtype=pl.String).alias("text"))
    return cells.pivot("kpi", index=key, values="text").select(key, *keys)


# The scorecard's KPIs in groups of a few, each a table of its own.
SCORECARD_GROUPS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "sales": ((N_("Results"), ("revenue", "new_customers", "pipeline_value", "weighted_pipeline")),
              (N_("Deals"), ("win_rate", "deal_size", "deal_cycle"))),
    "service": ((N_("Workload"), ("tickets_handled", "open_backlog", "backlog_age")),
                (N_("Speed"), ("first_response", "first_response_p90", "resolution", "resolution_p90")),
                (N_("Quality"), ("sla_attainment", "ticket_csat"))),
}
assert {k: tuple(m for _, g in groups for m in g) for k, groups in SCORECARD_GROUPS.items()} == teams.SCORECARDS


def show_table(frame: pl.DataFrame, config: dict, key: str, export: str | None = None) -> None:
    """`components.table` with every column wide enough for its header and its values: none is cut off."""
    components.table(t, frame, config, key=key, export=export, fit=frame.columns)


def kpi_columns(keys: tuple[str, ...]) -> dict:
    return {k: components.kpi_column(KPIS[k], t) for k in keys}


def weights_for(kind: str) -> tuple[tuple[str, float], ...]:
    """The score's weights: the settings file's, changed by the viewer for their own view."""
    defaults = load().team_score
    chosen = []
    with st.expander(t("Score weights")):
        st.caption(t("Each dimension counts as its percentile among the teams of the same kind; the score is "
                     "their mean, weighted as below. Only the ratios between weights matter."))
        columns = st.columns(len(teams.SCORE_DIMENSIONS[kind]))
        for column, dimension in zip(columns, teams.SCORE_DIMENSIONS[kind], strict=True):
            label = DIMENSION_TEXT.get(dimension, t(KPIS[dimension].label))
            chosen.append((dimension, float(column.number_input(label, min_value=0.0, max_value=10.0, step=0.05,
                                                                value=getattr(defaults, dimension),
                                                                key=f"weight-{dimension}"))))
    return tuple(chosen)


def targets_table(team_ids: list[int], key: str) -> None:
    """Each target of these teams: the period's attainment and the month to date's pace."""
    st.subheader(t("Targets for the period"))
    period = cached(target_attainment)(src, f).filter(pl.col("team_id").is_in(team_ids))
    if period.is_empty():
        components.empty_state(t, t("targets"))
        return
    month = cached(pace)(src, f).select("team_id", "metric", pl.col("attainment").alias("pace"),
                                        pl.col("status").alias("pace_status"))

    def shown(column: str) -> pl.Expr:
        return pl.struct("kpi", column).map_elements(lambda r: value_text(r["kpi"], r[column]),
                                                     return_dtype=pl.String).alias(column)

    table = (period.join(month, on=["team_id", "metric"], how="left").with_columns(
        labels.labelled("team", t, f.lang),
        pl.col("kpi").map_elements(lambda k: t(KPIS[k].label), return_dtype=pl.String).alias("metric"),
        shown("target"), shown("actual"), components.text_column("attainment", lambda v: fmt.percent(v, f.lang, 1)),
        pl.col("status").replace_strict(STATUS, default=fmt.MISSING),
        pl.struct("pace", "pace_status").map_elements(
            lambda r: " ".join(p for p in (STATUS.get(r["pace_status"] or "", ""), fmt.percent(r["pace"], f.lang, 1)
                                           if r["pace"] is not None else "") if p) or fmt.MISSING,
            return_dtype=pl.String).alias("pace")))
    show_table(table.select("team", "metric", "target", "actual", "attainment", "status", "pace"), {
        "team": t("Team"), "metric": t("Metric"),
        "target": components.number_column(t("Target"), t("Prorated to the days of the period in each month.")),
        "actual": components.number_column(t("Actual")),
        "attainment": components.number_column(t("Attainment"), t("Actual over target; not given where lower "
                                                                  "is better: compare target and actual.")),
        "status": t("Status"),
        "pace": st.column_config.TextColumn(t("Pace this month"), help=t(
            "The month to date of the period's end against its target prorated to the days gone by."))},
        key=key, export="targets")
    thresholds = load().targets
    st.caption(t("Money in {currency}. Monthly targets are prorated to the days of the period in each month. On "
                 "track: at least {on_track} of target; at risk: at least {at_risk}; where lower is better, "
                 "target over actual is compared instead.", currency=f.currency,
                 on_track=fmt.percent(thresholds.on_track, f.lang, 0),
                 at_risk=fmt.percent(thresholds.at_risk, f.lang, 0)))


def service_by_region() -> None:
    """The service KPIs by the customers' region, whichever team served them."""
    st.subheader(t("Service by region"))
    times = cached(response_times_by)(src, f, "region_id")
    sla = cached(sla_attainment_by)(src, f, "region_id")
    if times.is_empty():
        components.empty_state(t, t("tickets"))
        return
    regions = cached(markets.regions)(src, f).select(pl.col("id").alias("region_id"), "name")
    frame = (times.join(sla, on="region_id", how="left").join(regions, on="region_id", how="left")
             .sort("region_id", nulls_last=True)
             .with_columns(pl.col("name").fill_null(markets.UNKNOWN).map_elements(t, return_dtype=pl.String)))
    columns = {"first_response_median_h": KPIS["first_response"], "first_response_p90_h": KPIS["first_response_p90"],
               "resolution_median_h": KPIS["resolution"], "sla_attainment": KPIS["sla_attainment"]}
    frame = frame.with_columns(components.kpi_text(kpi, f.lang) for kpi in columns.values())
    show_table(frame.select("name", "tickets", *columns), {
        "name": t("Region"), "tickets": st.column_config.NumberColumn(t("Tickets"), format="localized"),
        **{column: components.kpi_column(kpi, t) for column, kpi in columns.items()}}, key="service")


def language_table(by: str, names: dict, key: str) -> None:
    """Languages customers used against those the reps speak, for the groups named in `names`."""
    coverage = cached(teams.language_coverage)(src, f, by).filter(pl.col(by).is_in(list(names)))
    if coverage.is_empty():
        components.empty_state(t, t("contacts with a language"))
        return
    gaps = coverage.filter(pl.col("gap"))
    if gaps.is_empty():
        components.nothing_to_report(t("Every language customers used has a rep who speaks it."))
    shown = coverage.with_columns(
        pl.col(by).map_elements(lambda v: names.get(v, fmt.MISSING), return_dtype=pl.String).alias("group"),
        pl.col("language").map_elements(lambda c: fmt.language_name(c, f.lang), return_dtype=pl.String),
        components.text_column("share", lambda v: fmt.share(v, f.lang)),
        components.text_column("volume", lambda v: fmt.count(v, f.lang)),
        pl.when(pl.col("gap")).then(pl.lit("⚠️ " + t("No rep speaks it"))).otherwise(
            pl.col("speakers").map_elements(lambda n: tn("{n} rep", "{n} reps", n, n=fmt.count(n, f.lang)),
                                            return_dtype=pl.String)).alias("speakers"))
    show_table(shown.select("group", "language", "volume", "share", "speakers"), {
        "group": t("Region") if by == "region_id" else t("Team"), "language": t("Language"),
        "volume": components.number_column(t("Contact volume"), t("Interactions, tickets and survey responses in the "
                                                             "period in this language.")),
        "share": components.number_column(t("Share")), "speakers": t("Reps who speak it")}, key=key)


def overview(kind: str, weights: tuple[tuple[str, float], ...]) -> None:
    """Every team of a kind: score and rank, scorecard, targets and pace."""
    keys = teams.SCORECARDS[kind]
    with st.spinner(t("Computing team numbers…")):
        scores = cached(teams.team_scores)(src, f, weights).filter(pl.col("kind") == kind).with_columns(
            labels.labelled("team", t, f.lang))
        card = cached(teams.team_scorecard)(src, f, kind)
    ranked = scores.filter(pl.col("score").is_not_null())
    st.subheader(KINDS[kind])
    if ranked.is_empty():
        st.caption(t("No team has enough observations to be scored against its peers."))
    else:
        # (The chart escapes the company's names for its HTML.)
        bars = ranked.with_columns(pl.struct("team", "movement").map_elements(
            lambda r: f"{r['team']} ({movement_text(r['movement'])})" if r["movement"] else r["team"],
            return_dtype=pl.String).alias("team"))
        components.figure(charts.bars(
            bars, "team", "score", t("Score (0–100), best first; places moved since the comparison period"), f.lang,
            unit="decimal", horizontal=True, digits=0), key=f"score-{kind}")
    # Offices are shown where the CRM has them.
    offices = ["office"] if scores["office"].is_not_null().any() else []
    ranking = (scores.select("team_id", "team", *offices, "score", "rank", "movement")
               .with_columns(labels.labelled(c, t, f.lang) for c in offices)
               .with_columns(components.text_column("score", lambda v: fmt.decimal(v, f.lang, 0)),
                             components.text_column("rank", lambda v: fmt.count(v, f.lang)),
                             pl.col("movement").map_elements(movement_text, return_dtype=pl.String,
                                                             skip_nulls=False)))
    show_table(ranking.drop("team_id"), {
        "team": t("Team"), "office": t("Office"),
        "score": components.number_column(t("Score"), t("Weighted mean of the team's percentiles among its peers, "
                                                        "0 to 100; – where it has no dimension to rank.")),
        "rank": components.number_column(t("Rank")),
        "movement": components.number_column(t("Moved"), t("Places gained (▲) or lost (▼) since the comparison "
                                                          "period."))}, key=f"card-{kind}")
    # The KPIs a few at a time: a dozen columns would not fit a laptop's screen.
    kpi_table = ranking.select("team_id", "team").join(wide(card, "team_id", keys), on="team_id", how="left")
    for group, members in SCORECARD_GROUPS[kind]:
        st.markdown("**" + t(group) + "**")
        show_table(kpi_table.select("team", *members), {"team": t("Team"), **kpi_columns(members)},
                   key=f"card-{kind}-{group}")
    targets_table(scores["team_id"].to_list(), key=f"targets-{kind}")
    if kind == "service" and not presenting:
        service_by_region()


def team_detail(team: dict) -> None:
    """One team: its KPIs with their change and trend against target, its reps, their deals and tickets."""
    kind, team_id = team["kind"], team["team_id"]
    keys = teams.SCORECARDS[kind]
    card = cached(teams.team_scorecard)(src, f, kind).filter(pl.col("team_id") == team_id)
    trend = cached(teams.team_trends)(src, f, kind).filter(pl.col("team_id") == team_id)
    made = [components.tile_for(KPIS[row["kpi"]], row, trend, ctx) for row in card.iter_rows(named=True)]
    st.html(tiles.tiles_html(made))
    ranks = [t("{kpi}: #{rank} of {peers}", kpi=t(KPIS[r["kpi"]].label), rank=r["rank"], peers=r["peers"])
             for r in card.iter_rows(named=True) if r["rank"] is not None]
    if ranks:
        st.caption(t("Rank among the teams of its kind: {ranks}", ranks=" · ".join(ranks)))

    st.subheader(t("Month by month against target"))
    columns = st.columns(2)
    for index, key in enumerate(keys):
        kpi = KPIS[key]
        series = trend.filter(pl.col("kpi") == key)
        with columns[index % 2]:
            components.chart(t, series.filter(pl.col("value").is_not_null()), t(kpi.label), lambda _, k=kpi, s=series:
                             charts.monthly_with_target(s, t(k.label), k.unit, f.lang, t("Target"), f.currency,
                                                        k.digits))
    targets_table([team_id], key="targets-team")

    st.subheader(t("Reps"))
    reps = cached(teams.rep_scorecard)(src, f, team_id)
    if reps.is_empty():
        components.empty_state(t, t("reps"))
        return
    ranked_keys = [k for k in keys if KPIS[k].better != "neutral"]
    sort_key = st.selectbox(t("Rank reps by"), ranked_keys, format_func=lambda k: t(KPIS[k].label), key="rep_sort")
    order = reps.filter(pl.col("kpi") == sort_key).select("rep_id", "rank", "enough", "sample")
    minimum = KPIS[sort_key].min_sample
    table = (reps.select("rep_id", "rep").unique().join(order, on="rep_id")
             .join(wide(reps, "rep_id", keys), on="rep_id")
             .sort("rank", "rep", nulls_last=True)
             .with_columns(pl.struct("rank", "enough", "sample").map_elements(
                 lambda r: fmt.count(r["rank"], f.lang) if r["enough"] else t(
                     "Too few ({n} of {minimum})", n=fmt.count(r["sample"] or 0, f.lang),
                     minimum=fmt.count(minimum, f.lang)),
                 return_dtype=pl.String).alias("rank")))
    rank_column = components.number_column(t("Rank"), t(
        "Rank by the chosen KPI; a rep below its minimum sample is marked, not ranked."))
    for group, members in SCORECARD_GROUPS[kind]:
        st.markdown("**" + t(group) + "**")
        show_table(table.select("rep", "rank", *members), {"rep": t("Rep"), "rank": rank_column,
                                                           **kpi_columns(members)}, key=f"reps-{group}")

    names = dict(zip(table["rep_id"], table["rep"], strict=True))
    rep_id = st.selectbox(t("Deals and tickets of"), list(names), format_func=names.__getitem__, key="rep_drill")
    deals = cached(teams.rep_deals)(src, f, rep_id)
    tickets = cached(teams.rep_tickets)(src, f, rep_id)
    left, right = st.columns(2)
    with left:
        st.markdown("**" + t("Deals open in the period") + "**")
        if deals.is_empty():
            components.empty_state(t, t("deals"))
        else:
            show_table(deals.with_columns(
                *(labels.labelled(c, t, f.lang) for c in ("stage", "outcome")),
                components.text_column("amount", lambda v: fmt.money(v, f.currency, f.lang)),
                *(components.text_column(c, lambda v: fmt.date(v, f.lang)) for c in ("opened_at", "closed_at")))
                .select("customer", "stage", "outcome", "amount", "opened_at", "closed_at"), {
                "customer": t("Customer"), "stage": t("Stage"), "outcome": t("Outcome"),
                "amount": components.number_column(t("Amount ({currency})", currency=f.currency)),
                "opened_at": t("Opened"), "closed_at": t("Closed")}, key="rep_deals")
    with right:
        st.markdown("**" + t("Tickets opened in the period") + "**")
        if tickets.is_empty():
            components.empty_state(t, t("tickets"))
        else:
            sla = {True: "✅ " + t("Met"), False: "❌ " + t("Missed")}
            show_table(tickets.with_columns(
                *(labels.labelled(c, t, f.lang) for c in ("priority", "category")),
                components.text_column("opened_at", lambda v: fmt.date(v, f.lang)),
                *(components.text_column(c, lambda v: fmt.hours(v, f.lang))
                  for c in ("first_response_h", "resolution_h")),
                pl.col("sla_met").replace_strict(sla, default=t("Not due yet"), return_dtype=pl.String))
                .select("customer", "priority", "category", "opened_at", "first_response_h", "resolution_h",
                        "sla_met"), {
                "customer": t("Customer"), "priority": t("Priority"), "category": t("Category"),
                "opened_at": t("Opened"), "first_response_h": components.number_column(t("First response")),
                "resolution_h": components.number_column(t("Resolution")), "sla_met": t("SLA")}, key="rep_tickets")


in_view = cached(teams.teams)(src, f)
kinds = [k for k in teams.SCORECARDS if k in set(in_view["kind"])]
if not kinds:
    components.empty_state(t, t("sales or service teams"))
    st.stop()
if narrows_teams(f):
    st.info(t("Targets are set per team for all of its customers. With a country, segment or channel filter the "
              "actuals cover only part of them, so targets and attainment are not shown; clear those filters "
              "to compare."))
team_names = {r["team_id"]: labels.label(r["team"], t, f.lang) for r in in_view.iter_rows(named=True)}

if presenting:
    for kind in kinds:
        overview(kind, tuple((d, getattr(load().team_score, d)) for d in teams.SCORE_DIMENSIONS[kind]))
else:
    left, right = st.columns([1, 2], vertical_alignment="bottom")
    kind = left.segmented_control(t("Teams"), kinds, format_func=KINDS.__getitem__, default=kinds[0],
                                  key="team_kind") or kinds[0]
    of_kind = in_view.filter(pl.col("kind") == kind)
    chosen = right.selectbox(t("Team"), [None, *of_kind["team_id"]], key="team_pick",
                             format_func=lambda i: t("All teams") if i is None else team_names[i])
    if chosen is None:
        overview(kind, weights_for(kind))
    else:
        team_detail(of_kind.filter(pl.col("team_id") == chosen).row(0, named=True))

st.subheader(t("Language coverage"))
st.caption(t("The languages customers used in the period against the languages the reps speak; a gap is a "
             "language with contacts and no rep who speaks it."))
regions = {r["id"]: t(r["name"]) for r in cached(markets.regions)(src, f).iter_rows(named=True)}
picked = None if presenting else st.session_state.get("team_pick")
if picked is not None:
    language_table("team_id", {picked: team_names[picked]}, key="languages-team")
else:
    language_table("region_id", regions, key="languages-region")

if ctx.user.role.can("admin") and not presenting:
    presentation.admin_section(t, f.lang, ctx.user, {r["code"]: t(r["name"]) for r in cached(markets.regions)(
        src, f).iter_rows(named=True)}, {p.key: t(p.title) for p in nav.pages_for(presentation.screen_role(()))})
