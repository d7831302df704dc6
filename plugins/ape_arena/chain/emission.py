"""Emission on the connected chain: `EmissionClient` owns the emission
contract's reads and its one permissionless write, the checkpoint that mints
what is due and streams it into the rewards of the verified tasks.

Which tasks are verified is the DAO's choice, made by proposals (see
chain/governance.py `build_actions`); this client only reads the result.
"""

from dataclasses import dataclass

from ape_arena.chain.errors import send_checked
from ape_arena.chain.events import receipt_event
from ape_arena.exceptions import ArenaError


class EmissionError(ArenaError):
    """An emission action that cannot succeed as asked."""


@dataclass(frozen=True)
class Checkpoint:
    """What one checkpoint released: to the verified tasks and to the treasury."""

    released: int
    to_tasks: int
    to_treasury: int
    receipt: object


class EmissionClient:
    """The emission contract's gateway. Without an account it only reads."""

    def __init__(self, protocol, account=None):
        self.protocol = protocol
        self.emission = protocol.emission
        self.account = account

    def checkpoint(self) -> Checkpoint:
        """Mint what is due now and fund each verified running task's share."""
        if self.account is None:
            raise EmissionError("This emission client only reads; a checkpoint needs an account.")
        hint = "try again in the next block; anyone may checkpoint"
        receipt = send_checked(
            "the emission checkpoint", hint, EmissionError, self.emission.checkpoint,
            sender=self.account,
        )  # fmt: skip
        log = receipt_event(receipt, "Checkpointed")
        if log is None:  # nothing was due
            return Checkpoint(0, 0, 0, receipt)
        return Checkpoint(int(log.released), int(log.to_tasks), int(log.to_treasury), receipt)
