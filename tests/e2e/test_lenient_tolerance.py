"""Attack: a lenient tolerance lets a lazy validator agree with everything.

A validator's trust is the share of submissions where its score is within
`tolerance_bps` of the consensus. A creator that set the tolerance to 100%
made a validator scoring 0 for every model "agree" with any consensus, so it
earned full trust without evaluating anything.

Defence: the tolerance is capped at 10% (MAX_TOLERANCE_BPS = 1,000); a task
with more is refused. Within 10%, a validator that does not evaluate cannot
expect to land near an honest consensus.

What remains: a lazy validator that guesses within 10% of the consensus
earns trust for that guess; the task's creator chooses a tolerance that
fits its metric's spread (docs/tasks.md).
"""

import boa

from support.arena import TaskTerms


def test_a_tolerance_above_ten_percent_is_refused(arena, books):
    creator = books.actor("creator")
    with boa.reverts("task: tolerance out of bounds"):
        arena.create(creator, TaskTerms(tolerance_bps=10_000))
    with boa.reverts("task: tolerance out of bounds"):
        arena.create(creator, TaskTerms(tolerance_bps=1_001))
    assert arena.create(creator, TaskTerms(tolerance_bps=1_000)) == 1
