"""The operator's settings for how numbers are judged, from `.streamlit/meridian.toml` (optional).

A file that is present but unreadable, or holds a value of the wrong kind, stops the app with a
message naming the file and the setting: a mistyped threshold must not silently turn red into green.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path

from dashboard.paths import STREAMLIT_DIR


class ConfigError(Exception):
    """The settings file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Targets:
    # Attainment (actual ÷ target; target ÷ actual where lower is better) at or above `on_track` is
    # green, at or above `at_risk` amber, below it red.
    on_track: float = 1.0
    at_risk: float = 0.9


@dataclass(frozen=True)
class TeamScore:
    # The weight of each dimension in a team's score (queries/teams.py); only their ratios matter. Sales
    # teams: revenue and new customers against target, win rate, deal cycle. Service teams: median first
    # response and resolution, SLA attainment, CSAT of their tickets, backlog age.
    revenue: float = 0.35
    new_customers: float = 0.15
    win_rate: float = 0.3
    deal_cycle: float = 0.2
    first_response: float = 0.2
    resolution: float = 0.2
    sla_attainment: float = 0.25
    ticket_csat: float = 0.25
    backlog_age: float = 0.1


@dataclass(frozen=True)
class Kiosk:
    # How often a presentation screen looks for newer data (seconds); the snapshot itself is refreshed by
    # the server.
    refresh_seconds: float = 60.0


@dataclass(frozen=True)
class Database:
    # Seconds: a CRM that accepts connections and never answers must fail a refresh, not hang it.
    connect_timeout: float = 10.0
    statement_timeout: float = 600.0


@dataclass(frozen=True)
class Refresh:
    # Seconds between scheduled refreshes; after a failure, retries wait `retry_after`, doubling up to `every`.
    every: float = 900.0
    retry_after: float = 30.0


@dataclass(frozen=True)
class Settings:
    targets: Targets = Targets()
    team_score: TeamScore = TeamScore()
    kiosk: Kiosk = Kiosk()
    database: Database = Database()
    refresh: Refresh = Refresh()


def settings_file() -> Path:
    return Path(os.environ.get("MERIDIAN_SETTINGS_FILE", STREAMLIT_DIR / "meridian.toml"))


def _section(cls: type, values: dict, path: Path, name: str) -> object:
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError(f"{path}: [{name}] has unknown settings: {', '.join(unknown)}.")
    for key, value in values.items():
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ConfigError(f"{path}: [{name}] {key} must be a number, not {value!r}.")
    return cls(**{k: float(v) for k, v in values.items()})


@cache
def load() -> Settings:
    path = settings_file()
    if not path.exists():
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise ConfigError(f"{path} cannot be read: {exc}") from exc
    unknown = sorted(set(data) - {"targets", "team_score", "kiosk", "database", "refresh"})
    if unknown:
        raise ConfigError(f"{path}: unknown sections: {', '.join(unknown)}.")
    targets = _section(Targets, data.get("targets", {}), path, "targets")
    if not 0 < targets.at_risk <= targets.on_track:  # type: ignore[attr-defined]
        raise ConfigError(f"{path}: [targets] needs 0 < at_risk <= on_track.")
    team_score = _section(TeamScore, data.get("team_score", {}), path, "team_score")
    if any(getattr(team_score, f.name) < 0 for f in fields(TeamScore)):
        raise ConfigError(f"{path}: [team_score] weights cannot be negative.")
    kiosk = _section(Kiosk, data.get("kiosk", {}), path, "kiosk")
    if kiosk.refresh_seconds < 1:  # type: ignore[attr-defined]
        raise ConfigError(f"{path}: [kiosk] refresh_seconds must be at least 1.")
    database = _section(Database, data.get("database", {}), path, "database")
    if min(database.connect_timeout, database.statement_timeout) < 1:  # type: ignore[attr-defined]
        raise ConfigError(f"{path}: [database] timeouts must be at least 1 second.")
    refresh = _section(Refresh, data.get("refresh", {}), path, "refresh")
    if not 1 <= refresh.retry_after <= refresh.every:  # type: ignore[attr-defined]
        raise ConfigError(f"{path}: [refresh] needs 1 <= retry_after <= every.")
    return Settings(targets=targets, team_score=team_score, kiosk=kiosk,  # type: ignore[arg-type]
                    database=database, refresh=refresh)  # type: ignore[arg-type]
