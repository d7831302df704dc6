import boa

from support.constants import WAD


def test_delegate_mints_shares_at_pool_price(pool, token, operator, delegator):
    with boa.env.prank(delegator):
        minted = pool.delegate(operator, 250 * WAD)
    assert minted == 250 * WAD * 10**6
    (log,) = [e for e in pool.get_logs() if type(e).__name__ == "Delegated"]
    assert (log.operator, log.holder, log.assets, log.shares) == (
        operator,
        delegator,
        250 * WAD,
        minted,
    )
    assert pool.shares(operator, delegator) == minted
    assert pool.assets_of(operator, delegator) == 250 * WAD
    assert pool.pools(operator).total_assets == 1_250 * WAD
    assert pool.delegated_stake(operator) == 250 * WAD
    assert token.balanceOf(delegator) == 9_750 * WAD


def test_delegate_after_reward_gets_fewer_shares(pool, operator, delegator, protocol):
    with boa.env.prank(protocol):
        pool.pay_reward(operator, 100 * WAD)  # 10% commission -> pool +90
    with boa.env.prank(delegator):
        minted = pool.delegate(operator, 1_090 * WAD)
    # Same value as the operator's 1,090 ARENA, so (virtual shares included)
    # as many shares as everyone before it: half of the pool afterwards.
    assert abs(minted - (pool.shares(operator, operator) + 10**6)) <= 10**6
    assert pool.assets_of(operator, delegator) <= 1_090 * WAD
    assert 1_090 * WAD - pool.assets_of(operator, delegator) <= 2


def test_operator_stakes_more_by_delegating_to_itself(pool, operator):
    with boa.env.prank(operator):
        pool.delegate(operator, 500 * WAD)
    assert pool.own_stake(operator) == 1_500 * WAD
    assert pool.delegated_stake(operator) == 0


def test_delegate_to_unopened_pool_reverts(staking, delegator, non_owner):
    with boa.reverts("staking: no such pool"), boa.env.prank(delegator):
        staking.delegate(non_owner, WAD)


def test_delegate_zero_reverts(pool, operator, delegator):
    with boa.reverts("staking: zero amount"), boa.env.prank(delegator):
        pool.delegate(operator, 0)


def test_delegate_above_supply_cap_reverts(pool, operator, delegator):
    with boa.reverts("staking: amount above the token supply cap"), boa.env.prank(delegator):
        pool.delegate(operator, 10**27 + 1)


def test_delegate_beyond_balance_reverts(pool, operator, delegator):
    with boa.reverts("erc20: transfer amount exceeds balance"), boa.env.prank(delegator):
        pool.delegate(operator, 10_001 * WAD)


def test_many_delegators_cost_the_same(pool, token, treasury, operator):
    """O(1): the 50th delegation costs what the 2nd does (no loop over holders)."""
    costs = []
    for i in range(50):
        holder = boa.env.generate_address(f"delegator{i}")
        with boa.env.prank(treasury):
            token.transfer(holder, WAD)
        with boa.env.prank(holder):
            token.approve(pool.address, WAD)
            pool.delegate(operator, WAD)
        costs.append(pool._computation.get_gas_used())
    assert max(costs[1:]) == min(costs[1:])
