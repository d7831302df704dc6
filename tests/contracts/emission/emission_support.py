"""Numbers and helpers of the Emission unit tests.

The schedule, as contracts/Emission.vy documents it: `daily_emission` wei a
day, released per second; every DECAY_PERIOD (a year) after deployment the
daily emission is cut to floor(rate * (10_000 - decay_bps) / 10_000); each
piece of a checkpoint (up to a cut, or up to now) is floored on its own.
"""

from support.arena import ROLE_TRAINER, ROLE_VALIDATOR, TaskTerms, h
from support.arena import without_trainer_stake_floor as drop_floor
from support.constants import DAY, WAD
from support.dao import DAILY_EMISSION, DECAY_BPS

BPS = 10_000
YEAR = 365 * DAY
# Emission.MAX_DECAYS_PER_CHECKPOINT (a private constant).
MAX_DECAYS_PER_CHECKPOINT = 16
D = DAILY_EMISSION
CUT = BPS - DECAY_BPS

# The longest phases a task may have: a task stays running for 150 days.
MONTH = 30 * DAY
LONG = {
    "submit_duration": MONTH,
    "reveal_duration": MONTH,
    "eval_duration": MONTH,
    "score_commit_duration": MONTH,
    "score_reveal_duration": MONTH,
}


def long_terms(**overrides) -> TaskTerms:
    """Task terms whose phases last 30 days each, for a reward of 10 ARENA: a
    trainer stake of 1 wei is enough (the module's arena has no trainer-stake
    floor), a validator stake of 1 ARENA (the floor, 10% of the reward)."""
    terms = {"reward": 10 * WAD, "min_trainer_stake": 1, "min_validator_stake": WAD}
    return TaskTerms(**{**terms, **LONG, **overrides})


def without_trainer_stake_floor(arena) -> None:
    """Governance drops the trainer-stake floor: weights here are stakes of a
    few wei."""
    drop_floor(arena.tasks, arena.governor.address)


def commit_model(arena, task_id: int, trainer: str) -> None:
    """`trainer` commits a model: from now on its weight counts in the task."""
    arena.commit_model(task_id, trainer, h(f"model of {trainer}"), h(f"salt of {trainer}"))


def cut(rate: int, decay_bps: int = DECAY_BPS) -> int:
    """The daily emission after one yearly cut."""
    return rate * (BPS - decay_bps) // BPS


def over(rate: int, seconds: int) -> int:
    """One floored piece: `rate` wei a day for `seconds`."""
    return rate * seconds // DAY


def named(logs: list, name: str) -> list:
    """The events called `name` among `logs`."""
    return [e for e in logs if type(e).__name__ == name]


def logs_named(contract, name: str) -> list:
    """Events called `name` of the last call made to `contract`."""
    return named(contract.get_logs(), name)


__all__ = [
    "BPS",
    "CUT",
    "DAY",
    "DECAY_BPS",
    "LONG",
    "MAX_DECAYS_PER_CHECKPOINT",
    "MONTH",
    "ROLE_TRAINER",
    "ROLE_VALIDATOR",
    "YEAR",
    "D",
    "commit_model",
    "cut",
    "logs_named",
    "long_terms",
    "named",
    "over",
]
