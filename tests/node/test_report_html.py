"""The HTML report: a self-contained page that escapes everything it is given."""

import copy
import re
from html import escape
from html.parser import HTMLParser

import pytest

from ape_arena.report import render_report, write_report
from ape_arena.report.html import PLOT_WIDTH, _axis

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
        "reward": 1000.0,
        "emission": 0.0,
        "train_reward": 612.0,
        "validator_reward": 338.0,
        "fee": 50.0,
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
            "reward": 400.25,
        },
        {
            "label": "trainer-small",
            "address": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
            "params": 1234567,
            "rank": 2,
            "consensus": 4.56789,
            "status": "valid",
            "scores": {"validator-1": 4.56789, "validator-2": 4.56789, "validator-lazy": 7.5},
            "reward": 211.75,
        },
        {
            "label": "trainer-copycat",
            "address": "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
            "params": 1234567,
            "rank": None,
            "consensus": None,
            "status": "disqualified (plagiarism)",
            "scores": {},
            "reward": 0.0,
        },
        {
            "label": "trainer-broken",
            "address": "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
            "params": 99,
            "rank": None,
            "consensus": None,
            "status": "invalid",
            "scores": {"validator-1": None, "validator-2": None, "validator-lazy": None},
            "reward": 0.0,
        },
    ],
    "validators": [
        {
            "label": "validator-1",
            "address": "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
            "trust": 1.0,
            "revealed": True,
            "reward": 169.0,
            "note": "agreed with consensus",
        },
        {
            "label": "validator-2",
            "address": "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
            "trust": 1.0,
            "revealed": True,
            "reward": 169.0,
            "note": "agreed with consensus",
        },
        {
            "label": "validator-lazy",
            "address": "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
            "trust": 0.0,
            "revealed": True,
            "reward": 0.0,
            "note": "scored every model 7.5",
        },
    ],
    "payouts": [
        {
            "label": "trainer-large",
            "role": "trainer",
            "reward": 400.25,
            "commission": 40.025,
            "to_pool": 360.225,
            "operator_share": 289.775,
            "delegators": [{"label": "delegator-1", "share": 70.45}],
            "slashed": 0.0,
        },
        {
            "label": "trainer-copycat",
            "role": "trainer",
            "reward": 0.0,
            "commission": 0.0,
            "to_pool": 0.0,
            "operator_share": 0.0,
            "delegators": [],
            "slashed": 10.0,
        },
        {
            "label": "validator-1",
            "role": "validator",
            "reward": 169.0,
            "commission": 16.9,
            "to_pool": 152.1,
            "operator_share": 100.0,
            "delegators": [
                {"label": "delegator-2", "share": 50.0},
                {"label": "delegator-3", "share": 2.1},
            ],
            "slashed": 0.0,
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
            {"holder": "staking contract", "amount": 12345.0},
            {"holder": "treasury", "amount": 399987655.0},
        ],
        "total": 400000000.0,
        "supply": 400000000.0,
        "difference": 0.0,
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
        "1,000.0000",  # task reward
        "612.0000",
        "338.0000",
        "3.2101",  # consensus, 4 decimals
        "4.5679",  # rounded to 4 decimals
        "7.5000",  # a validator's score
        "123,456",  # params
        "1,234,567",
        "40.0250",  # commission
        "70.4500",  # a delegator's share
        "400,000,000.0000",  # supply
        "399,987,655.0000",
        "(lower is better)",
    ]:
        assert text in page, text
    assert "4.56789" not in page
    assert "-0.0000" not in page
    assert re.search(r'<td class="num">0\.0000</td>', page)


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


@pytest.mark.parametrize(
    "top, step, steps, decimals",
    [
        (1.0, 0.2, 5, 1),
        (7.5, 2.0, 4, 0),
        (3.2101, 1.0, 4, 0),
        (400.25, 100.0, 5, 0),
        (1000.0, 200.0, 5, 0),
        (0.0, 0.2, 5, 1),
        (float("nan"), 0.2, 5, 1),
        (0.003, 0.001, 3, 3),
        (2e-18, 5e-19, 4, 19),  # one wei, in ARENA
        (5e-324, 0.2, 5, 1),  # too small to divide: 0..1
        (float("inf"), 0.2, 5, 1),
    ],
)
def test_axis_runs_to_a_round_maximum_above_the_top(top, step, steps, decimals):
    got_step, got_steps, got_decimals = _axis(top)
    assert got_step == pytest.approx(step)
    assert (got_steps, got_decimals) == (steps, decimals)


def test_conservation_badge_follows_ok():
    data = _example()
    balanced = render_report(data)
    assert "✓ balanced" in balanced
    assert "MISMATCH" not in balanced
    data["conservation"].update(ok=False, total=399999990.0, difference=-10.0)
    mismatch = render_report(data)
    assert '<span class="badge mismatch">✗ MISMATCH</span>' in mismatch
    assert "balanced" not in mismatch.replace("badge.balanced", "")
    assert "-10.0000" in mismatch


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
