"""Charts are drawn by plotly.js's basic bundle, served from the app's own static files."""

from __future__ import annotations

import re

import plotly.graph_objects as go
import pytest
from streamlit import config

from dashboard import plot


def test_the_bundle_is_plotlys_basic_build_and_draws_every_trace_type_it_is_trusted_with() -> None:
    code = plot.BUNDLE.read_text(encoding="utf-8")
    assert "plotly.js (basic - minified)" in code[:200] and "Licensed under the MIT license" in code[:200]
    registered = set(re.findall(r'moduleType:"trace",name:"(\w+)"', code))
    assert registered == plot.TRACES


def test_a_figure_the_bundle_cannot_draw_is_refused_rather_than_shown_blank() -> None:
    with pytest.raises(ValueError, match="heatmap"):
        plot.show(go.Figure(go.Heatmap(z=[[1, 2], [3, 4]])), {}, "")


def test_the_bundle_is_found_under_the_servers_base_path(monkeypatch: pytest.MonkeyPatch) -> None:
    options = {"server.baseUrlPath": ""}
    monkeypatch.setattr(config, "get_option", options.__getitem__)
    assert plot.bundle_url() == "/app/static/plotly-basic.min.js"
    options["server.baseUrlPath"] = "/crm/meridian/"
    assert plot.bundle_url() == "/crm/meridian/app/static/plotly-basic.min.js"
