"""Who may see what: the row scope (regions) and whether personal data is shown.

Scope and personal-data rights travel inside `Filters`, so the query layer enforces them; pages
check the role only to explain, never to protect.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import tomllib
from dataclasses import dataclass

from dashboard.i18n import N_
from dashboard.paths import users_file


@dataclass(frozen=True)
class Role:
    key: str
    title: str  # msgid, translated where shown
    scope: frozenset[int] | None  # region ids; None: all regions
    personal_data: bool
    shared_screen: bool = False


ROLES: dict[str, Role] = {
    "executive": Role("executive", N_("Executive"), None, personal_data=False),
    "admin": Role("admin", N_("Administrator"), None, personal_data=True),
    "lead_amer": Role("lead_amer", N_("Regional lead · Americas"), frozenset({1}), personal_data=True),
    "lead_emea": Role("lead_emea", N_("Regional lead · EMEA"), frozenset({2}), personal_data=True),
    "lead_apac": Role("lead_apac", N_("Regional lead · Asia Pacific"), frozenset({3}), personal_data=True),
    "lead_gchn": Role("lead_gchn", N_("Regional lead · Greater China"), frozenset({4}), personal_data=True),
    "team_screen": Role("team_screen", N_("Team screen"), None, personal_data=False, shared_screen=True),
}
DEFAULT_ROLE = "executive"



@dataclass(frozen=True)
class User:
    name: str
    role: Role


def configured_users() -> dict[str, tuple[str, str]]:
    """user name -> (role key, password hash) from the users file; empty means demo sign-in.

    The file holds `[users.NAME] role = "lead_emea"` and `password = "pbkdf2:<salt hex>:<hash hex>"`
    (make one with `meridian hash-password`).
    """
    path = users_file()
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text())
    users = data.get("users", {})
    return {name: (str(entry["role"]), str(entry["password"])) for name, entry in users.items()
            if entry.get("role") in ROLES}


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 200_000)
    return f"pbkdf2:{salt.hex()}:{digest.hex()}"


def verify(password: str, stored: str) -> bool:
    try:
        _, salt, _digest = stored.split(":")
        return hmac.compare_digest(hash_password(password, bytes.fromhex(salt)), stored)
    except ValueError:
        return False


def authenticate(name: str, password: str) -> User | None:
    entry = configured_users().get(name)
    if entry is None or not verify(password, entry[1]):
        return None
    return User(name, ROLES[entry[0]])
