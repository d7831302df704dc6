"""Helpers of the attack scenarios (titanoboa, through support.arena).

Each scenario in this folder is a story: who attacks, what it tries, and what
the protocol does about it. The helpers here keep the set-up and the
bookkeeping out of the way:

- `Books`: every account a scenario creates, with the checks that no token
  was created or lost (`assert_conserved`) and each account's net worth
  (wallet + pool value + commission owed), to compare before and after.
- `claim_all`: claims for every participant, returning (reward, slashed)
  from the `RewardClaimed` events.
"""

from __future__ import annotations

import boa

from support.arena import (
    PHASE_EVAL_REVEAL,
    PHASE_FINALIZE,
    PHASE_MODEL_REVEAL,
    PHASE_SCORE_REVEAL,
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    Arena,
    TaskTerms,
    h,
)
from support.constants import WAD

BPS = 10_000


def events(contract, name: str) -> list:
    """Events called `name` logged by the last transaction (any contract)."""
    return [log for log in contract.get_logs() if type(log).__name__ == name]


class Books:
    """Every account a scenario touches, and the checks on its tokens."""

    def __init__(self, arena: Arena):
        self.arena = arena
        self.accounts: list[str] = []
        self.operators: list[str] = []
        # A snapshot a scenario takes before its task starts.
        self.before: dict[str, int] = {}

    # --- accounts ------------------------------------------------------------------

    def actor(self, name: str) -> str:
        account = self.arena.actor(name)
        self.accounts.append(account)
        return account

    def operator(self, name: str, stake: int) -> str:
        account = self.arena.operator(name, stake)
        self.accounts.append(account)
        self.operators.append(account)
        return account

    # --- worth ---------------------------------------------------------------------

    def worth(self, account: str) -> int:
        """Tokens `account` owns or is owed: its wallet, its pool (no
        delegators in these scenarios, so the whole pool is its own) with its
        unclaimed commission, and for the treasury the slashes owed to it."""
        arena = self.arena
        value = arena.token.balanceOf(account)
        pool = arena.staking.pools(account)
        if pool.opened:
            value += pool.total_assets + pool.pending + pool.commission_owed
        if account == arena.staking.treasury():
            value += arena.staking.treasury_owed()
        return value

    def snapshot(self) -> dict[str, int]:
        arena = self.arena
        return {a: self.worth(a) for a in (arena.treasury, arena.bank, *self.accounts)}

    @staticmethod
    def changes(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
        return {a: after[a] - before[a] for a in before}

    # --- conservation ----------------------------------------------------------------

    def assert_conserved(self, settled: bool = True) -> None:
        """No token created or lost anywhere.

        - every token of the supply is in a known wallet or contract;
        - staking holds exactly what its books say (pool assets, stake
          waiting for activation, commission owed, unbonding, slashes owed
          to the treasury, rewards the task manager prepaid);
        - a task's balance is held by the task manager until the task is
          settled or cancelled, and prepaid in staking from then on: the
          task manager holds exactly the balances of the tasks not yet
          settled, staking's prepaid balance of it those of the others;
        - with `settled`: every task is settled and claimed, so the task
          manager holds nothing and no stake is left locked by it.
        """
        arena = self.arena
        token, staking, tasks = arena.token, arena.staking, arena.tasks
        holders = {
            arena.admin,
            arena.treasury,
            arena.bank,
            staking.address,
            tasks.address,
            *self.accounts,
        }
        supply = token.totalSupply()
        assert sum(token.balanceOf(a) for a in holders) == supply

        pools = [staking.pools(op) for op in self.operators]
        assert token.balanceOf(staking.address) == (
            sum(p.total_assets + p.pending + p.commission_owed for p in pools)
            + staking.total_unbonding()
            + staking.treasury_owed()
            + staking.prepaid(tasks.address)
        )

        records = [tasks.tasks(i) for i in range(1, tasks.task_count() + 1)]
        # Stage 4: settled, 5: cancelled.
        assert token.balanceOf(tasks.address) == sum(t.balance for t in records if t.stage < 4)
        assert staking.prepaid(tasks.address) == sum(t.balance for t in records if t.stage >= 4)

        # Net worth adds up to the supply too: the identity the scenarios'
        # before/after comparisons of `worth` rely on.
        assert (
            sum(self.snapshot().values())
            + token.balanceOf(arena.admin)
            + token.balanceOf(tasks.address)
            + staking.total_unbonding()
            + staking.prepaid(tasks.address)
            == supply
        )

        if settled:
            assert token.balanceOf(tasks.address) == 0
            assert staking.prepaid(tasks.address) == 0
            for i in range(1, tasks.task_count() + 1):
                assert tasks.tasks(i).unclaimed == 0
            for op in self.operators:
                assert staking.locked_by(op, tasks.address) == 0
                assert staking.pools(op).locked == 0


# --- lifecycle shortcuts ---------------------------------------------------------------


def score_round(
    arena: Arena,
    task_id: int,
    scores: dict[str, list[int]],
    terms: TaskTerms | None = None,
    creator: str | None = None,
    silent: tuple[str, ...] = (),
) -> None:
    """From the eval reveal phase to the finalize phase: the creator reveals
    the eval set (when `creator` is given), every validator in `scores`
    commits, and all but the `silent` ones reveal."""
    if creator is not None:
        arena.reveal_eval(task_id, creator, terms)
    for validator, values in scores.items():
        arena.commit_scores(task_id, validator, values, salt_of(validator))
    arena.to_phase(task_id, PHASE_SCORE_REVEAL)
    for validator, values in scores.items():
        if validator not in silent:
            arena.reveal_scores(task_id, validator, values, salt_of(validator))
    arena.to_phase(task_id, PHASE_FINALIZE)


def salt_of(account: str) -> bytes:
    """A salt only `account` knows (deterministic, for the tests)."""
    return bytes.fromhex(str(account)[2:]).rjust(32, b"\x5a")


def claim_all(arena: Arena, task_id: int, participants: list[str]) -> dict[str, tuple[int, int]]:
    """Claim for every participant; (reward, slashed) of each, from the events."""
    paid = {}
    for participant in participants:
        expected = arena.tasks.claimable(task_id, participant)
        reward = arena.claim(task_id, participant)
        (log,) = events(arena.tasks, "RewardClaimed")
        assert log.participant == participant
        assert log.reward == reward == expected
        paid[participant] = (log.reward, log.slashed)
    return paid


def next_block() -> None:
    """Mine one block (boa does not advance the block number by itself)."""
    boa.env.time_travel(blocks=1)


def play_one_trainer(
    arena: Arena,
    books: Books,
    trainer: str,
    validators: list[str],
    terms: TaskTerms | None = None,
    stake: int = 100 * WAD,
) -> int:
    """A task played to its end: `trainer` (`stake` locked, 100 ARENA by
    default) the only submission, every validator (100 ARENA each) scoring
    it 1_000; returns the task id, in its finalized phase with nobody
    claimed yet."""
    creator = books.actor("creator")
    task_id = arena.create(creator, terms)
    arena.join(task_id, trainer, ROLE_TRAINER, stake)
    for v in validators:
        arena.join(task_id, v, ROLE_VALIDATOR, 100 * WAD)
    arena.commit_model(task_id, trainer, h("model"), salt_of(trainer))
    arena.to_phase(task_id, PHASE_MODEL_REVEAL)
    arena.reveal_model(task_id, trainer, h("model"), salt_of(trainer))
    arena.to_phase(task_id, PHASE_EVAL_REVEAL)
    score_round(arena, task_id, {v: [1_000] for v in validators}, terms, creator)
    arena.finalize(task_id)
    return task_id
