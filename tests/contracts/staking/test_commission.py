import boa

from support.constants import COMMISSION_NOTICE, MAX_COMMISSION_BPS, WAD


def _now():
    return boa.env.evm.patch.timestamp


def test_cut_applies_at_once(pool, operator):
    with boa.env.prank(operator):
        pool.set_commission(500)
    (log,) = [e for e in pool.get_logs() if type(e).__name__ == "CommissionChanged"]
    assert (log.operator, log.commission_bps) == (operator, 500)
    assert pool.commission_of(operator) == 500
    assert pool.pools(operator).commission_bps == 500


def test_raise_waits_for_the_notice(pool, operator):
    with boa.env.prank(operator):
        pool.set_commission(2_000)
    (log,) = [e for e in pool.get_logs() if type(e).__name__ == "CommissionScheduled"]
    assert (log.commission_bps, log.effective_at) == (2_000, _now() + COMMISSION_NOTICE)
    assert pool.commission_of(operator) == 1_000
    boa.env.time_travel(seconds=COMMISSION_NOTICE - 1)
    assert pool.commission_of(operator) == 1_000
    boa.env.time_travel(seconds=1)
    assert pool.commission_of(operator) == 2_000


def test_raise_applies_to_rewards_only_after_notice(pool, operator, protocol):
    with boa.env.prank(operator):
        pool.set_commission(2_000)
    with boa.env.prank(protocol):
        assert pool.pay_reward(operator, 100 * WAD) == 10 * WAD
    boa.env.time_travel(seconds=COMMISSION_NOTICE)
    with boa.env.prank(protocol):
        assert pool.pay_reward(operator, 100 * WAD) == 20 * WAD


def test_cut_cancels_a_pending_raise(pool, operator):
    with boa.env.prank(operator):
        pool.set_commission(2_000)
        pool.set_commission(800)
    boa.env.time_travel(seconds=COMMISSION_NOTICE)
    assert pool.commission_of(operator) == 800
    assert pool.pools(operator).pending_commission_at == 0


def test_matured_raise_is_the_base_for_the_next_change(pool, operator):
    with boa.env.prank(operator):
        pool.set_commission(2_000)
    boa.env.time_travel(seconds=COMMISSION_NOTICE)
    with boa.env.prank(operator):
        pool.set_commission(1_500)  # a cut relative to the matured 2,000
    assert pool.commission_of(operator) == 1_500
    assert pool.pools(operator).commission_bps == 1_500


def test_new_raise_restarts_the_notice(pool, operator):
    with boa.env.prank(operator):
        pool.set_commission(2_000)
    boa.env.time_travel(seconds=COMMISSION_NOTICE - 10)
    with boa.env.prank(operator):
        pool.set_commission(2_500)
    boa.env.time_travel(seconds=10)
    assert pool.commission_of(operator) == 1_000


def test_above_maximum_reverts(pool, operator):
    with boa.reverts("staking: commission above maximum"), boa.env.prank(operator):
        pool.set_commission(MAX_COMMISSION_BPS + 1)


def test_without_pool_reverts(staking, delegator):
    with boa.reverts("staking: no such pool"), boa.env.prank(delegator):
        staking.set_commission(0)


def test_claim_commission(pool, token, operator, protocol):
    with boa.env.prank(protocol):
        pool.pay_reward(operator, 100 * WAD)
    before = token.balanceOf(operator)
    with boa.env.prank(operator):
        assert pool.claim_commission() == 10 * WAD
    (log,) = [e for e in pool.get_logs() if type(e).__name__ == "CommissionClaimed"]
    assert (log.operator, log.amount) == (operator, 10 * WAD)
    assert token.balanceOf(operator) == before + 10 * WAD
    assert pool.pools(operator).commission_owed == 0
    with boa.reverts("staking: nothing to claim"), boa.env.prank(operator):
        pool.claim_commission()
