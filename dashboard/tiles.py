"""KPI tiles as HTML: every tile has the same parts (label, value, change, note, trend line), the value
is never cut off, and the trend line is one neutral colour with its last value marked — its colour
never borrowed from the change. Pure functions; every text is escaped, nothing from the data is
interpreted."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from dashboard.text import html_safe

Verdict = Literal["good", "bad", "neutral"]
SPARK_WIDTH, SPARK_HEIGHT = 120, 34
# One grey that reads on the light and the dark theme alike (the line is an image: it cannot take the
# text colour).
SPARK_COLOUR = "#8C8C8C"
SPARK_STYLE = (f"polyline,line,path{{fill:none;stroke:{SPARK_COLOUR};stroke-width:1.6;vector-effect:non-scaling-stroke;"
               "stroke-linecap:round;stroke-linejoin:round}line.partial{stroke-dasharray:3 3;stroke-opacity:.55}"
               "path.last,path.lone{stroke-width:6}path.partial-dot{stroke-width:6;stroke-opacity:.45}")


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: str
    help: str
    change: str | None = None
    verdict: Verdict = "neutral"
    change_help: str = ""
    note: str = ""
    trend: tuple[float | None, ...] = ()
    partial_last: bool = False  # the last point of the trend is a month not over yet


def _points(values: Sequence[float | None]) -> list[tuple[float, float] | None]:
    finite = [v for v in values if v is not None]
    if not finite:
        return [None] * len(values)
    low, high = min(finite), max(finite)
    span = (high - low) or 1.0
    step = SPARK_WIDTH / max(len(values) - 1, 1)
    pad = 4

    def y(v: float) -> float:
        return round(pad + (SPARK_HEIGHT - 2 * pad) * (1 - (v - low) / span), 1)

    return [None if v is None else (round(i * step, 1), y(v)) for i, v in enumerate(values)]


def sparkline_svg(values: Sequence[float | None], partial_last: bool = False, label: str = "") -> str:
    """A trend line: gaps where a month has no value, the last value marked with a dot; a last month
    that is not over yet is drawn dashed and lighter, with a hollow dot."""
    points = _points(values)
    full = points[:-1] if partial_last else points
    runs: list[list[tuple[float, float]]] = [[]]
    for point in full:
        if point is None:
            runs.append([])
        else:
            runs[-1].append(point)
    parts = [f'<polyline points="{" ".join(f"{x},{y}" for x, y in run)}" />' for run in runs if len(run) > 1]
    # Dots are zero-length round-capped strokes: they stay round however the line is stretched.
    parts += [f'<path class="lone" d="M{x} {y}h0" />' for run in runs if len(run) == 1 for x, y in run]
    last_full = next((p for p in reversed(full) if p is not None), None)
    if partial_last and points and points[-1] is not None:
        x, y = points[-1]
        if len(points) > 1 and points[-2] is not None:
            x0, y0 = points[-2]
            parts.append(f'<line class="partial" x1="{x0}" y1="{y0}" x2="{x}" y2="{y}" />')
        parts.append(f'<path class="partial-dot" d="M{x} {y}h0" />')
    if last_full is not None:
        parts.append(f'<path class="last" d="M{last_full[0]} {last_full[1]}h0" />')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="-3 0 {SPARK_WIDTH + 6} {SPARK_HEIGHT}" '
           f'preserveAspectRatio="none"><style>{SPARK_STYLE}</style>{"".join(parts)}</svg>')
    # An image, not inline SVG: the page's HTML sanitiser keeps images and drops SVG elements.
    source = base64.b64encode(svg.encode()).decode()
    return f'<img class="mer-spark" src="data:image/svg+xml;base64,{source}" alt="{html_safe(label)}" />'



def tile_html(tile: Tile) -> str:
    e = html_safe
    change = (f'<div class="mer-change {tile.verdict}" title="{e(tile.change_help)}">{e(tile.change)}</div>'
              if tile.change else '<div class="mer-change none">&nbsp;</div>')
    trend = (sparkline_svg(tile.trend, tile.partial_last, tile.label) if any(v is not None for v in tile.trend)
             else '<div class="mer-spark empty"></div>')
    return (f'<div class="mer-tile" data-kpi="{e(tile.key)}" title="{e(tile.help)}">'
            f'<div class="mer-label">{e(tile.label)}</div><div class="mer-value">{e(tile.value)}</div>'
            f'{change}<div class="mer-note">{e(tile.note) or "&nbsp;"}</div>{trend}</div>')


def per_row_choices(count: int) -> list[int]:
    """How many of `count` tiles a row may hold, widest first: a number that fills every row, or leaves
    the last row short of one tile at most (5 + 4, never 3 + 3 + 3 + 1)."""
    return [k for k in range(count, 0, -1) if count % k == 0 or count % k >= k - 1]


def tiles_html(tiles: Sequence[Tile]) -> str:
    """A grid of tiles that takes as many per row as its width holds, among `per_row_choices`: rows are
    balanced and a row never ends in a hole (a short last row's tiles widen to fill it)."""
    return f'<div class="mer-tiles mer-n{len(tiles)}">{"".join(tile_html(t) for t in tiles)}</div>'


TILE_MIN_REM, GAP_REM, MAX_TILES = 9.5, 0.75, 16


def _grid_rules() -> str:
    rules = []
    for count in range(1, MAX_TILES + 1):
        choices = per_row_choices(count)
        # Narrowest first, so a wider container's rule comes later and wins.
        for k in reversed(choices):
            width = k * TILE_MIN_REM + (k - 1) * GAP_REM
            rules.append(f"@container mer-grid (min-width: {width}rem) {{ .mer-n{count} > .mer-tile "
                         f"{{ flex-basis: calc((100% - {k - 1} * {GAP_REM}rem) / {k}); }} }}")
    return "\n".join(rules)


STYLE = """
.mer-tiles { container: mer-grid / inline-size; display: flex; flex-wrap: wrap; gap: 0.75rem;
  margin: 0.25rem 0 0.75rem; }
.mer-tile { container-type: inline-size; flex: 1 1 100%; min-width: 9.5rem;
  border: 1px solid rgba(128, 128, 128, 0.28); border-radius: 0.5rem; padding: 0.7rem 0.9rem 0.5rem;
  display: flex; flex-direction: column; gap: 0.1rem; box-sizing: border-box; }
.mer-label { font-size: var(--mer-label-size, 0.95rem); line-height: 1.25; opacity: 0.85;
  overflow-wrap: anywhere; min-height: 2.5em; }
.mer-value { font-size: clamp(1.2rem, 15cqi, var(--mer-value-size, 2rem)); font-weight: 600; line-height: 1.15;
  overflow-wrap: anywhere; font-variant-numeric: tabular-nums; }
.mer-change { font-size: var(--mer-small-size, 0.9rem); font-weight: 600; }
.mer-change.good { color: #009E73; } .mer-change.bad { color: #D55E00; }
.mer-change.neutral { color: #7F7F7F; }
.mer-note { font-size: var(--mer-small-size, 0.85rem); opacity: 0.7; line-height: 1.3; min-height: 1.3em; }
.mer-spark { display: block; width: 100%; height: 2.2rem; margin-top: auto; }
""" + _grid_rules()
