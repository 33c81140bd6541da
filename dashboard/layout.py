"""Page layout rules every page gets through `components.apply_style`: responsive spacing, the phone
layout (390 px: tiles two-up, the map in view, nothing wider than the screen), map legends, the
breadcrumb, and the probes that report a map column's width (drawn as nothing).

Widths: Streamlit stacks columns below 640 px; the rules below use the same breakpoint.
"""

from __future__ import annotations

PHONE_MAX_PX = 640

STYLE = f"""
/* Probes report a column's width and the theme: they take no room. */
[class*="st-key-mer-probe-"] {{ display: none !important; }}

/* Map legends: the metric and unit, the colour bar with its ends, the grey of "no data". */
.mer-legend {{ display: grid; grid-template-columns: minmax(8rem, 22rem) auto; column-gap: 1rem; row-gap: 0.15rem;
  align-items: center; font-size: 0.85rem; line-height: 1.3; margin: 0.1rem 0 0.4rem; }}
.mer-legend-title {{ grid-column: 1 / -1; font-weight: 600; }}
.mer-legend-bar {{ grid-column: 1; height: 0.65rem; border-radius: 0.35rem;
  border: 1px solid rgba(128, 128, 128, 0.35); }}
.mer-legend-ticks {{ grid-column: 1; grid-row: 3; display: flex; justify-content: space-between; opacity: 0.85;
  font-variant-numeric: tabular-nums; gap: 0.5rem; }}
.mer-legend-none {{ grid-column: 2; grid-row: 2 / span 2; display: flex; align-items: center; gap: 0.4rem;
  opacity: 0.85; }}
.mer-swatch {{ display: inline-block; width: 0.9rem; height: 0.9rem; border-radius: 0.2rem;
  border: 1px solid rgba(128, 128, 128, 0.45); }}

/* The breadcrumb: links up the drill levels, the current level in bold. */
.st-key-mer-crumbs {{ row-gap: 0 !important; }}
.st-key-mer-crumbs button {{ padding-left: 0; padding-right: 0; min-height: 1.6rem; }}
.st-key-mer-crumbs button p {{ text-decoration: underline; text-underline-offset: 0.2em; }}

/* Up to 1500 px the page's side margins shrink, so that tables of ten columns fit a 1280 px screen
   beside the sidebar. */
@media (max-width: 1500px) {{
  [data-testid="stMainBlockContainer"] {{ padding-left: 2rem !important; padding-right: 2rem !important; }}
}}

/* Nothing is wider than the page: long words in headers and captions wrap. */
[data-testid="stHeading"] h1, [data-testid="stCaptionContainer"] {{ overflow-wrap: anywhere; }}

@media (max-width: {PHONE_MAX_PX}px) {{
  .block-container {{ padding-left: 0.9rem !important; padding-right: 0.9rem !important;
    padding-top: 3.2rem !important; }}
  [data-testid="stHeading"] h1 {{ font-size: 1.9rem; }}
  /* Tiles two-up whatever their number, the value a little smaller. */
  .mer-tiles {{ gap: 0.5rem; }}
  .mer-tiles > .mer-tile {{ flex: 0 0 calc((100% - 0.5rem) / 2) !important; min-width: 0 !important;
    padding: 0.55rem 0.6rem 0.4rem; }}
  .mer-tiles .mer-value {{ font-size: clamp(1.05rem, 13cqi, 1.6rem); }}
  .mer-tiles .mer-label {{ min-height: 2.5em; font-size: 0.85rem; }}
  .mer-legend {{ grid-template-columns: 1fr; }}
  .mer-legend-none {{ grid-column: 1; grid-row: auto; }}
}}
"""
