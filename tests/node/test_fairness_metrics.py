"""Unit tests of the fairness benchmark's metric functions (no chain).

benchmarks/fairness/metrics.py is loaded from its file: the repository root
is not on the test path, and a `benchmarks` package installed by a
dependency would shadow the folder anyway.
"""

import importlib.util
import math
import random
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "fairness" / "metrics.py"
_spec = importlib.util.spec_from_file_location("fairness_metrics", _PATH)
fm = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fm)


# --- ranks and Spearman ---------------------------------------------------------------


def test_average_ranks_without_ties():
    assert fm.average_ranks([30, 10, 20]) == [3.0, 1.0, 2.0]


def test_average_ranks_share_the_mean_of_tied_positions():
    # 10 and 10 take positions 1 and 2 -> 1.5; the three 7s take 1..3 of theirs.
    assert fm.average_ranks([10, 20, 10]) == [1.5, 3.0, 1.5]
    assert fm.average_ranks([7, 7, 7, 1]) == [3.0, 3.0, 3.0, 1.0]
    assert fm.average_ranks([]) == []


def test_spearman_perfect_and_reversed():
    xs = [1, 2, 3, 4, 5]
    assert fm.spearman(xs, [10, 20, 30, 40, 50]) == pytest.approx(1.0)
    assert fm.spearman(xs, [5, 4, 3, 2, 1]) == pytest.approx(-1.0)
    # Only the order matters: a monotone transform keeps rho = 1.
    assert fm.spearman(xs, [x**3 for x in xs]) == pytest.approx(1.0)


def test_spearman_without_ties_matches_the_textbook_formula():
    rng = random.Random(7)
    for _ in range(20):
        n = rng.randint(3, 12)
        xs = rng.sample(range(1000), n)
        ys = rng.sample(range(1000), n)
        rx, ry = fm.average_ranks(xs), fm.average_ranks(ys)
        d2 = sum((a - b) ** 2 for a, b in zip(rx, ry, strict=True))
        assert fm.spearman(xs, ys) == pytest.approx(1 - 6 * d2 / (n * (n * n - 1)))


def test_spearman_with_ties_is_pearson_on_average_ranks():
    # Rewards with ties (two trainers paid nothing), worked by hand:
    # x ranks 1 2 3 4; y = [0, 0, 5, 9] -> ranks 1.5 1.5 3 4. Both means are
    # 2.5; centred: x -1.5 -0.5 0.5 1.5, y -1 -1 0.5 1.5.
    # sxy = 1.5 + 0.5 + 0.25 + 2.25 = 4.5; sxx = 5; syy = 1 + 1 + 0.25 + 2.25 = 4.5.
    assert fm.spearman([1, 2, 3, 4], [0, 0, 5, 9]) == pytest.approx(4.5 / math.sqrt(5 * 4.5))


def test_spearman_is_nan_when_a_side_is_constant_or_too_short():
    assert math.isnan(fm.spearman([1, 2, 3], [0, 0, 0]))
    assert math.isnan(fm.spearman([4], [2]))
    with pytest.raises(ValueError):
        fm.spearman([1, 2], [1, 2, 3])


# --- Gini ------------------------------------------------------------------------------


def test_gini_equal_amounts_is_zero():
    assert fm.gini([5, 5, 5, 5]) == pytest.approx(0.0)
    assert fm.gini([0, 0, 0]) == 0.0


def test_gini_one_takes_all_is_n_minus_one_over_n():
    assert fm.gini([0, 0, 0, 10]) == pytest.approx(3 / 4)
    assert fm.gini([7]) == pytest.approx(0.0)


def test_gini_matches_the_mean_absolute_difference_definition():
    rng = random.Random(11)
    for _ in range(20):
        xs = [rng.uniform(0, 100) for _ in range(rng.randint(1, 15))]
        n, mean = len(xs), sum(xs) / len(xs)
        expected = sum(abs(a - b) for a in xs for b in xs) / (2 * n * n * mean)
        assert fm.gini(xs) == pytest.approx(expected)


def test_gini_is_scale_and_order_invariant():
    xs = [1, 4, 2, 9]
    assert fm.gini(xs) == pytest.approx(fm.gini([10 * x for x in reversed(xs)]))
    assert fm.gini([1, 3]) == pytest.approx(0.25)


def test_gini_rejects_negative_and_handles_empty():
    assert math.isnan(fm.gini([]))
    with pytest.raises(ValueError):
        fm.gini([1, -1])


# --- shares and advantage ------------------------------------------------------------------


def test_shares_sum_to_one():
    s = fm.shares({"honest": 600, "lazy": 300, "stale": 100})
    assert s == pytest.approx({"honest": 0.6, "lazy": 0.3, "stale": 0.1})
    assert sum(s.values()) == pytest.approx(1.0)


def test_shares_of_nothing_are_nan():
    s = fm.shares({"a": 0, "b": 0})
    assert all(math.isnan(v) for v in s.values())
    assert math.isnan(fm.share(3, 0))


def test_advantage():
    assert fm.advantage(0.30, 0.30) == pytest.approx(1.0)
    assert fm.advantage(0.0, 0.25) == 0.0
    assert fm.advantage(1.0, 0.55) == pytest.approx(1 / 0.55)
    assert math.isnan(fm.advantage(0.5, 0.0))
    assert math.isnan(fm.advantage(float("nan"), 0.5))


# --- summaries -------------------------------------------------------------------------------


def test_summarize_mean_sd_and_ci():
    s = fm.summarize([1.0, 2.0, 3.0, 4.0])
    assert s["mean"] == pytest.approx(2.5)
    assert s["sd"] == pytest.approx(math.sqrt(5 / 3))
    assert s["ci95"] == pytest.approx(3.182 * math.sqrt(5 / 3) / 2)
    assert s["n"] == 4 and s["nan"] == 0


def test_summarize_skips_and_counts_nan():
    s = fm.summarize([1.0, float("nan"), 3.0])
    assert s["mean"] == pytest.approx(2.0) and s["n"] == 2 and s["nan"] == 1
    one = fm.summarize([5.0])
    assert one["mean"] == 5.0 and math.isnan(one["sd"]) and math.isnan(one["ci95"])
    none = fm.summarize([float("nan")])
    assert none["n"] == 0 and math.isnan(none["mean"])


def test_t_quantiles():
    assert fm.t975(1) == pytest.approx(12.706)
    assert fm.t975(29) == pytest.approx(2.045)
    assert fm.t975(200) == pytest.approx(1.96)
    assert math.isnan(fm.t975(0))
