"""The benchmarks' write-up: each run replaces its own generated section of a Markdown file."""

from __future__ import annotations

from pathlib import Path


def markers(name: str) -> tuple[str, str]:
    return f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"


def write_section(path: Path, name: str, text: str) -> None:
    """Puts `text` between the section's markers in `path` (appended at the end the first time)."""
    start_marker, end_marker = markers(name)
    block = f"{start_marker}\n\n{text.strip()}\n\n{end_marker}"
    current = path.read_text() if path.exists() else ""
    start, end = current.find(start_marker), current.find(end_marker)
    if start >= 0 and end > start:
        current = current[:start] + block + current[end + len(end_marker):]
    else:
        current = current.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(current)
