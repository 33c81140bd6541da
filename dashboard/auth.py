"""Sign-in: who is looking. With no users file, a demo sign-in lets the visitor pick a role."""

from __future__ import annotations

import streamlit as st

from dashboard import presentation
from dashboard.i18n import Translate
from dashboard.roles import DEFAULT_ROLE, ROLES, User, authenticate, configured_users


def sign_in(t: Translate) -> User:
    """The signed-in user. With no users file, a demo sign-in lets the viewer pick a role. A presentation
    link signs its screen in on every run, whatever else is configured."""
    if presentation.LINK_PARAM in st.query_params:
        return presentation.sign_in(st.query_params[presentation.LINK_PARAM], t)
    users = configured_users()
    if not users:
        role_key = st.sidebar.selectbox(
            t("Viewing as (demo sign-in)"), list(ROLES), key="role",
            index=list(ROLES).index(DEFAULT_ROLE), format_func=lambda k: t(ROLES[k].title),
            help=t("Without a users file every visitor picks a role. Configure users to require passwords."))
        return User("demo", ROLES[role_key])
    if "user" in st.session_state:
        return st.session_state["user"]
    with st.form("sign_in"):
        st.subheader(t("Sign in"))
        name = st.text_input(t("User name"))
        password = st.text_input(t("Password"), type="password")
        if st.form_submit_button(t("Sign in")):
            user = authenticate(name, password)
            if user:
                st.session_state["user"] = user
                st.rerun()
            st.error(t("Unknown user name or wrong password."))
    st.stop()
    raise AssertionError  # st.stop() does not return
