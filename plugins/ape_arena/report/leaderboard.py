"""A task's leaderboard as table rows, rendered from its `TaskOutcome`."""

from dataclasses import dataclass, field

from ape_arena.kinds.scores import INVALID_SCORE, SCORE_SCALE
from ape_arena.outcome import TaskOutcome
from ape_arena.units import WAD, format_arena


@dataclass
class Board:
    headline: str
    submission_columns: list[str]
    submissions: list[tuple] = field(default_factory=list)
    validator_columns: list[str] = field(default_factory=list)
    validators: list[tuple] = field(default_factory=list)


def score_text(score: int) -> str:
    """A contract score as the task's metric with 4 decimals, or "invalid"."""
    return "invalid" if score == INVALID_SCORE else f"{score / SCORE_SCALE:.4f}"


def short(address: str) -> str:
    return f"{address[:8]}..{address[-4:]}"


def leaderboard(outcome: TaskOutcome) -> Board:
    """Submissions by rank with every validator's score, then the validators."""
    validators = [v.validator for v in outcome.validators]

    def reward(amount: int, slashed: int, shown: bool) -> str:
        if not shown:
            return "-"
        return format_arena(amount) + (f" (slashed {format_arena(slashed)})" if slashed else "")

    rows = []
    for s in outcome.submissions:
        rows.append(
            (
                str(s.rank) if s.rank else "-",
                short(s.trainer),
                score_text(s.consensus) if s.consensus != INVALID_SCORE else "-",
                s.status,
                "0x" + s.model_hash.hex()[:10] if s.model_hash else "-",
                *[score_text(s.scores[v]) if v in s.scores else "-" for v in validators],
                reward(s.reward, s.slashed, s.claimed or outcome.settled),
            )
        )
    validator_rows = [
        (
            short(v.validator),
            format_arena(v.stake_weight),
            "yes" if v.revealed else "no (slashed on claim)" if v.committed else "no",
            f"{v.trust_wad / WAD:.2f}" if v.trust_wad is not None and outcome.settled else "-",
            reward(v.reward, v.slashed, v.claimed or outcome.settled),
        )
        for v in outcome.validators
    ]
    headline = (
        f"Task {outcome.task_id} ({outcome.kind}, {outcome.phase_name}): reward "
        f"{format_arena(outcome.total_reward)} ARENA, trainers' share "
        f"{format_arena(outcome.train_reward)}, validators' share "
        f"{format_arena(outcome.validator_reward)}; scores are the task metric, lower is better."
    )
    columns = [
        "rank",
        "trainer",
        "consensus",
        "status",
        "model",
        *[f"V{i + 1} {short(v)}" for i, v in enumerate(validators)],
        "reward ARENA",
    ]
    return Board(
        headline,
        columns,
        rows,
        ["validator", "stake weight", "revealed", "trust", "reward ARENA"],
        validator_rows,
    )
