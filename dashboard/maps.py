"""World maps drawn with pydeck from country shapes shipped in the repository: no tiles, no CDN, no token.

Shapes: Natural Earth (public domain) via world-atlas (ISC), see data/world/README.md.
"""

from __future__ import annotations

import copy
import json
import math
from functools import cache

import polars as pl
import pydeck as pdk

from dashboard import fmt, theme
from dashboard.paths import PROJECT_ROOT

WORLD_FILE = PROJECT_ROOT / "data" / "world" / "countries.geojson"
BASE_FILL = [229, 229, 229, 255]
LINE = [255, 255, 255, 255]
# An orthographic view of longitude/latitude (an equirectangular map): Streamlit puts a tiled basemap
# under every MapView without a style, and tiles would leave the machine.
WORLD_VIEW = pdk.View(type="OrthographicView", controller=True, flipY=False)
WORLD_TARGET = {"target": [15, 20, 0], "zoom": 1.9, "minZoom": 0.8, "maxZoom": 9}


@cache
def world() -> dict:
    return json.loads(WORLD_FILE.read_text())


def country_codes() -> set[str]:
    return {f["properties"]["iso2"] for f in world()["features"]}


def _rgb(hex_colour: str) -> list[int]:
    return [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]


def sequential_colour(share: float) -> list[int]:
    """Colour for a value at `share` (0..1) of the scale, interpolated along theme.SEQUENTIAL."""
    stops = [_rgb(c) for c in theme.SEQUENTIAL]
    position = min(max(share, 0.0), 1.0) * (len(stops) - 1)
    low = int(position)
    high = min(low + 1, len(stops) - 1)
    frac = position - low
    return [*(round(a + (b - a) * frac) for a, b in zip(stops[low], stops[high], strict=True)), 235]


class CompactDeck(pdk.Deck):
    """A Deck whose JSON has no indentation: pydeck indents by two spaces per level, which for map
    shapes (a number per line) makes the page several times heavier."""

    def to_json(self) -> str:
        return json.dumps(json.loads(super().to_json()), separators=(",", ":"))


def choropleth(values: pl.DataFrame, labels: dict[str, str], tooltip_html: str,
               cities: pl.DataFrame | None = None, view: dict | None = None) -> pdk.Deck:
    """Countries coloured by `value` (column `country_iso2`, `value`, plus any tooltip fields in `labels`),
    and optionally city points (`lon`, `lat`, `radius`, `tooltip`) on top.

    `labels` maps property names shown in the tooltip to column names of `values`.
    """
    data = {r["country_iso2"]: r for r in values.iter_rows(named=True)}
    finite = [r["value"] for r in data.values() if r["value"] is not None]
    low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    span = (high - low) or 1.0
    shaded = []
    for feature in world()["features"]:
        row = data.get(feature["properties"]["iso2"])
        if row is None or row["value"] is None:
            continue
        item = copy.copy(feature)
        item["properties"] = {"iso2": feature["properties"]["iso2"],
                              "fill": sequential_colour((row["value"] - low) / span),
                              **{name: row[column] for name, column in labels.items()}}
        shaded.append(item)
    # The grey base map is a layer of its own that cannot be picked: with every country pickable in
    # one layer, deck.gl's click picking in Streamlit stops reporting the country clicked.
    # Line widths in pixels: in an orthographic view a "metre" would be a whole degree. Quoted, because
    # pydeck reads a bare string as an accessor expression.
    base = pdk.Layer("GeoJsonLayer", world(), id="world", stroked=True, filled=True, get_fill_color=BASE_FILL,
                     get_line_color=LINE, line_width_units='"pixels"', get_line_width=0.6, pickable=False)
    layer = pdk.Layer("GeoJsonLayer", {"type": "FeatureCollection", "features": shaded}, id="countries",
                      stroked=True, filled=True, get_fill_color="properties.fill", get_line_color=LINE,
                      line_width_units='"pixels"', get_line_width=0.6, pickable=True, auto_highlight=True)
    layers = [base, layer]
    if cities is not None and not cities.is_empty():
        layers.append(pdk.Layer(
            "ScatterplotLayer", cities.select("lon", "lat", "radius", "label", "amount").to_dicts(), id="cities",
            get_position=["lon", "lat"], get_radius="radius", radius_units='"pixels"', radius_min_pixels=2,
            radius_max_pixels=14, get_fill_color=[*_rgb(theme.PALETTE[1]), 170], get_line_color=[255, 255, 255],
            stroked=True, line_width_units='"pixels"', get_line_width=1, pickable=True))
    return CompactDeck(layers=layers, views=[WORLD_VIEW], initial_view_state=view or WORLD_TARGET,
                    map_provider=None, tooltip={"html": tooltip_html, "style": {"fontFamily": theme.FONT}})


def view_of(points: pl.DataFrame) -> dict:
    """A view centred on the points (`lon`, `lat`), zoomed to show them all."""
    if points.is_empty():
        return WORLD_TARGET
    lon_span = max(float(points["lon"].max() - points["lon"].min()), 4.0)
    lat_span = max(float(points["lat"].max() - points["lat"].min()), 4.0)
    zoom = max(1.2, min(7.0, 8.6 - math.log2(max(lon_span, lat_span * 2))))
    return {"target": [float(points["lon"].mean()), float(points["lat"].mean()), 0], "zoom": zoom,
            "minZoom": 0.8, "maxZoom": 9}


def legend_html(low: str, high: str) -> str:
    """A colour bar for the sequential scale with its end values, as HTML for st.html."""
    gradient = ", ".join(theme.SEQUENTIAL)
    return (f'<div style="display:flex;align-items:center;gap:8px;font-size:13px;font-family:{theme.FONT}">'
            f'<span>{low}</span><div style="flex:0 0 220px;height:10px;border-radius:5px;'
            f'background:linear-gradient(to right, {gradient})"></div><span>{high}</span></div>')


def revenue_map(frame: pl.DataFrame, currency: str, lang: str, zoom: float = 1.2) -> pdk.Deck:
    """Countries coloured by revenue (`country_iso2`, `name`, `revenue`)."""
    shown = frame.with_columns(
        pl.col("revenue").alias("value"),
        pl.col("revenue").map_elements(lambda v: fmt.money(v, currency, lang), return_dtype=pl.String)
        .alias("revenue_text"),
    )
    return choropleth(shown, {"label": "name", "amount": "revenue_text"},
                      "<b>{label}</b><br/>{amount}", view=WORLD_TARGET | {"target": [5, 20, 0], "zoom": zoom})
