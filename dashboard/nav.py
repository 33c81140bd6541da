"""The page registry: every page once, with its group and the roles that may open it."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.i18n import N_
from dashboard.paths import PROJECT_ROOT
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

    @property
    def url_path(self) -> str:
        """Where the page lives in the app's URL; the first page is the app's root."""
        return "" if self.key == PAGES[0].key else self.key


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "overview.py", N_("Executive overview"), N_("Overview")),
    PageSpec("map", "world_map.py", N_("World map"), N_("Markets & map")),
    PageSpec("satisfaction", "satisfaction.py", N_("Satisfaction"), N_("Satisfaction")),
    PageSpec("teams", "teams.py", N_("Team performance"), N_("Teams")),
    PageSpec("partners", "partners.py", N_("Partner performance"), N_("Partners")),
    PageSpec("customers", "customers.py", N_("Customer base"), N_("Customers")),
    # Record-level compliance data is not for a shared screen.
    PageSpec("data_quality", "data_quality.py", N_("Data quality & compliance"), N_("Data & compliance"),
             ALL_ROLES - {"team_screen"}),
    PageSpec("import_data", "import_data.py", N_("Import data"), N_("Data & compliance"), frozenset({"admin"})),
)
GROUPS = ("Overview", "Markets & map", "Satisfaction", "Teams", "Partners", "Customers", "Data & compliance")


def pages_for(role_key: str) -> list[PageSpec]:
    return [p for p in PAGES if role_key in p.roles]


def page(key: str) -> PageSpec:
    return next(p for p in PAGES if p.key == key)
