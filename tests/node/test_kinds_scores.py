"""Metric -> contract integer, and the contract's agreement rule."""

import math
import re

import pytest

from ape_arena.kinds.base import ScoreResult
from ape_arena.kinds.scores import (
    BPS,
    INVALID_SCORE,
    MAX_VALID_SCORE,
    SCORE_SCALE,
    agree,
    from_score,
    metric_to_score,
    to_score,
)
from support.paths import ROOT


def _vyper_constant(path, name):
    text = (ROOT / path).read_text()
    match = re.search(rf"^{name}: constant\(uint256\) = ([0-9_*+\- ]+)$", text, re.MULTILINE)
    assert match, f"{name} not found in {path}"
    expression = match.group(1).replace("_", "")
    assert re.fullmatch(r"[0-9*+\- ]+", expression)
    return eval(expression)  # digits and arithmetic only, checked above


def test_constants_match_the_contracts():
    assert _vyper_constant("contracts/modules/limits.vy", "INVALID_SCORE") == INVALID_SCORE
    assert _vyper_constant("contracts/modules/constants.vy", "BPS") == BPS
    assert SCORE_SCALE == 1_000_000
    assert MAX_VALID_SCORE == INVALID_SCORE - 1


@pytest.mark.parametrize(
    "metric, score",
    [
        (0.0, 0),
        (1.0, 1_000_000),
        (1.2345674, 1_234_567),
        (1.2345676, 1_234_568),
        # Exact halves (2^-7 x 10^6 = 7812.5) round up.
        (2**-7, 7_813),
        (3 * 2**-7, 23_438),
        (-0.5, 0),
        (5_000.0, MAX_VALID_SCORE),
        (math.nan, INVALID_SCORE),
        (math.inf, INVALID_SCORE),
    ],
)
def test_metric_to_score(metric, score):
    assert metric_to_score(metric) == score


def test_to_score_and_back():
    assert to_score(ScoreResult.ok(0.8125)) == 812_500
    assert to_score(ScoreResult.invalid("broken")) == INVALID_SCORE
    assert to_score(ScoreResult.ok(math.nan)) == INVALID_SCORE
    assert from_score(812_500) == 0.8125
    assert from_score(INVALID_SCORE) is None
    for bad in (-1, INVALID_SCORE + 1, 1.5, True):
        with pytest.raises(ValueError, match="a score is an integer"):
            from_score(bad)


@pytest.mark.parametrize(
    "score, consensus, tolerance_bps, agrees",
    [
        (INVALID_SCORE, INVALID_SCORE, 0, True),
        (INVALID_SCORE, 1_000_000, 10_000, False),
        (1_000_000, INVALID_SCORE, 10_000, False),
        (1_000_000, 1_000_000, 0, True),
        (1_000_001, 1_000_000, 0, False),
        # 50 bps of 1,000,000 is 5,000: the boundary agrees, one more does not.
        (1_005_000, 1_000_000, 50, True),
        (995_000, 1_000_000, 50, True),
        (1_005_001, 1_000_000, 50, False),
        # Relative to the consensus, not symmetric.
        (1_000_000, 1_005_000, 50, True),
        (1_005_000, 1_000_000, 49, False),
        (0, 0, 0, True),
        (1, 0, 10_000, False),
    ],
)
def test_agree_mirrors_the_contract(score, consensus, tolerance_bps, agrees):
    assert agree(score, consensus, tolerance_bps) is agrees
    # The contract's formula, restated without the helper.
    if INVALID_SCORE not in (score, consensus):
        assert agrees == (abs(score - consensus) * 10_000 <= tolerance_bps * consensus)
