"""Who may see what, from two files the operator owns.

Roles (`.streamlit/roles.toml`, else the shipped `dashboard/roles.toml`): a role is a scope — regions,
countries, teams, offices — and rights. Users (`.streamlit/users.toml`): each signs in with a password
(an argon2id hash from `meridian hash-password`) or through the company's identity provider.

Both files fail closed: a file that is present but unreadable, a user without a way to sign in, an
unknown role or right — Meridian refuses to start and names the file and line, rather than opening
up. Scope and personal-data rights travel inside `Filters`, so the query layer enforces them; pages
check rights only to explain, never to protect.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dashboard.filters import Scope
from dashboard.paths import STREAMLIT_DIR, users_file

SHIPPED_ROLES = Path(__file__).parent / "roles.toml"
RIGHTS = ("personal_data", "compliance", "export", "admin", "refresh", "shared_screen")
SCOPE_KEYS = ("regions", "countries", "teams", "offices")
DEFAULT_ROLE = "executive"
HASHER = PasswordHasher()


class ConfigError(Exception):
    """A roles or users file Meridian will not start with; the message names the file and line."""


@dataclass(frozen=True)
class Role:
    key: str
    title: str  # shown through the translator
    rights: frozenset[str]
    # Limits by the CRM's own names: region codes, ISO country codes, team and office names.
    regions: frozenset[str] | None = None
    countries: frozenset[str] | None = None
    teams: frozenset[str] | None = None
    offices: frozenset[str] | None = None

    @property
    def personal_data(self) -> bool:
        return "personal_data" in self.rights

    @property
    def shared_screen(self) -> bool:
        return "shared_screen" in self.rights

    @property
    def may_refresh(self) -> bool:
        return "refresh" in self.rights

    def can(self, right: str | None) -> bool:
        return right is None or right in self.rights

    def scope(self, regions: pl.DataFrame, teams: pl.DataFrame) -> Scope:
        """The role's scope in the snapshot's ids: `regions` (id, code) and `teams` (id, name)."""
        region_ids = None
        if self.regions is not None:
            region_ids = frozenset(int(i) for i, code in zip(regions["id"], regions["code"], strict=True)
                                   if code in self.regions)
        team_ids = None
        if self.teams is not None:
            team_ids = frozenset(int(i) for i, name in zip(teams["id"], teams["name"], strict=True)
                                 if name in self.teams)
        return Scope(regions=region_ids, countries=self.countries, teams=team_ids, offices=self.offices)

    def unknown_names(self, regions: pl.DataFrame, teams: pl.DataFrame) -> list[str]:
        """Names in the role's scope that the CRM does not have (a typo would silently show nothing)."""
        missing = sorted((self.regions or set()) - set(regions["code"].to_list()))
        missing += sorted((self.teams or set()) - set(teams["name"].to_list()))
        return missing


@dataclass(frozen=True)
class Account:
    """A user of the users file."""

    name: str
    role: str
    password: str | None = None  # an argon2 hash
    provider: str | None = None  # the identity provider (st.login) this user signs in with


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    demo: bool = False  # signed in by picking a role: demo data only


def _where(path: Path, text: str, table: str, name: str) -> str:
    """`file:line` of the `[table.name]` header (quoted or not) in the file's text."""
    header = re.compile(r'^\s*\[\s*' + re.escape(table) + r'\.\s*"?' + re.escape(name) + r'"?\s*[\].]')
    line = next((n for n, row in enumerate(text.splitlines(), start=1) if header.match(row)), 1)
    return f"{path}:{line}"


def _read(path: Path) -> tuple[dict, str]:
    try:
        text = path.read_text(encoding="utf-8")
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}).") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} cannot be read: {exc}.") from exc


def roles_file() -> Path:
    custom = STREAMLIT_DIR / "roles.toml"
    return custom if custom.exists() else SHIPPED_ROLES


def _names(value: object, where: str, key: str) -> frozenset[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where}: '{key}' must be a list of names.")
    return frozenset(value)


@cache
def _roles(path: Path, mtime: float) -> dict[str, Role]:
    data, text = _read(path)
    entries = data.get("roles")
    if not isinstance(entries, dict) or not entries:
        raise ConfigError(f"{path}: no [roles.NAME] tables.")
    roles = {}
    for key, entry in entries.items():
        where = _where(path, text, "roles", key)
        if not isinstance(entry, dict) or not isinstance(entry.get("title", key), str):
            raise ConfigError(f"{where}: role '{key}' is not a table with a title.")
        unknown = sorted(set(entry) - {"title", "rights", *SCOPE_KEYS})
        if unknown:
            raise ConfigError(f"{where}: role '{key}' has unknown settings: {', '.join(unknown)}.")
        rights = _names(entry.get("rights", []), where, "rights") or frozenset()
        wrong = sorted(rights - set(RIGHTS))
        if wrong:
            raise ConfigError(f"{where}: role '{key}' has unknown rights: {', '.join(wrong)} "
                              f"(known: {', '.join(RIGHTS)}).")
        if "shared_screen" in rights and "personal_data" in rights:
            raise ConfigError(f"{where}: role '{key}' is a shared screen and may not see personal data.")
        scope = {name: _names(entry.get(name), where, name) for name in SCOPE_KEYS}
        roles[key] = Role(key, str(entry.get("title", key)), rights, **scope)
    return roles


def roles() -> dict[str, Role]:
    """Every role, read again whenever its file changes."""
    path = roles_file()
    return _roles(path, path.stat().st_mtime)


@cache
def _accounts(path: Path, mtime: float, role_keys: frozenset[str]) -> dict[str, Account]:
    data, text = _read(path)
    users = data.get("users")
    if not isinstance(users, dict) or not users:
        raise ConfigError(f"{path}: no [users.\"NAME\"] tables: no one could sign in.")
    accounts = {}
    for name, entry in users.items():
        where = _where(path, text, "users", name)
        if not isinstance(entry, dict) or any(isinstance(v, dict) for v in entry.values()):
            raise ConfigError(f"{where}: user '{name}' is not a table of settings (a name with a dot must be "
                              f'quoted: [users."li.wei"]).')
        unknown = sorted(set(entry) - {"role", "password", "provider"})
        if unknown:
            raise ConfigError(f"{where}: user '{name}' has unknown settings: {', '.join(unknown)}.")
        role = entry.get("role")
        if role not in role_keys:
            raise ConfigError(f"{where}: user '{name}' has role {role!r}, which is not a role "
                              f"(known: {', '.join(sorted(role_keys))}).")
        password, provider = entry.get("password"), entry.get("provider")
        if (password is None) == (provider is None):
            raise ConfigError(f"{where}: user '{name}' needs either a password (from `meridian hash-password`) "
                              "or a provider, not both.")
        if password is not None and not str(password).startswith("$argon2id$"):
            raise ConfigError(f"{where}: user '{name}' has a password that is not an argon2id hash: make one "
                              "with `meridian hash-password`.")
        accounts[name] = Account(name, str(role), password and str(password), provider and str(provider))
    return accounts


def accounts() -> dict[str, Account] | None:
    """The users of the users file; None when there is no users file."""
    path = users_file()
    if not path.exists():
        return None
    return _accounts(path, path.stat().st_mtime, frozenset(roles()))


def check_files() -> list[str]:
    """What is wrong with the roles and users files, for `meridian check`: empty when both are usable."""
    try:
        roles()
        accounts()
    except ConfigError as exc:
        return [str(exc)]
    return []


# --- passwords ---------------------------------------------------------------------------------

@cache
def _unknown_user_hash() -> str:
    """Compared against when the user name is unknown, so a wrong name takes as long as a wrong password.
    Made on first use rather than at import: hashing is slow by design (a sixth of a second of every
    server start), and a server without a users file never needs it."""
    return HASHER.hash("no user has this password")


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return HASHER.verify(stored or _unknown_user_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a stored hash was made with other parameters than today's."""
    return HASHER.check_needs_rehash(stored)
