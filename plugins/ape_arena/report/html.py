"""One task's outcome as a self-contained HTML page.

`render_report(data)` turns a plain dict into a page with inline CSS and
inline SVG charts: no JavaScript, no external URL, no web font, so the file
opens offline and can be archived or attached as it is. A Content Security
Policy in the page forbids every external load as a second line of defence.
`write_report(path, data)` renders first, then replaces `path` atomically.

The input is validated loosely: every key is optional, a missing value or
`None` renders as "-", and every string from the input is HTML-escaped.

    title, generated, network: str
    task: {id, kind, metric, lower_is_better, reward, emission,
           train_reward, validator_reward, fee}
    submissions: [{label, address, params, rank, consensus, status,
                   scores: {validator label: float, or None when invalid},
                   reward}]                   rank order, unranked last
    validators: [{label, address, trust (0..1), revealed, reward, note}]
    payouts: [{label, role, reward, commission, to_pool, operator_share,
               delegators: [{label, share}], slashed}]   one per operator pool
    story: [str]
    conservation: {ok, rows: [{holder, amount}], total, supply, difference}

Amounts (reward, emission, train_reward, validator_reward, fee, commission,
to_pool, operator_share, share, slashed, amount, total, supply, difference)
are integers of wei, shown in ARENA by `ape_arena.units.format_arena`; any
other value there is shown as text and draws no bar. Metrics (consensus,
scores) and trust are in their own unit, shown with 4 decimals and thousands
separators. The charts are drawn by `report/charts.py`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ape_arena.files import write_bytes_atomically
from ape_arena.report.charts import (
    BLUE,
    GREEN,
    ORANGE,
    PURPLE,
    Plot,
    Svg,
    escape,
    nice_ticks,
    shorten,
)
from ape_arena.units import WAD, format_arena

DASH = "-"
UNIT = "ARENA"
DEFAULT_TITLE = "AIArena report"
METRIC_DECIMALS = 4  # consensus scores, validators' scores, trust

ROLE_COLOURS = {"trainer": BLUE, "validator": ORANGE}
OTHER_ROLE_COLOUR = PURPLE

# Chart geometry in SVG user units; the SVG scales down with the page.
CHART_WIDTH = 760
LABEL_WIDTH = 170  # left column: participant labels, right-aligned
VALUE_WIDTH = 130  # right margin: the value label after a full-length bar
PLOT_WIDTH = CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH
ROW_HEIGHT = 26
BAR_HEIGHT = 16
TOP = 8
AXIS_HEIGHT = 46  # tick labels and the axis title under the plot
LABEL_CHARS = 24  # longer labels are cut with an ellipsis; the full one is the tooltip
MARKER_CHARS = 64  # the same for what a marker row says

CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

CSS = """
* { box-sizing: border-box; }
body { margin: 0; background: #f3f4f6; color: #1f2328;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Noto Sans", sans-serif; }
main { max-width: 1000px; margin: 0 auto; padding: 28px 24px 40px; background: #fff; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 4px; }
h2 { font-size: 1.15rem; margin: 36px 0 10px; padding-bottom: 4px;
  border-bottom: 1px solid #d8dde3; }
.subtitle { margin: 0; color: #57606a; }
.summary { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr));
  gap: 10px 24px; margin: 20px 0 0; padding: 14px 18px; background: #f6f8fa;
  border: 1px solid #d8dde3; border-left: 4px solid #0072B2; border-radius: 6px; }
.summary dt { font-size: .72rem; text-transform: uppercase; letter-spacing: .05em;
  color: #57606a; }
.summary dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
.hint, .unit { font-weight: 400; color: #57606a; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { padding: 6px 10px; text-align: left; vertical-align: top;
  border-bottom: 1px solid #e5e8eb; }
thead th { background: #eef1f4; border-bottom: 2px solid #c9d1d9; white-space: nowrap; }
tbody tr:nth-child(even) { background: #f6f8fa; }
tfoot th, tfoot td { font-weight: 600; border-top: 2px solid #c9d1d9; border-bottom: 0; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.addr { display: block; color: #57606a; font-size: .75rem;
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.empty, .muted { color: #6e7781; }
.empty { font-style: italic; }
.status { white-space: nowrap; font-weight: 600; }
.status.valid { color: #00603f; }
.status.disqualified { color: #9a3300; }
.status.invalid { color: #7a5200; }
.status.other { color: #57606a; }
.shares { list-style: none; margin: 0; padding: 0; }
.shares li { display: flex; justify-content: space-between; gap: 12px; }
.chart { display: block; width: 100%; max-width: 760px; height: auto; margin: 14px 0 4px; }
.chart text { font-family: inherit; font-size: 12px; fill: #1f2328; }
.chart .tick, .chart .axis-title { fill: #57606a; }
.chart .tick { font-size: 11px; }
.chart .grid { stroke: #e5e8eb; }
.chart .baseline { stroke: #8c959f; }
.chart .marker { fill: #9a3300; font-style: italic; }
.chart .marker-box { fill: none; stroke: #D55E00; stroke-dasharray: 3 2; }
.legend { margin: 0; font-size: .85rem; color: #57606a; }
.legend span.swatch { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 12px;
  border-radius: 2px; }
.story li { margin: 4px 0; }
.badge { display: inline-block; margin-left: 8px; padding: 1px 10px; border-radius: 999px;
  font-size: .85rem; font-weight: 700; vertical-align: middle; }
.badge.balanced { background: #dff3ea; color: #00603f; border: 1px solid #009E73; }
.badge.mismatch { background: #fbe3d6; color: #9a3300; border: 1px solid #D55E00; }
.badge.unchecked { background: #eef1f4; color: #57606a; border: 1px solid #c9d1d9; }
footer { margin-top: 40px; font-size: .8rem; color: #6e7781; }
@media print { body { background: #fff; } main { padding: 0; } }
"""


@dataclass(frozen=True)
class _Column:
    name: str  # plain text; escaped when rendered
    numeric: bool = False


@dataclass(frozen=True)
class _Bar:
    """One chart row: a bar when `value` is a number, else a labelled marker."""

    label: str  # plain text
    value: float | None
    text: str  # plain text: the value label, or what the marker says
    colour: str = BLUE


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def render_report(data: Mapping[str, Any]) -> str:
    """Render the report `data` (schema in the module docstring) as one HTML page."""
    if not isinstance(data, Mapping):
        raise TypeError(f"report: data must be a mapping, not {type(data).__name__}")
    task = _mapping(data.get("task"))
    submissions = _records(data.get("submissions"))
    validators = _records(data.get("validators"))
    title = _text(data.get("title") or DEFAULT_TITLE)
    body = "\n".join(
        [
            _header(title, data),
            _task_summary(task),
            _leaderboard(submissions, validators, task),
            _validators(validators),
            _payouts(_records(data.get("payouts"))),
            _story(data.get("story")),
            _conservation(_mapping(data.get("conservation"))),
        ]
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        f"{body}\n"
        "<footer>Self-contained report: no scripts, no external resources.</footer>\n"
        "</main>\n</body>\n</html>\n"
    )


def write_report(path: Path, data: Mapping[str, Any]) -> Path:
    """Render `data` and replace `path` with the page atomically; return the path.

    Rendering happens before anything is written, so bad data leaves an
    existing report untouched.
    """
    path = Path(path)
    page = render_report(data)
    write_bytes_atomically(path, page.encode("utf-8"))
    return path


# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------


def _header(title: str, data: Mapping[str, Any]) -> str:
    network = _text(data.get("network"))
    generated = _text(data.get("generated"))
    return (
        f"<header>\n<h1>{title}</h1>\n"
        f'<p class="subtitle">Network: {network} · Generated: {generated}</p>\n</header>'
    )


def _task_summary(task: Mapping[str, Any]) -> str:
    direction = _direction(task.get("lower_is_better"))
    metric = _text(task.get("metric"))
    if direction:
        metric += f' <span class="hint">({direction})</span>'
    split_total = _total(task.get("train_reward"), task.get("validator_reward"))
    items = [
        ("Task", _text(task.get("id"))),
        ("Kind", _text(task.get("kind"))),
        ("Metric", metric),
        ("Reward", _arena(task.get("reward"))),
        ("Emission", _arena(task.get("emission"))),
        (
            "To trainers",
            _arena(task.get("train_reward")) + _percent(task.get("train_reward"), split_total),
        ),
        (
            "To validators",
            _arena(task.get("validator_reward"))
            + _percent(task.get("validator_reward"), split_total),
        ),
        ("Fee", _arena(task.get("fee"))),
    ]
    cells = "\n".join(f"<div><dt>{name}</dt><dd>{value}</dd></div>" for name, value in items)
    return f'<section>\n<dl class="summary">\n{cells}\n</dl>\n</section>'


def _leaderboard(
    submissions: list[Mapping[str, Any]],
    validators: list[Mapping[str, Any]],
    task: Mapping[str, Any],
) -> str:
    score_columns = _score_columns(submissions, validators)
    columns = [
        _Column("Rank", numeric=True),
        _Column("Trainer"),
        _Column("Params", numeric=True),
        _Column("Consensus", numeric=True),
        _Column("Status"),
        *(_Column(name, numeric=True) for name in score_columns),
        _Column(f"Reward ({UNIT})", numeric=True),
    ]
    rows = []
    for submission in submissions:
        scores = _mapping(submission.get("scores"))
        rows.append(
            [
                _text(submission.get("rank")),
                _who(submission),
                _count(submission.get("params")),
                _metric(submission.get("consensus")),
                _status(submission.get("status")),
                *(_score(scores, name) for name in score_columns),
                _amount(submission.get("reward")),
            ]
        )
    bars = []
    for submission in submissions:
        label = _plain(submission.get("label"))
        consensus = _finite(submission.get("consensus"))
        status = submission.get("status")
        if consensus is not None and status in (None, "valid"):
            bars.append(_Bar(label, consensus, _metric(consensus)))
        else:
            bars.append(_Bar(label, None, _plain(status) if status else "no consensus score"))
    axis = _plain(task.get("metric"), "consensus score")
    direction = _direction(task.get("lower_is_better"))
    if direction:
        axis += f" ({direction})"
    title = "Consensus score per submission"
    chart = _bar_chart("chart-consensus", title, bars, axis)
    return _section("Leaderboard", _table(columns, rows, "No submissions."), title, chart)


def _validators(validators: list[Mapping[str, Any]]) -> str:
    columns = [
        _Column("Validator"),
        _Column("Trust", numeric=True),
        _Column("Revealed"),
        _Column(f"Reward ({UNIT})", numeric=True),
        _Column("Note"),
    ]
    rows = [
        [
            _who(validator),
            _metric(validator.get("trust")),
            _text(validator.get("revealed")),
            _amount(validator.get("reward")),
            _text(validator.get("note")),
        ]
        for validator in validators
    ]
    bars = []
    for validator in validators:
        trust = _finite(validator.get("trust"))
        label = _plain(validator.get("label"))
        if trust is None:
            bars.append(_Bar(label, None, "no trust score"))
        else:
            bars.append(_Bar(label, trust, _metric(trust), GREEN))
    title = "Trust per validator"
    chart = _bar_chart("chart-trust", title, bars, "trust (0 to 1)", 1.0)
    return _section("Validators", _table(columns, rows, "No validators."), title, chart)


def _payouts(payouts: list[Mapping[str, Any]]) -> str:
    amounts = ("reward", "commission", "to_pool", "operator_share")
    columns = [
        _Column("Participant"),
        _Column("Role"),
        _Column(f"Reward ({UNIT})", numeric=True),
        _Column("Commission", numeric=True),
        _Column("To pool", numeric=True),
        _Column("Operator share", numeric=True),
        _Column("Delegators' shares", numeric=True),
        _Column("Slashed", numeric=True),
    ]
    rows = [
        [
            _text(payout.get("label")),
            _text(payout.get("role")),
            *(_amount(payout.get(key)) for key in amounts),
            _delegators(payout.get("delegators")),
            _amount(payout.get("slashed")),
        ]
        for payout in payouts
    ]
    foot = None
    if payouts:
        delegated = [
            delegator.get("share")
            for payout in payouts
            for delegator in _records(payout.get("delegators"))
        ]
        foot = [
            [
                "Total",
                "",
                *(_amount(_total(*(payout.get(key) for payout in payouts))) for key in amounts),
                _amount(_total(*delegated)),
                _amount(_total(*(payout.get("slashed") for payout in payouts))),
            ]
        ]
    bars = []
    roles: dict[str, str] = {}
    for payout in payouts:
        role = _plain(payout.get("role"), "other")
        colour = ROLE_COLOURS.get(role.lower(), OTHER_ROLE_COLOUR)
        roles.setdefault(role, colour)
        reward = payout.get("reward")
        label = _plain(payout.get("label"))
        if not _is_wei(reward):
            bars.append(_Bar(label, None, "no reward figure"))
            continue
        bars.append(_Bar(label, reward / WAD, format_arena(reward), colour))
    title = "Reward per participant"
    chart = _bar_chart("chart-rewards", title, bars, f"reward ({UNIT}, before commission)")
    legend = ""
    if bars:
        swatches = "".join(
            f'<span class="swatch" style="background:{colour}"></span>{_text(role)}'
            for role, colour in roles.items()
        )
        legend = f'\n<p class="legend">Role:{swatches}</p>'
    table = _table(columns, rows, "No payouts.", foot)
    return _section("Payouts", table, title, chart + legend)


def _story(story: Any) -> str:
    lines = [story] if isinstance(story, str) else _items(story)
    if not lines:
        body = '<p class="empty">Nothing to tell.</p>'
    else:
        body = '<ul class="story">\n' + "\n".join(f"<li>{_text(line)}</li>" for line in lines)
        body += "\n</ul>"
    return f"<section>\n<h2>What happened</h2>\n{body}\n</section>"


def _conservation(conservation: Mapping[str, Any]) -> str:
    ok = conservation.get("ok")
    if ok is True:
        badge = '<span class="badge balanced">✓ balanced</span>'
    elif ok is False:
        badge = '<span class="badge mismatch">✗ MISMATCH</span>'
    else:
        badge = '<span class="badge unchecked">not checked</span>'
    columns = [_Column("Holder"), _Column(f"Amount ({UNIT})", numeric=True)]
    rows = [
        [_text(row.get("holder")), _amount(row.get("amount"))]
        for row in _records(conservation.get("rows"))
    ]
    foot = [
        ["Total", _amount(conservation.get("total"))],
        ["Supply", _amount(conservation.get("supply"))],
        ["Difference", _amount(conservation.get("difference"))],
    ]
    return (
        f"<section>\n<h2>Conservation check {badge}</h2>\n"
        '<p class="hint">Every ARENA token is held somewhere: the holders below must add up '
        "to the supply.</p>\n" + _table(columns, rows, "No holders listed.", foot) + "\n</section>"
    )


# ---------------------------------------------------------------------------
# Tables and charts
# ---------------------------------------------------------------------------


def _section(heading: str, table: str, chart_title: str, chart: str) -> str:
    """A section of the page: its heading and table (HTML), then its chart
    (HTML) under the chart's title (plain text)."""
    return (
        f"<section>\n<h2>{_text(heading)}</h2>\n{table}\n"
        f"<h3>{_text(chart_title)}</h3>\n{chart}\n</section>"
    )


def _table(
    columns: list[_Column],
    rows: list[list[str]],
    empty: str,
    foot: list[list[str]] | None = None,
) -> str:
    """A table of pre-rendered (already escaped) cells; each `foot` row starts with a
    plain-text heading."""
    classes = [' class="num"' if column.numeric else "" for column in columns]
    head = "".join(
        f'<th scope="col"{cls}>{_text(column.name)}</th>'
        for column, cls in zip(columns, classes, strict=True)
    )
    if rows:
        body = "\n".join(
            "<tr>"
            + "".join(f"<td{cls}>{cell}</td>" for cell, cls in zip(row, classes, strict=True))
            + "</tr>"
            for row in rows
        )
    else:
        body = f'<tr><td colspan="{len(columns)}" class="empty">{_text(empty)}</td></tr>'
    tail = ""
    if foot:
        lines = []
        for row in foot:
            cells = "".join(
                f"<td{cls}>{cell}</td>" for cell, cls in zip(row[1:], classes[1:], strict=True)
            )
            lines.append(f'<tr><th scope="row">{_text(row[0])}</th>{cells}</tr>')
        tail = "\n<tfoot>\n" + "\n".join(lines) + "\n</tfoot>"
    return (
        f'<div class="scroll"><table>\n<thead><tr>{head}</tr></thead>{tail}\n'
        f"<tbody>\n{body}\n</tbody>\n</table></div>"
    )


def _bar_chart(
    chart_id: str, title: str, bars: list[_Bar], axis_title: str, domain_max: float | None = None
) -> str:
    """A horizontal bar chart from 0 to a round maximum; markers for rows with no value.

    The axis runs to `domain_max` when given, else to the largest value, rounded
    up to a round step; with no positive value it runs from 0 to 1, so no width
    is ever divided by zero. Negative values draw no bar; values beyond the axis
    are drawn to its end. The value label always shows the exact figure.
    """
    if not bars:
        return '<p class="empty">Nothing to chart.</p>'
    values = [bar.value for bar in bars if bar.value is not None]
    ticks = nice_ticks(domain_max if domain_max is not None else max(values, default=0))
    plot_height = ROW_HEIGHT * len(bars)
    height = TOP + plot_height + AXIS_HEIGHT
    svg = Svg(CHART_WIDTH, height, title, element_id=chart_id, css_class="chart")
    box = (LABEL_WIDTH, TOP, PLOT_WIDTH, plot_height)
    plot = Plot(svg, box, x=(0.0, ticks.top), clamp_x=True)
    plot.x_ticks(ticks.labelled(), grid={"cls": "grid"}, label={"cls": "tick"})
    plot.axes(cls="baseline")
    plot.x_title(axis_title, height - 8, cls="axis-title")
    centred = {"dominant_baseline": "middle"}
    for row, bar in enumerate(bars):
        middle = TOP + ROW_HEIGHT * (row + 0.5)
        with svg.group(tooltip=f"{bar.label}: {bar.text}"):
            label = shorten(bar.label, LABEL_CHARS)
            svg.text(LABEL_WIDTH - 8, middle, label, anchor="end", cls="label", **centred)
            if bar.value is None:
                svg.rect(LABEL_WIDTH + 6, middle - 6, 12, 12, cls="marker-box")
                says = f"{shorten(bar.text, MARKER_CHARS)}: no bar"
                svg.text(LABEL_WIDTH + 24, middle, says, cls="marker", **centred)
            else:
                bar_top = middle - BAR_HEIGHT / 2
                end = plot.hbar(
                    max(bar.value, 0.0), bar_top, BAR_HEIGHT, cls="bar", fill=bar.colour
                )
                svg.text(end + 6, middle, bar.text, cls="value", **centred)
    return svg.render()


# ---------------------------------------------------------------------------
# Cells and formatting
# ---------------------------------------------------------------------------


def _score_columns(
    submissions: list[Mapping[str, Any]], validators: list[Mapping[str, Any]]
) -> list[str]:
    """One column per validator, in the validators' order, then any other scorer."""
    names: dict[str, None] = {}
    for validator in validators:
        if validator.get("label") is not None:
            names[str(validator["label"])] = None
    for submission in submissions:
        for name in _mapping(submission.get("scores")):
            names[str(name)] = None
    return list(names)


def _score(scores: Mapping[str, Any], name: str) -> str:
    if name not in scores:
        return DASH
    if scores[name] is None:
        return '<span class="muted">invalid</span>'
    return _metric(scores[name])


def _who(record: Mapping[str, Any]) -> str:
    """A participant's label, with its address shortened underneath."""
    cell = _text(record.get("label"))
    address = record.get("address")
    if isinstance(address, str) and address:
        short = f"{address[:6]}…{address[-4:]}" if len(address) > 14 else address
        cell += f'<span class="addr" title="{_text(address)}">{_text(short)}</span>'
    return cell


def _status(status: Any) -> str:
    if status is None or status == "":
        return DASH
    text = str(status)
    if text == "valid":
        kind = "valid"
    elif text.startswith("disqualified"):
        kind = "disqualified"
    elif text.startswith("invalid"):
        kind = "invalid"
    else:
        kind = "other"
    return f'<span class="status {kind}">{_text(text)}</span>'


def _delegators(value: Any) -> str:
    delegators = _records(value)
    if not delegators:
        return DASH
    items = "".join(
        f"<li><span>{_text(delegator.get('label'))}</span>"
        f"<span>{_amount(delegator.get('share'))}</span></li>"
        for delegator in delegators
    )
    return f'<ul class="shares">{items}</ul>'


def _direction(lower_is_better: Any) -> str:
    if lower_is_better is True:
        return "lower is better"
    if lower_is_better is False:
        return "higher is better"
    return ""


def _arena(value: Any) -> str:
    """An amount in wei as ARENA with the unit; anything else as text."""
    if not _is_wei(value):
        return _text(value)
    return f'{_amount(value)} <span class="unit">{UNIT}</span>'


def _amount(value: Any) -> str:
    """An amount in wei as ARENA (`format_arena`, escaped: dust reads "<0.000001");
    anything else as text."""
    return _text(format_arena(value) if _is_wei(value) else value)


def _percent(part: Any, total: int | None) -> str:
    if not _is_wei(part) or not total:
        return ""
    return f' <span class="hint">({100 * part / total:.1f}%)</span>'


def _metric(value: Any, decimals: int = METRIC_DECIMALS) -> str:
    """A metric or trust with thousands separators and fixed decimals; anything else as text."""
    if not _is_number(value):
        return _text(value)
    if value == 0:
        value = 0  # never "-0.0000"
    return f"{value:,.{decimals}f}"


def _count(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return _metric(value, 0)


def _total(*values: Any) -> int | None:
    """The exact sum of the amounts (wei) among `values`; None when there are none."""
    amounts = [value for value in values if _is_wei(value)]
    return sum(amounts) if amounts else None


def _text(value: Any) -> str:
    """`value` as escaped HTML text: None or "" as "-", booleans as yes/no."""
    if value is None or value == "":
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    return escape(value)


def _plain(value: Any, default: str = DASH) -> str:
    """`value` as plain (unescaped) text for chart rows; escaped when drawn."""
    return default if value is None or value == "" else str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_wei(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _finite(value: Any) -> float | None:
    if _is_number(value) and math.isfinite(value):
        return float(value)
    return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _items(value: Any) -> list[Any]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        return []
    return list(value)


def _records(value: Any) -> list[Mapping[str, Any]]:
    """A list of records; an item that is not a mapping renders as an empty row."""
    return [_mapping(item) for item in _items(value)]
