"""The app's snapshot: built on first start (with visible progress), refreshed by the server's refresh
thread, what the viewer is told about its health, and the "Refresh data" action."""

from __future__ import annotations

import datetime as dt
import logging

import streamlit as st

from dashboard import bootstrap, fmt, scheduler
from dashboard.db import DatabaseError, embedded_missing, resolve_url
from dashboard.i18n import Translate
from dashboard.schema import TABLE_ORDER
from dashboard.settings import load
from dashboard.snapshot import Snapshot, SnapshotError, read_health, snapshot_root

log = logging.getLogger(__name__)

# How long a query result is kept; a refresh makes new results anyway (they are keyed by the version).
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
    """The current snapshot, built on first use (and the demo database with it). Later refreshes run in
    the server's refresh thread (dashboard/scheduler.py), never in a page load."""
    try:
        url = resolve_url()
        root = snapshot_root(url)
        try:
            src = Snapshot.open(root)
        except SnapshotError:
            _first_start(url, t)
            src = Snapshot.open(root)
        refresh = load().refresh
        scheduler.start_in_background(url, refresh.every, refresh.retry_after)
        return src
    except (DatabaseError, SnapshotError) as exc:
        log.exception("snapshot unavailable")
        st.error(t("The CRM database cannot be read."))
        st.markdown(f"`{exc}`")
        st.info(t("Check CRM_DATABASE_URL or .streamlit/secrets.toml, then reload the page."))
        st.stop()
        raise


def health_notices(src: Snapshot, t: Translate, lang: str, admin: bool) -> None:
    """Says when the CRM could not be reached since the data was taken, and (to administrators) which
    snapshot version was set aside and why."""
    health = read_health(src.root)
    since = health.get("failing_since")
    if since:
        st.warning(t("Data as of {time} UTC — the CRM could not be reached since {since} UTC. Meridian keeps "
                     "trying; the numbers shown are those of the last good refresh.",
                     time=fmt.datetime(src.refreshed_at, lang),
                     since=fmt.datetime(dt.datetime.fromisoformat(since), lang)))
    if admin:
        for entry in health.get("set_aside", []):
            st.error(t("Snapshot version {version} was set aside ({problem}); the last good version is shown "
                       "while a full rebuild runs in the background.", version=entry["version"],
                       problem=entry["problem"]))


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


REFRESH_OUTCOME = "refresh_outcome"


def refresh_now(t: Translate) -> None:
    """Refreshes at once; the outcome is kept for `refresh_outcome` to show after the rerun that follows."""
    with st.spinner(t("Refreshing data from the CRM database…")):
        try:
            bootstrap.update_snapshot(resolve_url())
        except (DatabaseError, SnapshotError, OSError) as exc:
            log.error("refresh on request failed: %s", exc)
            st.session_state[REFRESH_OUTCOME] = ("error", str(exc))
            return
    st.cache_data.clear()
    st.session_state[REFRESH_OUTCOME] = ("success", "")


def refresh_outcome(t: Translate, again: bool) -> None:
    """The outcome of the viewer's last "Refresh data", on the run after it — and `again` on a rerun the
    page starts by itself (the map's width probe), which would otherwise wipe it."""
    outcome = st.session_state.pop(REFRESH_OUTCOME, None)
    if outcome is not None:
        st.session_state[REFRESH_OUTCOME + "_shown"] = outcome
    elif again:
        outcome = st.session_state.get(REFRESH_OUTCOME + "_shown")
    else:
        st.session_state.pop(REFRESH_OUTCOME + "_shown", None)
    if outcome is None:
        return
    kind, detail = outcome
    if kind == "success":
        st.success(t("Data refreshed."))
    else:
        st.error(t("Refreshing failed; the data shown is the last good snapshot. {error}", error=detail))
