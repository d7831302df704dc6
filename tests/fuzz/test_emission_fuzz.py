"""Stateful fuzz of the emission contract on a whole deployment (GovernedArena).

Each example deploys the protocol with a random daily emission, decay and
genesis supply (sometimes close to MAX_SUPPLY, so that the cap binds), six
operators with pools and a creator. Rules: the creator posts tasks (random
phase lengths and reward), operators join them as trainers or validators,
governance verifies and unverifies tasks (also ones that cannot be), changes
the daily emission and the decay (also out of bounds) and the treasury; time
jumps by seconds to twenty years, or to a task deadline or an anniversary of
the schedule +- 1 second; anyone checkpoints; a task moves one step of its
lifecycle, or is played to its end (the creator reveals the eval set or lets
the task be cancelled; everyone claims).

The ghost holds the history of the schedule's parameters and integrates it
exactly (fractions) in `Schedule`, independently of the contract's loop: the
daily emission is cut to floor(rate * (10_000 - decay) / 10_000) at each
anniversary of the deployment, with the decay then in force; a change at time
c applies from c on (an anniversary at c is cut first, at the old values).

After every step:
1. token.totalSupply() <= MAX_SUPPLY and == genesis + emission.emitted().
2. The schedule: 0 <= E(last_checkpoint) - emitted < 2 wei per checkpoint
   made so far (each checkpoint floors at most two partial pieces; whole
   years are exact), and only emitted <= E(last_checkpoint) once the cap has
   bound. last_checkpoint is now unless more than 16 anniversaries were due,
   then the 16th of them.
3. Conservation: emitted == sum(emission_of(task)) + what the treasury
   received from the emission contract (measured as balance changes around
   each call that checkpoints); the emission contract holds nothing.
4. tasks(t).emission == emission_of(t) for every task; the task manager holds
   exactly sum(tasks(t).balance).
5. A task never receives more than the schedule released while it was
   verified: emission_of(t) <= sum over its verified intervals of
   E(end) - E(start).
6. The verified list is the ghost's: verify adds, unverify removes, and every
   checkpoint drops the tasks that stopped running; at most 32.

At each checkpoint the split is exact: each verified task gets
floor(minted * w / W) by its emission weight w (read from the task manager),
the treasury the rest. When a task is cancelled, the treasury receives at
least its emission and the creator exactly its reward; when a task is settled
and all claimed, it holds nothing and the creator got back at most reward +
bond + one wei per participant (rounding dust), so the emission never goes to
the creator.

Teardown (liveness): every task is played to its end and claimed, and the
schedule caught up; the task manager then holds nothing and invariants 1-5
still hold.

Regression: after more than MAX_DECAYS_PER_CHECKPOINT years without a
checkpoint, an admin call must release the whole schedule up to now at the
old values before its change (Emission._catch_up; the unit tests in
tests/contracts/emission/test_admin.py check it after 20 years). The ghost
model here counts one checkpoint per admin call, so the machine catches the
schedule up with checkpoint() calls before admin calls
(CATCH_UP_BEFORE_ADMIN).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import boa
from hypothesis import Phase, event, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

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
    TaskTerms,
    h,
)
from support.constants import DAY, GENESIS_SUPPLY, MAX_SUPPLY, WAD
from support.dao import GovernedArena

BPS = 10_000
YEAR = 365 * DAY
MAX_DECAYS_PER_CHECKPOINT = 16
MAX_DAILY_EMISSION = 1_000_000 * WAD
MAX_DECAY_BPS = 9_000
MAX_VERIFIED_TASKS = 32
N_OPERATORS = 6
MAX_TASKS = 8
RUNNING = range(PHASE_SUBMIT, PHASE_SCORE_REVEAL + 1)
# See the module docstring: the workaround for the catch-up bug.
CATCH_UP_BEFORE_ADMIN = True

DEADLINES = ["submit_end", "reveal_end", "eval_end", "score_commit_end", "score_reveal_end"]


# --- the schedule, integrated exactly ----------------------------------------------------


class Schedule:
    """E(t): the tokens the schedule releases from the deployment to t.

    Piecewise constant rate (wei a day), exact rational integral; the rate is
    cut (and floored: it is a whole number of wei) at each anniversary with
    the decay in force then; `changes` are (time, name, value) in call order.
    """

    def __init__(self, t0: int, rate: int, decay: int):
        self.t0, self.rate0, self.decay0 = t0, rate, decay
        self.changes: list[tuple[int, str, int]] = []
        self._memo: dict[int, Fraction] = {}

    def change(self, when: int, name: str, value: int) -> None:
        assert not self.changes or when >= self.changes[-1][0]
        self.changes.append((when, name, value))
        # A change at `when` leaves E(t) for t <= when as it was.
        self._memo = {t: e for t, e in self._memo.items() if t <= when}

    def __call__(self, until: int) -> Fraction:
        if until not in self._memo:
            self._memo[until] = self._integrate(until)
        return self._memo[until]

    def _integrate(self, until: int) -> Fraction:
        rate, decay = self.rate0, self.decay0
        total, t, k, i = Fraction(0), self.t0, 1, 0
        while True:
            cut_at = self.t0 + k * YEAR
            change_at = self.changes[i][0] if i < len(self.changes) else None
            is_cut = change_at is None or cut_at <= change_at
            nxt = cut_at if is_cut else change_at
            if nxt > until:
                return total + Fraction(rate * (until - t), DAY)
            total += Fraction(rate * (nxt - t), DAY)
            t = nxt
            if is_cut:
                rate = rate * (BPS - decay) // BPS
                k += 1
            else:
                _, name, value = self.changes[i]
                if name == "daily_emission":
                    rate = value
                else:
                    decay = value
                i += 1


# --- the ghost of a task --------------------------------------------------------------------


@dataclass
class Task:
    id: int
    reward: int
    bond: int
    reveals_eval: bool
    deadlines: dict[str, int]
    trainers: list[str] = field(default_factory=list)
    validators: list[str] = field(default_factory=list)
    committed: set[str] = field(default_factory=set)
    revealed: set[str] = field(default_factory=set)
    scores: dict[str, list[int]] = field(default_factory=dict)
    claimed: set[str] = field(default_factory=set)
    # Verified intervals [start, end], end None while verified.
    intervals: list[list[int | None]] = field(default_factory=list)
    creator_received: int = 0
    done: bool = False

    @property
    def participants(self) -> list[str]:
        return self.trainers + self.validators


# --- strategies ---------------------------------------------------------------------------

rates = st.one_of(
    st.just(100_000 * WAD),
    st.integers(min_value=WAD, max_value=MAX_DAILY_EMISSION),
    st.just(0),
    st.integers(min_value=1, max_value=10**6),
)
decays = st.one_of(st.just(2_000), st.just(0), st.integers(min_value=0, max_value=MAX_DECAY_BPS))
# Supply minted before the schedule starts: the genesis, or close to the cap.
geneses = st.sampled_from(
    [GENESIS_SUPPLY, GENESIS_SUPPLY, MAX_SUPPLY - 50_000_000 * WAD, MAX_SUPPLY - 200_000 * WAD]
)
jumps = st.one_of(
    st.integers(min_value=1, max_value=3_600),
    st.integers(min_value=3_600, max_value=30 * DAY),
    st.integers(min_value=30 * DAY, max_value=2 * YEAR),
    st.integers(min_value=2 * YEAR, max_value=16 * YEAR),
    # Longer than MAX_DECAYS_PER_CHECKPOINT years: the catch-up takes several calls.
    st.integers(min_value=17 * YEAR, max_value=40 * YEAR),
)
phase_lengths = st.one_of(
    st.integers(min_value=60, max_value=3 * DAY), st.integers(min_value=60, max_value=30 * DAY)
)
# An existing task, by position (modulo the number of tasks); -1: one that does not exist.
task_index = st.one_of(st.integers(min_value=0, max_value=MAX_TASKS - 1), st.just(-1))
operator_index = st.integers(min_value=0, max_value=N_OPERATORS - 1)


def now() -> int:
    return boa.env.evm.patch.timestamp


class Deployment:
    """What every example starts from, deployed once per run (TestEmission's
    setUpClass): deploying costs ~0.8 s in boa, as much as an example."""

    def __init__(self):
        self.arena = a = GovernedArena()
        self.operators = [a.operator(f"operator{i}", 10_000 * WAD) for i in range(N_OPERATORS)]
        self.creator = a.actor("creator", 10_000_000 * WAD)
        self.reserve = boa.env.generate_address("reserve")
        self.outsider = boa.env.generate_address("outsider")


_DEPLOYMENT: list[Deployment] = []


class EmissionMachine(RuleBasedStateMachine):
    # --- set-up ------------------------------------------------------------------

    @initialize(
        rate=rates,
        decay=decays,
        genesis=geneses,
        opening=st.lists(
            st.tuples(
                st.lists(phase_lengths, min_size=5, max_size=5),
                st.lists(st.tuples(st.booleans(), st.integers(1, BPS)), max_size=N_OPERATORS),
            ),
            min_size=1,
            max_size=3,
        ),
    )
    def deploy(self, rate, decay, genesis, opening):
        self.clean = False
        # Each example on its own snapshot, reverted at teardown.
        self.anchor = boa.env.anchor()
        self.anchor.__enter__()
        d = _DEPLOYMENT[0]
        self.arena = a = d.arena
        self.token, self.tm, self.emission = a.token, a.tasks, a.emission
        self.governor = a.governor.address
        self.operators, self.creator = d.operators, d.creator
        self.reserve, self.outsider = d.reserve, d.outsider
        # The schedule starts at the deployment (the snapshot's clock): set now,
        # the parameters are those of the start.
        self.t0 = self.emission.last_checkpoint()
        assert now() == self.t0
        with boa.env.prank(self.governor):
            self.emission.set_daily_emission(rate)
            self.emission.set_decay_bps(decay)
            # Dust terms (1-wei stakes): the floors have tests of their own.
            self.tm.set_floors(0, 0, 0, 0)
        # More supply, minted by a minter of the moment, as if at genesis.
        extra = genesis - self.token.totalSupply()
        if extra:
            minter_role = self.token.MINTER_ROLE()
            with boa.env.prank(self.governor):
                self.token.grantRole(minter_role, a.bank)
            with boa.env.prank(a.bank):
                self.token.mint(a.bank, extra)
            with boa.env.prank(self.governor):
                self.token.revokeRole(minter_role, a.bank)
        self.genesis = self.token.totalSupply()
        assert self.genesis == genesis and self.emission.emitted() == 0
        note(f"deploy: {rate} wei/day, decay {decay} bps, genesis {genesis}")

        self.schedule = Schedule(self.t0, rate, decay)
        self.last = self.t0  # ghost of last_checkpoint
        self.checkpoints = 0
        self.verified: list[int] = []
        self.tasks: dict[int, Task] = {}
        self.from_emission = 0  # what the treasuries received from the emission contract
        self.seen_emission: dict[int, int] = {}

        # A few tasks to start with, joined and verified.
        for lengths, joins in opening:
            self.create_task(lengths, 1_000 * WAD, True)
            index = len(self.tasks) - 1
            for operator, (as_trainer, share_bps) in enumerate(joins):
                self.join(index, operator, as_trainer, share_bps)
            self.verify(index)

    # --- helpers ------------------------------------------------------------------

    def _reverts(self, reason: str, sender: str, fn, *args) -> None:
        event(f"reverts: {reason}")
        note(f"  -> reverts: {reason}")
        with boa.reverts(reason), boa.env.prank(sender):
            fn(*args)

    def _due_cuts(self) -> list[int]:
        """The anniversaries a checkpoint now would apply."""
        first = (self.last - self.t0) // YEAR + 1
        t = now()
        return [self.t0 + k * YEAR for k in range(first, (t - self.t0) // YEAR + 1)]

    def _checkpointing(self, label: str, call) -> int:
        """Run `call`, which checkpoints first, and check the split exactly;
        returns what it minted."""
        token, emission = self.token, self.emission
        treasury = emission.treasury()
        weights = {t: self.tm.emission_weight(t) for t in self.verified}
        before = {t: emission.emission_of(t) for t in self.tasks}
        received = token.balanceOf(treasury)
        emitted = emission.emitted()
        mintable = token.mintable()

        call()

        minted = emission.emitted() - emitted
        assert minted <= mintable
        to_treasury = token.balanceOf(treasury) - received
        total = sum(weights.values())
        for t in self.tasks:
            share = minted * weights[t] // total if t in weights and total else 0
            assert emission.emission_of(t) - before[t] == share, (label, t)
        shares = sum(minted * w // total for w in weights.values()) if total else 0
        assert to_treasury == minted - shares, label
        self.from_emission += to_treasury
        self.checkpoints += 1
        if minted:
            event("checkpoint minted")

        # The ghost: the released time, and the tasks that stopped running leave.
        cuts = self._due_cuts()
        if len(cuts) > MAX_DECAYS_PER_CHECKPOINT:
            self.last = cuts[MAX_DECAYS_PER_CHECKPOINT - 1]
            event("catch-up stopped at its bound")
        else:
            self.last = now()
        for t in list(self.verified):
            if self.tm.phase(t) not in RUNNING:
                self._leave(t)
                event("finished task dropped")
        return minted

    def _leave(self, t: int) -> None:
        self.verified.remove(t)
        self.tasks[t].intervals[-1][1] = now()

    def _catch_up(self) -> None:
        """Governance's workaround of the catch-up bug (module docstring)."""
        while CATCH_UP_BEFORE_ADMIN and len(self._due_cuts()) > MAX_DECAYS_PER_CHECKPOINT:
            note("  governance catches the schedule up first")
            self._checkpointing("catch-up", self.emission.checkpoint)

    def _task(self, index: int) -> Task | None:
        ids = sorted(self.tasks)
        return self.tasks[ids[index % len(ids)]] if ids and index >= 0 else None

    def _task_id(self, index: int) -> int:
        task = self._task(index)
        return task.id if task else self.tm.task_count() + 1

    def _as_creator_paid(self, task: Task, call) -> int:
        """Run a call of `task`'s lifecycle; returns what the treasury received."""
        creator = self.token.balanceOf(self.creator)
        treasury = self.token.balanceOf(self.governor)
        call()
        task.creator_received += self.token.balanceOf(self.creator) - creator
        return self.token.balanceOf(self.governor) - treasury

    # --- rules: tasks -------------------------------------------------------------------

    @rule(
        lengths=st.lists(phase_lengths, min_size=5, max_size=5),
        reward=st.integers(min_value=1, max_value=10_000 * WAD),
        reveals_eval=st.sampled_from([True, True, True, False]),
    )
    def create_task(self, lengths, reward, reveals_eval):
        if len(self.tasks) >= MAX_TASKS:
            return
        terms = TaskTerms(
            reward=reward,
            bond=WAD,
            min_trainer_stake=1,
            min_validator_stake=1,
            submit_duration=lengths[0],
            reveal_duration=lengths[1],
            eval_duration=lengths[2],
            score_commit_duration=lengths[3],
            score_reveal_duration=lengths[4],
        )
        t = self.arena.create(self.creator, terms)
        self.tasks[t] = Task(t, reward, WAD, reveals_eval, self.arena.deadlines(t))
        self.tasks[t].creator_received -= reward + WAD
        note(f"task {t}: reward {reward}, phases {lengths}, eval revealed: {reveals_eval}")

    @rule(
        index=task_index,
        operator=operator_index,
        as_trainer=st.booleans(),
        share_bps=st.integers(min_value=1, max_value=BPS),
    )
    def join(self, index, operator, as_trainer, share_bps):
        task = self._task(index)
        if task is None or self.tm.phase(task.id) != PHASE_SUBMIT:
            return
        account = self.operators[operator]
        if account in task.participants:
            return
        unlocked = self.arena.staking.unlocked_stake(account)
        if unlocked == 0:
            return
        amount = max(1, unlocked * share_bps // BPS // 4)
        role = ROLE_TRAINER if as_trainer else ROLE_VALIDATOR
        self.arena.join(task.id, account, role, amount)
        (task.trainers if as_trainer else task.validators).append(account)
        note(f"operator{operator} joins task {task.id} as role {role} with {amount}")

    @rule(index=task_index)
    def step_task(self, index):
        task = self._task(index)
        if task is not None and not task.done:
            self._step(task)

    @rule(index=task_index)
    def finish_task(self, index):
        task = self._task(index)
        if task is not None and not task.done:
            note(f"task {task.id} is played to its end")
            self._finish(task)

    def _finish(self, task: Task) -> None:
        for _ in range(200):
            if task.done:
                return
            self._step(task)
        raise AssertionError(f"task {task.id} did not end")

    def _step(self, task: Task) -> None:
        """One move of `task`'s lifecycle: whatever its phase allows next, or a
        time jump to its next deadline."""
        tm, t, arena = self.tm, task.id, self.arena
        phase = tm.phase(t)
        if phase == PHASE_SUBMIT:
            for trainer in task.trainers:
                if trainer not in task.committed:
                    arena.commit_model(t, trainer, h(f"model {t} {trainer}"), h(trainer))
                    task.committed.add(trainer)
                    return
        elif phase == PHASE_MODEL_REVEAL:
            for trainer in task.trainers:
                if trainer in task.committed and trainer not in task.revealed:
                    arena.reveal_model(t, trainer, h(f"model {t} {trainer}"), h(trainer))
                    task.revealed.add(trainer)
                    return
        elif phase == PHASE_EVAL_REVEAL and task.reveals_eval:
            self._as_creator_paid(task, lambda: arena.reveal_eval(t, self.creator))
            return
        elif phase == PHASE_SCORE_COMMIT:
            for v in task.validators:
                if v not in task.scores:
                    k = len(task.validators) + task.validators.index(v)
                    scores = [
                        INVALID_SCORE if (i + k) % 5 == 0 else 1_000 + 100 * ((i * k) % 3)
                        for i in range(len(task.trainers))
                    ]
                    arena.commit_scores(t, v, scores, h(v))
                    task.scores[v] = scores
                    return
        elif phase == PHASE_SCORE_REVEAL:
            for v in task.validators:
                if v in task.scores and v not in task.revealed:
                    arena.reveal_scores(t, v, task.scores[v], h(v))
                    task.revealed.add(v)
                    return
        elif phase == PHASE_FINALIZE:
            self._as_creator_paid(task, lambda: arena.finalize(t))
            if tm.phase(t) == PHASE_FINALIZED:
                note(f"task {t} finalized with {tm.tasks(t).emission} of emission")
                event("task finalized")
            return
        elif phase == PHASE_CANCELLED and not tm.tasks(t).cancelled:
            emission = tm.tasks(t).emission
            creator = task.creator_received
            to_treasury = self._as_creator_paid(task, lambda: tm.cancel(t))
            # The reward back to its creator, the emission to the treasury.
            assert task.creator_received - creator == task.reward
            assert to_treasury >= emission
            note(f"task {t} cancelled with {emission} of emission")
            event("task cancelled")
            return
        if phase in (PHASE_FINALIZED, PHASE_CANCELLED):
            for p in task.participants:
                if p not in task.claimed:
                    self._as_creator_paid(task, lambda p=p: arena.claim(t, p))
                    task.claimed.add(p)
                    return
            self._settled(task)
            return
        # Nothing left to do in this phase: time jumps to its end.
        deadline = {
            PHASE_SUBMIT: "submit_end",
            PHASE_MODEL_REVEAL: "reveal_end",
            PHASE_EVAL_REVEAL: "eval_end",
            PHASE_SCORE_COMMIT: "score_commit_end",
            PHASE_SCORE_REVEAL: "score_reveal_end",
        }[phase]
        arena.warp_to(task.deadlines[deadline])

    def _settled(self, task: Task) -> None:
        """Everything of `task` is paid: it holds nothing, and the creator got
        back no more than its escrow and the rounding dust."""
        record = self.tm.tasks(task.id)
        assert record.balance == 0 and record.unclaimed == 0
        assert task.creator_received <= len(task.participants), task.creator_received
        task.done = True

    # --- rules: governance --------------------------------------------------------------

    @rule(index=task_index, by_outsider=st.sampled_from([False] * 7 + [True]))
    def verify(self, index, by_outsider=False):
        t = self._task_id(index)
        if by_outsider:
            reason = "emission: caller is not the admin"
            self._reverts(reason, self.outsider, self.emission.verify_task, t)
            self._reverts(reason, self.outsider, self.emission.set_daily_emission, 0)
            self._reverts(
                "task: caller is not the emission contract", self.outsider, self.tm.fund, t, 1
            )
            return
        self._catch_up()
        if t in self.verified:
            self._reverts(
                "emission: task already verified", self.governor, self.emission.verify_task, t
            )
            return
        if self.tm.phase(t) not in RUNNING:
            self._reverts(
                "emission: task is not running", self.governor, self.emission.verify_task, t
            )
            return
        with boa.env.prank(self.governor):
            self._checkpointing("verify", lambda: self.emission.verify_task(t))
        assert len(self.verified) < MAX_VERIFIED_TASKS
        self.verified.append(t)
        self.tasks[t].intervals.append([now(), None])
        note(f"governance verifies task {t}")

    @rule(index=task_index)
    def unverify(self, index):
        t = self._task_id(index)
        self._catch_up()
        if t not in self.verified:
            self._reverts(
                "emission: task not verified", self.governor, self.emission.unverify_task, t
            )
            return
        with boa.env.prank(self.governor):
            self._checkpointing("unverify", lambda: self.emission.unverify_task(t))
        if t in self.verified:  # else its own checkpoint dropped it
            self._leave(t)
        note(f"governance unverifies task {t}")

    @rule(value=rates, out_of_bounds=st.sampled_from([False] * 5 + [True]))
    def set_daily_emission(self, value, out_of_bounds):
        self._catch_up()
        if out_of_bounds:
            reason = "emission: daily emission out of bounds"
            self._reverts(
                reason, self.governor, self.emission.set_daily_emission, value + 10**24 + 1
            )
            return
        with boa.env.prank(self.governor):
            self._checkpointing("rate", lambda: self.emission.set_daily_emission(value))
        self.schedule.change(now(), "daily_emission", value)
        note(f"governance sets the daily emission to {value}")

    @rule(value=decays, out_of_bounds=st.sampled_from([False] * 5 + [True]))
    def set_decay_bps(self, value, out_of_bounds):
        self._catch_up()
        if out_of_bounds:
            reason = "emission: decay out of bounds"
            self._reverts(
                reason, self.governor, self.emission.set_decay_bps, MAX_DECAY_BPS + value + 1
            )
            return
        with boa.env.prank(self.governor):
            self._checkpointing("decay", lambda: self.emission.set_decay_bps(value))
        self.schedule.change(now(), "decay_bps", value)
        note(f"governance sets the decay to {value} bps")

    @rule(to_reserve=st.booleans())
    def set_treasury(self, to_reserve):
        treasury = self.reserve if to_reserve else self.governor
        with boa.env.prank(self.governor):
            self.emission.set_treasury(treasury)
        note(f"governance sets the emission treasury to {'reserve' if to_reserve else 'itself'}")

    # --- rules: time and checkpoints ------------------------------------------------------------

    @rule(
        how=st.sampled_from(["jump", "jump", "deadline", "anniversary"]),
        seconds=jumps,
        index=task_index,
        which=st.sampled_from(DEADLINES),
        offset=st.integers(-1, 1),
    )
    def time_passes(self, how, seconds, index, which, offset):
        task = self._task(index)
        if how == "deadline" and task is not None:
            self.arena.warp_to(task.deadlines[which] + offset)
            note(f"time jumps to {which} of task {task.id} {offset:+d} s")
        elif how == "anniversary":
            target = self.t0 + ((now() - self.t0) // YEAR + 1) * YEAR + offset
            self.arena.warp_to(target)
            note(f"time jumps to the next anniversary {offset:+d} s")
        else:
            boa.env.time_travel(seconds=seconds)
            note(f"{seconds} seconds pass ({seconds / YEAR:.3f} years)")

    @rule()
    def checkpoint(self):
        pending = self.emission.pending()
        minted = self._checkpointing("checkpoint", self.emission.checkpoint)
        assert minted == pending
        note(f"checkpoint: {minted} minted")

    # --- invariants ---------------------------------------------------------------------

    @invariant()
    def check(self):
        self.clean = False
        self._check()
        self.clean = True

    def _check(self):
        token, emission, tm = self.token, self.emission, self.tm
        emitted = emission.emitted()
        # 1. The cap, and nothing else mints.
        supply = token.totalSupply()
        assert supply <= MAX_SUPPLY
        assert supply == self.genesis + emitted
        # 2. The schedule.
        assert emission.last_checkpoint() == self.last
        released = self.schedule(self.last)
        assert emitted <= released
        if token.mintable() > 0:
            # Each checkpoint floors at most two partial pieces (< 1 wei each).
            shortfall = released - emitted
            assert shortfall == 0 or shortfall < 2 * self.checkpoints, shortfall
        else:
            event("cap reached")
        # 3. Conservation of the emission.
        of_tasks = {t: emission.emission_of(t) for t in self.tasks}
        assert emitted == sum(of_tasks.values()) + self.from_emission
        assert token.balanceOf(emission) == 0
        # 4. The task manager's books.
        records = {t: tm.tasks(t) for t in self.tasks}
        for t, record in records.items():
            assert record.emission == of_tasks[t]
        assert token.balanceOf(tm) == sum(r.balance for r in records.values())
        # 5. No task gets more than what was released while it was verified.
        for t, task in self.tasks.items():
            bound = sum(
                self.schedule(end if end is not None else self.last) - self.schedule(start)
                for start, end in task.intervals
            )
            assert of_tasks[t] <= bound, (t, of_tasks[t], bound)
            assert of_tasks[t] >= self.seen_emission.get(t, 0)
            self.seen_emission[t] = of_tasks[t]
        # 6. The verified list.
        count = emission.verified_count()
        assert count == len(self.verified) <= MAX_VERIFIED_TASKS
        assert sorted(emission.verified_tasks(i) for i in range(count)) == sorted(self.verified)
        for t in self.tasks:
            assert emission.is_verified(t) == (t in self.verified)

    # --- liveness -----------------------------------------------------------------------

    def teardown(self):
        if not hasattr(self, "anchor"):
            return
        try:
            if self.clean:  # else a step failed: hypothesis reports that failure
                self._liveness()
        finally:
            self.anchor.__exit__(None, None, None)

    def _liveness(self):
        note("teardown: every task to its end, the schedule caught up")
        for task in self.tasks.values():
            self._finish(task)
            self._check()
        self._checkpointing("teardown", self.emission.checkpoint)
        while self.emission.last_checkpoint() != now():
            self._checkpointing("teardown", self.emission.checkpoint)
        self._check()
        assert self.emission.pending() == 0
        assert self.token.balanceOf(self.tm) == 0
        assert self.verified == []


class TestEmission(EmissionMachine.TestCase):
    @classmethod
    def setUpClass(cls):
        # Outside every example's snapshot: each example starts from it.
        super().setUpClass()
        _DEPLOYMENT.append(Deployment())

    @classmethod
    def tearDownClass(cls):
        _DEPLOYMENT.clear()
        super().tearDownClass()


# No explain phase (as in test_task_lifecycle.py): it makes py-evm crawl.
TestEmission.settings = settings(
    settings(), phases=[p for p in settings().phases if p is not Phase.explain]
)
