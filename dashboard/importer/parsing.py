"""Dates and numbers as exports write them, with the format detected from the values and reported.

Dates: ISO (2024-03-31, with or without time), year first (2024/03/31, 2024年3月31日), numeric day first
(31/03/2024, 31.03.2024) or month first (03/31/2024), and named months (31 Mar 2024, Mar 31, 2024),
each with an optional time (15:04, 3:04 PM) and offset (Z, +08:00; converted to UTC). Whether 03/04/2024
is day or month first is decided by a value that only reads one way (a day above 12), in the column or
elsewhere in the same file; when none does, the order must be stated (`date_order` in the mapping or
`--date-order`), else the column is a problem. A stated `date_format` (strftime codes) overrides all.

Numbers: thousands separators and decimal commas ("1.234,56", "1,234.56", "1 234", "1'234.50"),
accounting negatives "(1,234.00)" and currency codes or symbols around the amount ("€ 1 234",
"EUR 1.234,56"). Whether "1,234" means 1234 or 1.234 is decided the same way as the date order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

import polars as pl
import pycountry
from babel.dates import get_month_names
from babel.numbers import get_currency_name, get_currency_symbol, list_currencies

from dashboard.i18n import N_

DAY_FIRST = "day-first"
MONTH_FIRST = "month-first"
DATE_ORDERS = (DAY_FIRST, MONTH_FIRST)
DECIMAL_SEPARATORS = (".", ",")

_TIME = r"(?:[ T]+(.+))?$"
YEAR_FIRST_RE = r"^(\d{4})[/.\-年](\d{1,2})[/.\-月](\d{1,2})日?" + _TIME
NUMERIC_RE = r"^(\d{1,2})([/.\-])(\d{1,2})[/.\-](\d{4}|\d{2})" + _TIME
DAY_MONTH_NAME_RE = r"^(\d{1,2})[ \-]([A-Za-z]{3,9})\.?[ \-,]+(\d{4})" + _TIME
MONTH_NAME_DAY_RE = r"^([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})" + _TIME
TIME_RE = (r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6})\d*)?)?\s*([AaPp])?\.?[Mm]?\.?\s*"
           r"(Z|UTC|GMT|[+-]\d{2}:?\d{2})?$")
# Two-digit years: 00-68 are 20xx, 69-99 are 19xx (the POSIX rule strptime follows).
CENTURY_PIVOT = 69


@dataclass(frozen=True)
class DateEvidence:
    """What a column's values say about their format: the first value that reads only day first, or
    only month first, and whether any value is ambiguous (both day and month 12 or less)."""

    day_first: str | None
    month_first: str | None
    ambiguous: str | None
    patterns: tuple[str, ...]


@dataclass(frozen=True)
class DateFormat:
    """How a column is read (`pattern`, e.g. "DD/MM/YYYY hh:mm"), and why: a message template and its
    values, shown in the report."""

    order: str | None
    pattern: str
    why: str = ""
    values: dict[str, object] = field(default_factory=dict)
    explicit: str | None = None


def date_evidence(values: pl.Series) -> DateEvidence:
    text = values.drop_nulls().str.strip_chars()
    numeric = text.str.extract_groups(NUMERIC_RE).struct.unnest().rename(
        {"1": "a", "2": "sep", "3": "b", "4": "year", "5": "time"}).with_columns(
        pl.Series("text", text)).drop_nulls("a").with_columns(pl.col("a", "b").cast(pl.Int32))
    day_first = numeric.filter((pl.col("a") > 12) & (pl.col("b") <= 12))["text"]
    month_first = numeric.filter((pl.col("b") > 12) & (pl.col("a") <= 12))["text"]
    ambiguous = numeric.filter((pl.col("a") <= 12) & (pl.col("b") <= 12) & (pl.col("a") != pl.col("b"))
                               & (pl.col("sep") != "."))["text"]
    patterns = []
    if text.str.contains(r"^\d{4}-\d{1,2}-\d{1,2}").any():
        patterns.append("YYYY-MM-DD")
    if text.str.contains(r"^\d{4}[/.年]").any():
        patterns.append("YYYY/MM/DD")
    if text.str.contains(DAY_MONTH_NAME_RE).any():
        patterns.append("DD MMM YYYY")
    if text.str.contains(MONTH_NAME_DAY_RE).any():
        patterns.append("MMM DD, YYYY")
    return DateEvidence(day_first[0] if len(day_first) else None, month_first[0] if len(month_first) else None,
                        ambiguous[0] if len(ambiguous) else None, tuple(patterns))


def numeric_pattern(values: pl.Series, order: str) -> str:
    """The numeric format as a person reads it: DD/MM/YYYY, MM/DD/YYYY, DD.MM.YYYY, with time if any."""
    sample = values.drop_nulls().str.strip_chars().str.extract_groups(NUMERIC_RE).struct.unnest().drop_nulls("1")
    if sample.is_empty():
        return ""
    separator = sample["2"][0]
    year = "YY" if len(sample["4"][0]) == 2 else "YYYY"
    parts = ("DD", "MM") if order == DAY_FIRST else ("MM", "DD")
    time = " hh:mm" if sample["5"].is_not_null().any() else ""
    return f"{parts[0]}{separator}{parts[1]}{separator}{year}{time}"


def decide_date_format(column: str, values: pl.Series, file_evidence: Iterable[tuple[str, DateEvidence]],
                       stated_order: str | None, stated_format: str | None,
                       ) -> tuple[DateFormat | None, tuple[str, dict[str, object]] | None]:
    """The format to read a column with, or why it cannot be decided (a message template and values).

    The column's own values decide first, then another date column of the same file (one export uses
    one convention), then the stated order."""
    if stated_format:
        return DateFormat(None, stated_format, N_("stated"), explicit=stated_format), None
    evidence = date_evidence(values)
    if evidence.day_first and evidence.month_first:
        return None, (N_("Dates are written both day first ({day_first}) and month first ({month_first}): "
                         "correct the export or state date_format for this file."),
                      {"day_first": evidence.day_first, "month_first": evidence.month_first})
    why, why_values = "", {}
    if evidence.day_first or evidence.month_first:
        order = DAY_FIRST if evidence.day_first else MONTH_FIRST
        why, why_values = N_("decided by {value}"), {"value": evidence.day_first or evidence.month_first}
    elif evidence.ambiguous is None:
        order = stated_order or DAY_FIRST
    else:
        others = [(c, e) for c, e in file_evidence if c != column and bool(e.day_first) != bool(e.month_first)]
        if others:
            other_column, other = others[0]
            order = DAY_FIRST if other.day_first else MONTH_FIRST
            why, why_values = (N_("decided by column {column}: {value}"),
                               {"column": other_column, "value": other.day_first or other.month_first})
        elif stated_order:
            order, why = stated_order, N_("order stated")
        else:
            return None, (N_("Dates like {value} read both day first and month first, and no date in this file "
                             "decides: state the order with --date-order day-first|month-first or date_order "
                             "in the mapping."), {"value": evidence.ambiguous})
    numeric = numeric_pattern(values, order)
    patterns = [p for p in (numeric, *evidence.patterns) if p]
    return DateFormat(order, ", ".join(patterns), why if numeric else "", why_values if numeric else {}), None


def parse_datetimes(values: pl.Series, fmt: DateFormat) -> pl.Series:
    """The values as datetimes (microseconds, UTC where an offset is given); unreadable values are null."""
    text = values.str.strip_chars()
    if fmt.explicit:
        return text.str.to_datetime(fmt.explicit, strict=False, time_unit="us").alias(values.name)
    frame = pl.DataFrame({"v": text})
    year_first = pl.col("v").str.extract_groups(YEAR_FIRST_RE)
    numeric = pl.col("v").str.extract_groups(NUMERIC_RE)
    day_name = pl.col("v").str.extract_groups(DAY_MONTH_NAME_RE)
    name_day = pl.col("v").str.extract_groups(MONTH_NAME_DAY_RE)
    first, second = ("1", "3") if fmt.order == DAY_FIRST else ("3", "1")
    short_year = numeric.struct["4"].cast(pl.Int32)
    numeric_year = pl.when(short_year < 100).then(
        pl.when(short_year < CENTURY_PIVOT).then(short_year + 2000).otherwise(short_year + 1900)
    ).otherwise(short_year)
    months = _month_numbers()
    parts = frame.select(
        year=pl.coalesce(year_first.struct["1"].cast(pl.Int32), numeric_year,
                         day_name.struct["3"].cast(pl.Int32), name_day.struct["3"].cast(pl.Int32)),
        month=pl.coalesce(year_first.struct["2"].cast(pl.Int32), numeric.struct[second].cast(pl.Int32),
                          day_name.struct["2"].str.to_lowercase().replace_strict(months, default=None,
                                                                                 return_dtype=pl.Int32),
                          name_day.struct["1"].str.to_lowercase().replace_strict(months, default=None,
                                                                                 return_dtype=pl.Int32)),
        day=pl.coalesce(year_first.struct["3"].cast(pl.Int32), numeric.struct[first].cast(pl.Int32),
                        day_name.struct["1"].cast(pl.Int32), name_day.struct["2"].cast(pl.Int32)),
        time=pl.coalesce(year_first.struct["4"], numeric.struct["5"], day_name.struct["4"], name_day.struct["4"]),
    )
    clock = pl.col("time").str.extract_groups(TIME_RE)
    hour = clock.struct["1"].cast(pl.Int32)
    meridiem = clock.struct["5"].str.to_lowercase()
    hour = (pl.when(meridiem == "p").then(pl.when(hour < 12).then(hour + 12).otherwise(hour))
            .when(meridiem == "a").then(pl.when(hour == 12).then(0).otherwise(hour)).otherwise(hour))
    offset = clock.struct["6"].str.replace(":", "")
    offset_minutes = (pl.when(offset.str.contains(r"^[+-]\d{4}$"))
                      .then((offset.str.slice(1, 2).cast(pl.Int32) * 60 + offset.str.slice(3, 2).cast(pl.Int32))
                            * pl.when(offset.str.starts_with("-")).then(-1).otherwise(1))
                      .otherwise(0))
    timed = parts.with_columns(
        hour=hour, minute=clock.struct["2"].cast(pl.Int32), second=clock.struct["3"].cast(pl.Int32).fill_null(0),
        micro=clock.struct["4"].str.pad_end(6, "0").cast(pl.Int32).fill_null(0), offset=offset_minutes,
        time_ok=pl.col("time").is_null() | clock.struct["1"].is_not_null(),
    )
    iso = pl.format("{}-{}-{} {}:{}:{}.{}", pl.col("year"), pl.col("month").cast(pl.String).str.zfill(2),
                    pl.col("day").cast(pl.String).str.zfill(2),
                    pl.col("hour").fill_null(0).cast(pl.String).str.zfill(2),
                    pl.col("minute").fill_null(0).cast(pl.String).str.zfill(2),
                    pl.col("second").cast(pl.String).str.zfill(2),
                    pl.col("micro").cast(pl.String).str.zfill(6))
    parsed = timed.select(
        pl.when(pl.col("time_ok") & (pl.col("hour").fill_null(0) < 24))
        .then(iso.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us")
              - pl.duration(minutes=pl.col("offset")))
        .alias(values.name))
    return parsed.to_series()


@cache
def _month_numbers() -> dict[str, int]:
    names: dict[str, int] = {}
    for width in ("abbreviated", "wide"):
        for number, name in get_month_names(width, locale="en").items():
            names[str(name).lower()] = int(number)
    names["sept"] = 9
    return names


@dataclass(frozen=True)
class NumberEvidence:
    decimal_comma: str | None
    decimal_point: str | None
    ambiguous: str | None


_SEPARATORS_ONLY = r"[^\d.,]"


def number_evidence(values: pl.Series) -> NumberEvidence:
    """The first value that can only have a decimal comma, only a decimal point, or could have either
    ("1,234", "1.234")."""
    text = values.drop_nulls()
    digits = text.str.replace_all(_SEPARATORS_ONLY, "")
    frame = pl.DataFrame({"text": text, "digits": digits}).with_columns(
        commas=pl.col("digits").str.count_matches(","), dots=pl.col("digits").str.count_matches(r"\."),
        after=pl.col("digits").str.extract(r"[.,](\d*)$").str.len_chars(),
        last=pl.col("digits").str.extract(r"([.,])\d*$"))
    comma = frame.filter(((pl.col("commas") > 0) & (pl.col("dots") > 0) & (pl.col("last") == ","))
                         | ((pl.col("dots") > 1) & (pl.col("commas") == 0))
                         | ((pl.col("commas") == 1) & (pl.col("dots") == 0) & (pl.col("after") != 3)))["text"]
    point = frame.filter(((pl.col("commas") > 0) & (pl.col("dots") > 0) & (pl.col("last") == "."))
                         | ((pl.col("commas") > 1) & (pl.col("dots") == 0))
                         | ((pl.col("dots") == 1) & (pl.col("commas") == 0) & (pl.col("after") != 3)))["text"]
    ambiguous = frame.filter((pl.col("commas") + pl.col("dots") == 1) & (pl.col("after") == 3))["text"]
    return NumberEvidence(comma[0] if len(comma) else None, point[0] if len(point) else None,
                          ambiguous[0] if len(ambiguous) else None)


@dataclass(frozen=True)
class NumberFormat:
    decimal: str
    why: str = ""
    values: dict[str, object] = field(default_factory=dict)

    @property
    def pattern(self) -> str:
        return "1,234.56" if self.decimal == "." else "1.234,56"


def decide_decimal(column: str, values: pl.Series, file_evidence: Iterable[tuple[str, NumberEvidence]],
                   stated: str | None, excel: bool, whole: bool = False,
                   ) -> tuple[NumberFormat | None, tuple[str, dict[str, object]] | None]:
    """The decimal separator of a column and why, or why it cannot be decided. In a column of whole
    numbers (`whole`), "1,200" can only have a thousands separator."""
    evidence = number_evidence(values)
    if evidence.decimal_comma and evidence.decimal_point:
        return None, (N_("Numbers are written both with a decimal comma ({comma}) and a decimal point "
                         "({point}): correct the export."),
                      {"comma": evidence.decimal_comma, "point": evidence.decimal_point})
    if evidence.decimal_comma or evidence.decimal_point:
        return NumberFormat("," if evidence.decimal_comma else ".", N_("decided by {value}"),
                            {"value": evidence.decimal_comma or evidence.decimal_point}), None
    if evidence.ambiguous is None:
        return NumberFormat(stated or "."), None
    others = [(c, e) for c, e in file_evidence if c != column and bool(e.decimal_comma) != bool(e.decimal_point)]
    if others:
        other_column, other = others[0]
        return NumberFormat("," if other.decimal_comma else ".", N_("decided by column {column}: {value}"),
                            {"column": other_column, "value": other.decimal_comma or other.decimal_point}), None
    if stated:
        return NumberFormat(stated, N_("stated")), None
    if whole:
        return NumberFormat("." if "," in evidence.ambiguous else ",",
                            N_("whole numbers: the separator groups thousands")), None
    if excel:
        return NumberFormat(".", N_("Excel writes numbers with a decimal point")), None
    return None, (N_("Numbers like {value} read both as thousands and as decimals, and no number in this "
                     "file decides: state decimal = \".\" or \",\" in the mapping."),
                  {"value": evidence.ambiguous})


def parse_numbers(values: pl.Series, decimal: str) -> pl.Series:
    """The values as numbers; unreadable values are null."""
    thousands = "," if decimal == "." else "."
    text = values.str.strip_chars()
    negative = text.str.contains(r"^\(.*\)$") | text.str.contains(r"^[^\d]*-")
    digits = (text.str.replace_all(_SEPARATORS_ONLY, "").str.replace_all(re.escape(thousands), "")
              .str.replace(re.escape(decimal), "."))
    shape_ok = text.str.contains(r"\d") & ~text.str.contains(r"[A-Za-z]{4,}|\d[\s'’]*[A-Za-z]+[\s'’]*\d")
    number = digits.cast(pl.Float64, strict=False)
    return (pl.select(pl.when(shape_ok).then(pl.when(negative).then(-number).otherwise(number)))
            .to_series().alias(values.name))


@cache
def currency_symbols() -> dict[str, str]:
    """Currency symbols that stand for one current currency in the common locales (€, £, R$, ₹, …).
    "$", "¥" and "kr" stand for several and are left out: their currency must be stated."""
    current = {c.alpha_3 for c in pycountry.currencies}
    found: dict[str, set[str]] = {}
    for locale in ("en", "en_US", "en_CA", "en_AU", "en_NZ", "en_SG", "en_HK", "en_GB", "en_IN", "zh_CN",
                   "zh_TW", "ja_JP", "ko_KR", "es_MX", "es_AR", "pt_BR", "de_DE", "fr_FR", "fr_CH", "sv_SE",
                   "nb_NO", "da_DK", "ru_RU", "tr_TR", "pl_PL"):
        for code in list_currencies():
            symbol = get_currency_symbol(code, locale)
            if code in current and symbol != code:
                found.setdefault(symbol, set()).add(code)
    return {symbol: codes.pop() for symbol, codes in found.items() if len(codes) == 1}


def currency_in_values(values: pl.Series) -> pl.Series:
    """The currency each amount names itself ("EUR 1.234,56", "€ 1 234"), null where it names none or
    only an ambiguous symbol."""
    codes = {c.alpha_3 for c in pycountry.currencies}
    code = values.str.extract(r"(?:^|[^A-Za-z])([A-Z]{3})(?:[^A-Za-z]|$)")
    code = pl.select(pl.when(code.is_in(list(codes))).then(code)).to_series()
    symbol = values.str.extract(r"([^\d\s.,'’()+\-A-Za-z]*[^\d\s.,'’()+\-]+)").str.strip_chars()
    named = symbol.replace_strict(currency_symbols(), default=None, return_dtype=pl.String)
    return pl.select(pl.coalesce(code, named)).to_series().alias(values.name)


def ambiguous_symbol(values: pl.Series) -> str | None:
    """The first currency symbol in the amounts that stands for several currencies ("$", "¥"), if any."""
    symbols = values.drop_nulls().str.extract(r"([$¥]|\bkr\b)").drop_nulls()
    return symbols[0] if len(symbols) else None


def currency_code(text: str) -> str | None:
    """An ISO 4217 code from a code, a symbol that stands for one currency, or its English name as ISO
    4217 or CLDR (Dynamics 365, for one) writes it: "EUR", "€", "Euro", "US Dollar", "Japanese Yen"."""
    value = text.strip()
    try:
        return pycountry.currencies.lookup(value).alpha_3
    except LookupError:
        return currency_symbols().get(value) or currency_names().get(value.casefold())


@cache
def currency_names() -> dict[str, str]:
    current = {c.alpha_3 for c in pycountry.currencies}
    return {get_currency_name(code, locale="en").casefold(): code for code in list_currencies() if code in current}
