"""Helpers of the TaskManager unit tests: `Game` plays a task through its
phases in a few calls, so that each test states only what it is about, and
checks the token accounting at the end of a lifecycle."""

import boa

from support.arena import (
    PHASE_CANCELLED,
    PHASE_EVAL_REVEAL,
    PHASE_FINALIZE,
    PHASE_MODEL_REVEAL,
    PHASE_SCORE_COMMIT,
    PHASE_SCORE_REVEAL,
    PHASE_SUBMIT,
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    Arena,
    TaskTerms,
    h,
)
from support.constants import WAD

# Each operator's own stake, and what a participant locks by default (the
# minimum of TaskTerms for both roles).
STAKE = 1_000 * WAD
ALLOCATION = 100 * WAD
# TaskManager's floors at deployment: validator slots, validator stake and
# bond (bps of the reward).
FLOORS = (3, 1_000, 100, 100)


def salt_of(account: str) -> bytes:
    return h(f"salt of {account}")


def model_of(account: str) -> bytes:
    return h(f"model of {account}")


class Game:
    """An Arena, the pools it opened, and a task's moves by phase."""

    def __init__(self, arena: Arena):
        self.arena = arena
        self.tm = arena.tasks
        self.operators: list[str] = []

    # --- actors ------------------------------------------------------------------

    def operator(self, name: str, stake: int = STAKE, commission_bps: int = 1_000) -> str:
        account = self.arena.operator(name, stake, commission_bps)
        self.operators.append(account)
        return account

    def operators_named(self, prefix: str, n: int, stake: int = STAKE) -> list[str]:
        return [self.operator(f"{prefix}{i}", stake) for i in range(n)]

    def set_floors(
        self,
        validator_slots: int,
        validator_stake_bps: int,
        bond_bps: int,
        trainer_stake_bps: int = 100,
    ) -> None:
        """Governance sets the floors of new tasks' terms (the trainer
        stake's at its default unless given)."""
        with boa.env.prank(self.arena.admin):
            self.tm.set_floors(validator_slots, validator_stake_bps, bond_bps, trainer_stake_bps)

    # --- phases ------------------------------------------------------------------

    def create(self, creator: str, **overrides) -> tuple[int, TaskTerms]:
        terms = TaskTerms(**overrides)
        return self.arena.create(creator, terms), terms

    def enrol(self, task_id, trainers=(), validators=(), amount: int = ALLOCATION) -> None:
        for trainer in trainers:
            self.arena.join(task_id, trainer, ROLE_TRAINER, amount)
        for validator in validators:
            self.arena.join(task_id, validator, ROLE_VALIDATOR, amount)

    def commit(self, task_id, trainer: str, model: bytes | None = None) -> None:
        self.arena.commit_model(task_id, trainer, model or model_of(trainer), salt_of(trainer))

    def reveal(self, task_id, trainer: str, model: bytes | None = None) -> None:
        self.arena.reveal_model(task_id, trainer, model or model_of(trainer), salt_of(trainer))

    def commit_scores(self, task_id, validator: str, scores: list[int]) -> None:
        self.arena.commit_scores(task_id, validator, scores, salt_of(validator))

    def reveal_scores(self, task_id, validator: str, scores: list[int]) -> None:
        self.arena.reveal_scores(task_id, validator, scores, salt_of(validator))

    def advance(self, task_id: int, creator: str, phase: int) -> None:
        """Move a fresh task to the start of `phase`, with nobody acting but
        the creator (who reveals the eval set for the phases after it)."""
        if phase in (PHASE_SUBMIT, PHASE_MODEL_REVEAL, PHASE_EVAL_REVEAL, PHASE_CANCELLED):
            if phase != PHASE_SUBMIT:
                self.arena.to_phase(task_id, phase)
            return
        self.arena.to_phase(task_id, PHASE_EVAL_REVEAL)
        self.arena.reveal_eval(task_id, creator)
        if phase != PHASE_SCORE_COMMIT:
            self.arena.to_phase(task_id, phase)

    def play(
        self,
        task_id: int,
        creator: str,
        models: dict,
        scores: dict,
        *,
        terms: TaskTerms | None = None,
        hidden_models=(),
        hidden_scores=(),
    ) -> None:
        """From the submit phase to the finalize phase: every trainer of
        `models` commits (model None: its own model), reveals unless it is in
        `hidden_models`; the creator reveals the eval set; every validator of
        `scores` commits, and reveals unless it is in `hidden_scores`."""
        for trainer, model in models.items():
            self.commit(task_id, trainer, model)
        self.arena.to_phase(task_id, PHASE_MODEL_REVEAL)
        for trainer, model in models.items():
            if trainer not in hidden_models:
                self.reveal(task_id, trainer, model)
        self.arena.warp_to(self.arena.deadlines(task_id)["reveal_end"])
        self.arena.reveal_eval(task_id, creator, terms)
        for validator, values in scores.items():
            self.commit_scores(task_id, validator, values)
        self.arena.to_phase(task_id, PHASE_SCORE_REVEAL)
        for validator, values in scores.items():
            if validator not in hidden_scores:
                self.reveal_scores(task_id, validator, values)
        self.arena.to_phase(task_id, PHASE_FINALIZE)

    def participants(self, task_id: int) -> list[str]:
        task = self.tm.tasks(task_id)
        return [self.tm.trainers(task_id, i) for i in range(task.n_trainers)] + [
            self.tm.validators(task_id, j) for j in range(task.n_validators)
        ]

    def claim_all(self, task_id: int) -> dict[str, int]:
        """Claim for every participant that has not claimed yet; checks that
        claimable() announced exactly what claim() paid."""
        paid = {}
        for account in self.participants(task_id):
            if self.tm.participant(task_id, account).claimed:
                continue
            expected = self.tm.claimable(task_id, account)
            paid[account] = self.arena.claim(task_id, account)
            assert paid[account] == expected
        return paid

    # --- accounting --------------------------------------------------------------

    def assert_conserved(self) -> None:
        """Staking holds exactly its pools' assets, the stake waiting for
        activation, the unbonding tokens, the slashed tokens, the commissions
        owed and what the task manager prepaid for its settled tasks' claims."""
        st = self.arena.staking
        pools = [st.pools(op) for op in self.operators]
        expected = (
            sum(p.total_assets + p.pending for p in pools)
            + st.total_unbonding()
            + st.treasury_owed()
            + sum(p.commission_owed for p in pools)
            + st.prepaid(self.tm.address)
        )
        assert self.arena.token.balanceOf(st.address) == expected

    def assert_settled(self, task_id: int) -> None:
        """After the last claim: the task holds nothing, no stake stays locked."""
        assert self.tm.tasks(task_id).balance == 0
        assert self.tm.tasks(task_id).unclaimed == 0
        assert self.arena.token.balanceOf(self.tm.address) == 0
        assert self.arena.staking.prepaid(self.tm.address) == 0
        for op in self.operators:
            assert self.arena.staking.locked_by(op, self.tm.address) == 0
        self.assert_conserved()


def logs_named(contract, name: str) -> list:
    return [e for e in contract.get_logs() if type(e).__name__ == name]
