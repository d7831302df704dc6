"""Attack: governance names a new protocol contract and slashes a pool.

A majority of voters wants to punish a minority pool. Staking's
PROTOCOL_ROLE may lock, release (with a slash) and pay out any pool, and
governance holds DEFAULT_ADMIN_ROLE on staking, a permitted target of
proposals. One proposal could grant PROTOCOL_ROLE to an address of the
majority's, raise the slash ceiling to 100%, then lock and slash the whole
minority pool to the treasury.

Defence: PROTOCOL_ROLE's admin is PROTOCOL_ADMIN_ROLE, which is its own
admin; the deploy gives it to the deployer, which names the task manager
and renounces it before it hands DEFAULT_ADMIN_ROLE to governance. From then
on nobody, governance included, can grant PROTOCOL_ROLE or move its admin.
The slash ceiling is 50% (MAX_SLASH_CEILING_BPS) whatever governance votes,
and a task's slash rates are fixed when it is created.

What remains: the task manager itself is the one protocol contract; what it
slashes is bounded by each task's rates, fixed at creation.
"""

import boa

from support.constants import WAD


def test_governance_cannot_name_a_protocol_contract(arena, books):
    staking = arena.staking
    minority = books.operator("minority", 10_000 * WAD)
    thief = books.actor("thief")
    # The deployment's last step: the protocol admin renounces.
    with boa.env.prank(arena.admin):
        staking.renounceRole(staking.PROTOCOL_ADMIN_ROLE(), arena.admin)
    # arena.admin holds DEFAULT_ADMIN_ROLE, as governance does after deploy.
    assert staking.hasRole(staking.DEFAULT_ADMIN_ROLE(), arena.admin)
    with boa.reverts("access_control: account is missing role"), boa.env.prank(arena.admin):
        staking.grantRole(staking.PROTOCOL_ROLE(), thief)
    with boa.reverts("access_control: account is missing role"), boa.env.prank(arena.admin):
        staking.set_role_admin(staking.PROTOCOL_ROLE(), staking.DEFAULT_ADMIN_ROLE())
    with boa.reverts("staking: max slash out of bounds"), boa.env.prank(arena.admin):
        staking.set_max_slash_bps(10_000)
    with boa.reverts("staking: caller is not a protocol contract"), boa.env.prank(thief):
        staking.allocate(minority, 10_000 * WAD)
    assert staking.own_stake(minority) == 10_000 * WAD
