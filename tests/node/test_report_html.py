"""The HTML report: a self-contained page that escapes everything it is given."""

import copy
import re
from html import escape
from html.parser import HTMLParser

import pytest

from ape_arena.report import render_report, write_report
from ape_arena.report.html import PLOT_WIDTH
from ape_arena.units import WAD, parse_arena


def _wei(amount):
    """An amount of ARENA written as text, in wei (the report's unit for amounts)."""
    return parse_arena(amount, allow_zero=True)


HOSTILE = "<script>alert('x')</script>"
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"}

EXAMPLE = {
    "title": "AIArena demo: one lm task on a local chain",
    "generated": "2026-11-27 09:00 UTC",
    "network": "ethereum:local:foundry (chain id 31337)",
    "task": {
        "id": 1,
        "kind": "lm",
        "metric": "bits per byte",
        "lower_is_better": True,
        "reward": _wei("1000"),
        "emission": _wei("0"),
        "train_reward": _wei("612"),
        "validator_reward": _wei("338"),
        "fee": _wei("50"),
    },
    "submissions": [
        {
            "label": "trainer-large",
            "address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            "params": 123456,
            "rank": 1,
            "consensus": 3.2101,
            "status": "valid",
            "scores": {"validator-1": 3.2101, "validator-2": 3.2101, "validator-lazy": 7.5},
            "reward": _wei("400.25"),
        },
        {
            "label": "trainer-small",
            "address": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
            "params": 1234567,
            "rank": 2,
            "consensus": 4.56789,
            "status": "valid",
            "scores": {"validator-1": 4.56789, "validator-2": 4.56789, "validator-lazy": 7.5},
            "reward": _wei("211.75"),
        },
        {
            "label": "trainer-copycat",
            "address": "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
            "params": 1234567,
            "rank": None,
            "consensus": None,
            "status": "disqualified (plagiarism)",
            "scores": {},
            "reward": _wei("0"),
        },
        {
            "label": "trainer-broken",
            "address": "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
            "params": 99,
            "rank": None,
            "consensus": None,
            "status": "invalid",
            "scores": {"validator-1": None, "validator-2": None, "validator-lazy": None},
            "reward": _wei("0"),
        },
    ],
    "validators": [
        {
            "label": "validator-1",
            "address": "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
            "trust": 1.0,
            "revealed": True,
            "reward": _wei("169"),
            "note": "agreed with consensus",
        },
        {
            "label": "validator-2",
            "address": "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
            "trust": 1.0,
            "revealed": True,
            "reward": _wei("169"),
            "note": "agreed with consensus",
        },
        {
            "label": "validator-lazy",
            "address": "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
            "trust": 0.0,
            "revealed": True,
            "reward": _wei("0"),
            "note": "scored every model 7.5",
        },
    ],
    "payouts": [
        {
            "label": "trainer-large",
            "role": "trainer",
            "reward": _wei("400.25"),
            "commission": _wei("40.025"),
            "to_pool": _wei("360.225"),
            "operator_share": _wei("289.775"),
            "delegators": [{"label": "delegator-1", "share": _wei("70.45")}],
            "slashed": _wei("0"),
        },
        {
            "label": "trainer-copycat",
            "role": "trainer",
            "reward": _wei("0"),
            "commission": _wei("0"),
            "to_pool": _wei("0"),
            "operator_share": _wei("0"),
            "delegators": [],
            "slashed": _wei("10"),
        },
        {
            "label": "validator-1",
            "role": "validator",
            "reward": _wei("169"),
            "commission": _wei("16.9"),
            "to_pool": _wei("152.1"),
            "operator_share": _wei("100"),
            "delegators": [
                {"label": "delegator-2", "share": _wei("50")},
                {"label": "delegator-3", "share": _wei("2.1")},
            ],
            "slashed": _wei("0"),
        },
    ],
    "story": [
        "trainer-copycat revealed the same model hash as trainer-small after it: "
        "disqualified, slashed 10 ARENA, paid nothing.",
        "validator-lazy scored every model 7.5 & earned no trust.",
    ],
    "conservation": {
        "ok": True,
        "rows": [
            {"holder": "staking contract", "amount": _wei("12345")},
            {"holder": "treasury", "amount": _wei("399987655")},
        ],
        "total": _wei("400000000"),
        "supply": _wei("400000000"),
        "difference": _wei("0"),
    },
}


def _example():
    return copy.deepcopy(EXAMPLE)


class _Page(HTMLParser):
    """Every element with its ancestors, and any end tag that does not match its start."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.open = []
        self.elements = []
        self.mismatches = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self._record(tag, attrs)
        if tag not in VOID_TAGS:
            self.open.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self._record(tag, attrs)

    def handle_endtag(self, tag):
        if self.open and self.open[-1][0] == tag:
            self.open.pop()
        else:
            self.mismatches.append((tag, [name for name, _ in self.open]))

    def _record(self, tag, attrs):
        ancestors = tuple(attributes.get("id") for _, attributes in self.open)
        self.elements.append((tag, dict(attrs), ancestors))

    def in_chart(self, chart_id, tag, css_class):
        return [
            attrs
            for name, attrs, ancestors in self.elements
            if name == tag and chart_id in ancestors and css_class in attrs.get("class", "").split()
        ]


def _well_formed(text):
    page = _Page(text)
    assert page.mismatches == []
    assert page.open == []
    return page


def test_full_example_shows_every_label():
    data = _example()
    page = render_report(data)
    labels = [
        data["title"],
        data["generated"],
        data["network"],
        *(row["label"] for row in data["submissions"]),
        *(row["label"] for row in data["validators"]),
        *(row["note"] for row in data["validators"]),
        *(row["label"] for row in data["payouts"]),
        *(d["label"] for row in data["payouts"] for d in row["delegators"]),
        *data["story"],
        *(row["holder"] for row in data["conservation"]["rows"]),
        "bits per byte",
        "disqualified (plagiarism)",
    ]
    for label in labels:
        assert escape(label) in page, label
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>AIArena demo: one lm task on a local chain</title>" in page


def test_numbers_are_formatted():
    page = render_report(_example())
    for text in [
        '1,000 <span class="unit">ARENA</span>',  # task reward, by format_arena
        "612 <span",
        "338 <span",
        "(64.4%)",  # the trainers' part of the split
        "3.2101",  # consensus, 4 decimals
        "4.5679",  # rounded to 4 decimals
        "7.5000",  # a validator's score
        "1.0000",  # trust
        "123,456",  # params
        "1,234,567",
        "400.25",  # a reward
        "40.025",  # commission
        "70.45",  # a delegator's share
        "400,000,000",  # supply
        "399,987,655",
    ]:
        assert text in page, text
    assert "(lower is better)" in page
    assert "4.56789" not in page
    assert "-0.0000" not in page
    assert "40.0250" not in page  # amounts drop trailing zeros
    assert re.search(r'<td class="num">0</td>', page)  # a zero amount


def test_amounts_are_wei_shown_with_the_one_arena_formatter():
    data = _example()
    data["payouts"][0]["commission"] = 1  # one wei
    data["payouts"][0]["to_pool"] = 123_456_789 * WAD // 1_000_000  # 123.456789 ARENA
    data["payouts"][0]["operator_share"] = 5 * WAD // 10**7  # 0.0000005: dust
    page = render_report(data)
    assert '<td class="num">&lt;0.000001</td>' in page
    assert '<td class="num">123.456789</td>' in page
    # The footer sums the wei: 1 wei + 0 + 16.9 ARENA of commission shows as 16.9.
    total = '<th scope="row">Total</th><td></td><td class="num">569.25</td><td class="num">16.9<'
    assert total in page


def test_amounts_that_are_not_wei_show_as_text_and_draw_no_bar():
    data = _example()
    data["payouts"][0]["reward"] = 400.25  # ARENA as a float, not wei
    page = _Page(render_report(data))
    assert len(page.in_chart("chart-rewards", "rect", "bar")) == 2
    assert len(page.in_chart("chart-rewards", "rect", "marker-box")) == 1
    assert "no reward figure: no bar" in render_report(data)


def test_address_is_shortened_with_the_full_one_as_tooltip():
    page = render_report(_example())
    assert 'title="0x70997970C51812dc3A010C7d01b50e0d17dc79C8">0x7099…79C8<' in page


def test_every_string_is_escaped():
    data = _example()
    data["title"] = HOSTILE
    data["network"] = HOSTILE
    data["task"]["metric"] = HOSTILE
    data["submissions"][0]["label"] = HOSTILE
    data["submissions"][0]["address"] = '0x" onmouseover="alert(1)'
    data["submissions"][0]["scores"][HOSTILE] = 1.0
    data["submissions"][2]["status"] = HOSTILE
    data["validators"][0]["note"] = HOSTILE
    data["payouts"][0]["role"] = HOSTILE
    data["payouts"][0]["delegators"][0]["label"] = HOSTILE
    data["story"].append(HOSTILE)
    data["conservation"]["rows"][0]["holder"] = HOSTILE
    page = render_report(data)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert 'onmouseover="' not in page
    _well_formed(page)


def test_no_external_resources_and_no_scripts():
    page = render_report(_example())
    lowered = page.lower()
    for needle in ["http://", "https://", "//", "src=", "href=", "url(", "@import", "<link"]:
        assert needle not in lowered.replace("</", ""), needle
    assert "<script" not in lowered
    assert "default-src 'none'" in page  # the page's policy forbids loads as well


def test_page_is_well_formed():
    page = _well_formed(render_report(_example()))
    tags = [tag for tag, _, _ in page.elements]
    for tag in ["html", "head", "body", "main", "table", "svg", "ul"]:
        assert tag in tags
    assert tags.count("svg") == 3
    assert tags.count("table") == 4  # leaderboard, validators, payouts, conservation


def test_consensus_chart_has_one_bar_per_valid_submission():
    data = _example()
    page = _well_formed(render_report(data))
    bars = page.in_chart("chart-consensus", "rect", "bar")
    markers = page.in_chart("chart-consensus", "rect", "marker-box")
    assert len(bars) == 2
    assert len(markers) == 2  # disqualified and invalid: labelled rows, no bar
    widths = [float(bar["width"]) for bar in bars]
    assert 0 < widths[0] < widths[1] <= PLOT_WIDTH
    assert widths[0] / widths[1] == pytest.approx(3.2101 / 4.56789, rel=1e-2)
    text = render_report(data)
    assert "disqualified (plagiarism): no bar" in text
    assert "invalid: no bar" in text
    assert "bits per byte (lower is better)" in text  # the axis title


def test_trust_and_reward_charts():
    page = _well_formed(render_report(_example()))
    trust = [float(bar["width"]) for bar in page.in_chart("chart-trust", "rect", "bar")]
    assert trust == [PLOT_WIDTH, PLOT_WIDTH, 0.0]  # the trust axis is fixed at 0..1
    rewards = page.in_chart("chart-rewards", "rect", "bar")
    assert [bar["fill"] for bar in rewards] == ["#0072B2", "#0072B2", "#E69F00"]
    assert float(rewards[1]["width"]) == 0.0


def test_empty_report_renders():
    page = render_report({})
    _well_formed(page)
    assert "<h1>AIArena report</h1>" in page
    assert "No submissions." in page
    assert "Nothing to chart." in page
    assert "Nothing to tell." in page
    assert "not checked" in page
    assert "<svg" not in page


def test_empty_lists_render():
    data = _example()
    data.update(submissions=[], validators=[], payouts=[], story=[])
    data["conservation"]["rows"] = []
    page = render_report(data)
    _well_formed(page)
    for text in ["No submissions.", "No validators.", "No payouts.", "No holders listed."]:
        assert text in page
    assert "<svg" not in page


def test_none_values_render_as_dashes():
    data = {
        "title": None,
        "network": None,
        "task": {key: None for key in EXAMPLE["task"]},
        "submissions": [{key: None for key in EXAMPLE["submissions"][0]}],
        "validators": [{key: None for key in EXAMPLE["validators"][0]}],
        "payouts": [{key: None for key in EXAMPLE["payouts"][0]}],
        "story": None,
        "conservation": {"ok": None, "rows": None, "total": None},
    }
    page = render_report(data)
    parsed = _well_formed(page)
    assert "<td>-</td>" in page
    assert '<td class="num">-</td>' in page
    assert "None" not in page
    for chart in ["chart-consensus", "chart-trust", "chart-rewards"]:
        assert parsed.in_chart(chart, "rect", "bar") == []
        assert len(parsed.in_chart(chart, "rect", "marker-box")) == 1


def test_items_of_the_wrong_type_are_tolerated():
    data = _example()
    data["submissions"].append("not a record")
    data["payouts"][0]["delegators"] = "nobody"
    data["task"]["reward"] = "a lot"
    data["story"] = "one line, not a list"
    page = render_report(data)
    _well_formed(page)
    assert "a lot" in page
    assert "<li>one line, not a list</li>" in page


def test_single_zero_entry_charts_without_dividing_by_zero():
    data = _example()
    data["submissions"] = [dict(EXAMPLE["submissions"][0], consensus=0.0)]
    data["validators"] = [dict(EXAMPLE["validators"][0], trust=0.0)]
    data["payouts"] = [dict(EXAMPLE["payouts"][1])]  # reward 0
    page = _well_formed(render_report(data))
    for chart in ["chart-consensus", "chart-trust", "chart-rewards"]:
        bars = page.in_chart(chart, "rect", "bar")
        assert [float(bar["width"]) for bar in bars] == [0.0]


def test_out_of_range_values_stay_inside_the_plot():
    data = _example()
    data["validators"][0]["trust"] = 1.5
    data["validators"][1]["trust"] = -0.5
    data["submissions"][0]["consensus"] = float("nan")
    page = _well_formed(render_report(data))
    trust = [float(bar["width"]) for bar in page.in_chart("chart-trust", "rect", "bar")]
    assert trust == [PLOT_WIDTH, 0.0, 0.0]
    assert len(page.in_chart("chart-consensus", "rect", "bar")) == 1


def test_conservation_badge_follows_ok():
    data = _example()
    balanced = render_report(data)
    assert "✓ balanced" in balanced
    assert "MISMATCH" not in balanced
    data["conservation"].update(ok=False, total=_wei("399999990"), difference=-10 * WAD)
    mismatch = render_report(data)
    assert '<span class="badge mismatch">✗ MISMATCH</span>' in mismatch
    assert "balanced" not in mismatch.replace("badge.balanced", "")
    assert '<td class="num">-10</td>' in mismatch


def test_write_report_is_atomic(tmp_path):
    path = tmp_path / "reports" / "task-1.html"
    assert write_report(path, _example()) == path
    assert path.read_text(encoding="utf-8") == render_report(_example())
    data = _example()
    data["title"] = "second run"
    write_report(path, data)
    assert "<h1>second run</h1>" in path.read_text(encoding="utf-8")
    assert [entry.name for entry in path.parent.iterdir()] == ["task-1.html"]


def test_bad_data_leaves_the_existing_report_untouched(tmp_path):
    path = tmp_path / "task-1.html"
    write_report(path, _example())
    before = path.read_bytes()
    with pytest.raises(TypeError, match="report: data must be a mapping"):
        write_report(path, ["not", "a", "mapping"])
    assert path.read_bytes() == before
    assert [entry.name for entry in tmp_path.iterdir()] == ["task-1.html"]


def test_long_labels_are_cut_in_charts_but_whole_in_tables():
    data = _example()
    long_label = "trainer-" + "x" * 60
    data["submissions"][0]["label"] = long_label
    page = render_report(data)
    assert f"<td>{long_label}<span" in page  # the table keeps it whole
    assert f"<title>{long_label}: 3.2101</title>" in page  # and so does the tooltip
    assert ">trainer-xxxxxxxxxxxxxxx…</text>" in page
