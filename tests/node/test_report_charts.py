"""The chart writer every chart shares (report/charts.py): documents, scales, ticks, plots."""

import ast
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ape_arena.report import charts
from ape_arena.report.charts import (
    BLUE,
    Plot,
    Scale,
    Series,
    Svg,
    legend,
    nice_ticks,
    shorten,
    wrap,
)

NS = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert('x')</script>"


def _parsed(svg):
    return ET.fromstring(svg.render())


@pytest.mark.parametrize(
    "top, step, steps, decimals",
    [
        (1.0, 0.2, 5, 1),
        (7.5, 2.0, 4, 0),
        (3.2101, 1.0, 4, 0),
        (400.25, 100.0, 5, 0),
        (1000.0, 200.0, 5, 0),
        (143.6, 50.0, 3, 0),  # a scale chart: million gas
        (0.0, 0.2, 5, 1),
        (float("nan"), 0.2, 5, 1),
        (0.003, 0.001, 3, 3),
        (2e-18, 5e-19, 4, 19),  # one wei, in ARENA
        (5e-324, 0.2, 5, 1),  # too small to divide: 0..1
        (float("inf"), 0.2, 5, 1),
    ],
)
def test_ticks_run_to_a_round_maximum_above_the_top(top, step, steps, decimals):
    ticks = nice_ticks(top)
    assert ticks.step == pytest.approx(step)
    assert (ticks.steps, ticks.decimals) == (steps, decimals)
    if top == top and 1e-300 < top < float("inf"):
        assert ticks.top >= top * (1 - 1e-9)


def test_tick_labels_have_separators_and_the_decimals_of_the_step():
    assert [label for _, label in nice_ticks(1000.0).labelled()] == [
        "0",
        "200",
        "400",
        "600",
        "800",
        "1,000",
    ]
    assert nice_ticks(1.0).label(0.6000000000000001) == "0.6"


def test_a_scale_maps_linearly_and_clamps_when_asked():
    scale = Scale((0.0, 10.0), (100.0, 200.0))
    assert scale(5.0) == 150.0
    assert scale(20.0) == 300.0  # not clamped
    clamped = Scale((0.0, 10.0), (100.0, 200.0), clamp=True)
    assert (clamped(-1.0), clamped(20.0)) == (100.0, 200.0)
    assert Scale((3.0, 3.0), (0.0, 50.0))(7.0) == 0.0  # an empty domain divides nothing
    assert Scale((0.0, 1.0), (300.0, 100.0))(1.0) == 100.0  # y grows upwards


def test_a_standalone_document_has_its_namespace_font_and_background():
    svg = Svg(300, 200, "A & B")
    svg.text(10, 20, HOSTILE, 16, weight="bold")
    text = svg.render()
    root = ET.fromstring(text)
    assert root.tag == f"{NS}svg"
    assert root.get("viewBox") == "0 0 300 200"
    assert "Helvetica" in root.get("font-family")
    assert root.find(f"{NS}title").text == "A & B"
    assert root.find(f"{NS}rect").get("fill") == "white"
    label = root.find(f"{NS}text")
    assert label.text == HOSTILE  # escaped in the file, whole once parsed
    assert (label.get("font-size"), label.get("font-weight")) == ("16", "bold")
    assert "<script" not in text


def test_an_inline_element_is_labelled_by_its_title_and_styled_by_classes():
    svg = Svg(760, 100, "Trust per validator", element_id="chart-trust", css_class="chart")
    svg.line(0, 0.25, 10, 10, cls="grid")
    text = svg.render()
    assert "xmlns" not in text and "http" not in text
    assert text.startswith('<svg id="chart-trust" class="chart" viewBox="0 0 760 100"')
    assert 'aria-labelledby="chart-trust-title"' in text
    assert '<title id="chart-trust-title">Trust per validator</title>' in text
    assert '<line x1="0" y1="0.2" x2="10" y2="10" class="grid"/>' in text


def test_elements_write_attributes_by_their_svg_names_and_skip_none():
    svg = Svg(10, 10)
    svg.rect(1, 2, -5, 3.25, fill=BLUE, stroke=None, fill_opacity=0.5)
    svg.polyline([(0, 0)], stroke=BLUE)  # one point: no line
    svg.circle(1, 1, 3.5, tooltip="a -> b", fill=BLUE)
    with svg.group(tooltip="row"):
        svg.text(5, 5, "x", rotate=-90)
    text = svg.render()
    assert f'<rect x="1" y="2" width="0" height="3.2" fill="{BLUE}" fill-opacity="0.5"/>' in text
    assert "polyline" not in text
    assert f'<circle cx="1" cy="1" r="3.5" fill="{BLUE}"><title>a -&gt; b</title></circle>' in text
    assert (
        '<g><title>row</title>\n<text x="5" y="5" transform="rotate(-90 5.0 5.0)">x</text>\n</g>'
        in text
    )


def test_a_plot_draws_ticks_axes_series_and_bars_inside_its_box():
    svg = Svg(400, 300)
    plot = Plot(svg, (50, 20, 300, 200), x=(0, 10), y=(0, 100), clamp_x=True)
    plot.x_ticks([(0, "0"), (10, "10")], grid={"stroke": "#eee"})
    plot.y_ticks([(50, "50")], grid={"stroke": "#eee"})
    plot.axes(stroke="#444")
    plot.series(Series("s", BLUE, [(0, 0), (10, 100)], dash="6 3", errors=[0, 10]))
    end = plot.hbar(25, 40, 10, fill=BLUE)  # beyond the axis: drawn to its end
    assert end == 350
    root = _parsed(svg)
    lines = root.findall(f"{NS}polyline")
    assert [line.get("points") for line in lines] == ["50.0,220.0 350.0,20.0"]
    assert lines[0].get("stroke-dasharray") == "6 3"
    assert len(root.findall(f"{NS}circle")) == 2
    texts = {t.text: (float(t.get("x")), float(t.get("y"))) for t in root.iter(f"{NS}text")}
    assert texts["10"] == (350, 236)  # 16 under the plot
    assert texts["50"] == (42, 124)  # 8 left of it, at y(50) + 4
    bar = next(r for r in root.findall(f"{NS}rect") if r.get("fill") == BLUE)
    assert (float(bar.get("x")), float(bar.get("width"))) == (50, 300)
    # the error bar of the second point: a vertical line and two caps
    assert len(root.findall(f"{NS}line")) == 2 + 1 + 2 + 3


def test_legend_wraps_long_labels_and_returns_where_it_ends():
    svg = Svg(300, 300)
    entries = [Series("one two three four", BLUE, []), Series("five", BLUE, [], dash="6 4")]
    bottom = legend(svg, 10, 20, entries, marker=3.6, wrap_at=9)
    assert bottom == 20 + (14 * 3 + 12) + (14 + 12)
    root = _parsed(svg)
    assert [t.text for t in root.iter(f"{NS}text")] == ["one two", "three", "four", "five"]
    assert [line.get("stroke-dasharray") for line in root.iter(f"{NS}line")] == [None, "6 4"]
    assert len(root.findall(f"{NS}circle")) == 2
    assert wrap("one two three four", 9) == ["one two", "three", "four"]
    assert shorten("abcdef", 4) == "abc…"
    assert shorten("abc", 4) == "abc"


def test_the_chart_writer_needs_only_the_standard_library():
    """The report and the benchmarks draw with it; neither Ape nor a plotting library."""
    tree = ast.parse(Path(charts.__file__).read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    assert names - {"__future__"} <= sys.stdlib_module_names
