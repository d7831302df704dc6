"""The explorer in a real browser: the demo's scenario (an lm task and a chat-lora
task to the last claim, pools with delegators, a governance proposal executed)
on anvil, `ape arena serve`'s app on a free port, and Debian's chromium driven
headless by selenium; the pages are checked against the chain, and a
screenshot of the leaderboard is kept in .build/test-artifacts/.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from ape_arena.chain.outcome import read_outcome
from ape_arena.chain.protocol import load_protocol
from ape_arena.demo import run_demo
from ape_arena.explorer.app import create_app
from ape_arena.explorer.data import ExplorerData
from ape_arena.kinds.scores import from_score
from ape_arena.units import format_arena

WAD = 10**18
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[2] / ".build" / "test-artifacts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def scenario(require_anvil, project, accounts, tmp_path_factory):
    def make_account():
        account = accounts.generate_test_account()
        account.balance = 100 * WAD
        return account

    folder = tmp_path_factory.mktemp("explorer-demo")
    result = run_demo(
        project, require_anvil, accounts[0], make_account, folder, "small", "cpu", lambda _: None
    )
    protocol = load_protocol(project, require_anvil, folder / "deployments")
    return result, protocol


@pytest.fixture(scope="module")
def explorer(scenario):
    import uvicorn

    _, protocol = scenario
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(ExplorerData(protocol)), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the explorer did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER), (
        "Debian's chromium and chromium-driver are needed; `make bootstrap` installs them"
    )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,900",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def cells(browser, selector: str) -> list[list[str]]:
    from selenium.webdriver.common.by import By

    rows = browser.find_elements(By.CSS_SELECTOR, f"{selector} tbody tr")
    return [[td.text for td in row.find_elements(By.TAG_NAME, "td")] for row in rows]


def test_the_leaderboard_matches_the_chain(scenario, explorer, browser):
    result, protocol = scenario
    browser.get(f"{explorer}/task/{result.task_id}")
    assert f"Task {result.task_id}" in browser.title
    outcome = read_outcome(protocol, result.task_id)
    rows = cells(browser, "#leaderboard")
    assert len(rows) == len(outcome.submissions)
    by_short = {f"{s.trainer[:8]}...{s.trainer[-4:]}": s for s in outcome.submissions}
    for row in rows:
        submission = by_short[row[1]]
        consensus = from_score(submission.consensus)
        assert row[2] == ("invalid" if consensus is None else f"{consensus:.4f}")
        assert format_arena(submission.reward) in row
        assert row[0] == ("-" if submission.rank is None else str(submission.rank))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "explorer-leaderboard.png"))


def test_a_pool_page_matches_the_chain(scenario, explorer, browser):
    result, protocol = scenario
    staking = protocol.staking
    validator = next(a for a in result.actors if a.label == "validator-1")
    browser.get(f"{explorer}/pool/{validator.address}")
    (facts,) = cells(browser, "#pool")
    assert facts[0] == f"{int(staking.commission_of(validator.address)) / 100:.2f}%"
    assert facts[2] == format_arena(int(staking.own_stake(validator.address)))
    assert facts[3] == format_arena(int(staking.delegated_stake(validator.address)))
    browser.get(f"{explorer}/pools")
    assert len(cells(browser, "table")) == len(
        [a for a in result.actors if a.role in ("trainer", "validator")]
    )


def test_pools_and_proposals_come_in_pages(scenario, explorer, browser, monkeypatch):
    """Pages of two rows: every pool on exactly one page, a page past the last
    gets a sentence."""
    from selenium.webdriver.common.by import By

    from ape_arena.explorer import data as explorer_data

    monkeypatch.setattr(explorer_data, "PAGE_SIZE", 2)
    result, protocol = scenario
    operators = [a for a in result.actors if a.role in ("trainer", "validator")]
    pages = -(-len(operators) // 2)
    assert pages >= 2
    seen = []
    for number in range(1, pages + 1):
        browser.get(f"{explorer}/pools?page={number}")
        rows = cells(browser, "table")
        assert len(rows) == min(2, len(operators) - 2 * (number - 1))
        seen += [row[0] for row in rows]
        assert f"{len(operators)} pools, page {number} of {pages}" in browser.page_source
    assert len(set(seen)) == len(operators)
    browser.get(f"{explorer}/pools?page={pages + 1}")
    text = browser.find_element(By.ID, "not-found").text
    assert f"There is no page {pages + 1} of pools; pages go from 1 to {pages}." in text
    count = int(protocol.governor.proposal_count())
    browser.get(f"{explorer}/proposals?page=1")
    assert len(cells(browser, "table")) == min(2, count)
    browser.get(f"{explorer}/proposals?page=x")
    assert "is not a page number" in browser.find_element(By.ID, "not-found").text


def test_a_proposal_page_matches_the_chain(scenario, explorer, browser):
    _, protocol = scenario
    governor = protocol.governor
    browser.get(f"{explorer}/proposal/1")
    (facts,) = cells(browser, "#proposal")
    assert facts[0] == "executed"
    assert facts[2] == format_arena(int(governor.proposals(1).for_votes))
    assert "Verify task" in browser.page_source


def test_bad_urls_get_a_sentence_not_a_trace(explorer, browser):
    from selenium.webdriver.common.by import By

    for path, sentence in (
        ("/task/999", "There is no task 999"),
        ("/address/0xnothex", "is not an address"),
        ("/proposal/abc", "is not a proposal number"),
        ("/nowhere", "Nothing lives at /nowhere"),
    ):
        browser.get(f"{explorer}{path}")
        text = browser.find_element(By.ID, "not-found").text
        assert sentence in text and "Traceback" not in browser.page_source


def test_an_address_page_shows_its_position(scenario, explorer, browser):
    result, protocol = scenario
    staking = protocol.staking
    delegator = next(a for a in result.actors if a.label == "delegator-1")
    browser.get(f"{explorer}/address/{delegator.address}")
    (facts,) = cells(browser, "#position")
    assert facts[0] == format_arena(int(protocol.token.balanceOf(delegator.address)))
    assert facts[1] == format_arena(int(staking.votes(delegator.address)))
    assert facts[4] == "-"  # a delegator takes part in no task itself
    backed = next(a for a in result.actors if a.label == "trainer-large")  # the demo's choice
    rows = {row[0]: row for row in cells(browser, "main > table")}
    row = rows[f"{backed.address[:8]}...{backed.address[-4:]}"]
    assert row[1] == format_arena(int(staking.assets_of(backed.address, delegator.address)))


def test_pages_follow_new_blocks(scenario, explorer, browser, chain):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{explorer}/")
    before = browser.find_element(By.CSS_SELECTOR, "header .muted").text
    time.sleep(3.5)  # one poll sees the head the page was rendered at
    chain.mine(2)
    WebDriverWait(browser, 20).until(
        lambda b: b.find_element(By.CSS_SELECTOR, "header .muted").text != before
    )
