"""The browser code of charts, tables and maps, loaded while the server computes a tab's first page.

The browser loads the code of an element kind (the charts' plotly.js, see plot; Streamlit's data grid
and deck.gl: megabytes of JavaScript) the first time an element of that kind arrives, and evaluates it
before drawing anything more: in a fresh tab that came after the page's script had sent its elements,
and took longer than the queries did. On a session's first run, an empty element of each kind is sent
before anything else, hidden in the sidebar, so the code loads while the queries run. Later runs send
none: the tab keeps the code.
"""

from __future__ import annotations

import polars as pl
import pydeck as pdk
import streamlit as st

from dashboard import plot

PRELOADED = "mer_preloaded"
KEY = "mer-preload"
STYLE = f"[class*='st-key-{KEY}'] {{ display: none !important; }}"


def chart_code() -> None:
    """On the session's first run: one hidden, empty chart, table and map."""
    if st.session_state.get(PRELOADED):
        return
    st.session_state[PRELOADED] = True
    # The chart code in a container of its own: Streamlit's browser draws a container's elements once the
    # code of each has loaded, and the table's and map's would hold the chart code's request back.
    with st.sidebar.container(key=f"{KEY}-charts"):
        plot.load_code()
    with st.sidebar.container(key=KEY):
        st.dataframe(pl.DataFrame({"": []}), key=f"{KEY}-table")
        st.pydeck_chart(pdk.Deck(layers=[], map_provider=None, views=[pdk.View(type="OrthographicView")]),
                        key=f"{KEY}-map", height=1)
