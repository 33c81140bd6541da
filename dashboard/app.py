"""Entrypoint: page frame, sign-in, global filters, navigation. Run with `meridian serve`."""

import streamlit as st

from dashboard import activity, auth, components, context, freshness, nav, sidebar
from dashboard.i18n import translator
from dashboard.paths import ICON

st.set_page_config(page_title="Meridian CRM", page_icon=str(ICON), layout="wide")
lang = sidebar.language()
t = translator(lang)
sidebar.language_picker()
user = auth.sign_in(t, freshness.crm_url(t))
components.apply_style(user.role.shared_screen)
src = freshness.snapshot(t)
filters = sidebar.global_filters(user, src, t, lang)
context.store(context.Context(user, src, filters, t))
pages = {
    t(group): [st.Page(p.path, title=nav.title(p, t, src), url_path=p.url_path or None, default=not p.url_path)
               for p in nav.pages_for(user.role) if p.group == group]
    for group in nav.GROUPS
}
page = st.navigation({group: items for group, items in pages.items() if items})
wanted, wanted_params = st.session_state.pop("wanted_page", None), st.session_state.pop("wanted_params", None)
if wanted is not None and (wanted != page.url_path or wanted_params):  # the page a link asked for before sign-in
    target = next((p for items in pages.values() for p in items if p.url_path == wanted), None)
    if target is not None:
        if wanted_params:
            st.session_state.pop("filters_seeded", None)  # the link's filters, not the start page's
        st.switch_page(target, query_params=wanted_params or st.query_params.to_dict())
auth.write_cookie()
activity.viewed(user, page.url_path or nav.PAGES[0].key, filters)
page.run()
