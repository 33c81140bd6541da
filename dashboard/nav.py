"""The page registry: every page once, with its group and the roles that may open it."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.i18n import N_, Translate
from dashboard.paths import PROJECT_ROOT
from dashboard.roles import Role
from dashboard.snapshot import Snapshot
from queries import inputs


@dataclass(frozen=True)
class PageSpec:
    key: str
    file: str
    title: str  # msgid
    group: str  # msgid
    right: str | None = None  # the right a role needs to open it (see dashboard/roles.toml)
    kpis: tuple[str, ...] = ()  # the registry KPIs of its tiles (queries/kpis.py)
    needs: tuple[str, ...] = ()  # what the CRM must have for the page to show anything (queries/inputs.py)

    @property
    def path(self) -> str:
        return str(PROJECT_ROOT / "pages" / self.file)

    @property
    def url_path(self) -> str:
        """Where the page lives in the app's URL; the first page is the app's root."""
        return "" if self.key == PAGES[0].key else self.key


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "overview.py", N_("Executive overview"), N_("Overview"),
             kpis=("revenue", "active_customers", "new_customers", "churn_rate", "nps", "csat", "first_response",
                   "sla_attainment", "active_partners", "win_rate")),
    PageSpec("map", "world_map.py", N_("World map"), N_("Markets & map"),
             kpis=("revenue", "active_customers", "new_customers", "nps", "csat"), needs=("customers.country_iso2",)),
    PageSpec("satisfaction", "satisfaction.py", N_("Satisfaction"), N_("Satisfaction"),
             kpis=("nps", "csat", "ces", "follow_up_2d", "follow_up_time"), needs=("surveys",)),
    PageSpec("teams", "teams.py", N_("Team performance"), N_("Teams"), needs=("teams", "reps")),
    PageSpec("pipeline", "pipeline.py", N_("Sales pipeline"), N_("Teams"),
             kpis=("pipeline_value", "weighted_pipeline", "won_value", "win_rate", "deal_size", "deal_cycle"),
             needs=("opportunities",)),
    PageSpec("partners", "partners.py", N_("Partner performance"), N_("Partners"),
             kpis=("active_partners", "partner_revenue", "partner_win_rate", "partner_deal_cycle",
                   "partner_deal_size"), needs=("partners",)),
    PageSpec("customers", "customers.py", N_("Customer base"), N_("Customers"),
             kpis=("active_customers", "new_customers", "churn_rate")),
    # Record-level compliance data is for roles with the compliance right (never a shared screen).
    PageSpec("data_quality", "data_quality.py", N_("Data quality & compliance"), N_("Data & compliance"),
             right="compliance"),
    PageSpec("import_data", "import_data.py", N_("Import data"), N_("Data & compliance"), right="admin"),
    PageSpec("audit", "audit_trail.py", N_("Audit trail"), N_("Data & compliance"), right="admin"),
)
GROUPS = ("Overview", "Markets & map", "Satisfaction", "Teams", "Partners", "Customers", "Data & compliance")


def pages_for(role: Role) -> list[PageSpec]:
    return [p for p in PAGES if role.can(p.right)]


def title(spec: PageSpec, t: Translate, src: Snapshot) -> str:
    """The page's title in the navigation, marked when the CRM lacks what the page needs."""
    return t(spec.title) + (" · " + t("no data yet") if inputs.unmet(src, spec.needs) else "")


def page(key: str) -> PageSpec:
    return next(p for p in PAGES if p.key == key)
