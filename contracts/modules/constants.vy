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
