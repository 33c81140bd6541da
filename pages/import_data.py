"""Import data (administrators): CRM exports into Meridian's own store, checked first, with the same
code as `meridian import` (docs/import.md)."""

import tempfile
from dataclasses import replace
from pathlib import Path

import polars as pl
import streamlit as st

from dashboard import bootstrap, components, context
from dashboard.db import DatabaseError, resolve_url
from dashboard.i18n import N_
from dashboard.importer.files import CSV_SUFFIXES, EXCEL_SUFFIXES
from dashboard.importer.mapping import Options
from dashboard.importer.parsing import DAY_FIRST, MONTH_FIRST, currency_code
from dashboard.importer.report import Report
from dashboard.importer.run import Request, run
from dashboard.snapshot import SnapshotError

ctx = context.require_page("import_data")
t = ctx.t
components.header(ctx, t("Import data"))

ENTITIES = {"regions": N_("Regions"), "countries": N_("Countries"), "fx_rates": N_("Exchange rates"),
            "teams": N_("Teams"), "reps": N_("Reps"), "partners": N_("Partners"), "customers": N_("Customers"),
            "contacts": N_("Contacts"), "orders": N_("Orders"), "opportunities": N_("Opportunities"),
            "interactions": N_("Interactions"), "tickets": N_("Service tickets"), "surveys": N_("Surveys"),
            "targets": N_("Targets")}
DATE_ORDER_LABELS = {None: N_("Decided by the values"), DAY_FIRST: N_("Day first (31/01/2024)"),
                     MONTH_FIRST: N_("Month first (01/31/2024)")}
DECIMAL_LABELS = {None: N_("Decided by the values"), ".": N_("Decimal point (1,234.56)"),
                  ",": N_("Decimal comma (1.234,56)")}


def entity(name: str) -> str:
    return t(ENTITIES.get(name, name))


def show(report: Report) -> None:
    # Text from the files and the URL is shown as plain text, never as Markdown.
    st.text(t("Target {target}: this import {action}", target=report.target, action=t(report.action)))
    if report.sources:
        st.subheader(t("What each file holds"))
        st.dataframe(pl.DataFrame({
            "file": [s.file for s in report.sources], "entity": [entity(s.entity) for s in report.sources],
            "read_by": [t("{name} preset", name=s.read_by) if s.by_preset else
                        t("mapping file {name}", name=s.read_by) for s in report.sources],
            "rows": [s.rows for s in report.sources]}), hide_index=True, width="stretch",
            column_config={"file": t("File"), "entity": t("Imported as"), "read_by": t("Read by"),
                           "rows": t("Rows")})
        for source in report.sources:
            with st.expander(t("{file}: columns, formats and values", file=source.file)):
                st.dataframe(pl.DataFrame(source.columns, schema=["field", "column"], orient="row"),
                             hide_index=True, column_config={"field": t("Meridian field"), "column": t("Column")})
                if source.formats:
                    st.dataframe(pl.DataFrame([(f.column, f.text(t)) for f in source.formats],
                                              schema=["column", "format"], orient="row"), hide_index=True,
                                 column_config={"column": t("Column"), "format": t("Format")})
                mapped = [(name, value, meridian) for name, values in source.values.items()
                          for value, meridian in values.items()]
                if mapped:
                    st.dataframe(pl.DataFrame(mapped, schema=["field", "value", "meridian"], orient="row"),
                                 hide_index=True, column_config={"field": t("Meridian field"), "value": t("Value"),
                                                                 "meridian": t("Stored as")})
                if source.skipped_columns:
                    st.text(t("Columns not used: {columns}", columns=", ".join(source.skipped_columns)))
    if report.problems:
        st.error(t("{n} problems: nothing is imported until they are fixed.", n=len(report.problems)))
        st.dataframe(pl.DataFrame({"file": [p.file for p in report.problems], "row": [p.row for p in report.problems],
                                   "column": [p.column for p in report.problems],
                                   "value": [p.value for p in report.problems],
                                   "why": [p.text(t) for p in report.problems]}),
                     hide_index=True, width="stretch",
                     column_config={"file": t("File"), "row": t("Row"), "column": t("Column"), "value": t("Value"),
                                    "why": t("Problem")})
    if report.counts:
        st.subheader(t("Rows per table") if report.dry_run else t("Rows written"))
        st.dataframe(pl.DataFrame([(entity(name), c.read, c.new, c.updated, c.unchanged, c.removed)
                                   for name, c in report.counts.items()],
                                  schema=["table", "read", "new", "updated", "unchanged", "removed"], orient="row"),
                     hide_index=True, width="stretch",
                     column_config={"table": t("Table"), "read": t("Read"), "new": t("New"), "updated": t("Updated"),
                                    "unchanged": t("Unchanged"), "removed": t("Removed")})
    for name, n in report.unassigned.items():
        st.warning(t("{n} {entity} rows refer to a customer that is not in the import: they are kept under the "
                     "customer Unassigned.", n=n, entity=entity(name)))
    if report.countries:
        st.warning(t("Countries not matched are stored empty; confirm a proposal in the mapping file's "
                     "[countries]."))
        st.dataframe(pl.DataFrame([(c.value, c.rows, c.proposal, c.proposal_name) for c in report.countries],
                                  schema=["value", "rows", "code", "name"], orient="row"), hide_index=True,
                     column_config={"value": t("Value"), "rows": t("Rows"), "code": t("Proposal"),
                                    "name": t("Country")})
    if report.unmapped:
        st.warning(t("Values Meridian does not know are stored empty; map them in the mapping file."))
        st.dataframe(pl.DataFrame([(u.file, u.field, u.value, u.rows) for u in report.unmapped],
                                  schema=["file", "field", "value", "rows"], orient="row"), hide_index=True,
                     column_config={"file": t("File"), "field": t("Meridian field"), "value": t("Value"),
                                    "rows": t("Rows")})
    for note in report.notes:
        st.text(f"{note.file}: {note.text(t)}" if note.file else note.text(t))
    if report.preview:
        st.subheader(t("First rows as Meridian will store them"))
        for tab, frame in zip(st.tabs([entity(n) for n in report.preview]), report.preview.values(), strict=True):
            tab.dataframe(frame, hide_index=True, width="stretch")


st.markdown(t("Upload the exports of your CRM (Salesforce, HubSpot, Zoho CRM and Dynamics 365 are recognised "
              "by their columns; other files need a mapping file). Meridian checks them and shows what it "
              "would store before anything is written."))
uploads = st.file_uploader(t("Export files (CSV or Excel)"), accept_multiple_files=True, key="import_files",
                           type=[s.lstrip(".") for s in CSV_SUFFIXES + EXCEL_SUFFIXES])
mapping_upload = st.file_uploader(t("Mapping file (optional)"), type=["toml"], key="import_mapping")
with st.expander(t("Reading options")):
    left, middle, right = st.columns(3)
    currency_text = left.text_input(t("Currency of amounts that name none"), key="import_currency",
                                    placeholder="EUR")
    date_order = middle.selectbox(t("Order of dates like 03/04/2024"), list(DATE_ORDER_LABELS), key="import_dates",
                                  format_func=lambda o: t(DATE_ORDER_LABELS[o]))
    decimal = right.selectbox(t("Numbers like 1,234"), list(DECIMAL_LABELS), key="import_decimal",
                              format_func=lambda d: t(DECIMAL_LABELS[d]))
    skip_incomplete = st.checkbox(t("Leave out rows that lack a required value instead of stopping"),
                                  key="import_skip")

currency = currency_code(currency_text) if currency_text else None
if currency_text and currency is None:
    st.error(t("{value} is not a currency code (ISO 4217, e.g. EUR).", value=currency_text))
    st.stop()
if not uploads:
    st.info(t("Choose the files your CRM exported to see how Meridian reads them."))
    st.stop()

url = resolve_url()
with tempfile.TemporaryDirectory() as folder:
    paths = []
    for upload in uploads:
        path = Path(folder) / Path(upload.name).name
        path.write_bytes(upload.getvalue())
        paths.append(path)
    mapping_path = None
    if mapping_upload is not None:
        mapping_path = Path(folder) / "mapping" / Path(mapping_upload.name).name
        mapping_path.parent.mkdir()
        mapping_path.write_bytes(mapping_upload.getvalue())
    request = Request(paths, url, mapping_path, Options(currency=currency, date_order=date_order, decimal=decimal),
                      skip_incomplete, dry_run=True)
    try:
        checked = run(request)
        show(checked)
        if checked.ok and st.button(t("Import"), type="primary", key="import_confirm"):
            with st.spinner(t("Importing…")):
                done = run(replace(request, dry_run=False))
            show(done)
            if done.ok:
                st.session_state["import_done"] = True
    except DatabaseError as exc:
        st.error(str(exc))
        st.stop()

if st.session_state.get("import_done"):
    st.success(t("Imported. Refresh the data so that every page shows it: the pages read a snapshot of the store."))
    if st.button(t("Refresh the data now"), key="import_refresh"):
        with st.spinner(t("Refreshing data from the CRM database…")):
            try:
                bootstrap.update_snapshot(url, full=True)
            except (DatabaseError, SnapshotError) as exc:
                st.error(str(exc))
                st.stop()
        st.cache_data.clear()
        st.session_state.pop("import_done")
        st.success(t("Data refreshed."))
