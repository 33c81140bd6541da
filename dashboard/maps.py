"""World maps drawn with pydeck from country shapes shipped in the repository: no tiles, no CDN, no token.

Rules every map follows:
- its view fits the shapes in view (the countries the viewer may see and chose) to its box, whatever
  the box's width: a small probe beside the map reports the width of the column it sits in, and the
  view is computed from the shapes' bounds and that width (`fit_view`);
- its colours come from a scale with a legend beside it (metric name, unit, ends, and the grey of
  "no data"): sequential for volumes, diverging around a meaningful centre (0) for changes and NPS;
- countries without data are grey on the light and the dark theme alike, set apart from the scale;
- tooltips name the metric and its unit;
- only the borders between two countries are drawn, as thin filled ribbons sized for the view's zoom
  (`border_ribbons`): a coastline's line would be the page's own background colour, and deck.gl's line
  layers cost a browser without a graphics card (software WebGL) a second or more per map drawn, where
  filled shapes sharing one shader cost a few hundred milliseconds;
- countries, borders and cities are all plain polygon layers, one layer kind and one shader program.

Shapes: Natural Earth (public domain) via world-atlas (ISC), see data/world/README.md.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import pairwise
from typing import Literal

import polars as pl
import pydeck as pdk
import streamlit as st
from pydeck.bindings.json_tools import default_serialize

from dashboard import theme
from dashboard.paths import PROJECT_ROOT
from dashboard.text import html_safe

WORLD_FILE = PROJECT_ROOT / "data" / "world" / "countries.geojson"
# An orthographic view of longitude/latitude (an equirectangular map): Streamlit puts a tiled basemap
# under every MapView without a style, and tiles would leave the machine.
WORLD_VIEW = pdk.View(type="OrthographicView", controller=True, flipY=False)
# What the whole world is when nothing narrows it: every inhabited continent, no Antarctica.
WORLD_BOUNDS = (-170.0, -56.0, 180.0, 75.0)
MIN_SPAN = 4.0  # degrees: a city-state is shown with some land around it
MAX_ZOOM = 8.0
PADDING_PX = 16
# Polygons of a country smaller than this share of its largest one (overseas islands, Alaska's
# Aleutians, Chatham Islands) do not count when a view is fitted to the country.
MAIN_PART_SHARE = 0.2
BORDER_PX = 0.8  # a land border's width at the zoom the map opens at
CITY_RADIUS_PX = (2.0, 14.0)  # a city's circle, smallest and largest, at the zoom the map opens at
CITY_OUTLINE_PX = 1.0

ThemeType = Literal["light", "dark"]
ScaleKind = Literal["sequential", "diverging"]


@cache
def world() -> dict:
    return json.loads(WORLD_FILE.read_text())


def country_codes() -> set[str]:
    return {f["properties"]["iso2"] for f in world()["features"]}


# --- bounds and views ------------------------------------------------------------------------------

Bounds = tuple[float, float, float, float]  # west, south, east, north in degrees


def _parts(geometry: dict) -> list[list[list[list[float]]]]:
    """Each polygon of a Polygon or MultiPolygon, as its rings (the outer one, then any holes)."""
    return [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]


def _polygons(geometry: dict) -> list[list[list[float]]]:
    """The outer ring of each polygon of a Polygon or MultiPolygon."""
    return [part[0] for part in _parts(geometry)]


def _area(ring: list[list[float]]) -> float:
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True))) / 2


@cache
def country_bounds() -> dict[str, Bounds]:
    """iso2 -> the bounds of the country's main parts (polygons at least MAIN_PART_SHARE of its largest)."""
    result = {}
    for feature in world()["features"]:
        rings = _polygons(feature["geometry"])
        areas = [_area(r) for r in rings]
        largest = max(areas, default=0.0)
        kept = [r for r, a in zip(rings, areas, strict=True) if a >= MAIN_PART_SHARE * largest] or rings
        xs = [x for r in kept for x, _ in r]
        ys = [y for r in kept for _, y in r]
        result[feature["properties"]["iso2"]] = (min(xs), min(ys), max(xs), max(ys))
    return result


Point = tuple[float, float]


@dataclass(frozen=True)
class Border:
    """A border between two countries, as a line through the shared vertices of their shapes."""

    points: tuple[Point, ...]
    bounds: Bounds


@cache
def land_borders() -> tuple[Border, ...]:
    """Every border between two countries: the edges that the rings of two countries share (the shapes
    come from one topology, so a shared edge has the same vertices on both sides), chained into lines."""
    edges: Counter[tuple[Point, Point]] = Counter()
    for feature in world()["features"]:
        geometry = feature["geometry"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        for ring in (ring for polygon in polygons for ring in polygon):
            for a, b in pairwise(ring):
                start, end = (a[0], a[1]), (b[0], b[1])
                edges[min(start, end), max(start, end)] += 1
    unused = {edge for edge, rings in edges.items() if rings > 1}
    neighbours: defaultdict[Point, list[Point]] = defaultdict(list)
    for a, b in sorted(unused):
        neighbours[a].append(b)
        neighbours[b].append(a)
    lines = []
    # A line starts where borders meet or end (not two neighbours); what is left are closed borders.
    for start in sorted(neighbours, key=lambda point: (len(neighbours[point]) == 2, point)):
        for first in neighbours[start]:
            if (min(start, first), max(start, first)) not in unused:
                continue
            line, previous = [start], start
            current: Point | None = first
            while current is not None:
                unused.discard((min(previous, current), max(previous, current)))
                line.append(current)
                ahead = [p for p in neighbours[current] if (min(current, p), max(current, p)) in unused]
                previous, current = current, (ahead[0] if len(neighbours[current]) == 2 and ahead else None)
            xs, ys = [x for x, _ in line], [y for _, y in line]
            lines.append(Border(tuple(line), (min(xs), min(ys), max(xs), max(ys))))
    return tuple(lines)


def _ribbon(points: tuple[Point, ...], half: float, digits: int) -> list[list[float]]:
    """The outline of a line `2 * half` wide around `points`: its left side, then its right side back."""
    normals = []
    for (x0, y0), (x1, y1) in pairwise(points):
        length = math.hypot(x1 - x0, y1 - y0) or 1.0
        normals.append(((y0 - y1) / length, (x1 - x0) / length))
    left, right = [], []
    for i, (x, y) in enumerate(points):
        before, after = normals[max(i - 1, 0)], normals[min(i, len(normals) - 1)]
        mx, my = before[0] + after[0], before[1] + after[1]
        norm = math.hypot(mx, my)
        # A miter keeps the width at a turn; a sharp turn's would reach far out, so it is held at twice.
        scale = half / max((mx * before[0] + my * before[1]) / norm, 0.5) / norm if norm else 0.0
        left.append([round(x + mx * scale, digits), round(y + my * scale, digits)])
        right.append([round(x - mx * scale, digits), round(y - my * scale, digits)])
    return left + right[::-1]


def border_ribbons(view: dict, width: float, height: float) -> list[dict]:
    """The land borders near what a view shows, as polygons BORDER_PX wide at the view's zoom (`polygon`
    per item): around the box shown and as far again on each side, for a viewer who pans or zooms out
    a little (further out, lines this thin would vanish anyway)."""
    west, south, east, north = visible_box(view, width, height)
    span_x, span_y = east - west, north - south
    return list(_ribbons_near((west - span_x, south - span_y, east + span_x, north + span_y), 2 ** view["zoom"]))


@lru_cache(maxsize=64)
def _ribbons_near(near: Bounds, pixels_per_degree: float) -> tuple[dict, ...]:
    """The ribbons of border_ribbons, the same for every viewer of a view."""
    digits = _quarter_pixel(pixels_per_degree)
    return tuple({"polygon": _ribbon(border.points, BORDER_PX / 2 / pixels_per_degree, digits)}
                 for border in land_borders()
                 if border.bounds[0] <= near[2] and border.bounds[2] >= near[0]
                 and border.bounds[1] <= near[3] and border.bounds[3] >= near[1])


def _quarter_pixel(pixels_per_degree: float) -> int:
    """Decimal places of a degree that keep a coordinate within a quarter of a pixel."""
    return max(1, math.ceil(math.log10(4 * pixels_per_degree)))


def _circle(x: float, y: float, pixels: float, pixels_per_degree: float, digits: int) -> list[float]:
    """A circle `pixels` in radius as a polygon, its coordinates flat (x, y, x, y, …): as many sides as
    keep it within a third of a pixel of round."""
    sides, radius = 6 if pixels < 3.5 else 8 if pixels < 6 else 12, pixels / pixels_per_degree
    turns = [2 * math.pi * i / sides for i in range(sides)]
    return [round(value, digits) for turn in turns
            for value in (x + radius * math.cos(turn), y + radius * math.sin(turn))]


def city_discs(cities: pl.DataFrame, pixels_per_degree: float, fill: list[int], outline: list[int]) -> list[dict]:
    """Each city (`lon`, `lat`, `radius` in pixels) as two polygons in degrees at this zoom, both keeping
    the row's other columns: a disc one pixel wider in the `outline` colour, then the disc in `fill`
    (`polygon`, its coordinates flat; `fill`). City after city, so a city's outline parts it from the
    cities drawn before it. The radius is held within CITY_RADIUS_PX (one that is not a number, as from a
    negative revenue, is the smallest). Polygons, not deck.gl's circles: the layer kind that draws the
    countries draws them too, and each further kind costs a map's first picture a shader program of its
    own (0.2–0.3 s in a browser that renders without a GPU)."""
    smallest, largest = CITY_RADIUS_PX
    digits = _quarter_pixel(pixels_per_degree)
    polygons = []
    for row in cities.iter_rows(named=True):
        x, y, radius = row.pop("lon"), row.pop("lat"), row.pop("radius")
        pixels = min(max(radius, smallest), largest) if radius is not None and math.isfinite(radius) else smallest
        for wider, colour in ((CITY_OUTLINE_PX, outline), (0.0, fill)):
            polygons.append({"polygon": _circle(x, y, pixels + wider, pixels_per_degree, digits), "fill": colour,
                             **row})
    return polygons


def bounds_of(codes: Iterable[str]) -> Bounds | None:
    """The bounds of these countries' main parts; None when none of them has a shape."""
    known = country_bounds()
    boxes = [known[c] for c in codes if c in known]
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def fit_view(bounds: Bounds | None, width: float, height: float, padding: float = PADDING_PX) -> dict:
    """The view state that shows `bounds` whole and as large as it fits in a box of width × height
    pixels (an orthographic view: 2**zoom pixels per degree). The viewer may zoom out to the world."""
    west, south, east, north = bounds or WORLD_BOUNDS
    lon_span, lat_span = max(east - west, MIN_SPAN), max(north - south, MIN_SPAN)
    usable_w, usable_h = max(width - 2 * padding, 60.0), max(height - 2 * padding, 60.0)
    zoom = min(math.log2(min(usable_w / lon_span, usable_h / lat_span)), MAX_ZOOM)
    world_zoom = math.log2(min(usable_w / 360, usable_h / 180))
    return {"target": [round((west + east) / 2, 4), round((south + north) / 2, 4), 0], "zoom": round(zoom, 4),
            "minZoom": round(min(world_zoom, zoom) - 0.5, 4), "maxZoom": MAX_ZOOM + 1}


def visible_box(view: dict, width: float, height: float) -> Bounds:
    """The degrees a view shows in a box of width × height pixels (for tests and checks)."""
    scale = 2 ** view["zoom"]
    x, y = view["target"][0], view["target"][1]
    return (x - width / 2 / scale, y - height / 2 / scale, x + width / 2 / scale, y + height / 2 / scale)


def map_height(width: float, bounds: Bounds | None, tallest: int, shortest: int = 240) -> int:
    """A map's height from its width and the shape of what it shows: the height at which `bounds` fill
    the width, between `shortest` (a phone) and `tallest`."""
    west, south, east, north = bounds or WORLD_BOUNDS
    aspect = max(north - south, MIN_SPAN) / max(east - west, MIN_SPAN)
    return int(min(max((width - 2 * PADDING_PX) * aspect + 2 * PADDING_PX, shortest), tallest))


# --- colour scales ---------------------------------------------------------------------------------

def _rgb(hex_colour: str) -> list[int]:
    return [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]


def _along(stops: tuple[str, ...], share: float) -> list[int]:
    colours = [_rgb(c) for c in stops]
    position = min(max(share, 0.0), 1.0) * (len(colours) - 1)
    low = int(position)
    high = min(low + 1, len(colours) - 1)
    frac = position - low
    return [round(a + (b - a) * frac) for a, b in zip(colours[low], colours[high], strict=True)]


def sequential_colour(share: float, theme_type: ThemeType = "light") -> list[int]:
    """Colour for a value at `share` (0..1) of the sequential scale of the theme."""
    return [*_along(theme.MAP_SCALES[theme_type]["sequential"], share), 235]


@dataclass(frozen=True)
class Scale:
    """How values become colours. Sequential: low..high, more is darker (brighter on a dark page).
    Diverging: symmetric around `centre`, the bad side in orange, the good side in green."""

    kind: ScaleKind
    low: float
    high: float
    centre: float = 0.0

    @classmethod
    def of(cls, values: Iterable[float | None], kind: ScaleKind, centre: float = 0.0) -> Scale:
        finite = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
        if kind == "diverging":
            reach = max((abs(v - centre) for v in finite), default=1.0) or 1.0
            return cls(kind, centre - reach, centre + reach, centre)
        low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
        return cls(kind, low, high if high > low else low + 1.0)

    def share(self, value: float) -> float:
        return (value - self.low) / ((self.high - self.low) or 1.0)

    def colour(self, value: float | None, theme_type: ThemeType = "light") -> list[int]:
        palette = theme.MAP_SCALES[theme_type]
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return [*_rgb(palette["no_data"]), 255]
        return [*_along(palette[self.kind], self.share(value)), 235]

    def gradient(self, theme_type: ThemeType = "light") -> str:
        return ", ".join(theme.MAP_SCALES[theme_type][self.kind])


# --- the deck ---------------------------------------------------------------------------------------

class CompactDeck(pdk.Deck):
    """A Deck whose JSON has no indentation: pydeck indents by two spaces per level, which for map
    shapes (a number per line) makes the page several times heavier, and an indented dump runs in
    Python's slow pure-Python encoder rather than its C one."""

    def to_json(self) -> str:
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))


TOOLTIP = "<b>{label}</b><br/>{metric}: {amount}"


def choropleth(values: pl.DataFrame, scale: Scale, metric: str, view: dict, size: tuple[float, float],
               theme_type: ThemeType = "light", cities: pl.DataFrame | None = None,
               city_metric: str = "") -> pdk.Deck:
    """Countries coloured by `value` on `scale` (columns `country_iso2`, `value`, `label` and `amount`, the
    value as text), every other country grey, with the borders between countries; optionally city points
    (`lon`, `lat`, `radius`, `label`, `amount`) on top. `view` is shown in a box `size` (width, height)
    pixels. The tooltip names the place, the metric with its unit (`metric`, `city_metric`) and the value."""
    palette = theme.MAP_SCALES[theme_type]
    border = [*_rgb(palette["border"]), 255]
    data = {r["country_iso2"]: r for r in values.iter_rows(named=True)}
    shaded, grey = [], []
    for feature in world()["features"]:
        iso2 = feature["properties"]["iso2"]
        row = data.get(iso2)
        if row is None:
            grey.extend({"polygon": part} for part in _parts(feature["geometry"]))
            continue
        properties = {"iso2": iso2, "fill": scale.colour(row["value"], theme_type), "label": html_safe(row["label"]),
                      "amount": html_safe(row["amount"]), "metric": html_safe(metric)}
        shaded.extend({"polygon": part, **properties} for part in _parts(feature["geometry"]))
    # Each polygon of a country is an item of its own, its properties beside it: plain polygon layers,
    # not GeoJSON ones, which draw through sublayers and cost a browser without a graphics card a
    # quarter of a second more per map drawn. The grey countries are a layer of their own that cannot
    # be picked: with every country pickable in one layer, deck.gl's click picking in Streamlit stops
    # reporting the country clicked.
    base = pdk.Layer("SolidPolygonLayer", grey, id="world", get_polygon="polygon",
                     get_fill_color=[*_rgb(palette["no_data"]), 255], filled=True, pickable=False)
    layer = pdk.Layer("SolidPolygonLayer", shaded, id="countries", get_polygon="polygon", get_fill_color="fill",
                      filled=True, pickable=True, auto_highlight=True)
    borders = pdk.Layer("SolidPolygonLayer", border_ribbons(view, *size), id="borders", get_polygon="polygon",
                        get_fill_color=border, filled=True, pickable=False)
    layers = [base, layer, borders]
    if cities is not None and not cities.is_empty():
        discs = city_discs(cities.select("lon", "lat", "radius", "label", "amount", "city").with_columns(
            pl.col("label").map_elements(html_safe, return_dtype=pl.String),
            pl.col("amount").map_elements(html_safe, return_dtype=pl.String),
            pl.lit(html_safe(city_metric)).alias("metric")), 2 ** view["zoom"], [*_rgb(theme.PALETTE[1]), 170], border)
        layers.append(pdk.Layer("SolidPolygonLayer", discs, id="cities", get_polygon="polygon", position_format='"XY"',
                                get_fill_color="fill", filled=True, pickable=True))
    return CompactDeck(layers=layers, views=[WORLD_VIEW], initial_view_state=view, map_provider=None,
                       tooltip={"html": TOOLTIP, "style": {"fontFamily": theme.FONT}})


def legend_html(title: str, scale: Scale, show: Callable[[float], str], no_data: str,
                theme_type: ThemeType = "light", fitted: str = "") -> str:
    """The legend beside a map, as HTML for st.html: the metric and its unit, the colour bar with its ends
    (and its centre on a diverging scale), and the grey of places without data. `fitted` (data
    attributes) records the box and bounds the map's view was fitted to, for checks in the browser."""
    e = html_safe
    if scale.kind == "diverging":
        ticks = [show(scale.low), show(scale.centre), show(scale.high)]
    else:
        # One place coloured (a market view), or places of one value: one number, not the same one twice.
        ticks = list(dict.fromkeys([show(scale.low), show(scale.high)]))
    marks = "".join(f"<span>{e(t)}</span>" for t in ticks)
    grey = theme.MAP_SCALES[theme_type]["no_data"]
    return (f'<div class="mer-legend" data-scale="{scale.kind}" {fitted}><div class="mer-legend-title">{e(title)}</div>'
            f'<div class="mer-legend-bar" style="background:linear-gradient(to right, {scale.gradient(theme_type)})">'
            f'</div><div class="mer-legend-ticks">{marks}</div>'
            f'<div class="mer-legend-none"><span class="mer-swatch" style="background:{grey}"></span>{e(no_data)}'
            f'</div></div>')


# --- the probe: the width of the map's column and the page's theme -----------------------------------

PROBE_SLACK_PX = 8  # a probe reports a width that differs by more than this from the one drawn at
PROBE_JS = """
export default function(component) {
  const { data, setStateValue, parentElement } = component;
  const known = { width: data.width, theme: data.theme };
  const column = () => parentElement.closest('[data-testid="stVerticalBlock"]');
  const themeType = () => {
    const app = document.querySelector('.stApp') || document.body;
    const rgb = (getComputedStyle(app).backgroundColor.match(/[0-9.]+/g) || ['255', '255', '255']).map(Number);
    return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] < 128 ? 'dark' : 'light';
  };
  const report = () => {
    const box = column();
    if (!box) return;
    const width = Math.round(box.getBoundingClientRect().width);
    const theme = themeType();
    if (width > 0 && (Math.abs(width - known.width) > SLACK_PX || theme !== known.theme)) {
      known.width = width;
      known.theme = theme;
      setStateValue('box', { width, theme });
    }
  };
  let timer = null;
  const soon = () => { clearTimeout(timer); timer = setTimeout(report, 120); };
  const observer = new ResizeObserver(soon);
  const box = column();
  if (box) observer.observe(box);
  const themeWatch = setInterval(report, 1000);
  report();
  return () => { observer.disconnect(); clearInterval(themeWatch); clearTimeout(timer); };
}
""".replace("SLACK_PX", str(PROBE_SLACK_PX))
_probe = st.components.v2.component("meridian_map_probe", js=PROBE_JS, isolate_styles=False)
# The main column's width on a 1920-pixel-wide screen with the sidebar open (the commonest desktop and TV
# size): the guess before any browser has reported one.
DEFAULT_WIDTH = 1460
PAGE_SLOT = "page"
MAPS_DRAWN = "mer_maps_drawn"
COLUMN_GAP = 16  # pixels between st.columns (gap "small", 1rem)
Share = tuple[float, ...]
# The pages' layout of a map beside other content: st.columns(BESIDE), the map in the first column. The
# same weights tell `draw` the map's width before its probe reports.
BESIDE: Share = (3, 2)
KNOWN_BOXES = "mer_map_boxes"
# The width last reported for each slot by any session: a new visitor whose screen has the same size (a
# team's shared screen, the same laptops) gets the map drawn at once at its size, without the rerun the
# probe's first report would cause.
_widths_seen: dict[str, int] = {}


@dataclass(frozen=True)
class Box:
    """Where a map is drawn: its column's width in pixels and the page's theme type."""

    width: int
    theme: ThemeType


def probe_rerun() -> bool:
    """Whether this run was started by a probe reporting a new width or theme (not by the viewer): a
    notice shown on the run before is shown again."""
    known: dict[str, dict] = st.session_state.get(KNOWN_BOXES, {})
    for key, state in st.session_state.items():
        if isinstance(key, str) and key.startswith("mer-probe-"):
            reported = (state or {}).get("box")
            if isinstance(reported, dict) and reported != known.get(key.removeprefix("mer-probe-")):
                return True
    return False


def probe(slot: str, share: Share = (1.0,)) -> Box:
    """The width of the column this is called in and the page's theme, as last reported by the browser
    for this `slot` (remembered for the session, so a page opened again draws at once at its size). Before
    the slot's first report, the width follows from the page's (reported on every page, see page_probe)
    and the column's `share` of it; else the width another session last reported. The browser reports
    again, and the page reruns, whenever the width or theme differs from the one drawn at."""
    known: dict[str, dict] = st.session_state.setdefault(KNOWN_BOXES, {})
    key = f"mer-probe-{slot}"
    reported = (st.session_state.get(key) or {}).get("box")
    if isinstance(reported, dict) and reported.get("width"):
        known[slot] = reported
        _widths_seen[slot] = int(reported["width"])
    last = known.get(slot) or {}
    page = known.get(PAGE_SLOT) or {}
    page_width = page.get("width") or _widths_seen.get(PAGE_SLOT)
    context_theme = getattr(st.context.theme, "type", None)
    box = Box(int(last.get("width") or (page_width and column_width(page_width, share)) or _widths_seen.get(slot)
                  or column_width(DEFAULT_WIDTH, share)),
              "dark" if (last.get("theme") or page.get("theme") or context_theme) == "dark" else "light")
    _probe(key=key, data={"width": box.width, "theme": box.theme}, on_box_change=lambda: None,
           width="stretch", height="content")
    return box


def column_width(page_width: int, share: Share) -> int:
    """The width of a column of st.columns(weights) (first of `share`: the column's weight, then the others'),
    in a page `page_width` wide: the weights share what the gaps between the columns leave."""
    gaps = COLUMN_GAP * (len(share) - 1)
    return round((page_width - gaps) * share[0] / sum(share))


def page_probe() -> None:
    """Reports the main column's width and the theme on every page, so that a map opened next is drawn at
    its size at once (else its first drawing is redone once its own probe reports)."""
    st.session_state[MAPS_DRAWN] = {}  # the maps this run draws enter themselves (see draw)
    _page_probe()


@st.fragment
def _page_probe() -> None:
    """A fragment: a report reruns this alone, not the page. A map's own probe may report in the same
    message (a resized window, a changed theme) and so rerun only this: the page is then rerun here when a
    map on it was drawn for another width or theme."""
    box = probe(PAGE_SLOT)
    for width, drawn_theme, share in st.session_state.get(MAPS_DRAWN, {}).values():
        if abs(column_width(box.width, share) - width) > PROBE_SLACK_PX or drawn_theme != box.theme:
            st.rerun(scope="app")


def draw(slot: str, values: pl.DataFrame, scale: Scale, title: str, show: Callable[[float], str], no_data: str,
         bounds: Bounds | None, tallest: int, key: str | None = None,
         on_select: Callable[[], None] | None = None, cities: pl.DataFrame | None = None,
         city_metric: str = "", share: Share = (1.0,)) -> None:
    """A map in the current column: fitted to `bounds` at the column's width (its height follows from the
    width, at most `tallest`), coloured on `scale`, with its legend below. `values`: country_iso2, label,
    value, amount (the value as text). `on_select` makes countries and cities clickable; the callback reads
    the selection from st.session_state[key]. `share`: the column's weight, then the other columns' weights
    of the st.columns it is in (none: the whole page's width)."""
    box = probe(slot, share)
    st.session_state.setdefault(MAPS_DRAWN, {})[slot] = (box.width, box.theme, share)
    height = map_height(box.width, bounds, tallest)
    deck = choropleth(values, scale, title, fit_view(bounds, box.width, height), (box.width, height), box.theme,
                      cities, city_metric)
    if on_select is None:
        st.pydeck_chart(deck, height=height, key=key)
    else:
        st.pydeck_chart(deck, height=height, key=key, on_select=on_select, selection_mode="single-object")
    shown = bounds or WORLD_BOUNDS
    fitted = (f'data-fit-width="{box.width}" data-fit-height="{height}" '
              f'data-bounds="{",".join(f"{v:.2f}" for v in shown)}" data-theme="{box.theme}"')
    st.html(legend_html(title, scale, show, no_data, box.theme, fitted))


def picked(key: str, layer: str) -> dict | None:
    """The item last clicked in `layer` of the map with this key: a polygon with its properties beside it
    (`iso2` for a country, `city` for a city)."""
    state = st.session_state.get(key)
    selection = getattr(state, "selection", None) or (state or {}).get("selection") or {}
    objects = (selection.get("objects") or {}).get(layer) or []
    if not objects:
        return None
    chosen = objects[0]
    return chosen if isinstance(chosen, dict) else None
