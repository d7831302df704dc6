"""What the explorer shows, read from the chain through the chain layer.

`ExplorerData` answers each page's question with plain dicts (integers in
wei, times as unix seconds), so the pages (`explorer.pages`) render data and
never reach the chain. Every read goes through a cache with a short time to
live: a page asked for many times a second costs one round of RPC calls per
`ttl_s`, and reads are serialised by one lock (the provider is shared).
Read-only: nothing here holds a key or sends a transaction.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

PAGE_SIZE = 20


def window(count: int, page: int, noun: str) -> tuple[int, int]:
    """The pages of PAGE_SIZE rows that `count` rows fill (one, empty, when
    there are none) and how many rows come before page `page`."""
    pages = max(1, -(-count // PAGE_SIZE))
    if not 1 <= page <= pages:
        raise NotFound(f"There is no page {page} of {noun}; pages go from 1 to {pages}.")
    return pages, (page - 1) * PAGE_SIZE


def newest_first(count: int, page: int, noun: str) -> tuple[int, range]:
    """The page count and the ids (1 .. count, newest first) on page `page`."""
    pages, before = window(count, page, noun)
    newest = count - before
    return pages, range(newest, max(0, newest - PAGE_SIZE), -1)


class NotFound(LookupError):
    """The page asks for something that does not exist; the message says what."""


class ExplorerData:
    """The explorer's reads of one deployment, cached for `ttl_s` seconds."""

    def __init__(self, protocol: Any, ttl_s: float = 2.0) -> None:
        self.protocol = protocol
        self.ttl_s = ttl_s
        self._lock = threading.RLock()  # a read may use another cached read
        self._cache: dict[tuple, tuple[float, Any]] = {}

    def _cached(self, key: tuple, read: Callable[[], Any]) -> Any:
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and time.monotonic() - hit[0] < self.ttl_s:
                return hit[1]
            value = read()
            self._cache[key] = (time.monotonic(), value)
            return value

    # --- the chain's head --------------------------------------------------

    def head(self) -> dict[str, int]:
        """The latest block: number and timestamp."""

        def read() -> dict[str, int]:
            block = self.protocol.tasks.provider.get_block("latest")
            return {"number": int(block.number), "timestamp": int(block.timestamp)}

        return self._cached(("head",), read)

    # --- tasks -------------------------------------------------------------

    def task_count(self) -> int:
        return self._cached(("task_count",), lambda: int(self.protocol.tasks.task_count()))

    def tasks(self, page: int) -> dict[str, Any]:
        """One page of tasks, newest first: phase, next deadline, reward, participants."""
        from ape_arena.chain.tasks import TaskClient

        count = self.task_count()
        pages, ids = newest_first(count, page, "tasks")

        def read() -> list[dict[str, Any]]:
            client = TaskClient(self.protocol)
            return [_task_row(client.info(task_id)) for task_id in ids]

        return {
            "page": page,
            "pages": pages,
            "count": count,
            "tasks": self._cached(("tasks", page), read),
        }

    def task(self, task_id: int) -> dict[str, Any]:
        """One task: its row, and the leaderboard and validators of its outcome."""
        from ape_arena.chain.outcome import read_outcome
        from ape_arena.chain.tasks import TaskClient

        if not 1 <= task_id <= self.task_count():
            raise NotFound(
                f"There is no task {task_id}; the tasks go from 1 to {self.task_count()}."
            )

        def read() -> dict[str, Any]:
            info = TaskClient(self.protocol).info(task_id)
            outcome = read_outcome(self.protocol, task_id)
            return {
                **_task_row(info),
                "settled": outcome.settled,
                "train_reward": outcome.train_reward,
                "validator_reward": outcome.validator_reward,
                "protocol_fee": outcome.protocol_fee,
                "submissions": [
                    {
                        "trainer": s.trainer,
                        "rank": s.rank,
                        "consensus": s.consensus,
                        "status": s.status,
                        "scores": dict(s.scores),
                        "reward": s.reward,
                        "slashed": s.slashed,
                        "model_uri": s.model_uri,
                    }
                    for s in sorted(
                        outcome.submissions, key=lambda s: (s.rank is None, s.rank or 0)
                    )
                ],
                "validators": [
                    {
                        "validator": v.validator,
                        "trust_wad": v.trust_wad,
                        "reward": v.reward,
                        "slashed": v.slashed,
                        "revealed": v.revealed,
                    }
                    for v in outcome.validators
                ],
            }

        return self._cached(("task", task_id), read)

    # --- pools ---------------------------------------------------------------

    def operators(self) -> list[str]:
        from ape_arena.chain.events import logs

        def read() -> list[str]:
            found: dict[str, None] = {}
            for log in logs(self.protocol.staking, "PoolOpened", self.protocol.start_block):
                found.setdefault(str(log.operator), None)
            return list(found)

        return self._cached(("operators",), read)

    def pools(self, page: int) -> dict[str, Any]:
        """One page of pools, in the order they opened: each pool's view and its
        realised reward rate."""
        operators = self.operators()
        pages, first = window(len(operators), page, "pools")
        return {
            "page": page,
            "pages": pages,
            "count": len(operators),
            "pools": [self.pool(op) for op in operators[first : first + PAGE_SIZE]],
        }

    def pool(self, operator: str) -> dict[str, Any]:
        """One pool: commission (and a pending raise), own and delegated stake, locked,
        slashes, and what its tasks paid per unit of stake locked in them."""
        from ape_arena.chain.events import logs
        from ape_arena.chain.staking import StakingClient

        if operator not in self.operators():
            raise NotFound(
                f"{operator} has no staking pool; pools are opened with `ape arena pool open`."
            )

        def read() -> dict[str, Any]:
            view = StakingClient(self.protocol).position(operator).pool
            tasks = self.protocol.tasks
            history = []
            for log in logs(
                tasks, "RewardClaimed", self.protocol.start_block, participant=operator
            ):
                stake = int(tasks.participant(int(log.task_id), operator).stake)
                history.append(
                    {
                        "task_id": int(log.task_id),
                        "stake": stake,
                        "reward": int(log.reward),
                        "slashed": int(log.slashed),
                    }
                )
            locked = sum(h["stake"] for h in history)
            earned = sum(h["reward"] for h in history)
            return {
                "operator": operator,
                "commission_bps": view.commission_bps,
                "pending_bps": view.pending_bps,
                "pending_at": view.pending_at,
                "own_stake": view.own_stake,
                "delegated_stake": view.delegated_stake,
                "total_assets": view.total_assets,
                "locked": view.locked,
                "slashed": sum(h["slashed"] for h in history),
                "tasks": history[-10:],
                # Reward per unit of stake locked, over its last ten settled tasks.
                "reward_rate": earned / locked if locked else None,
            }

        return self._cached(("pool", operator), read)

    # --- an address ----------------------------------------------------------

    def position(self, address: str) -> dict[str, Any]:
        """An address's pool, stakes, unbonding, claimable commission and votes."""
        from ape_arena.chain.staking import StakingClient

        def read() -> dict[str, Any]:
            from ape_arena.chain.tasks import PHASE_CANCELLED, PHASE_FINALIZED

            p = StakingClient(self.protocol).position(address)
            tasks = self.protocol.tasks
            # Settled tasks it took part in and has not claimed: `ape arena claim ID`.
            unclaimed = [
                task_id
                for task_id in range(1, self.task_count() + 1)
                if int(tasks.phase(task_id)) in (PHASE_FINALIZED, PHASE_CANCELLED)
                and int(tasks.participant(task_id, address).role) != 0
                and not tasks.participant(task_id, address).claimed
            ]
            return {
                "unclaimed_tasks": unclaimed,
                "address": p.address,
                "wallet": p.wallet,
                "votes": p.votes,
                "pool_opened": p.pool.opened,
                "commission_owed": p.pool.commission_owed,
                "own_stake": p.pool.own_stake,
                "stakes": [
                    {
                        "operator": s.operator,
                        "assets": s.assets,
                        "unbonding": s.unbonding,
                        "unlock_at": s.unlock_at,
                        "reserved": s.reserved,
                    }
                    for s in (p.own_unbonding, *p.stakes)
                    if s.assets or s.unbonding
                ],
            }

        return self._cached(("position", address), read)

    # --- governance ----------------------------------------------------------

    def proposals(self, page: int) -> dict[str, Any]:
        """One page of proposals, newest first."""
        count = int(self.protocol.governor.proposal_count())
        pages, ids = newest_first(count, page, "proposals")
        return {
            "page": page,
            "pages": pages,
            "count": count,
            "proposals": [self.proposal(pid) for pid in ids],
        }

    def proposal(self, proposal_id: int) -> dict[str, Any]:
        """One proposal: state, tally, quorum, deadlines, ETA and its actions."""
        from ape_arena.chain.governance import read_proposal

        count = int(self.protocol.governor.proposal_count())
        if not 1 <= proposal_id <= count:
            raise NotFound(f"There is no proposal {proposal_id}; there are {count}.")

        def read() -> dict[str, Any]:
            p = read_proposal(self.protocol, proposal_id)
            return {
                "id": p.proposal_id,
                "state": p.state,
                "proposer": p.proposer,
                "for_votes": p.for_votes,
                "against_votes": p.against_votes,
                "abstain_votes": p.abstain_votes,
                "quorum": p.quorum,
                "vote_end": p.vote_end,
                "eta": p.eta,
                "description": p.description,
                "actions": [a.call for a in p.actions],
            }

        return self._cached(("proposal", proposal_id), read)


def _task_row(info: Any) -> dict[str, Any]:
    """The fields of a task every list shows."""
    return {
        "task_id": info.task_id,
        "kind": info.kind,
        "creator": info.creator,
        "phase": info.phase_name,
        "next_deadline": info.deadlines.end_of(info.phase),
        "reward": info.reward,
        "emission": info.emission,
        "n_trainers": info.n_trainers,
        "n_validators": info.n_validators,
        "max_trainers": info.max_trainers,
        "max_validators": info.max_validators,
    }
