"""Data quality and compliance: gaps in customer records, consent, data subject requests."""

import polars as pl
import streamlit as st

from dashboard import components, context, fmt, labels, tiles
from dashboard.cache import cached
from queries.findings import CHECKS as FINDINGS
from queries.findings import data_findings, date_ranges, left_out_rows
from queries.quality import CHECKS, customer_quality, data_requests

ctx = context.require_page("data_quality")
t, f, src = ctx.t, ctx.filters, ctx.src
components.header(ctx, t("Data quality & compliance"), money=False)

with st.spinner(t("Checking the data…")):
    quality = cached(customer_quality)(src, f)
    requests = cached(data_requests)(src, f)
records = int(quality["records"][0]) if quality.height else 0
made = [tiles.Tile(row["check"], t(CHECKS[row["check"]][0]), fmt.count(row["affected"], f.lang),
                   t(CHECKS[row["check"]][1]), note=t("{share} of {n} records", share=fmt.percent(row["share"], f.lang),
                                                      n=fmt.count(records, f.lang)))
        for row in quality.iter_rows(named=True)]
st.html(tiles.tiles_html(made))
st.caption(t("Records affected and their share of the {n} customer records in view.", n=fmt.count(records, f.lang)))

st.subheader(t("Data subject requests received in the period"))
if requests.is_empty():
    components.empty_state(t, t("data subject requests"))
else:
    count = st.column_config.NumberColumn
    components.table(t, requests.with_columns(
        pl.col("median_days").map_elements(lambda v: fmt.days(v, f.lang, 1), return_dtype=pl.String)), {
        "regime": t("Regime"), "received": count(t("Received"), format="localized"),
        "closed": count(t("Closed"), format="localized"), "open": count(t("Open"), format="localized"),
        "overdue": count(t("Overdue"), format="localized"), "closed_late": count(t("Closed late"), format="localized"),
        "median_days": components.number_column(t("Median time to close"))},
        key="requests", export="data-subject-requests")

st.subheader(t("What would make numbers wrong"))
found = cached(data_findings)(src, f)


def finding_detail(check: str, detail: str) -> str:
    return t(FINDINGS[check][1], detail=labels.table_name(detail, f.lang) if check == "orphan_reference" else detail)


def store_names() -> list[pl.Expr]:
    """A frame's table and column columns as readers know them, not as the store spells them."""
    return [pl.col("table").map_elements(lambda v: labels.table_name(v, f.lang), return_dtype=pl.String),
            pl.col("column").map_elements(lambda v: labels.column_name(v, f.lang), return_dtype=pl.String)]


if found.is_empty():
    components.nothing_to_report(t("No amounts without a rate, unknown values, orphans or repeated ids."))
else:
    components.table(t, found.with_columns(
        pl.col("check").replace_strict({check: t(name) for check, (name, _) in FINDINGS.items()}),
        pl.struct("check", "detail").map_elements(lambda r: finding_detail(r["check"], r["detail"]),
                                                  return_dtype=pl.String).alias("detail"),
        *store_names()), {
        "check": t("Finding"), "table": t("Table"), "column": t("Column"),
        "rows": st.column_config.NumberColumn(t("Rows"), format="localized"), "examples": t("Examples"),
        "detail": t("Details")}, key="findings", export="data-findings")
st.subheader(t("Rows left out: values that cannot be read"))
left_out = cached(left_out_rows)(src, f)
if left_out.is_empty():
    components.nothing_to_report(t("Every row of the CRM could be read.") if f.visible_regions is None
                                 else t("Rows left out are listed for viewers who may see every region."))
else:
    st.caption(t("Fix these values in the CRM; the next refresh reads the rows again."))
    problems = {"not a timestamp": t("not a timestamp"), "not a date": t("not a date"),
                "not a number": t("not a number"), "not a whole number": t("not a whole number"),
                "not a yes/no value": t("not a yes/no value")}
    components.table(t, left_out.with_columns(pl.col("problem").replace(problems), *store_names()), {
        "table": t("Table"), "key": t("ID"), "column": t("Column"), "value": t("Value"),
        "problem": t("Problem")}, key="left_out", export="rows-left-out")
ranges = cached(date_ranges)(src, f)
# The list's separator is the language's: "；" in Chinese.
st.caption(t("Dates in the CRM: {ranges}.", ranges=t("; ").join(
    labels.table_name(row["table"], f.lang) + " " + components.date_range(row["first"].date(), row["last"].date(),
                                                                           f.lang)
    for row in ranges.iter_rows(named=True) if row["first"] is not None)))
