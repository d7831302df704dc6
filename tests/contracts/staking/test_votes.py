"""Voting power (Staking.votes, votes_at, total_votes, total_votes_at): the
tokens an account has staked and not asked back, checkpointed by block so
that governance can read it, and its total, at a past block.

Deposits (open_pool with an amount, delegate) raise the depositor's power by
the amount; a withdrawal request lowers it by the amount, down to zero at
most (the operator's, by its principal in its own pool at most); rewards
leave it alone; a slash lowers the operator's power in proportion to what it
took of the operator's own stake, and leaves the delegators' alone."""

import boa
import pytest
from eth_utils import keccak

from support.constants import WAD


def mine(blocks: int = 1) -> None:
    boa.env.time_travel(blocks=blocks)


def block_number() -> int:
    return boa.env.evm.patch.block_number


def checkpoint_count(staking, account: str) -> int:
    """The number of the account's checkpoints, read from storage (the module
    keeps it internal): the high half of checkpoints._head[account]."""
    layout = staking.compiler_data.storage_layout["storage_layout"]
    slot = layout["checkpoints"]["_head"]["slot"]
    key = keccak(slot.to_bytes(32, "big") + int(account, 16).to_bytes(32, "big"))
    return boa.env.evm.get_storage(staking.address, int.from_bytes(key, "big")) >> 128


def delegate(staking, holder: str, operator: str, amount: int) -> None:
    with boa.env.prank(holder):
        staking.delegate(operator, amount)


def request(staking, holder: str, operator: str, amount: int) -> None:
    with boa.env.prank(holder):
        staking.request_withdraw(operator, amount)


# --- what raises and lowers voting power ------------------------------------------------


def test_no_power_without_stake(staking, delegator):
    mine()
    assert staking.votes(delegator) == 0
    assert staking.votes_at(delegator, block_number() - 1) == 0
    assert staking.total_votes() == 0
    assert checkpoint_count(staking, delegator) == 0


def test_open_pool_with_stake_gives_power(staking, operator):
    with boa.env.prank(operator):
        staking.open_pool(1_000, 700 * WAD)
    assert staking.votes(operator) == 700 * WAD
    assert staking.total_votes() == 700 * WAD


def test_open_pool_without_stake_gives_none(staking, operator):
    with boa.env.prank(operator):
        staking.open_pool(1_000, 0)
    assert staking.votes(operator) == 0
    assert staking.total_votes() == 0
    assert checkpoint_count(staking, operator) == 0


def test_delegating_gives_power_to_the_holder_not_the_operator(pool, operator, delegator):
    delegate(pool, delegator, operator, 250 * WAD)
    assert pool.votes(delegator) == 250 * WAD
    assert pool.votes(operator) == 1_000 * WAD
    assert pool.total_votes() == 1_250 * WAD


def test_power_adds_up_across_pools(pool, operator, delegator, other_delegator):
    # other_delegator runs a second pool.
    with boa.env.prank(other_delegator):
        pool.open_pool(500, 100 * WAD)
    delegate(pool, delegator, operator, 300 * WAD)
    delegate(pool, delegator, other_delegator, 200 * WAD)
    assert pool.votes(delegator) == 500 * WAD
    assert pool.total_votes() == 1_000 * WAD + 100 * WAD + 500 * WAD


def test_withdrawal_request_lowers_power_by_the_amount(pool, operator, delegator):
    delegate(pool, delegator, operator, 250 * WAD)
    request(pool, delegator, operator, 100 * WAD)
    assert pool.votes(delegator) == 150 * WAD
    assert pool.total_votes() == 1_150 * WAD


def test_withdrawing_after_unbonding_does_not_change_power(pool, operator, delegator):
    delegate(pool, delegator, operator, 250 * WAD)
    request(pool, delegator, operator, 100 * WAD)
    boa.env.time_travel(seconds=pool.unbonding_delay())
    with boa.env.prank(delegator):
        pool.withdraw(operator)
    assert pool.votes(delegator) == 150 * WAD
    assert pool.total_votes() == 1_150 * WAD


def test_rewards_do_not_raise_power(pool, operator, delegator, protocol):
    delegate(pool, delegator, operator, 1_000 * WAD)
    with boa.env.prank(protocol):
        pool.pay_reward(operator, 500 * WAD)
    assert pool.assets_of(operator, delegator) > 1_000 * WAD
    assert pool.votes(delegator) == 1_000 * WAD
    assert pool.votes(operator) == 1_000 * WAD
    assert pool.total_votes() == 2_000 * WAD


def test_a_slash_lowers_the_operators_power_with_its_own_stake(pool, operator, delegator, protocol):
    delegate(pool, delegator, operator, 1_000 * WAD)
    with boa.env.prank(protocol):
        pool.allocate(operator, 2_000 * WAD)
        pool.release(operator, 2_000 * WAD, 1_000)  # 200 slashed
    # The operator's own stake pays the slash, and its power falls with it.
    assert pool.assets_of(operator, operator) == 800 * WAD
    assert pool.pools(operator).own_principal == 800 * WAD
    assert pool.votes(operator) == 800 * WAD
    assert pool.votes(delegator) == 1_000 * WAD
    assert pool.total_votes() == 1_800 * WAD


def test_the_power_falls_in_proportion_to_the_own_stake_lost(pool, operator, protocol):
    """Rewards raised the operator's stake to about 1,900: a slash of 500
    takes 500 / 1,900 of its principal, not 500 of it."""
    with boa.env.prank(protocol):
        pool.pay_reward(operator, 1_000 * WAD)  # 900 after the commission
        pool.allocate(operator, 1_000 * WAD)
    before = pool.assets_of(operator, operator)
    with boa.env.prank(protocol):
        pool.release(operator, 1_000 * WAD, 5_000)  # 500 slashed
    assert pool.votes(operator) == 1_000 * WAD * (before - 500 * WAD) // before
    assert 736 * WAD < pool.votes(operator) < 737 * WAD
    assert pool.total_votes() == pool.votes(operator)


def test_waiting_own_stake_keeps_its_power_through_a_slash(pool, operator, protocol):
    with boa.env.prank(protocol):
        pool.allocate(operator, 1_000 * WAD)
    delegate(pool, operator, operator, 1_000 * WAD)  # waits for activation
    with boa.env.prank(protocol):
        pool.release(operator, 1_000 * WAD, 5_000)  # 500, from the activated half
    # 2,000 of own stake lost 500: the principal keeps three quarters.
    assert pool.own_stake(operator) == 1_500 * WAD
    assert pool.votes(operator) == 1_500 * WAD


def test_what_the_operator_cannot_cover_leaves_the_delegators_power(
    pool, operator, delegator, protocol
):
    """Documented limitation (docs/governance.md): a slash beyond the
    operator's own stake lowers the delegators' shares, not their power."""
    delegate(pool, delegator, operator, 9_000 * WAD)
    with boa.env.prank(protocol):
        pool.allocate(operator, 10_000 * WAD)
        pool.release(operator, 10_000 * WAD, 5_000)  # 5,000: 1,000 own, 4,000 shared
    assert pool.own_stake(operator) == 0
    assert pool.votes(operator) == 0
    assert pool.assets_of(operator, delegator) <= 5_000 * WAD
    assert pool.votes(delegator) == 9_000 * WAD
    assert pool.total_votes() == 9_000 * WAD


def test_an_operator_asks_back_no_more_power_than_its_pool_gave(pool, operator, protocol):
    # It also delegates 500 to another pool.
    other = boa.env.generate_address("other_operator")
    with boa.env.prank(other):
        pool.open_pool(1_000, 0)
    delegate(pool, operator, other, 500 * WAD)
    with boa.env.prank(protocol):
        pool.pay_reward(operator, 1_000 * WAD)
    request(pool, operator, operator, pool.assets_of(operator, operator))
    # The 1,000 it put in its own pool go, the 500 elsewhere stay.
    assert pool.pools(operator).own_principal == 0
    assert pool.votes(operator) == 500 * WAD
    assert pool.total_votes() == 500 * WAD


def test_withdrawing_rewards_beyond_the_principal_floors_power_at_zero(
    pool, operator, delegator, protocol
):
    delegate(pool, delegator, operator, 1_000 * WAD)
    with boa.env.prank(protocol):
        pool.pay_reward(operator, 1_000 * WAD)
    everything = pool.assets_of(operator, delegator)
    assert everything > 1_000 * WAD
    request(pool, delegator, operator, everything)
    assert pool.votes(delegator) == 0
    # The total lost the principal only, not the rewards withdrawn with it.
    assert pool.total_votes() == 1_000 * WAD
    assert pool.votes(operator) == 1_000 * WAD


def test_withdrawing_rewards_first_then_the_rest_floors_at_zero(
    pool, operator, delegator, protocol
):
    delegate(pool, delegator, operator, 100 * WAD)
    with boa.env.prank(protocol):
        pool.pay_reward(operator, 5_000 * WAD)
    # Asking back more than the power there is, in two steps.
    first = pool.assets_of(operator, delegator) // 2
    assert first > 100 * WAD
    request(pool, delegator, operator, first)
    assert pool.votes(delegator) == 0
    request(pool, delegator, operator, pool.assets_of(operator, delegator))
    assert pool.votes(delegator) == 0
    assert pool.total_votes() == 1_000 * WAD


def test_total_votes_is_the_sum_of_every_account(
    pool, operator, delegator, other_delegator, protocol
):
    delegate(pool, delegator, operator, 400 * WAD)
    delegate(pool, other_delegator, operator, 300 * WAD)
    request(pool, delegator, operator, 150 * WAD)
    with boa.env.prank(protocol):
        pool.pay_reward(operator, 70 * WAD)
    request(pool, operator, operator, 200 * WAD)
    delegate(pool, other_delegator, operator, 5 * WAD)
    accounts = [operator, delegator, other_delegator]
    assert [pool.votes(a) for a in accounts] == [800 * WAD, 250 * WAD, 305 * WAD]
    assert pool.total_votes() == sum(pool.votes(a) for a in accounts)


# --- checkpoints by block ---------------------------------------------------------------


def test_writes_in_one_block_overwrite_its_checkpoint(pool, operator, delegator):
    mine()
    block = block_number()
    delegate(pool, delegator, operator, 100 * WAD)
    delegate(pool, delegator, operator, 200 * WAD)
    request(pool, delegator, operator, 50 * WAD)
    assert checkpoint_count(pool, delegator) == 1
    assert pool.votes(delegator) == 250 * WAD
    mine()
    delegate(pool, delegator, operator, 1 * WAD)
    assert checkpoint_count(pool, delegator) == 2
    mine()
    # The block's last value is the one read back.
    assert pool.votes_at(delegator, block - 1) == 0
    assert pool.votes_at(delegator, block) == 250 * WAD
    assert pool.votes_at(delegator, block + 1) == 251 * WAD


def test_a_block_that_ends_at_zero_reads_zero(pool, operator, delegator):
    mine()
    block = block_number()
    delegate(pool, delegator, operator, 100 * WAD)
    request(pool, delegator, operator, 100 * WAD)
    mine()
    assert pool.votes_at(delegator, block) == 0
    assert checkpoint_count(pool, delegator) == 1


def test_history_lookups_at_every_past_block(pool, operator, delegator):
    """Sixty blocks of deposits and requests, some blocks with several
    writes and some with none: votes_at of every one of them (and of the
    blocks before the first) is the value at the end of that block."""
    mine()
    first = block_number()
    expected = {first - 2: 0, first - 1: 0}
    power = 0
    for i in range(60):
        block = block_number()
        writes = (i * 7) % 5  # 0 to 4 writes in this block
        for j in range(writes):
            if (i + j) % 3 == 2 and power > 0:
                amount = min(power, (i + 1) * WAD)
                request(pool, delegator, operator, amount)
                power -= amount
            else:
                amount = (i + j + 1) * WAD
                delegate(pool, delegator, operator, amount)
                power += amount
        mine(1 + i % 3)
        # This block and the empty ones after it end with the same power.
        for past in range(block, block_number()):
            expected[past] = power
    assert pool.votes(delegator) == power
    assert checkpoint_count(pool, delegator) == sum(1 for i in range(60) if (i * 7) % 5)
    for block, value in expected.items():
        assert pool.votes_at(delegator, block) == value, block


def test_history_of_one_account_ignores_the_others(pool, operator, delegator, other_delegator):
    mine()
    block = block_number()
    delegate(pool, delegator, operator, 100 * WAD)
    mine()
    delegate(pool, other_delegator, operator, 300 * WAD)
    mine()
    assert pool.votes_at(delegator, block) == 100 * WAD
    assert pool.votes_at(other_delegator, block) == 0
    assert pool.votes_at(other_delegator, block + 1) == 300 * WAD


def test_votes_at_the_current_block_reverts(pool, operator):
    with boa.reverts("staking: block not yet mined"):
        pool.votes_at(operator, block_number())


@pytest.mark.parametrize("ahead", [1, 1_000, 2**64])
def test_votes_at_a_future_block_reverts(pool, operator, ahead):
    with boa.reverts("staking: block not yet mined"):
        pool.votes_at(operator, block_number() + ahead)


def test_votes_at_the_previous_block_is_readable(pool, operator):
    # The pool fixture staked in this block: the previous one had nothing.
    assert pool.votes_at(operator, block_number() - 1) == 0
    mine()
    assert pool.votes_at(operator, block_number() - 1) == 1_000 * WAD
    assert pool.votes_at(operator, 0) == 0


# --- the total, at a past block ----------------------------------------------------------


def test_total_votes_at_reads_the_end_of_a_past_block(pool, operator, delegator):
    mine()
    block = block_number()
    delegate(pool, delegator, operator, 100 * WAD)
    delegate(pool, delegator, operator, 200 * WAD)
    mine()
    request(pool, delegator, operator, 50 * WAD)
    # This block is not over: the block before it ended at 1,300.
    assert pool.total_votes() == 1_250 * WAD
    assert pool.total_votes_at(block) == 1_300 * WAD
    mine(5)
    assert pool.total_votes_at(block_number() - 1) == 1_250 * WAD
    assert pool.total_votes_at(block + 1) == 1_250 * WAD


def test_total_votes_at_keeps_the_last_two_checkpoints(pool, operator, delegator):
    mine()
    first = block_number()
    delegate(pool, delegator, operator, 100 * WAD)
    mine()
    delegate(pool, delegator, operator, 100 * WAD)
    mine()
    # The block of the checkpoint before the latest, and every one since.
    assert pool.total_votes_at(first) == 1_100 * WAD
    assert pool.total_votes_at(first + 1) == 1_200 * WAD
    with boa.reverts("checkpoints: total not kept that far back"):
        pool.total_votes_at(first - 1)


def test_total_votes_at_a_block_not_yet_mined_reverts(pool):
    with boa.reverts("staking: block not yet mined"):
        pool.total_votes_at(block_number())


def test_a_fresh_deployment_had_no_total(staking):
    mine()
    assert staking.total_votes_at(0) == staking.total_votes_at(block_number() - 1) == 0


def test_the_total_refuses_a_block_past_its_32_bits(pool, operator, delegator):
    """The total's checkpoints keep 32-bit block numbers (over 270 years of
    2-second blocks): past them a stake reverts rather than corrupt them."""
    boa.env.time_travel(blocks=2**32 - 1 - block_number())
    delegate(pool, delegator, operator, 1 * WAD)
    mine()
    with boa.reverts("checkpoints: block out of range"), boa.env.prank(delegator):
        pool.delegate(operator, 1 * WAD)
