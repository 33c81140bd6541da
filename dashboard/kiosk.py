"""Presentation mode: any page on a shared screen, readable from across the room, with nobody touching it.

`?kiosk=1` hides the sidebar, the toolbar and every widget, and shows the filters as one line of text
under the title; a type scale for a room applies to everything on the page (tiles, charts, tables); a
page taller than the screen scrolls slowly by itself. `&rotate=60&pages=overview,teams,satisfaction`
moves through those pages, 60 seconds each. The screen looks for newer data every
`[kiosk] refresh_seconds` (settings file; the server refreshes the snapshot) and redraws when there
is some, so "Data as of" stays true. Light or dark: Streamlit's own `&embed_options=light_theme` or
`dark_theme`.

A presentation link (dashboard/presentation.py) is always in presentation mode.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import plotly.graph_objects as go
import polars as pl
import streamlit as st
from babel import numbers

from dashboard import fmt
from dashboard.i18n import babel_locale
from dashboard.presentation import LINK_PARAM, LinkRefused, verify
from dashboard.settings import load
from dashboard.snapshot import Snapshot, SnapshotError
from dashboard.text import html_safe

STATE_KEY = "kiosk"
SHOWN_KEY = "kiosk_shown"
ON_VALUES = ("1", "true", "yes")
MIN_ROTATE, MAX_ROTATE = 5, 3600
# How much larger everything is drawn, by screen width: a 1920 px screen lays the page out as a
# 1280 px one, each element half as large again.
ZOOM_BY_WIDTH = ((1800, 1.5), (1500, 1.35), (1200, 1.25))


@dataclass(frozen=True)
class Kiosk:
    rotate: int | None = None  # seconds on each page of the playlist; None: stay
    pages: tuple[str, ...] = ()  # the playlist (page keys); empty: this page only

    def next_page(self, current: str) -> str | None:
        """The page after `current` in the playlist (the first one after the last, or from elsewhere)."""
        if self.rotate is None or not self.pages:
            return None
        if current not in self.pages:
            return self.pages[0]
        return self.pages[(self.pages.index(current) + 1) % len(self.pages)]


def requested(params: Mapping[str, str]) -> bool:
    return str(params.get("kiosk", "")).lower() in ON_VALUES or bool(params.get(LINK_PARAM))


def from_params(params: Mapping[str, str], allowed: Sequence[str]) -> tuple[Kiosk | None, list[str]]:
    """Presentation mode from the URL, if asked for (`kiosk=1`, or a presentation link), with its playlist
    of the `allowed` pages; the second value names the parameters that were not valid."""
    if not requested(params):
        return None, []
    problems: list[str] = []
    rotate = None
    if params.get("rotate"):
        try:
            rotate = int(params["rotate"])
            if not MIN_ROTATE <= rotate <= MAX_ROTATE:
                raise ValueError
        except ValueError:
            problems.append(f"rotate={params['rotate']}")
            rotate = None
    wanted = [p for p in str(params.get("pages", "")).split(",") if p]
    unknown = [p for p in wanted if p not in allowed]
    if unknown:
        problems.append("pages=" + ",".join(unknown))
    pages = tuple(dict.fromkeys(p for p in wanted if p in allowed)) or (tuple(allowed) if rotate else ())
    return Kiosk(rotate, pages), problems


def start(kiosk: Kiosk | None, problems: Sequence[str]) -> None:
    """This session's presentation mode; parameters that were not valid are named once, with the filters'."""
    st.session_state[STATE_KEY] = kiosk
    if problems and not st.session_state.get("kiosk_checked"):
        st.session_state["dropped_params"] = [*st.session_state.get("dropped_params", []), *problems]
    st.session_state["kiosk_checked"] = True


def current() -> Kiosk | None:
    """The presentation mode of this session, or None."""
    return st.session_state.get(STATE_KEY)


def style() -> str:
    """CSS of presentation mode: no sidebar, toolbar or widgets; everything larger."""
    # A chart measures its box on the screen and would be drawn larger than it: charts keep the screen's own
    # scale (`for_room` enlarges their text instead).
    zoom = "\n".join(f"@media (min-width: {width}px) {{ [data-testid='stMainBlockContainer'] {{ zoom: {factor}; }} "
                     f"[data-testid='stElementContainer']:has(.stPlotlyChart) {{ zoom: {1 / factor:.4f}; }} }}"
                     for width, factor in reversed(ZOOM_BY_WIDTH))
    return f"""
    [data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'], [data-testid='stExpandSidebarButton'],
    header[data-testid='stHeader'], [data-testid='stToolbar'], [data-testid='stDecoration'],
    [data-testid='stMainBlockContainer'] :is(.stButton, .stDownloadButton, .stSelectbox, .stMultiSelect,
      .stNumberInput, [data-testid='stButtonGroup'], .stRadio, .stSlider, .stDateInput, .stTextInput, .stCheckbox,
      [data-testid='stExpander'], [data-testid='stForm']) {{ display: none !important; }}
    [data-testid='stMainBlockContainer'] {{ padding: 1rem 1.5rem 1.5rem; max-width: 100%; }}
    {zoom}
    {TABLE_STYLE}
    """


CHART_TEXT_SCALE = 1.6


def for_room(figure: go.Figure) -> go.Figure:
    """A chart's text (title, ticks, legend, labels) enlarged for the back of the room, its plot kept as
    tall, where the screen is in presentation mode; unchanged elsewhere."""
    if current() is None:
        return figure
    layout = figure.layout
    base = (layout.font.size if layout.font and layout.font.size else 14) * CHART_TEXT_SCALE
    height = layout.height or 340
    figure.update_xaxes(tickfont_size=base, title_font_size=base, automargin=True)
    figure.update_yaxes(tickfont_size=base, title_font_size=base, automargin=True)
    return figure.update_layout(font_size=base, title_font_size=base * 1.2, legend_font_size=base,
                                hoverlabel_font_size=base, height=height + 4 * base)


def number_text(value: object, number_format: str | None, lang: str) -> str:
    """A number of a data-grid column as the grid would show it (`NumberColumn(format=…)`), in the locale's
    style: "plain", "compact", printf-like ("%.1f", "%.0f%%"), else localized."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "" if value is None else str(value)
    if number_format == "plain":
        return str(value)
    if number_format == "compact":
        return numbers.format_compact_decimal(value, locale=babel_locale(lang), fraction_digits=1)
    printf = re.fullmatch(r"%\.(\d)f(%%)?", number_format or "")
    if printf:
        return fmt.decimal(value, lang, int(printf.group(1))) + ("%" if printf.group(2) else "")
    return fmt.count(value, lang) if float(value).is_integer() else fmt.decimal(value, lang, 1)


WIDE_TABLE_COLUMNS, WIDE_TABLE_MIN_REM = 10, 0.7


def table_html(rows: Iterable[Sequence[object]], headers: Sequence[str], right: Sequence[bool]) -> str:
    """A table as plain HTML, which the room's type scale enlarges like any text (a data grid draws on a
    canvas of its own size); every value escaped, empty ones as "–"."""
    def cell(tag: str, value: object, align_right: bool) -> str:
        shown = "–" if value is None or value == "" else value
        return f'<{tag} class="{"num" if align_right else ""}">{html_safe(shown)}</{tag}>'

    head = "".join(cell("th", h, r) for h, r in zip(headers, right, strict=True))
    body = "".join("<tr>" + "".join(cell("td", v, r) for v, r in zip(row, right, strict=True)) + "</tr>"
                   for row in rows)
    # A table of many columns is set smaller, so that it still fits the screen's width.
    size = max(WIDE_TABLE_MIN_REM, min(1.0, WIDE_TABLE_COLUMNS / max(len(headers), 1)))
    return (f'<table class="mer-table{" mer-wide" if size < 1 else ""}" style="font-size: {size:.2f}rem">'
            f'<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')


def grid_table_html(frame: pl.DataFrame, column_config: Mapping[str, object], lang: str) -> str:
    """A table meant for a data grid (`st.dataframe` and its column configuration: labels, number formats,
    alignment) as plain HTML (`table_html`)."""
    configs = [column_config.get(c, c) for c in frame.columns]
    kinds = [{} if isinstance(c, str) else c.get("type_config", {}) for c in configs]  # type: ignore[attr-defined]
    return table_html(
        ([number_text(v, kind.get("format"), lang) for v, kind in zip(row, kinds, strict=True)]
         for row in frame.iter_rows()),
        [c if isinstance(c, str) else c.get("label", "") for c in configs],  # type: ignore[attr-defined]
        [not isinstance(c, str) and (c.get("alignment") == "right"  # type: ignore[attr-defined]
                                     or kind.get("type") in ("number", "progress"))
         for c, kind in zip(configs, kinds, strict=True)])


TABLE_STYLE = """
.mer-table { width: 100%; border-collapse: collapse; line-height: 1.3; }
.mer-table th { text-align: left; font-weight: 600; opacity: 0.75; border-bottom: 2px solid rgba(128,128,128,.35);
  white-space: nowrap; }
.mer-table.mer-wide th { white-space: normal; word-break: keep-all; }
.mer-table th, .mer-table td { padding: 0.3rem 0.6rem; vertical-align: top; }
.mer-table td { border-bottom: 1px solid rgba(128,128,128,.2); font-variant-numeric: tabular-nums; }
.mer-table .num { text-align: right; white-space: nowrap; }
"""


# Scrolls a page taller than the screen down slowly, waits, and goes back to the top: over the rotation
# when there is one, else in a loop. One timer per screen, replaced on every redraw.
SCROLL_SCRIPT = """
<script>
(() => {
  const seconds = %(seconds)s, pause = 4000;
  clearInterval(window.merScroll);
  const box = () => [document.querySelector('[data-testid="stMain"]'),
                     document.querySelector('[data-testid="stAppViewContainer"]'), document.scrollingElement]
    .find(el => el && el.scrollHeight > el.clientHeight + 2);
  let started = Date.now();
  window.merScroll = setInterval(() => {
    const el = box();
    if (!el) return;
    const travel = el.scrollHeight - el.clientHeight;
    const span = Math.max(seconds * 1000 - 2 * pause, 1000);
    const elapsed = Date.now() - started - pause;
    if (elapsed > span + pause) { el.scrollTop = 0; started = Date.now(); return; }
    el.scrollTop = Math.max(0, Math.min(1, elapsed / span)) * travel;
  }, 100);
})();
</script>
"""
LOOP_SECONDS = 40


def autoscroll(kiosk: Kiosk) -> None:
    """A page taller than the screen scrolls by itself (nobody is there to scroll it)."""
    st.html(SCROLL_SCRIPT % {"seconds": kiosk.rotate or LOOP_SECONDS}, unsafe_allow_javascript=True)


def autoplay(kiosk: Kiosk, here: str, pages: Mapping[str, st.Page], src: Snapshot, query: Mapping[str, str]) -> None:
    """Moves to the next page of the playlist when this one has been shown `rotate` seconds, and redraws
    the page when the server has refreshed the snapshot since it was drawn, or when its presentation link
    was revoked — checked every few seconds, by a fragment the browser reruns on its own."""
    # A page redrawn with newer data keeps its time on the screen; a page moved to starts its own.
    if st.session_state.get(SHOWN_KEY, (None,))[0] != here:
        st.session_state[SHOWN_KEY] = (here, time.monotonic())
    refresh = load().kiosk.refresh_seconds
    # Checked often enough that a page moves on within a fifth of its time of the moment it is due.
    tick = max(1.0, min(refresh, (kiosk.rotate or refresh) / 5))
    drawn_from = src.refreshed_at

    @st.fragment(run_every=tick)
    def check() -> None:
        page, since = st.session_state.get(SHOWN_KEY, (here, time.monotonic()))
        following = kiosk.next_page(page)
        if following is not None and following in pages and time.monotonic() - since >= kiosk.rotate:  # type: ignore[operator]
            st.switch_page(pages[following], query_params=dict(query))
        if _refreshed_at(src.root) not in (None, drawn_from) or not _link_still_valid(query):
            st.rerun(scope="app")

    with st.sidebar:
        check()


def _link_still_valid(query: Mapping[str, str]) -> bool:
    """False once the presentation link the screen shows was revoked or has expired: the screen is then
    redrawn, and signed out with the reason."""
    token = query.get(LINK_PARAM)
    if not token:
        return True
    try:
        verify(token)
    except LinkRefused:
        return False
    return True


def _refreshed_at(root: Path) -> object:
    try:
        return Snapshot.open(root).refreshed_at
    except SnapshotError:
        return None
