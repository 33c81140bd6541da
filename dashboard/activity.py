"""What a signed-in user looks at, for the audit trail: a page and its filters, each time either changes
(not at every click inside the page)."""

from __future__ import annotations

import streamlit as st

from dashboard import audit
from dashboard.filters import EXTRA_PARAMS, Filters
from dashboard.roles import User


def viewed(user: User, page: str, f: Filters) -> None:
    shown = {"page": page, **f.to_params(), **{k: st.query_params.get(k) for k in EXTRA_PARAMS
                                               if st.query_params.get(k)}}
    if st.session_state.get("last_view") != shown:
        st.session_state["last_view"] = shown
        audit.record(user.name, "view", role=user.role.key, **shown)
