"""Translation: English source strings, Simplified Chinese from gettext PO catalogs read with Babel.

A language's catalog is every PO file in its folder (`locale/zh_CN/*.po`, one file per area of the
app). Every visible string goes through `translator(lang)`; `tests/test_i18n.py` extracts every
`t("...")` call and fails when the catalog lacks one or two files translate the same message. English
words that mean different things in different places ("At risk": a customer likely to churn, a target
likely to be missed) are told apart by a context (`msgctxt` in the PO file, `context_translator(lang)`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
CATALOG_DIRS = {"zh-CN": LOCALE_DIR / "zh_CN"}
BABEL_LOCALE = {"en": "en_US", "zh-CN": "zh_Hans_CN"}

Translate = Callable[..., str]
# What GNU gettext puts between a message's context and the message in a compiled catalog's keys.
CONTEXT_SEPARATOR = "\x04"


def N_(message: str) -> str:
    """Marks a constant as a message to translate where it is shown (extraction finds it)."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a constant message and its plural, translated where it is shown with its count
    (`plural_translator`): "1 won deal", "2 won deals"."""
    return singular, plural


def catalog_files(lang: str) -> list[Path]:
    folder = CATALOG_DIRS.get(lang)
    return sorted(folder.glob("*.po")) if folder else []


def catalog_key(message: str, context: str | None = None) -> str:
    """A message's key in `catalog`: the message itself, or its context and the message."""
    return f"{context}{CONTEXT_SEPARATOR}{message}" if context else message


def read_catalog(path: Path, lang: str) -> dict[str, str]:
    with path.open("rb") as handle:
        po = read_po(handle, locale=BABEL_LOCALE[lang])
    return {catalog_key(str(m.id), m.context): str(m.string) for m in po if m.id and m.string and not m.fuzzy}


@cache
def catalog(lang: str) -> dict[str, str]:
    messages: dict[str, str] = {}
    for path in catalog_files(lang):
        messages |= read_catalog(path, lang)
    return messages


def translator(lang: str) -> Translate:
    """`t("Revenue")` in the language; keyword arguments fill `{placeholders}` after translating."""
    messages = catalog(lang)

    def t(message: str, **values: object) -> str:
        text = messages.get(message, message)
        return text.format(**values) if values else text

    return t


def context_translator(lang: str) -> Callable[..., str]:
    """`pt("target status", "At risk")`: the message as translated for that context, where the same
    English words need another translation elsewhere; keyword arguments fill `{placeholders}`."""
    messages = catalog(lang)

    def pt(context: str, message: str, **values: object) -> str:
        text = messages.get(catalog_key(message, context), message)
        return text.format(**values) if values else text

    return pt


def plural_translator(lang: str) -> Callable[..., str]:
    """`tn("{n} order", "{n} orders", count, n=…)`: the form the language uses for `count` (Babel's
    plural rules), translated; a catalog translates a plural message under its singular form."""
    messages = catalog(lang)
    locale = babel_locale(lang)

    def tn(singular: str, plural: str, count: float, **values: object) -> str:
        if singular in messages:
            text = messages[singular]
        else:
            text = singular if locale.plural_form(abs(count)) == "one" else plural
        return text.format(**values)

    return tn


def babel_locale(lang: str) -> Locale:
    return Locale.parse(BABEL_LOCALE.get(lang, "en_US"))
