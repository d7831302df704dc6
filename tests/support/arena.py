"""The titanoboa deployment the tests play tasks on: `ape_arena.sim.arena`,
compiled from this checkout's contracts."""

from ape_arena.sim import arena as _arena
from support.paths import CONTRACTS

_arena.CONTRACTS = CONTRACTS

from ape_arena.sim.arena import *  # noqa: E402, F403
