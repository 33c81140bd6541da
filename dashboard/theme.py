"""One palette and one plotly template for every chart.

The palette is Okabe & Ito's, distinguishable with the common colour-vision deficiencies.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
GOOD = "#009E73"
BAD = "#D55E00"
NEUTRAL = "#7F7F7F"
PRIMARY = PALETTE[0]
# Sequential scale for maps and heat: light to the primary blue ("more" is darker on a light page).
SEQUENTIAL = ("#D4E8F5", "#9CC9E8", "#4A9BD1", "#0072B2", "#00406A")
DIVERGING = (BAD, "#EDB48F", "#F6EEDC", "#8FD0BC", GOOD)
# Map colours per theme type ("light", "dark"): a country without data is grey in both, set apart from
# every colour of the scales; on a dark page "more" is brighter, the way the eye reads light on dark.
MAP_SCALES = {
    "light": {"sequential": SEQUENTIAL, "diverging": DIVERGING, "no_data": "#CFCFCF", "border": "#FFFFFF"},
    "dark": {"sequential": ("#173B5C", "#1F5F91", "#2F86C2", "#63B0E3", "#B3DDF8"),
             "diverging": (BAD, "#8A4B2A", "#5B5750", "#2A6E5A", GOOD), "no_data": "#343944",
             "border": "#0E1117"},
}
FONT = "Source Sans Pro, Noto Sans CJK SC, Microsoft YaHei, sans-serif"
TEMPLATE = "meridian"


def register() -> None:
    template = go.layout.Template()
    # Sizes as in the rest of the page (Streamlit's small text, its subheading); the browser adds the
    # theme's colours and font (plot.CHART_JS).
    template.layout = go.Layout(
        colorway=list(PALETTE),
        font={"family": FONT, "size": 12},
        title={"font": {"size": 16, "weight": 600}, "x": 0, "xanchor": "left"},
        margin={"l": 8, "r": 8, "t": 48, "b": 8},
        hoverlabel={"font": {"family": FONT, "size": 12}},
        xaxis={"showgrid": False, "zeroline": False},
        yaxis={"gridcolor": "rgba(127,127,127,0.2)", "zeroline": False},
        legend={"orientation": "h", "y": -0.15},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
    )
    # Merged once under one name: a default of "plotly+meridian" is merged again for every figure, which
    # cost more than building the figure itself.
    pio.templates[TEMPLATE] = pio.templates.merge_templates("plotly", template)
    pio.templates.default = TEMPLATE


register()
