"""The demo's scenario at a small size, through the same code as `make demo`:
every phase on anvil with real (tiny) training and scoring on CPU."""

from itertools import pairwise

import pytest

from ape_arena.demo import run_demo

WAD = 10**18
# Commission of the demo's operators: trainers 10%, validators 5%.
COMMISSION = {"trainer": 0.10, "validator": 0.05}


@pytest.fixture(scope="module")
def demo(require_anvil, project, accounts, tmp_path_factory):
    def make_account():
        account = accounts.generate_test_account()
        account.balance = 100 * WAD
        return account

    folder = tmp_path_factory.mktemp("demo")
    lines: list[str] = []
    result = run_demo(
        project, require_anvil, accounts[0], make_account, folder, "small", "cpu", lines.append
    )
    return result, lines


def test_the_demo_tells_the_whole_story(demo):
    result, lines = demo
    report = result.report
    by_label = {s["label"]: s for s in report["submissions"]}
    payouts = {p["label"]: p for p in report["payouts"]}
    validators = {v["label"]: v for v in report["validators"]}

    # Every phase ran, in order.
    steps = [line.split(".")[0] for line in lines if line[:1].isdigit()]
    assert steps == ["1", "2", "3", "4", "5", "6", "7", "8", "9"]

    # The plagiarist: disqualified, paid nothing, slashed.
    copycat = by_label["trainer-copycat"]
    assert copycat["status"] == "disqualified (plagiarism)"
    assert copycat["rank"] is None and copycat["reward"] == 0
    assert payouts["trainer-copycat"]["slashed"] > 0
    # Its victim keeps its place.
    assert by_label["trainer-small"]["status"] == "valid"

    # Three honest submissions ranked from 1, densely (models whose consensus
    # lies within the tolerance of their group's best share its rank), with
    # the consensus of two honest validators who agree exactly.
    ranked = sorted(s["rank"] for s in report["submissions"] if s["rank"])
    assert len(ranked) == 3 and ranked[0] == 1
    assert all(b - a in (0, 1) for a, b in pairwise(ranked))
    assert validators["validator-1"]["trust"] == validators["validator-2"]["trust"] == 1.0
    # The lazy validator disagrees, so earns less than an honest one.
    assert validators["validator-lazy"]["trust"] < 1.0
    assert validators["validator-lazy"]["reward"] < validators["validator-1"]["reward"]

    # Rewards: the first rank earns the most among trainers; commissions and
    # the delegators' shares add up to what each pool received.
    order = sorted(report["submissions"], key=lambda s: (s["rank"] or 9, -s["reward"]))
    rewards = [s["reward"] for s in order]
    assert rewards[0] == max(rewards) and rewards[2] > 0
    for p in report["payouts"]:
        shares = sum(d["share"] for d in p["delegators"])
        assert p["commission"] + p["operator_share"] + shares == p["reward"]
    assert any(d["share"] > 0 for p in report["payouts"] for d in p["delegators"])

    # Every token accounted for.
    assert report["conservation"]["ok"]
    assert report["conservation"]["difference"] == 0

    # The report page names everyone.
    page = result.report_path.read_text()
    for label in ("trainer-copycat", "validator-lazy", "delegator-1"):
        assert label in page


def test_the_demo_plays_a_chat_lora_task_with_a_near_copy(demo):
    result, lines = demo
    chat = result.report["chat_task"]
    assert chat["kind"] == "chat-lora"
    rows = {t["label"]: t for t in chat["trainers"]}
    assert rows["trainer-copycat"]["status"] == "invalid" and rows["trainer-copycat"]["reward"] == 0
    for label in ("trainer-small", "trainer-large"):
        assert rows[label]["status"] == "valid" and rows[label]["reward"] > 0
        assert 0 < rows[label]["bits_per_byte"] < 20
    assert any("near-copy" in line for line in lines)
