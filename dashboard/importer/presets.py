"""The usual exports of Salesforce, HubSpot, Zoho CRM and Dynamics 365, recognised by their header
names (the field labels each CRM writes in its CSV or Excel export).

A preset applies when every header of its `signature` is in the file; where several apply, the one
that knows most of the file's columns wins. Each field lists the headers it may come from, first
found first (a tuple joins several columns, as first and last names). A preset never guesses what a
file does not have: a Salesforce Accounts export without "Billing Country" gives customers without a
country. Stage and status spellings are in vocabularies.py; a file that needs more than this is read
with a mapping file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from dashboard.importer.files import SourceTable
from dashboard.importer.mapping import SourceMapping

Alternative = str | tuple[str, ...]


def header_key(header: str) -> str:
    return re.sub(r"\s+", " ", header.strip().casefold())


@dataclass(frozen=True)
class Preset:
    crm: str
    object: str
    entity: str
    signature: tuple[str, ...]
    columns: Mapping[str, tuple[Alternative, ...]]
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.crm} {self.object}"

    def applies(self, headers: set[str]) -> bool:
        return all(header_key(h) in headers for h in self.signature)

    def known(self, headers: set[str]) -> int:
        """How many of the file's columns this preset knows."""
        return sum(1 for alternatives in self.columns.values() for a in alternatives
                   for h in ((a,) if isinstance(a, str) else a) if header_key(h) in headers)

    def bind(self, table: SourceTable) -> SourceMapping:
        """The preset as a mapping of this file's own header spellings."""
        real = {header_key(h): h for h in table.frame.columns}
        columns: dict[str, tuple[str, ...]] = {}
        for field_name, alternatives in self.columns.items():
            for alternative in alternatives:
                headers = (alternative,) if isinstance(alternative, str) else alternative
                if all(header_key(h) in real for h in headers):
                    columns[field_name] = tuple(real[header_key(h)] for h in headers)
                    break
        return SourceMapping(table.file_name, self.entity, columns, self.name, True, table.sheet,
                             values=self.values)


PRESETS: tuple[Preset, ...] = (
    # Salesforce: Data Loader / report exports, field labels as headers.
    Preset("Salesforce", "Accounts", "customers", ("Account Name", "Created Date"), {
        "id": ("Account ID",), "name": ("Account Name",), "country": ("Billing Country", "Shipping Country"),
        "city": ("Billing City", "Shipping City"), "industry": ("Industry",), "employees": ("Employees",),
        "owner": ("Account Owner",), "phone": ("Phone",), "created_at": ("Created Date",),
        "updated_at": ("Last Modified Date",),
    }),
    Preset("Salesforce", "Contacts", "contacts", ("First Name", "Last Name", "Account Name", "Created Date"), {
        "id": ("Contact ID",), "customer": ("Account ID", "Account Name"), "name": (("First Name", "Last Name"),),
        "email": ("Email",), "phone": ("Phone", "Mobile"), "email_opt_out": ("Email Opt Out",),
        "updated_at": ("Last Modified Date",),
    }),
    Preset("Salesforce", "Opportunities", "opportunities", ("Opportunity Name", "Stage", "Close Date"), {
        "id": ("Opportunity ID",), "customer": ("Account ID", "Account Name"), "rep": ("Opportunity Owner",),
        "stage": ("Stage",), "amount": ("Amount",), "currency": ("Opportunity Currency", "Amount Currency"),
        "opened_at": ("Created Date",), "closed_at": ("Close Date",), "product_line": ("Product Family",),
        "updated_at": ("Last Modified Date",),
    }),
    Preset("Salesforce", "Cases", "tickets", ("Case Number", "Date/Time Opened"), {
        "id": ("Case ID", "Case Number"), "customer": ("Account ID", "Account Name"), "rep": ("Case Owner",),
        "channel": ("Case Origin",), "priority": ("Priority",), "category": ("Type", "Case Reason"),
        "opened_at": ("Date/Time Opened",), "resolved_at": ("Date/Time Closed",),
        "updated_at": ("Last Modified Date",),
    }),
    # HubSpot: exports from the index pages, property labels as headers.
    Preset("HubSpot", "companies", "customers", ("Company name", "Create Date"), {
        "id": ("Record ID",), "name": ("Company name",), "country": ("Country/Region",), "city": ("City",),
        "industry": ("Industry",), "employees": ("Number of Employees",), "owner": ("Company owner",),
        "phone": ("Phone Number",), "created_at": ("Create Date",), "updated_at": ("Last Modified Date",),
    }),
    Preset("HubSpot", "contacts", "contacts", ("First Name", "Last Name", "Create Date"), {
        "id": ("Record ID",),
        "customer": ("Associated Company IDs (Primary)", "Associated Company IDs", "Associated Company",
                     "Company Name"),
        "name": (("First Name", "Last Name"),), "email": ("Email",), "phone": ("Phone Number",),
        "language": ("Preferred language",), "updated_at": ("Last Modified Date",),
    }),
    Preset("HubSpot", "deals", "opportunities", ("Deal Name", "Deal Stage", "Close Date"), {
        "id": ("Record ID",),
        "customer": ("Associated Company IDs (Primary)", "Associated Company IDs", "Associated Company"),
        "rep": ("Deal owner",), "stage": ("Deal Stage",), "amount": ("Amount",), "currency": ("Currency",),
        "opened_at": ("Create Date",), "closed_at": ("Close Date",), "updated_at": ("Last Modified Date",),
    }),
    Preset("HubSpot", "tickets", "tickets", ("Ticket name", "Ticket status"), {
        "id": ("Ticket ID", "Record ID"),
        "customer": ("Associated Company IDs (Primary)", "Associated Company IDs", "Associated Company"),
        "rep": ("Ticket owner",), "priority": ("Priority",), "channel": ("Source",), "category": ("Category",),
        "opened_at": ("Create date",), "resolved_at": ("Close date",), "updated_at": ("Last modified date",),
    }),
    # Zoho CRM: module exports, field labels as headers.
    Preset("Zoho CRM", "Accounts", "customers", ("Account Name", "Created Time"), {
        "id": ("Record Id",), "name": ("Account Name",), "country": ("Billing Country", "Shipping Country"),
        "city": ("Billing City", "Shipping City"), "industry": ("Industry",), "employees": ("Employees",),
        "owner": ("Account Owner",), "phone": ("Phone",), "created_at": ("Created Time",),
        "updated_at": ("Modified Time",),
    }),
    Preset("Zoho CRM", "Contacts", "contacts", ("First Name", "Last Name", "Created Time"), {
        "id": ("Record Id",), "customer": ("Account Name",), "name": (("First Name", "Last Name"),),
        "email": ("Email",), "phone": ("Phone", "Mobile"), "email_opt_out": ("Email Opt Out",),
        "updated_at": ("Modified Time",),
    }),
    Preset("Zoho CRM", "Deals", "opportunities", ("Deal Name", "Stage", "Closing Date"), {
        "id": ("Record Id",), "customer": ("Account Name",), "rep": ("Deal Owner",), "stage": ("Stage",),
        "amount": ("Amount",), "currency": ("Currency",), "opened_at": ("Created Time",),
        "closed_at": ("Closing Date",), "updated_at": ("Modified Time",),
    }),
    Preset("Zoho CRM", "Cases", "tickets", ("Case Number", "Subject", "Created Time"), {
        "id": ("Record Id", "Case Number"), "customer": ("Account Name",), "rep": ("Case Owner",),
        "priority": ("Priority",), "channel": ("Case Origin",), "category": ("Type", "Case Reason"),
        "opened_at": ("Created Time",), "updated_at": ("Modified Time",),
    }),
    # Dynamics 365: "Export to Excel" of a view; the record's GUID is in "(Do Not Modify) <Table>".
    Preset("Dynamics 365", "accounts", "customers", ("Account Name", "Created On"), {
        "id": ("(Do Not Modify) Account",), "name": ("Account Name",),
        "country": ("Address 1: Country/Region", "Address 1: Country"), "city": ("Address 1: City",),
        "industry": ("Industry",), "employees": ("Number of Employees",), "owner": ("Owner",),
        "phone": ("Main Phone",), "email": ("Email",), "created_at": ("Created On",),
        "updated_at": ("(Do Not Modify) Modified On", "Modified On"),
    }),
    Preset("Dynamics 365", "contacts", "contacts", ("Full Name", "Created On"), {
        "id": ("(Do Not Modify) Contact",), "customer": ("Company Name", "Account Name"),
        "name": ("Full Name",), "email": ("Email",), "phone": ("Business Phone", "Mobile Phone"),
        "updated_at": ("(Do Not Modify) Modified On", "Modified On"),
    }),
    Preset("Dynamics 365", "opportunities", "opportunities", ("Topic", "Potential Customer", "Created On"), {
        "id": ("(Do Not Modify) Opportunity",), "customer": ("Potential Customer",), "rep": ("Owner",),
        "stage": ("Pipeline Phase", "Sales Stage"), "outcome": ("Status",),
        "amount": ("Est. Revenue", "Actual Revenue"), "currency": ("Currency",), "opened_at": ("Created On",),
        "closed_at": ("Actual Close Date", "Est. Close Date"),
        "updated_at": ("(Do Not Modify) Modified On", "Modified On"),
    }),
    Preset("Dynamics 365", "incidents", "tickets", ("Case Number", "Case Title", "Created On"), {
        "id": ("(Do Not Modify) Case",), "customer": ("Customer",), "rep": ("Owner",), "priority": ("Priority",),
        "channel": ("Origin",), "category": ("Case Type", "Subject"), "opened_at": ("Created On",),
        "resolved_at": ("Resolved On",), "updated_at": ("(Do Not Modify) Modified On", "Modified On"),
    }),
)


def recognise(table: SourceTable) -> tuple[Preset | None, list[Preset]]:
    """The preset for this table, or None with the presets that tie (an ambiguous file)."""
    headers = {header_key(h) for h in table.frame.columns}
    applicable = sorted((p for p in PRESETS if p.applies(headers)), key=lambda p: -p.known(headers))
    if not applicable:
        return None, []
    tied = [p for p in applicable if p.known(headers) == applicable[0].known(headers)]
    return (applicable[0], []) if len(tied) == 1 else (None, tied)
