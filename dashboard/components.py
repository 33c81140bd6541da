"""Page furniture every page shares: the header (scope, period, data range), KPI tiles from the
registry, charts and their empty states, table columns, and the type scale."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
import streamlit as st
from babel import dates

from dashboard import audit, fmt, labels, layout, maps, plot, preload, sidebar, text, tiles
from dashboard import kiosk as presentation_mode
from dashboard.cache import cached
from dashboard.context import Context, current
from dashboard.freshness import health_notices, refresh_now, refresh_outcome
from dashboard.i18n import Translate, babel_locale, plural_translator
from queries import inputs, kpis, markets
from queries.kpis import KPIS, Kpi

PRESET_LABELS = sidebar.PRESET_LABELS


def period_text(ctx: Context) -> str:
    """'Year to date · Jan 1 – Nov 26, 2026 · compared with Jan 1 – Nov 26, 2025'."""
    t, f = ctx.t, ctx.filters
    before = f.comparison()
    return " · ".join([
        t(PRESET_LABELS[f.preset]), date_range(f.start, f.end, f.lang),
        t("compared with {period}", period=date_range(before.start, before.end, f.lang)),
    ])


def date_range(start: dt.date, end: dt.date, lang: str) -> str:
    if start == end:
        return fmt.date(start, lang)
    return dates.format_interval(start, end, skeleton="yMMMd", locale=babel_locale(lang))


def scope_text(ctx: Context, money: bool = True) -> str:
    """What the numbers cover: 'Asia Pacific · 9 countries · USD', 'All regions · 37 countries · USD'."""
    t, f, src = ctx.t, ctx.filters, ctx.src
    regions = cached(markets.regions)(src, f)
    countries = cached(markets.countries)(src, f)
    visible = f.visible_regions
    if visible is None:
        where = t("All regions")
        in_view = countries
    else:
        where = ", ".join(t(name) for rid, name in zip(regions["id"], regions["name"], strict=True)
                          if rid in visible) or t("No region")
        in_view = countries.filter(pl.col("region_id").is_in(visible))
    if f.countries:
        names = in_view.filter(pl.col("country_iso2").is_in(f.countries))["name"].to_list()
        where = ", ".join(names) if len(names) <= 3 else t("{n} countries", n=fmt.count(len(names), f.lang))
    else:
        where += " · " + t("{n} countries", n=fmt.count(in_view.height, f.lang))
    parts = [where]
    city = getattr(f, "city", None)  # a map drilled to a city narrows every number to it
    if city:
        parts.append(labels.label(city, t, f.lang))
    if f.segments:
        parts.append(", ".join(t(s) for s in f.segments))
    if f.channels:
        parts.append(", ".join(t(c) for c in f.channels))
    if money:
        parts.append(f.currency)
    return " · ".join(parts)


def quarantine_notice(ctx: Context) -> None:
    """How many rows every number on the page leaves out because a value in them could not be read."""
    t, src = ctx.t, ctx.src
    if src.quarantined:
        st.caption("⚠ " + t("{n} rows could not be read and are left out of these numbers ({tables}); the data "
                           "quality page lists them.", n=fmt.count(sum(src.quarantined.values()), ctx.filters.lang),
                           tables=", ".join(sorted(src.quarantined))))


def header(ctx: Context, title: str, money: bool = True) -> None:
    """The page title, what the numbers cover and when, how fresh the data is, and the notices that apply.
    `money`: the page shows amounts, so the reporting currency is part of its scope.

    The notices are one block, present or not: the page's elements after it keep their places, so a
    notice coming or going (a filter that leaves customers out) updates the maps and charts below in place
    instead of drawing them anew (a map's first picture costs a browser without a graphics card half a
    second)."""
    t, f, src = ctx.t, ctx.filters, ctx.src
    maps.page_probe()
    if presentation_mode.current() is not None:
        # Nobody can open a sidebar or press a button here: the filters are one line, the data's age visible.
        st.title(text.markdown(title), anchor=False)
        st.caption(text.markdown(" · ".join([scope_text(ctx, money), period_text(ctx), t(
            "Data as of {time} UTC", time=fmt.datetime(src.refreshed_at, f.lang))])))
        with st.container():
            health_notices(src, t, f.lang, admin=False)
            data_range_notice(ctx)
            sidebar.dropped_params_notice(t)
        return
    left, right = st.columns([4, 1.4], vertical_alignment="bottom")
    left.title(text.markdown(title), anchor=False)
    left.caption(text.markdown(scope_text(ctx, money) + " · " + period_text(ctx)))
    if ctx.user.demo:
        right.caption("🧪 " + t("Demo: anyone may pick any role."))
    right.caption(t("Data as of {time} UTC", time=fmt.datetime(src.refreshed_at, f.lang)))
    if ctx.user.role.may_refresh and right.button(t("Refresh data"), key="refresh_button"):
        refresh_now(t)
        st.rerun()
    with st.container():
        notices(ctx)


def notices(ctx: Context) -> None:
    """What the viewer should know before reading the page's numbers: the last refresh's outcome, the
    CRM's and the snapshot's health, rows left out, where the data ends, ignored link parameters."""
    t, f, src = ctx.t, ctx.filters, ctx.src
    refresh_outcome(t, again=maps.probe_rerun())
    health_notices(src, t, f.lang, ctx.user.role.can("admin"))
    quarantine_notice(ctx)
    data_range_notice(ctx)
    left_out = int(cached(markets.left_out_unknown)(src, f)["customers"][0])
    if left_out:
        st.caption(t("{n} customers with an unknown country code have no region: the region and country filters "
                     "leave them out.", n=fmt.count(left_out, f.lang)))
    # A notice is shown once, on the run the viewer started; a rerun the map's probe starts (the page's
    # width, measured after the first drawing) shows it again.
    pending = st.session_state.get("dropped_params")
    if pending:
        st.session_state["mer_shown_notice"] = pending
    elif maps.probe_rerun() and st.session_state.get("mer_shown_notice"):
        st.session_state["dropped_params"] = st.session_state["mer_shown_notice"]
    else:
        st.session_state.pop("mer_shown_notice", None)
    sidebar.dropped_params_notice(t)


def data_range_notice(ctx: Context) -> None:
    """Where the data ends before yesterday, say so: periods end on the data's last day, not today."""
    src, f = ctx.src, ctx.filters
    yesterday = dt.date.today() - dt.timedelta(days=1)
    if src.data_first is None or src.last_day >= yesterday:
        return
    st.info(ctx.t("The data runs {period}; periods end on its last day.",
                  period=date_range(src.data_first.date(), src.last_day, f.lang)))


# --- KPI tiles ---------------------------------------------------------------------------------------

def kpi_value(kpi: Kpi, value: float | None, ctx: Context) -> str:
    return fmt.by_unit(value, kpi.unit, ctx.filters.lang, ctx.filters.currency, kpi.digits)


def sample_text(kpi: Kpi, sample: float | None, lang: str) -> str:
    """What the KPI's value rests on, in the form the language uses for that count: "1 won deal"."""
    if kpi.sample_label is None or sample is None:
        return ""
    return plural_translator(lang)(*kpi.sample_label, sample, n=fmt.count(sample, lang))


def tile_for(kpi: Kpi, row: dict, trend: pl.DataFrame | None, ctx: Context) -> tiles.Tile:
    """The tile of one KPI from its measured row (`kpis.measure`) and monthly series (`kpis.monthly`)."""
    t, f = ctx.t, ctx.filters
    missing = inputs.unmet(ctx.src, kpi.needs)
    help_text = t(kpi.definition)
    if missing:
        return tiles.Tile(kpi.key, t(kpi.label), fmt.MISSING, help_text,
                          note=t("Needs {inputs}", inputs=", ".join(t(kpis.NEEDS_TEXT[m]) for m in missing)))
    value, sample = row["value"], row["sample"]
    left_out = cached(kpi.left_out)(ctx.src, f) if kpi.left_out else None
    if left_out is not None and not left_out.is_empty():
        rows_left_out = int(left_out[left_out.columns[1]].sum())
        tn = plural_translator(f.lang)
        excluded = tn("Leaves out {n} order in {currencies}: no exchange rate",
                      "Leaves out {n} orders in {currencies}: no exchange rate", rows_left_out,
                      n=fmt.count(rows_left_out, f.lang), currencies=", ".join(left_out["currency"].to_list()))
        # Nothing converted at all: a sum of nothing is no revenue figure, not a zero.
        shown = fmt.MISSING if not value else kpi_value(kpi, value, ctx)
        return tiles.Tile(kpi.key, t(kpi.label), shown, help_text, note=excluded)
    if not kpi.enough(sample):
        shown = fmt.MISSING
        note = t("Too few to show: {sample} (at least {minimum})", sample=sample_text(kpi, sample, f.lang),
                 minimum=fmt.count(kpi.min_sample, f.lang))
    else:
        shown = kpi_value(kpi, value, ctx)
        # A tile without a change or a trend says why, rather than look unfinished.
        note = sample_text(kpi, sample, f.lang) or ("" if kpi.comparable else t("Not compared: no history kept"))
    moved = kpis.change(kpi, value, row["previous"], sample, row["previous_sample"])
    before = f.comparison()
    change_help = t("{period}: {value}", period=date_range(before.start, before.end, f.lang),
                    value=kpi_value(kpi, row["previous"], ctx) if kpi.enough(row["previous_sample"])
                    else fmt.MISSING)
    change_text = None
    if moved is not None:
        arrow = {"up": "▲ ", "down": "▼ ", "flat": ""}[moved.direction]
        change_text = arrow + (t("no change") if moved.direction == "flat"
                               else fmt.change(moved.amount, moved.relative, kpi.unit, f.lang, kpi.digits))
    series = trend.filter(pl.col("kpi") == kpi.key) if trend is not None and kpi.comparable else pl.DataFrame()
    return tiles.Tile(
        kpi.key, t(kpi.label), shown, help_text, change_text, moved.verdict if moved else "neutral", change_help,
        note, tuple(series["value"].to_list()) if series.height else (),
        bool(series.height and series["partial"][-1]))


def kpi_tiles(ctx: Context, keys: Sequence[str], trends: bool = True) -> None:
    """Tiles for these registry KPIs: value, change against the comparison period, sample, and the
    12-month trend."""
    src, f = ctx.src, ctx.filters
    measured = cached(kpis.measure)(src, f, tuple(keys))
    trend = cached(kpis.monthly)(src, f, tuple(keys)) if trends else None
    made = [tile_for(KPIS[row["kpi"]], row, trend, ctx) for row in measured.iter_rows(named=True)]
    st.html(tiles.tiles_html(made))


def trend_caption(ctx: Context) -> None:
    st.caption(ctx.t("Lines: the 12 months up to the period's end; a month not over yet is dashed. Changes "
                     "compare with the comparison period and are left out where either rests on too few "
                     "observations."))


# --- charts, tables, empty states ----------------------------------------------------------------------

def chart(t: Translate, frame: pl.DataFrame, what: str, build: Callable[[pl.DataFrame], Any]) -> None:
    """The plotly figure `build` makes of `frame`, or the empty state naming `what` when it has no rows."""
    if frame.is_empty():
        empty_state(t, what)
    else:
        figure(build(frame))


def figure(built: Any, key: str | None = None, on_select: Callable[[], None] | None = None) -> None:
    """A plotly figure across its column, its text enlarged on a shared screen (see plot.show)."""
    unavailable = current().t("This chart could not be drawn: its code did not load. Reload the page.")
    plot.show(presentation_mode.for_room(built), CHART_CONFIG, unavailable, key=key, on_select=on_select)


# Charts can be saved as images (the toolbar draws them in the browser: nothing leaves the machine).
CHART_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
                "toImageButtonOptions": {"format": "png", "scale": 2}}


def empty_state(t: Translate, what: str) -> None:
    """No data behind a chart or table: say what is missing and what to try."""
    st.info(t("No {what} for these filters. Widen the period or clear some filters in the sidebar.",
              what=what))


def nothing_to_report(text: str) -> None:
    """An empty result that is itself the answer (no falling markets is good news)."""
    st.success(text)


def text_column(column: str, show: Callable[[Any], str]) -> pl.Expr:
    """A column as table text made by `show`; an empty value is "–", never "None"."""
    return pl.col(column).map_elements(show, return_dtype=pl.String).fill_null(fmt.MISSING).alias(column)


def kpi_text(kpi: Kpi, lang: str, currency: str = "USD") -> pl.Expr:
    """The KPI's column as table text: the value, or "–" below the KPI's minimum sample (the column's
    help says why: `sample_help`)."""
    shown = text_column(kpi.column, lambda v: fmt.by_unit(v, kpi.unit, lang, currency, kpi.digits))
    if kpi.sample is None:
        return shown
    return (pl.when(pl.col(kpi.sample) >= kpi.min_sample).then(shown)
            .otherwise(pl.lit(fmt.MISSING)).alias(kpi.column))


def kpi_column(kpi: Kpi, t: Translate) -> Any:
    """The column of a KPI in a table: its label, right-aligned, its definition and minimum sample as help."""
    help_text = t(kpi.definition)
    if kpi.sample_label:
        help_text += " " + t("Shown as – below {sample}.",
                             sample=sample_text(kpi, kpi.min_sample, current().filters.lang))
    return number_column(t(kpi.label), help_text)


def revenue_column(t: Translate, currency: str) -> Any:
    """A money column of a table: compact (1.2M), the currency in the header."""
    return st.column_config.NumberColumn(t("Revenue ({currency})", currency=currency), format="compact")


def apply_style(shared_screen: bool, kiosk: bool = False) -> None:
    """Type scale: bigger on a shared screen (TV, projector), where the sidebar is collapsed; in
    presentation mode, everything on the page is drawn for the back of the room (`kiosk.style`)."""
    base = 20 if shared_screen else 16
    st.html(f"""<style>{tiles.STYLE}
        {layout.STYLE}
        {preload.STYLE}
        .mer-tiles {{ --mer-value-size: {base * 1.9 / 16:.2f}rem; --mer-label-size: {base * 0.95 / 16:.2f}rem; }}
        .block-container {{ padding-top: 2.2rem; max-width: 100%; }}
        {presentation_mode.style() if kiosk else ""}
    </style>""")


ROW_PX, HEADER_PX, MAX_ROWS = 35, 38, 25


def readable(frame: pl.DataFrame, column_config: dict, lang: str, currency: str) -> tuple[pl.DataFrame, dict]:
    """The table's numbers as text in the page's language (st.dataframe's own formats follow the
    browser's locale, not the UI language), right-aligned, and "–" for every empty value, never "None".

    A number column configured "compact" is money in the reporting currency (`revenue_column`); "plain"
    (identifiers) stays as it is; any other number column shows counts with thousands separators, or
    decimals with the digits of its printf format."""
    columns, config = [], dict(column_config)
    for name in frame.columns:
        spec = config.get(name)
        dtype = frame.schema[name]
        kind = spec.get("type_config", {}).get("type") if isinstance(spec, dict) else None
        if spec is None and name in config:  # hidden
            continue
        if dtype.is_numeric() and kind in (None, "number"):
            number_format = (spec or {}).get("type_config", {}).get("format") if isinstance(spec, dict) else None
            if number_format == "plain":  # identifiers: as they are, right-aligned
                columns.append(pl.col(name).cast(pl.Int64, strict=False).cast(pl.String).fill_null(fmt.MISSING))
                config[name] = number_column(spec.get("label") or name, spec.get("help"))
                continue
            label = spec.get("label") if isinstance(spec, dict) else (spec if isinstance(spec, str) else name)
            help_text = spec.get("help") if isinstance(spec, dict) else None
            if number_format == "compact":
                def show(v: Any) -> str:
                    return fmt.money(v, currency, lang)
            elif dtype.is_integer():
                def show(v: Any) -> str:
                    return fmt.count(v, lang)
            else:
                digits = 1
                if isinstance(number_format, str) and number_format.startswith("%."):
                    digits = int(number_format[2]) if number_format[2].isdigit() else 1
                def show(v: Any, digits: int = digits) -> str:
                    return fmt.decimal(v, lang, digits)
            columns.append(text_column(name, show))
            config[name] = number_column(label or name, help_text)
        elif dtype == pl.String:
            columns.append(pl.col(name).fill_null(fmt.MISSING))
    return (frame.with_columns(columns) if columns else frame), config


NARROW, WIDE = frozenset("iljtfrI.,:;'|!()[] "), frozenset("mwMW@%")


def text_px(text: str) -> int:
    """About how wide a text is drawn in a table cell, a little wider than Source Sans at 14 px draws it:
    narrow letters (i, l, t, space) and wide ones (m, w) apart, capitals and digits wider than the rest of
    the lower case, CJK characters twice as wide as Latin ones."""
    def px(ch: str) -> float:
        if ord(ch) >= 0x2E80:
            return 15
        if ch in NARROW:
            return 5
        if ch in WIDE:
            return 12
        return 9 if ch.isupper() else 7.5 if ch.isdigit() else 7
    return round(sum(px(ch) for ch in text))


def fitted(frame: pl.DataFrame, column_config: dict, columns: Sequence[str]) -> dict:
    """The configuration of a table showing the rows of `frame`, with `columns` as wide as their header and
    their widest value: the grid sizes a column by its first rows only, and cuts a longer value further
    down ("United Arab Emirates" below "Serbia")."""
    sized = dict(column_config)
    for column in columns:
        given = column_config.get(column, column)
        if given is None:  # hidden
            continue
        label = given if isinstance(given, str) else given.get("label") or column
        values = [str(v) for v in frame[column] if v is not None]
        width = 28 + max(text_px(label), *(text_px(v) for v in values), 40)
        sized[column] = (st.column_config.TextColumn(label, width=width) if isinstance(given, str)
                         else {**given, "width": width})
    return sized


def table(t: Translate, frame: pl.DataFrame, column_config: dict, key: str, export: str | None = None,
          fit: Sequence[str] = ()) -> None:
    """A table sized to its rows (no inner scrollbar) up to MAX_ROWS, then paged; its numbers as text
    in the page's number style, right-aligned (`readable`). With `export` (a file name), roles with the
    export right may download all of its rows as CSV. The columns in `fit` are never cut (`fitted`):
    for those whose every value must be read in full (names), where the table has the room."""
    ctx = current()
    frame, column_config = readable(frame, column_config, ctx.filters.lang, ctx.filters.currency)
    if presentation_mode.current() is not None:
        # Nobody pages on a shared screen, and a data grid would not take the room's type scale.
        st.html(presentation_mode.grid_table_html(frame.head(MAX_ROWS), column_config, ctx.filters.lang))
        return
    pages = max(1, -(-frame.height // MAX_ROWS))
    place = st.container()
    page = 1
    left, right = st.columns([5, 1], vertical_alignment="bottom")
    if pages > 1:
        page = int(right.number_input(t("Page (of {pages})", pages=pages), min_value=1, max_value=pages, value=1,
                                      key=f"{key}-page"))
    if export and ctx.user.role.can("export"):
        left.download_button(t("Download (CSV)"), csv_bytes(frame, column_config), f"{export}.csv", "text/csv",
                             key=f"{key}-export", on_click=audit.record, args=(ctx.user.name, "export"),
                             kwargs={"what": export, "rows": frame.height, "filters": ctx.filters.to_params()})
    shown = frame.slice((page - 1) * MAX_ROWS, MAX_ROWS)
    place.dataframe(shown, hide_index=True, width="stretch", column_config=fitted(shown, column_config, fit),
                    height=HEADER_PX + ROW_PX * max(shown.height, 1) + 2, key=key)


def csv_bytes(frame: pl.DataFrame, column_config: dict) -> bytes:
    """The table as a spreadsheet would open it: the columns' own labels, and no cell a spreadsheet
    would run as a formula."""
    def label(column: str) -> str:
        config = column_config.get(column)
        return config if isinstance(config, str) else (config or {}).get("label") or column

    shown = [c for c in frame.columns if not (c in column_config and column_config[c] is None)]
    safe = frame.select(shown).with_columns(pl.col(c).map_elements(text.spreadsheet_safe, return_dtype=pl.String)
                                            for c in shown if frame.schema[c] == pl.String)
    return safe.rename({c: label(c) for c in shown}).write_csv().encode("utf-8-sig")


def number_column(label: str, help_text: str | None = None) -> Any:
    """A column of numbers already formatted in the page's language: right-aligned like numbers."""
    return st.column_config.TextColumn(label, help=help_text, alignment="right")


# --- sections -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Section:
    """A part of a long page: its name, what draws it, and the keys of the widgets it holds."""

    name: str
    draw: Callable[[], None]
    widgets: tuple[str, ...] = ()


def sections(key: str, parts: Mapping[str, Section]) -> None:
    """Draws a long page's parts as tabs, keyed by id. Only the open tab is computed and drawn, so the
    page costs the server and the browser one part at a time. The open part is kept by id, so it stays
    open when the language changes (Streamlit keeps a tab by its label) and when the reader comes back
    to the page; a closed part's widgets keep their values (Streamlit forgets a widget not drawn). On a
    shared screen every part is drawn, one below the other under its name: nobody is there to open a tab."""
    if presentation_mode.current() is not None:
        for part in parts.values():
            st.subheader(part.name)
            part.draw()
        return
    ids, names = list(parts), [part.name for part in parts.values()]
    open_key, drawn_key, kept_key = f"{key}-open", f"{key}-drawn", f"{key}-kept"
    if st.session_state.get(open_key) not in parts:
        st.session_state[open_key] = ids[0]
    opened = st.session_state[open_key]
    kept = st.session_state.setdefault(kept_key, {})
    for part in parts.values():
        kept.update({widget: st.session_state[widget] for widget in part.widgets if widget in st.session_state})
    # Set again, a closed tab's values outlive the run; a tab just opened sends them to the browser, which
    # would otherwise show each widget's default beside the value the page uses.
    for section, part in parts.items():
        if section != opened or opened != st.session_state.get(drawn_key):
            st.session_state.update({widget: kept[widget] for widget in part.widgets if widget in kept})
    st.session_state[drawn_key] = opened
    st.session_state[key] = parts[opened].name

    def remember() -> None:
        # A click on a tab drawn before a language change names it in the old language: it stays as is.
        if st.session_state[key] in names:
            st.session_state[open_key] = ids[names.index(st.session_state[key])]

    for section, tab in zip(ids, st.tabs(names, key=key, on_change=remember), strict=True):
        if tab.open:
            with tab:
                parts[section].draw()


# --- breadcrumb --------------------------------------------------------------------------------------

def breadcrumb(levels: Sequence[tuple[str, Callable[[], None] | None]]) -> None:
    """A trail of levels, each above the current one a link that calls its function; the last one, the
    current level, in bold."""
    crumbs = st.container(horizontal=True, vertical_alignment="center", gap="small", key="mer-crumbs")
    for i, (label, go) in enumerate(levels):
        if i == len(levels) - 1 or go is None:
            crumbs.markdown(f"**{text.markdown(label)}**", width="content")
        else:
            crumbs.button(text.markdown(label), key=f"mer-crumb-{i}", type="tertiary", on_click=go)
            crumbs.markdown("›", width="content")


def needs_notice(t: Translate, missing: Sequence[str]) -> None:
    """A part of a page the CRM cannot fill: say what it lacks rather than show zeros."""
    st.info(t("Needs {inputs}", inputs=", ".join(t(kpis.NEEDS_TEXT[m]) for m in missing)))
