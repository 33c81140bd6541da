"""Map rules without a browser: views fitted to the shapes in view at any width, colour scales and their
legends, grey for no data in both themes, and the generated Chinese city names."""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Iterator

import polars as pl
import pytest

from dashboard import maps, theme
from dashboard.demo import MARKETS
from dashboard.paths import PROJECT_ROOT
from dashboard.reference import default_region

REGIONS = {region: [c for c in MARKETS if default_region(c) == region] for region in (1, 2, 3, 4)}


def contains(outer: maps.Bounds, inner: maps.Bounds) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and outer[2] >= inner[2] and outer[3] >= inner[3]


@pytest.mark.parametrize("width", [330, 480, 560, 700, 900, 1200, 1600])
@pytest.mark.parametrize("codes", [list(MARKETS), *REGIONS.values(), ["US"], ["JP"], ["SG"], ["NZ"]],
                         ids=["world", "amer", "emea", "apac", "gchn", "us", "jp", "sg", "nz"])
def test_the_view_shows_the_shapes_in_view_whole_at_any_width(codes: list[str], width: int) -> None:
    bounds = maps.bounds_of(codes)
    assert bounds is not None
    height = maps.map_height(width, bounds, tallest=560)
    view = maps.fit_view(bounds, width, height)
    shown = maps.visible_box(view, width, height)
    assert contains(shown, bounds), (shown, bounds)
    # ... and as large as it fits: the shapes fill the width or the height, less the padding.
    fill = max((bounds[2] - bounds[0]) / (shown[2] - shown[0]), (bounds[3] - bounds[1]) / (shown[3] - shown[1]))
    assert fill > 0.8 or max(bounds[2] - bounds[0], bounds[3] - bounds[1]) < maps.MIN_SPAN
    assert view["minZoom"] < view["zoom"] <= view["maxZoom"]


def test_a_wider_box_zooms_in_and_a_region_zooms_in_from_the_world() -> None:
    world, apac = maps.bounds_of(MARKETS), maps.bounds_of(REGIONS[3])
    assert maps.fit_view(world, 1200, 400)["zoom"] > maps.fit_view(world, 560, 400)["zoom"]
    assert maps.fit_view(apac, 700, 500)["zoom"] > maps.fit_view(world, 700, 500)["zoom"]
    assert maps.fit_view(None, 700, 300) == maps.fit_view(maps.WORLD_BOUNDS, 700, 300)


def test_a_country_is_framed_by_its_main_parts() -> None:
    # The contiguous United States and Alaska, not the Aleutians across the antimeridian; mainland
    # France, not French Guiana.
    west, south, east, north = maps.country_bounds()["US"]
    assert -170 < west < -150 and east < -60 and south > 20 and north < 72
    assert maps.country_bounds()["FR"][0] > -10
    assert maps.bounds_of(["XX"]) is None


def test_map_height_follows_the_shape_and_stays_on_a_phone_screen() -> None:
    world, apac = maps.bounds_of(MARKETS), maps.bounds_of(REGIONS[3])
    assert maps.map_height(700, world, 560) < maps.map_height(700, apac, 560) <= 560
    assert maps.map_height(350, apac, 560) <= 350 and maps.map_height(350, world, 560) >= 240


def test_scales() -> None:
    volume = maps.Scale.of([10.0, 30.0, None], "sequential")
    assert (volume.low, volume.high) == (10.0, 30.0)
    assert volume.colour(10.0)[:3] == maps._rgb(theme.SEQUENTIAL[0])
    assert volume.colour(30.0)[:3] == maps._rgb(theme.SEQUENTIAL[-1])
    change = maps.Scale.of([-20.0, 5.0], "diverging")
    # Centred on 0: no change is the middle colour, the scale reaches as far on both sides.
    assert (change.low, change.centre, change.high) == (-20.0, 0.0, 20.0)
    assert change.colour(0.0)[:3] == maps._rgb(theme.DIVERGING[2])
    assert change.colour(-20.0)[:3] == maps._rgb(theme.BAD)
    assert maps.Scale.of([], "sequential").high > maps.Scale.of([], "sequential").low


@pytest.mark.parametrize("theme_type", ["light", "dark"])
def test_no_data_is_grey_and_apart_from_every_scale_colour(theme_type: maps.ThemeType) -> None:
    palette = theme.MAP_SCALES[theme_type]
    r, g, b = maps._rgb(palette["no_data"])
    assert max(r, g, b) - min(r, g, b) < 24  # grey
    for kind in ("sequential", "diverging"):
        scale = maps.Scale.of([-1.0, 1.0], kind)  # type: ignore[arg-type]
        for share in (0.0, 0.25, 0.5, 0.75, 1.0):
            colour = scale.colour(scale.low + share * (scale.high - scale.low), theme_type)[:3]
            assert sum(abs(a - b) for a, b in zip(colour, (r, g, b), strict=True)) > 40, (kind, share)
    assert maps.Scale.of([1.0], "sequential").colour(None, theme_type)[:3] == [r, g, b]
    # On a dark page "more" is brighter; on a light one, darker.
    low, high = (sum(maps.Scale(kind="sequential", low=0, high=1).colour(v, theme_type)[:3]) for v in (0.0, 1.0))
    assert (high > low) == (theme_type == "dark")


def test_legend_names_metric_unit_ends_and_no_data() -> None:
    html = maps.legend_html("Revenue growth (%)", maps.Scale.of([-10.0, 30.0], "diverging"),
                            lambda v: f"{v:+.0f}%", "No data", "dark", 'data-fit-width="640"')
    assert "Revenue growth (%)" in html and "−" not in html
    assert [part in html for part in ("-30%", "+0%", "+30%", "No data", 'data-fit-width="640"')] == [True] * 5
    assert "<script" not in maps.legend_html("<script>", maps.Scale.of([1.0], "sequential"), str, "x")


def test_a_legend_of_one_value_shows_it_once() -> None:
    # A market view colours its one country: "$2M … $2M" under the bar said nothing more than "$2M".
    one = maps.legend_html("Revenue (USD)", maps.Scale.of([2_000_000.0], "sequential"), lambda v: f"${v / 1e6:.0f}M",
                           "No data")
    assert one.count("<span>$2M</span>") == 1
    two = maps.legend_html("Revenue (USD)", maps.Scale.of([1e6, 3e6], "sequential"), lambda v: f"${v / 1e6:.0f}M",
                           "No data")
    assert "<span>$1M</span><span>$3M</span>" in two


def test_tooltips_name_metric_and_unit_and_escape_names() -> None:
    values = pl.DataFrame({"country_iso2": ["DE"], "label": ["<b>Germany</b>"], "value": [1.0], "amount": ["$1"]})
    deck = maps.choropleth(values, maps.Scale.of([1.0], "sequential"), "Revenue (USD)",
                           maps.fit_view(None, 700, 300), (700, 300))
    text = deck.to_json()
    assert "Revenue (USD)" in text and "<b>Germany</b>" not in text and "&lt;b&gt;Germany" in text
    assert "{metric}: {amount}" in deck._tooltip["html"]


def test_every_polygon_of_a_shaded_country_carries_its_code_and_colour_and_holes_stay_holes() -> None:
    values = pl.DataFrame({"country_iso2": ["US", "ZA"], "label": ["United States", "South Africa"],
                           "value": [1.0, 2.0], "amount": ["$1", "$2"]})
    deck = maps.choropleth(values, maps.Scale.of([1.0, 2.0], "sequential"), "Revenue (USD)",
                           maps.fit_view(None, 700, 300), (700, 300))
    layers = {layer.id: layer for layer in deck.layers}
    shaded = layers["countries"].data
    us = [item for item in shaded if item["iso2"] == "US"]
    assert len(us) == 10 and all(item["label"] == "United States" for item in us)  # Alaska, Hawaii, islands
    assert len({str(item["fill"]) for item in us}) == 1
    # South Africa's shape has Lesotho as a hole: its outer ring and the hole, Lesotho itself grey.
    (south_africa,) = [item for item in shaded if item["iso2"] == "ZA"]
    assert len(south_africa["polygon"]) == 2
    grey = layers["world"].data
    assert len(grey) == 426 - 11  # the shipped shapes hold 426 polygons
    assert layers["countries"].pickable and not layers["world"].pickable


def points(flat: list[float]) -> list[tuple[float, float]]:
    return list(zip(flat[::2], flat[1::2], strict=True))


def test_a_city_is_a_disc_of_its_pixel_radius_over_one_a_pixel_wider_in_the_outline_colour() -> None:
    cities = pl.DataFrame({"lon": [10.0, 0.0, 0.0, 0.0], "lat": [50.0, 0.0, 0.0, 0.0],
                           "radius": [4.0, 30.0, 0.5, float("nan")], "label": ["Köln", "big", "small", "refunds"]})
    gold, white = [230, 159, 0, 170], [255, 255, 255, 255]
    polygons = maps.city_discs(cities, 2.0, gold, white)  # 2 pixels a degree
    # City after city, its outline first, so that it parts the city from those drawn before.
    assert [(p["label"], p["fill"]) for p in polygons] == [
        ("Köln", white), ("Köln", gold), ("big", white), ("big", gold), ("small", white), ("small", gold),
        ("refunds", white), ("refunds", gold)]
    outline, disc = points(polygons[0]["polygon"]), points(polygons[1]["polygon"])
    # Coordinates are rounded to what a quarter of a pixel shows.
    assert [math.hypot(x - 10, y - 50) for x, y in disc] == pytest.approx([2.0] * 8, abs=0.25 / 2)
    assert [math.hypot(x - 10, y - 50) for x, y in outline] == pytest.approx([2.5] * 8, abs=0.25 / 2)
    # Held between the smallest and the largest circle drawn, in pixels.
    assert max(math.hypot(x, y) for x, y in points(polygons[3]["polygon"])) == pytest.approx(7.0, abs=0.125)
    assert max(math.hypot(x, y) for x, y in points(polygons[5]["polygon"])) == pytest.approx(1.0, abs=0.125)
    # A radius that is not a number (a city whose revenue is negative) is the smallest circle.
    assert max(math.hypot(x, y) for x, y in points(polygons[7]["polygon"])) == pytest.approx(1.0, abs=0.125)


def test_a_map_with_cities_uses_one_layer_kind_for_countries_borders_and_cities() -> None:
    values = pl.DataFrame({"country_iso2": ["DE"], "label": ["Germany"], "value": [1.0], "amount": ["$1"]})
    cities = pl.DataFrame({"lon": [6.96], "lat": [50.94], "radius": [5.0], "label": ["<i>Köln</i>"],
                           "amount": ["$1"], "city": ["Köln"]})
    deck = maps.choropleth(values, maps.Scale.of([1.0], "sequential"), "Revenue (USD)",
                           maps.fit_view(maps.bounds_of(["DE"]), 700, 300), (700, 300), cities=cities,
                           city_metric="Revenue (USD)")
    assert {layer.type for layer in deck.layers} == {"SolidPolygonLayer"}
    outline, disc = next(layer for layer in deck.layers if layer.id == "cities").data
    for polygon in (outline, disc):  # either one shows the city's tooltip and opens it
        assert polygon["city"] == "Köln" and polygon["label"] == "&lt;i&gt;Köln&lt;/i&gt;"
        assert polygon["metric"] == "Revenue (USD)"


def square(iso2: str, west: float, south: float, size: float = 1.0) -> dict:
    ring = [[west, south], [west + size, south], [west + size, south + size], [west, south + size], [west, south]]
    return {"type": "Feature", "properties": {"iso2": iso2}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def forget_borders() -> None:
    """The borders and ribbons kept from the shapes: computed again from whatever `maps.world` gives next."""
    maps.land_borders.cache_clear()
    maps._ribbons_near.cache_clear()


@pytest.fixture
def two_countries_and_an_island(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A beside B (they share the edge x = 1 from y = 0 to 1, drawn in opposite directions), C alone at sea."""
    shapes = {"type": "FeatureCollection", "features": [square("AA", 0, 0), square("BB", 1, 0), square("CC", 5, 5)]}
    forget_borders()
    monkeypatch.setattr(maps, "world", lambda: shapes)
    yield
    forget_borders()


@pytest.mark.usefixtures("two_countries_and_an_island")
def test_only_the_border_between_two_countries_is_drawn_never_a_coastline() -> None:
    borders = maps.land_borders()
    assert [sorted(b.points) for b in borders] == [[(1.0, 0.0), (1.0, 1.0)]]
    assert borders[0].bounds == (1.0, 0.0, 1.0, 1.0)


@pytest.mark.usefixtures("two_countries_and_an_island")
def test_a_border_is_a_ribbon_of_its_pixel_width_at_the_view_zoom() -> None:
    view = {"target": [1.0, 0.5, 0], "zoom": 4.0}  # 16 pixels a degree
    (ribbon,) = maps.border_ribbons(view, 320, 160)
    half = maps.BORDER_PX / 2 / 16
    xs = sorted({x for x, _ in ribbon["polygon"]})
    # Coordinates are rounded to what a quarter of a pixel shows.
    assert xs == pytest.approx([1 - half, 1 + half], abs=0.25 / 16)
    assert sorted({y for _, y in ribbon["polygon"]}) == [0.0, 1.0]
    # Far from what the view shows (and from what panning a view's width away would show): not sent.
    assert maps.border_ribbons({"target": [60.0, 40.0, 0], "zoom": 4.0}, 320, 160) == []


def test_the_world_has_its_land_borders_and_a_country_view_sends_only_those_near_it() -> None:
    borders = maps.land_borders()
    # The France–Germany border lies between Germany's and France's shapes.
    de, fr = maps.country_bounds()["DE"], maps.country_bounds()["FR"]
    assert any(contains((min(de[0], fr[0]), min(de[1], fr[1]), max(de[2], fr[2]), max(de[3], fr[3])), b.bounds)
               and 6 <= b.bounds[0] <= 8.5 for b in borders)
    # No island nation has a land border: Iceland's and New Zealand's outlines are coastlines only.
    for iso2 in ("IS", "NZ"):
        island = maps.country_bounds()[iso2]
        assert not any(contains(island, b.bounds) for b in borders), iso2
    width = 900
    height = maps.map_height(width, maps.bounds_of(["DE"]), 560)
    germany = maps.border_ribbons(maps.fit_view(maps.bounds_of(["DE"]), width, height), width, height)
    world = maps.border_ribbons(maps.fit_view(None, width, height), width, height)
    assert 0 < len(germany) < len(world) == len(borders)
    assert all(-30 < x < 50 and 20 < y < 80 for ribbon in germany for x, y in ribbon["polygon"])


def test_chinese_city_names_are_what_the_generator_gives() -> None:
    spec = importlib.util.spec_from_file_location("cities", PROJECT_ROOT / "data" / "labels" / "cities.py")
    cities = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(cities)  # type: ignore[union-attr]
    assert cities.main(["--check"]) == 0, "data/labels/zh_CN.toml: run python data/labels/cities.py"
    assert cities.from_alternate_names(["天府", "成都", "成都市", "Chengdu"]) == "成都"
    assert cities.from_alternate_names(["東京", "東京都"]) is None  # Japanese forms are not Chinese
    from dashboard.labels import company_names

    names = company_names("zh-CN")
    assert (names["Tokyo"], names["Shanghai"], names["Chengdu"]) == ("东京", "上海", "成都")
    assert names["Singapore hub"] == "新加坡中心"  # the hand-written part is kept


def test_a_column_gets_its_weight_of_what_the_gaps_leave() -> None:
    # st.columns([3, 2]) in a 1460-pixel page: one 16-pixel gap, then 3/5 of the 1444 pixels left.
    assert maps.column_width(1460, (3, 2)) == 866
    assert maps.column_width(1002, (1.0,)) == 1002
