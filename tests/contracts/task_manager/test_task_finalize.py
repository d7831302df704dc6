"""finalize: bounded steps (consensus, ranking, trust, split), the consensus
(stake-weighted median: the smallest score whose cumulative weight passes
half; at exactly half, the midpoint of that score and the next, or invalid
if the next is; the lowest score without weight), the ranking and its ties,
trust."""

import boa
import pytest
from task_manager_support import logs_named

from support.arena import (
    INVALID_SCORE,
    PHASE_CANCELLED,
    PHASE_EVAL_REVEAL,
    PHASE_FINALIZE,
    PHASE_FINALIZED,
    PHASE_MODEL_REVEAL,
    PHASE_SCORE_COMMIT,
    PHASE_SCORE_REVEAL,
    PHASE_SUBMIT,
    ROLE_VALIDATOR,
    h,
)
from support.constants import WAD

STAGE_CONSENSUS, STAGE_RANK, STAGE_TRUST, STAGE_SETTLE, STAGE_DONE = range(5)
UNRANKED = 2**256 - 1


def finalize_once(tm, task, caller) -> bool:
    with boa.env.prank(caller):
        return tm.finalize(task)


def stage(tm, task) -> tuple[int, int]:
    t = tm.tasks(task)
    return t.stage, t.cursor


# --- when ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phase",
    [PHASE_SUBMIT, PHASE_MODEL_REVEAL, PHASE_EVAL_REVEAL, PHASE_SCORE_COMMIT, PHASE_SCORE_REVEAL],
)
def test_finalize_before_the_scores_are_in_reverts(game, tm, task, creator, non_owner, phase):
    game.advance(task, creator, phase)
    assert tm.phase(task) == phase
    with boa.reverts("task: scoring is not over"):
        finalize_once(tm, task, non_owner)


def test_finalize_of_a_cancelled_or_unknown_task_reverts(arena, tm, task, non_owner):
    arena.to_phase(task, PHASE_CANCELLED)
    for task_id in (task, 0, task + 1):
        with boa.reverts("task: scoring is not over"):
            finalize_once(tm, task_id, non_owner)


# --- steps ---------------------------------------------------------------------------


def test_finalize_steps_of_a_small_task(
    arena, game, tm, joined, creator, trainer, other_trainer, validator, other_validator, non_owner
):
    game.play(
        joined,
        creator,
        {trainer: None, other_trainer: None},
        {validator: [100, 200], other_validator: [100, 200]},
    )
    assert tm.phase(joined) == PHASE_FINALIZE
    assert stage(tm, joined) == (STAGE_CONSENSUS, 0)

    assert finalize_once(tm, joined, non_owner) is False
    reached = logs_named(tm, "ConsensusReached")
    assert [(e.trainer, e.consensus) for e in reached] == [(trainer, 100), (other_trainer, 200)]
    assert stage(tm, joined) == (STAGE_RANK, 0)

    assert finalize_once(tm, joined, non_owner) is False
    ranked = logs_named(tm, "Ranked")
    assert [(e.trainer, e.rank, e.reward_weight) for e in ranked] == [
        (trainer, 0, 100 * WAD),
        (other_trainer, 1, 85 * WAD),
    ]
    assert stage(tm, joined) == (STAGE_TRUST, 0)
    assert tm.tasks(joined).train_weight_sum == 185 * WAD

    assert finalize_once(tm, joined, non_owner) is False
    trust = logs_named(tm, "TrustComputed")
    assert [(e.validator, e.trust, e.reward_weight) for e in trust] == [
        (validator, WAD, 100 * WAD),
        (other_validator, WAD, 100 * WAD),
    ]
    assert stage(tm, joined) == (STAGE_SETTLE, 0)
    assert tm.tasks(joined).validator_weight_sum == 200 * WAD

    assert finalize_once(tm, joined, non_owner) is True
    (settled,) = logs_named(tm, "TaskFinalized")
    assert (settled.protocol_fee, settled.refunded) == (50 * WAD, 0)
    assert settled.train_reward + settled.validator_reward == 950 * WAD
    # The fee is paid to the treasury at once; nothing is left to refund.
    assert [(e.receiver, e.amount) for e in logs_named(tm, "FeePaid")] == [
        (arena.treasury, 50 * WAD)
    ]
    assert logs_named(tm, "Refunded") == []
    assert stage(tm, joined) == (STAGE_DONE, 0)
    assert tm.phase(joined) == PHASE_FINALIZED
    with boa.reverts("task: already finalized"):
        finalize_once(tm, joined, non_owner)
    game.claim_all(joined)
    game.assert_settled(joined)


def test_finalize_of_a_full_task_takes_several_steps(arena, game, tm, creator, non_owner):
    """17 trainers: 3 consensus steps of at most 8; 33 validators: 2 trust
    steps of at most 32; then the ranking and the split: 7 calls."""
    task, _ = game.create(creator, max_trainers=17, max_validators=33)
    trainers = game.operators_named("trainer", 17)
    validators = game.operators_named("validator", 33)
    game.enrol(task, trainers, validators)
    # 2% apart, beyond the 1% tolerance: one rank each.
    scores = [1_000 + 20 * i for i in range(17)]
    game.play(task, creator, dict.fromkeys(trainers), dict.fromkeys(validators, scores))

    # (returns, stage and cursor after, events of the call)
    expected = [
        (False, (STAGE_CONSENSUS, 8), ("ConsensusReached", 8)),
        (False, (STAGE_CONSENSUS, 16), ("ConsensusReached", 8)),
        (False, (STAGE_RANK, 0), ("ConsensusReached", 1)),
        (False, (STAGE_TRUST, 0), ("Ranked", 17)),
        (False, (STAGE_TRUST, 32), ("TrustComputed", 32)),
        (False, (STAGE_SETTLE, 0), ("TrustComputed", 1)),
        (True, (STAGE_DONE, 0), ("TaskFinalized", 1)),
    ]
    for call, (done, after, (event, count)) in enumerate(expected):
        assert finalize_once(tm, task, non_owner) is done, call
        assert len(logs_named(tm, event)) == count, call
        assert stage(tm, task) == after, call
        if call == 0:
            # Computed for the first batch only.
            assert tm.consensus_of(task, trainers[7]) == 1_140
            assert tm.consensus_of(task, trainers[8]) == INVALID_SCORE
    assert [tm.consensus_of(task, t) for t in trainers] == scores
    assert [tm.participant(task, t).rank for t in trainers] == list(range(17))
    assert all(tm.trust(task, v) == WAD for v in validators)
    with boa.reverts("task: already finalized"):
        finalize_once(tm, task, non_owner)
    game.claim_all(task)
    game.assert_settled(task)


def test_arena_helper_counts_the_calls(arena, game, tm, joined, creator, trainer, validator):
    game.play(joined, creator, {trainer: None}, {validator: [5, INVALID_SCORE]})
    assert arena.finalize(joined) == 4


def test_finalize_without_participants(arena, tm, task, creator, non_owner):
    arena.to_phase(task, PHASE_EVAL_REVEAL)
    arena.reveal_eval(task, creator)
    arena.to_phase(task, PHASE_FINALIZE)
    before = arena.token.balanceOf(creator)
    assert [finalize_once(tm, task, non_owner) for _ in range(4)] == [False, False, False, True]
    (log,) = logs_named(tm, "TaskFinalized")
    assert (log.train_reward, log.validator_reward, log.protocol_fee, log.refunded) == (
        0,
        0,
        0,
        1_000 * WAD,
    )
    assert arena.token.balanceOf(creator) == before + 1_000 * WAD
    assert tm.tasks(task).balance == 0
    assert arena.token.balanceOf(tm.address) == 0


# --- consensus -----------------------------------------------------------------------


def test_consensus_is_unknown_before_finalize(arena, game, tm, joined, creator, trainer, validator):
    game.play(joined, creator, {trainer: None}, {validator: [7, 7]})
    assert tm.consensus_of(joined, trainer) == INVALID_SCORE
    arena.finalize(joined)
    assert tm.consensus_of(joined, trainer) == 7
    # Not a trainer: no consensus.
    assert tm.consensus_of(joined, validator) == INVALID_SCORE


def test_consensus_is_the_stake_weighted_median(arena, game, tm, creator):
    task, _ = game.create(creator)
    trainers = game.operators_named("trainer", 4)
    light, heavy, third = (game.operator(f"v{i}", 1_000 * WAD) for i in range(3))
    game.enrol(task, trainers)
    arena.join(task, light, 2, 100 * WAD)
    arena.join(task, heavy, 2, 300 * WAD)
    arena.join(task, third, 2, 100 * WAD)
    # Weights 100, 300, 100 (of 500): the median is the score at which the
    # cumulative weight, scores ascending, first passes 250 (it never is 250).
    game.play(
        task,
        creator,
        dict.fromkeys(trainers),
        {
            light: [10, 10, 30, 50],
            heavy: [20, 40, 10, 40],
            third: [30, 20, 20, 45],
        },
    )
    arena.finalize(task)
    # [10:100, 20:300, 30:100] -> 20; [10:100, 20:100, 40:300] -> 40;
    # [10:300, ...] -> 10; [40:300, 45:100, 50:100] -> 40.
    assert [tm.consensus_of(task, t) for t in trainers] == [20, 40, 10, 40]


def test_even_split_takes_the_midpoint(
    arena, game, tm, joined, creator, trainer, other_trainer, validator, other_validator
):
    """Half of the weight on each side: each half moves the consensus half-way
    to its own score, rounded down."""
    game.play(
        joined,
        creator,
        {trainer: None, other_trainer: None},
        {validator: [30, 15], other_validator: [10, 10]},
    )
    arena.finalize(joined)
    assert [tm.consensus_of(joined, t) for t in (trainer, other_trainer)] == [20, 12]


def test_even_split_with_an_invalid_score_is_invalid(
    arena, game, tm, joined, creator, trainer, other_trainer, validator, other_validator
):
    """Half of the weight calling a model invalid is enough to void it."""
    game.play(
        joined,
        creator,
        {trainer: None, other_trainer: None},
        {validator: [INVALID_SCORE, 5], other_validator: [10, 5]},
    )
    arena.finalize(joined)
    assert [tm.consensus_of(joined, t) for t in (trainer, other_trainer)] == [INVALID_SCORE, 5]
    assert tm.participant(joined, trainer).rank == UNRANKED
    assert tm.participant(joined, other_trainer).rank == 0
    assert (tm.trust(joined, validator), tm.trust(joined, other_validator)) == (WAD, WAD // 2)


def test_even_split_of_unequal_weights_takes_the_midpoint(arena, game, tm, creator, trainer):
    """Weights 100, 100 and 200: the cumulative weight at 20 is exactly half,
    so the consensus is half-way between 20 and the next score, 40."""
    task, _ = game.create(creator)
    light, other_light, heavy = game.operators_named("validator", 3)
    game.enrol(task, [trainer], [light, other_light])
    arena.join(task, heavy, 2, 200 * WAD)
    game.play(task, creator, {trainer: None}, {light: [10], other_light: [20], heavy: [40]})
    arena.finalize(task)
    assert tm.consensus_of(task, trainer) == 30
    # Within 1% of 30: nobody.
    assert [tm.trust(task, v) for v in (light, other_light, heavy)] == [0, 0, 0]


def test_one_wei_past_half_takes_the_score_outright(arena, game, tm, creator, trainer):
    task, _ = game.create(creator)
    lower, upper = game.operators_named("validator", 2)
    game.enrol(task, [trainer])
    arena.join(task, lower, 2, 100 * WAD + 1)
    arena.join(task, upper, 2, 100 * WAD)
    game.play(task, creator, {trainer: None}, {lower: [10], upper: [40]})
    arena.finalize(task)
    assert tm.consensus_of(task, trainer) == 10


def test_weightless_validators_give_the_lowest_score(arena, game, tm, creator, delegator):
    """Validators whose pools are all delegated stake, with epsilon 0, weigh
    nothing: with a total weight of 0 the consensus is the lowest score.
    (The DAO allows pools without own stake here: a minimum self stake of 0.)"""
    with boa.env.prank(arena.admin):
        arena.staking.set_delegation_weight_bps(0)
        arena.staking.set_min_self_stake_bps(0)
    task, _ = game.create(creator)
    trainer = game.operator("trainer")
    validators = [game.operator(f"weightless{i}", 0) for i in range(3)]
    for validator in validators:
        with boa.env.prank(delegator):
            arena.staking.delegate(validator, 100 * WAD)
    game.enrol(task, [trainer], validators)
    assert [tm.participant(task, v).weight for v in validators] == [0, 0, 0]
    scores = dict(zip(validators, [[30], [10], [20]], strict=True))
    game.play(task, creator, {trainer: None}, scores)
    arena.finalize(task)
    assert tm.consensus_of(task, trainer) == 10
    assert tm.tasks(task).validator_weight == 0


def test_only_revealed_validators_count(
    arena, game, tm, joined, creator, trainer, validator, other_validator
):
    game.play(
        joined,
        creator,
        {trainer: None},
        {validator: [500, 0], other_validator: [1, 0]},
        hidden_scores=[other_validator],
    )
    arena.finalize(joined)
    assert tm.consensus_of(joined, trainer) == 500


def test_no_revealed_validator_makes_every_submission_invalid(
    arena, game, tm, joined, creator, trainer, other_trainer, validator
):
    game.play(
        joined,
        creator,
        {trainer: None, other_trainer: None},
        {validator: [1, 2]},
        hidden_scores=[validator],
    )
    arena.finalize(joined)
    assert tm.consensus_of(joined, trainer) == INVALID_SCORE
    assert tm.participant(joined, trainer).rank == UNRANKED
    assert tm.tasks(joined).train_weight_sum == 0


def test_unrevealed_submissions_are_invalid(
    arena, game, tm, joined, creator, trainer, other_trainer, validator
):
    """Scores of trainers that revealed nothing are ignored: consensus
    INVALID, no rank; a committed hash never revealed claims nothing."""
    third, fourth = game.operators_named("late", 2)
    game.enrol(joined, [third, fourth])
    boa.env.evm.patch.block_number = 5
    game.commit(joined, trainer, h("shared"))
    boa.env.evm.patch.block_number = 6
    game.play(
        joined,
        creator,
        {other_trainer: h("shared"), third: None, fourth: None},
        {validator: [10, 20, 30, 40]},
        hidden_models=[fourth],
    )
    assert not tm.participant(joined, other_trainer).disqualified
    arena.finalize(joined)
    assert [tm.consensus_of(joined, t) for t in (trainer, other_trainer, third, fourth)] == [
        INVALID_SCORE,  # committed, never revealed
        20,  # revealed, held the model: the original never revealed it
        30,
        INVALID_SCORE,  # never revealed
    ]


def test_disqualified_submission_gets_no_consensus(
    arena, game, tm, joined, creator, trainer, other_trainer, validator
):
    boa.env.evm.patch.block_number = 5
    game.commit(joined, trainer, h("shared"))
    boa.env.evm.patch.block_number = 6
    game.commit(joined, other_trainer, h("shared"))
    arena.to_phase(joined, PHASE_MODEL_REVEAL)
    game.reveal(joined, trainer, h("shared"))
    game.reveal(joined, other_trainer, h("shared"))
    arena.to_phase(joined, PHASE_EVAL_REVEAL)
    arena.reveal_eval(joined, creator)
    game.commit_scores(joined, validator, [10, 1])
    arena.to_phase(joined, PHASE_SCORE_REVEAL)
    game.reveal_scores(joined, validator, [10, 1])
    arena.to_phase(joined, PHASE_FINALIZE)
    arena.finalize(joined)
    assert tm.consensus_of(joined, trainer) == 10
    assert tm.consensus_of(joined, other_trainer) == INVALID_SCORE
    assert tm.participant(joined, trainer).rank == 0
    assert tm.participant(joined, other_trainer).rank == UNRANKED
    # Trust counts the one eligible submission only.
    assert tm.trust(joined, validator) == WAD


def test_median_invalid_makes_the_submission_invalid(
    arena, game, tm, creator, trainer, other_trainer
):
    task, _ = game.create(creator)
    validators = game.operators_named("validator", 3)
    game.enrol(task, [trainer, other_trainer], validators)
    game.play(
        task,
        creator,
        {trainer: None, other_trainer: None},
        {
            validators[0]: [INVALID_SCORE, 10],
            validators[1]: [INVALID_SCORE, 10],
            validators[2]: [5, 10],
        },
    )
    arena.finalize(task)
    assert tm.consensus_of(task, trainer) == INVALID_SCORE
    assert tm.participant(task, trainer).rank == UNRANKED
    assert tm.participant(task, other_trainer).rank == 0
    # Agreeing that a model is invalid counts as agreement.
    assert [tm.trust(task, v) for v in validators] == [WAD, WAD, WAD // 2]


# --- ranking -------------------------------------------------------------------------


def test_rank_by_consensus_ascending(arena, game, tm, creator):
    task, _ = game.create(creator)
    trainers = game.operators_named("trainer", 4)
    validator = game.operator("validator")
    game.enrol(task, trainers, [validator])
    game.play(task, creator, dict.fromkeys(trainers), {validator: [40, 10, 30, 20]})
    with boa.env.prank(arena.admin):
        for _ in range(2):
            tm.finalize(task)
    ranked = logs_named(tm, "Ranked")
    assert [e.trainer for e in ranked] == [trainers[1], trainers[3], trainers[2], trainers[0]]
    # Weights q^rank x stake with q = 0.85 and 100 ARENA each.
    assert [e.reward_weight for e in ranked] == [
        100 * WAD,
        85 * WAD,
        72_25 * WAD // 100,
        61_4125 * WAD // 10_000,
    ]
    assert [tm.participant(task, t).rank for t in trainers] == [3, 0, 2, 1]
    assert [tm.participant(task, t).reward_weight for t in trainers] == [
        61_4125 * WAD // 10_000,
        100 * WAD,
        72_25 * WAD // 100,
        85 * WAD,
    ]


def test_ties_share_a_rank(arena, game, tm, creator):
    """Equal consensus: one rank for all; the sort still puts the earlier
    commit block first, then the earlier joiner."""
    task, _ = game.create(creator)
    first, second, third = game.operators_named("trainer", 3)
    validator = game.operator("validator")
    game.enrol(task, [first, second, third], [validator])
    for block, account in ((20, first), (10, third), (20, second)):
        boa.env.evm.patch.block_number = block
        game.commit(task, account)
    arena.to_phase(task, PHASE_MODEL_REVEAL)
    for account in (first, second, third):
        game.reveal(task, account)
    arena.to_phase(task, PHASE_EVAL_REVEAL)
    arena.reveal_eval(task, creator)
    game.commit_scores(task, validator, [7, 7, 7])
    arena.to_phase(task, PHASE_SCORE_REVEAL)
    game.reveal_scores(task, validator, [7, 7, 7])
    arena.to_phase(task, PHASE_FINALIZE)
    # One consensus step, then the ranking, whose events follow the sort.
    finalize_once(tm, task, creator)
    finalize_once(tm, task, creator)
    ranked = [e.trainer for e in logs_named(tm, "Ranked")]
    assert ranked == [third, first, second]
    assert [tm.participant(task, a).rank for a in (third, first, second)] == [0, 0, 0]


@pytest.mark.parametrize(
    "scores, ranks",
    [
        # Within 1% of the group's best share its rank; the next rank is dense.
        ([1_000, 1_010, 1_011], [0, 0, 1]),
        # Compared with the group's best, not with the previous one: no chain.
        ([1_000, 1_006, 1_012, 1_018], [0, 0, 1, 1]),
        ([5, 5, 900, 1_000], [0, 0, 1, 2]),
    ],
)
def test_scores_within_the_tolerance_share_a_rank(arena, game, tm, creator, scores, ranks):
    task, _ = game.create(creator)
    trainers = game.operators_named("trainer", len(scores))
    validator = game.operator("validator")
    game.enrol(task, trainers, [validator])
    game.play(task, creator, dict.fromkeys(trainers), {validator: scores})
    arena.finalize(task)
    assert [tm.participant(task, t).rank for t in trainers] == ranks
    q = tm.q_wad()
    weights = {t: tm.participant(task, t).reward_weight for t in trainers}
    for trainer, rank in zip(trainers, ranks, strict=True):
        factor = WAD
        for _ in range(rank):
            factor = factor * q // WAD
        assert weights[trainer] == factor * 100 * WAD // WAD


# --- trust ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "score, agrees",
    [(1_000, True), (1_010, True), (990, True), (1_011, False), (989, False)],
)
def test_agreement_within_the_tolerance(arena, game, tm, creator, score, agrees):
    """Tolerance 100 bps of a consensus of 1,000: within 10 agrees."""
    task, _ = game.create(creator, tolerance_bps=100)
    trainer = game.operator("trainer")
    validators = game.operators_named("validator", 3)
    game.enrol(task, [trainer], validators)
    game.play(
        task,
        creator,
        {trainer: None},
        {validators[0]: [1_000], validators[1]: [1_000], validators[2]: [score]},
    )
    arena.finalize(task)
    assert tm.consensus_of(task, trainer) == 1_000
    assert tm.trust(task, validators[2]) == (WAD if agrees else 0)


def test_zero_tolerance_needs_the_exact_consensus(arena, game, tm, creator):
    task, _ = game.create(creator, tolerance_bps=0)
    trainers = game.operators_named("trainer", 3)
    validators = game.operators_named("validator", 2)
    game.enrol(task, trainers, validators)
    game.play(
        task,
        creator,
        dict.fromkeys(trainers),
        {validators[0]: [0, 5, 9], validators[1]: [1, 5, 8]},
    )
    arena.finalize(task)
    # Equal weights: the midpoints (0 + 1) // 2, 5 and (9 + 8) // 2.
    assert [tm.consensus_of(task, t) for t in trainers] == [0, 5, 8]
    # validators[0]: agrees on 0 and 5; validators[1]: on 5 and 8.
    assert tm.trust(task, validators[0]) == 2 * WAD // 3
    assert tm.trust(task, validators[1]) == 2 * WAD // 3
    assert tm.participant(task, validators[0]).reward_weight == 2 * WAD // 3 * 100


def test_unrevealed_validator_has_no_trust(
    arena, game, tm, joined, creator, trainer, validator, other_validator
):
    game.play(
        joined,
        creator,
        {trainer: None},
        {validator: [3, 0], other_validator: [3, 0]},
        hidden_scores=[other_validator],
    )
    arena.finalize(joined)
    assert tm.trust(joined, validator) == WAD
    assert tm.trust(joined, other_validator) == 0
    assert tm.participant(joined, other_validator).reward_weight == 0


@pytest.mark.parametrize("order", ["azb", "zab", "abz"])
def test_a_weightless_validator_has_no_say_in_a_tie(arena, game, tm, creator, delegator, order):
    """At exactly half of the weight, the midpoint is taken with the next
    score that weighs anything: a weightless validator's score, wherever its
    join order puts it, changes nothing."""
    with boa.env.prank(arena.admin):
        arena.staking.set_delegation_weight_bps(0)
        arena.staking.set_min_self_stake_bps(0)
    task, _ = game.create(creator)
    trainer = game.operator("tie trainer")
    a, b = game.operator("a"), game.operator("b")  # weight 100 each
    z = game.operator("z", 0)  # all delegated: weight 0
    with boa.env.prank(delegator):
        arena.staking.delegate(z, 100 * WAD)
    game.enrol(task, [trainer])
    joined = {"a": a, "b": b, "z": z}
    for name in order:
        arena.join(task, joined[name], ROLE_VALIDATOR, 100 * WAD)
    assert tm.participant(task, z).weight == 0
    scores = {a: [100], b: [200], z: [120]}
    game.play(task, creator, {trainer: None}, {joined[n]: scores[joined[n]] for n in order})
    arena.finalize(task)
    assert tm.consensus_of(task, trainer) == 150
