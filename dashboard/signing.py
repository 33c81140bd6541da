"""Signed, expiring tokens (sessions, presentation links) with the server's secret.

The secret comes from `.streamlit/secrets.toml` (`[meridian] secret = "…"`), else it is generated once
into the data folder (`secret.key`, readable by its owner only) so that tokens survive restarts.
Signing is itsdangerous's (a maintained part of the Pallets projects).
"""

from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

from dashboard.paths import SECRETS_FILE, data_dir


class SecretError(Exception):
    """The secrets file cannot give a secret; the message names the file."""


def _from_secrets_file() -> str | None:
    if not SECRETS_FILE.exists():
        return None
    try:
        value = tomllib.loads(SECRETS_FILE.read_text(encoding="utf-8")).get("meridian", {}).get("secret")
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
        raise SecretError(f"{SECRETS_FILE} cannot be read: {exc}") from exc
    if value is not None and (not isinstance(value, str) or len(value) < 32):
        raise SecretError(f"{SECRETS_FILE}: [meridian] secret must be a string of at least 32 characters.")
    return value


def _generated(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    # Created readable by its owner only, before anything is written into it.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(value)
    return value


def secret() -> str:
    return _from_secrets_file() or _generated(data_dir() / "secret.key")


def dumps(payload: dict, purpose: str) -> str:
    return URLSafeTimedSerializer(secret(), salt=f"meridian-{purpose}").dumps(payload)


def loads(token: str, purpose: str, max_age_seconds: int | None) -> dict | None:
    """The payload of a token signed for `purpose` and younger than `max_age_seconds`, else None."""
    try:
        payload = URLSafeTimedSerializer(secret(), salt=f"meridian-{purpose}").loads(token, max_age=max_age_seconds)
    except BadSignature:
        return None
    return payload if isinstance(payload, dict) else None
