"""What the CRM has: whether a table has rows, and a column values, for the KPIs and pages that need them.

A need is written `table` or `table.column`, and `a|b` where either will do. A table the CRM lacks is
empty in the snapshot, and a column it lacks is empty too: both are unmet needs, as is a table the CRM
has but never filled.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import polars as pl

from dashboard.snapshot import Snapshot


@lru_cache(maxsize=512)
def _has(root: str, version: str, src: Snapshot, need: str) -> bool:
    table, _, column = need.partition(".")
    frame = src.scan(table)
    if column:
        if column not in frame.collect_schema().names():
            return False
        return bool(frame.select(pl.col(column).is_not_null().any()).collect().item())
    return frame.select(pl.len()).collect().item() > 0


def unmet(src: Snapshot, needs: Iterable[str]) -> list[str]:
    """The needs the CRM does not meet, as written."""
    version = src.refreshed_at.isoformat()
    return [need for need in needs
            if not any(_has(str(src.root), version, src, option) for option in need.split("|"))]
