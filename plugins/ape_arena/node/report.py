"""What happened in a task, as rows for tables: the leaderboard."""

from dataclasses import dataclass, field

from ape_arena.chain.tasks import INVALID_SCORE, PHASE_FINALIZED, TaskClient
from ape_arena.units import WAD, format_arena


@dataclass
class Board:
    headline: str
    submission_columns: list[str]
    submissions: list[tuple] = field(default_factory=list)
    validator_columns: list[str] = field(default_factory=list)
    validators: list[tuple] = field(default_factory=list)


def score_text(score: int) -> str:
    from ape_arena.kinds.scores import from_score

    if score == INVALID_SCORE:
        return "invalid"
    return f"{from_score(score):.4f}"


_amount = format_arena


def _short(address: str) -> str:
    return f"{address[:8]}..{address[-4:]}"


def leaderboard_rows(protocol, task_id: int) -> Board:
    client = TaskClient(protocol)
    tasks = protocol.tasks
    info = client.info(task_id)
    trainers = client.trainers(task_id)
    validators = client.validators(task_id)
    scores = client.revealed_scores(task_id)
    claims = client.claims(task_id)
    models = client.revealed_models(task_id)
    settled = info.phase == PHASE_FINALIZED

    def reward_of(address: str) -> str:
        if address in claims:
            reward, slashed = claims[address]
            return _amount(reward) + (f" (slashed {_amount(slashed)})" if slashed else "")
        if settled:
            return _amount(int(tasks.claimable(task_id, address)))
        return "-"

    rows = []
    for index, trainer in enumerate(trainers):
        p = client.participant(task_id, trainer)
        consensus = int(tasks.consensus_of(task_id, trainer))
        if p.disqualified:
            status = "plagiarism: disqualified"
        elif not p.revealed:
            status = "not revealed" if p.committed else "no model"
        elif consensus == INVALID_SCORE:
            status = "invalid" if settled or info.phase >= 6 else "scoring"
        else:
            status = "valid"
        rank = int(p.rank)
        shown_rank = str(rank + 1) if rank != 2**256 - 1 else "-"
        by_validator = [score_text(scores[v][index]) if v in scores else "-" for v in validators]
        model = models.get(trainer, (b"", ""))[0]
        rows.append(
            (
                shown_rank,
                _short(trainer),
                score_text(consensus) if consensus != INVALID_SCORE else "-",
                status,
                "0x" + model.hex()[:10] if model else "-",
                *by_validator,
                reward_of(trainer),
            )
        )
    rows.sort(key=lambda r: (r[0] == "-", int(r[0]) if r[0] != "-" else 0))
    validator_rows = []
    for validator in validators:
        p = client.participant(task_id, validator)
        trust = int(tasks.trust(task_id, validator))
        validator_rows.append(
            (
                _short(validator),
                _amount(int(p.weight)),
                "yes" if p.revealed else "no (slashed on claim)" if p.committed else "no",
                f"{trust / WAD:.2f}" if settled else "-",
                reward_of(validator),
            )
        )
    headline = (
        f"Task {task_id} ({info.kind}, {info.phase_name}): reward "
        f"{_amount(info.reward + info.emission)} ARENA, trainers' share "
        f"{_amount(info.train_reward)}, validators' share {_amount(info.validator_reward)}; "
        "scores are the task metric, lower is better."
    )
    columns = ["rank", "trainer", "consensus", "status", "model", *[
        f"V{i + 1} {_short(v)}" for i, v in enumerate(validators)
    ], "reward ARENA"]  # fmt: skip
    return Board(
        headline,
        columns,
        rows,
        ["validator", "stake weight", "revealed", "trust", "reward ARENA"],
        validator_rows,
    )
