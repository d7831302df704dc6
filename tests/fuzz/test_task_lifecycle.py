"""Stateful fuzz of whole task lifecycles, held against support/oracle.py.

Each example is one task on a fresh deployment (token + staking + task
manager): 1-10 trainers and 1-6 validators, each an operator with its own pool
(random own stake and commission) and 0-3 delegators, random reward terms
(gamma, q, fee, tolerance, slashes, staking's max slash, delegation weight
and minimum pool stake), and a plan per participant:

- trainer: honest, never commits, never reveals, reveals with a wrong salt
  first (which must revert) then for real or never, copies another trainer's
  model hash under its own salt (plagiarism), or commits a decoy, then its
  model, then the same commitment again (the commit block must follow the
  last change only); each model has a hidden true quality or is broken;
- validator: honest (scores around the true quality, with its own noise),
  random scores, INVALID everywhere, one constant score, never commits,
  commits but never reveals, or first reveals a wrong-length score list
  (which must revert);
- creator: reveals the eval set, or not (the task is cancelled).

Rules: `act` performs one planned action available in the current phase
(join, commit, reveal, eval reveal, score commit/reveal, one finalize step,
a claim by a random caller, cancel); time jumps (random or to a deadline +-1
second) and blocks passing; delegators delegating more (the stake waits for
activation while the pool is locked) or trying to withdraw (their waiting
stake first, then never more than the pool's unlocked stake); `misbehave`
makes a call the phase or the caller forbids and checks the exact revert
reason.

After every step:
1. Conservation, exact: the token's supply is constant and is held by the
   addresses the test created; tasks(id).balance == the ghost's, held by
   the task manager until the task is settled or cancelled and prepaid in
   staking (staking.prepaid(task manager)) from then on; balanceOf(staking)
   == sum(total_assets + pending + commission_owed) + total_unbonding
   + treasury_owed + prepaid; creator and treasury hold what the ghost says.
2. phase() equals the phase the ghost derives from the deadlines and flags,
   and only moves forward: 1 -> 2 -> 3 -> (4 -> 5 -> 6 -> 7) or 8; steps may
   skip phases, 8 follows only 1-3, nothing follows 7 or 8.
3. Each pool's locked stake is exactly the stake its operator has in the
   task until it claims.

At each join: a pool joins with a share of what it can lock (its unlocked
stake, at most what its operator's own stake covers at staking's
min_self_stake_bps), and a join its own stake cannot cover reverts; the
recorded stake weight is amount * (own + delegated * epsilon) / assets,
rounded down. At each model reveal: the disqualification
flags are the oracle's (the earliest commitment keeps a hash). At settlement:
consensus, ranks, trust, fee, the pots and the refund match the oracle
exactly, the refund going to the treasury (to the creator only when nobody
joined), and T and S are the weights of the trainers with a model of their
own and of the validators that revealed; every claimable payout lies in the
oracle's rounding interval (support/oracle.py derives it) and each pot pays
out at most its amount. At
each claim: the payout is the claimable amount, the stake is released and
slashed by exactly min(task slash, max_slash_bps) for a plagiarist or a
participant that did not reveal (0 otherwise; in a cancelled task a
plagiarist or a trainer that revealed nothing, the validators never), the
pool receives the payout less its commission, and a second claim reverts.
At cancellation: the creator gets the reward back less gamma of it when a
trainer revealed a model of its own (those trainers share that and the bond
by weight), and the whole reward, the bond going to the treasury, when none
did.

Teardown (liveness): the lifecycle is driven to its end by the plans, then
everybody claims in a random order; the task then holds 0 tokens, no stake is
locked, and the creator's and treasury's balances are exactly what the task's
terms and the payouts say.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import boa
from hypothesis import Phase, event, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from support import oracle
from support.arena import (
    INVALID_SCORE,
    PHASE_CANCELLED,
    PHASE_EVAL_REVEAL,
    PHASE_FINALIZE,
    PHASE_FINALIZED,
    PHASE_MODEL_REVEAL,
    PHASE_SCORE_COMMIT,
    PHASE_SCORE_REVEAL,
    PHASE_SUBMIT,
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    Arena,
    TaskTerms,
    h,
    model_commitment,
    score_commitment,
)
from support.constants import GENESIS_SUPPLY, MAX_COMMISSION_BPS, WAD

BPS = 10_000
MAX_UINT = 2**256 - 1
MAX_SLASH_CEILING_BPS = 5_000  # Staking's bound on max_slash_bps
MAX_TOLERANCE_BPS = 1_000  # the task manager's bound on a task's tolerance
TASK = 1  # one task per example
# The task manager's stage once a task is settled (4) or cancelled (5).
STAGE_DONE = 4

# Phases that may follow each phase (steps can skip phases, never go back).
NEXT_PHASES = {
    PHASE_SUBMIT: {1, 2, 3, 8},
    PHASE_MODEL_REVEAL: {2, 3, 8},
    PHASE_EVAL_REVEAL: {3, 4, 8},
    PHASE_SCORE_COMMIT: {4, 5, 6},
    PHASE_SCORE_REVEAL: {5, 6},
    PHASE_FINALIZE: {6, 7},
    PHASE_FINALIZED: {7},
    PHASE_CANCELLED: {8},
}

TRAINER_PLANS = [
    "honest",
    "honest",
    "never_commits",
    "never_reveals",
    "wrong_salt",
    "wrong_salt_gives_up",
    "plagiarist",
    "plagiarist",
    "recommits",
]
VALIDATOR_PLANS = [
    "honest",
    "honest",
    "random",
    "invalid",
    "lazy",
    "never_commits",
    "never_reveals",
    "wrong_length",
]
LAZY_SCORE = 3_000


# --- scenarios ---------------------------------------------------------------------


@dataclass
class PoolPlan:
    own: int
    commission_bps: int
    delegations: list[int]
    # Join amount: this share of what the pool can lock (its unlocked stake, and
    # no more than its operator's own stake covers), at least the minimum.
    join_bps: int


@dataclass
class TrainerPlan:
    plan: str
    target: int  # whose model a plagiarist copies
    quality: int  # hidden true quality (lower is better); INVALID_SCORE: a broken model
    delay_blocks: int  # blocks mined before each of its commits
    pool: PoolPlan


@dataclass
class ValidatorPlan:
    plan: str
    noise_bps: list[int]  # per trainer (plan order)
    precision: int  # honest scores are rounded to a multiple of this: ties in consensus
    random_scores: list[int]
    pool: PoolPlan


@dataclass
class Scenario:
    trainers: list[TrainerPlan]
    validators: list[ValidatorPlan]
    reward: int
    bond: int
    min_trainer_stake: int
    min_validator_stake: int
    max_trainers: int
    max_validators: int
    durations: list[int]
    tolerance_bps: int
    gamma_wad: int
    q_wad: int
    protocol_fee_bps: int
    plagiarism_slash_bps: int
    nonreveal_slash_bps: int
    max_slash_bps: int
    delegation_weight_bps: int
    min_pool_stake: int
    creator_reveals: bool
    turns: list[int]  # order in which trainers commit when the teardown plays on
    claim_order: list[int]


def pools():
    return st.builds(
        PoolPlan,
        own=st.one_of(
            st.integers(min_value=200 * WAD, max_value=5_000 * WAD),
            st.integers(min_value=0, max_value=5_000 * WAD),
        ),
        commission_bps=st.integers(min_value=0, max_value=MAX_COMMISSION_BPS),
        delegations=st.lists(st.integers(min_value=1, max_value=5_000 * WAD), max_size=3),
        # 0: exactly the minimum stake, so that equal weights (exact half-weight
        # medians) are common.
        join_bps=st.one_of(st.just(0), st.integers(min_value=0, max_value=BPS)),
    )


# Minimum stakes: whole tokens mostly, a few wei sometimes.
stakes = st.one_of(
    st.integers(min_value=WAD, max_value=200 * WAD), st.integers(min_value=1, max_value=200 * WAD)
)


@st.composite
def scenarios(draw) -> Scenario:
    n_t = draw(st.integers(min_value=1, max_value=10), label="trainers")
    n_v = draw(st.integers(min_value=1, max_value=6), label="validators")
    trainers = []
    for k in range(n_t):
        quality = draw(st.integers(min_value=1, max_value=5))
        trainers.append(
            TrainerPlan(
                plan=draw(st.sampled_from(TRAINER_PLANS)),
                # Another trainer (itself only when alone: then it is honest).
                target=(k + draw(st.integers(min_value=1, max_value=max(1, n_t - 1)))) % n_t,
                # Few distinct qualities, so that consensus ties are common.
                quality=INVALID_SCORE if quality == 5 else quality * 1_000,
                delay_blocks=draw(st.integers(min_value=0, max_value=3)),
                pool=draw(pools()),
            )
        )
    validators = []
    for _ in range(n_v):
        noise = draw(st.one_of(st.just(0), st.integers(min_value=0, max_value=3_000)))
        validators.append(
            ValidatorPlan(
                plan=draw(st.sampled_from(VALIDATOR_PLANS)),
                precision=draw(st.sampled_from([1_000, 1, 1])),
                noise_bps=draw(
                    st.lists(
                        st.integers(min_value=-noise, max_value=noise), min_size=n_t, max_size=n_t
                    )
                ),
                random_scores=draw(
                    st.lists(
                        st.integers(min_value=0, max_value=INVALID_SCORE),
                        min_size=n_t,
                        max_size=n_t,
                    )
                ),
                pool=draw(pools()),
            )
        )
    return Scenario(
        trainers=trainers,
        validators=validators,
        reward=draw(
            st.one_of(
                st.integers(min_value=WAD, max_value=1_000_000 * WAD),
                st.integers(min_value=1, max_value=1_000_000 * WAD),
            )
        ),
        bond=draw(st.integers(min_value=0, max_value=100 * WAD)),
        min_trainer_stake=draw(stakes),
        min_validator_stake=draw(stakes),
        max_trainers=draw(st.one_of(st.just(16), st.integers(min_value=1, max_value=12))),
        max_validators=draw(st.one_of(st.just(8), st.integers(min_value=1, max_value=8))),
        durations=draw(
            st.lists(
                st.one_of(
                    st.integers(min_value=3_600, max_value=2 * 86_400),
                    st.integers(min_value=60, max_value=2 * 86_400),
                ),
                min_size=5,
                max_size=5,
            )
        ),
        tolerance_bps=draw(st.integers(min_value=0, max_value=MAX_TOLERANCE_BPS)),
        gamma_wad=draw(
            st.one_of(st.just(2 * 10**17), st.integers(min_value=0, max_value=WAD // 2))
        ),
        q_wad=draw(st.one_of(st.just(85 * 10**16), st.integers(min_value=0, max_value=WAD))),
        protocol_fee_bps=draw(st.integers(min_value=0, max_value=2_000)),
        plagiarism_slash_bps=draw(st.integers(min_value=0, max_value=BPS)),
        nonreveal_slash_bps=draw(st.integers(min_value=0, max_value=BPS)),
        max_slash_bps=draw(st.integers(min_value=0, max_value=MAX_SLASH_CEILING_BPS)),
        delegation_weight_bps=draw(
            st.one_of(st.just(BPS), st.integers(min_value=0, max_value=BPS))
        ),
        # Mostly none, so that dust pools join as well; sometimes staking's
        # default of 1 ARENA or more (its own tests: test_dust_pool.py).
        min_pool_stake=draw(
            st.one_of(
                st.just(0),
                st.just(0),
                st.just(WAD),
                st.integers(min_value=0, max_value=1_000 * WAD),
            )
        ),
        creator_reveals=draw(st.sampled_from([True, True, True, True, False])),
        turns=draw(st.permutations(range(n_t))),
        claim_order=draw(st.permutations(range(n_t + n_v))),
    )


# --- the ghost --------------------------------------------------------------------


@dataclass
class Person:
    """A trainer or validator operator, its plan and what the task knows of it."""

    name: str
    address: str
    role: int
    k: int  # index in its role's plan list
    plan: TrainerPlan | ValidatorPlan
    salt: bytes
    delegators: list[str] = field(default_factory=list)
    commitments: list[bytes] = field(default_factory=list)  # planned, in order
    reveals: list[str] = field(default_factory=list)  # planned reveal attempts
    # On chain (ghost).
    joined: bool = False
    refused: bool = False  # its join reverted: not a participant
    index: int = -1
    stake: int = 0
    weight: int = 0
    commits_done: int = 0
    commitment: bytes | None = None
    commit_block: int | None = None
    reveals_done: int = 0
    revealed: bool = False
    model: bytes | None = None
    scores: list[int] | None = None
    claimed: bool = False


def now() -> int:
    return boa.env.evm.patch.timestamp


def block() -> int:
    return boa.env.evm.patch.block_number


class TaskLifecycle(RuleBasedStateMachine):
    # --- set-up ------------------------------------------------------------------

    @initialize(s=scenarios())
    def deploy(self, s: Scenario):
        self.s = s
        self.clean = False
        # Each example runs on a snapshot, reverted at teardown, so the chain does
        # not grow from example to example (py-evm slows down as it does). boa's
        # pytest plugin anchors each example too; this keeps it so without it.
        self.anchor = boa.env.anchor()
        self.anchor.__enter__()
        self.arena = a = Arena()
        self.token, self.staking, self.tasks = a.token, a.staking, a.tasks
        with boa.env.prank(a.admin):
            self.tasks.set_gamma_wad(s.gamma_wad)
            self.tasks.set_q_wad(s.q_wad)
            self.tasks.set_protocol_fee_bps(s.protocol_fee_bps)
            self.tasks.set_plagiarism_slash_bps(s.plagiarism_slash_bps)
            self.tasks.set_nonreveal_slash_bps(s.nonreveal_slash_bps)
            self.tasks.set_min_creator_bond(0)
            # Any terms, dust and single slots included: the floors on new
            # tasks have tests of their own (test_task_floors.py).
            self.tasks.set_floors(0, 0, 0, 0)
            self.staking.set_max_slash_bps(s.max_slash_bps)
            self.staking.set_delegation_weight_bps(s.delegation_weight_bps)
            self.staking.set_min_pool_stake(s.min_pool_stake)
        self.min_self_stake_bps = self.staking.min_self_stake_bps()
        self.min_pool_stake = s.min_pool_stake
        note(
            f"terms: reward {s.reward}, bond {s.bond}, gamma {s.gamma_wad}, q {s.q_wad}, "
            f"fee {s.protocol_fee_bps} bps, tolerance {s.tolerance_bps} bps, slashes "
            f"{s.plagiarism_slash_bps}/{s.nonreveal_slash_bps} bps (max {s.max_slash_bps}), "
            f"epsilon {s.delegation_weight_bps} bps, caps {s.max_trainers}/{s.max_validators}, "
            f"min pool stake {s.min_pool_stake}"
        )

        self.creator = a.actor("creator", s.reward + s.bond + WAD)
        self.outsider = a.actor("outsider", 1_000 * WAD)
        self.names = {
            self.creator: "creator",
            self.outsider: "outsider",
            a.treasury: "treasury",
            a.admin: "admin",
            a.bank: "bank",
        }
        self.people: list[Person] = []
        self.delegators: list[tuple[str, Person]] = []
        for role, plans in ((ROLE_TRAINER, s.trainers), (ROLE_VALIDATOR, s.validators)):
            for k, plan in enumerate(plans):
                self.people.append(self._open(role, k, plan))

        self.terms = TaskTerms(
            reward=s.reward,
            bond=s.bond,
            min_trainer_stake=s.min_trainer_stake,
            min_validator_stake=s.min_validator_stake,
            max_trainers=s.max_trainers,
            max_validators=s.max_validators,
            submit_duration=s.durations[0],
            reveal_duration=s.durations[1],
            eval_duration=s.durations[2],
            score_commit_duration=s.durations[3],
            score_reveal_duration=s.durations[4],
            tolerance_bps=s.tolerance_bps,
        )
        self.creator_start = self.token.balanceOf(self.creator)
        assert a.create(self.creator, self.terms) == TASK
        self.deadlines = a.deadlines(TASK)

        # Ghost of the task.
        self.wallet = {self.creator: self.creator_start - s.reward - s.bond, a.treasury: 0}
        self.task_balance = s.reward + s.bond
        self.eval_revealed = False
        self.cancelled = False
        self.finalized = False
        self.finalize_calls = 0
        self.settlement: oracle.Settlement | None = None
        self.fee = 0
        self.settlement_refund = 0  # what the settlement did not pay out
        self.dust = 0  # the rounding dust of the last claim
        self.paid = 0  # rewards paid by claims
        self.slashed = 0
        self.phase_seen = PHASE_SUBMIT
        # (holder, pool) of every withdrawal that reserved locked stake.
        self.reservations: set[tuple[str, str]] = set()
        self.passive = {
            x: self.token.balanceOf(x) for x in self.names if x not in (self.creator, a.treasury)
        }
        note(f"creator posts task {TASK}: {self._plans()}")

    def _open(self, role: int, k: int, plan) -> Person:
        kind = "trainer" if role == ROLE_TRAINER else "validator"
        name = f"{kind}{k}"
        pool = plan.pool
        address = self.arena.actor(name, pool.own + 1_000 * WAD)
        with boa.env.prank(address):
            self.staking.open_pool(pool.commission_bps, pool.own)
        person = Person(name, address, role, k, plan, h(f"salt {name}"))
        self.names[address] = name
        for amount in pool.delegations:
            d = f"delegator{len(self.delegators)}"
            holder = self.arena.actor(d, amount + 100_000 * WAD)
            with boa.env.prank(holder):
                self.staking.delegate(address, amount)
            self.names[holder] = d
            person.delegators.append(holder)
            self.delegators.append((holder, person))
        if role == ROLE_TRAINER:
            own, copied = h(f"model {k}"), h(f"model {plan.target}")
            person.commitments = {
                "never_commits": [],
                "plagiarist": [copied],
                "recommits": [h(f"decoy {k}"), own, own],
            }.get(plan.plan, [own])
            person.reveals = {
                "never_commits": [],
                "never_reveals": [],
                "wrong_salt": ["wrong", "right"],
                "wrong_salt_gives_up": ["wrong"],
            }.get(plan.plan, ["right"])
        else:
            person.commitments = [] if plan.plan == "never_commits" else [b"scores"]
            person.reveals = {
                "never_commits": [],
                "never_reveals": [],
                "wrong_length": ["wrong", "right"],
            }.get(plan.plan, ["right"])
        return person

    def _plans(self) -> str:
        parts = []
        for p in self.people:
            extra = ""
            if p.role == ROLE_TRAINER:
                q = p.plan.quality
                extra = f" quality {'broken' if q == INVALID_SCORE else q}"
                if p.plan.plan == "plagiarist":
                    extra += f" copies trainer{p.plan.target}"
            parts.append(
                f"{p.name} {p.plan.plan}{extra} (own {p.plan.pool.own}, "
                f"{len(p.delegators)} delegators, {p.plan.pool.commission_bps} bps)"
            )
        return "; ".join(parts) + ("" if self.s.creator_reveals else "; creator never reveals")

    # --- helpers -----------------------------------------------------------------

    def _story(self, line: str) -> None:
        self.clean = False
        note(line)

    def _reverts(self, reason: str, sender: str, fn, *args) -> None:
        event(f"reverts: {reason}")
        note(f"  -> reverts: {reason}")
        with boa.reverts(reason), boa.env.prank(sender):
            fn(*args)

    def _phase(self) -> int:
        """The phase docs/tasks.md derives from the deadlines and the flags."""
        d, t = self.deadlines, now()
        if self.cancelled:
            return PHASE_CANCELLED
        if t < d["submit_end"]:
            return PHASE_SUBMIT
        if t < d["reveal_end"]:
            return PHASE_MODEL_REVEAL
        if not self.eval_revealed:
            return PHASE_EVAL_REVEAL if t < d["eval_end"] else PHASE_CANCELLED
        if t < d["score_commit_end"]:
            return PHASE_SCORE_COMMIT
        if t < d["score_reveal_end"]:
            return PHASE_SCORE_REVEAL
        return PHASE_FINALIZED if self.finalized else PHASE_FINALIZE

    def _joined(self, role: int) -> list[Person]:
        return sorted(
            (p for p in self.people if p.joined and p.role == role), key=lambda p: p.index
        )

    def _quality(self, trainer: Person) -> int:
        plan = trainer.plan
        if plan.plan == "plagiarist":
            return self.s.trainers[plan.target].quality
        return plan.quality

    def _scores_of(self, v: Person) -> list[int]:
        """What `v` scores each trainer (join order) by its plan."""
        plan = v.plan
        out = []
        for t in self._joined(ROLE_TRAINER):
            if plan.plan == "random":
                out.append(plan.random_scores[t.k])
            elif plan.plan == "invalid":
                out.append(INVALID_SCORE)
            elif plan.plan == "lazy":
                out.append(LAZY_SCORE)
            else:
                quality = self._quality(t)
                if quality == INVALID_SCORE:
                    out.append(INVALID_SCORE)
                else:
                    noisy = quality * (BPS + plan.noise_bps[t.k]) // BPS
                    step = plan.precision
                    out.append((noisy + step // 2) // step * step)
        return out

    def _next_deadline(self) -> int | None:
        later = [d for d in self.deadlines.values() if d > now()]
        return min(later) if later else None

    # --- the planned actions ----------------------------------------------------

    def _pending(self) -> list[tuple[str, object]]:
        """(label, action) for every planned action the current phase allows."""
        phase = self._phase()
        out = []
        if phase == PHASE_SUBMIT:
            for p in self.people:
                if not p.joined and not p.refused:
                    out.append((f"{p.name} joins", lambda p=p: self._join(p)))
            for k in self.s.turns:
                p = self.people[k]
                if p.joined and p.commits_done < len(p.commitments):
                    out.append((f"{p.name} commits", lambda p=p: self._commit_model(p)))
        elif phase == PHASE_MODEL_REVEAL:
            for p in self._joined(ROLE_TRAINER):
                if p.commitment and not p.revealed and p.reveals_done < len(p.reveals):
                    out.append((f"{p.name} reveals", lambda p=p: self._reveal_model(p)))
        elif phase == PHASE_EVAL_REVEAL:
            if self.s.creator_reveals:
                out.append(("creator reveals the eval set", self._reveal_eval))
        elif phase == PHASE_SCORE_COMMIT:
            for p in self._joined(ROLE_VALIDATOR):
                if p.commits_done < len(p.commitments):
                    out.append((f"{p.name} commits scores", lambda p=p: self._commit_scores(p)))
        elif phase == PHASE_SCORE_REVEAL:
            for p in self._joined(ROLE_VALIDATOR):
                if p.commitment and not p.revealed and p.reveals_done < len(p.reveals):
                    out.append((f"{p.name} reveals scores", lambda p=p: self._reveal_scores(p)))
        elif phase == PHASE_FINALIZE:
            out.append(("finalize step", self._finalize))
        else:
            for i in self.s.claim_order:
                p = self.people[i]
                if p.joined and not p.claimed:
                    out.append((f"claim for {p.name}", lambda p=p: self._claim(p, p.address)))
            if phase == PHASE_CANCELLED and not self.cancelled:
                out.append(("cancel", self._cancel))
        return out

    def _join(self, p: Person) -> None:
        s = self.s
        trainer = p.role == ROLE_TRAINER
        pool = self.staking.pools(p.address)
        # A pool joins once and stays locked until its claim: nothing of it
        # waits for activation yet, so its stake is all shares.
        assert pool.locked == pool.pending == 0
        unlocked = pool.total_assets - pool.locked
        own = self.staking.assets_of(p.address, p.address)
        # Most the operator's own stake lets the pool lock (min_self_stake_bps).
        lockable = unlocked
        if self.min_self_stake_bps:
            lockable = min(unlocked, own * BPS // self.min_self_stake_bps - pool.locked)
        minimum = s.min_trainer_stake if trainer else s.min_validator_stake
        amount = max(minimum, lockable * p.plan.pool.join_bps // BPS)
        self._story(f"{p.name} joins with {amount} (unlocked {unlocked}, own {own})")
        cap = s.max_trainers if trainer else s.max_validators
        if len(self._joined(p.role)) >= cap:
            reason = f"task: {'trainer' if trainer else 'validator'} slots are full"
        elif pool.total_assets < self.min_pool_stake:
            reason = "staking: pool stake below the minimum"
        elif amount > unlocked:
            reason = "staking: not enough unlocked stake"
        elif own * BPS < (pool.locked + amount) * self.min_self_stake_bps:
            reason = "staking: operator's own stake too low for this lock"
        else:
            reason = None
        if reason:
            p.refused = True
            self._reverts(reason, p.address, self.tasks.join, TASK, p.role, amount)
            return
        assets = pool.total_assets
        effective = own + (assets - own) * s.delegation_weight_bps // BPS
        weight = amount * effective // assets
        self.arena.join(TASK, p.address, p.role, amount)
        p.joined, p.index, p.stake, p.weight = True, len(self._joined(p.role)), amount, weight
        record = self.tasks.participant(TASK, p.address)
        assert (record.role, record.index, record.stake) == (p.role, p.index, amount)
        assert record.weight == weight, (record.weight, weight)
        assert self.staking.pools(p.address).locked == pool.locked + amount
        note(f"  -> index {p.index}, weight {weight}")

    def _commit_model(self, p: Person) -> None:
        model = p.commitments[p.commits_done]
        commitment = model_commitment(model, p.address, p.salt)
        p.commits_done += 1
        if p.plan.delay_blocks:
            # Blocks only (no time): commit order then differs from join order without
            # the delays pushing commits past the submit deadline.
            note(f"{p.plan.delay_blocks} blocks are mined")
            boa.env.evm.patch.block_number += p.plan.delay_blocks
        self._story(f"{p.name} commits to a model (commit {p.commits_done}, block {block()})")
        self.arena.commit_model(TASK, p.address, model, p.salt)
        if commitment != p.commitment:
            p.commitment, p.commit_block = commitment, block()
        else:
            note("  -> same commitment: the commit block stays")
        record = self.tasks.participant(TASK, p.address)
        assert record.committed and record.commit_block == p.commit_block

    def _reveal_model(self, p: Person) -> None:
        attempt = p.reveals[p.reveals_done]
        p.reveals_done += 1
        # The model of the last commitment it made (a recommitting trainer may
        # have run out of time after its decoy).
        model = p.commitments[p.commits_done - 1]
        if attempt == "wrong":
            self._story(f"{p.name} reveals its model with a wrong salt")
            self._reverts(
                "task: reveal does not match commitment",
                p.address,
                self.tasks.reveal_model,
                TASK,
                model,
                "file:///wrong",
                h("wrong salt"),
            )
            return
        self._story(f"{p.name} reveals its model")
        self.arena.reveal_model(TASK, p.address, model, p.salt)
        p.revealed, p.model = True, model
        # The oracle's plagiarism rule over the models revealed so far.
        trainers = self._joined(ROLE_TRAINER)
        expected = oracle.disqualified([self._oracle_trainer(t) for t in trainers])
        for t, out in zip(trainers, expected, strict=True):
            assert self.tasks.participant(TASK, t.address).disqualified == out, t.name
            if out and t is p:
                event("plagiarist disqualified at reveal")
                note(f"  -> {p.name} is disqualified")
        keeper = self.tasks.model_owner(TASK, model)
        assert not expected[[t.address for t in trainers].index(keeper)]

    def _reveal_eval(self) -> None:
        self._story("creator reveals the eval set")
        self.arena.reveal_eval(TASK, self.creator, self.terms)
        self.eval_revealed = True
        self.task_balance -= self.s.bond
        self.wallet[self.creator] += self.s.bond

    def _commit_scores(self, p: Person) -> None:
        p.scores = self._scores_of(p)
        p.commits_done += 1
        self._story(f"{p.name} commits scores {p.scores}")
        self.arena.commit_scores(TASK, p.address, p.scores, p.salt)
        p.commitment = score_commitment(p.scores, p.address, p.salt)

    def _reveal_scores(self, p: Person) -> None:
        attempt = p.reveals[p.reveals_done]
        p.reveals_done += 1
        if attempt == "wrong":
            self._story(f"{p.name} reveals one score too many")
            self._reverts(
                "task: one score per trainer expected",
                p.address,
                self.tasks.reveal_scores,
                TASK,
                [*p.scores, 0],
                p.salt,
            )
            return
        self._story(f"{p.name} reveals its scores")
        self.arena.reveal_scores(TASK, p.address, p.scores, p.salt)
        p.revealed = True

    def _finalize(self) -> None:
        self._story("finalize step")
        treasury, creator = self.arena.treasury, self.creator
        before = (self.token.balanceOf(treasury), self.token.balanceOf(creator))
        with boa.env.prank(self.outsider):
            done = self.tasks.finalize(TASK)
        self.finalize_calls += 1
        n_t, n_v = len(self._joined(ROLE_TRAINER)), len(self._joined(ROLE_VALIDATOR))
        # Bounded steps: consensus in batches of 8, one ranking, trust in batches of 32, split.
        assert self.finalize_calls <= max(1, -(-n_t // 8)) + max(1, -(-n_v // 32)) + 2
        if not done:
            return
        self.finalized = True
        (settled,) = [e for e in self.tasks.get_logs() if type(e).__name__ == "TaskFinalized"]
        fee, refund = settled.protocol_fee, settled.refunded
        to_treasury = self.token.balanceOf(treasury) - before[0]
        to_creator = self.token.balanceOf(creator) - before[1]
        if any(p.joined for p in self.people):
            # What nobody earned goes to the treasury with the fee.
            assert (to_treasury, to_creator) == (fee + refund, 0)
        else:
            # Nobody joined: the escrow back to the creator.
            assert (to_treasury, to_creator) == (fee, refund)
        self._settled(fee, refund)

    def _cancel(self) -> None:
        self._story("anyone cancels the task")
        with boa.env.prank(self.outsider):
            self.tasks.cancel(TASK)
        self._on_cancel()
        (cancelled,) = [e for e in self.tasks.get_logs() if type(e).__name__ == "TaskCancelled"]
        assert (cancelled.refunded, cancelled.trainer_share) == self.cancel_split

    def _on_cancel(self) -> None:
        """The task turns cancelled: the reward goes back to the creator."""
        self.cancelled = True
        event(
            "cancelled: "
            + ("the creator missed the eval reveal" if self.s.creator_reveals else "by plan")
        )
        pot, _ = oracle.cancelled_split(
            self._oracle_terms(), [self._oracle_trainer(t) for t in self._joined(ROLE_TRAINER)]
        )
        refunded = self.s.reward + self.s.bond - pot if pot else self.s.reward
        self.cancel_split = (refunded, pot)
        self.task_balance -= refunded
        self.wallet[self.creator] += refunded
        if pot == 0:
            # No trainer revealed a model of its own: the bond goes to the
            # treasury.
            self.wallet[self.arena.treasury] += self.s.bond
            self.task_balance -= self.s.bond

    # --- settlement ----------------------------------------------------------------

    def _oracle_trainer(self, t: Person) -> oracle.Trainer:
        return oracle.Trainer(t.weight, t.stake, t.commit_block, t.model if t.revealed else None)

    def _oracle_validator(self, v: Person) -> oracle.Validator:
        return oracle.Validator(v.weight, v.stake, tuple(v.scores) if v.revealed else None)

    def _settled(self, fee: int, refund: int) -> None:
        trainers, validators = self._joined(ROLE_TRAINER), self._joined(ROLE_VALIDATOR)
        o = oracle.settle(
            self._oracle_terms(),
            [self._oracle_trainer(t) for t in trainers],
            [self._oracle_validator(v) for v in validators],
        )
        self._check_settlement(o, trainers, validators, fee, refund)

    def _oracle_terms(self) -> oracle.Terms:
        s = self.s
        return oracle.Terms(
            reward=s.reward,
            protocol_fee_bps=s.protocol_fee_bps,
            gamma_wad=s.gamma_wad,
            q_wad=s.q_wad,
            tolerance_bps=s.tolerance_bps,
            bond=s.bond,
            plagiarism_slash_bps=s.plagiarism_slash_bps,
            nonreveal_slash_bps=s.nonreveal_slash_bps,
            max_slash_bps=s.max_slash_bps,
        )

    def _check_settlement(
        self,
        o: oracle.Settlement,
        trainers: list[Person],
        validators: list[Person],
        fee: int,
        refund: int,
    ) -> None:
        self.settlement = o
        task = self.tasks.tasks(TASK)
        note(
            f"  -> settled: consensus {o.consensus}, ranks {o.ranks}, "
            f"trust {[str(t) for t in o.trust]}, fee {fee}, refund {refund}, "
            f"pots {task.train_reward}/{task.validator_reward}"
        )
        # For the split: T over the trainers with a model of their own, S over
        # the validators that revealed.
        assert task.trainer_weight == sum(
            t.weight for i, t in enumerate(trainers) if t.revealed and not o.disqualified[i]
        )
        assert task.validator_weight == sum(v.weight for v in validators if v.revealed)
        for i, t in enumerate(trainers):
            record = self.tasks.participant(TASK, t.address)
            assert record.disqualified == o.disqualified[i], t.name
            assert self.tasks.consensus_of(TASK, t.address) == o.consensus[i], t.name
            rank = o.ranks[i]
            assert record.rank == (MAX_UINT if rank is None else rank), t.name
        for j, v in enumerate(validators):
            assert self.tasks.trust(TASK, v.address) == o.trust[j] * WAD // 1, v.name
        outcome = (fee, refund, task.train_reward, task.validator_reward)
        assert outcome in o.outcomes(), (outcome, o.outcomes())
        ranked = [o.consensus[i] for i, r in enumerate(o.ranks) if r is not None]
        event(f"ranked trainers: {min(len(ranked), 5)}{'+' if len(ranked) >= 5 else ''}")
        if len(set(ranked)) < len(ranked):
            event("a consensus tie, broken by commit order")
        event("trainer pot paid" if task.train_reward else "trainer pot refunded")
        event("validator pot paid" if task.validator_reward else "validator pot refunded")
        self.fee = fee
        self.settlement_refund = refund
        self.wallet[self.arena.treasury] += fee
        if trainers or validators:
            self.wallet[self.arena.treasury] += refund
        else:
            self.wallet[self.creator] += refund
        self.task_balance -= fee + refund
        if not trainers and not validators:
            return
        # Every payout within the oracle's rounding interval; pots never overpay.
        paid = {}
        for people, shares in ((trainers, o.trainers), (validators, o.validators)):
            for p, share in zip(people, shares, strict=True):
                value = self.tasks.claimable(TASK, p.address)
                assert share.admits(value), (p.name, value, share)
                paid[p.name] = value
                if value > share.exact:
                    event("a payout above its exact value (others lost more to rounding)")
        assert sum(paid[t.name] for t in trainers) <= task.train_reward
        assert sum(paid[v.name] for v in validators) <= task.validator_reward
        assert sum(paid.values()) <= self.task_balance == task.balance

    def _share(self, p: Person) -> oracle.Share:
        if self.cancelled:
            trainers, validators = oracle.cancel(
                self._oracle_terms(),
                [self._oracle_trainer(t) for t in self._joined(ROLE_TRAINER)],
                [self._oracle_validator(v) for v in self._joined(ROLE_VALIDATOR)],
            )
            return (trainers if p.role == ROLE_TRAINER else validators)[p.index]
        if p.role == ROLE_TRAINER:
            return self.settlement.trainers[p.index]
        return self.settlement.validators[p.index]

    def _claim(self, p: Person, caller: str) -> None:
        self._story(f"{self.names[caller]} claims for {p.name}")
        if self._phase() == PHASE_CANCELLED and not self.cancelled:
            note("  -> the claim cancels the task")
            self._on_cancel()
        share = self._share(p)
        pool = self.staking.pools(p.address)
        owed = self.staking.treasury_owed()
        claimable = self.tasks.claimable(TASK, p.address)
        last = sum(q.joined and not q.claimed for q in self.people) == 1
        with boa.env.prank(caller):
            paid = self.tasks.claim(TASK, p.address)
        p.claimed = True
        assert paid == claimable
        assert share.admits(paid), (p.name, paid, share)
        # The stake is released, slashed by exactly the capped rate.
        slashed = self.staking.treasury_owed() - owed
        assert slashed == share.slashed(p.stake)
        assert slashed <= p.stake * self.s.max_slash_bps // BPS
        if slashed:
            event("slashed")
        after = self.staking.pools(p.address)
        assert after.locked == pool.locked - p.stake
        assert self.staking.locked_by(p.address, self.tasks) == 0
        commission = paid if pool.total_shares == 0 else paid * pool.commission_bps // BPS
        assert after.commission_owed == pool.commission_owed + commission
        assert after.total_assets == pool.total_assets - slashed + paid - commission
        assert self.tasks.claimable(TASK, p.address) == 0
        note(f"  -> paid {paid}, slashed {slashed}")
        self.paid += paid
        self.slashed += slashed
        self.task_balance -= paid
        if last:
            dust = self.task_balance
            self.dust = dust
            receiver = self.arena.treasury if self.cancelled else self.creator
            self.wallet[receiver] += dust
            self.task_balance -= dust
            note(f"  -> last claim: {dust} wei of dust to {self.names[receiver]}")
        assert self.tasks.tasks(TASK).balance == self.task_balance

    # --- rules -----------------------------------------------------------------------

    @rule(data=st.data(), count=st.integers(min_value=1, max_value=3))
    def act(self, data, count):
        """Up to `count` planned actions of the current phase, by whom the draws pick."""
        for _ in range(count):
            pending = self._pending()
            if not pending:
                self._story(f"nothing planned in phase {self._phase()}")
                return
            pick = data.draw(st.integers(min_value=0, max_value=len(pending) - 1), label="action")
            label, action = pending[pick]
            if label.startswith("claim for"):
                # Anyone may claim for a participant: itself, the creator or an outsider.
                p = next(q for q in self.people if label == f"claim for {q.name}")
                callers = [p.address, self.creator, self.outsider]
                self._claim(p, data.draw(st.sampled_from(callers), label="caller"))
            else:
                action()

    @rule(data=st.data(), count=st.integers(min_value=1, max_value=3))
    def act_again(self, data, count):
        """The same as `act`: the lifecycle moves on more often than time jumps."""
        self.act(data, count)

    @rule(
        kind=st.sampled_from(
            # Mostly within a phase or to the next deadline; a jump of days now and then.
            ["within the phase"] * 3 + ["to a deadline"] * 2 + ["blocks"] * 2 + ["days"]
        ),
        share_bps=st.integers(min_value=0, max_value=BPS),
        offset=st.integers(min_value=-1, max_value=1),
        blocks=st.integers(min_value=1, max_value=3),
        days=st.integers(min_value=1, max_value=3 * 86_400),
    )
    def time_passes(self, kind, share_bps, offset, blocks, days):
        """Time jumps: part of what is left of the phase, to a deadline -1/0/+1
        second, a few blocks (12 s each) or up to three days."""
        target = self._next_deadline()
        if kind == "within the phase":
            left = (target - now()) if target else 86_400
            seconds = max(1, left * share_bps // BPS)
            self._story(f"{seconds}s pass ({share_bps} bps of what is left of the phase)")
            boa.env.time_travel(seconds=seconds)
        elif kind == "to a deadline" and target is not None:
            self._story(f"time jumps to the next deadline {offset:+d}s")
            self.arena.warp_to(target + offset)
        elif kind == "blocks":
            self._story(f"{blocks} blocks pass")
            boa.env.time_travel(blocks=blocks)
        else:
            self._story(f"{days}s pass")
            boa.env.time_travel(seconds=days)

    @rule(
        data=st.data(),
        withdraw=st.booleans(),
        amount=st.integers(min_value=1, max_value=1_000 * WAD),
    )
    def delegator(self, data, withdraw, amount):
        """A delegator stakes more (it waits for activation while the pool is
        locked), or asks to withdraw (its waiting stake first, then the pool's
        free stake; what is locked is reserved)."""
        if not self.delegators:
            self._story("no delegator")
            return
        i = data.draw(st.integers(min_value=0, max_value=len(self.delegators) - 1), label="who")
        holder, p = self.delegators[i]
        pool = self.staking.pools(p.address)
        if not withdraw:
            self._story(
                f"{self.names[holder]} delegates {amount} more to {p.name} (locked {pool.locked})"
            )
            assets, shares = pool.total_assets, pool.total_shares
            if pool.locked == 0 and pool.pending:
                # The pool's waiting stake becomes shares first.
                shares += pool.pending * (shares + 10**6) // (assets + 1)
                assets += pool.pending
            if amount * (shares + 10**6) // (assets + 1) == 0:
                reason = "staking: amount too small"
                self._reverts(reason, holder, self.staking.delegate, p.address, amount)
                return
            waiting = self.staking.pending_of(p.address, holder)
            with boa.env.prank(holder):
                minted = self.staking.delegate(p.address, amount)
            if pool.locked:
                event("a delegation waits for activation")
                assert minted == 0
                assert self.staking.pending_of(p.address, holder) == waiting + amount
                assert self.staking.pools(p.address).pending == pool.pending + amount
            else:
                assert minted == amount * (shares + 10**6) // (assets + 1)
                assert self.staking.pools(p.address).pending == 0
            self.passive[holder] -= amount
            return
        stake = self.staking.assets_of(p.address, holder)
        waiting = self.staking.pending_of(p.address, holder)
        booked = self.staking.reserved_of(p.address, holder)[0]
        free = pool.total_assets
        if pool.locked:
            free = max(pool.total_assets - pool.locked - pool.reserved, 0)
        amount = data.draw(st.integers(min_value=1, max_value=max(1, stake)), label="amount")
        self._story(
            f"{self.names[holder]} asks to withdraw {amount} of its {stake} from {p.name} "
            f"({waiting} of it waiting, {booked} reserved, free {free})"
        )
        # Waiting stake goes first, whole; only the rest draws on the shares,
        # less what the delegator has reserved already.
        rest = amount - min(amount, waiting)
        shares_worth = stake - waiting
        if rest > shares_worth - min(booked, shares_worth):
            reason = "staking: amount exceeds stake"
            self._reverts(reason, holder, self.staking.request_withdraw, p.address, amount)
            return
        with boa.env.prank(holder):
            self.staking.request_withdraw(p.address, amount)
        if amount > rest:
            event("a withdrawal takes waiting stake")
        assert self.staking.pending_of(p.address, holder) == waiting - (amount - rest)
        # What the free stake cannot cover is reserved: still shares, never
        # locked again, honoured once the task releases it.
        later = max(rest - free, 0)
        assert self.staking.reserved_of(p.address, holder)[0] == booked + later
        if later:
            event("a withdrawal reserves locked stake")
            self.reservations.add((holder, p.address))

    @rule(
        kind=st.sampled_from(
            [
                "join again",
                "creator joins",
                "outsider joins",
                "commit model",
                "reveal model with a wrong salt",
                "reveal scores with a wrong salt",
                "reveal eval with a wrong salt",
                "finalize",
                "claim",
                "cancel",
            ]
        ),
        data=st.data(),
    )
    def misbehave(self, kind, data):
        """A call the phase or the caller forbids: it reverts with its reason."""
        phase = self._phase()
        tasks = self.tasks
        s = self.s

        def anyone(role: int | None = None) -> Person:
            people = [p for p in self.people if role is None or p.role == role]
            return data.draw(st.sampled_from(people), label="who")

        if kind == "join again":
            p = anyone()
            self._story(f"{p.name} joins (joined: {p.joined})")
            if phase != PHASE_SUBMIT:
                reason = "task: not in the submit phase"
            elif p.joined:
                reason = "task: already joined"
            else:
                self._story("  -> not joined yet: nothing to misbehave with")
                return
            self._reverts(reason, p.address, tasks.join, TASK, p.role, WAD)
        elif kind == "creator joins":
            self._story("creator joins its own task")
            reason = (
                "task: the creator cannot join"
                if phase == PHASE_SUBMIT
                else "task: not in the submit phase"
            )
            self._reverts(reason, self.creator, tasks.join, TASK, ROLE_TRAINER, WAD)
        elif kind == "outsider joins":
            below = data.draw(st.booleans(), label="below minimum")
            amount = s.min_trainer_stake - 1 if below else s.min_trainer_stake
            self._story(f"outsider (no pool) joins as a trainer with {amount}")
            if phase != PHASE_SUBMIT:
                reason = "task: not in the submit phase"
            elif below:
                reason = "task: stake below the minimum"
            elif len(self._joined(ROLE_TRAINER)) >= s.max_trainers:
                reason = "task: trainer slots are full"
            else:
                reason = "staking: no such pool"
            self._reverts(reason, self.outsider, tasks.join, TASK, ROLE_TRAINER, amount)
        elif kind == "commit model":
            p = anyone()
            self._story(f"{p.name} commits to a model out of turn")
            if phase != PHASE_SUBMIT:
                reason = "task: not in the submit phase"
            elif not p.joined or p.role != ROLE_TRAINER:
                reason = "task: caller is not a trainer"
            else:
                self._story("  -> a trainer in the submit phase may: nothing to misbehave with")
                return
            self._reverts(reason, p.address, tasks.commit_model, TASK, h("x"))
        elif kind == "reveal model with a wrong salt":
            p = anyone(ROLE_TRAINER)
            self._story(f"{p.name} reveals a model with a wrong salt")
            if phase != PHASE_MODEL_REVEAL:
                reason = "task: not in the model reveal phase"
            elif not p.joined:
                reason = "task: caller is not a trainer"
            elif p.commitment is None:
                reason = "task: nothing committed"
            elif p.revealed:
                reason = "task: already revealed"
            else:
                reason = "task: reveal does not match commitment"
            model = p.commitments[p.commits_done - 1] if p.commits_done else h("x")
            self._reverts(reason, p.address, tasks.reveal_model, TASK, model, "", h("bad"))
        elif kind == "reveal scores with a wrong salt":
            p = anyone(ROLE_VALIDATOR)
            scores = p.scores or [0] * len(self._joined(ROLE_TRAINER))
            self._story(f"{p.name} reveals scores with a wrong salt")
            if phase != PHASE_SCORE_REVEAL:
                reason = "task: not in the score reveal phase"
            elif not p.joined:
                reason = "task: caller is not a validator"
            elif p.commitment is None:
                reason = "task: nothing committed"
            elif p.revealed:
                reason = "task: already revealed"
            else:
                reason = "task: reveal does not match commitment"
            self._reverts(reason, p.address, tasks.reveal_scores, TASK, scores, h("bad"))
        elif kind == "reveal eval with a wrong salt":
            by_creator = data.draw(st.booleans(), label="by the creator")
            caller = self.creator if by_creator else self.outsider
            self._story(f"{self.names[caller]} reveals the eval set with a wrong salt")
            if not by_creator:
                reason = "task: caller is not the creator"
            elif phase != PHASE_EVAL_REVEAL:
                reason = "task: not in the eval reveal phase"
            else:
                reason = "task: eval reveal does not match commitment"
            self._reverts(
                reason, caller, tasks.reveal_eval, TASK, self.terms.eval_hash, "", h("bad")
            )
        elif kind == "finalize":
            self._story(f"finalize in phase {phase}")
            if phase == PHASE_FINALIZE:
                self._finalize()
                return
            reason = (
                "task: already finalized"
                if phase == PHASE_FINALIZED
                else "task: scoring is not over"
            )
            self._reverts(reason, self.outsider, tasks.finalize, TASK)
        elif kind == "claim":
            options = [*self.people, None]
            p = data.draw(st.sampled_from(options), label="for")
            name = p.name if p else "outsider"
            self._story(f"claim for {name} in phase {phase}")
            if phase not in (PHASE_FINALIZED, PHASE_CANCELLED):
                reason = "task: not settled yet"
            elif p is None or not p.joined:
                reason = "task: not a participant"
            elif p.claimed:
                reason = "task: already claimed"
            else:
                self._claim(p, self.outsider)
                return
            account = p.address if p else self.outsider
            self._reverts(reason, self.outsider, tasks.claim, TASK, account)
        elif kind == "cancel":
            self._story(f"cancel in phase {phase}")
            if phase != PHASE_CANCELLED:
                reason = "task: not cancellable"
            elif self.cancelled:
                reason = "task: already cancelled"
            else:
                self._cancel()
                return
            self._reverts(reason, self.outsider, tasks.cancel, TASK)

    # --- invariants ------------------------------------------------------------------

    @invariant()
    def check(self):
        self._check_phase()
        self._check_tokens()
        self.clean = True

    def _check_phase(self):
        phase = self.tasks.phase(TASK)
        assert phase == self._phase(), (phase, self._phase())
        assert phase in NEXT_PHASES[self.phase_seen], f"phase {self.phase_seen} -> {phase}"
        self.phase_seen = phase

    def _check_tokens(self):
        """Conservation, exact, and each pool's locked stake."""
        a = self.arena
        supply = self.token.totalSupply()
        assert supply == GENESIS_SUPPLY
        # Accounts the lifecycle pays or charges are read; the others (bank,
        # operators, delegators, outsider) only move by this test's own calls,
        # so the ghost knows them (teardown reads them all).
        active = [self.creator, a.treasury, a.staking.address, a.tasks.address]
        held = sum(self.token.balanceOf(x) for x in active)
        assert held + sum(self.passive.values()) == supply
        for account, expected in self.wallet.items():
            assert self.token.balanceOf(account) == expected, self.names[account]
        task = self.tasks.tasks(TASK)
        assert task.balance == self.task_balance
        # The task's balance is in the task manager until the task is settled
        # or cancelled, and prepaid in staking from then on (claims are paid
        # from there).
        prepaid = self.staking.prepaid(self.tasks)
        settled = task.stage >= STAGE_DONE
        assert self.token.balanceOf(self.tasks) == (0 if settled else task.balance)
        assert prepaid == (task.balance if settled else 0)
        owed = self.staking.total_unbonding() + self.staking.treasury_owed() + prepaid
        for p in self.people:
            pool = self.staking.pools(p.address)
            owed += pool.total_assets + pool.pending + pool.commission_owed
            assert pool.locked == (p.stake if p.joined and not p.claimed else 0), p.name
        assert self.token.balanceOf(self.staking) == owed

    # --- liveness --------------------------------------------------------------------

    def teardown(self):
        if not hasattr(self, "anchor"):
            return
        try:
            if self.clean:  # else a step failed: hypothesis reports that failure
                self._liveness()
        finally:
            self.anchor.__exit__(None, None, None)

    def _liveness(self):
        note("teardown: play the plans to the end, then everybody claims")
        for _ in range(500):
            pending = self._pending()
            if pending:
                pending[0][1]()
            elif self._phase() in (PHASE_FINALIZED, PHASE_CANCELLED):
                break
            else:
                target = self._next_deadline()
                assert target is not None, f"stuck in phase {self._phase()}"
                note(f"time jumps to the deadline of phase {self._phase()}")
                self.arena.warp_to(target)
            self.check()
        else:
            raise AssertionError("the lifecycle did not end")
        event("finalized" if self.finalized else "cancelled")

        # Nobody is paid twice.
        for p in self.people:
            if p.joined:
                self._reverts("task: already claimed", p.address, self.tasks.claim, TASK, p.address)
        # The task holds nothing, no stake is locked.
        assert self.tasks.tasks(TASK).balance == 0
        assert self.token.balanceOf(self.tasks) == 0
        assert self.staking.prepaid(self.tasks) == 0
        for account, expected in self.passive.items():
            assert self.token.balanceOf(account) == expected, self.names[account]
        for p in self.people:
            pool = self.staking.pools(p.address)
            assert pool.locked == 0 and self.staking.locked_by(p.address, self.tasks) == 0
            free = max(pool.total_assets - pool.reserved, 0)
            assert self.staking.unlocked_stake(p.address) == free
        # Every reservation can now be honoured, by anyone.
        for holder, pool_address in sorted(self.reservations):
            booked, ready = self.staking.reserved_of(pool_address, holder)
            assert booked and ready, self.names[holder]
            unbonding = self.staking.unbonding_of(holder, pool_address)[0]
            with boa.env.prank(holder if unbonding else self.outsider):
                self.staking.honour_withdrawal(pool_address, holder)
            assert self.staking.reserved_of(pool_address, holder) == (0, False)
        # The creator paid its bond if cancelled, and gamma of the reward when
        # a trainer revealed a model of its own; otherwise the whole reward,
        # less the rounding dust, unless nobody joined (then nothing). The
        # treasury got the fee and what nobody earned (or the bond, or the
        # split's dust) and, once swept, the slashes.
        s, treasury = self.s, self.arena.treasury
        joined = any(p.joined for p in self.people)
        refund = self.settlement_refund if not self.cancelled else 0
        if self.cancelled:
            spent = s.reward + s.bond - self.cancel_split[0]
        elif joined:
            spent = s.reward - self.dust
        else:
            spent = s.reward - refund
        assert self.token.balanceOf(self.creator) == self.creator_start - spent
        if self.staking.treasury_owed():
            self.staking.sweep_to_treasury()
            self.wallet[treasury] += self.slashed
        income = (
            s.bond + s.reward - self.cancel_split[0] - self.paid
            if self.cancelled
            else self.fee + (refund if joined else 0)
        )
        assert self.token.balanceOf(treasury) == income + self.slashed
        self.check()


TestTaskLifecycle = TaskLifecycle.TestCase
# No explain phase: once an example fails, hypothesis traces every later run with
# sys.settrace to explain it, which makes py-evm some 50 times slower and shrinking
# take many minutes. Everything else comes from the active profile (tests/conftest.py).
TestTaskLifecycle.settings = settings(
    settings(), phases=[p for p in settings().phases if p is not Phase.explain]
)
