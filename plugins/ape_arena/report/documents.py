"""The JSON documents `--json` prints, built from the chain layer's read models.

One builder per command, each returning a plain dict that `json.dumps`
writes exactly, with the conventions of docs/json.md:

- every document has a `kind` and the `schema_version` of its layout;
- token amounts (wei) and WAD fractions are decimal strings of the exact
  integer, so no reader's floating point can round them; basis points,
  counts, ids, block numbers and scores are JSON integers (all below 2^53);
- times are ISO 8601 in UTC ("2026-12-04T10:00:00Z"), null where the chain
  holds none (0);
- addresses are checksummed, hashes are 0x-prefixed hex (null where zero);
- phases, roles, states and statuses are lowercase names with underscores.

The builders take the read models duck-typed (tasks' `TaskInfo`, the
`TaskOutcome` of ape_arena/outcome.py, staking's `Position`, governance's
`ProposalView`, the `ParameterValue`s of the parameter table, the network's
`NetworkInfo`): a report renders data and never reaches the chain.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from eth_utils import to_checksum_address

from ape_arena.kinds.scores import INVALID_SCORE, SCORE_SCALE
from ape_arena.outcome import DISQUALIFIED, INVALID, NO_MODEL, NOT_REVEALED, SCORING, VALID
from ape_arena.units import iso

# Bumped when a field is renamed, removed or changes its type; new fields
# keep the version.
SCHEMA_VERSION = 1

# The outcome's statuses (ape_arena/outcome.py) as names a script matches.
STATUS_NAMES = {
    VALID: "valid",
    INVALID: "invalid",
    DISQUALIFIED: "disqualified",
    NOT_REVEALED: "not_revealed",
    NO_MODEL: "no_model",
    SCORING: "scoring",
}

# Parameter units whose values are exact big integers, written as strings.
_STRING_UNITS = ("wei", "wad")


def dumps(document: dict[str, Any]) -> str:
    """The document as the commands print it: indented, keys sorted."""
    return json.dumps(document, indent=2, sort_keys=True)


# ---------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------


def amount(wei: int) -> str:
    """An exact integer (wei, or a WAD fraction) as a decimal string."""
    if isinstance(wei, bool):
        raise TypeError("an amount is an integer, not a bool")
    return str(int(wei))


def optional_amount(wei: int | None) -> str | None:
    return None if wei is None else amount(wei)


def timestamp(seconds: int | None) -> str | None:
    """Unix seconds as ISO 8601 UTC; None for 0 (the chain's "not set")."""
    return iso(seconds) if seconds else None


def address(value: str) -> str:
    return to_checksum_address(str(value))


def hex_hash(raw: bytes | None) -> str | None:
    """A 32-byte hash as 0x-hex; None when absent or all zeros (not yet set)."""
    if not raw or not any(bytes(raw)):
        return None
    return "0x" + bytes(raw).hex()


def name(text: str) -> str:
    """A phase, role or state as a lowercase name: "model reveal" -> "model_reveal"."""
    return str(text).strip().lower().replace(" ", "_")


def score(value: int) -> int | None:
    """A contract score; None for INVALID_SCORE (a model that could not be scored)."""
    return None if int(value) == INVALID_SCORE else int(value)


def _document(kind: str, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "schema_version": SCHEMA_VERSION, **fields}


# ---------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------


def _task(info: Any) -> dict[str, Any]:
    """A task's record (`TaskInfo`): terms, counts, deadlines and phase."""
    d = info.deadlines
    return {
        "task_id": int(info.task_id),
        "kind": info.kind,
        "phase": name(info.phase_name),
        "creator": address(info.creator),
        "reward": amount(info.reward),
        "emission": amount(info.emission),
        "total_reward": amount(info.reward + info.emission),
        "train_reward": amount(info.train_reward),
        "validator_reward": amount(info.validator_reward),
        "bond": amount(info.bond),
        "min_trainer_stake": amount(info.min_trainer_stake),
        "min_validator_stake": amount(info.min_validator_stake),
        "n_trainers": int(info.n_trainers),
        "max_trainers": int(info.max_trainers),
        "n_validators": int(info.n_validators),
        "max_validators": int(info.max_validators),
        "tolerance_bps": int(info.tolerance_bps),
        "gamma_wad": amount(info.gamma_wad),
        "q_wad": amount(info.q_wad),
        "protocol_fee_bps": int(info.protocol_fee_bps),
        "spec_hash": hex_hash(info.spec_hash),
        "eval_hash": hex_hash(info.eval_hash),
        "deadlines": {
            "submit_end": timestamp(d.submit_end),
            "model_reveal_end": timestamp(d.reveal_end),
            "eval_reveal_end": timestamp(d.eval_end),
            "score_commit_end": timestamp(d.score_commit_end),
            "score_reveal_end": timestamp(d.score_reveal_end),
        },
        "phase_ends": timestamp(d.end_of(info.phase)),
    }


def task_list(infos: Iterable[Any]) -> dict[str, Any]:
    """`ape arena task list --json`: every task's record, oldest first."""
    return _document("task-list", tasks=[_task(info) for info in infos])


def task(info: Any, spec_uri: str, participants: Iterable[Any]) -> dict[str, Any]:
    """`ape arena task show ID --json`: the record, the spec's URI and every participant."""
    return _document(
        "task",
        task={
            **_task(info),
            "spec_uri": spec_uri or None,
            "participants": [
                {
                    "address": address(p.address),
                    "role": name(p.role),
                    "index": int(p.index),
                    "stake": amount(p.stake),
                    "weight": amount(p.weight),
                    "status": name(p.status),
                    "committed": bool(p.committed),
                    "revealed": bool(p.revealed),
                    "disqualified": bool(p.disqualified),
                    "claimed": bool(p.claimed),
                }
                for p in participants
            ],
        },
    )


def leaderboard(outcome: Any) -> dict[str, Any]:
    """`ape arena leaderboard ID --json`: a `TaskOutcome`, submissions by rank."""
    return _document(
        "leaderboard",
        task_id=int(outcome.task_id),
        task_kind=outcome.kind,
        phase=name(outcome.phase_name),
        settled=bool(outcome.settled),
        reward=amount(outcome.reward),
        emission=amount(outcome.emission),
        total_reward=amount(outcome.total_reward),
        train_reward=amount(outcome.train_reward),
        validator_reward=amount(outcome.validator_reward),
        protocol_fee=amount(outcome.protocol_fee),
        score_scale=SCORE_SCALE,
        submissions=[
            {
                "rank": s.rank,
                "trainer": address(s.trainer),
                "index": int(s.index),
                "stake_weight": amount(s.stake_weight),
                "status": STATUS_NAMES.get(s.status, name(s.status)),
                "committed": bool(s.committed),
                "revealed": bool(s.revealed),
                "disqualified": bool(s.disqualified),
                "model_hash": hex_hash(s.model_hash),
                "model_uri": s.model_uri,
                "consensus": score(s.consensus),
                "scores": {address(v): score(value) for v, value in s.scores.items()},
                "reward": amount(s.reward),
                "slashed": amount(s.slashed),
                "claimed": bool(s.claimed),
            }
            for s in outcome.submissions
        ],
        validators=[
            {
                "validator": address(v.validator),
                "stake_weight": amount(v.stake_weight),
                "committed": bool(v.committed),
                "revealed": bool(v.revealed),
                "trust_wad": optional_amount(v.trust_wad),
                "reward": amount(v.reward),
                "slashed": amount(v.slashed),
                "claimed": bool(v.claimed),
            }
            for v in outcome.validators
        ],
    )


# ---------------------------------------------------------------------------
# Staking
# ---------------------------------------------------------------------------


def _stake(view: Any) -> dict[str, Any]:
    return {
        "operator": address(view.operator),
        "assets": amount(view.assets),
        "waiting": amount(view.waiting),
        "reserved": amount(view.reserved),
        "unbonding": amount(view.unbonding),
        "withdrawable_at": timestamp(view.unlock_at) if view.unbonding else None,
    }


def position(p: Any) -> dict[str, Any]:
    """`ape arena position ADDRESS --json`: a staking `Position`."""
    pool = p.pool
    pending = None
    if pool.pending_bps is not None:
        pending = {"bps": int(pool.pending_bps), "effective_at": timestamp(pool.pending_at)}
    own = p.own_unbonding
    return _document(
        "position",
        address=address(p.address),
        block_time=timestamp(p.now),
        wallet=amount(p.wallet),
        votes=amount(p.votes),
        pool={
            "opened": bool(pool.opened),
            "commission_bps": int(pool.commission_bps),
            "pending_commission": pending,
            "own_stake": amount(pool.own_stake),
            "delegated_stake": amount(pool.delegated_stake),
            "total_assets": amount(pool.total_assets),
            "locked": amount(pool.locked),
            "waiting": amount(pool.waiting),
            "reserved": amount(pool.reserved),
            "unlocked": amount(pool.unlocked),
            "commission_owed": amount(pool.commission_owed),
        },
        own_unbonding={
            "unbonding": amount(own.unbonding),
            "withdrawable_at": timestamp(own.unlock_at) if own.unbonding else None,
        },
        stakes=[_stake(s) for s in p.stakes],
    )


# ---------------------------------------------------------------------------
# Parameters and governance
# ---------------------------------------------------------------------------


def _in_unit(unit: str, value: int | str | None) -> int | str | None:
    if value is None:
        return None
    if unit == "address":
        return address(value)
    return amount(value) if unit in _STRING_UNITS else int(value)


def params(values: Iterable[Any]) -> dict[str, Any]:
    """`ape arena params --json`: every governed parameter (`ParameterValue`s)."""
    rows = []
    for item in values:
        p = item.parameter
        rows.append(
            {
                "key": p.key,
                "contract": p.contract,
                "name": p.name,
                "unit": p.unit,
                "value": _in_unit(p.unit, item.value),
                "low": _in_unit(p.unit, p.low),
                "high": _in_unit(p.unit, p.high),
                "setter": p.signature,
                "summary": p.summary,
            }
        )
    return _document("params", parameters=rows)


def _proposal(p: Any) -> dict[str, Any]:
    return {
        "proposal_id": int(p.proposal_id),
        "state": name(p.state),
        "proposer": address(p.proposer),
        "title": p.title,
        "description": p.description,
        "snapshot_block": int(p.snapshot),
        "vote_end": timestamp(p.vote_end),
        "executable_from": timestamp(p.eta),
        "for_votes": amount(p.for_votes),
        "against_votes": amount(p.against_votes),
        "abstain_votes": amount(p.abstain_votes),
        "quorum": amount(p.quorum),
        "actions": [
            {"target": address(a.target), "calldata": "0x" + bytes(a.data).hex(), "call": a.call}
            for a in p.actions
        ],
    }


def proposal_list(proposals: Iterable[Any]) -> dict[str, Any]:
    """`ape arena gov list --json`: every proposal (`ProposalView`s), oldest first."""
    return _document("proposal-list", proposals=[_proposal(p) for p in proposals])


def proposal(p: Any) -> dict[str, Any]:
    """`ape arena gov show ID --json`: one `ProposalView`."""
    return _document("proposal", proposal=_proposal(p))


# ---------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------


def info(n: Any) -> dict[str, Any]:
    """`ape arena info --json`: a `NetworkInfo`."""
    deployment = None
    if n.deployment is not None:
        deployment = {
            "chain_id": n.record_chain_id,
            "chain_id_matches": bool(n.chain_id_matches),
            "compiler": n.deployment.compiler,
            "contracts": [
                {
                    "name": c.name,
                    "address": address(c.address),
                    "block": c.block,
                    "has_code": bool(c.has_code),
                }
                for c in n.contracts
            ],
        }
    return _document(
        "info",
        network=n.choice,
        ecosystem=n.ecosystem,
        network_name=n.network,
        provider=n.provider,
        chain_id=int(n.chain_id),
        block=int(n.block),
        block_time=timestamp(n.block_timestamp),
        record=n.record,
        deployment=deployment,
    )
