"""The `meridian` command: generate, refresh, check, status, serve, bench, hash-password, audit, import."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import logging
import os
import sys
import threading
from pathlib import Path

from tqdm import tqdm

from dashboard import bootstrap
from dashboard.db import (
    DatabaseError,
    default_url,
    embedded_missing,
    read_only_engine,
    redact,
    resolve_url,
    schema_problems,
    sqlite_path,
    user_can_write,
)
from dashboard.demo import DEFAULT_CUSTOMERS, DEFAULT_SEED, default_as_of
from dashboard.importer import cli as importer_cli
from dashboard.paths import PROJECT_ROOT
from dashboard.schema import TABLE_ORDER
from dashboard.snapshot import (
    Snapshot,
    SnapshotError,
    database_counts,
    exit_on_sigterm,
    read_health,
    snapshot_root,
    unreadable_values,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="meridian", description="Meridian: global CRM dashboard.")
    parser.add_argument("--url", help="CRM database URL (default: $CRM_DATABASE_URL, secrets.toml, "
                                      "or the embedded demo database)")
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write the deterministic demo CRM into a database")
    gen.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS)
    gen.add_argument("--seed", type=int, default=DEFAULT_SEED)
    gen.add_argument("--as-of", type=dt.date.fromisoformat, default=default_as_of(),
                     help="last (complete) day of the generated history (default: yesterday)")
    gen.add_argument("--replace", action="store_true",
                     help="regenerate a demo database that `meridian generate` wrote (never any other database)")
    ref = sub.add_parser("refresh", help="bring the local snapshot up to date with the database")
    ref.add_argument("--full", action="store_true", help="rebuild the snapshot from scratch")
    ref.add_argument("--every", type=_duration, metavar="INTERVAL",
                     help="keep refreshing, e.g. every 15m (s, m, h); failures are retried with back-off")
    sub.add_parser("check", help="validate a database against the CRM schema and its values")
    sub.add_parser("status", help="the snapshot's version and age, its row counts beside the database's")
    serve = sub.add_parser("serve", help="serve the dashboard (builds the demo data on first run)")
    serve.add_argument("--port", type=int, default=8501)
    serve.add_argument("--address", default="127.0.0.1")
    serve.add_argument("--demo", action="store_true",
                       help="offer the demo sign-in (pick any role) without a users file: for demo data only")
    bench = sub.add_parser("bench", help="time snapshot builds and every query against pandas and DuckDB, "
                                         "or (--browser) every interaction in the real app")
    bench.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS)
    bench.add_argument("--output", type=Path, help="write the result table (Markdown) here too")
    bench.add_argument("--browser", action="store_true",
                       help="time what a person waits for in the real app (headless Chromium) instead")
    bench.add_argument("--runs", type=int, default=5, help="browser runs (with --browser)")
    sub.add_parser("hash-password", help="hash a password for .streamlit/users.toml")
    trail = sub.add_parser("audit", help="verify the audit trail and export it as CSV")
    trail.add_argument("--output", type=Path, help="write the trail here (CSV; default: standard output)")
    importer_cli.add_parser(sub)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return COMMANDS[args.command](args)
    except (DatabaseError, SnapshotError) as exc:
        print(f"meridian: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _generate(args: argparse.Namespace) -> int:
    from dashboard.demo import Plan, write_demo

    url = args.url or resolve_url()
    plan = Plan(args.customers, args.seed, args.as_of)
    with tqdm(total=args.customers, unit=" customers", desc="generating") as bar:
        counts = write_demo(url, plan, replace=args.replace, progress=bar.update)
    print(f"{sum(counts.values()):,} rows written to {redact(url)}: "
          + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    return 0


def _duration(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    try:
        seconds = float(text[:-1]) * units[text[-1]] if text[-1:] in units else float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{text}' is not an interval: use e.g. 90s, 15m or 1h") from exc
    if seconds < 1:
        raise argparse.ArgumentTypeError("the interval must be at least 1 second")
    return seconds


def _refresh(args: argparse.Namespace) -> int:
    url = args.url or resolve_url()
    exit_on_sigterm()
    if args.every:
        return _refresh_every(url, args.every)
    read = _update_snapshot(url, full=args.full)
    print(f"snapshot of {redact(url)} up to date: {sum(read.values()):,} rows read")
    return 0


def _refresh_every(url: str, every: float) -> int:
    import threading

    from dashboard.scheduler import Schedule, loop
    from dashboard.settings import load

    schedule = Schedule(url, every, min(every, load().refresh.retry_after))

    def report(read: dict[str, int] | None) -> None:
        when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        if read is None:
            print(f"{when}: refresh failed (attempt {schedule.failures}); retrying in {schedule.backoff():.0f} s",
                  flush=True)
        else:
            print(f"{when}: snapshot up to date, {sum(read.values()):,} rows read", flush=True)

    # Until stopped (Ctrl-C, or SIGTERM from a service manager): both end the process between refreshes
    # or remove the unfinished version.
    loop(schedule, threading.Event(), on_run=report, poll=min(30.0, every))
    return 0


def _update_snapshot(url: str, full: bool = False) -> dict[str, int]:
    with tqdm(total=len(TABLE_ORDER), unit=" tables", desc="snapshot") as bar:
        return bootstrap.update_snapshot(url, full=full,
                                         on_table=lambda table, rows: (bar.set_postfix_str(table), bar.update()))


def _check(args: argparse.Namespace) -> int:
    from dashboard.roles import check_files

    access = check_files()
    for problem in access:
        print(f"meridian: {problem}", file=sys.stderr)
    url = args.url or resolve_url()
    engine = read_only_engine(url)
    problems = schema_problems(engine)
    if problems:
        print(f"{redact(url)} does not match the CRM schema:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"{redact(url)} matches the CRM schema.")
    if url != default_url() and user_can_write(engine):  # the generated demo is the dashboard's own
        print("meridian: warning: the database user may change the CRM. Meridian's sessions refuse writes, but a "
              "user with read rights only is safer: see docs/security.md.", file=sys.stderr)
    _print_findings(url)
    unreadable = unreadable_values(engine)
    if not unreadable.is_empty():
        print(f"{unreadable.height:,} rows hold a value that cannot be read; a refresh leaves them out "
              "(the data quality page lists them):", file=sys.stderr)
        for row in unreadable.head(20).iter_rows(named=True):
            print(f"  - {row['table']} {row['key']}: {row['column']} = {row['value']!r} is {row['problem']}",
                  file=sys.stderr)
        return 1
    return 1 if access else 0


FINDING_TEXT = {"currency_without_rate": "amounts in a currency without an exchange rate",
                "outside_vocabulary": "values outside Meridian's vocabulary",
                "unknown_country": "unknown country codes",
                "orphan_reference": "references to records that do not exist", "duplicate_id": "ids given twice"}


def _print_findings(url: str) -> None:
    """What in the CRM would make numbers wrong, found on its snapshot (brought up to date first)."""
    from dashboard.filters import Filters
    from queries.findings import data_findings

    try:
        bootstrap.update_snapshot(url)
        src = Snapshot.open(snapshot_root(url))
    except (DatabaseError, SnapshotError) as exc:
        print(f"meridian: the data itself was not checked: {exc}", file=sys.stderr)
        return
    found = data_findings(src, Filters.default(src.last_day, lang="en"))
    if found.is_empty():
        print("No values were found that would make numbers wrong.")
        return
    print(f"{found.height} {'finding' if found.height == 1 else 'findings'} would make numbers wrong (the data "
          "quality page lists them too):", file=sys.stderr)
    for row in found.iter_rows(named=True):
        detail = f"; {row['detail']}" if row["detail"] else ""
        print(f"  - {row['table']}.{row['column']}: {row['rows']:,} {'row' if row['rows'] == 1 else 'rows'} with "
              f"{FINDING_TEXT.get(row['check'], row['check'])}, e.g. {row['examples']}{detail}", file=sys.stderr)


def _status(args: argparse.Namespace) -> int:
    url = args.url or resolve_url()
    root = snapshot_root(url)
    src = Snapshot.open(root)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    print(f"snapshot {src.version}, taken {src.refreshed_at:%Y-%m-%d %H:%M:%S} UTC "
          f"({(now - src.refreshed_at).total_seconds() / 60:,.0f} minutes ago)")
    health = read_health(root)
    if health.get("failing_since"):
        print(f"refreshes failing since {health['failing_since']} UTC: {health.get('last_error')}")
    for entry in health.get("set_aside", []):
        print(f"version {entry['version']} set aside at {entry['at']}: {entry['problem']}")
    try:
        counts = database_counts(read_only_engine(url))
    except DatabaseError as exc:
        print(f"meridian: {exc}", file=sys.stderr)
        return 2
    tables = src.manifest().get("tables", {})
    print(f"{'table':<16}{'snapshot':>12}{'quarantined':>13}{'database':>12}")
    differ = []
    for name in TABLE_ORDER:
        rows, left_out = int(tables.get(name, {}).get("rows", 0)), src.quarantined.get(name, 0)
        mark = "" if rows + left_out == counts[name] else "  differs"
        differ += [name] if mark else []
        print(f"{name:<16}{rows:>12,}{left_out:>13,}{counts[name]:>12,}{mark}")
    if differ:
        print(f"meridian: the snapshot and the database differ in {', '.join(differ)}: run `meridian refresh` "
              "(`--full` to drop rows deleted in the CRM).", file=sys.stderr)
        return 1
    return 0


START_UP_THREAD = "start-up"


def _serve(args: argparse.Namespace) -> int:
    url = args.url or resolve_url()
    if embedded_missing(url):
        print(f"Building the demo CRM database at {sqlite_path(url)} (first run)…")
        with tqdm(total=DEFAULT_CUSTOMERS, unit=" customers", desc="generating") as bar:
            bootstrap.ensure_demo(url, bar.update)
    try:
        served_since: dt.datetime | None = Snapshot.open(snapshot_root(url)).refreshed_at
    except SnapshotError:
        served_since = None
        _update_snapshot(url)  # nothing to serve until the first snapshot is built: a failure stops here
    os.environ["CRM_DATABASE_URL"] = url
    if args.demo:
        os.environ["MERIDIAN_DEMO"] = "1"
    print(f"Serving Meridian on http://{args.address}:{args.port}", flush=True)
    # The server runs in this process, so a service manager's stop signal reaches it directly, and the
    # modules and tables warmed up here are the ones the first visitor's page uses.
    os.chdir(PROJECT_ROOT)
    threading.Thread(target=_start_up, args=(url, served_since), name=START_UP_THREAD, daemon=True).start()
    from streamlit import config
    from streamlit.web import bootstrap as streamlit_bootstrap

    script = str(PROJECT_ROOT / "dashboard" / "app.py")
    options = {"server_port": args.port, "server_address": args.address}
    config._main_script_path = script  # where Streamlit looks for .streamlit/ (as `streamlit run` sets it)
    streamlit_bootstrap.load_config_options(flag_options=options)
    streamlit_bootstrap.run(script, False, [], options)
    return 0


def _start_up(url: str, served_since: dt.datetime | None) -> None:
    """Beside the starting server: the pages' modules imported, the snapshot it serves brought up to date
    (a restart does not wait for the CRM, nor stops when the CRM is down), then the warm-up, which reads
    the version just made."""
    bootstrap.import_modules()
    if served_since is not None:
        try:
            bootstrap.update_snapshot(url)
        except (DatabaseError, SnapshotError, OSError) as exc:
            # The server's refresh thread keeps trying, and the pages say since when the CRM is unreachable.
            print(f"meridian: {exc}\nServing the snapshot of {served_since:%Y-%m-%d %H:%M} UTC.", file=sys.stderr,
                  flush=True)
    bootstrap.warm_up(url)


def _bench(args: argparse.Namespace) -> int:
    bench_dir = PROJECT_ROOT / "bench"
    sys.path.insert(0, str(bench_dir))
    output = ["--output", str(args.output)] if args.output else []
    if args.browser:
        from browser import main as browser_main  # type: ignore[import-not-found]

        return browser_main(["--runs", str(args.runs), *output])
    from run import main as bench_main  # type: ignore[import-not-found]

    return bench_main(["--customers", str(args.customers), *output])


def _audit(args: argparse.Namespace) -> int:
    from dashboard import audit

    broken = audit.verify()
    trail = audit.entries().sort("id")
    if args.output:
        trail.write_csv(args.output)
    else:
        sys.stdout.write(trail.write_csv())
    if broken is not None:
        print(f"meridian: the audit trail is broken at entry {broken}: it was changed after it was written.",
              file=sys.stderr)
        return 1
    print(f"audit trail intact: {trail.height:,} entries", file=sys.stderr)
    return 0


def _hash_password(_args: argparse.Namespace) -> int:
    from dashboard.roles import hash_password

    print(hash_password(getpass.getpass("Password: ")))
    return 0


COMMANDS = {"generate": _generate, "refresh": _refresh, "check": _check, "status": _status, "serve": _serve,
            "bench": _bench,
            "hash-password": _hash_password, "audit": _audit, "import": importer_cli.run_command}

if __name__ == "__main__":
    sys.exit(main())
