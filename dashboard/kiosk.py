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

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from dashboard.settings import load
from dashboard.snapshot import Snapshot, SnapshotError

STATE_KEY = "kiosk"
SHOWN_KEY = "kiosk_shown"
ON_VALUES = ("1", "true", "yes")
MIN_ROTATE, MAX_ROTATE = 5, 3600
# How much larger everything is drawn, by screen width: a 1920 px screen lays the page out as a
# 1280 px one, each element half as large again.
ZOOM_BY_WIDTH = ((1800, 1.5), (1500, 1.3), (1200, 1.15))


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
    return str(params.get("kiosk", "")).lower() in ON_VALUES or bool(params.get("link"))


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
    zoom = "\n".join(f"@media (min-width: {width}px) {{ [data-testid='stMainBlockContainer'] {{ zoom: {factor}; }} }}"
                     for width, factor in reversed(ZOOM_BY_WIDTH))
    return f"""
    [data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'], [data-testid='stExpandSidebarButton'],
    header[data-testid='stHeader'], [data-testid='stToolbar'], [data-testid='stDecoration'],
    [data-testid='stMainBlockContainer'] :is(.stButton, .stDownloadButton, .stSelectbox, .stMultiSelect,
      .stNumberInput, .stSegmentedControl, .stRadio, .stSlider, .stDateInput, .stTextInput, .stCheckbox,
      [data-testid='stExpander'], [data-testid='stForm']) {{ display: none !important; }}
    [data-testid='stMainBlockContainer'] {{ padding: 1rem 1.5rem 1.5rem; max-width: 100%; }}
    {zoom}
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
    the page when the server has refreshed the snapshot since it was drawn — checked every few seconds,
    by a fragment the browser reruns on its own."""
    st.session_state[SHOWN_KEY] = (here, time.monotonic())
    refresh = load().kiosk.refresh_seconds
    tick = max(1.0, min(refresh, kiosk.rotate or refresh))
    drawn_from = src.refreshed_at

    @st.fragment(run_every=tick)
    def check() -> None:
        page, since = st.session_state.get(SHOWN_KEY, (here, time.monotonic()))
        following = kiosk.next_page(page)
        if following is not None and following in pages and time.monotonic() - since >= kiosk.rotate:  # type: ignore[operator]
            st.switch_page(pages[following], query_params=dict(query))
        if _refreshed_at(src.root) not in (None, drawn_from):
            st.rerun(scope="app")

    with st.sidebar:
        check()


def _refreshed_at(root: Path) -> object:
    try:
        return Snapshot.open(root).refreshed_at
    except SnapshotError:
        return None
