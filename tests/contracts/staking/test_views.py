import boa

from support.constants import WAD


def test_fresh_pool_views(staking, operator):
    assert staking.own_stake(operator) == 0
    assert staking.delegated_stake(operator) == 0
    assert staking.effective_stake(operator) == 0
    assert staking.unlocked_stake(operator) == 0
    assert staking.pool_share_value(operator) == WAD
    assert staking.unbonding_of(operator, operator) == (0, 0)


def test_effective_stake_weighs_delegation(pool, admin, operator, delegator):
    with boa.env.prank(delegator):
        pool.delegate(operator, 600 * WAD)
    assert pool.effective_stake(operator) == 1_600 * WAD
    with boa.env.prank(admin):
        pool.set_delegation_weight_bps(5_000)
    assert pool.own_stake(operator) == 1_000 * WAD
    assert pool.delegated_stake(operator) == 600 * WAD
    assert pool.effective_stake(operator) == 1_300 * WAD
    with boa.env.prank(admin):
        pool.set_delegation_weight_bps(0)
    assert pool.effective_stake(operator) == 1_000 * WAD


def test_share_value_tracks_rewards_and_slashes(pool, operator, protocol):
    start = pool.pool_share_value(operator)
    assert start == WAD
    with boa.env.prank(protocol):
        pool.pay_reward(operator, 1_000 * WAD)  # +900 to the pool
    assert start * 19 // 10 - pool.pool_share_value(operator) <= 1  # rounds down
    with boa.env.prank(protocol):
        pool.allocate(operator, 1_900 * WAD)
        pool.release(operator, 1_900 * WAD, 5_000)
    assert start * 19 // 20 - pool.pool_share_value(operator) <= 1
