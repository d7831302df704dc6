"""Staking.pause and Staking.unpause: the guardian (or the admin) stops new
stakes, and with them new tasks; only the admin lifts the pause. Everything
else (withdrawals, claims, running tasks, joining with stake already there)
goes on."""

import boa
import pytest

from support.arena import (
    PHASE_CANCELLED,
    PHASE_MODEL_REVEAL,
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    Arena,
    TaskTerms,
    h,
)
from support.constants import WAD


@pytest.fixture(scope="module")
def arena():
    """Token + staking + task manager with an EOA admin; deployed once per
    module (each test runs in its own snapshot)."""
    return Arena()


@pytest.fixture
def staking(arena):
    return arena.staking


@pytest.fixture
def admin(arena):
    return arena.admin


@pytest.fixture
def guardian(arena, admin):
    account = boa.env.generate_address("guardian")
    with boa.env.prank(admin):
        arena.staking.grantRole(arena.staking.GUARDIAN_ROLE(), account)
    return account


@pytest.fixture
def protocol(arena, admin):
    """A protocol contract stand-in (PROTOCOL_ROLE) with tokens approved."""
    account = arena.actor("protocol")
    with boa.env.prank(admin):
        arena.staking.grantRole(arena.staking.PROTOCOL_ROLE(), account)
    return account


@pytest.fixture
def operator(arena):
    return arena.operator("operator", 1_000 * WAD)


@pytest.fixture
def validator(arena):
    return arena.operator("validator", 1_000 * WAD)


@pytest.fixture
def delegator(arena, operator):
    account = arena.actor("delegator")
    with boa.env.prank(account):
        arena.staking.delegate(operator, 400 * WAD)
    return account


@pytest.fixture
def newcomer(arena):
    """Holds tokens, has staked nothing."""
    return arena.actor("newcomer")


@pytest.fixture
def non_admin():
    return boa.env.generate_address("non_admin")


@pytest.fixture
def creator(arena):
    return arena.actor("creator")


def pause(staking, caller: str) -> None:
    with boa.env.prank(caller):
        staking.pause()


def unpause(staking, caller: str) -> None:
    with boa.env.prank(caller):
        staking.unpause()


# --- who may pause and unpause ------------------------------------------------------------


def test_not_paused_at_deployment(staking):
    assert not staking.paused()


def test_guardian_pauses(staking, guardian):
    pause(staking, guardian)
    (log,) = [e for e in staking.get_logs() if type(e).__name__ == "PauseChanged"]
    assert (log.paused, log.caller) == (True, guardian)
    assert staking.paused()


def test_admin_pauses(staking, admin):
    pause(staking, admin)
    assert staking.paused()


def test_pausing_twice_stays_paused(staking, guardian, admin):
    pause(staking, guardian)
    pause(staking, admin)
    assert staking.paused()


@pytest.mark.parametrize("caller", ["non_admin", "operator", "protocol"])
def test_others_cannot_pause(staking, non_admin, operator, protocol, caller):
    account = {"non_admin": non_admin, "operator": operator, "protocol": protocol}[caller]
    with boa.reverts("staking: caller is not the guardian"):
        pause(staking, account)
    assert not staking.paused()


def test_a_revoked_guardian_cannot_pause(staking, admin, guardian):
    with boa.env.prank(admin):
        staking.revokeRole(staking.GUARDIAN_ROLE(), guardian)
    with boa.reverts("staking: caller is not the guardian"):
        pause(staking, guardian)


def test_admin_unpauses(staking, admin, guardian):
    pause(staking, guardian)
    unpause(staking, admin)
    (log,) = [e for e in staking.get_logs() if type(e).__name__ == "PauseChanged"]
    assert (log.paused, log.caller) == (False, admin)
    assert not staking.paused()


@pytest.mark.parametrize("caller", ["guardian", "non_admin"])
def test_only_the_admin_unpauses(staking, guardian, non_admin, caller):
    pause(staking, guardian)
    account = {"guardian": guardian, "non_admin": non_admin}[caller]
    with boa.reverts("staking: caller is not the admin"):
        unpause(staking, account)
    assert staking.paused()


# --- what a pause stops -------------------------------------------------------------------


@pytest.mark.parametrize("amount", [0, 100 * WAD])
def test_pause_blocks_opening_a_pool(staking, guardian, newcomer, amount):
    pause(staking, guardian)
    with boa.reverts("staking: new stakes are paused"), boa.env.prank(newcomer):
        staking.open_pool(1_000, amount)
    assert not staking.pools(newcomer).opened


def test_pause_blocks_delegating(staking, guardian, operator, newcomer):
    pause(staking, guardian)
    with boa.reverts("staking: new stakes are paused"), boa.env.prank(newcomer):
        staking.delegate(operator, 100 * WAD)
    with boa.reverts("staking: new stakes are paused"), boa.env.prank(operator):
        staking.delegate(operator, 100 * WAD)
    assert staking.votes(newcomer) == 0
    assert staking.pools(operator).total_assets == 1_000 * WAD


def test_pause_blocks_new_tasks(arena, guardian, creator):
    pause(arena.staking, guardian)
    with boa.reverts("task: new tasks are paused"):
        arena.create(creator)
    assert arena.tasks.task_count() == 0


def test_unpause_lets_stakes_and_tasks_in_again(
    arena, staking, guardian, admin, operator, newcomer, creator
):
    pause(staking, guardian)
    unpause(staking, admin)
    with boa.env.prank(newcomer):
        staking.delegate(operator, 100 * WAD)
    assert staking.votes(newcomer) == 100 * WAD
    assert arena.create(creator) == 1


# --- what a pause leaves alone -------------------------------------------------------------


def test_withdrawals_go_on(arena, staking, guardian, operator, delegator):
    pause(staking, guardian)
    with boa.env.prank(delegator):
        unlock_at = staking.request_withdraw(operator, 400 * WAD)
    assert staking.votes(delegator) == 0
    arena.warp_to(unlock_at)
    before = arena.token.balanceOf(delegator)
    with boa.env.prank(delegator):
        assert staking.withdraw(operator) == 400 * WAD
    assert arena.token.balanceOf(delegator) == before + 400 * WAD


def test_commission_and_treasury_claims_go_on(arena, staking, guardian, operator, protocol):
    with boa.env.prank(protocol):
        staking.pay_reward(operator, 100 * WAD)
        staking.allocate(operator, 200 * WAD)
    pause(staking, guardian)
    with boa.env.prank(protocol):
        staking.release(operator, 200 * WAD, 1_000)
    with boa.env.prank(operator):
        assert staking.claim_commission() == 10 * WAD
        staking.set_commission(500)
    assert staking.sweep_to_treasury() == 20 * WAD
    assert staking.commission_of(operator) == 500


def test_rewards_are_paid_into_pools(staking, guardian, operator, protocol):
    pause(staking, guardian)
    with boa.env.prank(protocol):
        staking.pay_reward(operator, 100 * WAD)
    assert staking.pools(operator).total_assets == 1_090 * WAD


def test_running_tasks_take_stake_already_staked_and_settle(
    arena, guardian, operator, validator, creator
):
    terms = TaskTerms()
    task_id = arena.create(creator, terms)
    pause(arena.staking, guardian)
    # Joining locks stake that is already in the pool: no new stake.
    arena.join(task_id, operator, ROLE_TRAINER, 100 * WAD)
    arena.join(task_id, validator, ROLE_VALIDATOR, 100 * WAD)
    assert arena.staking.pools(operator).locked == 100 * WAD

    # The trainer reveals, the creator never reveals the eval set: the task
    # is cancelled and the trainer claims its bond (and gamma of the reward)
    # while the pause lasts.
    arena.commit_model(task_id, operator, h("model"), h("salt"))
    arena.to_phase(task_id, PHASE_MODEL_REVEAL)
    arena.reveal_model(task_id, operator, h("model"), h("salt"))
    arena.to_phase(task_id, PHASE_CANCELLED)
    part = terms.reward * arena.tasks.gamma_wad() // WAD
    assert arena.claim(task_id, operator) == terms.bond + part
    assert arena.claim(task_id, validator) == 0
    assert arena.staking.pools(operator).locked == 0
    assert arena.staking.paused()


def test_pause_does_not_touch_voting_power(staking, guardian, operator, delegator):
    before = (staking.votes(operator), staking.votes(delegator), staking.total_votes())
    pause(staking, guardian)
    assert (staking.votes(operator), staking.votes(delegator), staking.total_votes()) == before
