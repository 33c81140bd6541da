"""What the entrypoint hands every page: the viewer, the snapshot, the filters, the translator."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from dashboard import nav
from dashboard.filters import Filters
from dashboard.i18n import Translate
from dashboard.roles import User
from dashboard.snapshot import Snapshot


@dataclass(frozen=True)
class Context:
    user: User
    src: Snapshot
    filters: Filters
    t: Translate


def store(ctx: Context) -> None:
    st.session_state["context"] = ctx


def current() -> Context:
    ctx = st.session_state.get("context")
    if ctx is None:
        st.error("Open the dashboard from its start page.")
        st.stop()
    return ctx


def require_page(key: str) -> Context:
    """The page's context, or a clear refusal when the viewer's role may not open this page."""
    ctx = current()
    if not ctx.user.role.can(nav.page(key).right):
        st.error(ctx.t("Your role cannot open this page."))
        st.stop()
    return ctx
