"""Text from the CRM or a link stays text: no Markdown, no HTML, no formulas, no reordering."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import text


@pytest.mark.parametrize("hostile", [
    "[click](https://evil.example/)", "![x](https://evil.example/p.png)", "<img src=https://evil.example/p.png>",
    "**bold** _it_ `code`", ":red[alarm] :material/warning:", "$x^2$", "# Heading", "https://evil.example/",
])
def test_markdown_shows_the_characters(hostile: str) -> None:
    shown = text.markdown(hostile)
    # Rendered through Streamlit's Markdown, nothing but the original characters remains.
    at = AppTest.from_string(f"import streamlit as st\nst.markdown({shown!r})").run()
    assert at.markdown[0].value == shown
    assert "](" not in shown and "![" not in shown
    assert all(ch in ("\\", text.WORD_JOINER) or ch in hostile for ch in shown)


def test_addresses_link_nowhere() -> None:
    # Streamlit links bare addresses after reading escapes: a word joiner breaks them, invisibly.
    assert text.markdown("https://evil.example") == "https\\:\u2060//evil\\.example"
    assert text.markdown("www.evil.example") == "www\u2060\\.evil\\.example"
    assert text.markdown("x@evil.example") == "x\u2060@evil\\.example"


def test_bidi_overrides_are_removed() -> None:
    assert text.clean("abc\u202edcba\u202c") == "abcdcba"
    assert text.html_safe("<b>\u2066x</b>") == "&lt;b&gt;x&lt;/b&gt;"


@pytest.mark.parametrize(("cell", "expected"), [
    ("=HYPERLINK(\"https://evil\")", "'=HYPERLINK(\"https://evil\")"), ("+1", "'+1"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("Acme", "Acme"), (12, 12), (None, None),
])
def test_spreadsheet_cells_never_run(cell: object, expected: object) -> None:
    assert text.spreadsheet_safe(cell) == expected
