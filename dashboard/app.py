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
    t(group): [st.Page(p.path, title=t(p.title), url_path=p.url_path or None, default=not p.url_path)
               for p in nav.pages_for(user.role) if p.group == group]
    for group in nav.GROUPS
}
page = st.navigation({group: items for group, items in pages.items() if items})
activity.viewed(user, page.url_path or nav.PAGES[0].key, filters)
page.run()
