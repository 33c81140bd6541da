"""Streamlit glue shared by the entrypoint and the pages: sign-in, the snapshot, the global filters
and their URL state, cached queries, page headers and KPI tiles.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from dashboard import fmt, nav
from dashboard.db import DatabaseError, default_url, embedded_missing, read_only_engine, resolve_url
from dashboard.filters import (
    CHANNELS,
    COMPARISONS,
    CURRENCIES,
    EXTRA_PARAMS,
    LANGUAGES,
    PRESETS,
    SEGMENTS,
    Filters,
    preset_window,
)
from dashboard.i18n import N_, Translate
from dashboard.roles import DEFAULT_ROLE, ROLES, User, authenticate, configured_users
from dashboard.schema import TABLE_ORDER
from dashboard.snapshot import Snapshot, SnapshotError, refresh, snapshot_root
from queries import markets

log = logging.getLogger(__name__)

SNAPSHOT_TTL_SECONDS = 15 * 60
TILE_HEIGHT = 200
ICON = Path(__file__).parent / "static" / "icon.png"
LANGUAGE_NAMES = {"en": "English", "zh-CN": "简体中文"}
FILTER_KEYS = ("f_period", "f_from_to", "f_compare", "f_regions", "f_countries", "f_segments", "f_channels",
               "f_currency")


@dataclass(frozen=True)
class Context:
    """What the entrypoint hands every page."""

    user: User
    src: Snapshot
    filters: Filters
    t: Translate


# --- language ---------------------------------------------------------------------------------

def language() -> str:
    """The UI language: the sidebar choice, first seeded from `?lang=`."""
    if "lang" not in st.session_state:
        requested = st.query_params.get("lang", "en")
        st.session_state["lang"] = requested if requested in LANGUAGES else "en"
    return str(st.session_state["lang"])


def language_picker() -> None:
    st.sidebar.selectbox("Language / 语言", LANGUAGES, key="lang", format_func=LANGUAGE_NAMES.__getitem__)


# --- sign-in ----------------------------------------------------------------------------------

def sign_in(t: Translate) -> User:
    """The signed-in user. With no users file, a demo sign-in lets the viewer pick a role."""
    users = configured_users()
    if not users:
        role_key = st.sidebar.selectbox(
            t("Viewing as (demo sign-in)"), list(ROLES), key="role",
            index=list(ROLES).index(DEFAULT_ROLE), format_func=lambda k: t(ROLES[k].title),
            help=t("Without a users file every visitor picks a role. Configure users to require passwords."))
        return User("demo", ROLES[role_key])
    if "user" in st.session_state:
        return st.session_state["user"]
    with st.form("sign_in"):
        st.subheader(t("Sign in"))
        name = st.text_input(t("User name"))
        password = st.text_input(t("Password"), type="password")
        if st.form_submit_button(t("Sign in")):
            user = authenticate(name, password)
            if user:
                st.session_state["user"] = user
                st.rerun()
            st.error(t("Unknown user name or wrong password."))
    st.stop()
    raise AssertionError  # st.stop() does not return


# --- the snapshot -----------------------------------------------------------------------------

def snapshot(t: Translate) -> Snapshot:
    """The current snapshot: built on first use (and the demo database with it), refreshed past its TTL."""
    try:
        url = resolve_url()
        root = snapshot_root(url)
        try:
            src = Snapshot.open(root)
        except SnapshotError:
            src = None
        if src is None:
            _build(url, t)
            src = Snapshot.open(root)
        elif dt.datetime.now(dt.UTC).replace(tzinfo=None) - src.refreshed_at > dt.timedelta(
                seconds=SNAPSHOT_TTL_SECONDS) and not st.session_state.get("refresh_failed"):
            with st.spinner(t("Refreshing data from the CRM database…")):
                try:
                    refresh(read_only_engine(url), root)
                except DatabaseError as exc:
                    st.session_state["refresh_failed"] = True
                    st.warning(t("Could not refresh; showing the last snapshot. {error}", error=str(exc)))
            src = Snapshot.open(root)
        return src
    except (DatabaseError, SnapshotError) as exc:
        log.exception("snapshot unavailable")
        st.error(t("The CRM database cannot be read."))
        st.markdown(f"`{exc}`")
        st.info(t("Check CRM_DATABASE_URL or .streamlit/secrets.toml, then reload the page."))
        st.stop()
        raise


def _build(url: str, t: Translate) -> None:
    from dashboard.demo import DEFAULT_CUSTOMERS, DEFAULT_SEED, Plan, write_demo

    with st.status(t("Preparing the data (first start)…"), expanded=True) as status:
        if embedded_missing(url):
            st.write(t("Generating the demo CRM database…"))
            bar = st.progress(0.0)
            done = [0]

            def advance(n: int) -> None:
                done[0] += n
                bar.progress(min(1.0, done[0] / DEFAULT_CUSTOMERS))

            write_demo(default_url(), Plan(DEFAULT_CUSTOMERS, DEFAULT_SEED, dt.date.today()), progress=advance)
        st.write(t("Reading the CRM database into the local snapshot…"))
        bar = st.progress(0.0)
        tables = [0]

        def step(_table: str, _rows: int) -> None:
            tables[0] += 1
            bar.progress(min(1.0, tables[0] / len(TABLE_ORDER)))

        refresh(read_only_engine(url), snapshot_root(url), progress=step)
        status.update(label=t("Data ready"), state="complete", expanded=False)


def refresh_now(t: Translate) -> None:
    url = resolve_url()
    with st.spinner(t("Refreshing data from the CRM database…")):
        try:
            refresh(read_only_engine(url), snapshot_root(url))
        except DatabaseError as exc:
            st.error(str(exc))
            return
    st.cache_data.clear()
    st.session_state.pop("refresh_failed", None)


# --- cached queries ---------------------------------------------------------------------------

@st.cache_data(ttl=SNAPSHOT_TTL_SECONDS, show_spinner=False, max_entries=4000)
def _run(name: str, root: str, refreshed_at: str, filters_key: str, args_key: str, _fn: Callable,
         _src: Snapshot, _f: Filters, _args: tuple) -> pl.DataFrame:
    return _fn(_src, _f, *_args)


def cached(fn: Callable[..., pl.DataFrame]) -> Callable[..., pl.DataFrame]:
    """The query behind Streamlit's cache, keyed by the snapshot's refresh and the filters."""

    def call(src: Snapshot, f: Filters, *args: Any) -> pl.DataFrame:
        # Arguments may be polars expressions (a grouping), which hash by their printed form.
        return _run(f"{fn.__module__}.{fn.__qualname__}", str(src.root), src.refreshed_at.isoformat(),
                    repr(f), repr([str(a) for a in args]), fn, src, f, args)

    return call


# --- global filters -----------------------------------------------------------------------------

def global_filters(user: User, src: Snapshot, t: Translate, lang: str) -> Filters:
    """The sidebar filters, seeded from the URL on a session's first run and written back every run."""
    regions = cached(markets.regions)(src, Filters.default(dt.date.today(), lang=lang))
    countries = cached(markets.countries)(src, Filters.default(dt.date.today(), lang=lang))
    region_names = dict(zip(regions["id"], regions["name"], strict=True))
    country_region = dict(zip(countries["country_iso2"], countries["region_id"], strict=True))
    country_names = dict(zip(countries["country_iso2"], countries["name"], strict=True))
    today = dt.date.today()
    if "filters_seeded" not in st.session_state:
        params = {k: st.query_params.get(k) for k in st.query_params}
        params.pop("role", None)
        seeded, dropped = Filters.from_params(params, today, user.role.scope, region_names, country_region,
                                              user.role.personal_data)
        st.session_state.update({
            "f_period": seeded.preset, "f_from_to": (seeded.start, seeded.end), "f_compare": seeded.compare,
            "f_regions": list(seeded.regions), "f_countries": list(seeded.countries),
            "f_segments": list(seeded.segments), "f_channels": list(seeded.channels),
            "f_currency": seeded.currency, "filters_seeded": True, "dropped_params": dropped,
        })
    side = st.sidebar
    side.header(t("Filters"))
    preset = side.selectbox(t("Period"), PRESETS, key="f_period", format_func=lambda p: t(PRESET_LABELS[p]))
    if preset == "custom":
        chosen = side.date_input(t("From – to"), key="f_from_to", max_value=today, format="YYYY-MM-DD")
        start, end = (chosen if isinstance(chosen, tuple) and len(chosen) == 2 else (today, today))
    else:
        start, end = preset_window(preset, today)
    compare = side.selectbox(t("Compare with"), COMPARISONS, key="f_compare",
                             format_func=lambda c: t(COMPARISON_LABELS[c]))
    allowed = [r for r in region_names if user.role.scope is None or r in user.role.scope]
    st.session_state["f_regions"] = [r for r in st.session_state.get("f_regions", []) if r in allowed]
    chosen_regions = side.multiselect(t("Regions"), allowed, key="f_regions",
                                      format_func=lambda r: t(region_names[r]),
                                      placeholder=t("All regions you may see"))
    in_regions = set(chosen_regions or allowed)
    country_options = sorted((c for c, r in country_region.items() if r in in_regions),
                             key=lambda c: country_names[c])
    st.session_state["f_countries"] = [c for c in st.session_state.get("f_countries", [])
                                       if c in country_options]
    chosen_countries = side.multiselect(t("Countries"), country_options, key="f_countries",
                                        format_func=country_names.__getitem__,
                                        placeholder=t("All countries"))
    segments = side.multiselect(t("Segments"), SEGMENTS, key="f_segments", format_func=t,
                                placeholder=t("All segments"))
    channels = side.multiselect(t("Channels"), CHANNELS, key="f_channels", format_func=t,
                                placeholder=t("All channels"),
                                help=t("Applies to interactions, tickets and surveys."))
    currency = side.selectbox(t("Reporting currency"), CURRENCIES, key="f_currency")
    filters = Filters(start=start, end=end, preset=preset, compare=compare, regions=tuple(chosen_regions),
                      countries=tuple(chosen_countries), segments=tuple(segments), channels=tuple(channels),
                      currency=currency, lang=lang, scope=user.role.scope,
                      personal_data=user.role.personal_data)
    own = {k: st.query_params.get(k) for k in st.query_params if k in EXTRA_PARAMS}
    st.query_params.from_dict(filters.to_params() | own)
    return filters


PRESET_LABELS = {"last_30_days": N_("Last 30 days"), "last_90_days": N_("Last 90 days"),
                 "quarter_to_date": N_("Quarter to date"), "year_to_date": N_("Year to date"),
                 "last_12_months": N_("Last 12 months"), "custom": N_("Custom")}
COMPARISON_LABELS = {"previous_period": N_("Previous period"),
                     "same_period_last_year": N_("Same period last year")}


def dropped_params_notice(t: Translate) -> None:
    dropped = st.session_state.get("dropped_params")
    if dropped:
        st.warning(t("Some link parameters were not valid and were ignored: {params}",
                     params=", ".join(dropped)))


# --- page furniture -----------------------------------------------------------------------------

def context() -> Context:
    ctx = st.session_state.get("context")
    if ctx is None:
        st.error("Open the dashboard from its start page.")
        st.stop()
    return ctx


def require_page(key: str) -> Context:
    """The page's context, or a clear refusal when the viewer's role may not open this page."""
    ctx = context()
    if ctx.user.role.key not in nav.page(key).roles:
        st.error(ctx.t("Your role cannot open this page."))
        st.stop()
    return ctx


def header(ctx: Context, title: str, subtitle: str | None = None) -> None:
    t, f = ctx.t, ctx.filters
    left, right = st.columns([4, 1.4], vertical_alignment="bottom")
    left.title(title)
    period = t("{start} – {end}", start=fmt.date(f.start, f.lang), end=fmt.date(f.end, f.lang))
    compare = f.comparison()
    left.caption(" · ".join(filter(None, [
        subtitle, period,
        t("compared with {start} – {end}", start=fmt.date(compare.start, f.lang),
          end=fmt.date(compare.end, f.lang)),
        t("amounts in {currency}", currency=f.currency),
    ])))
    right.caption(t("Data as of {time} UTC", time=fmt.datetime(ctx.src.refreshed_at, f.lang)))
    if right.button(t("Refresh data"), key="refresh_button"):
        refresh_now(t)
        st.rerun()
    dropped_params_notice(t)


def kpi_tile(column: Any, label: str, value: str, delta: str | None, help_text: str,
             trend: list[float | None] | None = None, lower_is_better: bool = False,
             height: int | str = "content") -> None:
    """A KPI tile; give rows of tiles with and without trend lines one `height` (TILE_HEIGHT)."""
    column.metric(label, value, delta, delta_color="inverse" if lower_is_better else "normal",
                  help=help_text, border=True, height=height,
                  chart_data=[v for v in trend if v is not None] if trend else None, chart_type="line")


def format_kpi(value: float | None, unit: str, f: Filters) -> str:
    """A KPI value by its unit (see queries.overview.HEADLINE), in the filters' language and currency."""
    if unit == "money":
        return fmt.money(value, f.currency, f.lang)
    if unit == "count":
        return fmt.count(value, f.lang)
    if unit == "percent":
        return fmt.percent(None if value is None else value / 100, f.lang)
    if unit == "ratio":
        return fmt.percent(value, f.lang)
    if unit == "hours":
        return fmt.hours(value, f.lang)
    return fmt.decimal(value, f.lang)


def format_change(value: float | None, previous: float | None, unit: str, f: Filters, t: Translate) -> str | None:
    """The change against the comparison period: relative for money and counts, points for scores and
    shares, a duration for times."""
    if value is None or previous is None:
        return None
    if unit in ("money", "count"):
        return None if previous == 0 else fmt.percent(value / previous - 1, f.lang)
    if unit == "ratio":
        return t("{points} pts", points=fmt.decimal(100 * (value - previous), f.lang))
    if unit in ("percent", "score"):
        return t("{points} pts", points=fmt.decimal(value - previous, f.lang))
    return fmt.hours(value - previous, f.lang)


def nps_text(t: Translate, lang: str) -> pl.Expr:
    """The `nps` column as table text: the score, or "too few responses" below MIN_RESPONSES."""
    from queries.satisfaction import MIN_RESPONSES

    return (pl.when(pl.col("responses") >= MIN_RESPONSES)
            .then(pl.col("nps").map_elements(lambda v: fmt.decimal(v, lang), return_dtype=pl.String))
            .otherwise(pl.lit(t("Too few responses"))).alias("nps"))


def revenue_column(t: Translate, currency: str) -> Any:
    """A money column of a table: compact (1.2M), the currency in the header."""
    return st.column_config.NumberColumn(t("Revenue ({currency})", currency=currency), format="compact")


def chart(t: Translate, frame: pl.DataFrame, what: str, build: Callable[[pl.DataFrame], Any]) -> None:
    """The plotly figure `build` makes of `frame`, or the empty state naming `what` when it has no rows."""
    if frame.is_empty():
        empty_state(t, what)
    else:
        st.plotly_chart(build(frame), config={"displayModeBar": False})


def empty_state(t: Translate, what: str) -> None:
    st.info(t("No {what} for these filters. Widen the period or clear some filters in the sidebar.",
              what=what))


def apply_style(shared_screen: bool) -> None:
    """Type scale: bigger on a shared screen (TV, projector), where the sidebar is collapsed."""
    base = 20 if shared_screen else 16
    st.markdown(f"""<style>
        [data-testid="stMetricValue"] {{ font-size: {base * 1.9:.0f}px; }}
        [data-testid="stMetricLabel"] p {{ font-size: {base:.0f}px; }}
        .block-container {{ padding-top: 2.2rem; max-width: 100%; }}
    </style>""", unsafe_allow_html=True)


def store_context(ctx: Context) -> None:
    st.session_state["context"] = ctx

