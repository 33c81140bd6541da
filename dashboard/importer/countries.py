"""Countries as exports write them, to ISO 3166 alpha-2, with pycountry's data only.

A value is matched by its code (DE, DEU), its English name, official or common name ("United States of
America", "South Korea"), or its name in any language pycountry ships ("Deutschland", "Brasil",
"中国"). Case, accents, punctuation and a leading "the" do not matter, nor the order of "Korea,
Republic of". `ALIASES` holds the few everyday names pycountry lacks. Anything else is not guessed:
the closest names (rapidfuzz) are proposed in the report and the value is stored empty until the
mapping's `[countries]` table confirms it.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pycountry
from rapidfuzz import fuzz, process

# Everyday names that pycountry does not list under any language (checked against pycountry 26).
ALIASES: dict[str, str] = {
    "uk": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
    "northern ireland": "GB", "holland": "NL", "turkey": "TR", "ivory coast": "CI", "swaziland": "SZ",
    "burma": "MM", "cape verde": "CV", "east timor": "TL", "vatican": "VA", "brunei": "BN", "macau": "MO",
    "uae": "AE", "ksa": "SA", "prc": "CN", "mainland china": "CN", "dr congo": "CD", "drc": "CD",
}
PROPOSAL_CUTOFF = 80


@dataclass(frozen=True)
class Match:
    code: str | None
    proposals: tuple[tuple[str, str], ...] = ()


def normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.replace("&", " and ").replace("st.", "saint ").replace(".", "")
    plain = re.sub(r"[^\w]+", " ", plain).strip()
    return re.sub(r"^the ", "", plain)


def _variants(name: str) -> list[str]:
    """A name and, for "Korea, Republic of", "Republic of Korea"."""
    variants = [name]
    if ", " in name:
        head, tail = name.split(", ", 1)
        variants.append(f"{tail} {head}")
    return variants


@cache
def _english_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name"):
            value = getattr(country, attribute, None)
            for variant in _variants(value) if value else []:
                names[normalise(variant)] = country.alpha_2
    names.update(ALIASES)
    return names


@cache
def _local_names() -> dict[str, str]:
    """Country names in every language pycountry has a translation for; names that two languages
    give to different countries are left out."""
    found: dict[str, set[str]] = {}
    for locale in sorted(p.name for p in Path(pycountry.LOCALES_DIR).iterdir()):
        try:
            translation = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[locale])
        except OSError:
            continue
        for country in pycountry.countries:
            for attribute in ("name", "official_name", "common_name"):
                value = getattr(country, attribute, None)
                if value:
                    for variant in _variants(translation.gettext(value)):
                        found.setdefault(normalise(variant), set()).add(country.alpha_2)
    return {name: codes.pop() for name, codes in found.items() if len(codes) == 1}


def match(value: str) -> Match:
    key = normalise(value)
    code = _by_code(key) or _english_names().get(key) or _local_names().get(key)
    if code:
        return Match(code)
    return Match(None, _proposals(key))


def _by_code(key: str) -> str | None:
    """The alpha-2 code of "de", "DEU", "U.S.A." (its normalised form)."""
    if not re.fullmatch(r"[a-z]{2,3}", key):
        return None
    country = pycountry.countries.get(**{"alpha_2" if len(key) == 2 else "alpha_3": key.upper()})
    return country.alpha_2 if country is not None else None


def _proposals(key: str) -> tuple[tuple[str, str], ...]:
    """The best near match, or the equally good ones when they are different countries."""
    names = _english_names()
    found = process.extract(key, list(names), scorer=fuzz.WRatio, score_cutoff=PROPOSAL_CUTOFF, limit=8)
    if not found:
        return ()
    best = found[0][1]
    codes = sorted({names[name] for name, score, _ in found if score == best})
    return tuple((code, pycountry.countries.get(alpha_2=code).name) for code in codes)


def resolve(values: Iterable[str], confirmed: Mapping[str, str]) -> dict[str, Match]:
    """Each distinct value's match; `confirmed` (the mapping's [countries]) decides first."""
    by_value = {normalise(k): v.upper() for k, v in confirmed.items()}
    return {value: Match(by_value[normalise(value)]) if normalise(value) in by_value else match(value)
            for value in set(values)}


def is_code(code: str) -> bool:
    return pycountry.countries.get(alpha_2=code.upper()) is not None
