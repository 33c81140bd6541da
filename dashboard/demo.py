"""The deterministic demo CRM: a multinational company's customers, sales, service and feedback.

Same seed, customers and `as_of` day, same rows on every backend. Customers are generated in
fixed-size batches, each with its own random stream, so memory stays bounded at a million customers
and the rows never depend on where they are written. The patterns planted here, and the magnitudes
the data is tuned to, are listed in docs/demo-data.md; tests check that the dashboard finds them.

The company is not new: most customers were won before the four years of history, and the history
starts with them already buying. Each market's customer base grows (or shrinks) at its own yearly
rate, which is what its revenue does too. Survey comments come from `data/demo/comments.toml`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import polars as pl
from sqlalchemy import Engine, inspect, select

from dashboard import schema
from dashboard.db import DatabaseError, connect_or_explain, insert_frame, writable_engine
from dashboard.paths import PROJECT_ROOT
from dashboard.reference import cities_by_country, country_rows, default_regions

BATCH_CUSTOMERS = 20_000
# The embedded demo database: its size and seed.
DEFAULT_CUSTOMERS = 20_000
DEFAULT_SEED = 7
HISTORY_DAYS = 4 * 365
SECONDS_PER_DAY = 86_400
HOUR = 3_600
YEAR = 365 * SECONDS_PER_DAY
HORIZON = HISTORY_DAYS * SECONDS_PER_DAY
# FX rates start a month before the history, so a rate "on or before" a date always exists.
FX_LEAD_DAYS = 31
# The oldest customers were won this long before the history starts.
MAX_TENURE_YEARS = 15
# What `write_demo` writes into `meridian_meta`: the mark of a database it may replace.
GENERATOR = "meridian generate"

REGIONS: tuple[tuple[int, str, str, str], ...] = tuple(default_regions().iter_rows())


@dataclass(frozen=True)
class Market:
    weight: float  # share of the customer records
    growth: float  # yearly growth of the customer base, and so of revenue (0.08: +8 % a year)
    languages: Mapping[str, float]  # the customers' languages and their shares
    churn: float = 1.0  # multiplies the segment's yearly churn
    mood: float = 0.0  # shifts NPS scores (points on the 0-10 scale)


MARKETS: dict[str, Market] = {
    "US": Market(30, 0.08, {"en": 0.88, "es": 0.12}),
    "CA": Market(5, 0.07, {"en": 0.75, "fr": 0.25}),
    "MX": Market(4, 0.10, {"es": 0.95, "en": 0.05}),
    "BR": Market(6, -0.20, {"pt": 0.97, "en": 0.03}, churn=1.8),
    "AR": Market(1.5, 0.06, {"es": 0.95, "en": 0.05}),
    "CL": Market(1.5, 0.08, {"es": 0.95, "en": 0.05}),
    "CO": Market(1.5, 0.10, {"es": 0.95, "en": 0.05}),
    "GB": Market(10, 0.06, {"en": 1.0}),
    "DE": Market(10, 0.06, {"de": 0.9, "en": 0.1}),
    "FR": Market(7, 0.07, {"fr": 0.92, "en": 0.08}),
    "NL": Market(3, 0.08, {"nl": 0.7, "en": 0.3}),
    "ES": Market(4, 0.09, {"es": 0.92, "en": 0.08}),
    "IT": Market(4, -0.15, {"it": 0.92, "en": 0.08}, churn=1.6),
    "SE": Market(2, 0.07, {"sv": 0.6, "en": 0.4}),
    "PL": Market(2.5, 0.12, {"pl": 0.85, "en": 0.15}),
    "CH": Market(2, 0.06, {"de": 0.6, "fr": 0.25, "it": 0.05, "en": 0.1}),
    "HU": Market(1, 0.09, {"hu": 0.8, "en": 0.2}),
    "RS": Market(0.5, 0.10, {"sr": 0.8, "en": 0.2}),
    "TR": Market(1.5, 0.12, {"tr": 0.9, "en": 0.1}),
    # The growth markets: young customer bases, and happy ones.
    "AE": Market(4, 0.65, {"en": 0.6, "ar": 0.4}, mood=0.4),
    "SA": Market(2, 0.14, {"ar": 0.6, "en": 0.4}),
    "ZA": Market(2, 0.06, {"en": 0.85, "af": 0.15}),
    "NG": Market(1, 0.12, {"en": 1.0}),
    "JP": Market(9, 0.06, {"ja": 0.92, "en": 0.08}),
    "KR": Market(4, 0.10, {"ko": 0.9, "en": 0.1}),
    "SG": Market(3, 0.10, {"en": 0.75, "zh": 0.25}),
    "AU": Market(5, 0.07, {"en": 1.0}),
    "NZ": Market(1, 0.06, {"en": 1.0}),
    "IN": Market(6, 0.55, {"en": 0.8, "hi": 0.2}, mood=0.4),
    "ID": Market(3, 0.13, {"id": 0.85, "en": 0.15}),
    "TH": Market(2.5, 0.10, {"th": 0.85, "en": 0.15}),
    "MY": Market(2, 0.09, {"ms": 0.5, "en": 0.35, "zh": 0.15}),
    "VN": Market(3.5, 0.65, {"vi": 0.85, "en": 0.15}, mood=0.4),
    "PH": Market(1.5, 0.12, {"en": 0.6, "tl": 0.4}),
    "CN": Market(14, 0.11, {"zh": 0.97, "en": 0.03}),
    "HK": Market(3, 0.05, {"zh": 0.8, "en": 0.2}),
    "TW": Market(3, 0.07, {"zh": 0.95, "en": 0.05}),
}


@dataclass(frozen=True)
class Segment:
    share: float  # of the customer records
    churn: float  # yearly rate at which customers stop all activity
    orders: float  # per customer and year
    order_usd: float  # median order value
    interactions: float  # per customer and year
    tickets: float  # per customer and year
    deals: float  # opportunities opened per customer and year
    cycle_days: float  # median days from opening a deal to closing it
    win_rate: float


SEGMENTS: dict[str, Segment] = {
    "Enterprise": Segment(0.10, 0.05, 6.0, 7_000.0, 9.0, 1.6, 1.2, 120, 0.26),
    "Mid-market": Segment(0.25, 0.08, 3.0, 3_000.0, 5.0, 1.0, 0.8, 55, 0.32),
    "SMB": Segment(0.35, 0.12, 1.5, 800.0, 2.8, 0.6, 0.5, 21, 0.38),
    "Consumer": Segment(0.30, 0.25, 0.6, 120.0, 2.0, 0.25, 0.04, 6, 0.50),
}
# A market shrinking faster than its customers churn would need more customers before the history
# than exist: its churn is raised so that the base still shrinks at the market's own rate.
MIN_NET_CHURN = 0.05


@dataclass(frozen=True)
class TeamSpec:
    """A team of the organisation: who it serves is decided by country (and, for some sales teams, by
    segment), not by the customers' region."""

    name: str
    kind: str  # sales, service, success
    office: str
    timezone: str
    countries: tuple[str, ...]
    # Share of the team's reps who speak each language (at least one rep for every language listed).
    languages: Mapping[str, float]
    segments: tuple[str, ...] = ()  # sales teams serving only some segments
    quota_growth: float = 0.10  # sales: targets ask this much over the same months a year before
    response: float = 1.0  # service: multiplies first response times
    work: float = 1.0  # service: multiplies the work to resolve a ticket
    response_target_h: float = 2.5  # service: monthly target of the median first response
    # success: shares of detractors followed up within 2 days, within 7 days, within 30 days, never.
    follow_up: tuple[float, float, float, float] = (0.72, 0.16, 0.0, 0.12)


AMER = ("US", "CA", "MX", "BR", "AR", "CL", "CO")
EMEA = ("GB", "DE", "FR", "NL", "ES", "IT", "SE", "PL", "CH", "HU", "RS", "TR", "AE", "SA", "ZA", "NG")
APAC = ("JP", "KR", "SG", "AU", "NZ", "IN", "ID", "TH", "MY", "VN", "PH")
GCHN = ("CN", "HK", "TW")
SLOW_SERVICE_TEAM = "Central & Eastern Europe Service"
SLOW_FOLLOW_UP_TEAM = "APAC Success"
LANGUAGE_GAP_TEAM = "North Asia"
TEAMS: tuple[TeamSpec, ...] = (
    TeamSpec("North America Enterprise", "sales", "New York", "America/New_York", ("US", "CA"),
             {"en": 1, "es": 0.2, "fr": 0.3}, segments=("Enterprise",)),
    TeamSpec("North America Commercial", "sales", "Chicago", "America/Chicago", ("US", "CA"),
             {"en": 1, "es": 0.3, "fr": 0.2}),
    TeamSpec("Mexico & Andean", "sales", "Mexico City", "America/Mexico_City", ("MX", "CO"),
             {"es": 1, "en": 0.7}),
    TeamSpec("Brazil & Southern Cone", "sales", "São Paulo", "America/Sao_Paulo", ("BR", "AR", "CL"),
             {"pt": 1, "es": 0.6, "en": 0.7}, quota_growth=0.05),
    TeamSpec("DACH", "sales", "Munich", "Europe/Berlin", ("DE", "CH"),
             {"de": 1, "en": 0.9, "fr": 0.3, "it": 0.1}),
    TeamSpec("UK, Benelux & Nordics", "sales", "London", "Europe/London", ("GB", "NL", "SE"),
             {"en": 1, "nl": 0.5, "sv": 0.4, "de": 0.2}),
    TeamSpec("France", "sales", "Paris", "Europe/Paris", ("FR",), {"fr": 1, "en": 0.8}),
    TeamSpec("Southern Europe", "sales", "Madrid", "Europe/Madrid", ("ES", "IT"),
             {"es": 0.7, "it": 0.6, "en": 0.8}, quota_growth=0.04),
    TeamSpec("Central & Eastern Europe", "sales", "Warsaw", "Europe/Warsaw", ("PL", "HU", "RS", "TR"),
             {"pl": 0.7, "en": 1, "hu": 0.4, "sr": 0.3, "tr": 0.4, "de": 0.3}),
    TeamSpec("Middle East & Africa", "sales", "Dubai", "Asia/Dubai", ("AE", "SA", "ZA", "NG"),
             {"en": 1, "ar": 0.7, "af": 0.2, "hi": 0.2}, quota_growth=0.25),
    TeamSpec(LANGUAGE_GAP_TEAM, "sales", "Singapore", "Asia/Singapore", ("JP", "KR"),
             {"en": 1, "zh": 0.5, "ja": 0.2, "ko": 0.1}),
    TeamSpec("Singapore hub", "sales", "Singapore", "Asia/Singapore", ("SG", "MY", "ID", "TH", "VN", "PH"),
             {"en": 1, "zh": 0.5, "ms": 0.6, "id": 0.6, "th": 0.5, "vi": 0.5, "tl": 0.4}, quota_growth=0.2),
    TeamSpec("India", "sales", "Bengaluru", "Asia/Kolkata", ("IN",), {"en": 1, "hi": 0.8}, quota_growth=0.3),
    TeamSpec("Australia & New Zealand", "sales", "Sydney", "Australia/Sydney", ("AU", "NZ"), {"en": 1}),
    TeamSpec("Greater China Key Accounts", "sales", "Beijing", "Asia/Shanghai", GCHN,
             {"zh": 1, "en": 0.7}, segments=("Enterprise",)),
    TeamSpec("China Commercial", "sales", "Shanghai", "Asia/Shanghai", ("CN",), {"zh": 1, "en": 0.4}),
    TeamSpec("Hong Kong & Taiwan", "sales", "Hong Kong", "Asia/Hong_Kong", ("HK", "TW"),
             {"zh": 1, "en": 0.9}),
    TeamSpec("Americas Service", "service", "Austin", "America/Chicago", ("US", "CA"),
             {"en": 1, "es": 0.35, "fr": 0.25}, response=0.9, work=0.9),
    TeamSpec("Latin America Service", "service", "Mexico City", "America/Mexico_City",
             ("MX", "BR", "AR", "CL", "CO"), {"es": 1, "pt": 0.75, "en": 0.6}, response=1.1, work=1.05),
    TeamSpec("EMEA Service", "service", "Dublin", "Europe/Dublin",
             ("GB", "DE", "FR", "NL", "ES", "IT", "SE", "CH"),
             {"en": 1, "de": 0.4, "fr": 0.35, "es": 0.25, "it": 0.25, "nl": 0.2, "sv": 0.15},
             response=0.85, work=0.8),
    TeamSpec(SLOW_SERVICE_TEAM, "service", "Warsaw", "Europe/Warsaw", ("PL", "HU", "RS", "TR"),
             {"pl": 0.8, "en": 1, "hu": 0.3, "sr": 0.3, "tr": 0.4}, response=3.0, work=1.35),
    TeamSpec("Middle East & Africa Service", "service", "Dubai", "Asia/Dubai", ("AE", "SA", "ZA", "NG"),
             {"en": 1, "ar": 0.6, "af": 0.1}, response=1.05, work=1.1),
    TeamSpec("APAC Service", "service", "Kuala Lumpur", "Asia/Kuala_Lumpur", APAC,
             {"en": 1, "zh": 0.5, "ms": 0.5, "id": 0.4, "th": 0.3, "vi": 0.3, "hi": 0.3, "tl": 0.3,
              "ja": 0.1, "ko": 0.05}, response=1.2, work=1.15),
    TeamSpec("Greater China Service", "service", "Guangzhou", "Asia/Shanghai", GCHN, {"zh": 1, "en": 0.5},
             response=0.75, work=0.9, response_target_h=2.0),
    TeamSpec("Americas Success", "success", "Toronto", "America/Toronto", AMER, {"en": 1, "es": 0.4, "pt": 0.3}),
    TeamSpec("EMEA Success", "success", "Amsterdam", "Europe/Amsterdam", EMEA,
             {"en": 1, "de": 0.4, "fr": 0.3, "nl": 0.3}),
    TeamSpec(SLOW_FOLLOW_UP_TEAM, "success", "Sydney", "Australia/Sydney", APAC, {"en": 1, "zh": 0.3},
             follow_up=(0.22, 0.3, 0.18, 0.3)),
    TeamSpec("Greater China Success", "success", "Shanghai", "Asia/Shanghai", GCHN, {"zh": 1, "en": 0.6}),
)
# Customers a rep looks after: an account manager per segment (enterprise accounts need far more
# attention), a service or success rep per customer served.
ACCOUNTS_PER_REP = {"Enterprise": 40, "Mid-market": 120, "SMB": 250, "Consumer": 1_000}
CUSTOMERS_PER_REP = {"service": 350, "success": 900}

# The planted troubles (docs/demo-data.md).
FALLING_NPS_MARKET = "BR"
SLOW_SERVICE_MARKET = "BR"
CHURNING_MARKET = "FR"
TROUBLED_PARTNER_NAME = "Orion Distribution GmbH"
TROUBLED_PARTNER_SHARE = 0.2  # of its region's customers with a partner: the region's largest distributor
TROUBLE_WINDOW_DAYS = 270

# USD for one unit, around the start of the history; the daily path is a seeded random walk.
BASE_RATES: dict[str, float] = {
    "USD": 1.0, "EUR": 1.08, "GBP": 1.27, "JPY": 0.0067, "CNY": 0.138, "HKD": 0.128,
    "TWD": 0.031, "KRW": 0.00074, "SGD": 0.74, "AUD": 0.66, "NZD": 0.60, "INR": 0.012,
    "IDR": 0.000062, "THB": 0.028, "MYR": 0.22, "VND": 0.000039, "PHP": 0.0175, "CAD": 0.73,
    "MXN": 0.055, "BRL": 0.19, "ARS": 0.0011, "CLP": 0.0011, "COP": 0.00025, "SEK": 0.095,
    "PLN": 0.25, "CHF": 1.12, "AED": 0.2723, "SAR": 0.2667, "ZAR": 0.054, "TRY": 0.031,
    "NGN": 0.00065, "HUF": 0.0027, "RSD": 0.0092,
}
CURRENCIES = tuple(sorted(BASE_RATES))
PEGGED = {"USD", "AED", "SAR", "HKD"}
DEPRECIATING = {"ARS": -0.0012, "TRY": -0.0008, "NGN": -0.0010}

MESSAGING_CHANNEL = {
    "CN": "WeChat", "JP": "LINE", "TW": "LINE", "TH": "LINE",
    "BR": "WhatsApp", "IN": "WhatsApp", "ID": "WhatsApp", "MX": "WhatsApp",
}
SEASONALITY = {  # relative order volume by month, per region
    1: (0.8, 0.9, 1.0, 1.0, 1.0, 1.0, 0.9, 0.8, 1.0, 1.1, 1.2, 1.5),
    2: (0.9, 1.0, 1.1, 1.0, 1.0, 1.0, 0.8, 0.6, 1.1, 1.1, 1.2, 1.3),
    3: (1.0, 0.9, 1.2, 1.0, 1.0, 1.1, 1.0, 1.0, 1.0, 1.0, 1.1, 1.2),
    4: (1.2, 0.6, 1.0, 1.0, 1.0, 1.1, 1.0, 1.0, 1.0, 0.9, 1.5, 1.2),
}

INDUSTRIES = ("Manufacturing", "Retail", "Financial services", "Healthcare", "Technology",
              "Logistics", "Energy", "Education", "Media", "Hospitality")
SIZE_BANDS = ("1-49", "50-249", "250-999", "1000-4999", "5000+")
PRODUCT_LINES = ("Platform", "Analytics", "Services", "Support", "Devices")
PRIORITIES = ("urgent", "high", "normal", "low")
PRIORITY_P = (0.05, 0.20, 0.60, 0.15)
SLA_HOURS = (8, 24, 72, 120)
# Median hours to a first response and of work to resolve, per priority, at a team's normal pace.
FIRST_RESPONSE_H = (0.6, 1.4, 2.6, 4.0)
WORK_H = (2.6, 8.0, 24.0, 40.0)
CATEGORIES = ("billing", "technical", "onboarding", "delivery", "account")
PARTNER_KINDS = ("reseller", "distributor", "agency", "integrator")
DEAL_STAGES = ("qualify", "propose", "negotiate")
LEGAL_FORM = {"US": "Inc.", "CA": "Inc.", "GB": "Ltd", "DE": "GmbH", "CH": "AG", "FR": "SAS",
              "ES": "S.L.", "IT": "S.r.l.", "NL": "B.V.", "SE": "AB", "PL": "Sp. z o.o.",
              "BR": "Ltda.", "MX": "S.A. de C.V.", "JP": "K.K.", "AU": "Pty Ltd", "IN": "Pvt Ltd",
              "SG": "Pte Ltd", "HK": "Limited", "KR": "Co., Ltd."}
NAME_STEMS = ("Apex", "Blue", "Cedar", "Delta", "Ever", "Falcon", "Global", "Harbor", "Iris", "Jade",
              "Kite", "Lumen", "Maple", "Nova", "Ocean", "Pioneer", "Quartz", "River", "Summit",
              "Terra", "Unity", "Vertex", "Willow", "Zenith")
NAME_ENDS = ("Systems", "Logistics", "Foods", "Health", "Energy", "Labs", "Retail", "Works",
             "Capital", "Motors", "Textiles", "Media", "Pharma", "Digital", "Trading")
CN_STEMS = ("华", "盛", "东方", "新", "中", "金", "龙", "天", "长城", "恒", "瑞", "安")
CN_ENDS = ("科技", "贸易", "实业", "电子", "物流", "医药", "能源", "传媒")
GIVEN = ("Anna", "Ben", "Carla", "David", "Elena", "Felix", "Grace", "Hugo", "Ines", "Jonas",
         "Keiko", "Luis", "Maya", "Noah", "Olga", "Priya", "Ravi", "Sofia", "Tom", "Yuki")
FAMILY = ("Smith", "Müller", "Martin", "Rossi", "Silva", "Tanaka", "Kim", "Nguyen", "Sharma",
          "Garcia", "Novak", "Cohen", "Okafor", "Jensen", "Lopez", "Dubois", "Ito", "Park")
CN_GIVEN = ("伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "婷")
CN_FAMILY = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周")
GDPR = {"DE", "FR", "NL", "ES", "IT", "SE", "PL", "HU"}
REGIME_BY_COUNTRY = {**dict.fromkeys(GDPR, "GDPR"), "GB": "GDPR", "CN": "PIPL", "US": "CCPA",
                     "BR": "LGPD"}
REQUEST_DAYS = {"GDPR": 30, "PIPL": 15, "CCPA": 45, "LGPD": 15}

# Feedback. NPS surveys per customer and year; shares of resolved tickets asked for CSAT or CES.
NPS_PER_YEAR = 0.5
CSAT_SHARE, CES_SHARE = 0.4, 0.25
NPS_MOOD = 8.2  # mean score before planted troubles; about +25 NPS
LANGUAGE_GAP_MOOD = 0.6  # points lost where the customer's rep does not speak their language
# Chance that a detractor stops buying within weeks of the response: followed up within 2 days,
# within 7 days, within 30 days, never.
DETRACTOR_CHURN = (0.06, 0.15, 0.2, 0.4)
COMMENTS_FILE = PROJECT_ROOT / "data" / "demo" / "comments.toml"
THEMES = ("price", "delivery", "support_speed", "product_quality", "communication", "billing", "onboarding")
GOOD, BAD = 0, 1
# What comments are about when nothing in particular went wrong (or right).
THEME_WEIGHTS = np.array([
    (0.08, 0.08, 0.20, 0.28, 0.12, 0.04, 0.20),  # good
    (0.22, 0.10, 0.18, 0.15, 0.08, 0.12, 0.15),  # bad
])
# Chance of a comment by sentiment: praise, mixed (a passive), complaint.
COMMENT_P = (0.40, 0.25, 0.55)
SECOND_THEME_P = 0.3
CATEGORY_THEME = {"billing": "billing", "technical": "product_quality", "onboarding": "onboarding",
                  "delivery": "delivery", "account": "communication"}


def default_as_of() -> dt.date:
    """Yesterday: the last complete day."""
    return dt.date.today() - dt.timedelta(days=1)


@dataclass(frozen=True)
class Plan:
    """What to generate: everything follows from these three values.

    `as_of` is the last day of the history, a complete day: events run up to midnight after it."""

    customers: int
    seed: int
    as_of: dt.date

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.as_of + dt.timedelta(days=1), dt.time())

    @property
    def start(self) -> dt.datetime:
        return self.end - dt.timedelta(days=HISTORY_DAYS)

    def rng(self, *stream: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, *stream])


@dataclass(frozen=True)
class RepPool:
    """A team's reps sorted by hire time (seconds from the history start), to pick those hired by a
    given moment."""

    ids: np.ndarray
    hired: np.ndarray

    def pick(self, rng: np.random.Generator, at: np.ndarray) -> np.ndarray:
        """A rep for each moment, uniformly among those hired by then (the first hired at least)."""
        eligible = np.maximum(np.searchsorted(self.hired, at, side="right"), 1)
        return self.ids[(rng.random(at.shape[0]) * eligible).astype(np.int64)]


@dataclass(frozen=True)
class Season:
    """A region's buying season as a clock: business time runs faster in busy months. Events spaced
    evenly in business time fall seasonally in calendar time, without thinning them at random (which
    would make a small market's year-on-year change mostly noise)."""

    calendar: np.ndarray  # seconds from the history start, at every midnight
    business: np.ndarray  # business seconds elapsed by then; the history is as long in both

    @classmethod
    def of(cls, plan: Plan, by_month: tuple[float, ...]) -> Season:
        days = pl.date_range(plan.start.date(), plan.as_of, eager=True).dt.month().to_numpy() - 1
        pace = np.array(by_month)[days] / np.mean(by_month)
        return cls(np.arange(HISTORY_DAYS + 1) * float(SECONDS_PER_DAY),
                   np.concatenate([[0.0], np.cumsum(pace)]) * SECONDS_PER_DAY)

    def to_business(self, at: np.ndarray) -> np.ndarray:
        return np.interp(at, self.calendar, self.business)

    def to_calendar(self, b: np.ndarray) -> np.ndarray:
        return np.interp(b, self.business, self.calendar)


@dataclass(frozen=True)
class World:
    """Countries, organisation, partners and exchange rates: the frame the customers are drawn into."""

    countries: pl.DataFrame
    cities: dict[str, pl.DataFrame]
    teams: pl.DataFrame
    reps: pl.DataFrame
    partners: pl.DataFrame
    fx: np.ndarray = field(repr=False)  # USD per unit: [CURRENCIES index, day from FX_LEAD_DAYS before start]
    sales_team: dict[tuple[str, str], int] = field(repr=False)  # (country, segment) -> team id
    service_team: dict[str, int] = field(repr=False)  # country -> team id
    success_team: dict[str, int] = field(repr=False)  # country -> team id
    pools: dict[int, RepPool] = field(repr=False)  # team id -> its reps
    seasons: dict[int, Season] = field(repr=False)  # region id -> its order season
    speakers: dict[str, np.ndarray] = field(repr=False)  # language -> flag per rep id
    partners_by_region: dict[int, np.ndarray] = field(repr=False)
    troubled_partner_id: int = 0

    def speaks(self, rep: np.ndarray, language: np.ndarray) -> np.ndarray:
        """Whether each rep speaks the language next to it."""
        out = np.zeros(rep.shape[0], dtype=bool)
        for lang in np.unique(language):
            if lang in self.speakers:
                mask = language == lang
                out[mask] = self.speakers[lang][rep[mask]]
        return out


def build_world(plan: Plan) -> World:
    rng = plan.rng(0)
    countries = country_rows(MARKETS)  # the reference geography of the served countries
    cities = {iso2: cities_by_country()[iso2].head(25) for iso2 in MARKETS}
    region_of = dict(zip(countries["iso2"], countries["region_id"], strict=True))
    total_weight = sum(m.weight for m in MARKETS.values())
    teams, reps = [], []
    sales_team, service_team, success_team = {}, {}, {}
    for spec in TEAMS:
        team_id = len(teams) + 1
        load = 0.0  # reps needed
        for iso2 in spec.countries:
            for name, segment in SEGMENTS.items():
                if spec.kind == "sales" and ((spec.segments and name not in spec.segments)
                                             or (iso2, name) in sales_team):
                    continue
                if spec.kind == "sales":
                    sales_team[(iso2, name)] = team_id
                served = plan.customers * MARKETS[iso2].weight / total_weight * segment.share
                load += served / (ACCOUNTS_PER_REP[name] if spec.kind == "sales" else CUSTOMERS_PER_REP[spec.kind])
            (service_team if spec.kind == "service" else success_team if spec.kind == "success"
             else {})[iso2] = team_id
        size = max(3 if spec.kind != "success" else 2, round(load))
        # The manager first, then the reps; a Chinese-speaking team has Chinese names.
        names = _people(rng, np.full(size + 1, next(iter(spec.languages)) == "zh"))
        teams.append({"id": team_id, "name": spec.name, "region_id": region_of[spec.countries[0]],
                      "kind": spec.kind, "manager": names[0], "office": spec.office})
        speaks = {lang: set(rng.choice(size, size=max(1, round(share * size)), replace=False).tolist())
                  for lang, share in spec.languages.items()}
        for i, hired in enumerate(_hire_days(rng, size, spec.kind == "sales")):
            reps.append({
                "id": len(reps) + 1, "team_id": team_id, "name": names[i + 1],
                "languages": ",".join(lang for lang in spec.languages if i in speaks[lang]),
                "hired_at": plan.start.date() + dt.timedelta(days=int(hired)), "timezone": spec.timezone,
            })
    teams_df, reps_df = pl.DataFrame(teams), pl.DataFrame(reps)
    pools = {}
    for (team_id,), frame in reps_df.group_by("team_id", maintain_order=True):
        frame = frame.with_columns(
            ((pl.col("hired_at") - pl.lit(plan.start.date())).dt.total_days() * SECONDS_PER_DAY).alias("s")
        ).sort("s", "id")
        pools[int(team_id)] = RepPool(frame["id"].to_numpy(), frame["s"].to_numpy().astype(float))
    speakers = {}
    for lang in {lang for spec in TEAMS for lang in spec.languages}:
        flag = np.zeros(reps_df.height + 1, dtype=bool)
        flag[reps_df.filter(pl.col("languages").str.split(",").list.contains(lang))["id"].to_numpy()] = True
        speakers[lang] = flag

    n_partners = int(np.clip(plan.customers // 250, 24, 2_000))
    weights = np.array([m.weight for m in MARKETS.values()])
    partner_countries = rng.choice(list(MARKETS), size=n_partners, p=weights / weights.sum())
    partner_countries[0] = "DE"  # the troubled partner
    partner_names = _companies(rng, partner_countries) + " Partners"
    partner_names[0] = TROUBLED_PARTNER_NAME
    partners = []
    for i, (iso2, name) in enumerate(zip(partner_countries, partner_names, strict=True)):
        partners.append({
            "id": i + 1, "name": name, "kind": str(rng.choice(PARTNER_KINDS)),
            "country_iso2": str(iso2),
            "tier": str(rng.choice(("platinum", "gold", "silver"), p=(0.15, 0.35, 0.5))),
            "status": "active" if i == 0 else str(rng.choice(
                ("active", "onboarding", "suspended", "terminated"), p=(0.82, 0.08, 0.05, 0.05))),
            "signed_at": plan.as_of - dt.timedelta(days=int(rng.integers(200, HISTORY_DAYS + 600))),
            "certification": (str(rng.choice(("certified", "advanced", "expert")))
                              if rng.random() < 0.7 else None),
        })
    partners_df = pl.DataFrame(partners)
    partners_by_region = {
        region_id: np.array([p["id"] for p in partners
                             if region_of[p["country_iso2"]] == region_id and p["status"] != "terminated"])
        for region_id, *_ in REGIONS
    }
    seasons = {region_id: Season.of(plan, SEASONALITY[region_id]) for region_id, *_ in REGIONS}
    return World(countries, cities, teams_df, reps_df, partners_df, fx_paths(plan), sales_team, service_team,
                 success_team, pools, seasons, speakers, partners_by_region, 1)


def _hire_days(rng: np.random.Generator, size: int, sales: bool) -> np.ndarray:
    """Hire days relative to the history start: most reps were there before it, some joined during it
    (they own only customers won since), and a sales team of five or more has one recent hire with
    too little business yet to rank."""
    days = np.where(rng.random(size) < 0.85, -rng.uniform(30, 8 * 365, size),
                    rng.uniform(0, HISTORY_DAYS - 150, size))
    days[0] = -rng.uniform(365, 8 * 365)  # someone is always there
    if sales and size >= 5:
        days[-1] = HISTORY_DAYS - rng.uniform(20, 110)
    return np.floor(days)


def _strings(values: np.ndarray) -> pl.Series:
    """A string column from a numpy array that may hold None (numpy keeps those as objects)."""
    return pl.Series(values.tolist(), dtype=pl.String)


def _words(rng: np.random.Generator, words: tuple[str, ...], n: int) -> np.ndarray:
    return np.array(words, dtype=object)[rng.integers(0, len(words), n)]


def _people(rng: np.random.Generator, chinese: np.ndarray) -> np.ndarray:
    """Full names: Chinese ones (family name first, no space) where `chinese`, international elsewhere."""
    n = chinese.shape[0]
    han = _words(rng, CN_FAMILY, n) + _words(rng, CN_GIVEN, n) + _words(rng, CN_GIVEN, n)
    return np.where(chinese, han, _words(rng, GIVEN, n) + " " + _words(rng, FAMILY, n))


def _companies(rng: np.random.Generator, country: np.ndarray) -> np.ndarray:
    """Company names with the legal form of their country."""
    n = country.shape[0]
    form = np.array([LEGAL_FORM.get(c, "Ltd") for c in country], dtype=object)
    han = _words(rng, CN_STEMS, n) + _words(rng, CN_ENDS, n) + "有限公司"
    return np.where(np.isin(country, ("CN", "TW")), han,
                    _words(rng, NAME_STEMS, n) + " " + _words(rng, NAME_ENDS, n) + " " + form)


def _phones(rng: np.random.Generator, n: int) -> np.ndarray:
    code = rng.integers(1, 99, n).astype(str).astype(object)
    return "+" + code + " " + rng.integers(10**8, 10**9, n).astype(str).astype(object)


def fx_paths(plan: Plan) -> np.ndarray:
    """USD per unit of every currency in CURRENCIES, one column per day from FX_LEAD_DAYS before the
    history start to `as_of`: a seeded random walk (its stream fixed per currency), pegged or drifting
    down where the currency does."""
    days = HISTORY_DAYS + FX_LEAD_DAYS
    paths = np.empty((len(CURRENCIES), days))
    for i, currency in enumerate(CURRENCIES):
        if currency in PEGGED:
            paths[i] = BASE_RATES[currency]
        else:
            steps = plan.rng(1, i).normal(DEPRECIATING.get(currency, 0.0), 0.004, days)
            paths[i] = BASE_RATES[currency] * np.exp(np.cumsum(steps))
    return np.round(paths, 8)


def fx_frame(plan: Plan, fx: np.ndarray) -> pl.DataFrame:
    first = plan.start.date() - dt.timedelta(days=FX_LEAD_DAYS)
    dates = pl.date_range(first, plan.as_of, eager=True)
    return pl.concat([pl.DataFrame({"date": dates, "currency": currency, "rate_to_base": fx[i]})
                      for i, currency in enumerate(CURRENCIES)])


def _to_local(world: World, usd: np.ndarray, currency: np.ndarray, at: np.ndarray) -> np.ndarray:
    """USD amounts in their currency at the rate of their day: prices follow the exchange rate, so a
    depreciating currency does not shrink revenue in USD."""
    index = {c: i for i, c in enumerate(CURRENCIES)}
    row = np.array([index[c] for c in currency], dtype=np.int64)
    day = (at // SECONDS_PER_DAY).astype(np.int64) + FX_LEAD_DAYS
    return np.round(usd / world.fx[row, day], 2)


def _spread(rng: np.random.Generator, per_year: np.ndarray, begin: np.ndarray, end: np.ndarray,
            ) -> tuple[np.ndarray, np.ndarray]:
    """Events at a steady yearly rate per customer between `begin` and `end` (seconds): the customer
    index of each event and its time."""
    span = np.maximum(end - begin, 0)
    who = np.repeat(np.arange(per_year.shape[0]), rng.poisson(per_year * span / YEAR))
    return who, begin[who] + rng.random(who.shape[0]) * span[who]


def _cadence(rng: np.random.Generator, per_year: np.ndarray, begin: np.ndarray, end: np.ndarray,
             ) -> tuple[np.ndarray, np.ndarray]:
    """Events at a regular rhythm per customer (its own phase, each event up to a fifth of an interval
    early or late) between `begin` and `end`: how businesses reorder.

    The rhythm runs from one interval before `begin` to one after `end` and only the events inside are
    kept, so the edges of the history get as many orders as any other stretch of time."""
    interval = YEAR / per_year
    phase = rng.random(per_year.shape[0]) * interval
    count = np.floor((end - begin - phase) / interval).astype(np.int64) + 3  # from one before to one after
    who = np.repeat(np.arange(per_year.shape[0]), count)
    nth = np.arange(who.shape[0]) - np.repeat(np.cumsum(count) - count, count) - 1
    at = begin[who] + phase[who] + (nth + rng.uniform(-0.2, 0.2, who.shape[0])) * interval[who]
    inside = (at >= begin[who]) & (at < end[who])
    return who[inside], at[inside]


def _to_datetime(plan: Plan, seconds: np.ndarray) -> pl.Series:
    """Whole seconds (every backend stores those exactly) after the history start; NaN becomes null."""
    epoch = (plan.start - dt.datetime(1970, 1, 1)).total_seconds()
    values = pl.Series(np.floor(seconds) + epoch, nan_to_null=True).cast(pl.Int64)
    return pl.from_epoch(values, time_unit="s").cast(pl.Datetime("us"))


def _pick_weighted(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One column index per row of `weights` (rows need not sum to one)."""
    cumulative = np.cumsum(weights, axis=1)
    return (cumulative < rng.random(weights.shape[0])[:, None] * cumulative[:, -1:]).sum(axis=1)


@dataclass
class Counters:
    """Next id of every event table, carried across batches."""

    ids: dict[str, int] = field(default_factory=lambda: dict.fromkeys(schema.TABLE_ORDER, 1))

    def take(self, table: str, n: int) -> np.ndarray:
        first = self.ids[table]
        self.ids[table] = first + n
        return np.arange(first, first + n, dtype=np.int64)


def customer_batches(plan: Plan, world: World) -> Iterator[dict[str, pl.DataFrame]]:
    """Yields, batch by batch, the rows of every customer-related table."""
    counters = Counters()
    batches = (plan.customers + BATCH_CUSTOMERS - 1) // BATCH_CUSTOMERS
    for b in range(batches):
        first = b * BATCH_CUSTOMERS + 1
        n = min(BATCH_CUSTOMERS, plan.customers - first + 1)
        yield _batch(plan, world, plan.rng(2, b), first, n, counters)


@dataclass(frozen=True)
class Base:
    """Who the customers of a batch are, and when they buy: the columns every event table draws on."""

    ids: np.ndarray
    country: np.ndarray
    region: np.ndarray
    segment: np.ndarray
    language: np.ndarray
    owner: np.ndarray
    partner: np.ndarray
    created: np.ndarray  # seconds from the history start; before it for the existing base
    begin: np.ndarray  # first moment of activity in the history
    end: np.ndarray  # last moment of activity (the horizon, or when the customer stopped)
    size: np.ndarray  # how much the customer buys, against the segment's median
    engagement: np.ndarray  # how often the customer talks to the company, against the segment's rate

    def rate(self, column: str) -> np.ndarray:
        """The segment's yearly rate of `column` for each customer; contact (not buying) varies by customer."""
        rate = np.array([getattr(SEGMENTS[s], column) for s in self.segment])
        return rate if column == "orders" else rate * self.engagement


def _lifetimes(rng: np.random.Generator, country: np.ndarray, segment: np.ndarray,
               ) -> tuple[np.ndarray, np.ndarray]:
    """When each customer was won and when they stop (seconds from the history start; the stop may
    lie past the horizon).

    Customers are won at a rate growing at the market's yearly rate g and each stops at its segment's
    churn rate h, which keeps the base growing at g. Those already customers at the history start
    are drawn from the steady state (tenure exponential at g + h); the share won during the history
    follows from the same two rates."""
    k = np.log1p(np.array([MARKETS[c].growth for c in country]))
    h = np.array([SEGMENTS[s].churn for s in segment]) * np.array([MARKETS[c].churn for c in country])
    h = np.maximum(h, MIN_NET_CHURN - k)
    k = np.where(np.abs(k) < 1e-9, 1e-9, k)  # a flat market: the limits below stay finite
    years = HORIZON / YEAR
    existing = rng.random(country.shape[0]) < 1 / (1 + (k + h) * np.expm1(k * years) / k)
    tenure = np.minimum(rng.exponential(1 / (k + h)), MAX_TENURE_YEARS)
    # Inverse of the growing acquisition rate's distribution over the history.
    fraction = np.log1p(rng.random(country.shape[0]) * np.expm1(k * years)) / (k * years)
    created = np.where(existing, -tenure * YEAR, fraction * HORIZON)
    created = np.floor(np.minimum(created, HORIZON - HOUR))
    stop = np.maximum(created, 0) + rng.exponential(1 / h) * YEAR
    return created, stop


def _batch(plan: Plan, world: World, rng: np.random.Generator, first: int, n: int,
           counters: Counters) -> dict[str, pl.DataFrame]:
    countries = world.countries
    iso = countries["iso2"].to_numpy()
    weights = np.array([MARKETS[c].weight for c in iso])
    country = rng.choice(iso, size=n, p=weights / weights.sum())
    region_of = dict(zip(iso, countries["region_id"], strict=True))
    region = np.array([region_of[c] for c in country])
    segment = rng.choice(list(SEGMENTS), size=n, p=[s.share for s in SEGMENTS.values()])
    is_b2b = segment != "Consumer"

    city, lat, lon = np.empty(n, dtype=object), np.empty(n), np.empty(n)
    language = np.empty(n, dtype=object)
    for iso2 in np.unique(country):
        mask = country == iso2
        cities = world.cities[iso2]
        p = cities["population"].to_numpy().astype(float) ** 0.8
        pick = rng.choice(cities.height, size=int(mask.sum()), p=p / p.sum())
        city[mask] = cities["city"].to_numpy()[pick]
        lat[mask] = cities["lat"].to_numpy()[pick] + rng.normal(0, 0.02, mask.sum())
        lon[mask] = cities["lon"].to_numpy()[pick] + rng.normal(0, 0.02, mask.sum())
        spoken = MARKETS[iso2].languages
        language[mask] = rng.choice(list(spoken), size=int(mask.sum()), p=list(spoken.values()))
    language = language.astype(str)

    created, stop = _lifetimes(rng, country, segment)
    if CHURNING_MARKET in MARKETS:  # two in five of its customers stop 10 to 22 months before the end
        late = (country == CHURNING_MARKET) & (rng.random(n) < 0.4) & (stop > HORIZON - 660 * SECONDS_PER_DAY)
        quit_at = HORIZON - rng.uniform(300, 660, n) * SECONDS_PER_DAY
        stop = np.where(late, np.minimum(stop, np.maximum(np.maximum(created, 0) + SECONDS_PER_DAY, quit_at)), stop)
    begin = np.maximum(created, 0.0)

    owner = np.empty(n, dtype=np.int64)
    teams = np.array([world.sales_team[(c, s)] for c, s in zip(country, segment, strict=True)])
    for team in np.unique(teams):
        mask = teams == team
        owner[mask] = world.pools[int(team)].pick(rng, begin[mask])
    partner = np.zeros(n, dtype=np.int64)
    for region_id in np.unique(region):
        pool = world.partners_by_region[int(region_id)]
        has = (region == region_id) & (rng.random(n) < 0.25)
        if pool.size:  # a small demo may have no partner in a region
            weights = np.where(pool == world.troubled_partner_id, TROUBLED_PARTNER_SHARE * (pool.size - 1)
                               / (1 - TROUBLED_PARTNER_SHARE), 1.0)
            partner[has] = rng.choice(pool, size=has.sum(), p=weights / weights.sum())

    ids = np.arange(first, first + n, dtype=np.int64)
    base = Base(ids, country, region, segment, language, owner, partner, created, begin,
                np.minimum(stop, HORIZON), rng.lognormal(0, 0.6, n), rng.gamma(3.0, 1 / 3, n))
    nps, base = _relationship_surveys(plan, world, rng, base)

    frames: dict[str, pl.DataFrame] = {"customers": _customers(plan, rng, base, city, lat, lon)}
    originals = frames["customers"].head(n)  # the duplicates follow them
    frames["contacts"] = _contacts(rng, originals.filter(pl.Series(is_b2b)), counters)
    currency_of = dict(zip(iso, countries["currency"], strict=True))
    currency = np.array([currency_of[c] for c in country])
    frames["orders"] = _orders(plan, world, rng, base, currency, counters)
    frames["opportunities"] = _opportunities(plan, world, rng, base, currency, counters)
    frames["interactions"] = _interactions(plan, rng, base, counters)
    frames["tickets"], feedback = _tickets(plan, world, rng, base, counters)
    frames["surveys"] = _surveys(plan, world, rng, base, [nps, *feedback], counters)
    frames["consents"], frames["data_requests"] = _compliance(plan, rng, base, originals["consent_email"].to_numpy(),
                                                              counters)
    return frames


def _customers(plan: Plan, rng: np.random.Generator, base: Base, city: np.ndarray, lat: np.ndarray,
               lon: np.ndarray) -> pl.DataFrame:
    """The customer records, with the planted dirt: missing e-mails, stale records, unknown country
    codes, and about one customer in a hundred entered twice (after the batch's own customers)."""
    n = base.ids.shape[0]
    is_b2b = base.segment != "Consumer"
    names = np.where(is_b2b, _companies(rng, base.country), _people(rng, np.isin(base.country, ("CN", "TW"))))
    email = np.array([f"info@c{i}.example.com" if b2b else f"c{i}@mail.example.com"
                      for i, b2b in zip(base.ids, is_b2b, strict=True)], dtype=object)
    email[rng.random(n) < 0.04] = None
    phone = _phones(rng, n)
    # Records are touched around the customer's last activity; the planted stale ones never after creation.
    updated = np.clip(base.end - rng.exponential(120, n) * SECONDS_PER_DAY, base.created, HORIZON - 1)
    stale = rng.random(n) < 0.03
    updated[stale] = np.minimum(base.created[stale] + HOUR, HORIZON - 1)
    country = base.country.astype(object)
    unknown = rng.random(n) < 0.002  # codes that are no country, and no coordinates
    country[unknown] = rng.choice(("XX", "ZZ", "UK"), size=unknown.sum())
    lat, lon = np.where(unknown, np.nan, np.round(lat, 5)), np.where(unknown, np.nan, np.round(lon, 5))
    in_regime = np.array([c in REGIME_BY_COUNTRY for c in base.country])
    customers = pl.DataFrame({
        "id": base.ids, "name": names.astype(str), "kind": np.where(is_b2b, "B2B", "B2C"),
        "country_iso2": country.astype(str), "city": city.astype(str), "lat": lat, "lon": lon,
        "industry": _strings(np.where(is_b2b, rng.choice(INDUSTRIES, size=n), None)),
        "size_band": _strings(np.where(is_b2b, rng.choice(SIZE_BANDS, size=n, p=(0.3, 0.3, 0.2, 0.12, 0.08)),
                                       None)),
        "segment": base.segment,
        "tier": rng.choice(("Gold", "Silver", "Bronze"), size=n, p=(0.1, 0.3, 0.6)),
        "preferred_language": base.language,
        "preferred_channel": np.where(rng.random(n) < 0.4,
                                      [MESSAGING_CHANNEL.get(c, "email") for c in base.country],
                                      rng.choice(("email", "phone", "chat"), size=n, p=(0.5, 0.3, 0.2))),
        "owner_rep_id": base.owner, "partner_id": base.partner,
        "created_at": _to_datetime(plan, base.created), "updated_at": _to_datetime(plan, updated),
        "email": _strings(email), "phone": _strings(phone),
        "consent_email": rng.random(n) < np.where(in_regime, 0.7, 0.9), "consent_phone": rng.random(n) < 0.6,
    }, strict=False).with_columns(pl.col("partner_id").replace(0, None), pl.col("lat", "lon").fill_nan(None))
    # Their ids lie above every original id, so the originals keep theirs at any scale.
    dup = customers.sample(max(1, n // 100), seed=int(rng.integers(2**31))).with_columns(
        (pl.col("id") + plan.customers * 10).alias("id"),
        (pl.col("created_at") + pl.duration(days=30)).clip(upper_bound=plan.end - dt.timedelta(seconds=1))
        .alias("created_at"),
    ).with_columns(pl.max_horizontal("created_at", "updated_at").alias("updated_at"))
    return pl.concat([customers, dup])


def _contacts(rng: np.random.Generator, companies: pl.DataFrame, counters: Counters) -> pl.DataFrame:
    """One to three people per company customer."""
    c = np.repeat(np.arange(companies.height), rng.integers(1, 4, companies.height))
    ids = counters.take("contacts", c.shape[0])
    customer_ids = companies["id"].to_numpy()[c]
    language = companies["preferred_language"].to_numpy()[c]
    email = np.array([f"p{i}@c{j}.example.com" for i, j in zip(ids, customer_ids, strict=True)], dtype=object)
    email[rng.random(c.shape[0]) < 0.06] = None
    return pl.DataFrame({
        "id": ids, "customer_id": customer_ids,
        "name": _people(rng, language == "zh").astype(str), "email": _strings(email),
        "phone": _phones(rng, c.shape[0]).astype(str),
        "language": language, "consent": rng.random(c.shape[0]) < 0.75,
        "updated_at": companies["updated_at"].gather(c),
    }, strict=False)


def _orders(plan: Plan, world: World, rng: np.random.Generator, base: Base, currency: np.ndarray,
            counters: Counters) -> pl.DataFrame:
    """Purchases: businesses reorder on a rhythm, consumers now and then; seasonal per region;
    heavy-tailed values (the customer's size times a per-order spread); some enterprise orders in USD,
    the rest in the local currency."""
    begin, end = np.empty_like(base.begin), np.empty_like(base.end)
    for region_id in np.unique(base.region):
        mask = base.region == region_id
        season = world.seasons[int(region_id)]
        begin[mask], end[mask] = season.to_business(base.begin[mask]), season.to_business(base.end[mask])
    regular = np.flatnonzero(base.segment != "Consumer")
    occasional = np.flatnonzero(base.segment == "Consumer")
    rate = base.rate("orders")
    o1, b1 = _cadence(rng, rate[regular], begin[regular], end[regular])
    o2, b2 = _spread(rng, rate[occasional], begin[occasional], end[occasional])
    o, at = np.concatenate([regular[o1], occasional[o2]]), np.concatenate([b1, b2])
    for region_id in np.unique(base.region):
        mask = base.region[o] == region_id
        at[mask] = world.seasons[int(region_id)].to_calendar(at[mask])
    usd = (np.array([SEGMENTS[s].order_usd for s in base.segment])[o] * base.size[o]
           * rng.lognormal(0, 0.45, o.shape[0]))
    in_usd = (base.segment[o] == "Enterprise") & (rng.random(o.shape[0]) < 0.3)
    order_currency = np.where(in_usd, "USD", currency[o])
    troubled = (base.partner[o] == world.troubled_partner_id) & (at > HORIZON - TROUBLE_WINDOW_DAYS * SECONDS_PER_DAY)
    sourced = rng.random(o.shape[0]) < np.where(troubled, 0.15, 0.85)
    return pl.DataFrame({
        "id": counters.take("orders", o.shape[0]), "customer_id": base.ids[o], "rep_id": base.owner[o],
        "partner_id": np.where(sourced, base.partner[o], 0),
        "amount": _to_local(world, usd, order_currency, at), "currency": order_currency,
        "ordered_at": _to_datetime(plan, at), "product_line": rng.choice(PRODUCT_LINES, size=o.shape[0]),
        "status": rng.choice(("won", "cancelled", "refunded"), size=o.shape[0], p=(0.94, 0.04, 0.02)),
    }).with_columns(pl.col("partner_id").replace(0, None), pl.col("ordered_at").alias("updated_at"))


def _opportunities(plan: Plan, world: World, rng: np.random.Generator, base: Base, currency: np.ndarray,
                   counters: Counters) -> pl.DataFrame:
    """Deals: weeks to close for small businesses, months for enterprises. Deals still open at the end
    sit in the stage their age suggests; a customer who stopped buying signs nothing more."""
    q, opened = _spread(rng, base.rate("deals"), base.begin, base.end)
    median_days = np.array([SEGMENTS[s].cycle_days for s in base.segment])[q]
    closed = opened + rng.lognormal(np.log(median_days), 0.5) * SECONDS_PER_DAY
    is_open = closed >= HORIZON
    partner = np.where(rng.random(q.shape[0]) < 0.7, base.partner[q], 0)
    win_p = np.array([SEGMENTS[s].win_rate for s in base.segment])[q] + np.where(partner > 0, 0.07, 0)
    win_p = np.where((partner == world.troubled_partner_id) & (closed > HORIZON - 400 * SECONDS_PER_DAY), 0.12, win_p)
    won = (rng.random(q.shape[0]) < win_p) & (closed <= base.end[q])
    age = (HORIZON - opened) / (closed - opened)
    stage = np.array(DEAL_STAGES)[np.searchsorted((0.35, 0.7), age)]
    usd = (np.array([SEGMENTS[s].order_usd for s in base.segment])[q] * 2.5 * base.size[q]
           * rng.lognormal(0, 0.5, q.shape[0]))
    return pl.DataFrame({
        "id": counters.take("opportunities", q.shape[0]), "customer_id": base.ids[q], "rep_id": base.owner[q],
        "partner_id": partner, "stage": np.where(is_open, stage, "closed"),
        "amount": _to_local(world, usd, currency[q], opened), "currency": currency[q],
        "opened_at": _to_datetime(plan, opened), "closed_at": _to_datetime(plan, np.where(is_open, np.nan, closed)),
        "outcome": _strings(np.where(is_open, None, np.where(won, "won", "lost"))),
    }, strict=False).with_columns(pl.col("partner_id").replace(0, None),
                                  pl.coalesce("closed_at", "opened_at").alias("updated_at"))


def _interactions(plan: Plan, rng: np.random.Generator, base: Base, counters: Counters) -> pl.DataFrame:
    """Touch points with the customer's rep, in the customer's language, on the channels of their country."""
    i, at = _spread(rng, base.rate("interactions"), base.begin, base.end)
    messaging = np.array([MESSAGING_CHANNEL.get(c, "email") for c in base.country])[i]
    channel = np.where(rng.random(i.shape[0]) < 0.45, messaging,
                       rng.choice(("email", "phone", "chat", "visit"), size=i.shape[0], p=(0.45, 0.3, 0.17, 0.08)))
    return pl.DataFrame({
        "id": counters.take("interactions", i.shape[0]), "customer_id": base.ids[i], "rep_id": base.owner[i],
        "channel": channel, "direction": rng.choice(("inbound", "outbound"), size=i.shape[0]),
        "language": base.language[i], "occurred_at": _to_datetime(plan, at),
    })


@dataclass(frozen=True)
class Responses:
    """Survey responses of one kind before they become rows, with what their comment would be about."""

    kind: str
    who: np.ndarray  # index of the customer in the batch
    score: np.ndarray
    at: np.ndarray
    channel: np.ndarray
    ticket: np.ndarray  # ticket id, 0 for none
    sentiment: np.ndarray  # 0 praise, 1 mixed, 2 complaint
    focus: np.ndarray  # index in THEMES a complaint is drawn toward, -1 for none
    pull: np.ndarray  # how strongly (0..1)
    followed: np.ndarray  # follow-up time, NaN for none

    def take(self, keep: np.ndarray) -> Responses:
        return Responses(self.kind, *(getattr(self, f)[keep] for f in (
            "who", "score", "at", "channel", "ticket", "sentiment", "focus", "pull", "followed")))


def _focus(n: int, *planted: tuple[np.ndarray, str, float]) -> tuple[np.ndarray, np.ndarray]:
    """The theme complaints lean to and how strongly: the first planted cause that applies wins."""
    focus, pull = np.full(n, -1), np.zeros(n)
    for applies, theme, strength in reversed(planted):
        focus = np.where(applies, THEMES.index(theme), focus)
        pull = np.where(applies, strength, pull)
    return focus, pull


def _relationship_surveys(plan: Plan, world: World, rng: np.random.Generator, base: Base,
                          ) -> tuple[Responses, Base]:
    """NPS surveys, the follow-up of their detractors, and what that does: a detractor nobody called
    back is much more likely to stop buying. Returns the responses and the base with its new ends."""
    n = base.ids.shape[0]
    who, at = _spread(rng, np.full(n, NPS_PER_YEAR), base.begin, base.end)
    last_year = np.clip((at - (HORIZON - YEAR)) / YEAR, 0, 1)
    gap = (base.language != "en") & ~world.speaks(base.owner, base.language)
    troubled = base.partner == world.troubled_partner_id
    market_mood = np.array([MARKETS[c].mood for c in base.country])
    mood = (NPS_MOOD + market_mood[who] + rng.normal(0, 0.8, n)[who] - LANGUAGE_GAP_MOOD * gap[who]
            - 1.5 * troubled[who] - np.where(base.country[who] == FALLING_NPS_MARKET, 2.5 * last_year, 0))
    score = np.clip(np.round(rng.normal(mood, 1.4)), 0, 10)
    detractor = score <= 6
    team = np.array([world.success_team[c] for c in base.country])[who]
    profile = np.array([TEAMS[i - 1].follow_up for i in team])  # team ids follow the order of TEAMS
    how = _pick_weighted(rng, profile)  # within 2 days, 7 days, 30 days, never
    low, high = np.array((2, 48, 168, 0)) * HOUR, np.array((48, 168, 720, 0)) * HOUR
    delay = np.where(how < 3, low[how] + rng.random(who.shape[0]) * (high[how] - low[how]), np.nan)
    followed = np.where(detractor, at + delay, np.nan)
    followed[followed >= HORIZON] = np.nan
    quits = detractor & (rng.random(who.shape[0]) < np.array(DETRACTOR_CHURN)[how])
    quit_at = at + rng.uniform(14, 112, who.shape[0]) * SECONDS_PER_DAY
    end = base.end.copy()
    np.minimum.at(end, who[quits], quit_at[quits])
    base = dataclasses.replace(base, end=end)
    sentiment = np.where(score >= 9, 0, np.where(score >= 7, 1, 2))
    brazil_now = (base.country[who] == FALLING_NPS_MARKET) & (at > HORIZON - YEAR)
    focus, pull = _focus(who.shape[0], (brazil_now, "support_speed", 0.7), (troubled[who], "delivery", 0.45),
                         (gap[who], "communication", 0.45))
    responses = Responses("NPS", who, score, at, np.full(who.shape[0], "email"), np.zeros(who.shape[0], np.int64),
                          sentiment, focus, pull, followed)
    return responses.take(at < end[who]), base


def _tickets(plan: Plan, world: World, rng: np.random.Generator, base: Base, counters: Counters,
             ) -> tuple[pl.DataFrame, list[Responses]]:
    """Service requests handled by the service team of the customer's country at its own pace, and the
    CSAT and CES surveys after resolved ones (worse when late or not in the customer's language)."""
    k, opened = _spread(rng, base.rate("tickets"), base.begin, base.end)
    team = np.array([world.service_team[c] for c in base.country])[k]
    rep = np.empty(k.shape[0], dtype=np.int64)
    for team_id in np.unique(team):
        mask = team == team_id
        rep[mask] = world.pools[int(team_id)].pick(rng, opened[mask])
    response = np.array([TEAMS[i - 1].response for i in team])
    work = np.array([TEAMS[i - 1].work for i in team])
    priority = rng.choice(4, size=k.shape[0], p=PRIORITY_P)
    slow = (base.country[k] == SLOW_SERVICE_MARKET) & (opened > HORIZON - 180 * SECONDS_PER_DAY)
    first_h = rng.lognormal(np.log(np.array(FIRST_RESPONSE_H)[priority] * response * np.where(slow, 5, 1)), 0.8)
    resolve_h = (first_h + rng.lognormal(np.log(np.array(WORK_H)[priority] * work), 0.7)) * np.where(slow, 2.5, 1)
    first_at = opened + first_h * HOUR
    resolved = opened + resolve_h * HOUR
    resolved[rng.random(k.shape[0]) < 0.01] = np.nan  # never resolved
    resolved[resolved >= HORIZON] = np.nan
    first_at[first_at >= HORIZON] = np.nan
    messaging = np.array([MESSAGING_CHANNEL.get(c, "email") for c in base.country])[k]
    channel = np.where(rng.random(k.shape[0]) < 0.3, messaging, rng.choice(("email", "phone", "chat"), size=k.shape[0]))
    category = rng.choice(CATEGORIES, size=k.shape[0])
    sla = np.array(SLA_HOURS)[priority]
    ticket_ids = counters.take("tickets", k.shape[0])
    tickets = pl.DataFrame({
        "id": ticket_ids, "customer_id": base.ids[k], "rep_id": rep, "channel": channel,
        "priority": np.array(PRIORITIES)[priority], "category": category,
        "opened_at": _to_datetime(plan, opened), "first_response_at": _to_datetime(plan, first_at),
        "resolved_at": _to_datetime(plan, resolved), "sla_hours": sla.astype(np.int16),
    }).with_columns(pl.max_horizontal("opened_at", "first_response_at", "resolved_at").alias("updated_at"))

    late = resolve_h > sla
    gap = (base.language[k] != "en") & ~world.speaks(rep, base.language[k])
    answered = resolved + rng.uniform(600, 2 * SECONDS_PER_DAY, k.shape[0])
    done = ~np.isnan(resolved) & (answered < HORIZON)
    pick_csat = done & (rng.random(k.shape[0]) < CSAT_SHARE)
    pick_ces = done & ~pick_csat & (rng.random(k.shape[0]) < CES_SHARE / (1 - CSAT_SHARE))
    csat = np.clip(np.round(rng.normal(4.3 - 1.2 * late - 0.5 * gap, 0.9)), 1, 5)
    ces = np.clip(np.round(rng.normal(2.6 + 1.8 * late + 0.6 * gap, 1.1)), 1, 7)
    focus, pull = _focus(k.shape[0], (late, "support_speed", 0.6), (gap, "communication", 0.45))
    # Otherwise a complaint is most likely about what the ticket was about.
    pull = np.where(focus == -1, 0.4, pull)
    focus = np.where(focus == -1, [THEMES.index(CATEGORY_THEME[c]) for c in category], focus)
    feedback = []
    for kind, pick, score, sentiment in (
            ("CSAT", pick_csat, csat, np.where(csat >= 4, 0, np.where(csat == 3, 1, 2))),
            ("CES", pick_ces, ces, np.where(ces <= 2, 0, np.where(ces <= 4, 1, 2)))):
        feedback.append(Responses(kind, k[pick], score[pick], answered[pick], channel[pick], ticket_ids[pick],
                                  sentiment[pick], focus[pick], pull[pick], np.full(int(pick.sum()), np.nan)))
    return tickets, feedback


@dataclass(frozen=True)
class CommentPool:
    """The sentences of data/demo/comments.toml, flat, with where each language's theme and tone starts."""

    languages: dict[str, int]
    joiners: np.ndarray
    sentences: np.ndarray
    first: np.ndarray  # [language, theme, tone] -> index of its first sentence
    count: np.ndarray  # [language, theme, tone] -> how many

    def sentence(self, rng: np.random.Generator, lang: np.ndarray, theme: np.ndarray, tone: np.ndarray,
                 ) -> np.ndarray:
        pick = (rng.random(lang.shape[0]) * self.count[lang, theme, tone]).astype(np.int64)
        return self.sentences[self.first[lang, theme, tone] + pick]


@cache
def comment_pool() -> CommentPool:
    data = tomllib.loads(COMMENTS_FILE.read_text(encoding="utf-8"))
    sentences: list[str] = []
    first = np.zeros((len(data), len(THEMES), 2), dtype=np.int64)
    count = np.zeros_like(first)
    for li, by_theme in enumerate(data.values()):
        for ti, theme in enumerate(THEMES):
            for tone, key in ((GOOD, "good"), (BAD, "bad")):
                first[li, ti, tone], count[li, ti, tone] = len(sentences), len(by_theme[theme][key])
                sentences.extend(by_theme[theme][key])
    return CommentPool({lang: i for i, lang in enumerate(data)},
                       np.array([v["joiner"] for v in data.values()], dtype=object),
                       np.array(sentences, dtype=object), first, count)


def survey_languages() -> tuple[str, ...]:
    """The languages surveys are sent in; other customers answer in English."""
    return tuple(comment_pool().languages)


def _comments(rng: np.random.Generator, language: np.ndarray, responses: Responses) -> np.ndarray:
    """A comment for some responses, None for the rest: praise, complaint, or a passive's praise with a
    complaint; sometimes a second sentence on another theme. Complaints lean toward the response's focus."""
    pool = comment_pool()
    m = language.shape[0]
    lang = np.array([pool.languages[code] for code in language], dtype=np.int64)
    tone_first = np.where(responses.sentiment == 2, BAD, GOOD)
    tone_second = np.where(responses.sentiment == 0, GOOD, BAD)
    pulled = np.zeros((m, len(THEMES)))
    pulled[np.arange(m), np.maximum(responses.focus, 0)] = np.where(responses.focus >= 0, 1.0, 0.0)

    def weights(tone: np.ndarray) -> np.ndarray:
        strength = np.where(tone == BAD, responses.pull, 0.0)[:, None]
        return (1 - strength) * THEME_WEIGHTS[tone] + strength * pulled

    theme_first = _pick_weighted(rng, weights(tone_first))
    second = weights(tone_second)
    second[np.arange(m), theme_first] = 0  # a second sentence is about something else
    theme_second = _pick_weighted(rng, second)
    has_second = (responses.sentiment == 1) | (rng.random(m) < SECOND_THEME_P)
    text = pool.sentence(rng, lang, theme_first, tone_first)
    text = np.where(has_second, text + pool.joiners[lang] + pool.sentence(rng, lang, theme_second, tone_second),
                    text)
    return np.where(rng.random(m) < np.array(COMMENT_P)[responses.sentiment], text, None)


def _surveys(plan: Plan, world: World, rng: np.random.Generator, base: Base, parts: list[Responses],
             counters: Counters) -> pl.DataFrame:
    """Survey rows in the survey language of the customer, in time order."""
    known = set(survey_languages())
    language = np.array([lang if lang in known else "en" for lang in base.language])
    frames = []
    for part in parts:
        lang = language[part.who]
        frames.append(pl.DataFrame({
            "customer_id": base.ids[part.who], "kind": part.kind, "score": part.score.astype(np.int16),
            "comment": _strings(_comments(rng, lang, part)), "language": lang, "channel": part.channel,
            "answered_at": _to_datetime(plan, part.at), "ticket_id": part.ticket,
            "followed_up_at": _to_datetime(plan, part.followed),
        }, strict=False))
    surveys = pl.concat(frames).sort("answered_at", "customer_id", "kind")
    return surveys.with_columns(
        pl.Series("id", counters.take("surveys", surveys.height)), pl.col("ticket_id").replace(0, None),
    ).select(schema.polars_schema("surveys").names())


def _compliance(plan: Plan, rng: np.random.Generator, base: Base, consent_email: np.ndarray, counters: Counters,
                ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Marketing consent under each customer's privacy regime, and the data subject requests."""
    regime = np.array([REGIME_BY_COUNTRY.get(c, "") for c in base.country])
    covered = np.flatnonzero(regime != "")
    consents = pl.DataFrame({
        "id": counters.take("consents", covered.shape[0]), "customer_id": base.ids[covered],
        "contact_id": pl.Series([None] * covered.shape[0], dtype=pl.Int64),
        "regime": regime[covered], "purpose": "marketing",
        "status": np.where(consent_email[covered], "granted", "withdrawn"),
        "recorded_at": _to_datetime(plan, np.minimum(base.created[covered] + HOUR, HORIZON - 1)),
    })
    asks = covered[rng.random(covered.shape[0]) < 0.004]
    received = base.begin[asks] + rng.random(asks.shape[0]) * (HORIZON - base.begin[asks])
    days = np.array([REQUEST_DAYS[regime[j]] for j in asks])
    closed = received + rng.lognormal(np.log(days * 0.5), 0.6) * SECONDS_PER_DAY
    closed[closed >= HORIZON] = np.nan
    requests = pl.DataFrame({
        "id": counters.take("data_requests", asks.shape[0]), "customer_id": base.ids[asks],
        "regime": regime[asks],
        "kind": rng.choice(("access", "erasure", "rectification", "portability"), size=asks.shape[0],
                           p=(0.5, 0.3, 0.15, 0.05)),
        "status": np.where(np.isnan(closed), "open", "closed"),
        "received_at": _to_datetime(plan, received),
        "due_at": _to_datetime(plan, received + days * SECONDS_PER_DAY),
        "closed_at": _to_datetime(plan, closed),
    }).with_columns(pl.coalesce("closed_at", "received_at").alias("updated_at"))
    return consents, requests


def _monthly_actuals(plan: Plan, world: World, frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """team_id, month, revenue_usd, new_customers of a batch: won orders (USD at their day's rate) by
    the team of their rep, customers created by the team of their owner — as the dashboard counts them."""
    team_of = world.reps.select(pl.col("id").alias("rep_id"), "team_id")
    orders = frames["orders"].filter(pl.col("status") == "won")
    index = {c: i for i, c in enumerate(CURRENCIES)}
    day = (orders["ordered_at"] - plan.start).dt.total_days().to_numpy() + FX_LEAD_DAYS
    row = np.array([index[c] for c in orders["currency"]], dtype=np.int64)
    revenue = (orders.select("rep_id", pl.col("ordered_at").dt.truncate("1mo").dt.date().alias("month"))
               .with_columns(revenue_usd=orders["amount"].to_numpy() * world.fx[row, day])
               .join(team_of, on="rep_id").group_by("team_id", "month").agg(pl.col("revenue_usd").sum()))
    new = (frames["customers"].filter(pl.col("created_at") >= plan.start)
           .select(pl.col("owner_rep_id").alias("rep_id"),
                   pl.col("created_at").dt.truncate("1mo").dt.date().alias("month"))
           .join(team_of, on="rep_id").group_by("team_id", "month")
           .agg(pl.len().cast(pl.Float64).alias("new_customers")))
    return revenue.join(new, on=["team_id", "month"], how="full", coalesce=True).fill_null(0.0)


# The company's satisfaction goals, a stretch above where it stands (NPS about +23, CSAT 71 %, CES 2.9).
COMPANY_TARGETS = {"nps": 30.0, "csat": 75.0, "ces": 2.8}


def targets_frame(plan: Plan, world: World, monthly: pl.DataFrame) -> pl.DataFrame:
    """Monthly targets per sales team (revenue in USD, new customers), per service team (SLA
    attainment, median first response in hours) and for the company (NPS, CSAT, CES).

    `monthly` holds team_id, month, revenue_usd and new_customers over the history. A sales target asks
    for the team's quota growth over the same month a year before, averaged with its neighbours so
    that one lucky month does not set the bar; months without a full year of history before have none."""
    rng = plan.rng(3)
    start = plan.start.date()
    first_full = start if start.day == 1 else (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    months = pl.date_range(first_full, plan.as_of, "1mo", eager=True).to_list()
    targeted = months[13:]
    actual = {(r["team_id"], r["month"]): r for r in monthly.iter_rows(named=True)}
    rows = []
    for team in world.teams.iter_rows(named=True):
        spec = TEAMS[team["id"] - 1]
        # Each plan year's ask is negotiated per team: the quota growth, give or take.
        asks = spec.quota_growth + rng.normal(0, 0.08, len(targeted) // 12 + 1)
        for i, month in enumerate(targeted, start=13):
            if spec.kind == "sales":
                before = [actual.get((team["id"], m), {}) for m in months[i - 13:i - 10]]
                stretch = (1 + asks[(i - 13) // 12]) * float(rng.uniform(0.97, 1.03))
                revenue = sum(b.get("revenue_usd", 0.0) for b in before) / 3 * stretch
                new = sum(b.get("new_customers", 0.0) for b in before) / 3 * stretch
                rows.append(("team", team["id"], month, "revenue_usd", round(revenue, -2)))
                rows.append(("team", team["id"], month, "new_customers", float(max(1, round(new)))))
            elif spec.kind == "service":
                rows.append(("team", team["id"], month, "sla_attainment", 0.9))
                rows.append(("team", team["id"], month, "first_response_median_hours", spec.response_target_h))
    rows += [("company", 0, month, metric, value) for month in targeted for metric, value in COMPANY_TARGETS.items()]
    frame = pl.DataFrame(rows, schema=["scope_kind", "scope_id", "period", "metric", "value"], orient="row")
    return frame.with_row_index("id", offset=1).with_columns(pl.col("id").cast(pl.Int64))


def generate(plan: Plan, write: Callable[[str, pl.DataFrame], None],
             progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Generates the whole CRM, handing every table's rows to `write` in batches. Returns row counts."""
    world = build_world(plan)
    counts: dict[str, int] = {}

    def emit(table: str, frame: pl.DataFrame) -> None:
        write(table, frame.select(schema.polars_schema(table).names()).cast(schema.polars_schema(table)))
        counts[table] = counts.get(table, 0) + frame.height

    emit("regions", pl.DataFrame(REGIONS, schema=["id", "code", "name", "currency"], orient="row"))
    emit("countries", world.countries)
    emit("fx_rates", fx_frame(plan, world.fx))
    emit("teams", world.teams)
    emit("reps", world.reps)
    emit("partners", world.partners)
    monthly: list[pl.DataFrame] = []
    for frames in customer_batches(plan, world):
        for table in ("customers", "contacts", "orders", "opportunities", "interactions", "tickets",
                      "surveys", "consents", "data_requests"):
            emit(table, frames[table])
        monthly.append(_monthly_actuals(plan, world, frames))
        if progress:
            progress(frames["customers"].filter(pl.col("id") <= plan.customers).height)
    emit("targets", targets_frame(plan, world, pl.concat(monthly).group_by("team_id", "month").agg(pl.all().sum())))
    return counts


def write_demo(url: str, plan: Plan, replace: bool = False,
               progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Creates the schema at `url` and fills it with the demo CRM, one transaction per table batch.

    Writes only into an empty database or over a demo this function wrote before (its `meridian_meta`
    says `created_by = meridian generate`), and over that only with `replace`. Any other database —
    a company's CRM, an import store — is refused and left as it is.
    """
    engine = writable_engine(url)
    try:
        connect_or_explain(engine)
        _claim(engine, plan, replace)

        def write(table: str, frame: pl.DataFrame) -> None:
            with engine.begin() as connection:
                insert_frame(connection, table, frame)

        return generate(plan, write, progress)
    finally:
        engine.dispose()


def _claim(engine: Engine, plan: Plan, replace: bool) -> None:
    """Makes the database at `engine` ready for a new demo and marks it as one, or refuses."""
    where = engine.url.render_as_string(hide_password=True)
    present = sorted(inspect(engine).get_table_names())
    if present:
        marks: dict[str, str] = {}
        if schema.meridian_meta.name in present:
            with engine.connect() as connection:
                marks = dict(connection.execute(select(schema.meridian_meta.c.key, schema.meridian_meta.c.value)).all())
        maker = marks.get("created_by")
        if maker != GENERATOR:
            shown = ", ".join(present[:8]) + (f" and {len(present) - 8} more" if len(present) > 8 else "")
            origin = f"it was written by `{maker}`" if maker else "nothing marks it as a Meridian demo"
            raise DatabaseError(
                f"{where} already holds tables ({shown}) and {origin}. The demo is only written into an "
                "empty database or over a demo written by `meridian generate`, so this one was left as it "
                "is. Write the demo into an empty database or a new SQLite file instead."
            )
        if not replace:
            raise DatabaseError(
                f"{where} already holds a demo CRM ({marks.get('customers', '?')} customers, seed "
                f"{marks.get('seed', '?')}, as of {marks.get('as_of', '?')}). Pass --replace to regenerate it."
            )
        schema.metadata.drop_all(engine)
        schema.store_metadata.drop_all(engine)
    schema.store_metadata.create_all(engine)
    # Marked before anything else is written, so an interrupted run can be replaced too.
    with engine.begin() as connection:
        connection.execute(schema.meridian_meta.insert(), [
            {"key": "created_by", "value": GENERATOR}, {"key": "seed", "value": str(plan.seed)},
            {"key": "customers", "value": str(plan.customers)}, {"key": "as_of", "value": plan.as_of.isoformat()},
        ])
    schema.metadata.create_all(engine)
