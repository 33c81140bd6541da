"""Builds countries.geojson from Natural Earth shapes as packaged in the npm package world-atlas 2.0.2.

Usage: python data/world/build_world.py countries-110m.json countries-50m.json
Takes the 1:110m shapes, and the 1:50m shape of every country the 1:110m set leaves out (Singapore,
Hong Kong, Bahrain, ...), so every country has a shape at a size a browser loads quickly. Each
feature carries iso2, iso3 and name.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import pycountry


def decode(topology: dict) -> list[dict]:
    scale, translate = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append([round(x * scale[0] + translate[0], 2), round(y * scale[1] + translate[1], 2)])
        arcs.append(points)

    def ring(indexes: list[int]) -> list[list[float]]:
        points: list[list[float]] = []
        for i in indexes:
            arc = arcs[i] if i >= 0 else arcs[~i][::-1]
            points.extend(arc if not points else arc[1:])
        # A ring that crosses the antimeridian (Russia, Fiji) is drawn east of 180° instead of as a
        # band across the whole map.
        if any(abs(a[0] - b[0]) > 180 for a, b in itertools.pairwise(points)):
            points = [[x + 360 if x < 0 else x, y] for x, y in points]
        return points

    features = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        if geometry.get("type") == "Polygon":
            coordinates = [ring(r) for r in geometry["arcs"]]
        elif geometry.get("type") == "MultiPolygon":
            coordinates = [[ring(r) for r in polygon] for polygon in geometry["arcs"]]
        else:
            continue
        features.append({"id": geometry.get("id"), "name": geometry["properties"]["name"],
                         "geometry": {"type": geometry["type"], "coordinates": coordinates}})
    return features


def main(small: str, medium: str) -> None:
    coarse = decode(json.loads(Path(small).read_text()))
    fine = decode(json.loads(Path(medium).read_text()))
    have = {f["id"] for f in coarse}
    out = []
    for feature in coarse + [f for f in fine if f["id"] not in have]:
        country = pycountry.countries.get(numeric=feature["id"]) if feature["id"] else None
        if country is None or country.alpha_2 == "AQ":  # Antarctica has no customers, only area
            continue
        properties = {"iso2": country.alpha_2, "iso3": country.alpha_3, "name": feature["name"]}
        out.append({"type": "Feature", "geometry": feature["geometry"], "properties": properties})
    target = Path(__file__).with_name("countries.geojson")
    target.write_text(json.dumps({"type": "FeatureCollection", "features": out}, separators=(",", ":")))
    print(f"{len(out)} countries written to {target}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
