import streamlit as st

from dashboard import ui

ctx = ui.require_page("data_quality")
ui.header(ctx, ctx.t("Coming soon"))
st.info(ctx.t("Coming soon"))
