"""Translation: English source strings, Simplified Chinese from a gettext PO catalog read with Babel.

Every visible string goes through `translator(lang)`; `tests/test_i18n.py` extracts every `t("...")`
call and fails when the catalog lacks one.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
CATALOG_FILES = {"zh-CN": LOCALE_DIR / "zh_CN.po"}
BABEL_LOCALE = {"en": "en_US", "zh-CN": "zh_Hans_CN"}

Translate = Callable[..., str]


def N_(message: str) -> str:
    """Marks a constant as a message to translate where it is shown (extraction finds it)."""
    return message


@cache
def catalog(lang: str) -> dict[str, str]:
    path = CATALOG_FILES.get(lang)
    if path is None:
        return {}
    with path.open("rb") as handle:
        po = read_po(handle, locale=BABEL_LOCALE[lang])
    return {str(m.id): str(m.string) for m in po if m.id and m.string and not m.fuzzy}


def translator(lang: str) -> Translate:
    """`t("Revenue")` in the language; keyword arguments fill `{placeholders}` after translating."""
    messages = catalog(lang)

    def t(message: str, **values: object) -> str:
        text = messages.get(message, message)
        return text.format(**values) if values else text

    return t


def babel_locale(lang: str) -> Locale:
    return Locale.parse(BABEL_LOCALE.get(lang, "en_US"))
