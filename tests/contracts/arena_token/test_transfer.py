import boa

from support.constants import WAD, ZERO_ADDRESS


def test_transfer_moves_balance(funded, holder, spender):
    with boa.env.prank(holder):
        assert funded.transfer(spender, 10 * WAD)
    assert funded.balanceOf(holder) == 990 * WAD
    assert funded.balanceOf(spender) == 10 * WAD


def test_transfer_emits_event(funded, holder, spender):
    with boa.env.prank(holder):
        funded.transfer(spender, 3)
    (log,) = [e for e in funded.get_logs() if type(e).__name__ == "Transfer"]
    assert (log.sender, log.receiver, log.value) == (holder, spender, 3)


def test_transfer_of_zero_and_to_self(funded, holder):
    with boa.env.prank(holder):
        funded.transfer(holder, 0)
        funded.transfer(holder, 5 * WAD)
    assert funded.balanceOf(holder) == 1_000 * WAD


def test_transfer_exceeding_balance_reverts(funded, holder, spender):
    with boa.reverts("erc20: transfer amount exceeds balance"), boa.env.prank(holder):
        funded.transfer(spender, 1_000 * WAD + 1)


def test_transfer_to_zero_address_reverts(funded, holder):
    with boa.reverts("erc20: transfer to the zero address"), boa.env.prank(holder):
        funded.transfer(ZERO_ADDRESS, 1)


def test_transfer_does_not_change_supply(funded, holder, spender):
    supply = funded.totalSupply()
    with boa.env.prank(holder):
        funded.transfer(spender, 1)
    assert funded.totalSupply() == supply
