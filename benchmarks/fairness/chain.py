"""The real contracts on titanoboa: one deployment, one task per run.

`World` deploys token + staking + task manager once (`ape_arena.sim.arena`,
whose compiled contracts are cached per process), opens a staking pool for
every account a run may need, and then plays each run inside
`boa.env.anchor()`, which rolls the whole state back afterwards: a run costs
one task's transactions (about a quarter of a second), never a deployment.
"""

from __future__ import annotations

import random
from pathlib import Path

import boa

from ape_arena.sim import arena as _arena
from ape_arena.sim.arena import (
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
from ape_arena.units import WAD

from .sim import INVALID_SCORE, Outcome, RunSpec, scores_of

ROOT = Path(__file__).resolve().parents[2]
_arena.CONTRACTS = ROOT / "contracts"

REWARD = 1_000  # tokens escrowed per task
POOL = 20_000  # tokens each account stakes in its own pool
ACCOUNTS = 32  # trainers + validators of the largest run (10 - 1 + 8 + 7 = 24)
MAX_TRAINERS = 24
MAX_VALIDATORS = 8


def _wad(x: float) -> int:
    """A parameter in WAD, exactly (x has at most 4 decimals)."""
    return round(x * 10_000) * 10**14


class World:
    def __init__(self) -> None:
        self.arena = Arena()
        a = self.arena
        self.creator = a.actor("fairness creator", 10 * REWARD * WAD)
        self.accounts = [a.operator(f"fairness op {i}", POOL * WAD) for i in range(ACCOUNTS)]
        self.default_gamma = a.tasks.gamma_wad()
        self.default_q = a.tasks.q_wad()
        self.fee_bps = a.tasks.protocol_fee_bps()

    def play(self, spec: RunSpec, rng: random.Random) -> Outcome:
        """One whole task, from create_task to settlement, then rolled back."""
        with boa.env.anchor():
            return self._play(spec, rng)

    def _play(self, spec: RunSpec, rng: random.Random) -> Outcome:
        a, tm = self.arena, self.arena.tasks
        p = spec.params
        with boa.env.prank(a.admin):
            if _wad(p.gamma) != self.default_gamma:
                tm.set_gamma_wad(_wad(p.gamma))
            if _wad(p.q) != self.default_q:
                tm.set_q_wad(_wad(p.q))
        terms = TaskTerms(
            reward=REWARD * WAD,
            max_trainers=MAX_TRAINERS,
            max_validators=MAX_VALIDATORS,
            tolerance_bps=p.tolerance_bps,
        )
        nt, nv = len(spec.trainers), len(spec.validators)
        trainers = self.accounts[:nt]
        validators = self.accounts[nt : nt + nv]
        task = a.create(self.creator, terms)

        # Submit phase: join, then commit (copiers a block later).
        for acct, t in zip(trainers, spec.trainers, strict=True):
            a.join(task, acct, ROLE_TRAINER, t.stake * WAD)
        for acct, v in zip(validators, spec.validators, strict=True):
            a.join(task, acct, ROLE_VALIDATOR, v.stake * WAD)
        models = [h(f"model {t.model}") for t in spec.trainers]
        salts = [h(f"salt {i}") for i in range(nt)]
        for late in (False, True):
            if late:
                boa.env.time_travel(blocks=1)
            for i, t in enumerate(spec.trainers):
                if t.late == late:
                    a.commit_model(task, trainers[i], models[i], salts[i])

        # Model reveal, eval reveal.
        a.to_phase(task, PHASE_MODEL_REVEAL)
        for i in range(nt):
            a.reveal_model(task, trainers[i], models[i], salts[i])
        a.to_phase(task, PHASE_EVAL_REVEAL)
        a.reveal_eval(task, self.creator, terms)

        # Scores: commit, then reveal.
        vectors = [scores_of(v, spec, rng) for v in spec.validators]
        vsalts = [h(f"score salt {j}") for j in range(nv)]
        for j in range(nv):
            a.commit_scores(task, validators[j], vectors[j], vsalts[j])
        a.to_phase(task, PHASE_SCORE_REVEAL)
        for j in range(nv):
            a.reveal_scores(task, validators[j], vectors[j], vsalts[j])
        a.to_phase(task, PHASE_FINALIZE)
        a.finalize(task)

        # Read the settlement.
        record = tm.tasks(task)
        ranks, consensus, disqualified = [], [], []
        for acct in trainers:
            part = tm.participant(task, acct)
            ranks.append(None if part.rank == 2**256 - 1 else part.rank)
            disqualified.append(part.disqualified)
            consensus.append(tm.consensus_of(task, acct))
        trust = [tm.trust(task, acct) / WAD for acct in validators]

        # Rewards: what each participant's claim would pay. Only those with a
        # slash due (disqualified plagiarists) claim, to read the slash.
        t_claimable = [tm.claimable(task, acct) for acct in trainers]
        t_reward = [x / WAD for x in t_claimable]
        v_reward = [tm.claimable(task, acct) / WAD for acct in validators]
        t_slashed = [0.0] * nt
        for i, acct in enumerate(trainers):
            if disqualified[i]:
                paid = a.claim(task, acct)
                (log,) = [x for x in tm.get_logs() if type(x).__name__ == "RewardClaimed"]
                assert paid == t_claimable[i] == 0 and log.participant == acct
                t_slashed[i] = log.slashed / WAD
        v_slashed = [0.0] * nv
        assert all(c <= INVALID_SCORE for c in consensus)
        return Outcome(
            reward=record.reward / WAD,
            fee=record.reward * record.protocol_fee_bps // 10_000 / WAD,
            train_pool=record.train_reward / WAD,
            validator_pool=record.validator_reward / WAD,
            trainer_reward=t_reward,
            trainer_slashed=t_slashed,
            trainer_rank=ranks,
            trainer_consensus=consensus,
            trainer_disqualified=disqualified,
            validator_reward=v_reward,
            validator_slashed=v_slashed,
            validator_trust=trust,
            validator_scores=vectors,
        )
