"""After deployment governance owns the protocol: the deployer keeps no
role, and every admin power (parameters of each contract, verifying tasks
for emission, spending the treasury, appointing the guardian) is exercised
through proposals, end to end."""

import boa
import pytest

from support.arena import ROLE_TRAINER, TaskTerms, h
from support.constants import DAY, WAD
from support.dao import DEFAULT_ADMIN_ROLE, STATE_EXECUTED, STATE_QUEUED, Action, calldata

# Every phase of the task lasts a week: it is still running when a proposal
# made now executes (vote + timelock: five days).
LONG = 7 * DAY


def long_task_terms() -> TaskTerms:
    return TaskTerms(
        submit_duration=LONG,
        reveal_duration=LONG,
        eval_duration=LONG,
        score_commit_duration=LONG,
        score_reveal_duration=LONG,
    )


def call(contract, signature: str, *args) -> Action:
    return Action(contract.address, calldata(signature, *args))


@pytest.fixture
def voters(proposer, voter) -> list[str]:
    return [proposer, voter]


# --- the deployer stepped down ---------------------------------------------------------


def test_the_deployer_holds_no_admin_role_anywhere(dao, governor, deployer):
    for contract in (dao.token, dao.staking, dao.tasks, dao.emission):
        assert not contract.hasRole(DEFAULT_ADMIN_ROLE, deployer)
        assert contract.hasRole(DEFAULT_ADMIN_ROLE, governor.address)
    assert not dao.token.hasRole(dao.token.MINTER_ROLE(), deployer)
    assert not dao.staking.hasRole(dao.staking.GUARDIAN_ROLE(), deployer)
    assert not dao.staking.hasRole(dao.staking.PROTOCOL_ROLE(), deployer)
    assert not dao.tasks.hasRole(dao.tasks.EMISSION_ROLE(), deployer)


def test_the_governor_is_every_treasury(dao, governor):
    assert dao.staking.treasury() == governor.address
    assert dao.tasks.treasury() == governor.address
    assert dao.emission.treasury() == governor.address


ADMIN_CALLS = [
    ("staking", "set_unbonding_delay", (2 * DAY,), "staking: caller is not the admin"),
    ("staking", "set_treasury", ("deployer",), "staking: caller is not the admin"),
    ("staking", "unpause", (), "staking: caller is not the admin"),
    ("staking", "pause", (), "staking: caller is not the guardian"),
    (
        "staking",
        "grantRole",
        ("guardian_role", "deployer"),
        "access_control: account is missing role",
    ),
    ("tasks", "set_protocol_fee_bps", (100,), "task: caller is not the admin"),
    ("tasks", "set_treasury", ("deployer",), "task: caller is not the admin"),
    ("tasks", "set_floors", (0, 0, 0, 0), "task: caller is not the admin"),
    ("emission", "set_daily_emission", (1,), "emission: caller is not the admin"),
    ("emission", "verify_task", (1,), "emission: caller is not the admin"),
    ("emission", "set_treasury", ("deployer",), "emission: caller is not the admin"),
    ("token", "grantRole", ("minter_role", "deployer"), "access_control: account is missing role"),
    ("token", "mint", ("deployer", 1), "token: caller is not a minter"),
]


@pytest.mark.parametrize(("contract", "function", "args", "reason"), ADMIN_CALLS)
def test_the_deployer_cannot_call_admin_functions(dao, deployer, contract, function, args, reason):
    values = {
        "deployer": deployer,
        "guardian_role": dao.staking.GUARDIAN_ROLE(),
        "minter_role": dao.token.MINTER_ROLE(),
    }
    args = [values.get(a, a) if isinstance(a, str) else a for a in args]
    with boa.reverts(reason), boa.env.prank(deployer):
        getattr(getattr(dao, contract), function)(*args)


# --- parameters of every contract -----------------------------------------------------

SETTERS = [
    ("staking", "set_unbonding_delay(uint256)", 3 * DAY, "unbonding_delay"),
    ("tasks", "set_protocol_fee_bps(uint256)", 250, "protocol_fee_bps"),
    ("emission", "set_daily_emission(uint256)", 5_000 * WAD, "daily_emission"),
    ("governor", "set_voting_period(uint256)", 4 * DAY, "voting_period"),
]


@pytest.mark.parametrize(("contract", "signature", "value", "getter"), SETTERS)
def test_a_proposal_sets_a_parameter(dao, voters, contract, signature, value, getter):
    target = getattr(dao, contract)
    assert getattr(target, getter)() != value
    proposal_id = dao.pass_and_execute([call(target, signature, value)], voters)
    (log,) = [e for e in dao.governor.get_logs() if type(e).__name__ == "ParameterUpdated"]
    assert (log.name, log.value) == (getter, value)
    assert getattr(target, getter)() == value
    assert dao.governor.state(proposal_id) == STATE_EXECUTED


def test_one_proposal_sets_parameters_of_every_contract(dao, voters):
    actions = [call(getattr(dao, c), sig, v) for c, sig, v, _ in SETTERS]
    dao.pass_and_execute(actions, voters)
    assert [getattr(getattr(dao, c), g)() for c, _, _, g in SETTERS] == [
        v for _, _, v, _ in SETTERS
    ]


def test_a_new_protocol_fee_applies_to_tasks_created_afterwards(dao, voters):
    creator = dao.actor("creator")
    before = dao.create(creator)
    dao.pass_and_execute([call(dao.tasks, "set_protocol_fee_bps(uint256)", 250)], voters)
    after = dao.create(creator)
    assert dao.tasks.tasks(before).protocol_fee_bps == 500
    assert dao.tasks.tasks(after).protocol_fee_bps == 250


def test_a_proposal_sets_the_floors_of_new_tasks(dao, voters):
    creator = dao.actor("creator")
    signature = "set_floors(uint256,uint256,uint256,uint256)"
    dao.pass_and_execute([call(dao.tasks, signature, 5, 2_000, 300, 2_000)], voters)
    (log,) = [e for e in dao.governor.get_logs() if type(e).__name__ == "FloorsUpdated"]
    assert (
        log.validator_slots,
        log.validator_stake_bps,
        log.bond_bps,
        log.trainer_stake_bps,
    ) == (5, 2_000, 300, 2_000)
    tasks = dao.tasks
    assert (
        tasks.min_validator_slots(),
        tasks.min_validator_stake_bps(),
        tasks.min_bond_bps(),
        tasks.min_trainer_stake_bps(),
    ) == (5, 2_000, 300, 2_000)
    # The default terms (8 slots, a bond of 1% and stakes of 10%) fall short.
    with boa.reverts("task: bond below minimum"):
        dao.create(creator)
    with boa.reverts("task: validator stake too low"):
        dao.create(creator, TaskTerms(bond=30 * WAD))
    with boa.reverts("task: trainer stake too low"):
        dao.create(creator, TaskTerms(min_validator_stake=200 * WAD, bond=30 * WAD))
    terms = TaskTerms(min_validator_stake=200 * WAD, min_trainer_stake=200 * WAD, bond=30 * WAD)
    task = dao.create(creator, terms)
    assert tasks.tasks(task).bond == 30 * WAD


# --- emission ---------------------------------------------------------------------------


def test_a_proposal_verifies_a_task_for_emission(dao, governor, voters):
    creator = dao.actor("creator")
    trainer = dao.operator("trainer", 1_000 * WAD)
    task_id = dao.create(creator, long_task_terms())
    dao.join(task_id, trainer, ROLE_TRAINER, 100 * WAD)
    # Committed, the trainer's stake weighs in the emission split.
    dao.commit_model(task_id, trainer, h("model"), h("salt"))
    assert dao.tasks.emission_weight(task_id) == 100 * WAD
    assert not dao.emission.is_verified(task_id)

    dao.pass_and_execute([call(dao.emission, "verify_task(uint256)", task_id)], voters)
    assert dao.emission.is_verified(task_id)
    assert dao.emission.verified_tasks(0) == task_id

    # From now on the task receives the emission: it is the only one.
    boa.env.time_travel(seconds=DAY)
    released = dao.emission.checkpoint()
    assert released > 0
    to_task = dao.emission.emission_of(task_id)
    assert to_task == dao.tasks.tasks(task_id).emission
    assert released - to_task <= 1  # rounding dust, to the treasury


def test_verifying_a_task_twice_fails_the_proposal(dao, governor, voters, revert_reason):
    creator = dao.actor("creator")
    task_id = dao.create(creator, long_task_terms())
    verify = call(dao.emission, "verify_task(uint256)", task_id)
    dao.pass_and_execute([verify], voters)
    boa.env.time_travel(blocks=1)
    proposal_id = dao.propose(voters[0], [verify])
    dao.vote(proposal_id, voters[1])
    dao.end_vote(proposal_id)
    dao.warp_to(dao.queue(proposal_id))
    assert revert_reason(dao.execute, proposal_id, [verify]) == "emission: task already verified"
    assert governor.state(proposal_id) == STATE_QUEUED


# --- the treasury -------------------------------------------------------------------------


def test_a_proposal_spends_protocol_income(dao, governor, voters):
    # Income: a forfeited creator bond (nobody joined a task whose eval set
    # was never revealed) and a day of emission with no verified task.
    creator = dao.actor("creator")
    terms = TaskTerms()
    task_id = dao.create(creator, terms)
    dao.warp_to(dao.deadlines(task_id)["eval_end"])
    dao.tasks.cancel(task_id)
    assert dao.token.balanceOf(governor.address) == terms.bond
    boa.env.time_travel(seconds=DAY)
    dao.emission.checkpoint()
    income = dao.token.balanceOf(governor.address)
    assert income > terms.bond

    grantee = boa.env.generate_address("grantee")
    amount = income - terms.bond
    dao.pass_and_execute([call(dao.token, "transfer(address,uint256)", grantee, amount)], voters)
    assert dao.token.balanceOf(grantee) == amount
    # Nobody checkpointed the emission meanwhile: the bond is what is left.
    assert dao.token.balanceOf(governor.address) == terms.bond


def test_a_proposal_spends_a_direct_deposit(dao, governor, voters):
    with boa.env.prank(dao.bank):
        dao.token.transfer(governor.address, 500 * WAD)
    grantee = boa.env.generate_address("grantee")
    other_grantee = boa.env.generate_address("other_grantee")
    actions = [
        call(dao.token, "transfer(address,uint256)", grantee, 300 * WAD),
        call(dao.token, "transfer(address,uint256)", other_grantee, 200 * WAD),
    ]
    dao.pass_and_execute(actions, voters)
    assert dao.token.balanceOf(grantee) == 300 * WAD
    assert dao.token.balanceOf(other_grantee) == 200 * WAD
    assert dao.token.balanceOf(governor.address) == 0


# --- the guardian ----------------------------------------------------------------------------


def test_a_proposal_replaces_the_guardian(dao, governor, voters):
    role = dao.staking.GUARDIAN_ROLE()
    old_guardian = dao.guardian
    new_guardian = boa.env.generate_address("new_guardian")
    dao.pass_and_execute(
        [
            call(dao.staking, "grantRole(bytes32,address)", role, new_guardian),
            call(dao.staking, "revokeRole(bytes32,address)", role, old_guardian),
        ],
        voters,
    )
    assert dao.staking.hasRole(role, new_guardian)
    assert not dao.staking.hasRole(role, old_guardian)

    with boa.reverts("staking: caller is not the guardian"), boa.env.prank(old_guardian):
        dao.staking.pause()
    with boa.env.prank(new_guardian):
        dao.staking.pause()
    assert dao.staking.paused()
    # The new guardian can stop, not restart.
    with boa.reverts("staking: caller is not the admin"), boa.env.prank(new_guardian):
        dao.staking.unpause()


def test_governance_lifts_a_pause_by_proposal(dao, governor, voters):
    with boa.env.prank(dao.guardian):
        dao.staking.pause()
    creator = dao.actor("creator")
    with boa.reverts("task: new tasks are paused"):
        dao.create(creator)
    # Governance works while new stakes are paused.
    dao.pass_and_execute([call(dao.staking, "unpause()")], voters)
    assert not dao.staking.paused()
    assert dao.create(creator) == 1


def test_governance_pauses_by_proposal(dao, voters):
    dao.pass_and_execute([call(dao.staking, "pause()")], voters)
    assert dao.staking.paused()
    with boa.reverts("staking: new stakes are paused"):
        dao.operator("late_operator", 1_000 * WAD)
