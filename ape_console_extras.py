"""`ape console` extras: the AIArena contracts of the connected network, by name.

    ape console --network base:sepolia:node
    In [1]: token.balanceOf(me)
    In [2]: governor.proposal_count()

When the connected network has a deployment record
(deployments/<ecosystem>-<network>.json, written by `ape run deploy`), the
console gets `token`, `staking`, `tasks`, `emission` and `governor`, plus
`arena`, the whole `ape_arena.chain.protocol.Protocol`. Without a record it
prints a one-line hint and adds nothing. It never raises: a console always
starts.

Ape loads this file lazily, at the first name the console cannot find
elsewhere, and adds every module-level name here to the console too, so the
imports stay inside the function.
"""


def ape_init_extras(networks, project, config) -> dict:
    """The protocol's contracts for the console; {} when there are none here."""
    try:
        from ape_arena.chain.protocol import CONTRACTS, deployments_folder, load_protocol
        from ape_arena.exceptions import ArenaError

        provider = networks.active_provider
        if provider is None or not provider.is_connected:
            print("AIArena: not connected to a network, so no contracts are bound.")
            return {}
        network = provider.network
        where = f"{network.ecosystem.name}:{network.name}"
        try:
            protocol = load_protocol(project, provider, deployments_folder(project, config))
        except ArenaError as err:  # no record, a stale one, an unreadable one
            print(f"AIArena: {err}")
            return {}
        names = [attribute for _, attribute in CONTRACTS]
        extras = {name: getattr(protocol, name) for name in names}
        extras["arena"] = protocol
        print(
            f"AIArena on {where}: {', '.join(names)} and arena (all of them) are bound, "
            f"from {protocol.deployment.path.name}."
        )
        return extras
    except Exception as err:  # a console must always start
        print(f"AIArena: contracts not bound ({type(err).__name__}: {err}).")
        return {}
