"""Entrypoint: page frame, sign-in, global filters, navigation. Run with `meridian serve`."""

import streamlit as st

from dashboard import nav, ui
from dashboard.i18n import translator

st.set_page_config(page_title="Meridian CRM", page_icon=str(ui.ICON), layout="wide")
lang = ui.language()
t = translator(lang)
ui.language_picker()
user = ui.sign_in(t)
ui.apply_style(user.role.shared_screen)
src = ui.snapshot(t)
filters = ui.global_filters(user, src, t, lang)
ui.store_context(ui.Context(user, src, filters, t))
pages = {
    t(group): [st.Page(p.path, title=t(p.title), url_path=p.url_path or None, default=not p.url_path)
               for p in nav.pages_for(user.role.key) if p.group == group]
    for group in nav.GROUPS
}
st.navigation({group: items for group, items in pages.items() if items}).run()
