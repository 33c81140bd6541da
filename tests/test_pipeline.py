"""The sales pipeline on the tiny CRM (tests/tiny.py), against values worked out by hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.filters import Filters
from dashboard.snapshot import Snapshot
from queries import pipeline
from tests.test_app import app, charts, crm, opened, shown, tile

SHARED_FIXTURES = (app, crm)  # the tiny CRM and the app of tests/test_app.py

PERIOD = Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31), personal_data=True)


def test_open_pipeline_by_stage(tiny_src: Snapshot) -> None:
    # Open on 31 March: opportunity 4 only (propose, 10 EUR opened 1 March at 1.20 USD per euro = 12 USD);
    # a proposal counts 30 %.
    stages = pipeline.pipeline_by_stage(tiny_src, PERIOD)
    assert stages.select("stage", "open_deals").rows() == [("qualify", 0), ("propose", 1), ("negotiate", 0)]
    assert stages["pipeline"].to_list() == pytest.approx([0.0, 12.0, 0.0])
    assert stages["weighted_pipeline"].to_list() == pytest.approx([0.0, 3.6, 0.0])


def test_won_deals_by_rep_team_manager_and_office(tiny_src: Snapshot) -> None:
    # Closed in the period: 1 (rep 1, won, 10 USD, 45 days), 2 (rep 1, lost), 3 (no rep, won, 10 EUR opened
    # at 1.20 = 12 USD, 40 days).
    by_rep = pipeline.deals_by(tiny_src, PERIOD, "rep_id")
    assert by_rep.select("rep_id", "name", "closed", "won", "win_rate", "deal_cycle_days").rows() == [
        (None, None, 1, 1, 1.0, 40.0), (1, "Rep One", 2, 1, 0.5, 45.0)]
    assert by_rep["won_value"].to_list() == pytest.approx([12.0, 10.0])
    by_manager = pipeline.deals_by(tiny_src, PERIOD, "manager")
    assert by_manager.select("name", "closed", "won").rows() == [(None, 1, 1), ("Ann", 2, 1)]
    by_office = pipeline.deals_by(tiny_src, PERIOD, "office")
    assert by_office.select("office", "won_value").rows() == [(None, pytest.approx(12.0)), ("New York", 10.0)]


def test_rep_names_are_masked_without_personal_data_rights(tiny_src: Snapshot) -> None:
    by_rep = pipeline.deals_by(tiny_src, replace(PERIOD, personal_data=False), "rep_id")
    assert by_rep["name"].to_list() == [None, "R••• #1"]


def test_an_unknown_dimension_is_refused(tiny_src: Snapshot) -> None:
    with pytest.raises(ValueError, match="cannot be broken down"):
        pipeline.deals_by(tiny_src, PERIOD, "email")


@pytest.fixture
def pipeline_page(app: AppTest) -> AppTest:
    return opened(app, "pipeline")


def test_a_tile_that_cannot_be_compared_says_so(pipeline_page: AppTest) -> None:
    weighted = tile(pipeline_page, "weighted_pipeline")
    assert weighted["change"] == "" and weighted["note"] == "Not compared: no history kept"
    assert tile(pipeline_page, "pipeline_value")["note"] == ""  # compared: its change says enough


def test_product_line_chart_says_it_is_every_won_order(pipeline_page: AppTest) -> None:
    # Won orders in the period: 1000 + 500 + 110 + 120 + 60 = 1,790 USD, all of the Platform line; won deals
    # (opportunities 1 and 3): 10 + 12 = 22 USD.
    assert tile(pipeline_page, "won_value")["value"] == "$22.00"
    titles = [figure["layout"]["title"]["text"] for figure in charts(pipeline_page)]
    assert "Revenue by product line, all won orders (USD)" in titles
    assert ("Every order won in the period, $1,790 in all, as in the Revenue KPI: reorders and purchases made "
            "without a deal included. Won deal value counts only the deals won in the pipeline, which carry no "
            "product line.") in [shown(c.value) for c in pipeline_page.caption]


def test_breakdown_heading_names_the_chosen_dimension(pipeline_page: AppTest) -> None:
    assert "Deals won and lost by rep" in [s.value for s in pipeline_page.subheader]
    pipeline_page.selectbox(key="pipeline_dimension").set_value("team_id").run()
    assert "Deals won and lost by team" in [s.value for s in pipeline_page.subheader]
