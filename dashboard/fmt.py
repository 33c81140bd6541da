"""Numbers, money, percentages, durations and dates formatted per locale with Babel."""

from __future__ import annotations

import datetime as dt
import math
import re

from babel import dates, numbers, units

from dashboard.i18n import babel_locale

MISSING = "–"


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def count(value: float | None, lang: str) -> str:
    return MISSING if _missing(value) else numbers.format_decimal(round(value), locale=babel_locale(lang))  # type: ignore[arg-type]


def decimal(value: float | None, lang: str, digits: int = 1) -> str:
    if _missing(value):
        return MISSING
    return numbers.format_decimal(round(value, digits), format=f"#,##0.{'0' * digits}",  # type: ignore[arg-type]
                                  locale=babel_locale(lang))


def _grouped(text: str, lang: str) -> str:
    """Compact numbers keep thousands separators: CLDR's Chinese patterns give 2141.1万, not 2,141.1万."""
    symbol = babel_locale(lang).number_symbols["latn"]["group"]
    return re.sub(r"\d{4,}", lambda m: f"{int(m.group()):,}".replace(",", symbol), text, count=1)


def compact_money(value: float, currency: str, lang: str) -> str:
    """$21.4M, US$2,141.1万: the locale's compact units, the currency symbol, thousands separators; at least
    three significant digits ($1.07M, US$3.01万, not $1.1M and US$3万: in Chinese, every amount from
    10,000 to 99,999 would keep one or two)."""
    locale = babel_locale(lang)
    text = numbers.format_compact_currency(value, currency, locale=locale, fraction_digits=1)
    whole = re.search(r"\d+", text)
    if whole is not None and len(whole.group()) == 1 and abs(value) >= 1_000:
        text = numbers.format_compact_currency(value, currency, locale=locale, fraction_digits=2)
    return _grouped(text, lang)


def money(value: float | None, currency: str, lang: str, compact: bool = True) -> str:
    """An amount: compact from 10,000 ($21.4M, US$3.01万), whole units from 100 ($9,845), with the
    currency's minor units below ($12.50) — one style on tiles, tables and axes."""
    if _missing(value):
        return MISSING
    if compact and abs(value) >= 10_000:  # type: ignore[arg-type]
        return compact_money(value, currency, lang)  # type: ignore[arg-type]
    if abs(value) >= 100:  # type: ignore[arg-type]
        return numbers.format_currency(round(value), currency, format="¤#,##0", currency_digits=False,  # type: ignore[arg-type]
                                       locale=babel_locale(lang))
    return numbers.format_currency(value, currency, locale=babel_locale(lang))  # type: ignore[arg-type]


def money_tick(value: float, currency: str, lang: str) -> str:
    """An amount on a chart axis: always compact ($0, $250K, US$25万), the currency symbol included."""
    return compact_money(value, currency, lang)


def share(value: float | None, lang: str) -> str:
    """A share in whole percent; "<1%" for one above nothing that would round to 0 %, which reads as none."""
    if _missing(value):
        return MISSING
    shown = percent(value, lang, 0)
    if value > 0 and shown == percent(0, lang, 0):  # type: ignore[operator]
        return "<" + percent(0.01, lang, 0)
    return shown


def percent(value: float | None, lang: str, digits: int = 1) -> str:
    """`value` is a ratio (0.25 is 25 %)."""
    if _missing(value):
        return MISSING
    return numbers.format_percent(value, format=f"#,##0.{'0' * digits}%", locale=babel_locale(lang))  # type: ignore[arg-type]


def hours(value: float | None, lang: str) -> str:
    """A duration given in hours: in hours below two days, else in days."""
    if _missing(value):
        return MISSING
    if abs(value) < 1:  # type: ignore[arg-type]
        return units.format_unit(round(value * 60), "duration-minute", length="short",  # type: ignore[operator]
                                 locale=babel_locale(lang))
    unit, amount = ("duration-hour", value) if abs(value) < 48 else ("duration-day", value / 24)  # type: ignore[operator,arg-type]
    return units.format_unit(round(amount, 1), unit, length="short", format="#,##0.0",
                             locale=babel_locale(lang))


def date(value: dt.date | dt.datetime, lang: str) -> str:
    return dates.format_date(value, format="medium", locale=babel_locale(lang))


def datetime(value: dt.datetime, lang: str) -> str:
    return dates.format_datetime(value, format="medium", locale=babel_locale(lang))


def month(value: dt.date, lang: str) -> str:
    return dates.format_skeleton("yMMM", value, locale=babel_locale(lang))


def language_name(code: str, lang: str) -> str:
    """A language code (en, zh, pt) as the language's name in the UI language."""
    return babel_locale(lang).languages.get(code, code)


def days(value: float | None, lang: str, digits: int = 0) -> str:
    if _missing(value):
        return MISSING
    return units.format_unit(round(value, digits), "duration-day", length="short",  # type: ignore[arg-type]
                             format="#,##0" + ("." + "0" * digits if digits else ""), locale=babel_locale(lang))


def by_unit(value: float | None, unit: str, lang: str, currency: str = "USD", digits: int = 1) -> str:
    """A value in a KPI unit: money (compact, in `currency`), count, percent (0..100), ratio (0..1, as
    a percentage), score (signless points), hours, days, or a plain decimal."""
    if unit == "money":
        return money(value, currency, lang)
    if unit == "count":
        return count(value, lang)
    if unit == "percent":
        return percent(None if _missing(value) else value / 100, lang, digits)  # type: ignore[operator]
    if unit == "ratio":
        return percent(value, lang, digits)
    if unit == "hours":
        return hours(value, lang)
    if unit == "days":
        return days(value, lang, digits)
    return decimal(value, lang, digits)


def signed(text: str, amount: float) -> str:
    """`text` (an absolute amount) with a plus or a minus sign in front."""
    return ("+" if amount > 0 else "−" if amount < 0 else "") + text.lstrip("-−")


def change(amount: float, relative: bool, unit: str, lang: str, digits: int = 1) -> str:
    """A change: relative (+12.3%), in points (+2.1 pts; ratios are shown as percentage points), or
    in the unit itself (−15 min, +3 days)."""
    from dashboard.i18n import translator

    t = translator(lang)
    if relative:
        return signed(percent(abs(amount), lang), amount)
    if unit in ("ratio", "percent", "score"):
        points = abs(amount) * (100 if unit == "ratio" else 1)
        return signed(t("{points} pts", points=decimal(points, lang, digits)), amount)
    return signed(by_unit(abs(amount), unit, lang, digits=digits), amount)
