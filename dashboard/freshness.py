"""The app's snapshot: built on first start (with visible progress), refreshed past its age limit, and
the "Refresh data" action."""

from __future__ import annotations

import datetime as dt
import logging

import streamlit as st

from dashboard import bootstrap
from dashboard.db import DatabaseError, embedded_missing, resolve_url
from dashboard.i18n import Translate
from dashboard.schema import TABLE_ORDER
from dashboard.snapshot import Snapshot, SnapshotError, snapshot_root

log = logging.getLogger(__name__)

SNAPSHOT_TTL_SECONDS = 15 * 60


def crm_url(t: Translate) -> str:
    """The CRM's URL, or a clear refusal when its configuration cannot be read."""
    try:
        return resolve_url()
    except DatabaseError as exc:
        log.error("no CRM URL: %s", exc)
        st.error(t("The CRM database cannot be read."))
        st.info(t("Check CRM_DATABASE_URL or .streamlit/secrets.toml, then reload the page."))
        st.stop()
        raise


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
            _first_start(url, t)
            src = Snapshot.open(root)
        elif dt.datetime.now(dt.UTC).replace(tzinfo=None) - src.refreshed_at > dt.timedelta(
                seconds=SNAPSHOT_TTL_SECONDS) and not st.session_state.get("refresh_failed"):
            with st.spinner(t("Refreshing data from the CRM database…")):
                try:
                    bootstrap.update_snapshot(url)
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


def _first_start(url: str, t: Translate) -> None:
    from dashboard.demo import DEFAULT_CUSTOMERS

    with st.status(t("Preparing the data (first start)…"), expanded=True) as status:
        if embedded_missing(url):
            st.write(t("Generating the demo CRM database…"))
            bar = st.progress(0.0)
            done = [0]

            def advance(n: int) -> None:
                done[0] += n
                bar.progress(min(1.0, done[0] / DEFAULT_CUSTOMERS))

            bootstrap.ensure_demo(url, advance)
        st.write(t("Reading the CRM database into the local snapshot…"))
        bar = st.progress(0.0)
        tables = [0]

        def step(_table: str, _rows: int) -> None:
            tables[0] += 1
            bar.progress(min(1.0, tables[0] / len(TABLE_ORDER)))

        bootstrap.update_snapshot(url, on_table=step)
        status.update(label=t("Data ready"), state="complete", expanded=False)


def refresh_now(t: Translate) -> None:
    with st.spinner(t("Refreshing data from the CRM database…")):
        try:
            bootstrap.update_snapshot(resolve_url())
        except DatabaseError as exc:
            st.error(str(exc))
            return
    st.cache_data.clear()
    st.session_state.pop("refresh_failed", None)
