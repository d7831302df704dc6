# pragma version ~=0.4.3
"""
@title Shared constants
@notice Units every AIArena contract uses, so that a number means the same
        thing everywhere.
"""

# @notice Fixed-point unit (1e18).
WAD: constant(uint256) = 10**18

# @notice Basis points: 10_000 bps = 100%.
BPS: constant(uint256) = 10_000

# @notice The token's hard cap, in wei (1,000,000,000 ARENA): no amount the
#         protocol handles can exceed it, which bounds every product of an
#         amount with a WAD or bps factor well inside 256 bits.
MAX_SUPPLY: constant(uint256) = 1_000_000_000 * 10**18
