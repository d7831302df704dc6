"""A plagiarist gains nothing from a cancelled task.

Two trainers commit the same model hash; the later commit is disqualified at
reveal. The creator then never reveals the eval set, so the task is
cancelled and the forfeited bond (and gamma of the reward) goes to the
trainers who revealed a model of their own. The plagiarist is not one of
them: it is paid nothing and slashed like in a finalized task, and the
original takes the whole split.
"""

import boa

from support.arena import PHASE_CANCELLED, PHASE_MODEL_REVEAL, ROLE_TRAINER, Arena, TaskTerms, h
from support.constants import WAD


def test_plagiarist_gets_no_bond_share_and_is_slashed():
    arena = Arena()
    creator = arena.actor("creator")
    terms = TaskTerms(bond=10 * WAD)
    task = arena.create(creator, terms)
    original = arena.operator("original", 1_000 * WAD)
    copier = arena.operator("copier", 1_000 * WAD)
    arena.join(task, original, ROLE_TRAINER, 100 * WAD)
    arena.join(task, copier, ROLE_TRAINER, 100 * WAD)
    boa.env.evm.patch.block_number = 10
    arena.commit_model(task, original, h("model"), h("salt original"))
    boa.env.evm.patch.block_number = 11
    arena.commit_model(task, copier, h("model"), h("salt copier"))
    arena.to_phase(task, PHASE_MODEL_REVEAL)
    arena.reveal_model(task, original, h("model"), h("salt original"))
    arena.reveal_model(task, copier, h("model"), h("salt copier"))
    arena.to_phase(task, PHASE_CANCELLED)

    split = 10 * WAD + terms.reward * arena.tasks.gamma_wad() // WAD
    assert arena.tasks.claimable(task, copier) == 0
    assert arena.tasks.claimable(task, original) == split
    treasury_before = arena.token.balanceOf(arena.treasury)
    assert arena.claim(task, copier) == 0
    slashed = 100 * WAD * min(arena.tasks.tasks(task).plagiarism_slash_bps, 5_000) // 10_000
    assert arena.staking.treasury_owed() == slashed
    assert arena.claim(task, original) == split
    # Nothing was left over for the treasury.
    assert arena.token.balanceOf(arena.treasury) == treasury_before
    assert arena.token.balanceOf(arena.tasks.address) == 0
