"""The titanoboa deployment the tests play tasks on: `ape_arena.sim.arena`,
compiled from this checkout's contracts."""

from ape_arena.sim import arena as _arena
from support.paths import CONTRACTS

_arena.CONTRACTS = CONTRACTS

from ape_arena.sim.arena import *  # noqa: E402, F403


def without_trainer_stake_floor(tasks, admin: str) -> None:
    """`admin` (the task manager's admin: the deployer, or governance) drops
    the trainer-stake floor (1% of the reward by default, tested in
    test_task_floors.py) and keeps the other floors, so that a scenario can
    use stakes of a wei and show the defence it is about on its own."""
    import boa

    with boa.env.prank(admin):
        tasks.set_floors(
            tasks.min_validator_slots(), tasks.min_validator_stake_bps(), tasks.min_bond_bps(), 0
        )
