"""`ape arena`: the command-line face of AIArena.

Each role's commands live in a module of this package and are attached to the
group here. Modules import only click and ape at load time: `ape --help`
imports this package, so torch, titanoboa and the node are imported inside
command bodies.
"""

import click

from ape_arena._cli.gov import gov
from ape_arena._cli.info import info
from ape_arena._cli.node import finalize, leaderboard, node, reveal, train, validate
from ape_arena._cli.params import params
from ape_arena._cli.serve import serve
from ape_arena._cli.stake import (
    claim,
    commission,
    delegate,
    honour,
    pool,
    position,
    stake,
    undelegate,
    withdraw,
)
from ape_arena._cli.task import task


@click.group(short_help="AIArena: decentralized AI training tasks on an EVM chain")
def cli():
    """AIArena: post training tasks with a reward, train and score models,
    reach consensus on-chain and get paid, on a local chain or Base Sepolia.

    Every command takes Ape's --network option (default: ethereum:local).
    """


cli.add_command(info)
cli.add_command(params)
cli.add_command(serve)
cli.add_command(gov)
cli.add_command(task)
for command in (train, reveal, validate, finalize, leaderboard, node):
    cli.add_command(command)
cli.add_command(pool)
cli.add_command(stake)
cli.add_command(delegate)
cli.add_command(undelegate)
cli.add_command(honour)
cli.add_command(withdraw)
cli.add_command(commission)
cli.add_command(claim)
cli.add_command(position)
