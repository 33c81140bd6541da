"""Voice of the customer: survey comments, what they are about, and how often each theme comes up.

Themes are found by an explainable rule: a comment belongs to a theme when it contains one of that
theme's words or phrases for its language, listed in `data/voice/themes.toml` (Chinese comments are cut
into words first). Comments are personal data: a role without personal-data rights gets them masked
here, and its searches are not run against their text.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import polars as pl

from dashboard.filters import Filters
from dashboard.paths import PROJECT_ROOT
from dashboard.snapshot import Snapshot
from queries.common import base_language, rows

THEMES_FILE = PROJECT_ROOT / "data" / "voice" / "themes.toml"
THEMES = ("price", "delivery", "support_speed", "product_quality", "communication", "billing", "onboarding")
MASK = "•••"
# Between the words of a segmented comment: a character no comment contains.
WORD_GAP = "\x1f"


@dataclass(frozen=True)
class Dictionary:
    """One language's theme entries and how they match (see the data file's header)."""

    match: str
    entries: dict[str, tuple[str, ...]]

    def pattern(self, theme: str) -> str | None:
        words = self.entries.get(theme, ())
        if not words:
            return None
        alternatives = "|".join(re.escape(w.lower()) for w in words)
        if self.match == "words":
            return f"(?:^|{WORD_GAP})(?:{alternatives})(?:{WORD_GAP}|$)"
        if self.match == "substring":
            return f"(?:{alternatives})"
        return rf"\b(?:{alternatives})"


@cache
def dictionaries(path: Path = THEMES_FILE) -> dict[str, Dictionary]:
    """The theme dictionaries per language code (en, zh, …)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {lang: Dictionary(str(spec.get("match", "prefix")),
                             {theme: tuple(spec.get(theme, ())) for theme in THEMES})
            for lang, spec in data.items()}


def segment(text: str) -> str:
    """A Chinese text cut into words, joined by WORD_GAP."""
    # Imported here: loading its dictionary takes a fifth of a second, which a server start spends
    # only once a page shows comments.
    import rjieba

    return WORD_GAP.join(w for w in rjieba.cut(text.lower()) if w.strip())


def with_themes(frame: pl.LazyFrame, path: Path = THEMES_FILE) -> pl.LazyFrame:
    """Adds `lang` (the base language) and one boolean column per theme (null where the language has
    no dictionary), and `themes`, the list of themes a comment touches."""
    books = dictionaries(path)
    frame = frame.with_columns(base_language("language").alias("lang"))
    segmented = [lang for lang, book in books.items() if book.match == "words"]
    text = pl.col("comment").str.to_lowercase()
    matchable = (pl.when(pl.col("lang").is_in(segmented))
                 .then(pl.col("comment").map_elements(segment, return_dtype=pl.String))
                 .otherwise(text)) if segmented else text
    frame = frame.with_columns(matchable.alias("_text"))
    def hit(book: Dictionary, theme: str) -> pl.Expr:
        pattern = book.pattern(theme)
        return pl.col("_text").str.contains(pattern) if pattern else pl.lit(False)

    frame = frame.with_columns(
        pl.coalesce([pl.when(pl.col("lang") == lang).then(hit(book, theme)) for lang, book in books.items()])
        .alias(theme) for theme in THEMES)
    themes = pl.concat_list([pl.when(pl.col(t)).then(pl.lit(t)) for t in THEMES]).list.drop_nulls()
    return frame.with_columns(themes.alias("themes")).drop("_text")


# What a score says about how the customer feels, per survey kind (NPS 0-10, CSAT 1-5, CES 1-7 where
# low is easy): the groups the demo data and the industry use.
TONE = (pl.when(pl.col("kind") == "NPS").then(
            pl.when(pl.col("score") >= 9).then(pl.lit("promoter"))
            .when(pl.col("score") >= 7).then(pl.lit("passive")).otherwise(pl.lit("detractor")))
        .when(pl.col("kind") == "CSAT").then(
            pl.when(pl.col("score") >= 4).then(pl.lit("promoter"))
            .when(pl.col("score") == 3).then(pl.lit("passive")).otherwise(pl.lit("detractor")))
        .otherwise(
            pl.when(pl.col("score") <= 2).then(pl.lit("promoter"))
            .when(pl.col("score") <= 4).then(pl.lit("passive")).otherwise(pl.lit("detractor")))
        .alias("tone"))


COMMENTED = pl.col("comment").is_not_null() & (pl.col("comment").str.strip_chars() != "")


# Finding themes is the slow part (a regular expression per theme and language, word segmentation for
# Chinese), and customers write the same short comments again and again: each distinct text is tagged
# once per snapshot, and a new period or filter only looks its comments up.
@lru_cache(maxsize=4)
def _themes_of_texts(src: Snapshot) -> pl.DataFrame:
    """language, comment — every distinct commented pair of the snapshot — with `lang`, a flag per theme
    and `themes`."""
    texts = src.scan("surveys").filter(COMMENTED).select("language", "comment").unique()
    return with_themes(texts).collect()


def prepare(src: Snapshot) -> None:
    """Tags the distinct comments of `src` ahead of the first view that needs them."""
    _themes_of_texts(src)


# The four views of one page share one lookup per snapshot and filters.
@lru_cache(maxsize=16)
def _tagged(src: Snapshot, f: Filters) -> pl.DataFrame:
    """The period's comments with `lang`, a flag per theme and `themes`, and `tone`."""
    commented = rows(src, f, "surveys").filter(COMMENTED)
    return (commented.join(_themes_of_texts(src).lazy(), on=["language", "comment"], how="left",
                           nulls_equal=True, maintain_order="left")
            .with_columns(TONE).collect())


def comments(src: Snapshot, f: Filters, search: str = "", themes: tuple[str, ...] = (),
             languages: tuple[str, ...] = (), order: str = "newest", limit: int = 200) -> pl.DataFrame:
    """answered_at, kind, score, tone, country_iso2, language, channel, comment, themes — the comments of
    the period, newest first (`order` "newest") or lowest score first ("lowest": detractors first, by
    the score's place on its own scale), at most `limit`. `search` (case-insensitive text) and `themes`
    (any of) and `languages` narrow them. For a role without personal-data rights the comment's text is
    masked and `search` is ignored: a search would reveal what the text says."""
    frame = _tagged(src, f).lazy()
    if search and f.personal_data:
        frame = frame.filter(pl.col("comment").str.to_lowercase().str.contains(search.lower(), literal=True))
    if themes:
        frame = frame.filter(pl.col("themes").list.eval(pl.element().is_in(themes)).list.any())
    if languages:
        frame = frame.filter(pl.col("lang").is_in(languages))
    if order == "lowest":
        # A score's position on its own scale, 0 (worst) to 1 (best): CES runs the other way.
        place = (pl.when(pl.col("kind") == "NPS").then(pl.col("score") / 10)
                 .when(pl.col("kind") == "CSAT").then((pl.col("score") - 1) / 4)
                 .otherwise((7 - pl.col("score")) / 6))
        frame = frame.sort(place, pl.col("answered_at"), pl.col("id"), descending=[False, True, False])
    else:
        frame = frame.sort("answered_at", "id", descending=[True, False])
    out = frame.head(limit).select("answered_at", "kind", "score", "tone", "country_iso2", "lang", "channel",
                                   "comment", "themes").rename({"lang": "language"})
    if not f.personal_data:
        out = out.with_columns(pl.lit(MASK).alias("comment"))
    return out.collect()


def theme_counts(src: Snapshot, f: Filters) -> pl.DataFrame:
    """language, theme, comments (with the theme), of (comments in that language with a dictionary),
    share (0..1) — per language that has comments, every theme."""
    tagged = _tagged(src, f).lazy().filter(pl.col("lang").is_in(list(dictionaries())))
    totals = tagged.group_by("lang").agg(pl.len().cast(pl.Int64).alias("of"))
    counts = tagged.group_by("lang").agg(pl.col(t).sum().cast(pl.Int64).alias(t) for t in THEMES)
    return (counts.unpivot(index="lang", variable_name="theme", value_name="comments")
            .join(totals, on="lang").with_columns((pl.col("comments") / pl.col("of")).alias("share"))
            .rename({"lang": "language"}).sort("language", "theme").collect())


def theme_by_tone(src: Snapshot, f: Filters) -> pl.DataFrame:
    """theme, detractor_comments, detractor_share, promoter_comments, promoter_share, detractors,
    promoters — NPS comments of the period: how many detractors' (0-6) and promoters' (9-10) comments
    touch each theme, of all their comments in a language with a dictionary."""
    tagged = _tagged(src, f).lazy().filter((pl.col("kind") == "NPS") & pl.col("lang").is_in(list(dictionaries())))
    parts = []
    for tone in ("detractor", "promoter"):
        group = tagged.filter(pl.col("tone") == tone)
        parts.append(group.select(pl.len().cast(pl.Int64).alias(f"{tone}s"),
                                  *[pl.col(t).sum().cast(pl.Int64).alias(t) for t in THEMES])
                     .unpivot(index=f"{tone}s", variable_name="theme", value_name=f"{tone}_comments"))
    joined = parts[0].join(parts[1], on="theme")
    return (joined.with_columns(
        pl.when(pl.col("detractors") > 0).then(pl.col("detractor_comments") / pl.col("detractors"))
        .alias("detractor_share"),
        pl.when(pl.col("promoters") > 0).then(pl.col("promoter_comments") / pl.col("promoters"))
        .alias("promoter_share"))
        .select("theme", "detractor_comments", "detractor_share", "promoter_comments", "promoter_share",
                "detractors", "promoters")
        .sort(["detractor_share", "theme"], descending=[True, False], nulls_last=True).collect())


def theme_trend(src: Snapshot, f: Filters) -> pl.DataFrame:
    """month, theme, comments, of, share — per calendar month of the period, the share of detractors'
    comments (any survey kind, a language with a dictionary) that touch each theme."""
    tagged = (_tagged(src, f).lazy().filter(pl.col("lang").is_in(list(dictionaries())))
              .filter(pl.col("tone") == "detractor")
              .with_columns(pl.col("answered_at").dt.truncate("1mo").dt.date().alias("month")))
    counts = tagged.group_by("month").agg(pl.len().cast(pl.Int64).alias("of"),
                                          *[pl.col(t).sum().cast(pl.Int64).alias(t) for t in THEMES])
    return (counts.unpivot(index=["month", "of"], variable_name="theme", value_name="comments")
            .with_columns((pl.col("comments") / pl.col("of")).alias("share"))
            .select("month", "theme", "comments", "of", "share").sort("month", "theme").collect())
