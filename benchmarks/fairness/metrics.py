"""The fairness metrics, in plain Python (no chain, no numpy).

Kept free of any import from the rest of the harness so the unit tests
(tests/node/test_fairness_metrics.py) can load this file on its own.

- `average_ranks`: ranks 1..n, ties sharing the mean of the ranks they span.
- `spearman`: Spearman's rho, the Pearson correlation of the average ranks, so
  ties are handled exactly; NaN when either side is constant (no ordering to
  compare), which the aggregation then leaves out and counts.
- `gini`: the Gini coefficient of non-negative amounts (0: all equal; (n-1)/n:
  one takes everything); NaN for an empty list, 0 when everything is zero.
- `shares`: each group's share of a total, and `advantage`, reward share over
  stake share (1: paid exactly in proportion to stake).
- `summarize`: mean, sample standard deviation and the half-width of a 95%
  confidence interval of the mean over runs (Student's t), NaN-skipping.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

NAN = float("nan")

# Two-sided 97.5% quantiles of Student's t by degrees of freedom (1..30);
# above 30 the normal quantile (1.96) is within 2%.
_T975 = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
]  # fmt: skip


def is_nan(x: float) -> bool:
    return isinstance(x, float) and math.isnan(x)


def average_ranks(values: Sequence[float]) -> list[float]:
    """Ranks 1..n in ascending order of `values`; tied values all get the
    mean of the positions they occupy (the "fractional" ranking)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        rank = (start + end) / 2 + 1
        for k in range(start, end + 1):
            ranks[order[k]] = rank
        start = end + 1
    return ranks


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Pearson's correlation; NaN when fewer than two points or a side is constant."""
    if len(xs) != len(ys):
        raise ValueError("pearson: sequences of different lengths")
    n = len(xs)
    if n < 2:
        return NAN
    mx = sum(xs) / n
    my = sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return NAN
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Spearman's rank correlation with ties (Pearson on average ranks)."""
    if len(xs) != len(ys):
        raise ValueError("spearman: sequences of different lengths")
    return pearson(average_ranks(xs), average_ranks(ys))


def gini(amounts: Sequence[float]) -> float:
    """Gini coefficient of non-negative amounts: sum_ij |a_i - a_j| / (2 n^2 mean)."""
    n = len(amounts)
    if n == 0:
        return NAN
    if any(a < 0 for a in amounts):
        raise ValueError("gini: negative amount")
    total = sum(amounts)
    if total == 0:
        return 0.0
    # Sorted form: G = sum_i (2i - n - 1) a_(i) / (n * total), i = 1..n.
    ordered = sorted(amounts)
    weighted = sum((2 * i - n - 1) * a for i, a in enumerate(ordered, start=1))
    return weighted / (n * total)


def share(part: float, total: float) -> float:
    """part / total, NaN when the total is zero."""
    return part / total if total else NAN


def shares(amounts: Mapping[str, float]) -> dict[str, float]:
    """Each key's share of the sum of all amounts (NaN for all when it is 0)."""
    total = sum(amounts.values())
    return {k: share(v, total) for k, v in amounts.items()}


def advantage(reward_share: float, stake_share: float) -> float:
    """Reward share over stake share: 1 = paid in proportion to stake,
    0 = paid nothing, 2 = twice its stake's worth. NaN when undefined."""
    if is_nan(reward_share) or is_nan(stake_share) or stake_share == 0:
        return NAN
    return reward_share / stake_share


def t975(df: int) -> float:
    """The 97.5% quantile of Student's t with `df` degrees of freedom."""
    if df < 1:
        return NAN
    return _T975[df - 1] if df <= len(_T975) else 1.96


def summarize(values: Iterable[float]) -> dict[str, float]:
    """mean, sd (sample), ci95 (half-width of the 95% CI of the mean), n
    (values that are not NaN) and nan (how many were NaN)."""
    values = list(values)
    kept = [float(v) for v in values if not is_nan(float(v))]
    n = len(kept)
    if n == 0:
        return {"mean": NAN, "sd": NAN, "ci95": NAN, "n": 0, "nan": len(values)}
    mean = sum(kept) / n
    if n == 1:
        return {"mean": mean, "sd": NAN, "ci95": NAN, "n": 1, "nan": len(values) - 1}
    sd = math.sqrt(sum((v - mean) ** 2 for v in kept) / (n - 1))
    return {
        "mean": mean,
        "sd": sd,
        "ci95": t975(n - 1) * sd / math.sqrt(n),
        "n": n,
        "nan": len(values) - n,
    }
