"""Attack: slashed stake keeps its voting power, and the quorum reads the live total.

Voting power counts the tokens an account staked and did not ask back. Were
a slash to leave it alone, an operator slashed for misbehaving would keep
the power of the tokens it lost: after asking everything that is left back,
it would hold no stake at all and still vote, or propose, with what the
slash took. And were the quorum to read the total voting power when the
proposal is made, a large holder could ask its stake back in the proposal's
block: its vote still counts at the snapshot (the block before), while the
quorum would fall by all of it.

Defence: a slash lowers the operator's voting power in proportion to what it
took of the operator's own stake in its pool (staking keeps that principal,
`pool.own_principal`, per pool), and the total with it; the Governor reads
the total at the proposal's snapshot (`staking.total_votes_at`), like the
votes.

What remains: a slash beyond the operator's whole own stake in the pool
lowers the delegators' shares but not their voting power (see
test_votes.py). The operator's own stake covers min_self_stake_bps (10%) of
all its pool has locked, so that takes a task slash rate above it (the
defaults are 5% and 10%; governance may raise them to the 50% ceiling).
"""

import boa

from support.arena import PHASE_EVAL_REVEAL, PHASE_MODEL_REVEAL, ROLE_TRAINER, ROLE_VALIDATOR, h
from support.constants import WAD
from support.dao import FOR, STATE_DEFEATED, GovernedArena

from .story import claim_all, next_block, salt_of, score_round

CHEAT_STAKE = 30_000 * WAD


def test_a_slashed_operator_loses_the_power_of_what_was_slashed():
    dao = GovernedArena()
    creator = dao.actor("creator")
    trainer = dao.operator("trainer", 1_000 * WAD)
    honest = [dao.operator(f"honest{i}", 1_000 * WAD) for i in range(2)]
    cheat = dao.operator("cheat", CHEAT_STAKE)
    task_id = dao.create(creator)
    dao.join(task_id, trainer, ROLE_TRAINER, 100 * WAD)
    for validator in honest:
        dao.join(task_id, validator, ROLE_VALIDATOR, 100 * WAD)
    dao.join(task_id, cheat, ROLE_VALIDATOR, CHEAT_STAKE)
    dao.commit_model(task_id, trainer, h("model"), salt_of(trainer))
    dao.to_phase(task_id, PHASE_MODEL_REVEAL)
    dao.reveal_model(task_id, trainer, h("model"), salt_of(trainer))
    dao.to_phase(task_id, PHASE_EVAL_REVEAL)
    # The cheat commits scores and never reveals them: slashed 5%.
    scores = {v: [1_000] for v in [*honest, cheat]}
    score_round(dao, task_id, scores, creator=creator, silent=(cheat,))
    dao.finalize(task_id)
    paid = claim_all(dao, task_id, [trainer, *honest, cheat])
    slashed = paid[cheat][1]
    assert slashed == CHEAT_STAKE * 500 // 10_000

    # Its voting power fell with its stake...
    assert dao.staking.own_stake(cheat) == CHEAT_STAKE - slashed
    assert dao.staking.votes(cheat) == CHEAT_STAKE - slashed
    assert dao.staking.total_votes() == 3_000 * WAD + CHEAT_STAKE - slashed
    # ...so once it has asked everything back it has none left, and cannot
    # propose with the power of the tokens the slash took.
    with boa.env.prank(cheat):
        dao.staking.request_withdraw(cheat, dao.staking.own_stake(cheat))
    assert dao.staking.votes(cheat) == 0
    next_block()
    assert slashed >= dao.governor.proposal_threshold()
    action = dao.set_param(dao.tasks, "set_q_wad(uint256)", 9 * 10**17)
    with boa.reverts("gov: voting power below the proposal threshold"):
        dao.propose(cheat, [action])


def test_asking_stake_back_in_the_proposals_block_does_not_lower_the_quorum():
    dao = GovernedArena()
    proposer = dao.staker("proposer", 5_000 * WAD)
    dao.staker("holder", 35_000 * WAD)
    whale = dao.staker("whale", 60_000 * WAD)
    total = dao.staking.total_votes()
    assert total == 100_000 * WAD

    # In one block: the whale asks all its stake back, the proposer proposes.
    with boa.env.prank(whale):
        dao.staking.request_withdraw(whale, 60_000 * WAD)
    action = dao.set_param(dao.tasks, "set_q_wad(uint256)", 9 * 10**17)
    proposal_id = dao.propose(proposer, [action])
    # The quorum is 10% of the total at the snapshot, the whale's stake
    # included, not of what is left staked.
    assert dao.governor.proposals(proposal_id).quorum == total * 1_000 // 10_000
    next_block()
    assert dao.vote(proposal_id, proposer, FOR) == 5_000 * WAD
    dao.end_vote(proposal_id)
    assert dao.governor.state(proposal_id) == STATE_DEFEATED
