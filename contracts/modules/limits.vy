# pragma version ~=0.4.3
"""
@title Size limits of a task
@notice Every loop over a task's participants is bounded by one of these.
        They are chosen so that the heaviest transaction of a task at the caps
        stays under 2**24 gas, the per-transaction cap Base enforces
        (docs/benchmarks.md has the measurements).
"""

# @notice Most trainers one task may admit.
MAX_TRAINERS: constant(uint256) = 128

# @notice Most validators one task may admit.
MAX_VALIDATORS: constant(uint256) = 64

# @notice Scores are uint32 fixed-point values; this one means "invalid model".
INVALID_SCORE: constant(uint256) = 2**32 - 1

# @notice Scores packed per storage slot (8 x 32 bits).
SCORES_PER_SLOT: constant(uint256) = 8

# @notice Slots holding one validator's scores for a task at MAX_TRAINERS.
SCORE_SLOTS: constant(uint256) = MAX_TRAINERS // SCORES_PER_SLOT
