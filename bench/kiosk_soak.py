"""A shared screen left alone: the server's memory over a few hundred playlist rotations.

Serves Meridian from a data folder, opens a presentation-mode playlist in headless Chromium and samples the
server's resident memory (RSS, with its children) after every rotation. A screen that runs all day must
not grow per rotation: the report gives the memory after the first full round of the playlist (caches
warm), at the end, and the growth per 100 rotations fitted over everything after the warm-up.

    .venv/bin/python bench/kiosk_soak.py --data /tmp/teams-data --rotations 300
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import psutil
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser import CHROMIUM, CHROMIUM_ARGS, Server

PAGES = ("overview", "teams", "satisfaction")


def rss_mb(process: psutil.Process) -> float:
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a data folder with a CRM and its snapshot")
    parser.add_argument("--rotations", type=int, default=300)
    parser.add_argument("--rotate", type=int, default=5, help="seconds on each page")
    args = parser.parse_args()
    server = Server(args.data)
    try:
        server.start()
        base = server.base
        assert server.process is not None
        watched = psutil.Process(server.process.pid)
        samples: list[float] = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            tab = browser.new_page(viewport={"width": 1920, "height": 1080})
            tab.goto(f"{base}/?kiosk=1&rotate={args.rotate}&pages={','.join(PAGES)}")
            tab.wait_for_selector("h1", timeout=300_000)
            heading = tab.locator("h1").first.inner_text()
            while len(samples) < args.rotations:
                tab.wait_for_function("(h) => document.querySelector('h1') && "
                                      "document.querySelector('h1').innerText !== h", arg=heading, timeout=120_000)
                heading = tab.locator("h1").first.inner_text()
                samples.append(rss_mb(watched))
                if len(samples) % 25 == 0:
                    print(f"{len(samples)} rotations: {samples[-1]:.0f} MB", flush=True)
            browser.close()
    finally:
        server.stop()
    warm = samples[len(PAGES):]
    slope = np.polyfit(np.arange(len(warm)), warm, 1)[0] * 100
    print(f"after the first round: {warm[0]:.0f} MB; after {len(samples)} rotations: {samples[-1]:.0f} MB; "
          f"peak {max(samples):.0f} MB; fitted growth {slope:+.1f} MB per 100 rotations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
