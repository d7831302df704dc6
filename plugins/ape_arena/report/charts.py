"""Charts as SVG written by hand: the one chart writer of the project.

The demo's HTML report (`report/html.py`) draws its bar charts inline, styled
by the page's CSS; the benchmarks (`benchmarks/fairness/svg.py`,
`benchmarks/scale.py`) write standalone files for docs/img/. All of them are
built from what is here:

- `Svg`: the document, either standalone (namespace, font, ink colour, white
  background) or an element to inline in an HTML page (an id, a class, a
  title that labels it), and its elements: line, rect, polyline, circle,
  text, groups and tooltips. Every text and attribute value is escaped;
  floats (coordinates) are written with one decimal.
- `Scale`: a linear map from data to user units, clamped to its domain when
  asked. `Plot`: a plot area of an `Svg` with its two scales, which draws grid
  lines and tick labels on either axis, the axis lines, the axis titles,
  series (a polyline with point markers and error bars) and horizontal bars.
- `Ticks` and `nice_ticks`: round steps (1, 2, 2.5 or 5 times a power of
  ten) from 0 to just above a maximum, and their labels.
- `heading` (a chart's title and subtitle), `legend` (line swatches with
  labels), `wrap` and `shorten` for long labels, and the Okabe-Ito palette.

Standard library only, so the report needs neither Ape nor a plotting
library, and the benchmarks draw with the same code.
"""

from __future__ import annotations

import contextlib
import html
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

# Okabe-Ito: told apart under the common colour-vision deficiencies.
BLUE = "#0072B2"
ORANGE = "#E69F00"
GREEN = "#009E73"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
YELLOW = "#F0E442"
SKY = "#56B4E9"
GREY = "#999999"
INK = "#222222"  # the default colour of a standalone document's text
MUTED = "#555555"  # subtitles
GRID = "#e6e6e6"

FONT = "Helvetica, Arial, sans-serif"
NAMESPACE = "http://www.w3.org/2000/svg"
MAX_STEPS = 5  # `nice_ticks`: at most this many steps from 0 to the top

Style = Mapping[str, Any]  # attributes of an element, as keyword arguments of `Svg.element`
Point = tuple[float, float]


def escape(value: Any) -> str:
    """`value` as text safe in SVG (and HTML) content and attribute values."""
    return html.escape(str(value), quote=True)


def _attributes(attrs: Mapping[str, Any]) -> str:
    """` name="value"` for every attribute that is not None: `cls` is written
    `class`, underscores become hyphens, floats get one decimal."""
    parts = []
    for name, value in attrs.items():
        if value is None:
            continue
        key = "class" if name == "cls" else name.replace("_", "-")
        text = f"{value:.1f}" if isinstance(value, float) else escape(value)
        parts.append(f' {key}="{text}"')
    return "".join(parts)


def wrap(text: str, width: int) -> list[str]:
    """`text` cut at spaces into lines of at most `width` characters (a longer
    word stands alone)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return [*lines, current] if current else lines


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, the last one an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------
# The document
# ---------------------------------------------------------------------------


@dataclass
class Svg:
    """An SVG document built element by element; `render()` returns its text.

    Standalone unless `element_id` is given: then it is an element to inline
    in an HTML page, with no namespace, font or background of its own (the
    page's CSS styles it through `css_class`), labelled by its `title`.
    """

    width: int
    height: int
    title: str | None = None
    _: KW_ONLY
    element_id: str | None = None
    css_class: str | None = None
    font_size: int | None = None
    items: list[str] = field(default_factory=list, init=False)

    def element(self, tag: str, content: str | None = None, tooltip: str | None = None, **attrs):
        """Append `<tag .../>`, or the tag around a tooltip and/or `content` (escaped)."""
        inner = "" if tooltip is None else f"<title>{escape(tooltip)}</title>"
        inner += "" if content is None else escape(content)
        attributes = _attributes(attrs)
        if content is None and tooltip is None:
            self.items.append(f"<{tag}{attributes}/>")
        else:
            self.items.append(f"<{tag}{attributes}>{inner}</{tag}>")

    def line(self, x1: float, y1: float, x2: float, y2: float, **attrs) -> None:
        self.element("line", x1=x1, y1=y1, x2=x2, y2=y2, **attrs)

    def rect(self, x: float, y: float, width: float, height: float, **attrs) -> None:
        """A rectangle; a negative width or height is drawn as 0."""
        self.element("rect", x=x, y=y, width=max(width, 0), height=max(height, 0), **attrs)

    def polyline(self, points: Sequence[Point], **attrs) -> None:
        """An open line through `points`; nothing for fewer than two."""
        if len(points) < 2:
            return
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        self.element("polyline", points=path, fill="none", **attrs)

    def circle(self, cx: float, cy: float, r: float, tooltip: str | None = None, **attrs) -> None:
        self.element("circle", tooltip=tooltip, cx=cx, cy=cy, r=r, **attrs)

    def text(
        self,
        x: float,
        y: float,
        content: Any,
        size: int | None = None,
        anchor: str | None = None,
        fill: str | None = None,
        weight: str | None = None,
        rotate: int | None = None,
        **attrs,
    ) -> None:
        """A text at (x, y), escaped; `rotate` turns it about that point (degrees)."""
        turn = None if rotate is None else f"rotate({rotate} {x:.1f} {y:.1f})"
        style = {"font_size": size, "text_anchor": anchor, "fill": fill, "font_weight": weight}
        self.element("text", str(content), x=x, y=y, transform=turn, **style, **attrs)

    @contextlib.contextmanager
    def group(self, tooltip: str | None = None, **attrs) -> Iterator[None]:
        """Elements appended inside the block form one `<g>` (with a tooltip)."""
        title = "" if tooltip is None else f"<title>{escape(tooltip)}</title>"
        self.items.append(f"<g{_attributes(attrs)}>{title}")
        yield
        self.items.append("</g>")

    def render(self) -> str:
        width, height = self.width, self.height
        size = f'viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        if self.element_id is not None:
            title_id = f"{self.element_id}-title"
            head = [
                f"<svg{_attributes({'id': self.element_id, 'cls': self.css_class})} {size} "
                f'role="img" aria-labelledby="{escape(title_id)}">',
                f'<title id="{escape(title_id)}">{escape(self.title or "")}</title>',
            ]
            return "\n".join([*head, *self.items, "</svg>"])
        root = _attributes({"font_family": FONT, "font_size": self.font_size, "fill": INK})
        head = [f'<svg xmlns="{NAMESPACE}" {size}{root}>']
        if self.title:
            head.append(f"<title>{escape(self.title)}</title>")
        head.append(f'<rect width="{width}" height="{height}" fill="white"/>')
        return "\n".join([*head, *self.items, "</svg>"]) + "\n"


# ---------------------------------------------------------------------------
# Scales, ticks and plots
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """A linear map from `domain` (data) to `span` (user units); with `clamp`,
    values outside the domain map to its ends. An empty domain maps to the
    start of the span."""

    domain: tuple[float, float]
    span: tuple[float, float]
    clamp: bool = False

    def __call__(self, value: float) -> float:
        lo, hi = self.domain
        if self.clamp:
            value = min(max(value, min(lo, hi)), max(lo, hi))
        fraction = (value - lo) / (hi - lo) if hi != lo else 0.0
        return self.span[0] + fraction * (self.span[1] - self.span[0])


@dataclass(frozen=True)
class Ticks:
    """`steps` round steps of `step` from 0; labels with `decimals` decimals."""

    step: float
    steps: int
    decimals: int

    @property
    def top(self) -> float:
        return self.step * self.steps

    def values(self) -> list[float]:
        return [self.step * index for index in range(self.steps + 1)]

    def label(self, value: float) -> str:
        """A tick label: thousands separators, the decimals the step needs."""
        return f"{value:,.{self.decimals}f}"

    def labelled(self) -> list[tuple[float, str]]:
        return [(value, self.label(value)) for value in self.values()]


def nice_ticks(top: float, max_steps: int = MAX_STEPS) -> Ticks:
    """The round step (1, 2, 2.5 or 5 times a power of ten) that reaches `top`
    in at most `max_steps` steps, how many steps it takes, and the decimals a
    label needs. A `top` that is not a positive finite number (or is too small
    to divide) gives the axis 0..1."""
    if not (math.isfinite(top) and top > 1e-300):
        top = 1.0
    raw = top / max_steps
    base = 10.0 ** math.floor(math.log10(raw))
    step = next(m * base for m in (1, 2, 2.5, 5, 10) if raw <= m * base * (1 + 1e-9))
    steps = max(1, math.ceil(top / step - 1e-9))
    decimals = next((d for d in range(20) if abs(round(step, d) - step) <= step * 1e-9), 4)
    return Ticks(step, steps, decimals)


@dataclass(frozen=True)
class Series:
    """A line of a chart: its points (data), colour, dash pattern ("6 3") and
    per-point error (half the height of its error bar; 0 for none)."""

    label: str
    colour: str
    points: Sequence[Point]
    dash: str | None = None
    errors: Sequence[float] | None = None


class Plot:
    """A plot area of `svg`: the box (left, top, width, height) in user units,
    `x` mapping data to left..right and `y` data to bottom..top."""

    def __init__(
        self,
        svg: Svg,
        box: tuple[float, float, float, float],
        x: tuple[float, float] = (0.0, 1.0),
        y: tuple[float, float] = (0.0, 1.0),
        *,
        clamp_x: bool = False,
        clamp_y: bool = False,
    ) -> None:
        self.svg = svg
        self.left, self.top, self.width, self.height = box
        self.right, self.bottom = self.left + self.width, self.top + self.height
        self.x = Scale(x, (self.left, self.right), clamp_x)
        self.y = Scale(y, (self.bottom, self.top), clamp_y)

    def x_ticks(
        self,
        ticks: Iterable[tuple[float, str]],
        *,
        gap: float = 16,
        grid: Style | None = None,
        extend: float = 0,
        mark: Style | None = None,
        label: Style | None = None,
    ) -> None:
        """Tick labels `gap` under the plot at each (value, text); a vertical
        `grid` line across the plot (`extend` above it), or a short `mark` under it."""
        for value, text in ticks:
            x = self.x(value)
            if grid is not None:
                self.svg.line(x, self.top - extend, x, self.bottom, **grid)
            if mark is not None:
                self.svg.line(x, self.bottom, x, self.bottom + 5, **mark)
            self.svg.text(x, self.bottom + gap, text, anchor="middle", **(label or {}))

    def y_ticks(
        self,
        ticks: Iterable[tuple[float, str]],
        *,
        gap: float = 8,
        grid: Style | None = None,
        label: Style | None = None,
    ) -> None:
        """Tick labels `gap` left of the plot at each (value, text), with a
        horizontal `grid` line across the plot."""
        for value, text in ticks:
            y = self.y(value)
            if grid is not None:
                self.svg.line(self.left, y, self.right, y, **grid)
            self.svg.text(self.left - gap, y + 4, text, anchor="end", **(label or {}))

    def axes(self, **attrs) -> None:
        """The x axis along the bottom and the y axis along the left."""
        self.svg.line(self.left, self.top, self.left, self.bottom, **attrs)
        self.svg.line(self.left, self.bottom, self.right, self.bottom, **attrs)

    def x_title(self, text: str, y: float, **attrs) -> None:
        """The x axis's title, centred under the plot at height `y`."""
        self.svg.text(self.left + self.width / 2, y, text, anchor="middle", **attrs)

    def y_title(self, text: str, x: float, **attrs) -> None:
        """The y axis's title, turned a quarter left and centred beside the plot at `x`."""
        y = self.top + self.height / 2
        self.svg.text(x, y, text, anchor="middle", rotate=-90, **attrs)

    def series(
        self,
        series: Series,
        width: float = 2.0,
        marker: float = 3.5,
        tooltip: Callable[[float, float], str] | None = None,
    ) -> None:
        """A series: its polyline, then at each point its error bar (if any) and
        a round marker of radius `marker` (with a tooltip of the point)."""
        colour = series.colour
        self.svg.polyline(
            [(self.x(x), self.y(y)) for x, y in series.points],
            stroke=colour,
            stroke_width=width,
            stroke_dasharray=series.dash,
        )
        errors = series.errors or [0.0] * len(series.points)
        for (x, y), error in zip(series.points, errors, strict=True):
            if error:
                self.error_bar(x, y - error, y + error, colour)
            tip = None if tooltip is None else tooltip(x, y)
            self.svg.circle(self.x(x), self.y(y), marker, tooltip=tip, fill=colour)

    def error_bar(self, x: float, low: float, high: float, colour: str, width: float = 1.4) -> None:
        """A vertical bar from `low` to `high` at `x`, with caps."""
        px, top, bottom = self.x(x), self.y(high), self.y(low)
        self.svg.line(px, bottom, px, top, stroke=colour, stroke_width=width)
        for y in (bottom, top):
            self.svg.line(px - 4, y, px + 4, y, stroke=colour, stroke_width=width)

    def hbar(self, value: float, y: float, height: float, **attrs) -> float:
        """A horizontal bar from the left edge to `value`, `height` tall from `y`;
        return the x of its end."""
        end = self.x(value)
        self.svg.rect(self.left, y, end - self.left, height, **attrs)
        return end


# ---------------------------------------------------------------------------
# Titles and keys
# ---------------------------------------------------------------------------


def heading(svg: Svg, x: float, y: float, title: str, subtitle: str = "") -> None:
    """A chart's bold title at (x, y) and a muted subtitle under it."""
    svg.text(x, y, title, 16, weight="bold")
    if subtitle:
        svg.text(x, y + 18, subtitle, 12, fill=MUTED)


def legend(
    svg: Svg,
    x: float,
    y: float,
    entries: Iterable[Series],
    *,
    swatch: float = 22,
    width: float = 2.0,
    marker: float | None = None,
    wrap_at: int | None = None,
    size: int | None = None,
    line_height: float = 14,
    gap: float = 12,
) -> float:
    """A key from (x, y) down: per entry a line swatch (dashed like the series,
    with a marker in its middle when given) and its label, wrapped at `wrap_at`
    characters; return the y under the last entry."""
    for entry in entries:
        style = {"stroke": entry.colour, "stroke_width": width, "stroke_dasharray": entry.dash}
        svg.line(x, y, x + swatch, y, **style)
        if marker is not None:
            svg.circle(x + swatch / 2, y, marker, fill=entry.colour)
        lines = wrap(entry.label, wrap_at) if wrap_at else [entry.label]
        for index, line in enumerate(lines):
            svg.text(x + 30, y + 4 + line_height * index, line, size)
        y += line_height * len(lines) + gap
    return y
