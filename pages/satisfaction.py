"""Satisfaction: NPS, CSAT and CES, where customers are unhappy, how the scores move, what customers
write, and whether unhappy customers hear back."""

from dataclasses import replace

import polars as pl
import streamlit as st

from dashboard import charts, components, context, fmt, kiosk, labels, nav, plot
from dashboard.cache import cached
from queries import followup, inputs, markets, satisfaction, voice
from queries.kpis import KPIS

ctx = context.require_page("satisfaction")
t, f, src = ctx.t, ctx.filters, ctx.src
components.header(ctx, t("Satisfaction"), money=False)
presenting = kiosk.current() is not None

METRICS = {"nps": t("NPS"), "csat": t("CSAT"), "ces": t("Customer effort (CES)")}
GRAINS = {"week": t("Week"), "month": t("Month"), "quarter": t("Quarter")}
SPLITS = {"": t("No split"), "region_id": t("Region"), "country_iso2": t("Country"), "channel": t("Channel"),
          "segment": t("Segment"), "language": t("Language"), "product_line": t("Customer's main product line")}
GRID_COLUMNS = {"segment": t("Segment"), "channel": t("Channel")}
RANGES = {"nps": (-100.0, 100.0), "csat": (0.0, 100.0), "ces": (1.0, 7.0)}
SPLIT_LINES = 5
GRID_ROWS = 15

country_names = {iso: name for iso, name in cached(markets.countries)(src, f).select("country_iso2", "name").rows()}
region_names = {str(rid): t(name) for rid, name in cached(markets.regions)(src, f).select("id", "name").rows()}


def market_name(iso: str | None) -> str:
    return country_names.get(iso or "", t(markets.UNKNOWN))


def value_name(column: str, value: str | None) -> str:
    """A value of a grid column or trend split as the reader should see it."""
    if value is None:
        return fmt.MISSING
    if value == satisfaction.TOTAL:
        return t("All")
    if column == "country_iso2":
        return market_name(value)
    if column == "region_id":
        return region_names.get(value, t(markets.UNKNOWN))
    if column == "language":
        return fmt.language_name(value, f.lang)
    return labels.label(value, t, f.lang)


# A click on a grid cell narrows every section of the page to that market and segment or channel; the
# choice is kept apart from the grid's own selection, which is dropped while another tab is open.
CELL_KEY = "sat_cell"


def choose_cell(grid_key: str, grid_column: str) -> None:
    chosen = plot.clicked_point(grid_key)
    st.session_state[CELL_KEY] = (grid_column, chosen[0], chosen[1]) if chosen else None


def clear_cell() -> None:
    st.session_state[CELL_KEY] = None


view = f
if cell := st.session_state.get(CELL_KEY):
    grid_column, market, value = cell
    view = replace(f, countries=(market,))
    if value != satisfaction.TOTAL:
        view = replace(view, **{"channels" if grid_column == "channel" else "segments": (value,)})
    left, right = st.columns([5, 1], vertical_alignment="center")
    left.info(t("Showing {market} · {value}, chosen in the grid of unhappy markets.", market=market_name(market),
                value=value_name(grid_column, value)))
    right.button(t("Show all"), key="sat_clear_cell", on_click=clear_cell)

with st.spinner(t("Computing satisfaction…")):
    components.kpi_tiles(replace(ctx, filters=view), nav.page("satisfaction").kpis)
components.trend_caption(ctx)


def unhappy_markets() -> None:
    pick_metric, pick_column, pick_all = st.columns([3, 2, 2], vertical_alignment="bottom")
    grid_metric = pick_metric.segmented_control(t("Score"), ["nps", "csat"], format_func=METRICS.__getitem__,
                                                default="nps", key="sat_grid_metric", on_change=clear_cell) or "nps"
    grid_column = pick_column.segmented_control(t("Markets by"), list(GRID_COLUMNS),
                                                format_func=GRID_COLUMNS.__getitem__, default="segment",
                                                key="sat_grid_column", on_change=clear_cell) or "segment"
    every_market = pick_all.toggle(t("All markets"), key="sat_grid_all")
    grid = cached(satisfaction.breakdown)(src, f, grid_column, grid_metric)
    kpi = KPIS[grid_metric]
    if grid.is_empty():
        components.empty_state(t, t("survey responses"))
        return
    ranked = satisfaction.ranked_markets(grid, kpi.better)
    rows = ranked if every_market else ranked[:GRID_ROWS]
    columns = [*sorted(v for v in grid[grid_column].unique().to_list() if v != satisfaction.TOTAL),
               satisfaction.TOTAL]
    centre = 0.0 if grid_metric == "nps" else cached(satisfaction.company_value)(src, f, grid_metric)["value"][0]
    figure = charts.score_grid(
        grid, rows, columns, {r: market_name(r) for r in rows}, {c: value_name(grid_column, c) for c in columns},
        t("{metric} by market and {column}", metric=METRICS[grid_metric], column=GRID_COLUMNS[grid_column].lower()),
        METRICS[grid_metric], kpi.unit, f.lang, centre, kpi.min_sample)
    # A grid of another score or column is another chart: a cell chosen in one is not selected in the next.
    grid_key = f"sat_grid-{grid_column}-{grid_metric}"
    components.figure(figure, key=grid_key,
                      on_select=None if presenting else lambda: choose_cell(grid_key, grid_column))
    st.caption(t("Markets whose score fell most against the comparison period first. Colours run from orange "
                 "(below {centre}) to green (above it); grey cells have fewer than {n} responses. Click a cell "
                 "to narrow the page to it.", centre=fmt.by_unit(centre, kpi.unit, f.lang, digits=0),
                 n=kpi.min_sample))


def trends() -> None:
    pick_metric, pick_grain, pick_split = st.columns([4, 2, 2], vertical_alignment="bottom")
    metric = pick_metric.segmented_control(t("Score"), list(METRICS), format_func=METRICS.__getitem__, default="nps",
                                           key="sat_trend_metric") or "nps"
    grain = pick_grain.segmented_control(t("By"), list(GRAINS), format_func=GRAINS.__getitem__, default="month",
                                         key="sat_trend_grain") or "month"
    split = pick_split.selectbox(t("Split by"), list(SPLITS), format_func=SPLITS.__getitem__, key="sat_trend_split")
    kpi = KPIS[metric]
    trend = cached(satisfaction.score_trend)(src, view, grain, split or None).filter(pl.col("kpi") == metric)
    periods = satisfaction.trend_periods(view, grain)
    names = None
    if split:
        shown = satisfaction.moved_most(trend, metric, kpi.better, SPLIT_LINES)
        names = {g: value_name(split, g) for g in shown}
    compared = None if split else cached(satisfaction.score_trend_compared)(src, view, grain).filter(
        pl.col("kpi") == metric)
    targets = cached(satisfaction.score_target)(src, view, metric)
    target = targets["target"][0] if targets.height else None
    components.chart(t, trend, t("survey responses"), lambda frame: charts.score_trend(
        frame, periods, grain, t("{metric} by {grain}", metric=METRICS[metric], grain=GRAINS[grain].lower()),
        kpi.unit if metric != "ces" else "decimal", f.lang, RANGES[metric], kpi.digits if metric == "ces" else 0,
        names, compared, target, band=True))
    if split:
        st.caption(t("The {n} groups whose score worsened most from the first half of the window to the second.",
                     n=SPLIT_LINES))
    st.caption(t("The band is the 95 % range of the score given its number of responses: a move inside it may be "
                 "chance. Hollow points rest on fewer than {n} responses and are left off the line. The dotted line "
                 "is the comparison period.", n=kpi.min_sample))

    left, right = st.columns(2)
    with left:
        mix = cached(satisfaction.nps_mix)(src, view, grain)
        components.chart(t, mix, t("survey responses"), lambda frame: charts.nps_mix(
            frame, grain, t("Promoters, passives and detractors by {grain}", grain=GRAINS[grain].lower()), f.lang))
    with right:
        spread = cached(satisfaction.score_distribution)(src, view)
        components.chart(t, spread.filter(pl.col("responses").sum() > 0), t("survey responses"),
                         lambda frame: charts.score_distribution(frame, t("NPS scores given in the period"), f.lang))


def own_baseline() -> None:
    nps_kpi = KPIS["nps"]
    baseline = cached(satisfaction.against_baseline)(src, view)
    if baseline.is_empty():
        components.empty_state(t, t("survey responses"))
        return

    def signed_text(column: str, digits: int) -> pl.Expr:
        return (pl.when(pl.col("comparable")).then(pl.col(column).map_elements(
            lambda v: fmt.signed(fmt.decimal(abs(v), f.lang, digits), round(v, digits)), return_dtype=pl.String))
            .otherwise(pl.lit(fmt.MISSING)).alias(column))

    def score_text(column: str, sample: str) -> pl.Expr:
        return (pl.when(pl.col(sample) >= nps_kpi.min_sample).then(pl.col(column).map_elements(
            lambda v: fmt.signed(fmt.decimal(abs(v), f.lang, 0), round(v)), return_dtype=pl.String))
            .otherwise(pl.lit(fmt.MISSING)).alias(column))

    components.table(t, baseline.select(
        pl.col("country_iso2").map_elements(market_name, return_dtype=pl.String, skip_nulls=False),
        "responses", score_text("nps", "responses"), "baseline_responses",
        score_text("baseline_nps", "baseline_responses"), signed_text("change", 0), signed_text("z", 1)), {
        "country_iso2": t("Country"), "responses": st.column_config.NumberColumn(t("Responses"), format="localized"),
        "nps": components.number_column(t("NPS")),
        "baseline_responses": st.column_config.NumberColumn(t("Responses in the year before"), format="localized"),
        "baseline_nps": components.number_column(t("NPS in the year before")),
        "change": components.number_column(t("Change (pts)")),
        "z": components.number_column(t("Standardised change"), t(
            "The change divided by its standard error: beyond ±2 it is unlikely to be chance.")),
    }, key="sat_baseline", export="nps-against-baseline")
    st.caption(t("Customers in some countries rarely give 9 or 10, so a market's raw NPS says as much about how "
                 "its customers answer surveys as about how they feel. Comparing each market with its own year "
                 "before sets that habit aside: a fall is a fall wherever scores usually sit. It does not correct "
                 "for a change in who answers (more consumers, another channel), nor say which market serves "
                 "its customers better. Shown as – where either period has fewer than {n} responses.",
                 n=nps_kpi.min_sample))


def voice_of_the_customer() -> None:
    missing = inputs.unmet(src, ("surveys.comment", "surveys.language"))
    if missing:
        components.needs_notice(t, missing)
        return
    theme_names = {k: t(v) for k, v in labels.THEME_LABELS.items()}
    by_tone = cached(voice.theme_by_tone)(src, view)
    left, right = st.columns(2)
    with left:
        components.chart(t, by_tone.filter(pl.col("detractors") + pl.col("promoters") > 0), t("NPS comments"),
                         lambda frame: charts.theme_shares(frame, theme_names, t(
                             "What detractors and promoters write about (% of their comments)"), f.lang))
    with right:
        themes_trend = cached(voice.theme_trend)(src, view.last_months(12))
        top = by_tone["theme"].head(3).to_list()
        components.chart(t, themes_trend.filter(pl.col("theme").is_in(top)), t("detractor comments"),
                         lambda frame: charts.monthly_line(
                             frame.with_columns(pl.col("share").alias("value"),
                                                pl.col("theme").replace_strict(theme_names).alias("name")),
                             t("Detractors' comments on the top themes, by month (%)"), "ratio", f.lang,
                             digits=0, name_column="name"))
    st.caption(t("A comment counts under a theme when it contains one of the theme's words or phrases for its "
                 "language (data/voice/themes.toml); Chinese comments are split into words first. A comment may "
                 "touch several themes."))
    counts = cached(voice.theme_counts)(src, view)
    if not counts.is_empty():
        wide = (counts.with_columns(pl.col("share").map_elements(lambda v: fmt.percent(v, f.lang, 0),
                                                                 return_dtype=pl.String))
                .pivot("theme", index=["language", "of"], values="share")
                .with_columns(pl.col("language").map_elements(lambda c: fmt.language_name(c, f.lang),
                                                               return_dtype=pl.String))
                .sort("of", descending=True).select("language", "of", *voice.THEMES))
        st.caption(t("Share of each language's comments that touch each theme."))
        components.table(t, wide, {
            "language": t("Language"), "of": st.column_config.NumberColumn(t("Comments"), format="localized"),
            **{th: components.number_column(theme_names[th]) for th in voice.THEMES},
        }, key="sat_theme_counts", export="comment-themes")

    st.markdown("**" + t("Comments") + "**")
    order_col, search_col, theme_col, lang_col = st.columns(4, vertical_alignment="bottom")
    orders = {"lowest": t("Lowest scores first"), "newest": t("Newest first")}
    order = order_col.segmented_control(t("Order"), list(orders), format_func=orders.__getitem__, default="lowest",
                                        key="sat_comment_order") or "lowest"
    search = search_col.text_input(t("Search the comments"), key="sat_comment_search",
                                   disabled=not f.personal_data,
                                   help=None if f.personal_data else t("Your role does not see comment texts."))
    chosen_themes = theme_col.multiselect(t("Themes"), list(voice.THEMES), format_func=theme_names.__getitem__,
                                          placeholder=t("All themes"), key="sat_comment_themes")
    langs = counts["language"].unique().sort().to_list() if not counts.is_empty() else []
    chosen_langs = lang_col.multiselect(t("Languages"), langs, format_func=lambda c: fmt.language_name(c, f.lang),
                                        placeholder=t("All languages"), key="sat_comment_langs")
    found = cached(voice.comments)(src, view, search, tuple(chosen_themes), tuple(chosen_langs), order)
    if found.is_empty():
        components.empty_state(t, t("comments"))
    else:
        if not f.personal_data:
            st.caption(t("Comments are personal data: your role sees their scores and themes, not their text."))
        components.table(t, found.select(
            pl.col("answered_at").map_elements(lambda d: fmt.date(d, f.lang), return_dtype=pl.String),
            # The survey's own short name with the score: "NPS 3", "CES 6" (the same in every language).
            pl.format("{} {}", "kind", "score").alias("score"),
            pl.col("tone").replace_strict({k: t(v) for k, v in labels.TONE_LABELS.items()}),
            pl.col("country_iso2").map_elements(market_name, return_dtype=pl.String, skip_nulls=False),
            pl.col("language").map_elements(lambda c: fmt.language_name(c, f.lang), return_dtype=pl.String),
            labels.labelled("channel", t, f.lang),
            pl.col("themes").list.eval(pl.element().replace_strict(theme_names)).list.join(", "),
            "comment"), {
            "answered_at": t("Date"), "score": t("Score"), "tone": t("Customer"),
            "country_iso2": t("Country"), "language": t("Language"), "channel": t("Channel"),
            "themes": t("Themes"), "comment": t("Comment"),
        }, key="sat_comments")


def closing_the_loop() -> None:
    missing = inputs.unmet(src, ("surveys.followed_up_at",))
    if missing:
        components.needs_notice(t, missing)
        return
    follow_kpis = [KPIS[k] for k in ("follow_up_2d", "follow_up_7d", "follow_up_time")]
    by_region = cached(followup.follow_up_by)(src, view, "region_id").with_columns(
        components.kpi_text(k, f.lang) for k in follow_kpis)
    components.table(t, by_region.select(
        pl.col("region_id").cast(pl.String).replace_strict(region_names, default=t(markets.UNKNOWN)).alias("region"),
        "detractors", *[k.column for k in follow_kpis]), {
        "region": t("Region"), "detractors": st.column_config.NumberColumn(t("Detractors"), format="localized"),
        **{k.column: components.kpi_column(k, t) for k in follow_kpis},
    }, key="sat_follow_up_regions", export="follow-up-by-region")
    days = int(st.number_input(t("Open detractors older than (days)"), min_value=0, max_value=365, value=7,
                               key="sat_open_days"))
    still_open = cached(followup.open_detractors)(src, view, days)
    if still_open.is_empty():
        components.nothing_to_report(t("Every detractor older than {n} days has been followed up.", n=days))
    else:
        components.table(t, still_open.with_columns(
            pl.col("region").map_elements(t, return_dtype=pl.String),
            pl.col("team").map_elements(lambda v: labels.label(v, t, f.lang), return_dtype=pl.String)), {
            "region": t("Region"), "team": t("Customer's team"),
            "open": st.column_config.NumberColumn(t("Open detractors"), format="localized"),
            "oldest_days": st.column_config.NumberColumn(t("Oldest (days)"), format="%.0f"),
        }, key="sat_open", export="open-detractors")
    outcome = cached(followup.churn_after_follow_up)(src, view)
    buckets = {"2_days": t("Followed up within 2 days"), "later": t("Followed up later"),
               "never": t("Never followed up")}
    components.chart(t, outcome, t("detractors with a known outcome"), lambda frame: charts.bars(
        frame.with_columns(pl.col("follow_up").replace_strict(buckets)), "follow_up", "churn",
        t("Detractors who churned, by follow-up (%)"), f.lang, unit="ratio", digits=0))
    st.caption(t("Detractors of the two years up to 15 months before the data's end, whatever the period: "
                 "churned means no order or interaction in the last 12 months. Customers differ in more than "
                 "follow-up, so this shows an association, not its cause."))


def satisfaction_and_money() -> None:
    money = cached(followup.money_after_response)(src, view)
    if money.is_empty():
        components.empty_state(t, t("NPS responses with six months after them"))
        return
    components.table(t, money.with_columns(
        pl.col("tone").replace_strict({k: t(v) for k, v in labels.TONE_LABELS.items()}),
        pl.col("revenue_change").map_elements(lambda v: fmt.change(v, True, "money", f.lang), return_dtype=pl.String),
        pl.col("churn").map_elements(lambda v: fmt.percent(v, f.lang, 0), return_dtype=pl.String)), {
        "tone": t("Customer"), "responses": st.column_config.NumberColumn(t("Responses"), format="localized"),
        "revenue_before": st.column_config.NumberColumn(t("Revenue, 6 months before ({currency})", currency=f.currency),
                                                        format="compact"),
        "revenue_after": st.column_config.NumberColumn(t("Revenue, 6 months after ({currency})", currency=f.currency),
                                                       format="compact"),
        "revenue_change": components.number_column(t("Revenue change")),
        "churned": None, "churn": components.number_column(t("No activity in the 6 months after")),
    }, key="sat_money", export="satisfaction-and-money")
    st.caption(t("NPS responses of the year ending six months before the data's end, whatever the period: the "
                 "revenue of the answering customers in the six months before and after their answer, and how "
                 "many had no order or interaction in the six months after. An association, not a cause."))


components.sections("sat_section", {
    "unhappy": components.Section(t("Unhappy markets"), unhappy_markets,
                                  ("sat_grid_metric", "sat_grid_column", "sat_grid_all")),
    "trends": components.Section(t("Trends"), trends, ("sat_trend_metric", "sat_trend_grain", "sat_trend_split")),
    "baseline": components.Section(t("Own baseline"), own_baseline),
    "voice": components.Section(t("Voice of the customer"), voice_of_the_customer,
                                ("sat_comment_order", "sat_comment_search", "sat_comment_themes", "sat_comment_langs")),
    "follow_up": components.Section(t("Closing the loop"), closing_the_loop, ("sat_open_days",)),
    "money": components.Section(t("Satisfaction and money"), satisfaction_and_money),
})
