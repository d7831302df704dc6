# pragma version ~=0.4.3
"""
@title Pool share arithmetic with virtual shares
@notice Converts between a pool's assets and its shares. The pool behaves as
        if it always held `VIRTUAL_SHARES` extra shares backed by
        `VIRTUAL_ASSETS` extra wei, which makes the first-depositor
        ("inflation" or donation) attack unprofitable: pushing the share price
        up by rewarding an almost empty pool gives most of the reward to the
        virtual shares, and a later depositor loses at most the value of one
        share to rounding.
@dev Formulas, with A = pool assets and S = pool shares:
         shares for a deposit of a   = floor(a * (S + VS) / (A + VA))
         shares to burn for assets a = ceil(a * (S + VS) / (A + VA))
         assets of s shares          = floor(s * (A + VA) / (S + VS))
     Every rounding is in the pool's favour (its remaining holders'), so the
     assets attributed to real shares never exceed A. The value the virtual
     shares hold is dust that stays in the pool for good.
"""

from snekmate.utils import math

# @notice Virtual shares: 1e6 shares per wei at a fresh pool's price.
VIRTUAL_SHARES: constant(uint256) = 10**6

# @notice Virtual assets backing the virtual shares.
VIRTUAL_ASSETS: constant(uint256) = 1


@internal
@pure
def _to_shares_down(assets: uint256, total_assets: uint256, total_shares: uint256) -> uint256:
    # Pool assets are bounded by the token's cap (constants.MAX_SUPPLY, 1e27)
    # and shares by 1e27 * 1e6 over the pool's life, so the products fit in
    # 256 bits.
    return assets * (total_shares + VIRTUAL_SHARES) // (total_assets + VIRTUAL_ASSETS)


@internal
@pure
def _to_shares_up(assets: uint256, total_assets: uint256, total_shares: uint256) -> uint256:
    # The same product as _to_shares_down; the denominator is at least
    # VIRTUAL_ASSETS, so never zero.
    return math._ceil_div(assets * (total_shares + VIRTUAL_SHARES), total_assets + VIRTUAL_ASSETS)


@internal
@pure
def _to_assets_down(shares: uint256, total_assets: uint256, total_shares: uint256) -> uint256:
    return shares * (total_assets + VIRTUAL_ASSETS) // (total_shares + VIRTUAL_SHARES)
