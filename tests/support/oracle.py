"""An independent reward oracle for a task's settlement, from docs/tasks.md
and the rules of protocol v2 (below).

Written from the formulas of docs/tasks.md ("Finalize", "Rewards",
"Plagiarism" and the cancellation paragraph) as protocol v2 changed them, in
exact rational arithmetic (`fractions.Fraction`), without looking at how the
contracts compute them: it is the yardstick the fuzz campaigns hold
TaskManager's payouts against.

Inputs are what the doc's formulas are written over: the trainers in join
order (stake weight t_i, locked stake, commit block, revealed model hash),
the validators in join order (stake weight s_j, locked stake, revealed
scores) and the task's terms. Outputs: who is disqualified, each consensus,
the ranks, each validator's trust, the protocol fee, the two reward pots, the
refund, and every participant's exact payout with the interval the contract's
integer payout must fall in.

The rules of protocol v2 it follows
-----------------------------------
- Consensus: the stake-weighted median of the revealed validators' scores.
  The smallest score whose cumulative weight, scores ascending, passes
  strictly more than half of the total wins; when the weight up to a score is
  exactly half, the consensus is the midpoint floor((score + next) / 2) of it
  and the next higher score, or INVALID_SCORE when that next one is invalid;
  with a total weight of zero, the lowest score.
- Split: T is the weight of the eligible trainers (revealed, not
  disqualified), S the weight of the validators that revealed; not the
  weight of everyone who joined.
- Refund: what no pot can pay (the whole reward, without a fee, when
  neither can) goes to the treasury, never back to the creator. Only a task
  nobody joined gives its escrowed reward back to the creator (its emission
  still goes to the treasury).
- Slashes: every participant of a finalized task that did not reveal is
  slashed by nonreveal_slash_bps, a trainer (never committed, or kept its
  model back) as well as a validator.

What is exact and what is a bound
---------------------------------
The doc says "every division rounds down". The pot-level amounts are integers
of tokens, so they are computed as the doc states them, rounded down, and the
contract must match them exactly:

    fee     = floor(reward * protocol_fee_bps / 10_000)
    R       = reward - fee
    R_train = floor(R * (gamma + (1 - 2 gamma) * T / (T + S)))   (R when T + S = 0)
    R_val   = R - R_train

Below the pots the oracle is exact: a trainer's reward weight is
a_i = q^r_i * t_i with the exact rational q^r_i, a validator's is
a_j = trust_j * s_j with the exact trust agreed / eligible, and the exact
payout is P_k = R_pot * a_k / A, A = sum of the pot's a_k. The contract
instead works with integer weights:

    trainer:    f_0 = WAD, f_(r+1) = floor(f_r * q_wad / WAD),  w_i = floor(f_r * t_i / WAD)
    validator:  trust_wad = floor(agreed * WAD / eligible),      w_j = floor(trust_wad * s_j / WAD)
    payout:     p_k = floor(R_pot * w_k / sum(w))

Rounding bound (derivation). With q = q_wad / WAD <= 1, f_r >= WAD q^r - r
by induction: f_(r+1) > f_r q - 1 >= (WAD q^r - r) q - 1 >= WAD q^(r+1) - (r+1).
So the contract's trainer weight falls short of the exact one by

    0 <= d_i = a_i - w_i < e_i = r_i * t_i / WAD + 1,

and likewise a validator's by d_j < e_j = s_j / WAD + 1 (trust_wad falls
short of WAD * trust by less than 1). Also d_k <= a_k since w_k >= 0. Write
E = sum(min(e_k, a_k)), so that sum(w) >= A - E. Then, for each participant,

    p_k >  R_pot * w_k / sum(w) - 1  >=  R_pot * w_k / A - 1  >  P_k - R_pot * e_k / A - 1
    p_k <= R_pot * w_k / sum(w)      <=  R_pot * a_k / (A - E) =  P_k * A / (A - E)   (A > E)

that is  P_k - 1 - R_pot * e_k / A  <  p_k  <=  P_k + P_k * E / (A - E).

The interval is two-sided on purpose: the contract's payout can exceed the
exact P_k (by up to P_k * E / (A - E)) when the other participants' weights
lost more to rounding than this one's; rank 0's weight t_i is never rounded
at all. What never exceeds its exact value is the sum of the payouts: each
pot pays at most R_pot. In relative terms the bound is 1 wei plus R_pot times
E / (A - E), with E <= n + sum(r_i * t_i) / WAD for the n trainers of a pot
(E <= n + sum(s_j) / WAD for validators). Worked example: 10 trainers of 100
tokens each, q = 0.85: A = 100e18 * (1 - 0.85^10) / 0.15 ~ 5.4e20 and
E <= 10 + 45 * 100 = 4510, so each payout is within 1 wei + 8.4e-18 * R_pot of
its exact value: about 8,400 wei on a 1,000-token pot, a relative 1e-17. The
relative term grows when q^r is tiny and later ranks weigh much more than the
leaders (E counts their stake, A hardly does); it is still covered, since the
interval is computed from the actual weights. When A <= E (weights of a few
wei) the bound says nothing and the interval is the whole [0, R_pot].

A pot is paid out when its weights sum to more than zero. In exact terms that
is A > 0; the contract's sum(w) can round to zero only when every a_k < e_k,
in which case `Pot.payable` is None (either outcome is admissible) and
`Settlement.outcomes()` lists both.

Cancelled task: each of the n participants is owed bond / n; the contract
pays floor(bond / n), so P - 1 < p <= P. A disqualified trainer is owed
nothing (its share, like the dust, goes to the treasury) and is slashed as in
a finalized task; nobody else is slashed, not even a trainer that did not
reveal.

Slashes: a disqualified trainer loses min(plagiarism_slash_bps,
max_slash_bps) of its locked stake, a trainer or validator that did not
reveal loses min(nonreveal_slash_bps, max_slash_bps), both rounded down as
Staking.release documents (docs/staking.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from itertools import product
from math import floor

WAD = 10**18
BPS = 10_000
INVALID_SCORE = 2**32 - 1


@dataclass(frozen=True)
class Terms:
    """A task's terms, as create_task copied them (WAD and bps units)."""

    reward: int
    protocol_fee_bps: int
    gamma_wad: int
    q_wad: int
    tolerance_bps: int
    bond: int = 0
    plagiarism_slash_bps: int = 0
    nonreveal_slash_bps: int = 0
    max_slash_bps: int = BPS  # staking's cap on any slash


@dataclass(frozen=True)
class Trainer:
    """A trainer that joined. `model` is the revealed model hash, or None
    (it never committed, or committed and did not reveal)."""

    weight: int
    stake: int = 0
    commit_block: int | None = None
    model: bytes | None = None


@dataclass(frozen=True)
class Validator:
    """A validator that joined. `scores` are its revealed scores, one per
    trainer in join order, or None when it did not reveal."""

    weight: int
    stake: int = 0
    scores: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Share:
    """One participant's exact payout and the interval the contract's
    integer payout must lie in; `slash_bps` applies to its locked stake."""

    exact: Fraction
    low: Fraction
    high: Fraction
    slash_bps: int = 0

    def admits(self, paid: int) -> bool:
        return self.low <= paid <= self.high

    def slashed(self, stake: int) -> int:
        """Tokens Staking.release takes: floor(stake * slash_bps / 10_000)."""
        return stake * self.slash_bps // BPS


@dataclass
class Pot:
    """A reward pot split pro rata over exact weights (see the module doc)."""

    amount: int
    weights: list[Fraction]
    # Upper bound of each weight's rounding deficit in the contract (e_k).
    errors: list[Fraction]

    @property
    def total(self) -> Fraction:
        return sum(self.weights, Fraction(0))

    @property
    def payable(self) -> bool | None:
        """True/False: the pot is paid out / refunded; None: either, by rounding."""
        if self.total == 0:
            return False
        if all(a < e for a, e in zip(self.weights, self.errors, strict=True)):
            return None
        return True

    def shares(self) -> list[Share]:
        total = self.total
        if total == 0:
            return [Share(Fraction(0), Fraction(0), Fraction(0)) for _ in self.weights]
        slack = sum(
            (min(a, e) for a, e in zip(self.weights, self.errors, strict=True)), Fraction(0)
        )
        out = []
        for a, e in zip(self.weights, self.errors, strict=True):
            exact = self.amount * a / total
            low = max(Fraction(0), exact - self.amount * min(a, e) / total - 1)
            high = self.amount * a / (total - slack) if total > slack else Fraction(self.amount)
            out.append(Share(exact, low, min(high, Fraction(self.amount))))
        return out


@dataclass
class Settlement:
    """Everything docs/tasks.md determines about a finalized task."""

    terms: Terms
    disqualified: list[bool]
    consensus: list[int]
    ranks: list[int | None]
    trust: list[Fraction]
    fee: int
    train: Pot
    validate: Pot
    trainers: list[Share] = field(default_factory=list)
    validators: list[Share] = field(default_factory=list)

    def outcomes(self) -> set[tuple[int, int, int, int]]:
        """Admissible (fee, refund, train pot paid, validator pot paid) at settlement.

        One outcome unless rounding could zero a pot's weights (Pot.payable None).
        The refund goes to the treasury (to the creator only when nobody joined).
        """
        options = []
        for pot in (self.train, self.validate):
            options.append([pot.payable] if pot.payable is not None else [True, False])
        reward = self.terms.reward
        out = set()
        for train_paid, validate_paid in product(*options):
            if not train_paid and not validate_paid:
                out.add((0, reward, 0, 0))
                continue
            train = self.train.amount if train_paid else 0
            val = self.validate.amount if validate_paid else 0
            out.add((self.fee, reward - self.fee - train - val, train, val))
        return out


# --- the doc's building blocks ----------------------------------------------------


def weighted_median(scores: list[int], weights: list[int]) -> int:
    """The smallest score whose cumulative weight, scores ascending, passes
    half of the total weight; at exactly half, the midpoint of that score
    and the next higher one (INVALID_SCORE if that one is invalid); the
    lowest score when the weights sum to zero."""
    if not scores:
        raise ValueError("no scores")
    total = sum(weights)
    if total == 0:
        return min(scores)
    values = sorted(set(scores))
    for k, value in enumerate(values):
        below = sum(w for s, w in zip(scores, weights, strict=True) if s <= value)
        if 2 * below > total:
            return value
        if 2 * below == total:
            # The other half lies above: a higher score with weight exists
            # (a weightless validator's score has no say).
            upper = next(
                v
                for v in values[k + 1 :]
                if sum(w for s, w in zip(scores, weights, strict=True) if s == v) > 0
            )
            return INVALID_SCORE if upper == INVALID_SCORE else (value + upper) // 2
    raise AssertionError("unreachable: the last score holds all the weight")


def agrees(score: int, consensus: int, tolerance_bps: int) -> bool:
    """Both invalid, or both valid and |score - consensus| within tolerance."""
    if score == INVALID_SCORE or consensus == INVALID_SCORE:
        return score == consensus
    return abs(score - consensus) * BPS <= tolerance_bps * consensus


def disqualified(trainers: list[Trainer]) -> list[bool]:
    """Among trainers revealing the same hash, the earliest commitment (commit
    block, then join order) keeps it; every other one is disqualified."""
    keeper: dict[bytes, tuple[int, int]] = {}
    for i, t in enumerate(trainers):
        if t.model is None:
            continue
        key = (t.commit_block, i)
        if t.model not in keeper or key < keeper[t.model]:
            keeper[t.model] = key
    return [
        t.model is not None and keeper[t.model] != (t.commit_block, i)
        for i, t in enumerate(trainers)
    ]


def train_share(reward: int, gamma_wad: int, trainer_weight: int, validator_weight: int) -> int:
    """R_train = R * (gamma + (1 - 2 gamma) * T / (T + S)), rounded down."""
    total = trainer_weight + validator_weight
    if total == 0:
        return reward
    gamma = Fraction(gamma_wad, WAD)
    return floor(reward * (gamma + (1 - 2 * gamma) * Fraction(trainer_weight, total)))


# --- settlement ---------------------------------------------------------------------


def settle(terms: Terms, trainers: list[Trainer], validators: list[Validator]) -> Settlement:
    """The settlement of a finalized task (the eval set was revealed)."""
    n = len(trainers)
    out = disqualified(trainers)
    eligible = [t.model is not None and not out[i] for i, t in enumerate(trainers)]
    revealed = [v for v in validators if v.scores is not None]
    for v in revealed:
        assert len(v.scores) == n, "one score per trainer"

    # 1. Consensus: the weighted median of the revealed validators' scores.
    consensus = []
    for i in range(n):
        if not eligible[i] or not revealed:
            consensus.append(INVALID_SCORE)
        else:
            consensus.append(
                weighted_median([v.scores[i] for v in revealed], [v.weight for v in revealed])
            )

    # 2. Ranking: valid submissions by consensus (ties in the sort to the
    # earlier commit); dense ranks, shared by the submissions within the
    # tolerance of their rank group's best consensus.
    valid = [i for i in range(n) if eligible[i] and consensus[i] != INVALID_SCORE]
    order = sorted(valid, key=lambda i: (consensus[i], trainers[i].commit_block, i))
    ranks: list[int | None] = [None] * n
    rank, leader = 0, None
    for i in order:
        if leader is not None and not agrees(consensus[i], leader, terms.tolerance_bps):
            rank += 1
            leader = None
        if leader is None:
            leader = consensus[i]
        ranks[i] = rank

    # 3. Trust: the fraction of the eligible submissions a validator agrees on.
    scored = [i for i in range(n) if eligible[i]]
    trust = []
    for v in validators:
        if v.scores is None or not scored:
            trust.append(Fraction(0))
            continue
        agreed = sum(agrees(v.scores[i], consensus[i], terms.tolerance_bps) for i in scored)
        trust.append(Fraction(agreed, len(scored)))

    # 4. Split: T over the eligible trainers, S over the revealed validators.
    fee = terms.reward * terms.protocol_fee_bps // BPS
    distributable = terms.reward - fee
    t_sum = sum(t.weight for i, t in enumerate(trainers) if eligible[i])
    s_sum = sum(v.weight for v in revealed)
    train_reward = train_share(distributable, terms.gamma_wad, t_sum, s_sum)
    q = Fraction(terms.q_wad, WAD)

    t_weights, t_errors = [], []
    for i, t in enumerate(trainers):
        if ranks[i] is None:
            t_weights.append(Fraction(0))
            t_errors.append(Fraction(0))
        else:
            t_weights.append(q ** ranks[i] * t.weight)
            t_errors.append(Fraction(ranks[i] * t.weight, WAD) + 1)
    v_weights, v_errors = [], []
    for j, v in enumerate(validators):
        v_weights.append(trust[j] * v.weight)
        v_errors.append(Fraction(v.weight, WAD) + 1 if trust[j] else Fraction(0))

    train = Pot(train_reward, t_weights, t_errors)
    validate = Pot(distributable - train_reward, v_weights, v_errors)

    plagiarism = min(terms.plagiarism_slash_bps, terms.max_slash_bps)
    nonreveal = min(terms.nonreveal_slash_bps, terms.max_slash_bps)

    def trainer_slash(i: int) -> int:
        if out[i]:
            return plagiarism
        return nonreveal if trainers[i].model is None else 0

    trainer_shares = [
        Share(s.exact, s.low, s.high, trainer_slash(i)) for i, s in enumerate(train.shares())
    ]
    validator_shares = [
        Share(s.exact, s.low, s.high, 0 if v.scores is not None else nonreveal)
        for s, v in zip(validate.shares(), validators, strict=True)
    ]
    return Settlement(
        terms=terms,
        disqualified=out,
        consensus=consensus,
        ranks=ranks,
        trust=trust,
        fee=fee,
        train=train,
        validate=validate,
        trainers=trainer_shares,
        validators=validator_shares,
    )


def cancelled_split(terms: Terms, trainers: list[Trainer]) -> tuple[int, int]:
    """(what the trainers who revealed a model of their own share, their
    total weight) in a cancelled task: the bond and gamma of the escrowed
    reward, or nothing when there is no such trainer (the bond then goes to
    the treasury)."""
    out = disqualified(trainers)
    total = sum(t.weight for i, t in enumerate(trainers) if t.model is not None and not out[i])
    if total == 0:
        return 0, 0
    return terms.bond + terms.reward * terms.gamma_wad // WAD, total


def cancel(
    terms: Terms, trainers: list[Trainer], validators: list[Validator]
) -> tuple[list[Share], list[Share]]:
    """A cancelled task: (trainers' shares, validators' shares). The trainers
    who revealed a model of their own share the split by weight (rounded
    down); a disqualified trainer gets nothing and is slashed for plagiarism,
    one that revealed nothing is slashed for it; validators, who never got
    the eval set, get nothing and keep their stake."""
    pot, total = cancelled_split(terms, trainers)
    plagiarism = min(terms.plagiarism_slash_bps, terms.max_slash_bps)
    nonreveal = min(terms.nonreveal_slash_bps, terms.max_slash_bps)
    shares = []
    for t, out in zip(trainers, disqualified(trainers), strict=True):
        if out:
            shares.append(Share(Fraction(0), Fraction(0), Fraction(0), plagiarism))
        elif t.model is None:
            shares.append(Share(Fraction(0), Fraction(0), Fraction(0), nonreveal))
        else:
            exact = Fraction(pot * t.weight, total)
            shares.append(Share(exact, max(Fraction(0), exact - 1), exact, 0))
    nothing = Share(Fraction(0), Fraction(0), Fraction(0), 0)
    return shares, [nothing] * len(validators)
