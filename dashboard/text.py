"""Text from the CRM or from a link, made inert for where it is shown.

A name like `[x](https://…)`, `![](https://…)`, `<img src=…>` or `=HYPERLINK(…)` must show as the
characters it is, never as a link, a remote image or a formula, and right-to-left override
characters must not reorder what follows them. Streamlit renders Markdown in titles, captions,
notices, labels and help texts (`markdown`); plotly and deck.gl tooltips render HTML (`html_safe`);
CSV and Excel files run formulas (`spreadsheet_safe`).
"""

from __future__ import annotations

import html
import re

# Directional formatting characters (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI) and marks: a value
# from the data must not flip the text around it.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
# Markdown's punctuation, plus ":" (Streamlit's :icon: and :colour[…] directives, and bare links) and "$"
# (formulas).
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=\"'&])")
# Streamlit turns bare addresses into links after Markdown's escapes are read, so escaping cannot stop
# it: an invisible word joiner inside "://", "www." and before "@" does.
WORD_JOINER = "\u2060"
LINK_STARTS = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)", re.IGNORECASE)
# OWASP: a cell starting with one of these is a formula to a spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean(value: object) -> str:
    """The value as text without directional control characters."""
    return BIDI_CONTROLS.sub("", "" if value is None else str(value))


def markdown(value: object) -> str:
    """The value for a place that renders Markdown (st.title, st.caption, st.warning, labels, help):
    every Markdown character escaped and every address broken by a word joiner, so it shows literally
    and links nowhere."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", LINK_STARTS.sub(WORD_JOINER, clean(value)))


def html_safe(value: object) -> str:
    """The value for a place that renders HTML (tiles, plotly labels and hover texts, map tooltips)."""
    return html.escape(clean(value), quote=True)


def spreadsheet_safe(value: object) -> object:
    """A cell for a CSV or Excel export: text that a spreadsheet would run as a formula gets a leading
    apostrophe (OWASP's advice); other values pass unchanged."""
    if isinstance(value, str):
        value = clean(value)
        if value.startswith(FORMULA_START):
            return "'" + value
    return value
