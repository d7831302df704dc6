"""What happened in a task: the one read model every view renders.

`chain.outcome.read_outcome` builds a `TaskOutcome` from the task's record
and one scan of its events; the `leaderboard` command, the demo's tables
and the HTML report all render it, so they can never disagree on a status
or an amount. Amounts are wei, scores the contract's integers
(`INVALID_SCORE` for none), trust a WAD fraction.

No chain, no torch: the reports take it without reaching either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ape_arena.kinds.scores import INVALID_SCORE

# A submission's status, one vocabulary for every view.
VALID = "valid"
INVALID = "invalid"
DISQUALIFIED = "disqualified (plagiarism)"
NOT_REVEALED = "not revealed"
NO_MODEL = "no model"
SCORING = "scoring"


@dataclass(frozen=True)
class SubmissionOutcome:
    """One trainer's submission and what it earned."""

    trainer: str
    index: int
    """The trainer's join order: the position of its score in every validator's list."""
    stake_weight: int
    committed: bool
    revealed: bool
    disqualified: bool
    model_hash: bytes | None
    model_uri: str | None
    consensus: int
    """The consensus score (INVALID_SCORE before finalize or when invalid)."""
    rank: int | None
    """1 for the best, None when unranked."""
    scores: Mapping[str, int]
    """validator -> the score it revealed for this submission."""
    status: str
    reward: int
    """Claimed, or claimable once the task is settled; 0 before."""
    slashed: int
    claimed: bool


@dataclass(frozen=True)
class ValidatorOutcome:
    """One validator's part and what it earned."""

    validator: str
    stake_weight: int
    committed: bool
    revealed: bool
    trust_wad: int | None
    """The share of submissions it agreed on (WAD = all), once computed."""
    reward: int
    slashed: int
    claimed: bool


@dataclass(frozen=True)
class TaskOutcome:
    """A task's terms, every submission by rank, every validator, and the split."""

    task_id: int
    kind: str
    phase: int
    phase_name: str
    settled: bool
    reward: int
    emission: int
    train_reward: int
    validator_reward: int
    protocol_fee: int
    submissions: list[SubmissionOutcome] = field(default_factory=list)
    validators: list[ValidatorOutcome] = field(default_factory=list)

    @property
    def total_reward(self) -> int:
        """What the participants share: the escrow and the emission."""
        return self.reward + self.emission

    def by_trainer(self) -> dict[str, SubmissionOutcome]:
        return {s.trainer: s for s in self.submissions}

    def by_validator(self) -> dict[str, ValidatorOutcome]:
        return {v.validator: v for v in self.validators}


def submission_status(
    *, committed: bool, revealed: bool, disqualified: bool, consensus: int, scored: bool
) -> str:
    """The status of a submission, from what the chain says of it."""
    if disqualified:
        return DISQUALIFIED
    if not revealed:
        return NOT_REVEALED if committed else NO_MODEL
    if consensus == INVALID_SCORE:
        return INVALID if scored else SCORING
    return VALID
