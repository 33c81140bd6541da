"""Partner performance: sourced revenue, win rate, deal cycle and customer satisfaction per partner."""

import polars as pl
import streamlit as st

from dashboard import components, context, fmt, labels, nav
from dashboard.cache import cached
from queries import markets
from queries.kpis import KPIS, Kpi
from queries.partners import partner_scorecard
from queries.privacy import MIN_GROUP

ctx = context.require_page("partners")
t, f, src = ctx.t, ctx.filters, ctx.src
components.header(ctx, t("Partner performance"))

with st.spinner(t("Computing partner numbers…")):
    components.kpi_tiles(ctx, nav.page("partners").kpis)
    card = cached(partner_scorecard)(src, f)
components.trend_caption(ctx)

st.subheader(t("Partners by sourced revenue"))
if card.is_empty():
    components.empty_state(t, t("partner activity"))
else:
    names = cached(markets.countries)(src, f).select("country_iso2", pl.col("name").alias("country"))
    win, cycle, nps = KPIS["win_rate"], KPIS["deal_cycle"], KPIS["nps"]
    shown = (card.join(names, on="country_iso2", how="left").with_columns(
        pl.col("country").fill_null(t(markets.UNKNOWN)),
        *(labels.labelled(c, t, f.lang) for c in ("kind", "status", "tier")),
        pl.col("revenue").map_elements(lambda v: fmt.money(v, f.currency, f.lang), return_dtype=pl.String),
        components.kpi_text(win, f.lang), components.kpi_text(cycle, f.lang),
        components.kpi_text(nps, f.lang)))
    count = st.column_config.NumberColumn
    # The columns fit a 1280 px screen in both languages: closed and won deals are in the win rate's help,
    # responses in the NPS's.
    components.table(t, shown.select("name", "kind", "country", "tier", "status", "revenue", "orders",
                                     "win_rate", "deal_cycle_days", "nps"), {
        "name": t("Partner"), "kind": t("Kind"), "country": t("Country"), "tier": t("Tier"), "status": t("Status"),
        "revenue": components.number_column(t("Revenue ({currency})", currency=f.currency)),
        "orders": count(t("Orders"), format="localized"),
        "win_rate": components.kpi_column(win, t), "deal_cycle_days": components.kpi_column(cycle, t),
        "nps": components.kpi_column(nps, t),
    }, key="partners", export="partners")

    def minimum(kpi: Kpi) -> str:
        return components.sample_text(kpi, kpi.min_sample, f.lang)

    st.caption(t("– where a partner has too few to show: {win_rate} needs at least {closed}, {deal_cycle} {won}, "
                 "{nps} {responses}.", win_rate=t(win.label), closed=minimum(win),
                 deal_cycle=t(cycle.label), won=minimum(cycle), nps=t(nps.label), responses=minimum(nps)))
    if not f.personal_data:
        st.caption(t("Revenue, orders and NPS are – for a partner with fewer than {n} customers: your role does "
                     "not see personal data.", n=MIN_GROUP))
