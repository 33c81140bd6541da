"""Stable integer ids for the source's own ids.

CRMs identify records with text ("0015g00000XyZ", a GUID, an account name); Meridian's tables use
integers. The store's `meridian_keys` table remembers which integer each (entity, source id) got, so
importing the same file again updates the same rows, and ids never change between imports. A new
source id gets the entity's next free integer, in the order the records come in.
"""

from __future__ import annotations

import polars as pl

KEYS_SCHEMA = {"entity": pl.String, "source_id": pl.String, "id": pl.Int64}
# The source id of the placeholder customer that holds rows whose customer is not in the import.
UNASSIGNED = "meridian:unassigned"
# Source ids of orders made from won deals: this prefix and the deal's source id.
FROM_WON_DEAL = "opportunity:"
MAX_SOURCE_ID = 255


class Keys:
    def __init__(self, known: pl.DataFrame, highest: dict[str, int]) -> None:
        """`known`: the store's keys (entity, source_id, id); `highest`: each table's highest id."""
        self._ids: dict[str, dict[str, int]] = {}
        for (entity,), part in known.group_by("entity"):
            self._ids[str(entity)] = dict(zip(part["source_id"], part["id"], strict=True))
        self._next = {entity: max([highest.get(entity, 0), *ids.values()]) + 1 for entity, ids in self._ids.items()}
        for entity, top in highest.items():
            self._next.setdefault(entity, top + 1)
        self._new: list[tuple[str, str, int]] = []

    def assign(self, entity: str, source_ids: pl.Series) -> pl.Series:
        """The id of each source id, giving new ones the next free integers."""
        ids = self._ids.setdefault(entity, {})
        for source_id in source_ids.drop_nulls().unique(maintain_order=True):
            if source_id not in ids:
                ids[source_id] = self._next.get(entity, 1)
                self._next[entity] = ids[source_id] + 1
                self._new.append((entity, source_id, ids[source_id]))
        return source_ids.replace_strict(ids, default=None, return_dtype=pl.Int64).alias("id")

    def known(self, entity: str) -> dict[str, int]:
        return self._ids.get(entity, {})

    def new(self) -> pl.DataFrame:
        return pl.DataFrame(self._new, schema=KEYS_SCHEMA, orient="row")
