"""Where a metric becomes the integer the contract stores, and the contract's agreement rule.

Scores are fixed-point with six decimals: score = round_half_up(metric x 10^6),
computed exactly from the float's binary value. Lower is better. INVALID_SCORE
(2^32 - 1, the contract's `limits.INVALID_SCORE`) marks a model that could not
be scored; valid scores are clipped to [0, INVALID_SCORE - 1] so a huge loss can
never be mistaken for "invalid".
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from ape_arena.kinds.base import ScoreResult

SCORE_SCALE = 1_000_000
INVALID_SCORE = 2**32 - 1
MAX_VALID_SCORE = INVALID_SCORE - 1
BPS = 10_000


def metric_to_score(metric: float) -> int:
    """The fixed-point score of a loss metric; INVALID_SCORE for NaN or infinity."""
    if not math.isfinite(metric):
        return INVALID_SCORE
    scaled = (Decimal(metric) * SCORE_SCALE).to_integral_value(rounding=ROUND_HALF_UP)
    return min(max(int(scaled), 0), MAX_VALID_SCORE)


def to_score(result: ScoreResult) -> int:
    """The integer a validator reveals for `result`."""
    if not result.valid or result.metric is None:
        return INVALID_SCORE
    return metric_to_score(result.metric)


def from_score(score: int) -> float | None:
    """The metric a score stands for (None for INVALID_SCORE)."""
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= INVALID_SCORE:
        raise ValueError(f"a score is an integer in [0, {INVALID_SCORE}], not {score!r}")
    return None if score == INVALID_SCORE else score / SCORE_SCALE


def agree(score: int, consensus: int, tolerance_bps: int) -> bool:
    """The contract's `TaskManager._agrees`: does `score` agree with `consensus`?

    Both invalid, or both valid and |score - consensus| x 10_000 <= tolerance_bps
    x consensus. The tolerance is relative to the consensus, so the rule is not
    symmetric in its arguments.
    """
    if score == INVALID_SCORE or consensus == INVALID_SCORE:
        return score == consensus
    return abs(score - consensus) * BPS <= tolerance_bps * consensus
