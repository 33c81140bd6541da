"""The browser timing harness works end to end: one run over the default demo, every interaction timed and
written into its section of a Markdown file. Timings are reported, never asserted: machines are noisy."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.paths import PROJECT_ROOT

pytestmark = pytest.mark.browser
pytest.importorskip("playwright.sync_api")
sys.path.insert(0, str(PROJECT_ROOT / "bench"))

from browser import TARGETS  # noqa: E402
from report import markers  # noqa: E402


def test_the_browser_harness_times_every_interaction(tmp_path: Path) -> None:
    report = tmp_path / "performance.md"
    report.write_text("# Performance\n\nWritten by hand, kept.\n")
    subprocess.run([sys.executable, "bench/browser.py", "--data", str(tmp_path / "data"), "--runs", "1",
                    "--output", str(report)], cwd=PROJECT_ROOT, check=True, timeout=1200)
    text = report.read_text()
    start, end = markers("browser")
    assert text.startswith("# Performance\n\nWritten by hand, kept.\n")
    section = text[text.index(start):text.index(end)]
    for label, target in TARGETS.values():
        row = next(line for line in section.splitlines() if line.startswith(f"| {label} |"))
        # A figure reported beside a target has no target and no status of its own.
        bar = r"< [\d.]+ \| (met|\*\*not met\*\*)" if target is not None else r"– \| –"
        assert re.fullmatch(rf"\| .+ \| \d+\.\d\d \| \d+\.\d\d–\d+\.\d\d \| {bar} \|", row), row
    assert "| page: map |" in section and "| filter: language |" in section
    assert "| tab: satisfaction: Trends |" in section and "| tab: market view: Customer mix |" in section
