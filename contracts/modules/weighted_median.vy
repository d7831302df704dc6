# pragma version ~=0.4.3
"""
@title Stake-weighted median
@notice The consensus value of one submission: the smallest score whose
        cumulative validator weight, with scores in ascending order, passes
        half of the total weight; when the weight up to a score is exactly
        half, the midpoint of that score and the next one (INVALID_SCORE if
        the next one is invalid).
@dev If validators holding more than half of the weight agree that a value
     lies in [lo, hi], the median lies in [lo, hi]: below lo there is less
     than half of the weight, and at hi the cumulative weight is already more
     than half. A minority can therefore never move the consensus outside the
     honest validators' range. Exactly half of the weight can move a score at
     most half-way towards its own.
"""

from . import limits


@internal
@pure
def _weighted_median(
    values: DynArray[uint256, limits.MAX_VALIDATORS], weights: DynArray[uint256, limits.MAX_VALIDATORS]
) -> uint256:
    n: uint256 = len(values)
    assert n != 0 and n == len(weights), "median: no values"
    vals: DynArray[uint256, limits.MAX_VALIDATORS] = values
    wts: DynArray[uint256, limits.MAX_VALIDATORS] = weights
    total: uint256 = 0
    # Insertion sort by value, carrying the weights: n <= MAX_VALIDATORS.
    for i: uint256 in range(1, limits.MAX_VALIDATORS):
        if i >= n:
            break
        v: uint256 = vals[i]
        w: uint256 = wts[i]
        j: uint256 = i
        for _k: uint256 in range(limits.MAX_VALIDATORS):
            if j == 0 or vals[j - 1] <= v:
                break
            vals[j] = vals[j - 1]
            wts[j] = wts[j - 1]
            j -= 1
        vals[j] = v
        wts[j] = w
    for i: uint256 in range(limits.MAX_VALIDATORS):
        if i >= n:
            break
        total += wts[i]
    cumulative: uint256 = 0
    for i: uint256 in range(limits.MAX_VALIDATORS):
        if i >= n:
            break
        cumulative += wts[i]
        if cumulative * 2 > total:
            return vals[i]
        if cumulative * 2 == total and total != 0:
            # Exactly half of the weight on each side (so a next score
            # exists): the midpoint, so that half of the weight alone moves a
            # score at most half-way; invalid if either half says so.
            # The next score that weighs anything (a weightless validator has
            # no say); the other half of the weight lies beyond i, so one
            # exists before n.
            upper: uint256 = 0
            for j: uint256 in range(i + 1, i + 1 + limits.MAX_VALIDATORS, bound=limits.MAX_VALIDATORS):
                if wts[j] != 0:
                    upper = vals[j]
                    break
            if upper == limits.INVALID_SCORE:
                return upper
            return (vals[i] + upper) // 2
    # Reached only when the weights sum to zero: the lowest score.
    return vals[0]
