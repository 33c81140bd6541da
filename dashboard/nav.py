"""The page registry: every page once, with its group and the roles that may open it."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.db import PROJECT_ROOT
from dashboard.roles import ROLES

ALL_ROLES = frozenset(ROLES)


@dataclass(frozen=True)
class PageSpec:
    key: str
    file: str
    title: str  # msgid
    group: str  # msgid
    roles: frozenset[str] = ALL_ROLES

    @property
    def path(self) -> str:
        return str(PROJECT_ROOT / "pages" / self.file)


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "overview.py", "Executive overview", "Overview"),
    PageSpec("map", "world_map.py", "World map", "Markets & map"),
    PageSpec("satisfaction", "satisfaction.py", "Satisfaction", "Satisfaction"),
    PageSpec("teams", "teams.py", "Team performance", "Teams"),
    PageSpec("partners", "partners.py", "Partner performance", "Partners"),
    PageSpec("customers", "customers.py", "Customer base", "Customers"),
    # Record-level compliance data is not for a shared screen.
    PageSpec("data_quality", "data_quality.py", "Data quality & compliance", "Data & compliance",
             ALL_ROLES - {"team_screen"}),
)
GROUPS = ("Overview", "Markets & map", "Satisfaction", "Teams", "Partners", "Customers", "Data & compliance")


def pages_for(role_key: str) -> list[PageSpec]:
    return [p for p in PAGES if role_key in p.roles]


def page(key: str) -> PageSpec:
    return next(p for p in PAGES if p.key == key)
