"""Where Meridian keeps things: the project folder, the data folder, and the operator's config files."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STREAMLIT_DIR = PROJECT_ROOT / ".streamlit"
SECRETS_FILE = STREAMLIT_DIR / "secrets.toml"
STATIC_DIR = Path(__file__).parent / "static"
ICON = STATIC_DIR / "icon.png"


def data_dir() -> Path:
    """Where the embedded database and the snapshots live ($MERIDIAN_DATA_DIR, else data/)."""
    return Path(os.environ.get("MERIDIAN_DATA_DIR", PROJECT_ROOT / "data"))


def embedded_database() -> Path:
    return data_dir() / "crm.sqlite"


def users_file() -> Path:
    """$MERIDIAN_USERS_FILE, else .streamlit/users.toml."""
    return Path(os.environ.get("MERIDIAN_USERS_FILE", STREAMLIT_DIR / "users.toml"))
