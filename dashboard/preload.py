"""The browser code of charts, tables and maps, loaded before a page needs it, without holding up the
page the viewer opened.

The browser loads the code of an element kind (the charts' plotly.js, see plot; Streamlit's data grid
and deck.gl: megabytes of JavaScript) the first time an element of that kind arrives, and evaluates it
before drawing anything more. On a session's first run a small script of the page's own, hidden in the
sidebar, asks for the chart code at once (every page but one has charts), and for the table and map
code once the browser has nothing else to do: a page that has a table or a map loads that code when
its element arrives, as Streamlit does; a page without keeps the browser free to draw what it has, and
the next page's table or map finds its code ready. Later runs send nothing: the tab keeps the code.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import streamlit as st

from dashboard import plot

PRELOADED = "mer_preloaded"
KEY = "mer-preload"
STYLE = f"[class*='st-key-{KEY}'] {{ display: none !important; }}"
# Streamlit's own code for its data grid and its deck.gl maps, as its build names them.
ELEMENT_KINDS = ("DataFrame", "DeckGlJsonChart")
STREAMLIT_JS = Path(st.__file__).parent / "static" / "static" / "js"

# True once the app has drawn what its script sent: the script has stopped, no element is stale, spinning
# or still loading its code (a skeleton), every chart (the page's components other than the maps' width
# probes, dashboard/plot.py and maps.py) has its picture and every map its canvas. The benchmark's "drawn"
# (bench/browser.py) is this and a little more.
PAGE_DRAWN_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.dataset.testScriptState !== 'notRunning') return false;
  if (document.querySelector('[data-stale="true"], [data-testid="stSkeleton"], [data-testid="stSpinner"]'))
    return false;
  const main = document.querySelector('[data-testid="stMain"]') || document.body;
  for (const part of main.querySelectorAll('[data-testid^="stBidiComponent"]'))
    if (!part.closest('[class*="st-key-mer-probe-"]') && !part.querySelector('.mer-chart .main-svg')) return false;
  for (const deck of main.querySelectorAll('[data-testid="stDeckGlJsonChart"]'))
    if (!deck.querySelector('canvas')) return false;
  return true;
}"""

# Imported by the same address Streamlit's own code imports them by (beside its index script): the
# browser evaluates a module once per address, so Streamlit's later import finds it ready. Asked for once
# the page is drawn (PAGE_DRAWN_JS; a map's picture comes a moment after its canvas) and the browser is
# idle: an idle moment while the page waits for its data or its map's code is no time to evaluate
# megabytes of code. A page that is never drawn (an error) asks for it after 10 s.
IDLE_JS = """((names) => {
  if (window.merElementCode) return;
  window.merElementCode = true;
  const index = document.querySelector('script[src*="/static/js/index."]');
  if (!index) return;
  const load = () => names.forEach((name) => import(new URL(name, index.src).href).catch(() => {}));
  const drawn = PAGE_DRAWN;
  const idle = window.requestIdleCallback || ((then) => setTimeout(then, 500));
  // A map's canvas comes before its WebGL context and first picture: a moment later, they are done.
  const later = () => setTimeout(() => idle(load, { timeout: 10000 }), 300);
  const wait = (tries) => (drawn() || tries === 0 ? later() : setTimeout(wait, 200, tries - 1));
  wait(50);
})""".replace("PAGE_DRAWN", PAGE_DRAWN_JS)


@cache
def element_files() -> tuple[str, ...]:
    """The file names of the table's and the map's code in the installed Streamlit; a kind whose file
    cannot be told apart is left out (its element loads it when it arrives)."""
    found = (sorted(STREAMLIT_JS.glob(f"{kind}.*.js")) for kind in ELEMENT_KINDS)
    return tuple(files[0].name for files in found if len(files) == 1)


def ask_for_code() -> None:
    """On the session's first run: the script that asks for the code of charts, tables and maps."""
    if st.session_state.get(PRELOADED):
        return
    st.session_state[PRELOADED] = True
    with st.sidebar.container(key=KEY):
        st.html(f"<script>{plot.LOAD_JS}({json.dumps(plot.bundle_url())});"
                f"{IDLE_JS}({json.dumps(list(element_files()))});</script>", unsafe_allow_javascript=True)
