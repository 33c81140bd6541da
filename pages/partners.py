"""Partner performance: sourced revenue, win rate, deal cycle and customer satisfaction per partner."""

import polars as pl
import streamlit as st

from dashboard import components, context, fmt
from dashboard.cache import cached
from queries.partners import active_partners, partner_scorecard, win_rate
from queries.satisfaction import MIN_RESPONSES

ctx = context.require_page("partners")
t, f, src = ctx.t, ctx.filters, ctx.src
components.header(ctx, t("Partner performance"))

with st.spinner(t("Computing partner numbers…")):
    card = cached(partner_scorecard)(src, f)
    wins = cached(win_rate)(src, f)
    active = cached(active_partners)(src, f)
a, b, c, d = st.columns(4)
components.kpi_tile(a, t("Active partners"), fmt.count(active["active_partners"][0], f.lang), None,
            t("Partners with at least one sourced won order in the period."))
components.kpi_tile(b, t("Partner-sourced revenue"), fmt.money(card["revenue"].sum() if card.height else 0, f.currency,
                                                       f.lang), None, t("Won orders placed through a partner."))
components.kpi_tile(c, t("Win rate"), fmt.percent(wins["win_rate"][0], f.lang), None,
            t("Won over closed opportunities, closed in the period."))
components.kpi_tile(d, t("Deal cycle"), t("{days} days", days=fmt.decimal(wins["deal_cycle_days"][0], f.lang)), None,
            t("Median days from opening to winning a deal."), lower_is_better=True)

if card.is_empty():
    components.empty_state(t, t("partner activity"))
else:
    shown = card.with_columns(
        (pl.col("win_rate") * 100).alias("win_rate"),
        components.nps_text(t, f.lang),
        pl.col("kind", "status", "tier").map_elements(t, return_dtype=pl.String),
    ).drop("partner_id")
    st.dataframe(shown, hide_index=True, width="stretch", height=560, column_config={
        "name": t("Partner"), "kind": t("Kind"), "country_iso2": t("Country"), "tier": t("Tier"),
        "status": t("Status"),
        "revenue": components.revenue_column(t, f.currency),
        "orders": t("Orders"), "customers": t("Customers"), "closed": t("Closed deals"), "won": t("Won"),
        "win_rate": st.column_config.NumberColumn(t("Win rate (%)"), format="%.0f"),
        "deal_cycle_days": st.column_config.NumberColumn(t("Deal cycle (days)"), format="%.0f"),
        "responses": t("Responses"),
        "nps": st.column_config.TextColumn(t("NPS"), help=t("Empty where fewer than {n} responses.",
                                                            n=MIN_RESPONSES)),
    })
