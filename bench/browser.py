"""What a person waits for: the real app in headless Chromium, timed from the action to the last chart drawn.

Each run starts `meridian serve` on a data folder (the demo CRM is built there first if it is missing, and
that build is not timed), then times, in one browser:

- server start → the overview fully drawn for the first visitor;
- switching page with the sidebar's links, every page once (the first visit since the start: nothing
  cached yet), then the same round again (what the next person gets);
- changing a filter on the overview: period, region, reporting currency, language;
- opening a country on the world map → its market view drawn (in a browser that has the app's code);
- a fresh browser (no cache, no session) opening a shared link;
- the server's CPU time per overview view (new sessions, one after another), in a browser that has the
  app's files and in fresh browsers that download them too.

"Drawn" means the script has stopped running, no element is stale, skeletons and spinners are gone, every
plotly chart has its SVG, every map its canvas, the page shows what the action asked for (its title, the
link's filters), the browser has presented a frame with all of that, and it has held for 400 ms without
the browser being busy for a quarter of a second (a map's first picture can come after the page looked
complete; it is counted). Runs are repeated; the report gives the median and the spread, with the
machine's load average beside each run, since the machine is shared.

    .venv/bin/python bench/browser.py --runs 5 [--output docs/performance.md]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from report import write_section  # noqa: E402

from dashboard import nav, preload  # noqa: E402
from dashboard.i18n import translator  # noqa: E402
from dashboard.paths import data_dir  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run"]
VIEWPORT = {"width": 1920, "height": 1080}
STABLE_SECONDS = 0.4
BUSY_SECONDS = 0.25
POLL_SECONDS = 0.02
TIMEOUT_SECONDS = 120
SHARED_LINK = "map?drill=2/DE&period=last_quarter&currency=EUR&lang=en"

# True once the app has drawn everything it is going to draw for the current run of the script (the page's
# own test, preload.PAGE_DRAWN_JS, and its title), and the browser has presented a frame with it: two
# animation frames pass before the answer (a map's WebGL canvas exists before its first picture is
# composited, which in software rendering can take a second).
DRAWN = """async () => {
  if (!(PAGE_DRAWN)()) return false;
  if (!(document.querySelector('[data-testid="stMain"]') || document.body).querySelector('h1')) return false;
  for (let frame = 0; frame < 2; frame++) await new Promise(requestAnimationFrame);
  return true;
}""".replace("PAGE_DRAWN", preload.PAGE_DRAWN_JS)

# The open tab's name, once its panel shows content.
OPEN_TAB = """() => {
  const open = document.querySelector('[role="tab"][aria-selected="true"]');
  const panel = document.querySelector('[role="tabpanel"]:not([hidden])');
  return open && panel && panel.querySelector('[data-testid="stElementContainer"]') ? open.innerText.trim() : '';
}"""

# name: (what is timed, target in seconds or None for a figure reported beside one)
TARGETS = {
    "start": ("server start → overview drawn for the first visitor", 3.0),
    "switch_first": ("switching page, first visit since the start (median over pages)", 1.0),
    "switch_again": ("switching page, next visit (median over pages)", 1.0),
    "switch_worst": ("switching page, slowest page (median over runs)", 1.0),
    "tab": ("opening a tab of a long page (median over satisfaction's and a market view's tabs)", 1.0),
    "tab_worst": ("opening a tab, slowest tab (median over runs)", 1.0),
    "filter": ("changing a filter on the overview (median over period, region, currency, language)", 1.0),
    "map_click": ("opening a country on the world map → its market view drawn", 1.5),
    "shared_link": ("a fresh browser opening a shared link", 2.5),
    "cpu_per_view": ("server CPU time per overview view (a new session in a browser that has the app's files)", 0.2),
    "cpu_per_view_fresh": ("server CPU time per overview view in a fresh browser (also serving the app's files)",
                           None),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def drawn_after(tab: Page, started: float, wanted: Callable[[], bool] = lambda: True) -> float:
    """Seconds from `started` to the moment the page was drawn, as proven by it staying drawn. A check
    that takes longer than BUSY_SECONDS found the browser still drawing (a map's first picture is
    composited after the page looked complete): the page counts as drawn only from that check's end."""
    deadline = time.perf_counter() + TIMEOUT_SECONDS
    since: float | None = None
    while time.perf_counter() < deadline:
        began = time.perf_counter()
        drawn = tab.evaluate(DRAWN) and wanted()
        now = time.perf_counter()
        if drawn:
            since = now if since is None or now - began > BUSY_SECONDS else since
            if now - since >= STABLE_SECONDS:
                return since - started
        else:
            since = None
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"{tab.url} was not drawn within {TIMEOUT_SECONDS} s")


def heading(tab: Page) -> str:
    return tab.evaluate("() => document.querySelector('[data-testid=\"stMain\"] h1')?.innerText.trim() || ''")


def query_has(tab: Page, text: str) -> bool:
    from urllib.parse import unquote

    return text in unquote(tab.url)


@dataclass
class Server:
    """`meridian serve` in a child process, on a data folder that already holds the CRM and its snapshot."""

    data: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Starts the server and returns the moment it was asked to, for timing."""
        env = {k: v for k, v in os.environ.items() if k != "CRM_DATABASE_URL"} | {"MERIDIAN_DATA_DIR": str(self.data)}
        started = time.perf_counter()
        self.process = subprocess.Popen([sys.executable, "-m", "dashboard.cli", "serve", "--port", str(self.port)],
                                        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.perf_counter() + 600
        while time.perf_counter() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base}/_stcore/health", timeout=2):
                    return started
            except OSError as exc:
                if self.process.poll() is not None:
                    raise RuntimeError("the server exited; run `meridian serve` on the data folder to see why") from exc
                time.sleep(0.05)
        raise TimeoutError("the server did not start")

    def cpu_seconds(self) -> float:
        assert self.process is not None
        process = psutil.Process(self.process.pid)
        return sum(sum(p.cpu_times()[:2]) for p in [process, *process.children(recursive=True)])

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


def new_tab(browser: Browser) -> Page:
    return browser.new_context(viewport=VIEWPORT).new_page()


def click_page(tab: Page, spec: nav.PageSpec, title: str) -> float:
    link = tab.locator(f'[data-testid="stSidebarNav"] a[href$="/{spec.url_path}"]').first
    started = time.perf_counter()
    link.click()
    return drawn_after(tab, started, lambda: heading(tab) == title)


def open_tabs(tab: Page, page: str) -> dict[str, float]:
    """Opens each of the page's tabs after the first, in order, and times each from the click to its
    content drawn."""
    times = {}
    for name in tab.get_by_role("tab").all_inner_texts()[1:]:
        started = time.perf_counter()
        tab.get_by_role("tab", name=name, exact=True).click()
        times[f"{page}: {name}"] = drawn_after(tab, started, lambda name=name: tab.evaluate(OPEN_TAB) == name)
    return times


def choose(tab: Page, label: str, option: str, wanted: Callable[[], bool]) -> float:
    """Types `option` into the sidebar's select box `label`, as a person narrowing the list would, and
    times the page's answer from the Enter that picks it."""
    tab.get_by_label(label).first.click()
    tab.keyboard.type(option)
    started = time.perf_counter()
    tab.keyboard.press("Enter")
    seconds = drawn_after(tab, started, wanted)
    tab.keyboard.press("Escape")
    return seconds


def filter_changes(tab: Page) -> dict[str, float]:
    return {
        "period": choose(tab, "Period", "Last quarter", lambda: query_has(tab, "period=last_quarter")),
        "region": choose(tab, "Regions", "Europe", lambda: query_has(tab, "region=")),
        "currency": choose(tab, "Reporting currency", "EUR", lambda: query_has(tab, "currency=EUR")),
        "language": choose(tab, "Language / 语言", "中文", lambda: query_has(tab, "lang=zh-CN")
                           and any("\u4e00" <= c <= "\u9fff" for c in heading(tab))),
    }


def open_country(tab: Page) -> float:
    """Opens the United States from the world map's "Open a country" list and times its market view. A
    click on the map's canvas runs the same callback and rerun (tests/test_browser.py clicks it), but
    deck.gl misses synthetic clicks too often on a loaded machine to be timed reliably."""
    tab.get_by_label("Open a country").first.click()
    tab.keyboard.type("United States")
    started = time.perf_counter()
    tab.keyboard.press("Enter")
    return drawn_after(tab, started, lambda: query_has(tab, "drill=1/US") and heading(tab) == "United States")


def cpu_per_view(browser: Browser, server: Server, title: str, fresh: bool, views: int = 3) -> float:
    """The server's CPU seconds per overview opened in a new tab, one after another: each tab a new
    session; `fresh`, each in a new browser context, which also downloads the app's files."""
    shared = browser.new_context(viewport=VIEWPORT)
    warm = shared.new_page()
    warm.goto(f"{server.base}/?lang=en")
    drawn_after(warm, time.perf_counter(), lambda: heading(warm) == title)
    warm.close()
    before = server.cpu_seconds()
    for _ in range(views):
        view = new_tab(browser) if fresh else shared.new_page()
        view.goto(f"{server.base}/?lang=en")
        drawn_after(view, time.perf_counter(), lambda view=view: heading(view) == title)
        if fresh:
            view.context.close()
        else:
            view.close()
    seconds = (server.cpu_seconds() - before) / views
    shared.close()
    return seconds


def one_run(browser: Browser, data: Path) -> dict[str, float | dict[str, float]]:
    t = translator("en")
    titles = {spec.key: t(spec.title) for spec in nav.PAGES}
    pages = [spec for spec in nav.PAGES if spec.right is None]
    server = Server(data)
    result: dict[str, float | dict[str, float]] = {"load": os.getloadavg()[0]}
    try:
        started = server.start()
        tab = new_tab(browser)
        tab.goto(f"{server.base}/?lang=en")
        result["start"] = drawn_after(tab, started, lambda: heading(tab) == titles["overview"])
        for round_name in ("switch_first", "switch_again"):
            times = {spec.key: click_page(tab, spec, titles[spec.key]) for spec in [*pages[1:], pages[0]]}
            result[round_name] = times
        click_page(tab, nav.page("satisfaction"), titles["satisfaction"])
        result["tab"] = open_tabs(tab, "satisfaction")
        click_page(tab, pages[0], titles[pages[0].key])
        result["filter"] = filter_changes(tab)
        # The map in the same browser (its code already loaded), without the filters changed above.
        tab.goto(f"{server.base}/map?lang=en")
        drawn_after(tab, time.perf_counter(), lambda: heading(tab) == titles["map"])
        result["map_click"] = open_country(tab)
        result["tab"] |= open_tabs(tab, "market view")  # type: ignore[operator]
        tab.context.close()
        fresh = browser.new_context(viewport=VIEWPORT)
        tab = fresh.new_page()
        started = time.perf_counter()
        tab.goto(f"{server.base}/{SHARED_LINK}")
        result["shared_link"] = drawn_after(tab, started, lambda: heading(tab) == "Germany")
        fresh.close()
        result["cpu_per_view"] = cpu_per_view(browser, server, titles["overview"], fresh=False)
        result["cpu_per_view_fresh"] = cpu_per_view(browser, server, titles["overview"], fresh=True)
    finally:
        server.stop()
    return result


def summary(runs: list[dict[str, float | dict[str, float]]]) -> dict[str, list[float]]:
    """Per measure, one value per run (a run's median over pages or filters, or its slowest page)."""
    values: dict[str, list[float]] = {key: [] for key in TARGETS}
    for run in runs:
        for key in ("start", "map_click", "shared_link", "cpu_per_view", "cpu_per_view_fresh"):
            values[key].append(float(run[key]))  # type: ignore[arg-type]
        for key in ("switch_first", "switch_again", "tab", "filter"):
            values[key].append(statistics.median(run[key].values()))  # type: ignore[union-attr]
        values["switch_worst"].append(max(run["switch_first"].values()))  # type: ignore[union-attr]
        values["tab_worst"].append(max(run["tab"].values()))  # type: ignore[union-attr]
    return values


def markdown(runs: list[dict[str, float | dict[str, float]]], customers: int) -> str:
    values = summary(runs)
    loads = ", ".join(f"{float(run['load']):.1f}" for run in runs)  # type: ignore[arg-type]
    lines = [f"Generated by `meridian bench --browser` ({len(runs)} runs, {customers:,} customers, headless Chromium "
             f"at {VIEWPORT['width']}×{VIEWPORT['height']}, {os.cpu_count()} cores; load average at the start of "
             f"each run: {loads}).", "",
             "| interaction | median s | spread s (min–max) | target s | status |", "|---|---:|---:|---:|---|"]
    for key, (label, target) in TARGETS.items():
        median = statistics.median(values[key])
        bar, status = ("–", "–") if target is None else (f"< {target:g}", "met" if median < target else "**not met**")
        lines.append(f"| {label} | {median:.2f} | {min(values[key]):.2f}–{max(values[key]):.2f} | {bar} | {status} |")
    lines += ["", "Per page, tab and filter, median over the runs (seconds):", "",
              "| page, tab or filter | first visit | next visit |", "|---|---:|---:|"]
    for page in runs[0]["switch_first"]:  # type: ignore[union-attr]
        first = statistics.median(run["switch_first"][page] for run in runs)  # type: ignore[index]
        again = statistics.median(run["switch_again"][page] for run in runs)  # type: ignore[index]
        lines.append(f"| page: {page} | {first:.2f} | {again:.2f} |")
    for name in runs[0]["tab"]:  # type: ignore[union-attr]
        lines.append(f"| tab: {name} | {statistics.median(run['tab'][name] for run in runs):.2f} | |")  # type: ignore[index]
    for name in runs[0]["filter"]:  # type: ignore[union-attr]
        lines.append(f"| filter: {name} | {statistics.median(run['filter'][name] for run in runs):.2f} | |")  # type: ignore[index]
    return "\n".join(lines)


def ensure_data(data: Path) -> int:
    """Builds the demo CRM and its snapshot in `data` if missing (untimed); returns its customer count."""
    env = {k: v for k, v in os.environ.items() if k != "CRM_DATABASE_URL"} | {"MERIDIAN_DATA_DIR": str(data)}
    code = ("import sqlalchemy as sa; from dashboard import bootstrap, db; url = db.default_url(); "
            "bootstrap.ensure_data(url); "
            "print(db.read_only_engine(url).connect().execute(sa.text('select count(*) from customers')).scalar())")
    return int(subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                              check=True).stdout.split()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=data_dir(), help="data folder (default: the app's own)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--output", type=Path, help="write the tables into this Markdown file's generated section")
    args = parser.parse_args(argv)
    args.data.mkdir(parents=True, exist_ok=True)
    customers = ensure_data(args.data)
    runs = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for number in range(args.runs):
            runs.append(one_run(browser, args.data))
            print(f"run {number + 1}/{args.runs}: " + ", ".join(
                f"{k} {v:.2f}" for k, v in runs[-1].items() if isinstance(v, float)), flush=True)
        browser.close()
    text = markdown(runs, customers)
    print(text)
    if args.output:
        write_section(args.output, "browser", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
