"""The global filters: one frozen value that every query takes, that round-trips through the URL, and
that carries the viewer's row scope so no query can forget it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

import polars as pl

# Calendar presets cover whole calendar units (a month, a quarter, a year); the "to date" ones are open
# (their unit is not over yet). Rolling presets are windows of fixed length ending on the data's last day.
OPEN_CALENDAR = ("month_to_date", "quarter_to_date", "year_to_date")
CLOSED_CALENDAR = ("last_month", "last_quarter", "last_year")
ROLLING = ("last_30_days", "last_90_days", "last_12_months")
PRESETS = (*OPEN_CALENDAR, *CLOSED_CALENDAR, *ROLLING, "custom")
DEFAULT_PRESET = "last_90_days"
COMPARISONS = ("previous_period", "same_period_last_year")
CURRENCIES = ("USD", "EUR", "CNY", "GBP", "JPY")
LANGUAGES = ("en", "zh-CN")
SEGMENTS = ("Enterprise", "Mid-market", "SMB", "Consumer")
CHANNELS = ("email", "phone", "chat", "visit", "WeChat", "WhatsApp", "LINE")
LIST_SEPARATOR = ","
# A list parameter longer than this is not a view anyone chose: it is dropped whole.
MAX_PARAM_LENGTH = 2000
# Parameters that pages own (drill-down state); the global filters leave them alone.
EXTRA_PARAMS = ("drill", "metric", "kiosk", "rotate", "pages", "link")

Comparison = Literal["previous_period", "same_period_last_year"]
Unit = Literal["month", "quarter", "year"]
UNIT_OF = {"month_to_date": "month", "last_month": "month", "quarter_to_date": "quarter",
           "last_quarter": "quarter", "year_to_date": "year", "last_year": "year"}


def unit_start(day: dt.date, unit: Unit) -> dt.date:
    """First day of the calendar month, quarter or year holding `day`."""
    if unit == "year":
        return dt.date(day.year, 1, 1)
    if unit == "quarter":
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return day.replace(day=1)


def previous_unit_start(day: dt.date, unit: Unit) -> dt.date:
    """First day of the calendar unit before the one holding `day`."""
    return unit_start(unit_start(day, unit) - dt.timedelta(days=1), unit)


def preset_window(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day (inclusive) of a preset, where `today` is the data's last complete day."""
    if preset in OPEN_CALENDAR:
        return unit_start(today, UNIT_OF[preset]), today  # type: ignore[arg-type]
    if preset in CLOSED_CALENDAR:
        unit: Unit = UNIT_OF[preset]  # type: ignore[assignment]
        return previous_unit_start(today, unit), unit_start(today, unit) - dt.timedelta(days=1)
    if preset == "last_30_days":
        return today - dt.timedelta(days=29), today
    if preset == "last_12_months":
        return _shift_year(today, -1) + dt.timedelta(days=1), today
    return today - dt.timedelta(days=89), today


def _shift_year(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _narrowed(chosen: tuple, allowed: frozenset | None) -> tuple | None:
    """What may be read along one dimension: the choice within what is allowed (None: no limit)."""
    if allowed is None:
        return chosen or None
    return tuple(sorted(set(chosen) & allowed if chosen else allowed))


@dataclass(frozen=True)
class Scope:
    """The rows a role may read. Each dimension that is set limits them, and all must hold: customers
    of these regions, of these countries, and — for teams and offices — rows of those teams' reps or
    of customers those teams own. None leaves a dimension open; an empty set allows nothing."""

    regions: frozenset[int] | None = None
    countries: frozenset[str] | None = None
    teams: frozenset[int] | None = None
    offices: frozenset[str] | None = None

    @property
    def everything(self) -> bool:
        return self.regions is None and self.countries is None and self.teams is None and self.offices is None


EVERYTHING = Scope()


@dataclass(frozen=True)
class Filters:
    """What the viewer asked to see, and what they are allowed to see.

    `scope` is what the viewer's role may read (see `Scope`). It is applied by `rows`, inside every
    query; the chosen regions, countries, teams and offices can only narrow it.
    """

    start: dt.date
    end: dt.date
    preset: str = DEFAULT_PRESET
    compare: Comparison = "previous_period"
    regions: tuple[int, ...] = ()
    countries: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    teams: tuple[int, ...] = ()
    offices: tuple[str, ...] = ()
    currency: str = "USD"
    lang: str = "en"
    scope: Scope = field(default=EVERYTHING)
    personal_data: bool = False

    @classmethod
    def default(cls, today: dt.date, scope: Scope = EVERYTHING, lang: str = "en") -> Filters:
        start, end = preset_window(DEFAULT_PRESET, today)
        return cls(start=start, end=end, scope=scope, lang=lang)

    # --- the period -----------------------------------------------------------------------
    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def is_open(self) -> bool:
        """The period is a calendar unit that is not over yet ("to date")."""
        return self.preset in OPEN_CALENDAR

    def comparison(self) -> Filters:
        """The same filters over the comparison period.

        Same period last year: the same dates a year before. Previous period: for a whole calendar
        unit, the previous unit (October for November, 2025 for 2026); for an open unit, the same
        number of days from the start of the previous unit (1–27 October for 1–27 November), never
        past its end; for rolling and custom periods, the window of equal length just before."""
        if self.compare == "same_period_last_year":
            return replace(self, start=_shift_year(self.start, -1), end=_shift_year(self.end, -1))
        unit: Unit | None = UNIT_OF.get(self.preset)  # type: ignore[assignment]
        if unit is not None:
            start = previous_unit_start(self.start, unit)
            unit_end = unit_start(self.start, unit) - dt.timedelta(days=1)
            end = min(start + dt.timedelta(days=self.days - 1), unit_end) if self.is_open else unit_end
            return replace(self, start=start, end=end)
        return replace(self, start=self.start - dt.timedelta(days=self.days),
                       end=self.start - dt.timedelta(days=1))

    def timeless(self) -> Filters:
        """These filters without a period: all that a query reading rows at any time depends on, so
        views of other periods share its cached result."""
        return replace(self, start=dt.date.min, end=dt.date.min, preset="", compare="previous_period")

    def with_window(self, start: dt.date, end: dt.date) -> Filters:
        return replace(self, start=start, end=end)

    def last_months(self, months: int = 12) -> Filters:
        """The `months` calendar months up to the period's end (the last one possibly partial)."""
        first = self.end.replace(day=1)
        for _ in range(months - 1):
            first = (first - dt.timedelta(days=1)).replace(day=1)
        return self.with_window(first, self.end)

    @property
    def start_ts(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time())

    @property
    def end_ts(self) -> dt.datetime:
        """Exclusive upper bound: midnight after the last day."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time())

    # --- rows -------------------------------------------------------------------------------
    @property
    def visible_regions(self) -> tuple[int, ...] | None:
        """The region ids rows may come from: the choice narrowed by the scope (None: all)."""
        return _narrowed(self.regions, self.scope.regions)

    @property
    def visible_countries(self) -> tuple[str, ...] | None:
        return _narrowed(self.countries, self.scope.countries)

    @property
    def visible_teams(self) -> tuple[int, ...] | None:
        return _narrowed(self.teams, self.scope.teams)

    @property
    def visible_offices(self) -> tuple[str, ...] | None:
        return _narrowed(self.offices, self.scope.offices)

    def predicate(self, columns: list[str], time_column: str | None) -> pl.Expr:
        """The row filter for a table with these columns: scope, dimensions and (optionally) period.

        A limit on a dimension the table cannot be filtered by lets no row through: the scope fails
        closed."""
        conditions: list[pl.Expr] = []

        def limit(values: tuple | None, *candidates: str) -> None:
            if values is None:
                return
            present = [c for c in candidates if c in columns]
            conditions.append(pl.any_horizontal([pl.col(c).is_in(values) for c in present]) if present
                              else pl.lit(False))

        limit(self.visible_regions, "region_id")
        limit(self.visible_countries, "country_iso2")
        # A row belongs to a team through its rep, or through the team that owns its customer.
        limit(self.visible_teams, "team_id", "customer_team_id")
        limit(self.visible_offices, "office", "customer_office")
        if self.segments and "segment" in columns:
            conditions.append(pl.col("segment").is_in(self.segments))
        if self.channels and "channel" in columns:
            conditions.append(pl.col("channel").is_in(self.channels))
        if time_column:
            conditions.append(pl.col(time_column).is_between(self.start_ts, self.end_ts, closed="left"))
        return pl.all_horizontal(conditions) if conditions else pl.lit(True)

    # --- URL --------------------------------------------------------------------------------
    def to_params(self) -> dict[str, str]:
        """Query parameters that reproduce this view (the scope is never in the URL)."""
        params = {"period": self.preset, "compare": self.compare, "currency": self.currency,
                  "lang": self.lang}
        if self.preset == "custom":
            params |= {"from": self.start.isoformat(), "to": self.end.isoformat()}
        for key, values in (("region", self.regions), ("country", self.countries), ("team", self.teams),
                            ("office", self.offices), ("segment", self.segments), ("channel", self.channels)):
            if values:
                params[key] = LIST_SEPARATOR.join(str(v) for v in values)
        return params

    @classmethod
    def from_params(cls, params: Mapping[str, str], today: dt.date, scope: Scope,
                    known_regions: Mapping[int, str], known_countries: Mapping[str, int],
                    personal_data: bool = False,
                    known_teams: Mapping[int, str | None] | None = None) -> tuple[Filters, list[str]]:
        """Filters from URL parameters. Anything invalid, outside the scope or too long is dropped; the
        second value names it. `known_teams` maps team ids to their office."""
        dropped: list[str] = []
        base = cls.default(today, scope)

        def one(key: str, allowed: tuple[str, ...], default: str) -> str:
            value = params.get(key)
            if value is None:
                return default
            if value not in allowed:
                dropped.append(f"{key}={value}")
                return default
            return value

        preset = one("period", PRESETS, base.preset)
        start, end = preset_window(preset, today)
        if preset == "custom":
            try:
                start = dt.date.fromisoformat(params.get("from", ""))
                end = dt.date.fromisoformat(params.get("to", ""))
                if start > end or end > today:
                    raise ValueError
            except ValueError:
                dropped.append(f"from={params.get('from', '')}&to={params.get('to', '')}")
                preset = base.preset
                start, end = base.start, base.end

        def many(key: str, valid: set[str]) -> tuple[str, ...]:
            value = params.get(key, "")
            if len(value) > MAX_PARAM_LENGTH:
                dropped.append(key)
                return ()
            raw = [v for v in value.split(LIST_SEPARATOR) if v]
            bad = [v for v in raw if v not in valid]
            if bad:
                dropped.append(f"{key}={LIST_SEPARATOR.join(bad)}")
            return tuple(dict.fromkeys(v for v in raw if v in valid))

        def allowed(values: Iterable, limit: frozenset | None) -> set:
            return {v for v in values if limit is None or v in limit}

        allowed_regions = allowed(known_regions, scope.regions)
        regions = tuple(int(r) for r in many("region", {str(r) for r in allowed_regions}))
        region_filter = set(regions) or allowed_regions
        countries = many("country", allowed((c for c, r in known_countries.items() if r in region_filter),
                                            scope.countries))
        teams_known = known_teams or {}
        teams = tuple(int(v) for v in many("team", {str(v) for v in allowed(teams_known, scope.teams)}))
        offices = many("office", allowed({o for o in teams_known.values() if o}, scope.offices))
        known = {"period", "compare", "currency", "lang", "from", "to", "region", "country", "team", "office",
                 "segment", "channel", *EXTRA_PARAMS}
        dropped.extend(k[:40] for k in params if k not in known)
        filters = cls(
            start=start, end=end, preset=preset,
            compare=one("compare", COMPARISONS, base.compare),  # type: ignore[arg-type]
            regions=regions, countries=countries, teams=teams, offices=offices,
            segments=many("segment", set(SEGMENTS)), channels=many("channel", set(CHANNELS)),
            currency=one("currency", CURRENCIES, base.currency), lang=one("lang", LANGUAGES, base.lang),
            scope=scope, personal_data=personal_data,
        )
        return filters, dropped


@dataclass(frozen=True)
class Drill:
    """Where the map is drilled to: world (all None) › region › country › city. In the URL as
    `drill=2`, `drill=2/DE` or `drill=2/DE/Chengdu`; no `drill` is the viewer's starting level (`start`).

    Every level is a URL of its own, so the browser's Back and Forward move between levels. The city
    level narrows everything on the page to the city's customers (`queries.geo.in_city`)."""

    region: int | None = None
    country: str | None = None
    city: str | None = None

    def to_param(self) -> str:
        return "/".join(str(p) for p in (self.region, self.country, self.city) if p is not None)

    @property
    def depth(self) -> int:
        return sum(p is not None for p in (self.region, self.country, self.city))

    @classmethod
    def start(cls, f: Filters, country_region: Mapping[str, int]) -> Drill:
        """Where the map opens: what the viewer may see and chose. One country chosen: that country;
        one region visible (a regional lead, or one region chosen): that region; else the world."""
        known = [c for c in f.countries if c in country_region]
        if len(known) == 1:
            return cls(country_region[known[0]], known[0])
        visible = f.visible_regions
        if visible is not None and len(visible) == 1:
            return cls(visible[0])
        return cls()

    @classmethod
    def from_param(cls, value: str | None, f: Filters, country_region: Mapping[str, int]) -> tuple[Drill, bool]:
        """The drill level from the URL, within the viewer's scope and chosen countries, never above their
        starting level; False when the value was invalid (the starting level, or the valid part of the
        value, is returned)."""
        start = cls.start(f, country_region)
        if not value:
            return start, True
        parts = value.split("/", 2)
        try:
            region = int(parts[0])
        except ValueError:
            return start, False
        visible = f.visible_regions
        if region not in set(country_region.values()) or (visible is not None and region not in visible):
            return start, False
        if start.region is not None and region != start.region:
            return start, False
        country = parts[1] if len(parts) > 1 and parts[1] else None
        countries = f.visible_countries
        if country is not None and (country_region.get(country) != region
                                    or (countries is not None and country not in countries)):
            return (start if start.depth > 1 else cls(region)), False
        if country is None and start.country is not None:
            return start, True
        city = parts[2] if len(parts) > 2 and parts[2] else None
        return cls(region, country, city), True

    def narrow(self, f: Filters) -> Filters:
        """The filters restricted to the drilled region and country (never wider than the scope or the
        chosen countries). The city is applied by `queries.geo.in_city`, which needs the data."""
        if self.region is None:
            return f
        return replace(f, regions=(self.region,), countries=(self.country,) if self.country else f.countries)

    def up(self) -> Drill:
        if self.city is not None:
            return Drill(self.region, self.country)
        if self.country is not None:
            return Drill(self.region)
        return Drill()

    def trail(self, start: Drill) -> list[Drill]:
        """The levels from `start` down to this one, for the breadcrumb."""
        levels = [self]
        while levels[-1].depth > start.depth:
            levels.append(levels[-1].up())
        return levels[::-1]
