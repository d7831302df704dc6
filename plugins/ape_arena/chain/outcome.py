"""Building a task's `TaskOutcome` (ape_arena/outcome.py) from the chain.

Every TaskManager event carries the task id as its first indexed topic, so
one log query with the task id as topic 1 returns everything that happened
in the task: who joined with what weight, who committed and revealed what,
the consensus, ranks and trust finalize computed, and every claim. Besides
that scan, the outcome costs two reads of the task's record and, once the
task is settled, one `claimable` read per participant that has not claimed.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ape_arena.chain.tasks import (
    PHASE_CANCELLED,
    PHASE_FINALIZE,
    PHASE_FINALIZED,
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    TaskClient,
)
from ape_arena.outcome import (
    INVALID_SCORE,
    SubmissionOutcome,
    TaskOutcome,
    ValidatorOutcome,
    submission_status,
)


def task_events(protocol, task_id: int) -> list[Any]:
    """Every event of the task manager about `task_id`, oldest first, in one query."""
    from ape.types import LogFilter

    tasks = protocol.tasks
    provider = tasks.provider
    log_filter = LogFilter(
        addresses=[tasks.address],
        events=list(tasks.contract_type.events),
        topic_filter=[None, "0x" + int(task_id).to_bytes(32, "big").hex()],
        start_block=protocol.start_block,
        stop_block=provider.get_block("latest").number,
    )
    return list(provider.get_contract_logs(log_filter))


def read_outcome(protocol, task_id: int) -> TaskOutcome:
    """The whole outcome of a task, as the chain has it now."""
    client = TaskClient(protocol)
    info = client.info(task_id)
    joined: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    committed: set[str] = set()
    revealed: dict[str, tuple[bytes, str]] = {}
    scores_revealed: dict[str, list[int]] = {}
    disqualified: set[str] = set()
    consensus: dict[str, int] = {}
    ranks: dict[str, int] = {}
    trust: dict[str, int] = {}
    claims: dict[str, tuple[int, int]] = {}
    fee = 0
    for log in task_events(protocol, task_id):
        name = log.event_name
        if name == "Joined":
            joined[int(log.role)].append((int(log.index), str(log.participant), int(log.weight)))
        elif name in ("ModelCommitted", "ScoresCommitted"):
            committed.add(str(log.trainer if name == "ModelCommitted" else log.validator))
        elif name == "ModelRevealed":
            revealed[str(log.trainer)] = (bytes(log.model_hash), str(log.model_uri))
        elif name == "ScoresRevealed":
            scores_revealed[str(log.validator)] = [int(s) for s in log.scores]
        elif name == "Disqualified":
            disqualified.add(str(log.trainer))
        elif name == "ConsensusReached":
            consensus[str(log.trainer)] = int(log.consensus)
        elif name == "Ranked":
            ranks[str(log.trainer)] = int(log.rank)
        elif name == "TrustComputed":
            trust[str(log.validator)] = int(log.trust)
        elif name == "TaskFinalized":
            fee = int(log.protocol_fee)
        elif name == "RewardClaimed":
            claims[str(log.participant)] = (int(log.reward), int(log.slashed))
    settled = info.phase in (PHASE_FINALIZED, PHASE_CANCELLED)

    def earned(address: str) -> tuple[int, int, bool]:
        if address in claims:
            return (*claims[address], True)
        if info.phase == PHASE_FINALIZED:
            return int(protocol.tasks.claimable(task_id, address)), 0, False
        return 0, 0, False

    submissions = []
    for index, trainer, weight in sorted(joined[ROLE_TRAINER]):
        score = consensus.get(trainer, INVALID_SCORE)
        reward, slashed, claimed = earned(trainer)
        rank = ranks.get(trainer)
        submissions.append(
            SubmissionOutcome(
                trainer=trainer,
                index=index,
                stake_weight=weight,
                committed=trainer in committed,
                revealed=trainer in revealed,
                disqualified=trainer in disqualified,
                model_hash=revealed.get(trainer, (None, None))[0],
                model_uri=revealed.get(trainer, (None, None))[1],
                consensus=score,
                rank=None if rank is None or rank >= 2**255 else rank + 1,
                scores={v: s[index] for v, s in scores_revealed.items() if index < len(s)},
                status=submission_status(
                    committed=trainer in committed,
                    revealed=trainer in revealed,
                    disqualified=trainer in disqualified,
                    consensus=score,
                    scored=info.phase >= PHASE_FINALIZE,
                ),
                reward=reward,
                slashed=slashed,
                claimed=claimed,
            )
        )
    submissions.sort(key=lambda s: (s.rank is None, s.rank or 0, s.index))
    validators = []
    for _, validator, weight in sorted(joined[ROLE_VALIDATOR]):
        reward, slashed, claimed = earned(validator)
        validators.append(
            ValidatorOutcome(
                validator=validator,
                stake_weight=weight,
                committed=validator in committed,
                revealed=validator in scores_revealed,
                trust_wad=trust.get(validator),
                reward=reward,
                slashed=slashed,
                claimed=claimed,
            )
        )
    return TaskOutcome(
        task_id=task_id,
        kind=info.kind,
        phase=info.phase,
        phase_name=info.phase_name,
        settled=settled,
        reward=info.reward,
        emission=info.emission,
        train_reward=info.train_reward,
        validator_reward=info.validator_reward,
        protocol_fee=fee,
        submissions=submissions,
        validators=validators,
    )
