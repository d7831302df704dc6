import boa

from support.constants import MAX_COMMISSION_BPS, WAD


def test_open_pool_with_stake(staking, token, operator):
    with boa.env.prank(operator):
        staking.open_pool(1_500, 400 * WAD)
    logs = staking.get_logs()
    assert [type(e).__name__ for e in logs if type(e).__name__ in ("PoolOpened", "Delegated")] == [
        "PoolOpened",
        "Delegated",
    ]
    pool = staking.pools(operator)
    assert pool.opened and pool.commission_bps == 1_500
    assert pool.total_assets == 400 * WAD
    assert staking.own_stake(operator) == 400 * WAD
    assert staking.shares(operator, operator) == 400 * WAD * 10**6
    assert token.balanceOf(staking.address) == 400 * WAD


def test_open_pool_without_stake(staking, operator):
    with boa.env.prank(operator):
        staking.open_pool(0, 0)
    assert staking.pools(operator).opened
    assert staking.pools(operator).total_assets == 0
    assert staking.own_stake(operator) == 0


def test_open_pool_twice_reverts(pool, operator):
    with boa.reverts("staking: pool already open"), boa.env.prank(operator):
        pool.open_pool(1_000, 0)


def test_commission_at_maximum_is_allowed(staking, operator):
    with boa.env.prank(operator):
        staking.open_pool(MAX_COMMISSION_BPS, 0)
    assert staking.commission_of(operator) == MAX_COMMISSION_BPS


def test_commission_above_maximum_reverts(staking, operator):
    with boa.reverts("staking: commission above maximum"), boa.env.prank(operator):
        staking.open_pool(MAX_COMMISSION_BPS + 1, 0)


def test_open_pool_without_allowance_reverts(staking, token, operator):
    with boa.env.prank(operator):
        token.approve(staking.address, 0)
    with boa.reverts("erc20: insufficient allowance"), boa.env.prank(operator):
        staking.open_pool(0, WAD)
