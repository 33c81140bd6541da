"""Query results behind Streamlit's cache, keyed by the snapshot's version and the filters; the
queries themselves stay pure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
import streamlit as st

from dashboard.filters import Filters
from dashboard.freshness import SNAPSHOT_TTL_SECONDS
from dashboard.snapshot import Snapshot


@st.cache_data(ttl=SNAPSHOT_TTL_SECONDS, show_spinner=False, max_entries=4000)
def _run(name: str, root: str, refreshed_at: str, filters_key: str, args_key: str, _fn: Callable,
         _src: Snapshot, _f: Filters, _args: tuple) -> pl.DataFrame:
    return _fn(_src, _f, *_args)


def cached(fn: Callable[..., pl.DataFrame]) -> Callable[..., pl.DataFrame]:
    """The query behind Streamlit's cache, keyed by the snapshot's refresh and the filters. A query that
    reads only part of the filters says which (`fn.filters_used`, filters -> filters it gives the same
    answer for), and is keyed by that part, so views that differ elsewhere share its result."""
    used: Callable[[Filters], Filters] = getattr(fn, "filters_used", lambda f: f)

    def call(src: Snapshot, f: Filters, *args: Any) -> pl.DataFrame:
        f = used(f)
        # Arguments may be polars expressions (a grouping), which hash by their printed form.
        return _run(f"{fn.__module__}.{fn.__qualname__}", str(src.root), src.refreshed_at.isoformat(),
                    repr(f), repr([str(a) for a in args]), fn, src, f, args)

    return call
