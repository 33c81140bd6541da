"""What the entrypoint hands every page: the viewer, the snapshot, the filters, the translator."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from dashboard import nav
from dashboard.filters import Filters
from dashboard.i18n import Translate
from dashboard.roles import User
from dashboard.snapshot import Snapshot
from queries import inputs
from queries.kpis import NEEDS_TEXT


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
    """The page's context; or a clear refusal when the viewer's role may not open this page, or a
    statement of what the CRM lacks when the page has nothing to show without it."""
    ctx = current()
    t, spec = ctx.t, nav.page(key)
    if not ctx.user.role.can(spec.right):
        st.error(t("Your role cannot open this page."))
        st.stop()
    missing = inputs.unmet(ctx.src, spec.needs)
    if missing:
        st.title(t(spec.title), anchor=False)
        st.info(t("This page needs {inputs}, which the CRM does not have yet. Import them with `meridian "
                  "import` or on the Import data page (docs/import.md), or connect a CRM that has them.",
                  inputs=", ".join(t(NEEDS_TEXT[m]) for m in missing)))
        st.stop()
    return ctx
