"""Everything that talks to the chain: deployments, contract wrappers, events."""
