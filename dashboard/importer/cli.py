"""`meridian import`: the command line of the importer (English output)."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from dashboard.db import default_url, redact
from dashboard.importer.parsing import DATE_ORDERS, DECIMAL_SEPARATORS, currency_code

SHOWN_PROBLEMS = 100


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    command = sub.add_parser(
        "import", help="import CRM exports (CSV, Excel) into Meridian's own store (never into a CRM)",
        description="Import CRM exports into Meridian's store: the embedded data/crm.sqlite, or --url. "
                    "Salesforce, HubSpot, Zoho CRM and Dynamics 365 exports are recognised by their headers; "
                    "anything else needs --mapping. See docs/import.md.")
    command.add_argument("files", nargs="+", type=Path, help="export files (CSV, Excel), or folders of them")
    command.add_argument("--mapping", type=Path, help="mapping file (TOML), see docs/mapping-example.toml")
    command.add_argument("--dry-run", action="store_true",
                         help="show the mapping, the first rows and the report; write nothing")
    command.add_argument("--currency", help="currency of amounts that name none (ISO 4217, e.g. EUR)")
    command.add_argument("--date-order", choices=DATE_ORDERS,
                         help="order of dates like 03/04/2024 when no value decides it")
    command.add_argument("--decimal", choices=DECIMAL_SEPARATORS,
                         help="decimal separator of numbers like 1,234 when no value decides it")
    command.add_argument("--encoding", help="encoding of CSV files that are not UTF-8 (e.g. cp1252, gbk)")
    command.add_argument("--skip-incomplete", action="store_true",
                         help="leave out rows that lack a required value instead of stopping")
    command.add_argument("--replace", action="store_true",
                         help="start the import store afresh (drops rows earlier imports wrote)")
    command.add_argument("--problems", type=Path, help="write every problem to this CSV file")


def run_command(args: argparse.Namespace) -> int:
    from dashboard.importer.mapping import Options
    from dashboard.importer.run import Request, run

    url = args.url or default_url()
    currency = args.currency and currency_code(args.currency)
    if args.currency and currency is None:
        print(f"meridian: --currency {args.currency} is not an ISO 4217 currency code.", file=sys.stderr)
        return 2
    options = Options(currency=currency, date_order=args.date_order, decimal=args.decimal, encoding=args.encoding)
    report = run(Request(args.files, url, args.mapping, options, args.skip_incomplete, args.replace, args.dry_run))
    print(report.text(max_problems=SHOWN_PROBLEMS))
    if args.problems and report.problems:
        with args.problems.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["file", "row", "column", "value", "why"])
            writer.writerows([p.file, p.row, p.column, p.value, p.text()] for p in report.problems)
        print(f"Every problem written to {args.problems}.")
    if not report.ok:
        return 1
    if not args.dry_run:
        target = "" if url == default_url() else f" --url '{redact(url)}'"
        print(f"\nImported. Next: meridian{target} refresh --full (rebuilds the snapshot the pages read), "
              f"then meridian{target} serve.")
    return 0
