"""AIArena's Ape plugin: the `ape arena` commands and the off-chain node.

Ape imports this module at start-up, so it stays light: the config class is
registered lazily and every heavy import happens inside command bodies.
"""

from ape import plugins


@plugins.register(plugins.Config)
def config_class():
    from ape_arena.config import ArenaConfig

    return ArenaConfig
