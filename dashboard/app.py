"""Entrypoint: page frame, sign-in, global filters, navigation. Run with `meridian serve`."""

import streamlit as st

from dashboard import activity, auth, components, context, freshness, kiosk, nav, preload, presentation, sidebar
from dashboard.i18n import translator
from dashboard.paths import ICON

presenting = kiosk.requested(st.query_params)
st.set_page_config(page_title="Meridian CRM", page_icon=str(ICON), layout="wide",
                   initial_sidebar_state="collapsed" if presenting else "auto")
# First of all, while the browser has little else to do: the chart code is public, sent to any visitor.
preload.ask_for_code()
lang = sidebar.language()
t = translator(lang)
sidebar.language_picker()
user = auth.sign_in(t, freshness.crm_url(t))
link = presentation.current() if presentation.LINK_PARAM in st.query_params else None
specs = [p for p in nav.pages_for(user.role) if link is None or p.key in link.pages]
show, kiosk_problems = kiosk.from_params(st.query_params, [p.key for p in specs])
components.apply_style(user.role.shared_screen, kiosk=show is not None)
src = freshness.snapshot(t)
filters = sidebar.global_filters(user, src, t, lang)
kiosk.start(show, kiosk_problems)
context.store(context.Context(user, src, filters, t))
made = {p.key: st.Page(p.path, title=nav.title(p, t, src), url_path=p.url_path or None, default=p is specs[0])
        for p in specs}
pages = {t(group): [made[p.key] for p in specs if p.group == group] for group in nav.GROUPS}
page = st.navigation({group: items for group, items in pages.items() if items},
                     position="hidden" if show else "sidebar")
wanted, wanted_params = st.session_state.pop("wanted_page", None), st.session_state.pop("wanted_params", None)
if wanted is not None and (wanted != page.url_path or wanted_params):  # the page a link asked for before sign-in
    target = next((p for p in made.values() if p.url_path == wanted), None)
    if target is not None:
        if wanted_params:
            st.session_state.pop("filters_seeded", None)  # the link's filters, not the start page's
        st.switch_page(target, query_params=wanted_params or st.query_params.to_dict())
auth.write_cookie()
activity.viewed(user, page.url_path or specs[0].key, filters)
if show is not None:
    here = next(key for key, made_page in made.items() if made_page is page)
    kiosk.autoplay(show, here, made, src, st.query_params.to_dict())
    kiosk.autoscroll(show)
page.run()
