import boa

from support.constants import WAD, ZERO_ADDRESS

MAX_UINT = 2**256 - 1


def test_approve_sets_allowance_and_emits(funded, holder, spender):
    with boa.env.prank(holder):
        assert funded.approve(spender, 50 * WAD)
    (log,) = [e for e in funded.get_logs() if type(e).__name__ == "Approval"]
    assert (log.owner, log.spender, log.value) == (holder, spender, 50 * WAD)
    assert funded.allowance(holder, spender) == 50 * WAD


def test_approve_overwrites(funded, holder, spender):
    with boa.env.prank(holder):
        funded.approve(spender, 50)
        funded.approve(spender, 20)
    assert funded.allowance(holder, spender) == 20


def test_approve_zero_spender_reverts(funded, holder):
    with boa.reverts("erc20: approve to the zero address"), boa.env.prank(holder):
        funded.approve(ZERO_ADDRESS, 1)


def test_transfer_from_spends_allowance(funded, holder, spender, non_owner):
    with boa.env.prank(holder):
        funded.approve(spender, 50 * WAD)
    with boa.env.prank(spender):
        assert funded.transferFrom(holder, non_owner, 20 * WAD)
    assert funded.allowance(holder, spender) == 30 * WAD
    assert funded.balanceOf(non_owner) == 20 * WAD
    assert funded.balanceOf(holder) == 980 * WAD


def test_transfer_from_infinite_allowance_is_not_spent(funded, holder, spender, non_owner):
    with boa.env.prank(holder):
        funded.approve(spender, MAX_UINT)
    with boa.env.prank(spender):
        funded.transferFrom(holder, non_owner, 20 * WAD)
    assert funded.allowance(holder, spender) == MAX_UINT


def test_transfer_from_beyond_allowance_reverts(funded, holder, spender, non_owner):
    with boa.env.prank(holder):
        funded.approve(spender, 10)
    with boa.reverts("erc20: insufficient allowance"), boa.env.prank(spender):
        funded.transferFrom(holder, non_owner, 11)


def test_transfer_from_without_allowance_reverts(funded, holder, non_owner):
    with boa.reverts("erc20: insufficient allowance"), boa.env.prank(non_owner):
        funded.transferFrom(holder, non_owner, 1)


def test_transfer_from_beyond_balance_reverts(funded, holder, spender, non_owner):
    with boa.env.prank(holder):
        funded.approve(spender, MAX_UINT)
    with boa.reverts("erc20: transfer amount exceeds balance"), boa.env.prank(spender):
        funded.transferFrom(holder, non_owner, 1_000 * WAD + 1)
