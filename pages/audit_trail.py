"""The audit trail, for administrators: who signed in, what they viewed and exported, and whether the
trail is intact."""

import json

import polars as pl
import streamlit as st

from dashboard import audit, components, context, fmt
from dashboard.text import markdown

ctx = context.require_page("audit")
t, f = ctx.t, ctx.filters
st.title(t("Audit trail"), anchor=False)

broken = audit.verify()
if broken is None:
    st.success(t("The trail is intact: every entry still follows from the one before it."))
else:
    st.error(t("The trail was changed after it was written, from entry {entry} on.", entry=broken))

ACTIONS = {"sign_in": t("Signed in"), "sign_in_failed": t("Failed sign-in"), "sign_out": t("Signed out"),
           "view": t("Viewed"), "customer_lookup": t("Looked up a customer"), "export": t("Exported"),
           "link_created": t("Created a presentation link"), "link_revoked": t("Revoked a presentation link"),
           "import": t("Imported data")}
assert set(ACTIONS) == set(audit.ACTIONS)
chosen = st.multiselect(t("Actions"), list(ACTIONS), format_func=ACTIONS.__getitem__, placeholder=t("All actions"))
who = st.text_input(t("User"), placeholder=t("Any user"))
entries = audit.entries(limit=5000)
if chosen:
    entries = entries.filter(pl.col("action").is_in(chosen))
if who:
    entries = entries.filter(pl.col("user").str.contains(who, literal=True))
if entries.is_empty():
    st.info(t("No entries match."))
else:
    shown = entries.with_columns(
        pl.col("at").map_elements(lambda v: fmt.datetime(v, f.lang), return_dtype=pl.String),
        pl.col("action").replace_strict(ACTIONS, default=None),
        pl.col("detail").map_elements(lambda d: ", ".join(f"{k}={v}" for k, v in json.loads(d).items()),
                                      return_dtype=pl.String))
    components.table(t, shown.select("id", "at", "user", "action", "detail"), {
        "id": st.column_config.NumberColumn("#", format="plain"), "at": t("When (UTC)"), "user": t("User"),
        "action": t("Event"), "detail": t("Details")}, key="audit")
st.caption(markdown(t("Newest first; at most 5,000 entries. `meridian audit` exports the whole trail and checks it.")))
