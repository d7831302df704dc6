"""Agents, scenarios and per-run metrics of the fairness harness (pure Python).

A run is one task: trainers whose true model quality (a loss in bits per
byte, lower is better) the harness knows, and validators whose behaviour
turns those true losses into the integer scores they commit and reveal.
`chain.World.play` plays a `RunSpec` on the real contracts; `run_metrics`
turns the `Outcome` it reads back into the numbers the report averages.

Scores are the node's fixed-point unit (plugins/ape_arena/kinds/scores.py):
round(loss x 10^6), INVALID_SCORE = 2^32 - 1 for "invalid model".

Noise model: an honest validator measures loss x (1 + (bias + e) / 10^4)
with e ~ N(0, noise_bps^2), drawn afresh for every (validator, model): a
relative error in basis points, what a different GPU, kernel or batch order
does to a deterministic fp32 evaluation. `bias_bps` adds a systematic error
shared by all of a validator's scores (a consistently different platform).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from .metrics import NAN, advantage, gini, share, spearman

SCALE = 1_000_000
INVALID_SCORE = 2**32 - 1
BPS = 10_000

# The world every run draws from.
N_TRAINERS = 10
N_VALIDATORS = 7
LOSS_RANGE = (1.00, 1.30)  # true bits per byte, uniform
STAKE_RANGE = (100, 2_000)  # whole tokens, log-uniform
HONEST_NOISE_BPS = 5.0
# A sybil's whole stake, split over its k addresses (k <= 8 keeps each split
# at or above the 100-token minimum stake).
SYBIL_STAKE = 1_600
# How much better than the best honest score a colluding coalition scores
# the trainer it promotes.
PROMOTE_MARGIN = 0.99


@dataclass(frozen=True)
class Params:
    """The DAO parameters under test (gamma, q) and the task's tolerance."""

    gamma: float = 0.2
    q: float = 0.85
    tolerance_bps: int = 50

    def as_dict(self) -> dict:
        return {"gamma": self.gamma, "q": self.q, "tolerance_bps": self.tolerance_bps}


@dataclass
class Trainer:
    loss: float  # true loss, bits per byte
    stake: int  # whole tokens
    group: str = "honest"
    honest: bool = True
    # Its own work (a plagiarist's copy is not): the trainers over which the
    # quality-vs-reward correlation is measured.
    original: bool = True
    # Models sharing an id share a content hash (an exact copy).
    model: int = 0
    # Commits one block after everybody else (a copier needs the original first).
    late: bool = False
    alliance: str = ""


@dataclass
class Validator:
    stake: int
    behaviour: str = "honest"
    noise_bps: float = HONEST_NOISE_BPS
    bias_bps: float = 0.0
    group: str = "honest"
    honest: bool = True
    alliance: str = ""


@dataclass
class RunSpec:
    trainers: list[Trainer]
    validators: list[Validator]
    # The previous task's consensus values (public on chain): all a
    # validator that does not evaluate can base its guess on.
    prior: list[float]
    params: Params = field(default_factory=Params)


@dataclass
class Outcome:
    """What the chain says after finalize and every claim (token units)."""

    reward: float  # escrowed reward
    fee: float
    train_pool: float  # R_train as settled (0 when no submission is valid)
    validator_pool: float  # R_val as settled (0 when nobody earned trust)
    trainer_reward: list[float]
    trainer_slashed: list[float]
    trainer_rank: list[int | None]  # None: not ranked (invalid or disqualified)
    trainer_consensus: list[int]
    trainer_disqualified: list[bool]
    validator_reward: list[float]
    validator_slashed: list[float]
    validator_trust: list[float]  # 0..1
    validator_scores: list[list[int]]  # as revealed, one per trainer


# ---------------------------------------------------------------------------
# Validator behaviours: true losses -> the score vector it commits
# ---------------------------------------------------------------------------


def to_score(loss: float) -> int:
    return min(max(round(loss * SCALE), 1), INVALID_SCORE - 1)


def measure(loss: float, v: Validator, rng: random.Random) -> int:
    error = v.bias_bps + (rng.gauss(0.0, v.noise_bps) if v.noise_bps else 0.0)
    return to_score(loss * (1 + error / BPS))


def scores_of(v: Validator, spec: RunSpec, rng: random.Random) -> list[int]:
    """One score per trainer, in join order."""
    losses = [t.loss for t in spec.trainers]
    b = v.behaviour
    if b == "honest":
        return [measure(x, v, rng) for x in losses]
    if b == "lazy":
        # Scores at random over the range of plausible losses.
        return [to_score(rng.uniform(*LOSS_RANGE)) for _ in losses]
    if b == "stale_mean":
        # Every model gets the previous task's mean consensus.
        guess = to_score(sum(spec.prior) / len(spec.prior))
        return [guess] * len(losses)
    if b == "stale_shuffle":
        # The previous task's consensus values, dealt out at random.
        return [to_score(rng.choice(spec.prior)) for _ in losses]
    if b in ("collude_blatant", "collude_subtle"):
        # The promoted trainer just ahead of the best model; the others
        # invalid (blatant) or as measured (subtle: loses as little trust as
        # it can).
        if b == "collude_subtle":
            out = [measure(x, v, rng) for x in losses]
        else:
            out = [INVALID_SCORE] * len(losses)
        best = min(losses)
        for i, t in enumerate(spec.trainers):
            if t.group == "promoted":
                out[i] = to_score(best * PROMOTE_MARGIN)
        return out
    raise ValueError(f"unknown behaviour {b!r}")


# ---------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------


def log_uniform(rng: random.Random, lo: int, hi: int) -> int:
    return round(math.exp(rng.uniform(math.log(lo), math.log(hi))))


@dataclass
class Base:
    """The draws every scenario of a run shares (common random numbers)."""

    losses: list[float]
    trainer_stakes: list[int]
    validator_stakes: list[int]
    prior: list[float]


def draw_base(rng: random.Random) -> Base:
    return Base(
        losses=[rng.uniform(*LOSS_RANGE) for _ in range(N_TRAINERS)],
        trainer_stakes=[log_uniform(rng, *STAKE_RANGE) for _ in range(N_TRAINERS)],
        validator_stakes=[log_uniform(rng, *STAKE_RANGE) for _ in range(N_VALIDATORS)],
        prior=[rng.uniform(*LOSS_RANGE) for _ in range(N_TRAINERS)],
    )


def honest_trainers(base: Base) -> list[Trainer]:
    return [
        Trainer(loss=x, stake=s, model=i)
        for i, (x, s) in enumerate(zip(base.losses, base.trainer_stakes, strict=True))
    ]


def honest_validators(base: Base, noise_bps: float = HONEST_NOISE_BPS) -> list[Validator]:
    return [Validator(stake=s, noise_bps=noise_bps) for s in base.validator_stakes]


def _by_quality(trainers: list[Trainer]) -> list[int]:
    return sorted(range(len(trainers)), key=lambda i: trainers[i].loss)


def sc_honest(base, rng, noise_bps: float = HONEST_NOISE_BPS):
    return honest_trainers(base), honest_validators(base, noise_bps)


def set_shares(validators: list[Validator], groups, rng: random.Random) -> None:
    """Give each (members, fraction) group exactly `fraction` of the total
    validator stake (to the token), the other validators keeping theirs;
    within a group the split is random."""
    chosen = {j for members, _ in groups for j in members}
    rest = sum(v.stake for j, v in enumerate(validators) if j not in chosen)
    total = rest / (1 - sum(f for _, f in groups))
    for members, fraction in groups:
        weights = [rng.uniform(0.5, 1.5) for _ in members]
        amount = round(fraction * total)
        stakes = [max(100, round(amount * w / sum(weights))) for w in weights]
        stakes[-1] = max(100, amount - sum(stakes[:-1]))
        for j, stake in zip(members, stakes, strict=True):
            validators[j].stake = stake


# Stake shares of the validator groups under test (of the validator stake).
CHEATER_SHARE = 0.30  # 2 lazy or stale validators
NOISY_SHARE = 0.40  # 3 noisy or biased honest validators


def sc_cheating_validators(base, rng, behaviour: str, count: int = 2):
    validators = honest_validators(base)
    for v in validators[:count]:
        v.behaviour, v.group, v.honest = behaviour, behaviour, False
    set_shares(validators, [(list(range(count)), CHEATER_SHARE)], rng)
    return honest_trainers(base), validators


def sc_noisy(base, rng, noise_bps: float, bias_bps: float = 0.0, count: int = 3, group="noisy"):
    validators = honest_validators(base)
    for v in validators[:count]:
        v.noise_bps, v.bias_bps, v.group = noise_bps, bias_bps, group
    set_shares(validators, [(list(range(count)), NOISY_SHARE)], rng)
    return honest_trainers(base), validators


# Coalition size -> members (of 7 validators).
COALITION_MEMBERS = {0.10: 1, 0.30: 2, 0.45: 3, 0.55: 4}


def sc_coalition(base, rng, fraction: float, strategy: str):
    """Validators holding `fraction` of the validator stake promote the
    worst model. fraction 0: the control (everyone honest, same trainer
    marked)."""
    trainers = honest_trainers(base)
    promoted = trainers[_by_quality(trainers)[-1]]
    promoted.group, promoted.honest, promoted.alliance = "promoted", False, "coalition"
    validators = honest_validators(base)
    if fraction == 0:
        return trainers, validators
    m = COALITION_MEMBERS[fraction]
    for v in validators[:m]:
        v.behaviour, v.group, v.honest = f"collude_{strategy}", "coalition", False
        v.alliance = "coalition"
    set_shares(validators, [(list(range(m)), fraction)], rng)
    return trainers, validators


def sc_plagiarist(base, rng, exact: bool, count: int = 2):
    """`count` trainers get hold of the best model before the submit deadline
    (a leak) and commit a block after its owner: the same content hash
    (exact) or a re-saved copy with a new hash and the same quality (near)."""
    trainers = honest_trainers(base)
    best = trainers[_by_quality(trainers)[0]]
    for k in range(count):
        trainers.append(
            Trainer(
                loss=best.loss,
                stake=log_uniform(rng, *STAKE_RANGE),
                group="plagiarist",
                honest=False,
                original=False,
                model=best.model if exact else 100 + k,
                late=True,
            )
        )
    return trainers, honest_validators(base)


def sc_sybil(base, rng, k: int, position: int):
    """The trainer of quality rank `position` (0 = best) stakes SYBIL_STAKE
    split over k addresses, each with its own model of the same quality
    (k = 1: the control)."""
    trainers = honest_trainers(base)
    target = trainers[_by_quality(trainers)[position]]
    trainers.remove(target)
    stakes = [SYBIL_STAKE // k] * k
    for j in range(k):
        trainers.append(
            Trainer(loss=target.loss, stake=stakes[j], group="sybil", honest=False, model=200 + j)
        )
    return trainers, honest_validators(base)


def sc_validator_mix(base, rng):
    """Sweep scenario: four honest validators (5 bps, 55% of the stake), one
    honest on commodity hardware (25 bps), one lazy, one stale copier (15%
    each)."""
    validators = honest_validators(base)
    validators[0].noise_bps, validators[0].group = 25.0, "noisy"
    validators[1].behaviour, validators[1].group, validators[1].honest = "lazy", "lazy", False
    v2 = validators[2]
    v2.behaviour, v2.group, v2.honest = "stale_mean", "stale_mean", False
    set_shares(validators, [([0], 0.15), ([1], 0.15), ([2], 0.15)], rng)
    return honest_trainers(base), validators


def sc_copy_best(base, rng):
    """Sweep scenario: one near-copy plagiarist of the best model among ten
    honest trainers."""
    return sc_plagiarist(base, rng, exact=False, count=1)


def sc_split(base, rng, trainer_fraction: float):
    """All honest; stakes scaled up on one side so that trainers hold
    `trainer_fraction` of the total stake."""
    trainers, validators = sc_honest(base, rng)
    t, v = sum(x.stake for x in trainers), sum(x.stake for x in validators)
    target = trainer_fraction / (1 - trainer_fraction)  # T / S
    if t / v < target:
        for x in trainers:
            x.stake = round(x.stake * target * v / t)
    else:
        for x in validators:
            x.stake = round(x.stake * t / (target * v))
    return trainers, validators


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    build: object  # (base, rng) -> (trainers, validators)
    params: Params = Params()
    family: str = ""
    # The groups the report singles out ("role.group" or "alliance.name").
    focus: tuple[str, ...] = ()
    # A scenario on the same draws to compare each run with (paired gains).
    baseline: str = ""

    def spec(self, base: Base, rng: random.Random, params: Params | None = None) -> RunSpec:
        trainers, validators = self.build(base, rng)
        # Join order at random, so that no group owes anything to its place.
        rng.shuffle(trainers)
        rng.shuffle(validators)
        return RunSpec(trainers, validators, list(base.prior), params or self.params)


def _s(name, title, build, family, *focus, baseline=""):
    return Scenario(name, title, build, Params(), family, tuple(focus), baseline)


def scenarios() -> list[Scenario]:
    out = [
        _s("honest", "All honest (noise 5 bps)", sc_honest, "baseline"),
        _s(
            "lazy",
            "2 lazy validators score at random",
            lambda b, r: sc_cheating_validators(b, r, "lazy"),
            "validators",
            "validator.lazy",
        ),
        _s(
            "stale_mean",
            "2 copiers commit the previous task's mean",
            lambda b, r: sc_cheating_validators(b, r, "stale_mean"),
            "validators",
            "validator.stale_mean",
        ),
        _s(
            "stale_shuffle",
            "2 copiers deal out the previous task's scores",
            lambda b, r: sc_cheating_validators(b, r, "stale_shuffle"),
            "validators",
            "validator.stale_shuffle",
        ),
        _s(
            "noisy_near",
            "3 honest validators at 50 bps noise (= tolerance)",
            lambda b, r: sc_noisy(b, r, 50.0),
            "noise",
            "validator.noisy",
        ),
        _s(
            "noisy_above",
            "3 honest validators at 100 bps noise (2x tolerance)",
            lambda b, r: sc_noisy(b, r, 100.0),
            "noise",
            "validator.noisy",
        ),
        _s(
            "biased",
            "3 honest validators with a +75 bps platform bias",
            lambda b, r: sc_noisy(b, r, HONEST_NOISE_BPS, bias_bps=75.0, group="biased"),
            "noise",
            "validator.biased",
        ),
        _s(
            "coalition_control",
            "No coalition (the worst trainer marked)",
            lambda b, r: sc_coalition(b, r, 0, "blatant"),
            "coalition",
            "trainer.promoted",
            "alliance.coalition",
        ),
    ]
    for strategy in ("blatant", "subtle"):
        for fraction in COALITION_MEMBERS:
            pct = round(fraction * 100)
            out.append(
                _s(
                    f"coalition_{strategy}_{pct}",
                    f"Coalition {pct}% ({strategy}) promotes the worst model",
                    lambda b, r, f=fraction, s=strategy: sc_coalition(b, r, f, s),
                    "coalition",
                    "validator.coalition",
                    "trainer.promoted",
                    "alliance.coalition",
                    baseline="coalition_control",
                )
            )
    out += [
        _s(
            "plagiarist_exact",
            "2 plagiarists reveal the best model's hash",
            lambda b, r: sc_plagiarist(b, r, exact=True),
            "trainers",
            "trainer.plagiarist",
        ),
        _s(
            "plagiarist_near",
            "2 plagiarists reveal a re-saved copy (new hash)",
            lambda b, r: sc_plagiarist(b, r, exact=False),
            "trainers",
            "trainer.plagiarist",
        ),
    ]
    for position, where in ((0, "best"), (4, "mid")):
        for k in (1, 2, 4, 8):
            out.append(
                _s(
                    f"sybil_{where}_k{k}",
                    f"Sybil ({where} model) over {k} address{'es' if k > 1 else ''}",
                    lambda b, r, k=k, p=position: sc_sybil(b, r, k, p),
                    "sybil",
                    "trainer.sybil",
                    baseline=f"sybil_{where}_k1",
                )
            )
    return out


SWEEP_SCENARIOS = [
    Scenario(
        "validator_mix",
        "Lazy, stale and noisy validators",
        sc_validator_mix,
        focus=("validator.noisy", "validator.lazy", "validator.stale_mean"),
    ),
    Scenario(
        "sybil_best",
        "The best model split over 4 addresses",
        lambda b, r: sc_sybil(b, r, k=4, position=0),
        focus=("trainer.sybil",),
        baseline="sybil_best_single",
    ),
    Scenario(
        "sybil_best_single",
        "The same trainer on one address (baseline)",
        lambda b, r: sc_sybil(b, r, k=1, position=0),
        focus=("trainer.sybil",),
    ),
    Scenario(
        "copy_best",
        "A near-copy of the best model",
        sc_copy_best,
        focus=("trainer.plagiarist",),
    ),
]

NOISE_LEVELS = [0.0, 5.0, 10.0, 25.0, 50.0, 100.0, 200.0, 400.0]


SPLIT_FRACTIONS = [0.2, 0.4, 0.6, 0.8]
SPLIT_GAMMAS = [0.0, 0.1, 0.2, 0.3, 0.5]


def split_scenario(trainer_fraction: float) -> Scenario:
    return Scenario(
        f"split_{trainer_fraction:g}",
        f"All honest, trainers hold {trainer_fraction:.0%} of the stake",
        lambda b, r: sc_split(b, r, trainer_fraction),
    )


def noise_scenario(noise_bps: float) -> Scenario:
    return Scenario(
        f"noise_{noise_bps:g}",
        f"All validators at {noise_bps:g} bps",
        lambda b, r: sc_honest(b, r, noise_bps),
    )


# ---------------------------------------------------------------------------
# Per-run metrics
# ---------------------------------------------------------------------------


def _group_stats(role, members, rewards, slashed, stakes, out, trust=None):
    role_reward = sum(rewards)
    role_stake = sum(stakes)
    groups = sorted({m.group for m in members})
    ref = [i for i, m in enumerate(members) if m.group == "honest"]
    ref_return = share(sum(rewards[i] for i in ref), sum(stakes[i] for i in ref)) if ref else NAN
    for g in groups:
        idx = [i for i, m in enumerate(members) if m.group == g]
        r = sum(rewards[i] for i in idx)
        s = sum(stakes[i] for i in idx)
        key = f"{role}.{g}"
        rs, ss = share(r, role_reward), share(s, role_stake)
        out[f"{key}.reward_share"] = rs
        out[f"{key}.stake_share"] = ss
        out[f"{key}.advantage"] = advantage(rs, ss)
        out[f"{key}.return_pct"] = 100 * (r - sum(slashed[i] for i in idx)) / s
        # Reward per token staked, over the plain honest group's of the role.
        out[f"{key}.relative"] = (
            (r / s) / ref_return if ref_return == ref_return and ref_return > 0 else NAN
        )
        if trust is not None:
            out[f"{key}.trust"] = sum(trust[i] for i in idx) / len(idx)


# ---------------------------------------------------------------------------
# Counterfactual rules (off-chain, on the chain's own consensus values)
# ---------------------------------------------------------------------------

# A validator is flagged when one of its scores lies further than this many
# tolerances from the consensus (or calls valid what the consensus calls
# invalid, or the reverse): the detection side of a "slash outliers" rule.
FLAG_FACTOR = 10


def flagged(scores: list[int], o: Outcome, tolerance_bps: int) -> bool:
    for i, c in enumerate(o.trainer_consensus):
        if o.trainer_disqualified[i]:
            continue  # the contract ignores these entries
        s = scores[i]
        if c == INVALID_SCORE or s == INVALID_SCORE:
            if s != c:
                return True
        elif abs(s - c) * BPS > FLAG_FACTOR * tolerance_bps * c:
            return True
    return False


def tied_rank_rewards(spec: RunSpec, o: Outcome) -> list[float]:
    """Trainer rewards if submissions within the tolerance of each other
    shared a rank: valid submissions sorted by consensus, a new rank starting
    only past (1 + tolerance) x the first consensus of the current rank; the
    same R_train, weights q^rank x stake. A model of a possible rule, not
    what the contract does."""
    valid = [i for i, r in enumerate(o.trainer_rank) if r is not None]
    order = sorted(valid, key=lambda i: (o.trainer_rank[i], o.trainer_consensus[i]))
    tol = spec.params.tolerance_bps
    rank, anchor = -1, None
    tied: dict[int, int] = {}
    for i in order:
        c = o.trainer_consensus[i]
        if anchor is None or (c - anchor) * BPS > tol * anchor:
            rank, anchor = rank + 1, c
        tied[i] = rank
    weights = {i: spec.params.q ** tied[i] * spec.trainers[i].stake for i in valid}
    total = sum(weights.values())
    return [
        o.train_pool * weights[i] / total if i in weights else 0.0
        for i in range(len(spec.trainers))
    ]


def run_metrics(spec: RunSpec, o: Outcome) -> dict[str, float]:
    """The per-run numbers (see docs/fairness.md for each definition)."""
    tr, va = spec.trainers, spec.validators
    m: dict[str, float] = {}
    t_stake = [t.stake for t in tr]
    v_stake = [v.stake for v in va]

    originals = [i for i, t in enumerate(tr) if t.original]
    quality = [-tr[i].loss for i in originals]
    m["rho_reward"] = spearman(quality, [o.trainer_reward[i] for i in originals])
    m["rho_reward_per_stake"] = spearman(
        quality, [o.trainer_reward[i] / tr[i].stake for i in originals]
    )
    unranked = len(tr)
    m["rho_rank"] = spearman(
        [tr[i].loss for i in originals],
        [unranked if o.trainer_rank[i] is None else o.trainer_rank[i] for i in originals],
    )
    best_loss = min(tr[i].loss for i in originals)
    # Rank 0 may be shared (submissions within the tolerance of the best):
    # the best model counts as first when it is among them.
    first = [i for i, r in enumerate(o.trainer_rank) if r == 0]
    m["top1"] = float(any(tr[i].original and tr[i].loss == best_loss for i in first))

    honest_t = [i for i, t in enumerate(tr) if t.honest]
    honest_v = [j for j, v in enumerate(va) if v.honest]
    m["gini_trainers"] = gini([o.trainer_reward[i] for i in honest_t])
    m["gini_validators"] = gini([o.validator_reward[j] for j in honest_v])
    m["gini_validators_per_stake"] = gini([o.validator_reward[j] / va[j].stake for j in honest_v])
    m["trust_honest"] = (
        sum(o.validator_trust[j] for j in honest_v) / len(honest_v) if honest_v else NAN
    )

    paid_t, paid_v = sum(o.trainer_reward), sum(o.validator_reward)
    distributable = o.reward - o.fee
    m["paid_frac"] = (paid_t + paid_v) / distributable
    m["train_frac"] = share(paid_t, paid_t + paid_v)
    ht_ret = share(sum(o.trainer_reward[i] for i in honest_t), sum(t_stake[i] for i in honest_t))
    hv_ret = share(sum(o.validator_reward[j] for j in honest_v), sum(v_stake[j] for j in honest_v))
    t_total, v_total = sum(t_stake), sum(v_stake)
    m["trainer_stake_frac"] = t_total / (t_total + v_total)
    m["pool_return_ratio"] = (
        (o.train_pool / t_total) / (o.validator_pool / v_total) if o.validator_pool else NAN
    )
    m["trainer_vs_validator_return"] = (
        NAN if math.isnan(ht_ret) or math.isnan(hv_ret) or hv_ret == 0 else ht_ret / hv_ret
    )

    _group_stats("trainer", tr, o.trainer_reward, o.trainer_slashed, t_stake, m)
    _group_stats(
        "validator", va, o.validator_reward, o.validator_slashed, v_stake, m, o.validator_trust
    )

    alliances = sorted({a.alliance for a in (*tr, *va) if a.alliance})
    total_reward = paid_t + paid_v
    total_stake = sum(t_stake) + sum(v_stake)
    for a in alliances:
        r = sum(o.trainer_reward[i] for i, t in enumerate(tr) if t.alliance == a)
        r += sum(o.validator_reward[j] for j, v in enumerate(va) if v.alliance == a)
        s = sum(t.stake for t in tr if t.alliance == a) + sum(
            v.stake for v in va if v.alliance == a
        )
        rs, ss = share(r, total_reward), share(s, total_stake)
        m[f"alliance.{a}.reward_share"] = rs
        m[f"alliance.{a}.stake_share"] = ss
        m[f"alliance.{a}.advantage"] = advantage(rs, ss)

    for i, t in enumerate(tr):
        if t.group == "promoted":
            m["promoted_rank0"] = float(o.trainer_rank[i] == 0)
    if any(t.group == "plagiarist" for t in tr):
        plag = [i for i, t in enumerate(tr) if t.group == "plagiarist"]
        m["plagiarist_disqualified"] = sum(o.trainer_disqualified[i] for i in plag) / len(plag)
        best_orig = min(originals, key=lambda i: tr[i].loss)
        rank_best = o.trainer_rank[best_orig]
        m["plagiarist_outranks_original"] = float(
            any(
                o.trainer_rank[i] is not None
                and (rank_best is None or o.trainer_rank[i] < rank_best)
                for i in plag
            )
        )

    # Detection by the outlier rule, per validator group (honest groups:
    # its false positives).
    tol = spec.params.tolerance_bps
    for g in sorted({v.group for v in va}):
        members = [j for j, v in enumerate(va) if v.group == g]
        hits = [flagged(o.validator_scores[j], o, tol) for j in members]
        m[f"validator.{g}.flagged"] = sum(hits) / len(members)

    # The tied-rank counterfactual, on the same consensus values.
    cf = tied_rank_rewards(spec, o)
    m["cf.rho_reward_per_stake"] = spearman(quality, [cf[i] / tr[i].stake for i in originals])
    m["cf.gini_trainers"] = gini([cf[i] for i in honest_t])
    for g in sorted({t.group for t in tr}):
        idx = [i for i, t in enumerate(tr) if t.group == g]
        rs = share(sum(cf[i] for i in idx), sum(cf))
        m[f"cf.trainer.{g}.reward_share"] = rs
        m[f"cf.trainer.{g}.advantage"] = advantage(
            rs, share(sum(t_stake[i] for i in idx), sum(t_stake))
        )
    return m
