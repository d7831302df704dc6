"""Attack: one proposer floods the governor.

A staker just above the proposal threshold opens proposal after proposal,
each a slight variation, hoping that voters miss one or that one passes in
a quiet week, while the others keep the voters busy.

Defence: a proposer has one live proposal at a time. While its last
proposal is active, succeeded or queued, `propose` reverts with "gov: the
proposer has a live proposal"; once it is executed, defeated, expired or
canceled, the proposer may propose again.

What remains: a coalition of several addresses above the threshold can still
open one proposal each; the threshold (a DAO parameter) sets the price.
"""

import boa

from support.constants import WAD
from support.dao import AGAINST, GovernedArena


def test_a_proposer_opens_one_proposal_at_a_time():
    dao = GovernedArena()
    flooder = dao.staker("flooder", 10_000 * WAD)
    voter = dao.staker("voter", 50_000 * WAD)
    action = dao.set_param(dao.tasks, "set_q_wad(uint256)", 9 * 10**17)
    first = dao.propose(flooder, [action])
    for _ in range(3):
        with boa.reverts("gov: the proposer has a live proposal"):
            dao.propose(flooder, [action])
    assert dao.governor.proposal_count() == 1
    # Voted down, the proposal is no longer live: the proposer may try again.
    dao.vote(first, voter, AGAINST)
    dao.end_vote(first)
    assert dao.propose(flooder, [action]) == 2
