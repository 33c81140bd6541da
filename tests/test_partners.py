"""The partner performance page on the tiny CRM (tests/tiny.py): its tiles describe the deals that came
through partners, and its table says what "–" means."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests import tiny
from tests.test_app import app, app_on, crm, opened, shown, tile

SHARED_FIXTURES = (app, crm)  # the tiny CRM and the app of tests/test_app.py


@pytest.fixture
def partners_page(app: AppTest) -> AppTest:
    return opened(app, "partners")


def test_deal_tiles_count_the_deals_partners_brought(partners_page: AppTest) -> None:
    # Closed in the period through partner 1: opportunities 1 (won) and 2 (lost). The company closed 3
    # (opportunity 3 names no partner), the sample the sales pipeline's tiles show.
    win = tile(partners_page, "partner_win_rate")
    assert (win["label"], win["note"]) == ("Partner win rate", "Too few to show: 2 closed deals (at least 10)")
    assert tile(partners_page, "partner_deal_cycle")["label"] == "Partner deal cycle"
    assert tile(partners_page, "partner_deal_size")["label"] == "Average partner deal size"
    with pytest.raises(AssertionError, match="no tile"):
        tile(partners_page, "win_rate")


def test_the_table_says_what_a_dash_means(partners_page: AppTest) -> None:
    captions = [shown(c.value) for c in partners_page.caption]
    assert ("– where a partner has too few to show: Win rate needs at least 10 closed deals, Deal cycle 5 won "
            "deals, NPS 30 responses.") in captions
    # The demo's default role has no personal-data rights: partner 1 has one customer, fewer than 5.
    assert ("Revenue, orders and NPS are – for a partner with fewer than 5 customers: your role does not see "
            "personal data.") in captions


def test_deals_that_name_no_partner_are_said_not_counted_as_none(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # A CRM whose deals do not record their partner (orders still do): the deal tiles say what they need
    # instead of a partner win rate of nothing.
    frames = tiny.tables()
    frames["opportunities"] = frames["opportunities"].with_columns(partner_id=None)
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    tiny.write(url, frames)
    page = opened(app_on(url, tmp_path, monkeypatch), "partners")
    for key in ("partner_win_rate", "partner_deal_cycle", "partner_deal_size"):
        assert (tile(page, key)["value"], tile(page, key)["note"]) == ("–", "Needs deals with their partner")
    assert tile(page, "partner_revenue")["value"] != "–"
