"""A whole task through Ape on anvil: create, join, commit and reveal models,
reveal the eval set, commit and reveal scores, finalize, claim.

Three trainers and two validators, each with its own staking pool; a
delegator holds shares in the first validator's pool and sees them grow when
the validator's reward is paid in. The phases are crossed with anvil's clock
(`chain.pending_timestamp`: the next block is mined at exactly that time).
"""

import ape
import pytest
from eth_utils import keccak

from support.arena import (
    PHASE_EVAL_REVEAL,
    PHASE_FINALIZE,
    PHASE_FINALIZED,
    PHASE_MODEL_REVEAL,
    PHASE_SCORE_COMMIT,
    PHASE_SCORE_REVEAL,
    PHASE_SUBMIT,
    ROLE_TRAINER,
    ROLE_VALIDATOR,
    TaskTerms,
    h,
    model_commitment,
    score_commitment,
)
from support.constants import (
    COMMISSION_NOTICE,
    DELEGATION_WEIGHT_BPS,
    GENESIS_SUPPLY,
    MAX_COMMISSION_BPS,
    MAX_SLASH_BPS,
    UNBONDING_DELAY,
    WAD,
)

MAX_UINT256 = 2**256 - 1
BPS = 10_000
COMMISSION_BPS = 1_000
OWN_STAKE = 2_000 * WAD
STAKE = 500 * WAD
DELEGATED = 1_000 * WAD
# Lower is better: trainer 2 wins, then trainer 0, then trainer 1.
SCORES = [[200, 300, 100], [201, 299, 101]]


@pytest.fixture(scope="module")
def cast(accounts):
    """creator, three trainers, two validators and a delegator."""
    return {
        "creator": accounts[3],
        "trainers": [accounts[4], accounts[5], accounts[6]],
        "validators": [accounts[7], accounts[8]],
        "delegator": accounts[9],
    }


@pytest.fixture(scope="module")
def arena(require_anvil, project, deployer, admin, treasury, cast):
    """Token, staking and task manager wired as deployment wires them; every
    operator's pool open with OWN_STAKE, the delegator in validator 0's pool."""
    token = project.ArenaToken.deploy(admin, treasury, GENESIS_SUPPLY, sender=deployer)
    staking = project.Staking.deploy(
        token,
        admin,
        treasury,
        UNBONDING_DELAY,
        COMMISSION_NOTICE,
        MAX_COMMISSION_BPS,
        MAX_SLASH_BPS,
        DELEGATION_WEIGHT_BPS,
        sender=deployer,
    )
    tasks = project.TaskManager.deploy(token, staking, admin, treasury, sender=deployer)
    staking.grantRole(staking.PROTOCOL_ROLE(), tasks, sender=admin)

    creator, delegator = cast["creator"], cast["delegator"]
    token.transfer(creator, 10_000 * WAD, sender=treasury)
    token.approve(tasks, MAX_UINT256, sender=creator)
    for operator in (*cast["trainers"], *cast["validators"]):
        token.transfer(operator, OWN_STAKE, sender=treasury)
        token.approve(staking, MAX_UINT256, sender=operator)
        staking.open_pool(COMMISSION_BPS, OWN_STAKE, sender=operator)
    token.transfer(delegator, DELEGATED, sender=treasury)
    token.approve(staking, MAX_UINT256, sender=delegator)
    # Ape's `BaseAddress.delegate` (EIP-7702) hides the contract's `delegate`
    # method on the instance, so it is called by name.
    staking.invoke_transaction("delegate", cast["validators"][0], DELEGATED, sender=delegator)
    return token, staking, tasks


def events(receipt, name):
    return [log for log in receipt.events if log.event_name == name]


def test_whole_task(chain, arena, cast, treasury):
    token, staking, tasks = arena
    creator, delegator = cast["creator"], cast["delegator"]
    trainers, validators = cast["trainers"], cast["validators"]
    participants = [*trainers, *validators]
    terms = TaskTerms(max_trainers=8, max_validators=4)

    # --- create -----------------------------------------------------------------
    creator_before = token.balanceOf(creator)
    receipt = tasks.create_task(terms.as_params(), sender=creator)
    (created,) = events(receipt, "TaskCreated")
    task_id = created.task_id
    assert task_id == tasks.task_count() == 1
    assert created.creator == creator.address
    assert (created.reward, created.bond) == (terms.reward, terms.bond)
    assert created.submit_end == receipt.timestamp + terms.submit_duration
    assert created.score_reveal_end == receipt.timestamp + 5 * 3_600
    assert token.balanceOf(creator) == creator_before - terms.reward - terms.bond
    assert token.balanceOf(tasks) == terms.reward + terms.bond
    assert tasks.phase(task_id) == PHASE_SUBMIT

    # --- submit: join and commit ---------------------------------------------------
    for role, group in ((ROLE_TRAINER, trainers), (ROLE_VALIDATOR, validators)):
        for index, account in enumerate(group):
            receipt = tasks.join(task_id, role, STAKE, sender=account)
            (joined,) = events(receipt, "Joined")
            assert (joined.participant, joined.role, joined.index) == (account.address, role, index)
            assert joined.stake == STAKE
            assert staking.locked_by(account, tasks) == STAKE
    # The delegated stake counts fully (DELEGATION_WEIGHT_BPS = 100%).
    assert tasks.participant(task_id, validators[0]).weight == STAKE

    models = {t: h(f"model of {t.address}") for t in trainers}
    salts = {a: keccak(text=f"salt of {a.address}") for a in participants}
    for trainer in trainers:
        commitment = model_commitment(models[trainer], trainer.address, salts[trainer])
        receipt = tasks.commit_model(task_id, commitment, sender=trainer)
        (committed,) = events(receipt, "ModelCommitted")
        assert committed.commitment == commitment
        assert committed.commit_block == receipt.block_number

    # --- model reveal -----------------------------------------------------------------
    deadlines = tasks.tasks(task_id)
    chain.pending_timestamp = deadlines.submit_end
    with ape.reverts("task: not in the submit phase"):
        tasks.commit_model(task_id, b"\x01" * 32, sender=trainers[0])
    for trainer in trainers:
        receipt = tasks.reveal_model(
            task_id, models[trainer], f"ipfs://{trainer.address}", salts[trainer], sender=trainer
        )
        assert receipt.timestamp >= deadlines.submit_end
        (revealed,) = events(receipt, "ModelRevealed")
        assert (revealed.trainer, revealed.model_hash) == (trainer.address, models[trainer])
        assert tasks.model_owner(task_id, models[trainer]) == trainer.address
    assert tasks.phase(task_id) == PHASE_MODEL_REVEAL

    # --- eval reveal: the bond goes back -------------------------------------------------
    chain.mine(timestamp=deadlines.reveal_end)
    assert tasks.phase(task_id) == PHASE_EVAL_REVEAL
    creator_before = token.balanceOf(creator)
    receipt = tasks.reveal_eval(
        task_id, terms.eval_hash, "ipfs://eval", terms.eval_salt, sender=creator
    )
    (eval_revealed,) = events(receipt, "EvalRevealed")
    assert eval_revealed.eval_hash == terms.eval_hash
    assert token.balanceOf(creator) == creator_before + terms.bond
    assert tasks.phase(task_id) == PHASE_SCORE_COMMIT

    # --- scores: commit, then reveal ------------------------------------------------------
    for validator, scores in zip(validators, SCORES, strict=True):
        commitment = score_commitment(scores, validator.address, salts[validator])
        receipt = tasks.commit_scores(task_id, commitment, sender=validator)
        assert events(receipt, "ScoresCommitted")[0].commitment == commitment
    chain.pending_timestamp = deadlines.score_commit_end
    for validator, scores in zip(validators, SCORES, strict=True):
        receipt = tasks.reveal_scores(task_id, scores, salts[validator], sender=validator)
        (log,) = events(receipt, "ScoresRevealed")
        assert list(log.scores) == scores
    assert tasks.phase(task_id) == PHASE_SCORE_REVEAL

    # --- finalize, by anyone, in bounded steps -----------------------------------------
    # A view reads the latest block: mine one at the deadline first.
    chain.mine(timestamp=deadlines.score_reveal_end)
    assert tasks.phase(task_id) == PHASE_FINALIZE
    logs = []
    for _ in range(10):
        receipt = tasks.finalize(task_id, sender=delegator)
        logs.extend(receipt.events)
        if tasks.phase(task_id) == PHASE_FINALIZED:
            break
    names = [log.event_name for log in logs]
    assert names.count("ConsensusReached") == 3
    assert names.count("Ranked") == 3
    assert names.count("TrustComputed") == 2
    (final,) = [log for log in logs if log.event_name == "TaskFinalized"]
    fee = terms.reward * 500 // BPS
    assert final.protocol_fee == fee
    assert final.train_reward + final.validator_reward == terms.reward - fee
    assert final.refunded == 0
    with ape.reverts("task: already finalized"):
        tasks.finalize(task_id, sender=delegator)

    # Lower median of two equal weights: the smaller score.
    for i, trainer in enumerate(trainers):
        assert tasks.consensus_of(task_id, trainer) == min(SCORES[0][i], SCORES[1][i])
    ranks = [tasks.participant(task_id, t).rank for t in trainers]
    assert ranks == [1, 2, 0]
    for validator in validators:
        assert tasks.trust(task_id, validator) == WAD

    # --- claims: stakes released, rewards paid into the pools ------------------------
    delegator_before = staking.assets_of(validators[0], delegator)
    rewards = {}
    for participant in participants:
        expected = tasks.claimable(task_id, participant)
        pool_before = staking.pools(participant).total_assets
        receipt = tasks.claim(task_id, participant, sender=participant)
        (claimed,) = events(receipt, "RewardClaimed")
        assert claimed.participant == participant.address
        assert (claimed.reward, claimed.slashed) == (expected, 0)
        (paid,) = events(receipt, "RewardPaid")
        assert (paid.operator, paid.amount) == (participant.address, expected)
        assert paid.commission == expected * COMMISSION_BPS // BPS
        assert staking.locked_by(participant, tasks) == 0
        assert staking.pools(participant).total_assets == pool_before + expected - paid.commission
        rewards[participant] = expected
    # Rank 0 earns most; equal trust and weight: equal validator rewards.
    assert rewards[trainers[2]] > rewards[trainers[0]] > rewards[trainers[1]] > 0
    assert rewards[validators[0]] == rewards[validators[1]] > 0
    with ape.reverts("task: already claimed"):
        tasks.claim(task_id, trainers[0], sender=trainers[0])

    # The delegator's stake grew by its share of validator 0's reward after
    # commission: it holds DELEGATED of the pool's OWN_STAKE + DELEGATED.
    delegator_after = staking.assets_of(validators[0], delegator)
    after_commission = rewards[validators[0]] * (BPS - COMMISSION_BPS) // BPS
    share = after_commission * DELEGATED // (OWN_STAKE + DELEGATED)
    assert delegator_after > delegator_before
    assert abs(delegator_after - delegator_before - share) <= 2

    # Everything paid out: the task manager holds nothing, and the creator got
    # the rounding dust back with the last claim.
    task = tasks.tasks(task_id)
    assert (task.balance, task.unclaimed) == (0, 0)
    assert token.balanceOf(tasks) == 0
    assert sum(rewards.values()) + fee <= terms.reward
