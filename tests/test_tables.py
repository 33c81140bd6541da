"""Tables whose names are never cut: a column to fit is as wide as its widest value on any page."""

import polars as pl
import streamlit as st

from dashboard.components import fitted

NAMES = ["Serbia", "Türkiye", "Netherlands", "Germany", "Spain", "Italy", "Mexico", "Hungary", "Argentina",
         "Colombia", "Vietnam", "United Arab Emirates"]


def test_a_long_name_below_the_first_rows_widens_its_column() -> None:
    frame = pl.DataFrame({"name": NAMES, "customers": ["45"] * len(NAMES)})
    sized = fitted(frame, {"name": "Country", "customers": "Active customers"}, ["name"])
    # Capitals U, A, E 9 px; m 12; i, t, r and the spaces (8) 5; the 8 other letters 7: 135 px, and 28 px
    # of cell padding and sort arrow.
    assert sized["name"]["label"] == "Country"
    assert sized["name"]["width"] == 3 * 9 + 12 + 8 * 5 + 8 * 7 + 28
    assert sized["customers"] == "Active customers"  # not asked for: left to the grid


def test_chinese_names_count_twice_as_wide_and_a_long_header_wins() -> None:
    frame = pl.DataFrame({"name": ["塞尔维亚", "阿拉伯联合酋长国"], "rep": ["Li", "Wu"]})
    sized = fitted(frame, {"name": "国家", "rep": st.column_config.TextColumn("Representative", help="Who")},
                   ["name", "rep"])
    assert sized["name"]["width"] == 8 * 15 + 28
    # R 9 px; r, t, t, i 5; the 9 other letters 7.
    assert sized["rep"]["width"] == 9 + 4 * 5 + 9 * 7 + 28
    assert sized["rep"]["help"] == "Who"  # the rest of a given column's configuration is kept


def test_a_hidden_or_empty_column_stays_as_configured() -> None:
    frame = pl.DataFrame({"id": [1, 2], "note": [None, None]}, schema={"id": pl.Int64, "note": pl.String})
    sized = fitted(frame, {"id": None, "note": "N"}, ["id", "note"])
    assert sized["id"] is None
    assert sized["note"]["width"] == 40 + 28  # the narrowest column the grid draws well
