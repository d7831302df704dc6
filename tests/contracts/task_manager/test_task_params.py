"""Constructor and admin setters: defaults, bounds, events, access control;
and the token calls that can fail ("task: ... failed") with a token that
returns false."""

import boa
import pytest
from task_manager_support import logs_named

from support.arena import INVALID_SCORE, PHASE_EVAL_REVEAL, TaskTerms, partial
from support.constants import WAD, ZERO_ADDRESS

NOT_ADMIN = "task: caller is not the admin"

# A token whose approve / transfer / transferFrom return what it is told to.
FALSE_TOKEN = """
# pragma version ~=0.4.3
approve_ok: public(bool)
transfer_ok: public(bool)
transfer_from_ok: public(bool)

@deploy
def __init__(approve_ok: bool):
    self.approve_ok = approve_ok
    self.transfer_ok = True
    self.transfer_from_ok = True

@external
def set_results(transfer_ok: bool, transfer_from_ok: bool):
    self.transfer_ok = transfer_ok
    self.transfer_from_ok = transfer_from_ok

@external
def approve(spender: address, amount: uint256) -> bool:
    return self.approve_ok

@external
def transfer(receiver: address, amount: uint256) -> bool:
    return self.transfer_ok

@external
def transferFrom(owner: address, receiver: address, amount: uint256) -> bool:
    return self.transfer_from_ok
"""


@pytest.fixture(scope="module")
def false_token_deployer():
    return boa.loads_partial(FALSE_TOKEN, name="FalseToken")


def deploy(token, staking, admin, treasury, deployer=None):
    deployer = deployer or boa.env.generate_address("deployer")
    with boa.env.prank(deployer):
        return partial("TaskManager").deploy(token, staking, admin, treasury)


# --- constructor ---------------------------------------------------------------------


def test_defaults(arena, tm):
    assert tm.token() == arena.token.address
    assert tm.staking() == arena.staking.address
    assert tm.treasury() == arena.treasury
    assert tm.gamma_wad() == 2 * 10**17
    assert tm.q_wad() == 85 * 10**16
    assert tm.protocol_fee_bps() == 500
    assert tm.plagiarism_slash_bps() == 1_000
    assert tm.nonreveal_slash_bps() == 500
    assert tm.min_creator_bond() == WAD
    assert tm.task_count() == 0
    assert (tm.MAX_TRAINERS(), tm.MAX_VALIDATORS(), tm.INVALID_SCORE()) == (128, 64, INVALID_SCORE)
    assert tm.hasRole(tm.DEFAULT_ADMIN_ROLE(), arena.admin)
    # Rewards are paid with staking.pay_reward, which pulls them.
    assert arena.token.allowance(tm.address, arena.staking.address) == 2**256 - 1


def test_constructor_hands_the_admin_role_over(arena, non_owner):
    deployer = boa.env.generate_address("deployer")
    tm = deploy(arena.token, arena.staking, non_owner, arena.treasury, deployer)
    names = [e.name for e in logs_named(tm, "ParameterUpdated")]
    assert names == [
        "gamma_wad",
        "q_wad",
        "protocol_fee_bps",
        "plagiarism_slash_bps",
        "nonreveal_slash_bps",
        "min_creator_bond",
    ]
    (treasury,) = logs_named(tm, "TreasuryUpdated")
    assert treasury.treasury == arena.treasury
    assert tm.hasRole(tm.DEFAULT_ADMIN_ROLE(), non_owner)
    assert not tm.hasRole(tm.DEFAULT_ADMIN_ROLE(), deployer)


def test_deployer_may_stay_the_admin(arena):
    deployer = boa.env.generate_address("deployer")
    tm = deploy(arena.token, arena.staking, deployer, arena.treasury, deployer)
    assert tm.hasRole(tm.DEFAULT_ADMIN_ROLE(), deployer)


@pytest.mark.parametrize(
    "position, reason",
    [
        (0, "task: token is the zero address"),
        (1, "task: staking is the zero address"),
        (2, "task: admin is the zero address"),
        (3, "task: treasury is the zero address"),
    ],
)
def test_constructor_rejects_zero_addresses(arena, position, reason):
    args = [arena.token.address, arena.staking.address, arena.admin, arena.treasury]
    args[position] = ZERO_ADDRESS
    with boa.reverts(reason):
        deploy(*args)


def test_constructor_reverts_when_approve_fails(arena, false_token_deployer):
    token = false_token_deployer.deploy(False)
    with boa.reverts("task: approve failed"):
        deploy(token.address, arena.staking.address, arena.admin, arena.treasury)


def test_create_task_reverts_when_the_transfer_fails(arena, false_token_deployer, creator):
    token = false_token_deployer.deploy(True)
    tm = deploy(token.address, arena.staking.address, arena.admin, arena.treasury)
    token.set_results(True, False)
    with boa.reverts("task: transfer failed"), boa.env.prank(creator):
        tm.create_task(TaskTerms().as_params())


def test_payout_reverts_when_the_transfer_fails(arena, false_token_deployer, creator):
    token = false_token_deployer.deploy(True)
    tm = deploy(token.address, arena.staking.address, arena.admin, arena.treasury)
    terms = TaskTerms()
    with boa.env.prank(creator):
        task = tm.create_task(terms.as_params())
    token.set_results(False, True)
    arena.warp_to(tm.tasks(task).reveal_end)
    assert tm.phase(task) == PHASE_EVAL_REVEAL
    with boa.reverts("task: transfer failed"), boa.env.prank(creator):
        tm.reveal_eval(task, terms.eval_hash, "", terms.eval_salt)


# --- setters -------------------------------------------------------------------------

# (setter, getter, a value within bounds, the largest allowed, the reason above it)
SETTERS = [
    ("set_gamma_wad", "gamma_wad", 3 * 10**17, WAD // 2, "task: gamma out of bounds"),
    ("set_q_wad", "q_wad", 9 * 10**17, WAD, "task: q out of bounds"),
    ("set_protocol_fee_bps", "protocol_fee_bps", 100, 2_000, "task: protocol fee out of bounds"),
    (
        "set_plagiarism_slash_bps",
        "plagiarism_slash_bps",
        2_500,
        10_000,
        "task: plagiarism slash out of bounds",
    ),
    (
        "set_nonreveal_slash_bps",
        "nonreveal_slash_bps",
        700,
        10_000,
        "task: non-reveal slash out of bounds",
    ),
    (
        "set_min_creator_bond",
        "min_creator_bond",
        5 * WAD,
        10**27,
        "task: minimum bond out of bounds",
    ),
]
IDS = [s[0] for s in SETTERS]


@pytest.mark.parametrize("setter, getter, value, maximum, reason", SETTERS, ids=IDS)
def test_setter_updates_and_logs(arena, tm, setter, getter, value, maximum, reason):
    with boa.env.prank(arena.admin):
        getattr(tm, setter)(value)
    (log,) = logs_named(tm, "ParameterUpdated")
    assert (log.name, log.value) == (getter, value)
    assert getattr(tm, getter)() == value


@pytest.mark.parametrize("setter, getter, value, maximum, reason", SETTERS, ids=IDS)
def test_setter_bounds(arena, tm, setter, getter, value, maximum, reason):
    with boa.env.prank(arena.admin):
        getattr(tm, setter)(maximum)
        getattr(tm, setter)(0)
    assert getattr(tm, getter)() == 0
    with boa.reverts(reason), boa.env.prank(arena.admin):
        getattr(tm, setter)(maximum + 1)
    assert getattr(tm, getter)() == 0


@pytest.mark.parametrize("setter, getter, value, maximum, reason", SETTERS, ids=IDS)
def test_setter_needs_the_admin(
    arena, tm, non_owner, creator, setter, getter, value, maximum, reason
):
    before = getattr(tm, getter)()
    for account in (non_owner, creator):
        with boa.reverts(NOT_ADMIN), boa.env.prank(account):
            getattr(tm, setter)(value)
    assert getattr(tm, getter)() == before


def test_set_treasury(arena, tm, non_owner):
    with boa.env.prank(arena.admin):
        tm.set_treasury(non_owner)
    (log,) = logs_named(tm, "TreasuryUpdated")
    assert log.treasury == non_owner
    assert tm.treasury() == non_owner


def test_set_treasury_to_zero_reverts(arena, tm):
    with boa.reverts("task: treasury is the zero address"), boa.env.prank(arena.admin):
        tm.set_treasury(ZERO_ADDRESS)


def test_set_treasury_needs_the_admin(tm, non_owner):
    with boa.reverts(NOT_ADMIN), boa.env.prank(non_owner):
        tm.set_treasury(non_owner)


def test_fees_go_to_the_current_treasury(arena, game, tm, joined, creator, trainer, validator):
    new_treasury = boa.env.generate_address("new_treasury")
    with boa.env.prank(arena.admin):
        tm.set_treasury(new_treasury)
    game.play(joined, creator, {trainer: None}, {validator: [1, 0]})
    arena.finalize(joined)
    assert arena.token.balanceOf(new_treasury) == 50 * WAD


def test_admin_role_can_be_granted(arena, tm, non_owner):
    with boa.env.prank(arena.admin):
        tm.grantRole(tm.DEFAULT_ADMIN_ROLE(), non_owner)
    with boa.env.prank(non_owner):
        tm.set_protocol_fee_bps(0)
    assert tm.protocol_fee_bps() == 0
    with boa.env.prank(arena.admin):
        tm.revokeRole(tm.DEFAULT_ADMIN_ROLE(), non_owner)
    with boa.reverts(NOT_ADMIN), boa.env.prank(non_owner):
        tm.set_protocol_fee_bps(1)
